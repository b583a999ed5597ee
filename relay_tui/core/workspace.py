"""Finding ``.relay/``, reading its cards, state and config, and reading untrusted files safely."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import re
import stat
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from relay_tui.core.models import Authorization, Card, Config, State, is_valid_workblock_id

RELAY_DIR = ".relay"


class UnsafeFileError(Exception):
    """A path that is not a readable regular file, or too large; the message says why."""


@dataclass(frozen=True)
class FileBytes:
    """The exact bytes of a file and their sha256."""

    path: Path
    data: bytes
    sha256: str


def read_regular_file(path: Path, max_bytes: int | None = None) -> FileBytes:
    """Read a regular file without following a symlink or blocking on a FIFO.

    The size is checked on the open descriptor before reading; a file over ``max_bytes``
    raises ``FileTooLargeError`` (its size in the message) so the caller can report it.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        link_info = os.lstat(path)
    except FileNotFoundError as error:
        raise UnsafeFileError(f"{path}: no such file") from error
    except OSError as error:
        raise UnsafeFileError(f"{path}: cannot be read ({error.strerror})") from error
    if stat.S_ISLNK(link_info.st_mode):
        raise UnsafeFileError(f"{path}: is a symbolic link; reports must be regular files")
    if not stat.S_ISREG(link_info.st_mode):
        raise UnsafeFileError(f"{path}: is not a regular file")
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise UnsafeFileError(f"{path}: cannot be opened ({error.strerror})") from error
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFileError(f"{path}: is not a regular file")
        if max_bytes is not None and info.st_size > max_bytes:
            raise FileTooLargeError(path, info.st_size, max_bytes)
        chunks = []
        remaining = info.st_size if max_bytes is None else max_bytes + 1
        while True:
            chunk = os.read(descriptor, min(1 << 20, max(remaining, 1)))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
            if max_bytes is not None and remaining <= 0:
                raise FileTooLargeError(path, max_bytes + 1, max_bytes)
    except OSError as error:
        raise UnsafeFileError(f"{path}: read failed ({error.strerror})") from error
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    return FileBytes(path=path, data=data, sha256=hashlib.sha256(data).hexdigest())


class FileTooLargeError(UnsafeFileError):
    """A file over the hard size limit; never read."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(f"{path}: {size} bytes, over the limit of {limit} bytes")
        self.size = size
        self.limit = limit


def find_project(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``.relay/``."""
    current = start.resolve()
    if current.is_file() or not current.exists():
        current = current.parent
    for folder in (current, *current.parents):
        if (folder / RELAY_DIR).is_dir():
            return folder
    return None


def card_body_sha256(table: dict[str, Any]) -> str:
    """The contract's ``card_sha256``: the card table without ``authorization``, as JSON."""
    body = {key: value for key, value in table.items() if key != "authorization"}
    text = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_toml_scalar
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _toml_scalar(value: object) -> str:
    """RFC 3339 text of a TOML date or time (for ``card_body_sha256``)."""
    if isinstance(value, dt.datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    raise TypeError(f"cannot serialize {type(value).__name__}")


@dataclass(frozen=True)
class LoadedCard:
    """A card as read from disk: the model, the raw table and the body hash."""

    card: Card
    table: dict[str, Any]
    path: Path
    body_sha256: str
    authorization_error: str | None = None
    """Why the ``[authorization]`` table could not be read (the card then counts as unstamped)."""

    @property
    def stamped(self) -> bool:
        """True when the card's ``[authorization]`` hash equals its body hash."""
        auth = self.card.authorization
        return auth is not None and auth.card_sha256 == self.body_sha256


class WorkspaceError(Exception):
    """A ``.relay/`` file that exists but cannot be used; the message says which and why."""


_GLOB_CACHE: dict[str, re.Pattern[str]] = {}


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Compile a contract glob: ``*``/``?`` inside one segment, ``**`` any number of segments.

    ``**`` matches none too: ``**/.env`` matches ``.env`` and ``src/**`` matches ``src``.
    Empty and ``.`` segments are dropped, so ``./src/*.py`` means ``src/*.py``.
    """
    cached = _GLOB_CACHE.get(pattern)
    if cached is not None:
        return cached
    segments = [part for part in pattern.split("/") if part not in ("", ".")]
    regex = ""
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            if not last:
                regex += "(?:[^/]+/)*"
            elif regex.endswith("/"):
                regex = regex[:-1] + "(?:/.*)?"
            else:
                regex += ".*"
            continue
        for char in segment:
            if char == "*":
                regex += "[^/]*"
            elif char == "?":
                regex += "[^/]"
            else:
                regex += re.escape(char)
        if not last:
            regex += "/"
    compiled = re.compile(regex + r"\Z", re.DOTALL)
    _GLOB_CACHE[pattern] = compiled
    return compiled


def path_matches(path: str, patterns: list[str]) -> bool:
    """True when the POSIX ``path`` matches any of the contract globs."""
    return any(glob_to_regex(pattern).match(path) for pattern in patterns)


class Workspace:
    """One project's ``.relay/`` folder: paths and loaders, read fresh on each call."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.relay_dir = self.root / RELAY_DIR

    @classmethod
    def locate(cls, start: Path) -> Workspace | None:
        """The workspace of the nearest project at or above ``start``."""
        root = find_project(start)
        return cls(root) if root is not None else None

    @property
    def exists(self) -> bool:
        """True when the project holds ``.relay/``."""
        return self.relay_dir.is_dir()

    @property
    def config_path(self) -> Path:
        return self.relay_dir / "config.toml"

    @property
    def state_path(self) -> Path:
        return self.relay_dir / "state.toml"

    @property
    def audit_path(self) -> Path:
        return self.relay_dir / "audit.jsonl"

    @property
    def cards_dir(self) -> Path:
        return self.relay_dir / "cards"

    @property
    def outbox_dir(self) -> Path:
        return self.relay_dir / "outbox"

    @property
    def receipts_dir(self) -> Path:
        return self.relay_dir / "receipts"

    @property
    def sources_dir(self) -> Path:
        return self.relay_dir / "sources"

    @property
    def chains_dir(self) -> Path:
        return self.relay_dir / "chains"

    @cached_property
    def config(self) -> Config:
        """The config, defaults for a missing file; ``WorkspaceError`` when unusable."""
        return load_config(self.config_path)

    @property
    def reports_dir(self) -> Path:
        return self.relay_dir / self.config.reports_dir

    def load_state(self) -> State | None:
        """The current state, or None when there is no state file."""
        if not self.state_path.exists():
            return None
        table = _read_toml(self.state_path)
        try:
            return State.model_validate(table)
        except ValidationError as error:
            raise WorkspaceError(f"{self.state_path}: {_first_error(error)}") from error

    def card_path(self, workblock: str) -> Path | None:
        """The card file of a workblock id, or None for an id of the wrong shape."""
        if not is_valid_workblock_id(workblock):
            return None
        return self.cards_dir / f"{workblock}.toml"

    def load_card(self, workblock: str) -> LoadedCard | None:
        """The card of a workblock, None when absent; ``WorkspaceError`` when unreadable."""
        path = self.card_path(workblock)
        if path is None or not path.exists():
            return None
        table = _read_toml(path)
        body = {key: value for key, value in table.items() if key != "authorization"}
        try:
            card = Card.model_validate(body)
        except ValidationError as error:
            raise WorkspaceError(f"{path}: {_first_error(error)}") from error
        if card.id != workblock:
            raise WorkspaceError(f"{path}: its id is {card.id!r}, not {workblock!r}")
        authorization_error = None
        if "authorization" in table:
            # A malformed stamp must not make the card unreadable: it is simply not authorized.
            try:
                card.authorization = Authorization.model_validate(table["authorization"])
            except ValidationError as error:
                authorization_error = _first_error(error)
        return LoadedCard(
            card=card,
            table=table,
            path=path,
            body_sha256=card_body_sha256(table),
            authorization_error=authorization_error,
        )

    def relative(self, path: Path) -> str:
        """``path`` relative to the project root in POSIX form, or absolute when outside.

        The same file gives the same text however it was named (``..`` segments, a symlinked
        folder), and the text is valid Unicode (a non-UTF-8 byte of a file name as ``\\xff``).
        """
        absolute = path.absolute()
        if ".." in absolute.parts:
            # Resolve the folders only: the file itself is shown by the name it was given.
            named = absolute.name not in ("", "..")
            absolute = absolute.parent.resolve() / absolute.name if named else absolute.resolve()
        try:
            shown = absolute.relative_to(self.root).as_posix()
        except ValueError:
            try:
                shown = path.resolve().relative_to(self.root).as_posix()
            except ValueError:
                shown = absolute.as_posix()
        return printable_path(shown)


#: fcntl commands of Linux that Python's fcntl module may not name.
_F_SETLEASE = 1024
_F_SETSIG = 10


def open_for_writing(path: Path) -> bool | None:
    """Whether some process holds ``path`` open for writing: True, False, or None (unknown).

    Linux grants a read lease on a file only while nobody has it open for writing, so taking
    one (and dropping it at once) answers without reading a byte. A writer that opens the file
    in that instant waits for the release; the break signal is set to SIGURG, which is ignored
    by default, so it can never stop this process. Elsewhere, or when the lease is refused for
    another reason (not the file's owner, a file system without leases), the answer is None.
    """
    try:
        import fcntl
        import signal
    except ImportError:
        return None
    if not hasattr(os, "O_NOFOLLOW") or not os.uname().sysname == "Linux":
        return None
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        fcntl.fcntl(descriptor, getattr(fcntl, "F_SETSIG", _F_SETSIG), signal.SIGURG)
        lease = getattr(fcntl, "F_SETLEASE", _F_SETLEASE)
        try:
            fcntl.fcntl(descriptor, lease, fcntl.F_RDLCK)
        except OSError as error:
            return True if error.errno in (errno.EAGAIN, errno.EBUSY) else None
        fcntl.fcntl(descriptor, lease, fcntl.F_UNLCK)
        return False
    except OSError:
        return None
    finally:
        os.close(descriptor)


def printable_path(text: str) -> str:
    """A path as valid Unicode: bytes that are not UTF-8 (kept by Python as lone surrogates)
    become ``\\xNN`` text, so the path can be hashed, written and relayed."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def load_config(path: Path) -> Config:
    """Read a config file; defaults when it does not exist."""
    override = os.environ.get("RELAY_TUI_CONFIG")
    if override:
        path = Path(override)
    if not path.exists():
        return Config()
    table = _read_toml(path)
    try:
        return Config.model_validate(table)
    except ValidationError as error:
        raise WorkspaceError(f"{path}: {_first_error(error)}") from error


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = read_regular_file(path, max_bytes=1024 * 1024).data
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise WorkspaceError(f"{path}: not UTF-8 (byte {error.start})") from error
    except tomllib.TOMLDecodeError as error:
        raise WorkspaceError(f"{path}: invalid TOML ({error})") from error
    except UnsafeFileError as error:
        raise WorkspaceError(str(error)) from error


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    return f"{where}: {first['msg']}"
