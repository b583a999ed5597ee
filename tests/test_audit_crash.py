"""The audit log under crashes and concurrency: real child processes, real SIGKILL, real locks."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from relay_tui.core import audit
from relay_tui.core.audit import (
    GENESIS,
    RECORD_FIELDS,
    TORN_TAIL_SET_ASIDE,
    AuditLog,
    canonical_json,
    read_log,
    record_hash,
)

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")

RELAY_TUI = Path(sys.executable).with_name("relay-tui")

#: The code every child process runs. Modes:
#:   torn LOG          append one record, but stop after writing half of its line and wait
#:   loop LOG TEAR_AT  append records forever, printing "ACK seq hash" after each returns;
#:                     the TEAR_AT-th append (0 = never) stops halfway like ``torn``
#:   burst LOG GO N NAME  wait until the file GO exists, then append N records at once
CHILD = r"""
import os, sys, time
from pathlib import Path
from relay_tui.core import audit

mode, log_path = sys.argv[1], Path(sys.argv[2])
log = audit.AuditLog(log_path)
real_write_all = audit._write_all
tear = {"armed": False}

def tearing_write_all(descriptor, payload):
    if tear["armed"] and payload.endswith(b"\n"):
        os.write(descriptor, payload[: len(payload) // 2])
        os.fsync(descriptor)
        print("TORN", flush=True)
        time.sleep(120)
    return real_write_all(descriptor, payload)

audit._write_all = tearing_write_all

if mode == "torn":
    tear["armed"] = True
    log.append("RELAY_CONFIRMED", "human:child", workblock="WB-1", note="never finished")
elif mode == "loop":
    tear_at = int(sys.argv[3])
    count = 0
    while True:
        count += 1
        tear["armed"] = count == tear_at
        note = f"pid {os.getpid()}"
        record = log.append("RECEIPT_REVIEWED", "relay", workblock="WB-1", note=note)
        print(f"ACK {record['seq']} {record['hash']}", flush=True)
elif mode == "burst":
    go, count, name = Path(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    print("READY", flush=True)
    while not go.exists():
        time.sleep(0.001)
    for index in range(count):
        log.append("RECEIPT_REVIEWED", "relay", workblock="WB-1", note=f"{name} {index}")
"""


def child(*arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(process: subprocess.Popen[str], expected: str, timeout: float = 20.0) -> str:
    """Read the child's stdout until a line starting with ``expected`` (or fail)."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith(expected):
            return line
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"child never printed {expected!r}: {process.communicate()[1]}")


def kill(process: subprocess.Popen[str]) -> str:
    """SIGKILL the child; return what it printed that was not read yet."""
    os.kill(process.pid, signal.SIGKILL)
    remaining, _ = process.communicate(timeout=20)
    assert process.returncode == -signal.SIGKILL
    return remaining


def verify_cli(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RELAY_TUI), "audit", "verify", "--project", str(project)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def write_chained(path: Path, count: int, *, note_size: int = 40) -> list[dict[str, Any]]:
    """``count`` valid chained records written directly (a big log in milliseconds)."""
    previous = GENESIS
    records = []
    for seq in range(1, count + 1):
        record: dict[str, Any] = dict.fromkeys(RECORD_FIELDS)
        record.update(
            seq=seq,
            ts=f"2026-01-01T00:00:{seq % 60:02d}.000000Z",
            event="RECEIPT_REVIEWED",
            actor="relay",
            workblock="WB-1",
            note="n" * note_size,
            prev=previous,
        )
        record["hash"] = record_hash(record)
        previous = record["hash"]
        records.append(record)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(canonical_json(item) + "\n" for item in records), encoding="utf-8")
    return records


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".relay").mkdir()
    return tmp_path


def log_of(project: Path) -> AuditLog:
    return AuditLog(project / ".relay" / "audit.jsonl")


@pytest.mark.parametrize("existing", [3, 400], ids=["small-log", "log-over-64KiB"])
def test_sigkill_mid_append_leaves_a_torn_tail_that_is_reported_then_set_aside(
    project: Path, existing: int
) -> None:
    log = log_of(project)
    if existing > 10:
        write_chained(log.path, existing)
    else:
        for index in range(existing):
            log.append("HOLD_SET", "human:alice", workblock="WB-1", note=str(index))
    assert log.path.stat().st_size > 64 * 1024 or existing < 10

    process = child("torn", str(log.path))
    wait_for_line(process, "TORN")
    kill(process)

    data = log.path.read_bytes()
    assert not data.endswith(b"\n"), "the kill left half a line"
    torn = data[data.rindex(b"\n") + 1 :]
    assert b"RELAY_CONFIRMED" in torn

    verify = verify_cli(project)
    assert verify.returncode == 1
    assert "torn" in verify.stdout
    assert log.path.read_bytes() == data, "verify never writes"

    record = log.append("HOLD_RELEASED", "human:alice", workblock="WB-1")
    aside = project / ".relay" / f"audit.jsonl.torn-{existing + 1}"
    assert aside.read_bytes() == torn
    after = read_log(log.path)
    assert after.intact and after.torn_tail is None
    assert [item["event"] for item in after.records[-2:]] == [TORN_TAIL_SET_ASIDE, "HOLD_RELEASED"]
    marker = after.records[-2]
    assert marker["seq"] == existing + 1 and aside.name in marker["note"]
    assert record["seq"] == existing + 2 and record["prev"] == marker["hash"]
    assert verify_cli(project).returncode == 0


def _expected_position(path: Path) -> tuple[int, str, bytes | None, int]:
    read = read_log(path)
    return read.last_seq, read.last_hash, read.torn_tail, read.good_length


def _actual_position(path: Path) -> tuple[int, str, bytes | None, int]:
    read = audit._append_position(path)
    return read.last_seq, read.last_hash, read.torn_tail, read.good_length


#: Tails the fast path handles alone (the others fall back to a full read).
TAILS_READ_WITHOUT_A_FULL_READ = (
    b"",
    b'{"seq": 901, "event": "RELAY_CONF',
    b'{"seq": 901, "event": "RELAY_CONF\n',
    b"\xff\xfe not utf-8\n",
)


def _no_full_read(*_: object) -> None:
    raise AssertionError("append read the whole log")


@pytest.mark.parametrize(
    "tail",
    [
        b"",
        b'{"seq": 901, "event": "RELAY_CONF',
        b'{"seq": 901, "event": "RELAY_CONF\n',
        b"\xff\xfe not utf-8\n",
        b'{"no": "seq or hash"}\n',
        b"[1, 2, 3]\n",
        b"x" * (300 * 1024),
        b"\n",
    ],
    ids=[
        "clean",
        "unterminated",
        "unparseable-last-line",
        "binary-last-line",
        "record-without-seq",
        "not-an-object",
        "torn-tail-over-the-chunk",
        "empty-last-line",
    ],
)
def test_append_reads_only_the_tail_yet_agrees_with_a_full_read(
    tmp_path: Path, tail: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tail reader behind ``append`` finds what ``read_log`` finds, for every tail shape."""
    path = tmp_path / "audit.jsonl"
    write_chained(path, 900)
    with path.open("ab") as handle:
        handle.write(tail)
    assert path.stat().st_size > 64 * 1024
    expected = _expected_position(path)
    if tail in TAILS_READ_WITHOUT_A_FULL_READ:
        with monkeypatch.context() as patch:
            patch.setattr(audit, "read_log", _no_full_read)
            assert _actual_position(path) == expected
    assert _actual_position(path) == expected
    record = AuditLog(path).append("HOLD_SET", "human:alice", workblock="WB-1")
    assert record["seq"] >= 901
    after = read_log(path)
    if tail in (b"", b'{"seq": 901, "event": "RELAY_CONF', b'{"seq": 901, "event": "RELAY_CONF\n'):
        assert after.intact, after.describe()


def test_append_time_does_not_depend_on_the_log_before_its_tail(tmp_path: Path) -> None:
    """A corrupted early record does not slow or change appends (only the tail is read)."""
    path = tmp_path / "audit.jsonl"
    records = write_chained(path, 2000)
    data = bytearray(path.read_bytes())
    data[100] = ord("#")  # breaks record 1; a full read would have to verify everything
    path.write_bytes(bytes(data))
    record = AuditLog(path).append("HOLD_SET", "human:alice", workblock="WB-1")
    assert record["seq"] == 2001 and record["prev"] == records[-1]["hash"]
    assert read_log(path).first_bad_seq == 1


@pytest.mark.parametrize("writers", [2, 4])
def test_processes_appending_at_once_never_interleave_or_break_the_chain(
    project: Path, writers: int
) -> None:
    log = log_of(project)
    go = project / "go"
    per_writer = 40
    processes = [
        child("burst", str(log.path), str(go), str(per_writer), f"w{index}")
        for index in range(writers)
    ]
    for process in processes:
        wait_for_line(process, "READY")
    go.touch()
    for process in processes:
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors

    data = log.path.read_bytes()
    lines = data.split(b"\n")
    assert lines[-1] == b"" and len(lines) - 1 == writers * per_writer
    for raw in lines[:-1]:
        record = json.loads(raw)
        assert raw.decode("utf-8") == canonical_json(record), "a line was interleaved"
    read = read_log(log.path, log.head_path)
    assert read.intact, read.describe()
    assert [record["seq"] for record in read.records] == list(range(1, writers * per_writer + 1))
    notes = sorted(record["note"] for record in read.records)
    assert notes == sorted(f"w{w} {i}" for w in range(writers) for i in range(per_writer))
    assert verify_cli(project).returncode == 0


def test_repeated_kills_lose_no_acknowledged_record(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = log_of(project)
    random_source = random.Random(20261124)
    acknowledged: dict[int, str] = {}
    rounds = 12
    torn_rounds = 0
    for round_number in range(rounds):
        tear_at = random_source.randint(2, 6) if round_number % 2 else 0
        process = child("loop", str(log.path), str(tear_at))
        first = wait_for_line(process, "ACK")
        lines = [first]
        if tear_at:
            lines += _read_until(process, "TORN")
            torn_rounds += 1
        else:
            time.sleep(random_source.uniform(0.005, 0.06))
        lines += kill(process).splitlines()
        for line in lines:
            if line.startswith("ACK "):
                _, seq, digest = line.split()
                assert int(seq) not in acknowledged or acknowledged[int(seq)] == digest
                acknowledged[int(seq)] = digest

    log.append("HOLD_SET", "human:alice", workblock="WB-1", note="final")
    read = read_log(log.path, log.head_path)
    assert read.intact, read.describe()
    kept = {record["seq"]: record["hash"] for record in read.records}
    lost = [seq for seq, digest in acknowledged.items() if kept.get(seq) != digest]
    set_aside = [record for record in read.records if record["event"] == TORN_TAIL_SET_ASIDE]
    asides = sorted(path.name for path in log.path.parent.glob("audit.jsonl.torn-*"))
    with capsys.disabled():
        print(
            f"\n[audit crash] kills: {rounds} ({torn_rounds} mid-line), acknowledged records: "
            f"{len(acknowledged)}, lost: {len(lost)}, torn tails set aside: {len(set_aside)}"
        )
    assert lost == []
    assert len(set_aside) >= torn_rounds and len(asides) == len(set_aside)
    assert verify_cli(project).returncode == 0


def _read_until(process: subprocess.Popen[str], marker: str) -> list[str]:
    assert process.stdout is not None
    lines = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith(marker):
            return lines
    raise AssertionError(f"child never printed {marker!r}")


def test_a_clock_set_backwards_does_not_matter(project: Path) -> None:
    log = log_of(project)
    log.append("HOLD_SET", "human:alice", now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    log.append("HOLD_RELEASED", "human:alice", now=dt.datetime(1999, 1, 1, tzinfo=dt.UTC))
    read = log.read()
    assert read.intact and [record["seq"] for record in read.records] == [1, 2]
