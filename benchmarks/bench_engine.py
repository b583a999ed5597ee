"""Engine benchmarks: validation speed beside its floor, audit append and verify times.

Run: ``.venv/bin/python benchmarks/bench_engine.py`` (``make bench`` runs it with the others).
Every figure is measured in this run; ratios compare with a floor measured in the same run.
Set ``RELAY_BENCH_DIR`` to measure on another filesystem (the default is the system temp dir).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from relay_tui.core.audit import (
    CARD_AUTHORIZED,
    GENESIS,
    RECORD_FIELDS,
    AuditLog,
    canonical_json,
    read_log,
    record_hash,
    utc_stamp,
)
from relay_tui.core.relay import authorize_card
from relay_tui.core.report import parse_report
from relay_tui.core.rules import RULES
from relay_tui.core.validate import ProjectSnapshot, validate_bytes
from relay_tui.core.workspace import Workspace

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
WORKBLOCK = "WB-042"
CARD = """\
id = "WB-042"
title = "Split the billing service into modules"
goal = "Move invoice, tax and payment code into their own modules without changing behaviour."
allowed_paths = ["src/**", "tests/**", "docs/**"]
forbidden_paths = [".github/**", "**/.env"]
"""
STATE = f"""\
revision = 12
updated_at = {NOW.strftime("%Y-%m-%dT%H:%M:%SZ")}
active_workblock = "{WORKBLOCK}"
source_of_truth = "docs/plan.md"
"""

#: Targets from the issue; a miss is printed, never hidden.
TARGET_1MIB_MS = 100.0
TARGET_10KB_MS = 5.0
TARGET_VERIFY_100K_S = 1.0
TARGET_APPEND_FLATNESS = 2.0


def make_project(root: Path) -> Workspace:
    """A project with an authorized card and a fresh state (audit written by the core)."""
    relay = root / ".relay"
    (relay / "cards").mkdir(parents=True)
    (relay / "reports").mkdir()
    (relay / "cards" / f"{WORKBLOCK}.toml").write_text(CARD, encoding="utf-8")
    (relay / "state.toml").write_text(STATE, encoding="utf-8")
    workspace = Workspace(root)
    authorize_card(workspace, WORKBLOCK, actor="human:bench", now=NOW)
    return workspace


_BULLETS = (
    "- `src/billing/invoice_{n}.py:{line}` moves `render_invoice_{n}` out of `service.py`; "
    "the signature is unchanged and every caller imports it from the new module.",
    "- 【F:src/billing/tax_{n}.py†L{line}-L{end}】 keeps the rounding rule (banker's rounding "
    "to cents) exactly as before; only the import path changed.",
    "- ✅ `pytest -q tests/billing/test_invoice_{n}.py` — 14 passed, 0 failed.",
    "- Renamed `calc_{n}` to `compute_total_{n}` and left a deprecated alias for one release.",
    "- ⚠️ `src/billing/payments_{n}.py:{line}` still reads `settings.CURRENCY` at import time; "
    "noted under open questions.",
)


def report_bytes(target_size: int) -> bytes:
    """A Codex-style report of about ``target_size`` bytes (front matter, then long sections)."""
    files = [f"src/billing/module_{index:03d}.py" for index in range(40)]
    front = (
        "+++\n"
        f'workblock = "{WORKBLOCK}"\n'
        'title = "Split the billing service into modules"\n'
        'outcome = "completed"\n'
        "state_revision = 12\n"
        f"files_changed = {files!r}\n".replace("'", '"')
        + 'tests = { command = "pytest -q", passed = 512, failed = 0, skipped = 3 }\n'
        "+++\n\n"
    )
    sections = ["## Summary\n", "## Changes\n", "## Tests\n", "## Open Questions\n"]
    body_budget = max(target_size - len(front) - 200, 400)
    per_section = body_budget // len(sections)
    parts = [front]
    counter = 0
    for heading in sections:
        parts.append(heading + "\n")
        written = 0
        while written < per_section:
            template = _BULLETS[counter % len(_BULLETS)]
            line = (
                template.format(n=counter, line=10 + counter % 300, end=20 + counter % 300) + "\n"
            )
            parts.append(line)
            written += len(line.encode("utf-8"))
            counter += 1
        parts.append("\n")
    return "".join(parts).encode("utf-8")


def timed(
    function: Callable[[], object], repeat: int, clock: Callable[[], float] = time.perf_counter
) -> list[float]:
    """Seconds of ``repeat`` calls by ``clock`` (wall clock by default; one warm-up call first)."""
    function()
    samples = []
    for _ in range(repeat):
        start = clock()
        function()
        samples.append(clock() - start)
    return samples


def cpu_median(function: Callable[[], object], repeat: int) -> float:
    """Median CPU seconds of this process per call: what the work costs on a busy machine."""
    return statistics.median(timed(function, repeat, time.process_time))


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile of ``samples``."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def bench_validate(
    workspace: Workspace, size: int, repeat: int, target_ms: float
) -> dict[str, float]:
    """Validate a report of ``size`` bytes from disk, beside reading and hashing it."""
    data = report_bytes(size)
    path = workspace.reports_dir / f"{WORKBLOCK}-v{size}.md"
    path.write_bytes(data)
    snapshot = ProjectSnapshot.load(workspace)

    def floor() -> None:
        hashlib.sha256(path.read_bytes()).hexdigest()

    def validate() -> None:
        result = validate_bytes(path.read_bytes(), snapshot, now=NOW, report_path=path)
        # Relayable, so the whole pipeline runs (a 1 MiB report is shortened: SIZE-001 warning).
        assert result.label.relayable, (result.label, result.findings[:3])

    floor_ms = statistics.median(timed(floor, repeat)) * 1000
    validate_ms = statistics.median(timed(validate, repeat)) * 1000
    cpu_ms = cpu_median(validate, repeat) * 1000
    label = (
        f"{len(data) / 1024:,.0f} KiB"
        if len(data) < 1 << 20
        else f"{len(data) / (1 << 20):.2f} MiB"
    )
    print(
        f"validate {label:>9} report: median {validate_ms:7.2f} ms (CPU {cpu_ms:7.2f} ms)   floor "
        f"(read + sha256) {floor_ms:6.3f} ms   ratio {validate_ms / floor_ms:6.1f}x   target <= "
        f"{target_ms:g} ms: {verdict(validate_ms <= target_ms)}"
    )
    return {"validate_ms": validate_ms, "floor_ms": floor_ms}


def breakdown(workspace: Workspace, size: int, repeat: int = 5) -> None:
    """Where validating a report of ``size`` bytes spends its time: parsing, each rule family,
    and the rest (card lookup, label, message building), as medians in milliseconds."""
    data = report_bytes(size)
    snapshot = ProjectSnapshot.load(workspace)
    parsed = parse_report(data, "report.md")
    assert parsed.report is not None
    context = snapshot.rule_context(parsed, NOW)
    stages = {"parse": statistics.median(timed(lambda: parse_report(data, "r.md"), repeat))}
    for rule in RULES:
        cost = statistics.median(timed(lambda rule=rule: list(rule.check(context)), repeat))
        stages[rule.family] = stages.get(rule.family, 0.0) + cost
    total = statistics.median(timed(lambda: validate_bytes(data, snapshot, now=NOW), repeat))
    stages["message and the rest"] = max(total - sum(stages.values()), 0.0)
    shown = ", ".join(
        f"{name} {cost * 1000:.1f}"
        for name, cost in sorted(stages.items(), key=lambda item: -item[1])
        if cost * 1000 >= 0.05
    )
    print(f"  where the {len(data) / (1 << 20):.2f} MiB validation goes (ms): {shown}")


def bench_append(folder: Path, count: int) -> list[float]:
    """``count`` real appends (each fsynced) to a fresh log; seconds per append."""
    log = AuditLog(folder / "audit.jsonl")
    return [_timed_append(log, index) for index in range(count)]


def _timed_append(log: AuditLog, index: int) -> float:
    start = time.perf_counter()
    log.append("RECEIPT_REVIEWED", "relay", workblock=WORKBLOCK, note=f"bench {index}")
    return time.perf_counter() - start


def write_chained_log(path: Path, count: int) -> None:
    """A valid hash-chained log of ``count`` records, written directly (no lock, no fsync)."""
    previous = GENESIS
    lines = []
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for seq in range(1, count + 1):
        record: dict[str, object] = dict.fromkeys(RECORD_FIELDS)
        record.update(
            seq=seq,
            ts=utc_stamp(base + dt.timedelta(seconds=seq)),
            event=CARD_AUTHORIZED if seq == 1 else "RECEIPT_REVIEWED",
            actor="human:bench" if seq == 1 else "relay",
            workblock=WORKBLOCK,
            status="PASS",
            findings={"info": 0, "warning": 1, "error": 0, "block": 0},
            message_sha256=hashlib.sha256(str(seq).encode()).hexdigest(),
            prev=previous,
        )
        record["hash"] = record_hash(record)
        previous = str(record["hash"])
        lines.append(canonical_json(record))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000, help="records in the big log")
    parser.add_argument("--appends", type=int, default=200, help="appends timed on a fresh log")
    args = parser.parse_args()
    base = os.environ.get("RELAY_BENCH_DIR")
    with tempfile.TemporaryDirectory(prefix="relay-bench-", dir=base) as temporary:
        root = Path(temporary)
        print(f"engine benchmarks (Python {sys.version.split()[0]}, temp dir {root.parent})")
        workspace = make_project(root / "project")
        bench_validate(workspace, 1 << 20, repeat=15, target_ms=TARGET_1MIB_MS)
        breakdown(workspace, 1 << 20)
        bench_validate(workspace, 10 * 1024, repeat=200, target_ms=TARGET_10KB_MS)

        fresh = root / "fresh"
        fresh.mkdir()
        appends = bench_append(fresh, args.appends)
        median_ms = statistics.median(appends) * 1000
        print(
            f"audit append with fsync ({args.appends} appends to a fresh log): median "
            f"{median_ms:.2f} ms   p99 {percentile(appends, 0.99) * 1000:.2f} ms   "
            f"max {max(appends) * 1000:.2f} ms"
        )

        big = root / "big"
        big.mkdir()
        big_log = big / "audit.jsonl"
        start = time.perf_counter()
        write_chained_log(big_log, args.records)
        build_s = time.perf_counter() - start
        size_mb = big_log.stat().st_size / 1e6
        verify_runs = timed(lambda: read_log(big_log), 3)
        result = read_log(big_log)
        assert result.intact and len(result.records) == args.records, result.describe()
        verify_s = statistics.median(verify_runs)
        verify_cpu = cpu_median(lambda: read_log(big_log), 3)
        floor_s = statistics.median(timed(lambda: big_log.read_bytes().split(b"\n"), 3))
        print(
            f"verify {args.records:,} records ({size_mb:.1f} MB, built directly in "
            f"{build_s:.2f} s): "
            f"median {verify_s * 1000:.0f} ms (CPU {verify_cpu * 1000:.0f} ms)   floor (read + "
            f"split) {floor_s * 1000:.1f} ms   "
            f"target <= {TARGET_VERIFY_100K_S:g} s: {verdict(verify_s <= TARGET_VERIFY_100K_S)}"
        )

        early = statistics.median(appends[:20])
        log = AuditLog(big_log)
        late_samples = [_timed_append(log, index) for index in range(20)]
        late = statistics.median(late_samples)
        ratio = late / early
        after = read_log(big_log)
        assert after.intact and len(after.records) == args.records + 20, after.describe()
        print(
            f"append flatness: record 1-20 median {early * 1000:.2f} ms, record "
            f"{args.records + 1:,}-{args.records + 20:,} median {late * 1000:.2f} ms   ratio "
            f"{ratio:.2f}x   target <= {TARGET_APPEND_FLATNESS:g}x: "
            f"{verdict(ratio <= TARGET_APPEND_FLATNESS)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
