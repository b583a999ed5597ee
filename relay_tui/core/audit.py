"""The hash-chained audit log: append under a lock, read, verify, and what the records grant."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import gc
import getpass
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from relay_tui.core.sanitize import HIDDEN_CHARACTERS
from relay_tui.core.secrets import redact_secrets

GENESIS = "0" * 64

RECORD_FIELDS = (
    "seq",
    "ts",
    "event",
    "actor",
    "workblock",
    "report_path",
    "report_sha256",
    "message_sha256",
    "status",
    "findings",
    "destination",
    "card_sha256",
    "note",
    "prev",
)

#: Fields that carry text taken from reports or people; a credential in them is redacted
#: before it reaches the disk (the hashes, ``seq`` and ``actor`` are the relay's own).
TEXT_FIELDS = frozenset({"workblock", "report_path", "status", "destination", "note"})

CARD_AUTHORIZED = "CARD_AUTHORIZED"
RELAY_CONFIRMED = "RELAY_CONFIRMED"
RELAY_ABORTED = "RELAY_ABORTED"
HOLD_SET = "HOLD_SET"
HOLD_RELEASED = "HOLD_RELEASED"
RECEIPT_REVIEWED = "RECEIPT_REVIEWED"
VALIDATION_BLOCKED = "VALIDATION_BLOCKED"
LINK_CLOSED = "LINK_CLOSED"
TORN_TAIL_SET_ASIDE = "TORN_TAIL_SET_ASIDE"

#: Events that grant authority; they count only with a ``human:`` actor.
AUTHORITY_EVENTS = frozenset({CARD_AUTHORIZED, RELAY_CONFIRMED, HOLD_RELEASED, LINK_CLOSED})


class AuditWriteError(Exception):
    """An append that did not reach the disk; the decision must not be reported as recorded."""


def human_actor(login: str | None = None) -> str:
    """``human:<login>`` for the person at the keyboard."""
    if login is None:
        try:
            login = getpass.getuser()
        except Exception:  # noqa: BLE001 - no passwd entry in some containers
            login = "unknown"
    return f"human:{login}"


def utc_stamp(now: dt.datetime | None = None) -> str:
    """UTC ISO 8601 with ``Z``, to the microsecond (order comes from ``seq``, never from this)."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> str:
    """Sorted keys, separators ``,`` and ``:``, non-ASCII kept as UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def disk_json(record: dict[str, Any]) -> str:
    """The canonical line, with hidden characters written as ``\\u`` escapes.

    The same JSON value (verification re-serializes), but ``cat`` or ``tail -f`` of the log
    never sends a bidi control, a C1 byte or DEL from a file name to a terminal.
    """
    return HIDDEN_CHARACTERS.sub(_json_escape, canonical_json(record))


def _json_escape(match: re.Match[str]) -> str:
    return json.dumps(match.group())[1:-1]


def record_hash(record: dict[str, Any]) -> str:
    """The sha256 of a record without its ``hash`` field, re-serialized canonically."""
    body = {key: value for key, value in record.items() if key != "hash"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditRead:
    """The verified prefix of the log and what, if anything, is wrong after it."""

    records: list[dict[str, Any]] = field(default_factory=list)
    """Records before the first bad one (the only ones trusted)."""
    line_count: int = 0
    """Complete lines in the file (a torn tail excluded)."""
    first_bad_seq: int | None = None
    """Line number (from 1) of the first record that does not verify."""
    bad_reason: str | None = None
    torn_tail: bytes | None = None
    """The bytes of an unterminated or unparseable last line."""
    good_length: int = 0
    """Byte length of the file without the torn tail."""
    last_hash: str = GENESIS
    """The ``hash`` of the last complete record as written (for the next ``prev``)."""
    last_seq: int = 0

    @property
    def intact(self) -> bool:
        """True when every record verifies and there is no torn tail."""
        return self.first_bad_seq is None and self.torn_tail is None

    def describe(self) -> str:
        """One line for a banner or the CLI, naming the first bad ``seq``."""
        parts = []
        if self.first_bad_seq is not None:
            parts.append(f"chain broken at seq {self.first_bad_seq}: {self.bad_reason}")
        if self.torn_tail is not None:
            parts.append(
                f"torn tail at seq {self.line_count + 1}: {len(self.torn_tail)} bytes of an "
                f"unfinished record after seq {self.line_count}"
            )
        if not parts:
            return f"chain intact ({len(self.records)} records)"
        return "; ".join(parts)


def read_log(path: Path, head_path: Path | None = None) -> AuditRead:
    """Read and verify the log; never writes. A missing or empty log verifies."""
    try:
        data = _read_log_bytes(path)
    except OSError as error:
        return AuditRead(first_bad_seq=1, bad_reason=_unreadable_reason(error))
    lines = data.split(b"\n")
    torn: bytes | None = None
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines:
        torn = lines.pop()
    if torn is None and lines and _parse_object(lines[-1]) is None:
        torn = lines.pop() + b"\n"
    good_length = len(data) - (len(torn) if torn is not None else 0)
    records: list[dict[str, Any]] = []
    first_bad: int | None = None
    reason: str | None = None
    previous = GENESIS
    last_hash = GENESIS
    last_seq = 0
    with collector_paused():  # 10^5 small dicts would trigger many useless collections
        for number, raw in enumerate(lines, start=1):
            record = _parse_object(raw)
            if record is not None and isinstance(record.get("hash"), str):
                last_hash = record["hash"]
            if record is not None and isinstance(record.get("seq"), int):
                last_seq = record["seq"]
            if first_bad is not None:
                continue
            problem = _verify(record, raw, number, previous)
            if problem is not None:
                first_bad, reason = number, problem
                continue
            assert record is not None
            records.append(record)
            previous = record["hash"]
    last_seq = max(last_seq, len(lines))
    if first_bad is None and head_path is not None:
        head_problem = _check_head(head_path, records)
        if head_problem is not None:
            first_bad, reason = head_problem
    return AuditRead(
        records=records,
        line_count=len(lines),
        first_bad_seq=first_bad,
        bad_reason=reason,
        torn_tail=torn,
        good_length=good_length,
        last_hash=last_hash,
        last_seq=last_seq,
    )


def _unreadable_reason(error: OSError) -> str:
    """Why the log cannot be verified, in words (never read through a link or from a pipe)."""
    if error.errno == errno.ELOOP:
        return "the log is a symbolic link; only a regular file is read"
    if error.errno == errno.EINVAL:
        return "the log is not a regular file (a folder, a pipe or a device)"
    return f"the log cannot be read ({error.strerror or error})"


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many acyclic objects (records, the
    matches and findings of a large report); anything cyclic is collected after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        # orjson is strict (UTF-8, 64-bit integers, no NaN); the standard parser decides, as
        # strictly (NaN and Infinity are not JSON).
        try:
            value = json.loads(raw.decode("utf-8"), parse_constant=_not_json)
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None
    return value if isinstance(value, dict) else None


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _has_duplicate_key(raw: bytes) -> bool:
    """Whether any object in the line names a key twice (readers would disagree on its value)."""
    duplicate = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicate
        table = dict(items)
        duplicate = duplicate or len(table) != len(items)
        return table

    try:
        json.loads(raw.decode("utf-8"), object_pairs_hook=pairs, parse_constant=_not_json)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False  # such a line never parsed as a record in the first place
    return duplicate


def _hash_matches(record: dict[str, Any]) -> bool:
    """True when ``hash`` is ``record_hash(record)``."""
    return _canonical_length(record) is not None


def _canonical_length(record: dict[str, Any]) -> int | None:
    """The length of the record's canonical line when its ``hash`` matches, else None.

    orjson writes the same canonical bytes as ``canonical_json`` (sorted keys, no spaces, the
    same escapes, UTF-8) for every value but floats, about four times faster; a record holding a
    float or deeper nesting, anything orjson refuses, or a mismatch is decided by
    ``canonical_json`` itself. The length lets the caller see, without serializing again, that
    a line holds more than its record (a key written twice).
    """
    body = dict(record)
    expected: object = body.pop("hash", None)
    if not isinstance(expected, str):
        return None
    if _orjson_safe(body):
        try:
            quick = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            quick = b""
        if quick and hashlib.sha256(quick).hexdigest() == expected:
            return _with_hash_length(len(quick), len(orjson.dumps(expected)))
    try:
        canonical = canonical_json(body).encode("utf-8")
    except UnicodeEncodeError:
        return None  # a lone surrogate ("\ud800") has no UTF-8 form, so no hash to match
    if hashlib.sha256(canonical).hexdigest() != expected and not _matches_null_filled(
        body, expected
    ):
        return None
    return _with_hash_length(len(canonical), len(canonical_json(expected).encode("utf-8")))


def _matches_null_filled(body: dict[str, Any], expected: str) -> bool:
    """§7 says absent values are null: a writer that left a field out on disk but hashed the
    record with every field (absent ones as null) wrote the same record."""
    missing = [name for name in RECORD_FIELDS if name not in body]
    if not missing:
        return False
    filled = {**dict.fromkeys(missing), **body}
    try:
        return hashlib.sha256(canonical_json(filled).encode("utf-8")).hexdigest() == expected
    except UnicodeEncodeError:
        return False


def _with_hash_length(body_length: int, hash_value_length: int) -> int:
    """Length of a canonical object once ``"hash":<value>`` is added to a body of that length."""
    member = len(b'"hash":') + hash_value_length
    return body_length + member + (0 if body_length == 2 else 1)  # a comma unless body is {}


_SCALARS = frozenset({str, int, bool, type(None)})


def _orjson_safe(body: dict[str, Any]) -> bool:
    """No floats, and containers only one level deep holding scalars (type checks only)."""
    for value in body.values():
        kind = type(value)
        if kind in _SCALARS:
            continue
        if kind is dict:
            items = value.values()
        elif kind is list:
            items = value
        else:
            return False
        for item in items:
            if type(item) not in _SCALARS:
                return False
    return True


def _verify(record: dict[str, Any] | None, raw: bytes, number: int, previous: str) -> str | None:
    if record is None:
        return "the line is not a JSON object"
    seq = record.get("seq")
    if type(seq) is not int or seq != number:
        return f"seq is {seq!r} on line {number} (records deleted, added or reordered)"
    if record.get("prev") != previous:
        return "prev does not match the previous record's hash"
    length = _canonical_length(record)
    if length is None:
        return "the record was edited after it was written (hash mismatch)"
    if len(raw.strip()) > length and _has_duplicate_key(raw):
        return "the record names a key twice (readers could disagree on its value)"
    return None


def _check_head(head_path: Path, records: list[dict[str, Any]]) -> tuple[int, str] | None:
    """The log must still hold the last record the relay wrote (catches a log cut short).

    Returns the first bad seq and why, or None.
    """
    try:
        head = json.loads(_read_small(head_path), parse_constant=_not_json)
        seq, digest = head["seq"], head["hash"]
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, OSError, RecursionError):
        seq, digest = None, None
    if type(seq) is not int or seq < 1 or not isinstance(digest, str):
        return len(records) + 1, f"the head file {head_path.name} is unreadable"
    if seq > len(records):
        return (
            len(records) + 1,
            f"the log ends at seq {len(records)} but the relay last wrote seq {seq} "
            "(log cut short)",
        )
    if seq >= 1 and records[seq - 1].get("hash") != digest:
        return seq, f"record {seq} differs from the one the relay last wrote"
    return None


def _read_log_bytes(path: Path) -> bytes:
    """The whole log; empty when missing. A symlink, FIFO or folder raises OSError."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return b""
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        chunks = []
        while chunk := os.read(descriptor, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def _read_small(path: Path, limit: int = 4096) -> bytes:
    """Read a small regular file without following a symlink or blocking on a FIFO."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(errno.EINVAL, f"{path.name} is not a regular file")
        return os.read(descriptor, limit)
    finally:
        os.close(descriptor)


#: Bytes read from the end of the log at a time when ``append`` looks for the last record.
_TAIL_CHUNK = 64 * 1024


def _append_position(path: Path) -> AuditRead:
    """Where the next record goes (last seq and hash, a torn tail), read from the log's end.

    Reading and verifying the whole log on every append would make appends slower as the log
    grows. When the log is larger than one chunk and its last complete line is a record with
    a ``seq`` and a ``hash``, the end of the file is enough; it is read exactly as ``read_log``
    reads it (the same torn-tail rules). Anything else falls back to ``read_log``.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return read_log(path)
    try:
        info = os.fstat(descriptor)
        size = info.st_size
        if not stat.S_ISREG(info.st_mode) or size <= _TAIL_CHUNK:
            return read_log(path)
        chunk = _TAIL_CHUNK
        while True:
            start = max(0, size - chunk)
            tail = os.pread(descriptor, size - start, start)
            if len(tail) != size - start:
                return read_log(path)
            if start == 0 or tail.count(b"\n") >= 3:
                break
            chunk *= 4
    finally:
        os.close(descriptor)
    if start == 0:
        return read_log(path)
    lines = tail.split(b"\n")[1:]  # the first piece may be the end of an earlier line
    torn: bytes | None = None
    if lines[-1] == b"":
        lines.pop()
    else:
        torn = lines.pop()
    if torn is None and _parse_object(lines[-1]) is None:
        torn = lines.pop() + b"\n"
    last = _parse_object(lines[-1]) if lines else None
    if last is None:
        return read_log(path)
    seq, digest = last.get("seq"), last.get("hash")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1 or not isinstance(digest, str):
        return read_log(path)
    return AuditRead(
        line_count=seq,
        torn_tail=torn,
        good_length=size - (len(torn) if torn is not None else 0),
        last_hash=digest,
        last_seq=seq,
    )


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    import fcntl

    lock_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


def _write_all(descriptor: int, payload: bytes) -> None:
    written = os.write(descriptor, payload)
    if written != len(payload):
        raise OSError(errno.EIO, f"short write ({written} of {len(payload)} bytes)")
    os.fsync(descriptor)


class AuditLog:
    """``.relay/audit.jsonl`` with its lock file and head file beside it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        self.head_path = path.with_name(path.name + ".head")

    def read(self) -> AuditRead:
        """Read and verify (no lock needed: appends are whole lines)."""
        return read_log(self.path, self.head_path)

    def all_records(self) -> list[dict[str, Any]]:
        """Every complete line that parses as an object, verified or not (for listing)."""
        try:
            data = _read_log_bytes(self.path)
        except OSError:
            return []
        lines = data.split(b"\n")[:-1]
        return [record for record in map(_parse_object, lines) if record is not None]

    def append(
        self,
        event: str,
        actor: str,
        *,
        now: dt.datetime | None = None,
        **values: Any,
    ) -> dict[str, Any]:
        """Append one record and fsync it before returning; ``AuditWriteError`` otherwise.

        A torn tail found under the lock is first moved to ``audit.jsonl.torn-<seq>``
        and a ``TORN_TAIL_SET_ASIDE`` record says so.
        """
        unknown = set(values) - set(RECORD_FIELDS)
        if unknown:
            raise ValueError(f"unknown audit fields: {sorted(unknown)}")
        values = {
            name: redact_secrets(value) if name in TEXT_FIELDS and isinstance(value, str) else value
            for name, value in values.items()
        }
        try:
            with _locked(self.lock_path):
                state = _append_position(self.path)
                seq, previous = state.last_seq, state.last_hash
                if state.torn_tail is not None:
                    aside = self._set_aside(state, seq + 1)
                    note = f"{len(state.torn_tail)} torn bytes moved to {aside.name}"
                    marker = self._write_record(
                        TORN_TAIL_SET_ASIDE, "relay", seq, previous, now, {"note": note}
                    )
                    seq, previous = marker["seq"], marker["hash"]
                return self._write_record(event, actor, seq, previous, now, values)
        except OSError as error:
            raise AuditWriteError(
                f"the audit record was not written: {error.strerror or error}"
            ) from error

    def _set_aside(self, state: AuditRead, seq: int) -> Path:
        assert state.torn_tail is not None
        aside = self.path.with_name(f"{self.path.name}.torn-{seq}")
        counter = 2
        while aside.exists():
            aside = self.path.with_name(f"{self.path.name}.torn-{seq}.{counter}")
            counter += 1
        descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            _write_all(descriptor, state.torn_tail)
        finally:
            os.close(descriptor)
        descriptor = os.open(self.path, os.O_WRONLY)
        try:
            os.ftruncate(descriptor, state.good_length)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        return aside

    def _write_record(
        self,
        event: str,
        actor: str,
        seq: int,
        previous: str,
        now: dt.datetime | None,
        values: dict[str, Any],
    ) -> dict[str, Any]:
        record: dict[str, Any] = {name: None for name in RECORD_FIELDS}
        record.update(values)
        record.update(seq=seq + 1, ts=utc_stamp(now), event=event, actor=actor, prev=previous)
        record["hash"] = record_hash(record)
        line = (disk_json(record) + "\n").encode("utf-8")
        created = not self.path.exists()
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
        descriptor = os.open(self.path, flags, 0o600)
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                raise OSError(errno.EINVAL, "the audit log is not a regular file")
            start = info.st_size
            try:
                _write_all(descriptor, line)
            except OSError:
                _truncate_quietly(self.path, start)
                raise
        finally:
            os.close(descriptor)
        if created:
            _fsync_folder(self.path.parent)
        try:
            self._write_head(record)
        except OSError:
            # A record whose append is reported as failed must not stay in the log.
            _truncate_quietly(self.path, start)
            raise
        return record

    def _write_head(self, record: dict[str, Any]) -> None:
        temporary = self.head_path.with_name(self.head_path.name + ".tmp")
        payload = canonical_json({"seq": record["seq"], "hash": record["hash"]}).encode("utf-8")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            _write_all(descriptor, payload)
        finally:
            os.close(descriptor)
        os.replace(temporary, self.head_path)


def _truncate_quietly(path: Path, length: int) -> None:
    """Best effort: cut the log back to ``length`` bytes after a failed append."""
    with contextlib.suppress(OSError):
        descriptor = os.open(path, os.O_WRONLY)
        try:
            os.ftruncate(descriptor, length)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def is_human(record: dict[str, Any]) -> bool:
    """True when the record's actor is ``human:<login>``."""
    actor = record.get("actor")
    return isinstance(actor, str) and actor.startswith("human:") and len(actor) > len("human:")


@dataclass(frozen=True)
class AuditView:
    """What the trusted records say: authorizations, holds, closed links, blocked reports."""

    read: AuditRead = field(default_factory=AuditRead)

    @classmethod
    def of(cls, log: AuditLog) -> AuditView:
        """Read the log once and build the view."""
        return cls(read=log.read())

    @property
    def records(self) -> list[dict[str, Any]]:
        return self.read.records

    def card_authorized(self, workblock: str, card_sha256: str) -> bool:
        """A human ``CARD_AUTHORIZED`` record for this card body exists."""
        return any(
            record.get("event") == CARD_AUTHORIZED
            and record.get("workblock") == workblock
            and record.get("card_sha256") == card_sha256
            and is_human(record)
            for record in self.records
        )

    def on_hold(self, workblock: str) -> bool:
        """The latest abort or hold of the workblock has no later human release."""
        held = False
        for record in self.records:
            if record.get("workblock") != workblock:
                continue
            event = record.get("event")
            if event in (RELAY_ABORTED, HOLD_SET):
                held = True
            elif event == HOLD_RELEASED and is_human(record):
                held = False
        return held

    def link_closed(self, workblock: str) -> bool:
        """A human ``LINK_CLOSED`` record exists for the workblock."""
        return any(
            record.get("event") == LINK_CLOSED
            and record.get("workblock") == workblock
            and is_human(record)
            for record in self.records
        )

    def blocked_recorded(self, report_sha256: str) -> bool:
        """A ``VALIDATION_BLOCKED`` record exists for this report hash."""
        return any(
            record.get("event") == VALIDATION_BLOCKED
            and record.get("report_sha256") == report_sha256
            for record in self.records
        )

    def relayed(self, report_sha256: str, message_sha256: str) -> bool:
        """This exact message of this exact report was already confirmed by a human."""
        return any(
            record.get("event") == RELAY_CONFIRMED
            and record.get("report_sha256") == report_sha256
            and record.get("message_sha256") == message_sha256
            and is_human(record)
            for record in self.records
        )
