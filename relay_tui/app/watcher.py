"""The reports folder, watched live: rescans on hints, size-stable reads, validation off-thread.

Nothing here touches a widget. ``ReportCatalog.scan`` runs in a thread worker and returns a
``ScanResult``; ``watch_changes`` wraps ``watchfiles.awatch`` (imported lazily) for the async
watch worker. Events are only hints: every batch leads to a rescan of the whole folder, so an
event that was merged, dropped or arrived out of order cannot lose a report.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import stat
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from relay_tui.core.sanitize import sanitize_line

if TYPE_CHECKING:
    from watchfiles import Change

    from relay_tui.core.validate import ProjectSnapshot, Verdict
    from relay_tui.core.workspace import Workspace

#: Folders under ``.relay/`` whose changes never affect a verdict.
QUIET_FOLDERS = ("outbox", "receipts")
#: Files the relay itself rewrites on every append (the lock and the head of the audit log).
QUIET_SUFFIXES = (".lock", ".head", ".tmp")

WRITER_RECHECK = 0.025
"""Seconds between looks at a file a writer still holds open (closing it makes no event)."""

WATCH_DEBOUNCE_MS = 50
"""Longest time watchfiles groups changes before yielding them (its default is 1,600 ms)."""
WATCH_STEP_MS = 10
"""Quiet time after which watchfiles yields the changes it has."""


def display_name(path: Path) -> str:
    """A report's file name fit for the screen: credentials redacted, hidden characters shown."""
    from relay_tui.core.secrets import redact_secrets

    return sanitize_line(redact_secrets(path.name), 120)


@dataclass(frozen=True)
class ReportEntry:
    """One file of the reports folder and, once it was read whole, its verdict."""

    path: Path
    display_name: str
    """The file name, sanitized (untrusted: it may hold ESC, newlines or bidi controls)."""
    mtime_ns: int
    verdict: Verdict | None
    """None while the file is still being written (shown as arriving, never as a label)."""
    current: bool = True
    """False when a higher ``report_version`` (or a newer file) of its workblock exists."""
    relayed: bool = False
    """A human already relayed exactly this report's message."""
    superseded_by: Path | None = None
    """The current report of the same workblock, when this one is not current."""

    @property
    def label(self) -> str | None:
        """The label's name, or None while arriving."""
        return self.verdict.label.value if self.verdict is not None else None

    @property
    def superseded_name(self) -> str | None:
        """The file name of the report that supersedes this one, fit for the screen."""
        return display_name(self.superseded_by) if self.superseded_by is not None else None


@dataclass(frozen=True)
class ScanResult:
    """What one rescan saw: the reports newest first, and the project they were checked against."""

    entries: tuple[ReportEntry, ...]
    snapshot: ProjectSnapshot | None
    folder_error: str | None = None
    arrived: tuple[Path, ...] = ()
    """Reports validated for the first time, or again because their bytes changed."""
    recheck_after: float | None = None
    """Seconds until a file still being written should be looked at again."""
    notes: tuple[str, ...] = ()
    """Problems to tell the user about (an audit record that could not be written)."""
    first: bool = False
    """True for the first scan after the app started (nothing counts as arrived then)."""

    def entry(self, path: Path | None) -> ReportEntry | None:
        """The entry of ``path``, if it is still in the folder."""
        return next((item for item in self.entries if item.path == path), None)

    def newest_current(self) -> ReportEntry | None:
        """The newest report that is current and fully read (the one to open on)."""
        return next(
            (item for item in self.entries if item.current and item.verdict is not None),
            None,
        )


FileKey = tuple[int, int, int, int]
"""(size, mtime_ns, inode, mode) of a report file; a change means the bytes may have changed."""


@dataclass
class _Known:
    key: FileKey
    verdict: Verdict


@dataclass
class ReportCatalog:
    """The app's memory of the reports folder; only ever used from one thread at a time."""

    root: Path
    clock: Callable[[], dt.datetime]
    stable_interval: float = 0.01
    """Seconds between the two stats that must agree before a changed file is read."""
    settle: float = 1.0
    """A file that is structurally incomplete and younger than this is shown as arriving."""
    writer_patience: float = 30.0
    """A file some process holds open for writing is shown as arriving until it is closed, or
    until it has not changed for this many seconds (a writer that hangs on to it)."""
    recheck_after: float | None = None
    """The last scan's ``recheck_after``, also when that scan showed nothing new."""
    _known: dict[Path, _Known] = field(default_factory=dict)
    _fingerprint: object = None
    _snapshot: ProjectSnapshot | None = None
    _workspace: Workspace | None = None
    _last: ScanResult | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _blocked_seen: set[str] = field(default_factory=set)
    """Report hashes whose VALIDATION_BLOCKED this app already recorded (or found recorded).

    The core looks only at the records before a broken chain's first bad one, so without this
    every append (which changes the log, so every report is validated again) would append the
    same record again, without end."""

    def scan(self, *, force: bool = False) -> ScanResult | None:
        """Rescan the folder; None when nothing a user could see has changed (unless ``force``)."""
        with self._lock:
            result = self._scan()
            self.recheck_after = result.recheck_after
            if not force and self._last is not None and _same(result, self._last):
                return None
            self._last = result
            return result

    def forget(self, path: Path) -> None:
        """Drop what is known of one report so the next scan validates it again."""
        with self._lock:
            self._known.pop(path, None)

    def _scan(self) -> ScanResult:
        from relay_tui.core.relay import record_blocked
        from relay_tui.core.validate import ProjectSnapshot, current_reports, report_identity
        from relay_tui.core.workspace import Workspace, WorkspaceError, open_for_writing

        fingerprint = _project_fingerprint(self.root)
        revalidate = fingerprint != self._fingerprint or self._snapshot is None
        if revalidate:
            self._workspace = Workspace(self.root)
            self._snapshot = ProjectSnapshot.load(self._workspace)
            self._fingerprint = fingerprint
        workspace, snapshot = self._workspace, self._snapshot
        assert workspace is not None and snapshot is not None
        first = self._last is None
        try:
            folder = workspace.reports_dir
        except WorkspaceError:
            folder = workspace.relay_dir / "reports"
        listing, folder_error = _list_reports(folder, workspace)
        if folder_error is not None:
            self._known.clear()
            return ScanResult((), snapshot, folder_error=folder_error, first=first)

        changed = [
            path
            for path, key in listing.items()
            if revalidate or _changed(self._known.get(path), key)
        ]
        if changed:
            # A file is read once it has been quiet for ``stable_interval``: when every changed
            # file's mtime is already older than that, the watcher's own quiet step covered it;
            # otherwise wait out the rest and compare a second stat.
            quiet = min(time.time() - listing[path][1] / 1e9 for path in changed)
            if quiet < self.stable_interval:
                time.sleep(self.stable_interval - max(quiet, 0.0))
        arrived: list[Path] = []
        pending: dict[Path, int] = {}
        recheck: float | None = None
        notes: list[str] = []
        for path in changed:
            before = listing[path]
            previous = self._known.pop(path, None)
            if _file_key(path) != before:
                pending[path] = before[1]
                recheck = self.stable_interval
                continue
            quiet_for = time.time() - before[1] / 1e9
            if quiet_for < self.writer_patience and open_for_writing(path):
                # A writer still holds the file open: whatever it holds now may be a prefix.
                pending[path] = before[1]
                recheck = min(recheck or WRITER_RECHECK, WRITER_RECHECK)
                continue
            verdict = _validate(path, snapshot, self.clock())
            if _file_key(path) != before:
                pending[path] = before[1]
                recheck = self.stable_interval
                continue
            young = time.time() - before[1] / 1e9
            if young < self.settle and (_looks_unfinished(verdict) or _ends_mid_line(path, before)):
                pending[path] = before[1]
                wait = self.settle - young
                recheck = wait if recheck is None else min(recheck, wait)
                continue
            self._known[path] = _Known(before, verdict)
            if not first and (previous is None or previous.key != before):
                arrived.append(path)
            digest = verdict.report_sha256
            if verdict.label.value == "BLOCKED" and digest and digest not in self._blocked_seen:
                try:
                    record_blocked(workspace, verdict, now=self.clock())
                except Exception as error:  # noqa: BLE001 - shown to the user, never fatal
                    notes.append(f"VALIDATION_BLOCKED could not be recorded: {error}")
                else:
                    self._blocked_seen.add(digest)
        for path in list(self._known):
            if path not in listing:
                del self._known[path]

        validated = [(path, known.verdict, known.key[1]) for path, known in self._known.items()]
        current = current_reports(validated)
        # Which file supersedes each superseded report (its workblock's current one).
        current_of: dict[str, Path] = {}
        for path in current:
            workblock = report_identity(self._known[path].verdict)[0]
            if workblock is not None:
                current_of[workblock] = path
        entries: list[ReportEntry] = []
        for path, known in self._known.items():
            verdict = known.verdict
            relayed = bool(
                verdict.report_sha256
                and verdict.message_sha256
                and snapshot.audit.relayed(verdict.report_sha256, verdict.message_sha256)
            )
            entries.append(
                ReportEntry(
                    path=path,
                    display_name=display_name(path),
                    mtime_ns=known.key[1],
                    verdict=verdict,
                    current=path in current,
                    relayed=relayed,
                    superseded_by=None
                    if path in current
                    else current_of.get(report_identity(verdict)[0] or ""),
                )
            )
        for path, mtime_ns in pending.items():
            entries.append(ReportEntry(path, display_name(path), mtime_ns, None))
        entries.sort(key=lambda item: (item.mtime_ns, item.path.name), reverse=True)
        return ScanResult(
            entries=tuple(entries),
            snapshot=snapshot,
            arrived=tuple(arrived),
            recheck_after=recheck,
            notes=tuple(notes),
            first=first,
        )


def _same(one: ScanResult, other: ScanResult) -> bool:
    """Two scans a user could not tell apart (so the second need not be posted)."""
    return (
        one.folder_error == other.folder_error
        and one.snapshot is other.snapshot
        and not one.arrived
        and not one.notes
        and [_shown(entry) for entry in one.entries] == [_shown(entry) for entry in other.entries]
    )


def _shown(entry: ReportEntry) -> tuple[object, ...]:
    """What of an entry the screen shows, apart from its verdict."""
    return (
        entry.path,
        entry.verdict is None,
        entry.current,
        entry.relayed,
        entry.mtime_ns,
        entry.superseded_by,
    )


def _changed(known: _Known | None, key: FileKey) -> bool:
    return known is None or known.key != key


def _file_key(path: Path) -> FileKey | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ino, info.st_mode)


def _list_reports(folder: Path, workspace: Workspace) -> tuple[dict[Path, FileKey], str | None]:
    """Every report-like name in the folder with its key, or why the folder cannot be read."""
    from relay_tui.core.validate import is_report_name  # loaded by the scan thread already

    shown = sanitize_line(workspace.relative(folder), 200)
    if not workspace.relay_dir.is_dir():
        return {}, "The .relay/ folder is gone; waiting for it to come back."
    listing: dict[Path, FileKey] = {}
    try:
        with os.scandir(folder) as scanner:
            for item in scanner:
                if not is_report_name(item.name):
                    continue
                try:
                    info = item.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISDIR(info.st_mode):
                    continue
                listing[Path(item.path)] = (
                    info.st_size,
                    info.st_mtime_ns,
                    info.st_ino,
                    info.st_mode,
                )
    except FileNotFoundError:
        return {}, f"The reports folder {shown} does not exist; waiting for it (polling)."
    except NotADirectoryError:
        return {}, f"{shown} is not a folder; waiting for a reports folder (polling)."
    except OSError as error:
        reason = sanitize_line(error.strerror or str(error), 120)
        return {}, f"The reports folder {shown} cannot be read ({reason}); retrying."
    return listing, None


def _validate(path: Path, snapshot: ProjectSnapshot, now: dt.datetime) -> Verdict:
    from relay_tui.core.validate import validate_path

    return validate_path(path, snapshot, now=now)


def _looks_unfinished(verdict: Verdict) -> bool:
    """A structural problem (empty, cut off, a section missing): maybe the writer is not done."""
    return any(item.rule.startswith("STRUCTURE-") for item in verdict.findings)


def _ends_mid_line(path: Path, key: FileKey) -> bool:
    """A Markdown report whose last byte is not a newline: a writer may be between chunks.

    A chunk boundary can leave a prefix that is structurally complete; it almost never falls
    right after a newline, so a young file that ends mid-line waits out ``settle`` as well. A
    finished report without a final newline is shown once it is ``settle`` old. Only a regular
    file is looked at (never through a symlink, never a FIFO).
    """
    size, _, _, mode = key
    if size == 0 or not stat.S_ISREG(mode) or not path.name.lower().endswith(".md"):
        return False
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError:
        return False
    try:
        return os.pread(descriptor, 1, size - 1) != b"\n"
    except OSError:
        return False
    finally:
        os.close(descriptor)


def _project_fingerprint(root: Path) -> tuple[object, ...]:
    """Stats of every project file a verdict depends on; a change means validate again."""
    relay = root / ".relay"
    parts: list[object] = []
    for name in ("config.toml", "state.toml", "audit.jsonl", "audit.jsonl.head"):
        parts.append((name, _file_key(relay / name)))
    for folder in ("cards", "chains", "sources"):
        try:
            with os.scandir(relay / folder) as scanner:
                names = sorted(
                    (item.name, _file_key(Path(item.path)))
                    for item in scanner
                    if not item.name.startswith(".")
                )
        except OSError:
            names = []
        parts.append((folder, tuple(names)))
    return tuple(parts)


def is_relevant_change(path: str, relay_dir: Path) -> bool:
    """Whether a watch event can change what the screen shows (outbox writes cannot)."""
    candidate = Path(path)
    name = candidate.name
    if name.endswith(QUIET_SUFFIXES) or ".torn-" in name:
        return False
    try:
        inside = candidate.relative_to(relay_dir).parts
    except ValueError:
        return True
    return not (inside and inside[0] in QUIET_FOLDERS)


async def watch_changes(
    paths: list[Path],
    stop: asyncio.Event,
    *,
    debounce_ms: int = WATCH_DEBOUNCE_MS,
    step_ms: int = WATCH_STEP_MS,
) -> AsyncIterator[set[tuple[Change, str]]]:
    """``watchfiles.awatch`` over folders with explicit debounce and step (imported lazily)."""
    from watchfiles import awatch

    async for changes in awatch(
        *paths,
        debounce=debounce_ms,
        step=step_ms,
        stop_event=stop,
        rust_timeout=1000,
        recursive=True,
        ignore_permission_denied=True,
        watch_filter=None,
    ):
        yield changes
