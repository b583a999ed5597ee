"""The relay-tui app: compose, routing between screens, config, and the watch and scan workers.

All relay logic lives in ``relay_tui.core``; this module only calls it on a keystroke and
shows the outcome. The core and the watcher's dependencies are imported lazily (in the scan
thread or at the keypress) so the first frame paints quickly.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from relay_tui.app.screens.decision import DecisionScreen
from relay_tui.app.screens.review import NARROW_COLUMNS, ReviewScreen
from relay_tui.app.watcher import ReportCatalog, ReportEntry, ScanResult
from relay_tui.core.sanitize import sanitize_line

if TYPE_CHECKING:
    from relay_tui.app.screens.confirm import ConfirmScreen, RelayDecision
    from relay_tui.core.validate import ProjectSnapshot, Verdict
    from relay_tui.core.workspace import Workspace

Clock = Callable[[], dt.datetime]
Copier = Callable[[str], None]

POLL_INTERVAL = 2.0
"""Seconds between safety rescans (catches what a network mount never reports)."""
MISSING_FOLDER_POLL = 0.25
"""Seconds between checks for a watched folder that disappeared."""


def system_clipboard(text: str) -> None:
    """Copy with pyperclip (imported at the first copy); raises without a clipboard backend."""
    from relay_tui.core.relay import pyperclip_copy

    pyperclip_copy(text)


def utc_now() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class RelayApp(App[int]):
    """Watch the reports folder, review each report, relay only on a human keystroke."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "relay-tui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_COLUMNS, "-wide")]
    """Screens get ``-narrow`` under 120 columns (a tighter layout in app.tcss)."""
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    BINDINGS = [
        Binding(
            "x",
            "abort",
            "Abort",
            priority=True,
            tooltip="Stop: nothing is relayed, RELAY_ABORTED is recorded, the workblock is held",
            id="abort",
        ),
        Binding(
            "ctrl+x",
            "abort",
            "Abort",
            show=False,
            priority=True,
            tooltip="Abort, also while text is being typed",
            id="abort-ctrl",
        ),
        Binding("h", "history", "History", tooltip="Browse the audit log", id="history"),
        Binding("q", "quit", "Quit", priority=True, tooltip="Quit relay-tui", id="quit"),
    ]

    @dataclass
    class ReportsScanned(Message):
        """The scan worker looked at the reports folder (posted from a thread)."""

        result: ScanResult

    @dataclass
    class RecheckWanted(Message):
        """A scan showed nothing new while a file is still arriving (posted from a thread)."""

        delay: float

    def __init__(
        self,
        project: Path,
        *,
        clock: Clock | None = None,
        clipboard: Copier | None = system_clipboard,
        watch: bool = True,
        actor: str | None = None,
        bell: bool | None = None,
        settle: float = 1.0,
        stable_interval: float = 0.01,
        poll_interval: float = POLL_INTERVAL,
        freeze_gc: bool = False,
    ) -> None:
        """``clock``, ``clipboard`` and ``actor`` are injectable for tests; ``watch=False``
        scans only on start and after each action; ``bell`` overrides ``config.bell``;
        ``freeze_gc`` moves everything alive after the first scan out of the garbage
        collector's sight, so later collections stay short (the installed app does this)."""
        super().__init__()
        self.project = project.resolve()
        self.project_name = sanitize_line(self.project.name or str(self.project), 60)
        self.clock: Clock = clock or utc_now
        self.clipboard_copier = clipboard
        self.watch_enabled = watch
        self._actor = actor
        self.bell_override = bell
        self.poll_interval = poll_interval
        self.catalog = ReportCatalog(
            self.project, clock=self.clock, stable_interval=stable_interval, settle=settle
        )
        self.scan: ScanResult | None = None
        self.review: ReviewScreen | None = None
        self.problem: str | None = None
        """A watcher or scan failure shown in the status bar (the folder problem has its own)."""
        self.bells_rung = 0
        self.paint_log: deque[tuple[Path | None, float]] = deque(maxlen=256)
        self._scan_lock = threading.Lock()
        self._scan_running = False
        self._scan_wanted = False
        self._scan_force = False
        self._scan_forget: set[Path] = set()
        self._scans_posted = 0
        self._scans_handled = 0
        self._watch_stop = asyncio.Event()
        self._watching = False
        self._freeze_gc = freeze_gc
        self._keymap: dict[str, str] = {}

    # --- routing ---------------------------------------------------------------------------

    @property
    def has_project(self) -> bool:
        """True when the project holds ``.relay/``."""
        return (self.project / ".relay").is_dir()

    @property
    def actor(self) -> str:
        """``human:<login>`` of the person at the keyboard."""
        if self._actor is None:
            from relay_tui.core.audit import human_actor

            self._actor = human_actor()
        return self._actor

    @property
    def confirmation_open(self) -> bool:
        """A modal (confirmation or question) is open: the selection must not move under it."""
        return isinstance(self.screen, ModalScreen)

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        if self.has_project:
            self.open_project()
        else:
            from relay_tui.app.screens.no_project import NoProjectScreen

            self.push_screen(NoProjectScreen(self.project))

    def open_project(self) -> None:
        """Show the review screen and start reading the reports folder after the first paint."""
        from relay_tui.app.screens.no_project import NoProjectScreen

        if isinstance(self.screen, NoProjectScreen):
            self.pop_screen()
        self.review = ReviewScreen()
        self.push_screen(self.review)
        self.call_after_refresh(self._start)

    def _start(self) -> None:
        self.request_scan(force=True)
        if self.watch_enabled:
            self.set_interval(self.poll_interval, self.request_scan)

    def on_unmount(self) -> None:
        self._watch_stop.set()

    # --- scanning (a thread worker; posts ReportsScanned) ------------------------------------

    def request_scan(self, force: bool = False, forget: Path | None = None) -> None:
        """Ask for a rescan; requests made while one runs are folded into one more pass."""
        with self._scan_lock:
            self._scan_wanted = True
            self._scan_force = self._scan_force or force
            if forget is not None:
                self._scan_forget.add(forget)
            if self._scan_running:
                return
            self._scan_running = True
        self._scan_worker()

    @property
    def busy(self) -> bool:
        """True while a scan is wanted, running, or its result is not yet on screen."""
        with self._scan_lock:
            return (
                self._scan_running or self._scan_wanted or self._scans_posted != self._scans_handled
            )

    @work(thread=True, exclusive=True, group="scan", exit_on_error=False)
    def _scan_worker(self) -> None:
        try:
            while True:
                with self._scan_lock:
                    if not self._scan_wanted:
                        self._scan_running = False
                        return
                    self._scan_wanted = False
                    force, self._scan_force = self._scan_force, False
                    forget, self._scan_forget = self._scan_forget, set()
                for path in forget:
                    self.catalog.forget(path)
                result = self.catalog.scan(force=force)
                if result is not None:
                    with self._scan_lock:
                        self._scans_posted += 1
                    self.post_message(self.ReportsScanned(result))
                elif self.catalog.recheck_after is not None:
                    # Nothing new to show, but a file is still arriving: look again later.
                    self.post_message(self.RecheckWanted(self.catalog.recheck_after))
        except BaseException:
            with self._scan_lock:
                self._scan_running = False
            raise

    def on_relay_app_recheck_wanted(self, message: RelayApp.RecheckWanted) -> None:
        self.set_timer(message.delay + 0.005, self.request_scan)

    def on_relay_app_reports_scanned(self, message: RelayApp.ReportsScanned) -> None:
        from relay_tui.app.screens.history import HistoryScreen

        result = message.result
        self.scan = result
        try:
            if result.recheck_after is not None:
                self.set_timer(result.recheck_after + 0.005, self.request_scan)
            for note in result.notes:
                self.notify(sanitize_line(note, 300), severity="error", markup=False, timeout=8)
            if result.snapshot is not None and result.snapshot.config.keys != self._keymap:
                self._keymap = dict(result.snapshot.config.keys)
                self.set_keymap(self._keymap)
            if self.review is not None:
                self.review.show_scan(result)
            if isinstance(self.screen, HistoryScreen):
                self.screen.show_abort_target()
            if result.arrived and self._bell_wanted(result.snapshot):
                self.bells_rung += 1
                self.bell()
            if self.watch_enabled and not self._watching and result.snapshot is not None:
                self._start_watcher(result.snapshot)
            if self._freeze_gc:
                self._freeze_gc = False
                self.call_after_refresh(_freeze_garbage_collector)
        finally:
            with self._scan_lock:
                self._scans_handled += 1

    def _bell_wanted(self, snapshot: ProjectSnapshot | None) -> bool:
        """Ring when a report lands while the user looks elsewhere: the terminal is not
        focused (focus reporting) or another screen than the review is in front."""
        enabled = self.bell_override
        if enabled is None:
            enabled = snapshot.config.bell if snapshot is not None else True
        return bool(enabled) and (not self.app_focus or self.screen is not self.review)

    def report_painted(self, path: Path | None) -> None:
        """The review screen painted ``path`` (kept for benchmarks and tests)."""
        self.paint_log.append((path, time.perf_counter()))

    # --- watching (an async worker around watchfiles) ----------------------------------------

    def _start_watcher(self, snapshot: ProjectSnapshot) -> None:
        workspace = snapshot.workspace
        if workspace is None:
            return
        relay_dir = workspace.relay_dir
        paths = [relay_dir]
        reports = relay_dir / snapshot.config.reports_dir
        if not reports.resolve().is_relative_to(relay_dir.resolve()):
            paths.append(reports)
        self._watching = True
        self._watch_worker(paths, relay_dir)

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def _watch_worker(self, paths: list[Path], relay_dir: Path) -> None:
        from relay_tui.app.watcher import is_relevant_change, watch_changes

        while not self._watch_stop.is_set():
            if all(path.is_dir() for path in paths):
                try:
                    async for changes in watch_changes(paths, self._watch_stop):
                        if any(is_relevant_change(path, relay_dir) for _, path in changes):
                            self.request_scan()
                        if not all(path.is_dir() for path in paths):
                            break
                    self.problem = None
                except Exception as error:  # noqa: BLE001 - shown, then watching is retried
                    self.problem = f"Watching stopped ({type(error).__name__}); retrying."
                self.request_scan()
            if self._watch_stop.is_set():
                return
            await asyncio.sleep(MISSING_FOLDER_POLL)
            self.request_scan()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures surface: shown in the status bar and as a toast."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        text = f"{event.worker.name} failed: {type(error).__name__}: {error}"
        self.problem = sanitize_line(text, 300)
        self.notify(self.problem, severity="error", markup=False, timeout=10)
        if self.review is not None:
            self.review.refresh_view()

    def on_key(self, event: events.Key) -> None:
        """Drop a dialog's decision key (``y``) that was typed before the dialog was painted.

        Every key that no widget consumed bubbles up to here; Textual's ``App._on_key`` runs
        right after this handler and looks up the key's non-priority binding on the screen
        in front *now*. A ``y`` sent in one burst with the ``c`` that opens a confirmation
        was read while the review screen was in front, so only here does it meet the
        dialog's binding; ``prevent_default`` keeps ``App._on_key`` from running it.
        """
        screen = self.screen
        if isinstance(screen, DecisionScreen) and screen.typed_ahead(event):
            event.prevent_default()
            event.stop()

    # --- actions -----------------------------------------------------------------------------

    def _workspace(self) -> Workspace | None:
        if self.scan is not None and self.scan.snapshot is not None:
            if self.scan.snapshot.workspace is not None:
                return self.scan.snapshot.workspace
        if not self.has_project:
            return None
        from relay_tui.core.workspace import Workspace

        return Workspace(self.project)

    def _selected(self) -> ReportEntry | None:
        return self.review.chosen_entry() if self.review is not None else None

    def action_abort(self) -> None:
        """Stop at once: close any dialog, relay nothing, record RELAY_ABORTED, hold the
        workblock."""
        from relay_tui.app.screens.confirm import ConfirmScreen
        from relay_tui.app.screens.history import HistoryScreen

        confirming = next(
            (screen for screen in self.screen_stack if isinstance(screen, ConfirmScreen)), None
        )
        # Close every dialog (a question, the palette, the confirmation) without its action,
        # stopping its workers first: the palette's search would query a closed screen.
        for _ in range(len(self.screen_stack)):
            dialog = self.screen
            if not isinstance(dialog, ModalScreen):
                break
            self.workers.cancel_node(dialog)
            dialog.dismiss(None)
        workspace = self._workspace()
        if workspace is None:
            self.notify("Nothing to abort: this folder holds no .relay/.", markup=False)
            return
        from relay_tui.core.audit import AuditWriteError
        from relay_tui.core.relay import abort_relay

        verdict, workblock, note = self.abort_target(confirming)
        try:
            record = abort_relay(
                workspace,
                actor=self.actor,
                workblock=workblock,
                verdict=verdict,
                note=note,
                now=self.clock(),
            )
        except AuditWriteError as error:
            self.bell()
            self.notify(
                f"The abort was NOT recorded: {sanitize_line(str(error), 200)}. "
                "Nothing was relayed.",
                severity="error",
                markup=False,
                timeout=10,
            )
            return
        held = f"{sanitize_line(workblock, 64)} is on hold" if workblock else "no workblock to hold"
        self.notify(
            f"Aborted: nothing was relayed; {held} (RELAY_ABORTED, seq {record['seq']}).",
            title="Abort",
            severity="warning",
            markup=False,
        )
        if isinstance(self.screen, HistoryScreen):
            self.screen.load()
        self.request_scan(force=True)

    def abort_target(
        self, confirming: ConfirmScreen | None = None
    ) -> tuple[Verdict | None, str | None, str | None]:
        """What ``x`` would abort now: (the verdict, the workblock to hold, a note for the
        record). The report being confirmed, else the one selected on the review screen (one
        still arriving by the workblock its file name gives, ``<ID>-v<N>.md``), else the state's
        active workblock (noted as such), else no workblock."""
        from relay_tui.core.validate import report_identity, workblock_from_name

        verdict: Verdict | None
        entry = None
        if confirming is not None:
            verdict = confirming.verdict
        else:
            entry = self._selected()
            verdict = entry.verdict if entry is not None else None
        workblock = report_identity(verdict)[0] if verdict is not None else None
        note = None
        if workblock is None and entry is not None and entry.verdict is None:
            workblock = workblock_from_name(entry.path.name)
            note = "the selected report is still arriving: the workblock its file name gives"
        if workblock is None:
            state = self.scan.snapshot.state if self.scan and self.scan.snapshot else None
            workblock = (state.active_workblock or None) if state is not None else None
            note = "no report is selected: the state's active workblock" if workblock else None
        return verdict, workblock, note

    def action_history(self) -> None:
        """Open the audit log (not from inside a dialog: close or abort it first)."""
        from relay_tui.app.screens.history import HistoryScreen

        if self.confirmation_open:
            self.notify("Close the dialog first (esc), then press h.", markup=False)
            return
        if not isinstance(self.screen, HistoryScreen):
            self.push_screen(HistoryScreen(self.project / ".relay" / "audit.jsonl"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "history" and (not self.has_project or self.confirmation_open):
            return False
        if action == "abort" and not self.has_project:
            # Nothing to abort without .relay/: not offered in the footer. The no-project
            # screen's own hidden x says so when pressed.
            return False
        return True

    async def action_quit(self) -> None:
        """Stop watching and leave."""
        self._watch_stop.set()
        self.exit(0)

    def open_confirmation(self, entry: ReportEntry | None) -> None:
        """Open the final confirmation for ``entry``; its verdict is frozen while it is open."""
        if entry is None or self.scan is None or self.scan.snapshot is None:
            self.notify("No report selected.", markup=False)
            return
        if entry.verdict is None:
            self.notify("This report is still being written.", markup=False)
            return
        from relay_tui.app.screens.confirm import ConfirmScreen

        snapshot = self.scan.snapshot
        workspace = snapshot.workspace
        outbox = workspace.relative(workspace.outbox_dir) if workspace is not None else "outbox"
        screen = ConfirmScreen(
            entry,
            destinations=list(snapshot.config.destinations),
            outbox_folder=sanitize_line(outbox, 120),
        )
        self.push_screen(screen)

    def relay(self, decision: RelayDecision) -> str | None:
        """The human pressed y: the core re-reads, re-hashes, delivers and records (or refuses).

        Returns why the core refused (nothing was sent or recorded; the confirmation shows it
        and stays open), or None when the confirmation should close: relayed, or a failure
        this method already reported.
        """
        workspace = self._workspace()
        if workspace is None:
            return "The project folder can no longer be read. Nothing was relayed."
        from relay_tui.core.audit import AuditWriteError
        from relay_tui.core.relay import RelayRefused, ReportChanged, confirm_relay

        verdict = decision.verdict
        try:
            outcome = confirm_relay(
                workspace,
                verdict,
                actor=self.actor,
                acknowledged=decision.acknowledged,
                clipboard=self.clipboard_copier,
                osc52=self.copy_to_clipboard,
                now=self.clock(),
            )
        except ReportChanged as error:
            self.bell()
            self.request_scan(force=True, forget=verdict.report_path)
            return sanitize_line(str(error), 300) + " Nothing was relayed."
        except AuditWriteError as error:
            # The core delivered, then could not record: it takes the outbox file back, but
            # the clipboard already holds the message. Overwrite it, so nothing unrecorded is
            # left to paste (no half state).
            self._take_back_clipboard()
            self.bell()
            self.notify(
                f"The relay was NOT recorded: {sanitize_line(str(error), 200)}. The message "
                "was taken back from the clipboard and the outbox; nothing was relayed.",
                title="Relay not recorded",
                severity="error",
                markup=False,
                timeout=15,
            )
            self.request_scan(force=True)
            return None
        except RelayRefused as error:
            self.bell()
            self.request_scan(force=True)
            return sanitize_line(str(error), 300) + " Nothing was relayed or recorded."
        except Exception as error:  # noqa: BLE001 - never crash on a decision; say what happened
            self.bell()
            self.notify(
                f"The relay failed: {type(error).__name__}: {sanitize_line(str(error), 200)}. "
                "The history (h) shows whether anything was recorded.",
                title="Relay failed",
                severity="error",
                markup=False,
                timeout=15,
            )
            self.request_scan(force=True)
            return None
        self.notify(
            self._relayed_text(outcome.delivered, verdict.message or "", outcome.record["seq"]),
            title="Relayed",
            markup=False,
            timeout=10 if outcome.delivered.get("clipboard") == "osc52" else 6,
        )
        if outcome.failed:
            failed = "; ".join(
                f"{name}: {sanitize_line(why, 160)}" for name, why in outcome.failed.items()
            )
            self.notify(f"Not delivered: {failed}", severity="warning", markup=False, timeout=10)
        self.request_scan(force=True)
        return None

    def _relayed_text(self, delivered: dict[str, str], message: str, seq: object) -> str:
        """What went where, in words: OSC 52 is only *sent* to the terminal; nothing here can
        tell whether the terminal put it on a clipboard, so the human is asked to check."""
        parts = []
        for name, how in delivered.items():
            if name == "clipboard" and how == "osc52":
                checksum = message.rstrip("\n").rpartition("\n")[2]
                why = (
                    "no system clipboard is used (RELAY_TUI_CLIPBOARD=osc52)"
                    if self.clipboard_copier is None
                    else "no system clipboard was found"
                )
                parts.append(
                    f"clipboard: sent to the terminal via OSC 52 ({why}). This cannot be "
                    "verified: paste it and compare its last line with "
                    f"{sanitize_line(checksum, 40)}"
                )
            elif name == "clipboard" and how == "pyperclip":
                parts.append("clipboard: copied to the system clipboard")
            else:
                parts.append(f"{name}: {sanitize_line(how, 120)}")
        return f"RELAY_CONFIRMED, seq {seq}. " + "; ".join(parts) + "."

    def _take_back_clipboard(self) -> None:
        """Replace a message that was copied but not recorded, wherever it may have gone."""
        notice = "relay-tui: this relay was not recorded; there is nothing to paste.\n"
        if self.clipboard_copier is not None:
            # Without a system clipboard there is nothing to take back there.
            with contextlib.suppress(Exception):
                self.clipboard_copier(notice)
        self.copy_to_clipboard(notice)

    def ask_authorize(self, entry: ReportEntry | None) -> None:
        """Show the card's scope and ask before authorizing it (a human decision)."""
        workblock = self._workblock_of(entry)
        workspace = self._workspace()
        if workblock is None or workspace is None:
            return
        from relay_tui.core.workspace import WorkspaceError

        try:
            loaded = workspace.load_card(workblock)
        except WorkspaceError as error:
            self.notify(
                f"The card cannot be read: {sanitize_line(str(error), 200)}",
                severity="error",
                markup=False,
            )
            return
        if loaded is None:
            self.notify(
                f"There is no card .relay/cards/{workblock}.toml to authorize.",
                severity="warning",
                markup=False,
            )
            return
        snapshot = self.scan.snapshot if self.scan is not None else None
        if (
            loaded.stamped
            and snapshot is not None
            and snapshot.audit.card_authorized(workblock, loaded.body_sha256)
        ):
            self.notify(f"The card {workblock} is already authorized as it stands.", markup=False)
            return
        card = loaded.card

        def paths(values: Iterable[str]) -> str:
            return ", ".join(sanitize_line(value, 120) for value in values) or "(none)"

        body = Content.assemble(
            ("card       ", "$text-muted"),
            (workblock, "bold"),
            " — ",
            sanitize_line(card.title, 120),
            "\n",
            ("goal       ", "$text-muted"),
            sanitize_line(card.goal, 300),
            "\n",
            ("allowed    ", "$text-muted"),
            paths(card.allowed_paths),
            "\n",
            ("forbidden  ", "$text-muted"),
            paths(card.forbidden_paths),
            "\n",
            ("sha256     ", "$text-muted"),
            loaded.body_sha256,
            "\n\n",
            f"Authorizing stamps [authorization] into the card and records CARD_AUTHORIZED as "
            f"{sanitize_line(self.actor, 80)}. Codex may then work inside this scope.",
        )

        def decided(answer: bool | None) -> None:
            if answer:
                self._authorize(workblock)

        from relay_tui.app.screens.ask import AskScreen

        self.push_screen(AskScreen(f"Authorize the card {workblock}?", body), callback=decided)

    def _authorize(self, workblock: str) -> None:
        workspace = self._workspace()
        if workspace is None:
            return
        from relay_tui.core.relay import authorize_card

        try:
            result = authorize_card(workspace, workblock, actor=self.actor, now=self.clock())
        except Exception as error:  # noqa: BLE001 - RelayRefused, WorkspaceError, audit or OS errors
            self.notify(
                f"Not authorized: {sanitize_line(str(error), 300)}", severity="error", markup=False
            )
            return
        self.notify(
            f"Card {workblock} authorized (CARD_AUTHORIZED, seq {result.record.get('seq')}).",
            title="Authorized",
            markup=False,
        )
        self.request_scan(force=True)

    def ask_release(self, entry: ReportEntry | None) -> None:
        """Ask before releasing the hold on the selected report's workblock."""
        workblock = self._workblock_of(entry)
        if workblock is None or self.scan is None or self.scan.snapshot is None:
            return
        snapshot = self.scan.snapshot
        held = snapshot.audit.on_hold(workblock)
        if not held:
            if snapshot.state is not None and snapshot.state.hold:
                self.notify(
                    "The whole project is on hold (state.toml: hold = true); "
                    "edit the state file to release it.",
                    markup=False,
                )
            else:
                self.notify(
                    f"{sanitize_line(workblock, 64)} is not on hold; nothing to release.",
                    markup=False,
                )
            return
        body = Content(
            f"Releasing records HOLD_RELEASED for {workblock} as {sanitize_line(self.actor, 80)}. "
            "Its reports can then be relayed again after a confirmation."
        )

        def decided(answer: bool | None) -> None:
            if answer:
                self._release(workblock)

        from relay_tui.app.screens.ask import AskScreen

        self.push_screen(AskScreen(f"Release the hold on {workblock}?", body), callback=decided)

    def _release(self, workblock: str) -> None:
        workspace = self._workspace()
        if workspace is None:
            return
        from relay_tui.core.relay import release_hold

        try:
            record = release_hold(
                workspace, actor=self.actor, workblock=workblock, now=self.clock()
            )
        except Exception as error:  # noqa: BLE001 - RelayRefused, audit or OS errors
            self.notify(
                f"The hold was not released: {sanitize_line(str(error), 300)}",
                severity="error",
                markup=False,
            )
            return
        self.notify(
            f"Hold on {workblock} released (HOLD_RELEASED, seq {record['seq']}).", markup=False
        )
        self.request_scan(force=True)

    def _workblock_of(self, entry: ReportEntry | None) -> str | None:
        if entry is None or entry.verdict is None:
            self.notify("Select a report first.", markup=False)
            return None
        from relay_tui.core.validate import report_identity

        workblock = report_identity(entry.verdict)[0]
        if workblock is None:
            self.notify("This report names no valid workblock.", markup=False)
        return workblock

    # --- command palette -------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if not self.has_project:
            return
        yield SystemCommand(
            "Abort",
            "Relay nothing, record RELAY_ABORTED, hold the workblock (x)",
            self.action_abort,
        )
        yield SystemCommand("History", "Browse the audit log (h)", self.action_history)
        if self.review is not None:
            review = self.review
            yield SystemCommand(
                "Confirm relay",
                "Open the final confirmation of the selected report (c)",
                review.action_confirm,
            )
            yield SystemCommand(
                "Authorize card",
                "Authorize the selected report's workblock card (a)",
                review.action_authorize_card,
            )
            yield SystemCommand(
                "Release hold",
                "Release the hold on the selected report's workblock (r)",
                review.action_release_hold,
            )
        yield SystemCommand(
            "Rescan", "Read the reports folder again", lambda: self.request_scan(force=True)
        )


def _freeze_garbage_collector() -> None:
    """Collect once, then freeze: imports and the first scan are never scanned again."""
    import gc

    gc.collect()
    gc.freeze()


def run_app(project: Path) -> int:
    """Run the TUI on ``project`` until the user quits; the process exit code.

    ``RELAY_TUI_CLIPBOARD=osc52`` skips the system clipboard and copies through the terminal
    (OSC 52) only: useful over SSH, and in tests that must not touch the desktop clipboard.
    """
    osc52_only = os.environ.get("RELAY_TUI_CLIPBOARD", "").strip().lower() == "osc52"
    app = RelayApp(project, clipboard=None if osc52_only else system_clipboard, freeze_gc=True)
    result = app.run()
    return result if isinstance(result, int) else (app.return_code or 0)
