"""Contract section 7: the hash-chained audit log (append, verify, torn tails, disk errors)."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from relay_tui.core import audit as audit_module
from relay_tui.core.audit import GENESIS, AuditLog, AuditWriteError, read_log

CONTRACT_FIELDS = {
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
    "hash",
}


def independent_hash(record: dict[str, object]) -> str:
    body = {key: value for key, value in record.items() if key != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    (tmp_path / ".relay").mkdir()
    return AuditLog(tmp_path / ".relay" / "audit.jsonl")


def fill(log: AuditLog, count: int) -> list[dict[str, object]]:
    return [
        log.append("HOLD_SET", "human:alice", workblock=f"WB-{index}", note=f"record {index} ☕")
        for index in range(1, count + 1)
    ]


def lines_of(log: AuditLog) -> list[bytes]:
    return log.path.read_bytes().split(b"\n")[:-1]


def write_lines(log: AuditLog, lines: list[bytes], final_newline: bool = True) -> None:
    log.path.write_bytes(b"\n".join(lines) + (b"\n" if final_newline else b""))


# --- records ----------------------------------------------------------------------------


def test_records_have_the_contract_fields_seq_prev_and_hash(log: AuditLog) -> None:
    records = fill(log, 3)
    on_disk = [json.loads(line) for line in lines_of(log)]
    assert on_disk == records
    for index, record in enumerate(on_disk, start=1):
        assert set(record) == CONTRACT_FIELDS
        assert record["seq"] == index
        assert record["hash"] == independent_hash(record)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", record["ts"])
        assert record["report_path"] is None and record["card_sha256"] is None
    assert on_disk[0]["prev"] == GENESIS == "0" * 64
    assert [record["prev"] for record in on_disk[1:]] == [record["hash"] for record in on_disk[:-1]]
    assert "record 1 ☕".encode() in log.path.read_bytes()


def test_ts_is_utc_whatever_the_zone_of_now(log: AuditLog) -> None:
    zone = dt.timezone(dt.timedelta(hours=5, minutes=30))
    record = log.append("HOLD_SET", "human:a", now=dt.datetime(2026, 1, 2, 5, 30, tzinfo=zone))
    assert record["ts"].startswith("2026-01-02T00:00:00")
    assert record["ts"].endswith("Z")


def test_unknown_fields_are_refused(log: AuditLog) -> None:
    with pytest.raises(ValueError):
        log.append("HOLD_SET", "human:a", hash="f" * 64)
    with pytest.raises(ValueError):
        log.append("HOLD_SET", "human:a", whatever=1)
    assert not log.path.exists()


def test_card_authorized_carries_card_sha256(log: AuditLog) -> None:
    record = log.append("CARD_AUTHORIZED", "human:a", workblock="WB-1", card_sha256="a" * 64)
    assert json.loads(lines_of(log)[0])["card_sha256"] == "a" * 64 == record["card_sha256"]


# --- verify -----------------------------------------------------------------------------


def test_missing_and_empty_logs_verify(log: AuditLog) -> None:
    assert log.read().intact
    log.path.write_bytes(b"")
    read = log.read()
    assert read.intact and read.records == [] and read.first_bad_seq is None


def test_whitespace_and_key_order_on_disk_are_free(log: AuditLog) -> None:
    fill(log, 2)
    rewritten = []
    for line in lines_of(log):
        record = json.loads(line)
        reordered = dict(reversed(list(record.items())))
        rewritten.append(json.dumps(reordered, indent=None, separators=(" , ", " : ")).encode())
    write_lines(log, rewritten)
    assert log.read().intact


@pytest.mark.parametrize("line", [1, 2, 4])
def test_one_edited_byte_names_that_seq(log: AuditLog, line: int) -> None:
    fill(log, 4)
    lines = lines_of(log)
    lines[line - 1] = lines[line - 1].replace(b"record", b"rekord", 1)
    write_lines(log, lines)
    read = log.read()
    assert read.first_bad_seq == line
    assert not read.intact
    assert len(read.records) == line - 1
    assert read.bad_reason


def test_garbage_line_in_the_middle_is_a_broken_chain(log: AuditLog) -> None:
    fill(log, 3)
    lines = lines_of(log)
    lines[1] = b"\xff\xfe not json"
    write_lines(log, lines)
    read = log.read()
    assert read.first_bad_seq == 2 and read.torn_tail is None


def test_deleted_record_is_caught(log: AuditLog) -> None:
    fill(log, 4)
    lines = lines_of(log)
    del lines[1]
    write_lines(log, lines)
    assert log.read().first_bad_seq == 2


def test_reordered_records_are_caught(log: AuditLog) -> None:
    fill(log, 4)
    lines = lines_of(log)
    lines[1], lines[2] = lines[2], lines[1]
    write_lines(log, lines)
    assert log.read().first_bad_seq == 2


def test_renumbered_and_rehashed_record_is_still_caught_by_prev(log: AuditLog) -> None:
    fill(log, 3)
    lines = lines_of(log)
    record = json.loads(lines[1])
    record["note"] = "forged"
    record["hash"] = independent_hash(record)
    lines[1] = json.dumps(record).encode()
    write_lines(log, lines)
    assert log.read().first_bad_seq == 3


def test_log_cut_short_is_caught_against_the_head(log: AuditLog) -> None:
    fill(log, 3)
    write_lines(log, lines_of(log)[:2])
    read = log.read()
    assert read.first_bad_seq == 3
    assert "cut short" in (read.bad_reason or "")
    log.path.unlink()
    assert log.read().first_bad_seq == 1


def test_replaced_last_record_is_caught_against_the_head(log: AuditLog) -> None:
    fill(log, 2)
    lines = lines_of(log)
    record = json.loads(lines[1])
    record["note"] = "forged"
    record["hash"] = independent_hash(record)
    lines[1] = json.dumps(record).encode()
    write_lines(log, lines)
    assert log.read().first_bad_seq == 2


def test_clock_set_backwards_does_not_matter(log: AuditLog) -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for offset in (0, -10, -20, 5):
        log.append("HOLD_SET", "human:a", now=start + dt.timedelta(days=offset))
    read = log.read()
    assert read.intact and [record["seq"] for record in read.records] == [1, 2, 3, 4]


# --- torn tails -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tail", "final_newline"),
    [(b'{"seq": 4, "event": "RELAY_CONF', False), (b'{"seq": 4, "ev', True), (b"{}", False)],
    ids=["no-newline", "unparseable-line", "no-newline-but-parses"],
)
def test_torn_tail_is_reported_and_verify_does_not_touch_the_file(
    log: AuditLog, tail: bytes, final_newline: bool
) -> None:
    fill(log, 3)
    write_lines(log, [*lines_of(log), tail], final_newline=final_newline)
    before = log.path.read_bytes()
    stat_before = log.path.stat()
    read = log.read()
    assert read.torn_tail is not None and not read.intact
    assert read.first_bad_seq is None
    assert len(read.records) == 3
    assert log.path.read_bytes() == before
    assert log.path.stat().st_mtime_ns == stat_before.st_mtime_ns
    assert not list(log.path.parent.glob("audit.jsonl.torn-*"))


def test_next_append_sets_the_torn_tail_aside_and_records_it(log: AuditLog) -> None:
    fill(log, 3)
    tail = b'{"seq": 4, "event": "RELAY_CONF'
    write_lines(log, [*lines_of(log), tail], final_newline=False)
    record = log.append("HOLD_RELEASED", "human:alice", workblock="WB-1")
    aside = log.path.parent / "audit.jsonl.torn-4"
    assert aside.read_bytes() == tail
    read = log.read()
    assert read.intact
    events = [item["event"] for item in read.records]
    assert events[3] == "TORN_TAIL_SET_ASIDE"
    assert "audit.jsonl.torn-4" in read.records[3]["note"]
    assert read.records[3]["actor"] == "relay"
    assert record["seq"] == 5 and events[4] == "HOLD_RELEASED"


def test_second_torn_tail_with_the_same_seq_never_overwrites(log: AuditLog) -> None:
    fill(log, 1)
    (log.path.parent / "audit.jsonl.torn-2").write_bytes(b"older")
    with log.path.open("ab") as handle:
        handle.write(b"{partial")
    log.append("HOLD_SET", "human:a")
    assert (log.path.parent / "audit.jsonl.torn-2").read_bytes() == b"older"
    kept = [path.read_bytes() for path in log.path.parent.glob("audit.jsonl.torn-2*")]
    assert sorted(kept) == [b"older", b"{partial"]


# --- durability and disk errors ---------------------------------------------------------


def test_append_fsyncs_the_log_before_returning(
    log: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def spy(descriptor: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        real_fsync(descriptor)

    monkeypatch.setattr(audit_module.os, "fsync", spy)
    log.append("HOLD_SET", "human:a")
    assert str(log.path) in synced


@pytest.mark.parametrize("failing", ["fsync", "write", "short-write", "head"], ids=str)
def test_disk_errors_raise_and_leave_no_record(
    log: AuditLog, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    fill(log, 2)
    before = log.path.read_bytes()
    real_write, real_replace = os.write, os.replace

    def broken_fsync(descriptor: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    def broken_write(descriptor: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def short_write(descriptor: int, data: bytes) -> int:
        return real_write(descriptor, data[: len(data) // 2])

    def broken_replace(source: object, target: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    patches = {
        "fsync": ("fsync", broken_fsync),
        "write": ("write", broken_write),
        "short-write": ("write", short_write),
        "head": ("replace", broken_replace),
    }
    name, replacement = patches[failing]
    monkeypatch.setattr(audit_module.os, name, replacement)
    with pytest.raises(AuditWriteError) as raised:
        log.append("RELAY_CONFIRMED", "human:alice", workblock="WB-1")
    assert str(raised.value)
    monkeypatch.setattr(audit_module.os, "write", real_write)
    monkeypatch.setattr(audit_module.os, "replace", real_replace)
    assert log.path.read_bytes() == before
    read = log.read()
    assert read.intact and len(read.records) == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_folder_raises_audit_write_error(tmp_path: Path) -> None:
    folder = tmp_path / ".relay"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(AuditWriteError):
            AuditLog(folder / "audit.jsonl").append("HOLD_SET", "human:a")
    finally:
        folder.chmod(0o700)


def test_read_only_log_file_raises_audit_write_error(
    log: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(log, 1)
    real_open = os.open

    def refusing_open(path: object, flags: int, mode: int = 0o777) -> int:
        if str(path) == str(log.path) and flags & os.O_WRONLY:
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(audit_module.os, "open", refusing_open)
    with pytest.raises(AuditWriteError, match="Read-only"):
        log.append("HOLD_SET", "human:a")


def test_concurrent_appends_from_processes_never_interleave(log: AuditLog) -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from relay_tui.core.audit import AuditLog\n"
        "log = AuditLog(Path(sys.argv[1]))\n"
        "for index in range(25):\n"
        "    log.append('HOLD_SET', 'human:p', note=sys.argv[2] + '-' + str(index) + 'x' * 3000)\n"
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", script, str(log.path), str(number)])
        for number in range(4)
    ]
    assert [worker.wait(timeout=60) for worker in workers] == [0] * 4
    read = read_log(log.path)
    assert read.intact
    assert len(read.records) == 100
    assert sorted(record["note"][:4] for record in read.records)[0].startswith("0-")


def _forged(records: list[dict[str, object]]) -> bytes:
    """Records hashed and chained exactly as given (independently of the relay's writer)."""
    lines = []
    previous = GENESIS
    for record in records:
        record = {**record, "prev": previous}
        record["hash"] = independent_hash(record)
        previous = str(record["hash"])
        lines.append(json.dumps(record, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.mark.parametrize("seq", [True, 1.0])
def test_a_seq_that_only_equals_one_is_not_seq_one(log: AuditLog, seq: object) -> None:
    log.path.write_bytes(_forged([{"seq": seq, "event": "HOLD_SET", "actor": "human:a"}]))
    read = log.read()
    assert read.first_bad_seq == 1 and "seq is" in (read.bad_reason or "")


def test_nan_in_a_record_is_not_json(log: AuditLog) -> None:
    fill(log, 1)
    record = {"seq": 2, "event": "HOLD_SET", "actor": "human:a", "note": float("nan")}
    record["prev"] = json.loads(lines_of(log)[0])["hash"]
    record["hash"] = independent_hash(record)  # json.dumps writes NaN, which JSON lacks
    with log.path.open("ab") as handle:
        handle.write(json.dumps(record).encode() + b"\n")
    read = log.read()
    assert not read.intact and len(read.records) == 1


def test_a_key_written_twice_breaks_the_chain(log: AuditLog) -> None:
    fill(log, 2)
    first, second = lines_of(log)
    doubled = b'{"actor":"relay",' + second[1:]  # the same record, with "actor" twice
    log.path.write_bytes(first + b"\n" + doubled + b"\n")
    assert json.loads(doubled)["actor"] == "human:alice"  # what this reader sees: the last
    read = log.read()
    assert read.first_bad_seq == 2 and "twice" in (read.bad_reason or "")


@pytest.mark.parametrize(
    "head",
    [b'{"seq":1e400,"hash":"x"}', b'{"seq":0,"hash":"x"}', b'{"seq":"1","hash":"x"}', b"[]"],
)
def test_a_crafted_head_file_is_reported_never_a_crash(log: AuditLog, head: bytes) -> None:
    fill(log, 3)
    log.head_path.write_bytes(head)
    read = log.read()
    assert read.first_bad_seq == 4 and "head file" in (read.bad_reason or "")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "relay_tui.cli",
            "audit",
            "verify",
            "--project",
            log.path.parent.parent,
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr and "head file" in done.stdout


def test_a_symlinked_log_is_refused_with_a_reason(tmp_path: Path, log: AuditLog) -> None:
    real = tmp_path / "elsewhere.jsonl"
    other = AuditLog(real)
    other.append("HOLD_SET", "human:alice", workblock="WB-1")
    log.path.symlink_to(real)
    read = log.read()
    assert read.first_bad_seq == 1 and "symbolic link" in (read.bad_reason or "")


def test_hidden_characters_are_escaped_on_disk_and_the_chain_verifies(log: AuditLog) -> None:
    name = ".relay/reports/a\u202eb\x7fc\x9bd\U000e0041e\u200b.md"
    record = log.append("VALIDATION_BLOCKED", "relay", report_path=name)
    raw = log.path.read_bytes()
    for char in "\u202e\x7f\x9b\U000e0041\u200b":
        assert char.encode("utf-8") not in raw
    assert b"\\u202e" in raw and b"\\udb40\\udc41" in raw
    read = log.read()
    assert read.intact and read.records[0]["report_path"] == name
    assert record["hash"] == independent_hash(read.records[0])


def test_a_credential_in_a_text_field_never_reaches_the_disk(log: AuditLog) -> None:
    token = "ghp_" + "k3J9xQ2mV7pL4sT8wZ1bN6cR0dF5gH2jY9uE"
    record = log.append(
        "RELAY_ABORTED", "human:alice", workblock=token, report_path=f"r/{token}.md", note=token
    )
    raw = log.path.read_text("utf-8")
    assert token not in raw and raw.count("[REDACTED:") == 3
    assert log.read().intact and record["workblock"].startswith("[REDACTED:")


def test_absent_fields_may_be_left_out_on_disk_or_hashed_as_null(log: AuditLog) -> None:
    """§7: absent values are null. Either way of writing that verifies; an edit still breaks."""
    written_sparse = {"seq": 1, "event": "HOLD_SET", "actor": "human:a", "prev": GENESIS}
    written_sparse["hash"] = independent_hash(written_sparse)  # hashed as written
    filled = {name: None for name in CONTRACT_FIELDS - {"hash"}}
    filled.update(seq=2, event="HOLD_SET", actor="human:b", prev=written_sparse["hash"])
    sparse_on_disk = {key: value for key, value in filled.items() if value is not None}
    sparse_on_disk["hash"] = independent_hash(filled)  # hashed with every field, nulls in
    lines = [json.dumps(written_sparse), json.dumps(sparse_on_disk)]
    log.path.write_text("\n".join(lines) + "\n", "utf-8")
    read = log.read()
    assert read.intact and len(read.records) == 2
    assert log.append("HOLD_SET", "human:c")["seq"] == 3 and log.read().intact
    lines[1] = lines[1].replace("human:b", "human:x")
    log.path.write_text("\n".join(lines) + "\n", "utf-8")
    assert log.read().first_bad_seq == 2
