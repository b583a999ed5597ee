"""Watcher figures: premature reads per 1,000 chunked writes, missed or duplicate reports in bursts.

Run: ``.venv/bin/python benchmarks/bench_watch.py [--quick]`` (``make bench`` runs it).

Everything runs against the real app (headless Pilot, real ``watch_changes`` over ``.relay/``,
the scan worker with its request folding, ``recheck_after`` timers and the 2 s safety rescan)
in a temporary project. ``ReportCatalog.scan`` is wrapped on the app's catalog so every result
it hands to the screen is seen; nothing else is changed.

1. Chunked writes: writer threads write each report in 2-4 chunks on one open descriptor, with
   pauses of 20-60 ms (and a smaller set at 300 ms). Chunk boundaries are mid-line, right after
   a newline with a prefix that is still structurally incomplete, or right after a newline with
   a prefix that validates without any STRUCTURE finding (looks complete). A premature read is
   a scan result that shows a label for a report whose ``report_sha256`` is not the hash of the
   complete bytes (the sha tells which prefix was read, so no timing guess is involved). Each
   report is deleted once shown complete, so the folder stays small.
2. Bursts: N reports written as fast as possible (plain writes, and ``*.tmp`` then rename),
   10 ms apart and 0 ms apart. Missed: never shown with the complete bytes' label within 5 s of
   the last write. Duplicate: listed in ``arrived`` more than once with the same bytes.

The floor is one report written alone, write -> shown, in the same app and the same run.
Targets (docs/hostile-inputs): 0 premature reads, 0 missed, 0 duplicates. This script only
prints; no test asserts these figures.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from app_fixtures import NOW, fixed_clock, make_project, report_md  # noqa: E402

from relay_tui.app.watcher import WATCH_DEBOUNCE_MS, WATCH_STEP_MS  # noqa: E402

SIZE = (100, 30)
SHOWN_TIMEOUT = 5.0
MID_LINE = "mid-line"
NEWLINE_INCOMPLETE = "after newline, incomplete prefix"
NEWLINE_COMPLETE = "after newline, complete-looking prefix"
KINDS = (MID_LINE, NEWLINE_INCOMPLETE, NEWLINE_COMPLETE)


def report(index: int) -> bytes:
    """A passing report; only a fixed-width number differs, so every report has the same
    byte offsets (boundaries are classified once, on the first)."""
    sections = {
        "Summary": f"Report {index:07d}: failed logins are now limited per IP.",
        "Changes": "\n".join(f"- Changed src/auth/limits.py hunk {n}." for n in range(8)),
        "Tests": "pytest -q tests/auth: 12 passed.\n"
        + "\n".join(f"- tests/auth/test_limits.py::test_case_{n} passed" for n in range(6)),
    }
    return report_md(sections)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Tracked:
    """One report the benchmark wrote, and what the scans showed of it."""

    full: str
    prefixes: dict[str, int] = field(default_factory=dict)
    """sha256 of each prefix a chunk boundary leaves -> the boundary's index."""
    shown: threading.Event = field(default_factory=threading.Event)
    first_shown: float | None = None
    premature: dict[str | None, str] = field(default_factory=dict)
    """sha256 of bytes shown with a label that are not the complete bytes -> the label."""
    arrivals: Counter[str | None] = field(default_factory=Counter)


class Tracker:
    """Sees every scan result the app's catalog returns (called in the scan thread)."""

    def __init__(self) -> None:
        self.files: dict[str, Tracked] = {}
        self.lock = threading.Lock()
        self.results = 0
        self.temp_listed = 0

    def add(self, name: str, tracked: Tracked) -> None:
        with self.lock:
            self.files[name] = tracked

    def observe(self, result: object) -> None:
        moment = time.perf_counter()
        entries = getattr(result, "entries", ())
        arrived = getattr(result, "arrived", ())
        with self.lock:
            self.results += 1
            for entry in entries:
                name = entry.path.name
                if name.endswith(".tmp"):
                    self.temp_listed += 1
                tracked = self.files.get(name)
                if tracked is None or entry.verdict is None:
                    continue
                digest = entry.verdict.report_sha256
                if digest == tracked.full:
                    if tracked.first_shown is None:
                        tracked.first_shown = moment
                        tracked.shown.set()
                else:
                    tracked.premature.setdefault(digest, entry.verdict.label.value)
            for path in arrived:
                tracked = self.files.get(path.name)
                if tracked is None:
                    continue
                entry = result.entry(path)  # type: ignore[attr-defined]
                digest = entry.verdict.report_sha256 if entry and entry.verdict else None
                tracked.arrivals[digest] += 1


def classify_offsets(data: bytes, root: Path) -> dict[int, str]:
    """Every possible boundary of ``data`` with its kind, judged as the catalog judges a
    prefix: ends mid-line, or any STRUCTURE finding, or neither (looks complete)."""
    from relay_tui.core.validate import ProjectSnapshot, validate_bytes
    from relay_tui.core.workspace import Workspace

    snapshot = ProjectSnapshot.load(Workspace(root))
    kinds: dict[int, str] = {}
    for offset in range(1, len(data)):
        if data[offset - 1 : offset] != b"\n":
            kinds[offset] = MID_LINE
            continue
        verdict = validate_bytes(data[:offset], snapshot, now=NOW, report_path=Path("x.md"))
        unfinished = any(item.rule.startswith("STRUCTURE-") for item in verdict.findings)
        kinds[offset] = NEWLINE_INCOMPLETE if unfinished else NEWLINE_COMPLETE
    return kinds


@dataclass
class Plan:
    """One chunked write: where the chunks end, their kinds and the pauses after them."""

    name: str
    data: bytes
    cuts: list[int]
    kinds: list[str]
    pauses: list[float]
    group: str
    tracked: Tracked
    done: float = 0.0


def make_plans(
    count: int, group: str, pause: tuple[float, float], kinds: dict[int, str], rng: random.Random
) -> list[Plan]:
    """``count`` reports, 2-4 chunks each; boundary kinds taken in turn so each is well
    represented, the offset drawn at random among that kind's offsets."""
    by_kind = {kind: [offset for offset, item in kinds.items() if item == kind] for kind in KINDS}
    plans: list[Plan] = []
    turn = 0
    for number in range(count):
        index = len(plans) + (0 if group == "fast" else 5_000_000)
        data = report(index)
        cuts: set[int] = set()
        for _ in range(rng.choice((1, 2, 3))):
            kind = KINDS[turn % len(KINDS)]
            turn += 1
            cuts.add(rng.choice(by_kind[kind]))
        ordered = sorted(cuts)
        tracked = Tracked(sha(data))
        for position, cut in enumerate(ordered):
            tracked.prefixes[sha(data[:cut])] = position
        plans.append(
            Plan(
                name=f"WB-012-{group}-{number:05d}.md",
                data=data,
                cuts=ordered,
                kinds=[kinds[cut] for cut in ordered],
                pauses=[rng.uniform(*pause) for _ in ordered],
                group=group,
                tracked=tracked,
            )
        )
    return plans


def write_chunked(folder: Path, plan: Plan, tracker: Tracker) -> None:
    """Write one report in chunks (one descriptor, like a streaming writer), wait until it is
    shown complete, then delete it."""
    path = folder / plan.name
    tracker.add(plan.name, plan.tracked)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        start = 0
        for cut, pause in zip([*plan.cuts, len(plan.data)], [*plan.pauses, 0.0], strict=True):
            view = memoryview(plan.data)[start:cut]
            while view:
                view = view[os.write(descriptor, view) :]
            start = cut
            if pause:
                time.sleep(pause)
            else:
                plan.done = time.perf_counter()
    finally:
        os.close(descriptor)
    plan.tracked.shown.wait(SHOWN_TIMEOUT)
    path.unlink()


async def wait_for(predicate: object, timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while not predicate():  # type: ignore[operator]
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True


@dataclass
class Burst:
    count: int
    atomic: bool
    gap_ms: int
    missed: int = 0
    duplicates: int = 0
    premature: int = 0
    no_arrival: int = 0
    all_shown_ms: float | None = None


def write_burst(folder: Path, burst: Burst, datas: list[tuple[str, bytes]]) -> float:
    """Write every report as fast as allowed; the moment of the last write."""
    last = time.perf_counter()
    for name, data in datas:
        path = folder / name
        if burst.atomic:
            temporary = folder / (name + ".tmp")
            temporary.write_bytes(data)
            os.replace(temporary, path)
        else:
            path.write_bytes(data)
        last = time.perf_counter()
        if burst.gap_ms:
            time.sleep(burst.gap_ms / 1000)
    return last


async def run_app(project: Path, args: argparse.Namespace) -> dict[str, object]:
    from relay_tui.app.app import RelayApp

    folder = project / ".relay" / "reports"
    tracker = Tracker()
    app = RelayApp(
        project, clock=fixed_clock, clipboard=None, bell=False, watch=True, freeze_gc=True
    )
    original = app.catalog.scan

    def scan(*, force: bool = False) -> object:
        result = original(force=force)
        if result is not None:
            tracker.observe(result)
        return result

    app.catalog.scan = scan  # type: ignore[method-assign]
    rng = random.Random(args.seed)
    kinds = classify_offsets(report(0), project)
    fast = make_plans(args.chunked, "fast", (0.02, 0.06), kinds, rng)
    slow = make_plans(args.slow, "slow", (0.3, 0.3), kinds, rng)
    loop = asyncio.get_running_loop()
    out: dict[str, object] = {"kinds": kinds}

    async with app.run_test(size=SIZE) as pilot:
        while app.review is None or app.review.scan is None or app.busy:
            await pilot.pause(0.01)
        await asyncio.sleep(0.5)  # the watcher starts after the first scan

        # Floor: one report alone, write -> shown.
        floor: list[float] = []
        for number in range(args.floor):
            data = report(9_000_000 + number)
            tracked = Tracked(sha(data))
            name = f"WB-012-floor-{number:03d}.md"
            tracker.add(name, tracked)
            started = time.perf_counter()
            (folder / name).write_bytes(data)
            if await wait_for(tracked.shown.is_set, SHOWN_TIMEOUT):
                assert tracked.first_shown is not None
                floor.append((tracked.first_shown - started) * 1000)
            (folder / name).unlink()
            await asyncio.sleep(0.1)
        out["floor"] = floor

        # Chunked writes.
        for plans in (fast, slow):
            with ThreadPoolExecutor(args.writers) as pool:
                jobs = [
                    loop.run_in_executor(pool, write_chunked, folder, plan, tracker)
                    for plan in plans
                ]
                await asyncio.gather(*jobs)
            await asyncio.sleep(0.3)
        out["plans"] = fast + slow

        # Bursts.
        bursts: list[Burst] = []
        counter = 0
        for count in args.bursts:
            for atomic in (False, True):
                for gap in (10, 0):
                    burst = Burst(count, atomic, gap)
                    datas: list[tuple[str, bytes]] = []
                    files: list[Tracked] = []
                    for _ in range(count):
                        data = report(7_000_000 + counter)
                        counter += 1
                        name = f"WB-012-burst-{counter:06d}.md"
                        tracked = Tracked(sha(data))
                        tracker.add(name, tracked)
                        datas.append((name, data))
                        files.append(tracked)
                    last = await asyncio.to_thread(write_burst, folder, burst, datas)
                    await wait_for(
                        lambda files=files: all(item.shown.is_set() for item in files),
                        SHOWN_TIMEOUT + max(0.0, last - time.perf_counter()),
                    )
                    await asyncio.sleep(0.3)  # late duplicates or premature labels
                    with tracker.lock:
                        shown = [item.first_shown for item in files if item.first_shown]
                        burst.missed = len(files) - len(shown)
                        burst.duplicates = sum(1 for item in files if item.arrivals[item.full] > 1)
                        burst.premature = sum(1 for item in files if item.premature)
                        burst.no_arrival = sum(
                            1 for item in files if item.first_shown and not item.arrivals
                        )
                    if not burst.missed:
                        burst.all_shown_ms = (max(shown) - last) * 1000  # type: ignore[type-var]
                    bursts.append(burst)
                    for name, _ in datas:
                        (folder / name).unlink(missing_ok=True)
                    await asyncio.sleep(0.4)
                    await wait_for(lambda: not app.busy, 5)
        out["bursts"] = bursts
        out["scans"] = tracker.results
        out["temp_listed"] = tracker.temp_listed
    return out


def report_chunked(plans: list[Plan], writers: int) -> tuple[int, int]:
    """Print the chunked-write tables; return (premature reads, missed) over all reports."""
    print(
        f"{'chunked writes (' + str(writers) + ' writers)':<40} {'reports':>8} {'premature':>10} "
        f"{'/1,000':>8} {'missed':>7} {'shown ms med':>13} {'p95':>7}"
    )
    total_premature = total_missed = 0
    for group, label in (("fast", "pauses 20-60 ms"), ("slow", "pauses 300 ms")):
        chosen = [plan for plan in plans if plan.group == group]
        if not chosen:
            continue
        premature = sum(1 for plan in chosen if plan.tracked.premature)
        missed = sum(1 for plan in chosen if plan.tracked.first_shown is None)
        shown = [
            (plan.tracked.first_shown - plan.done) * 1000
            for plan in chosen
            if plan.tracked.first_shown is not None
        ]
        total_premature += premature
        total_missed += missed
        per = premature * 1000 / len(chosen)
        median = f"{statistics.median(shown):.1f}" if shown else "-"
        p95 = f"{percentile(shown, 0.95):.1f}" if shown else "-"
        print(
            f"{label:<40} {len(chosen):>8} {premature:>10} {per:>8.1f} {missed:>7} "
            f"{median:>13} {p95:>7}"
        )
    print()
    print(f"{'boundary kind':<40} {'pauses':>8} {'boundaries':>10} {'premature':>10} {'rate':>8}")
    for kind in KINDS:
        for group, label in (("fast", "20-60ms"), ("slow", "300ms")):
            total = caught = 0
            for plan in plans:
                if plan.group != group:
                    continue
                read = {plan.tracked.prefixes.get(digest) for digest in plan.tracked.premature}
                for position, item in enumerate(plan.kinds):
                    if item == kind:
                        total += 1
                        caught += position in read
            if total:
                print(f"{kind:<40} {label:>8} {total:>10} {caught:>10} {caught / total:>8.1%}")
    early: list[float] = []
    late: list[float] = []
    labels: Counter[str] = Counter()
    for plan in plans:
        labels.update(plan.tracked.premature.values())
        read = {plan.tracked.prefixes.get(digest) for digest in plan.tracked.premature}
        for position, item in enumerate(plan.kinds):
            if item == NEWLINE_COMPLETE and plan.group == "fast":
                (early if position in read else late).append(plan.pauses[position] * 1000)
    if early:
        shown = ", ".join(f"{name} {count}" for name, count in labels.most_common())
        print(f"labels shown for a prefix: {shown}")
        line = "complete-looking boundaries, 20-60 ms: read early after pauses of "
        line += f"{min(early):.0f}-{max(early):.0f} ms (median {statistics.median(early):.0f})"
        if late:
            line += f"; not read: median pause {statistics.median(late):.0f} ms"
        print(line)
    torn = sum(
        1
        for plan in plans
        for digest in plan.tracked.premature
        if digest not in plan.tracked.prefixes
    )
    if torn:
        print(f"labels for bytes matching no chunk boundary (torn reads): {torn}")
    return total_premature, total_missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a ~15 s run with fewer reports")
    parser.add_argument("--chunked", type=int, help="reports written with 20-60 ms pauses")
    parser.add_argument("--slow", type=int, help="reports written with 300 ms pauses")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writer threads")
    parser.add_argument("--floor", type=int, help="single writes for the floor")
    parser.add_argument("--seed", type=int, default=20261124)
    args = parser.parse_args()
    args.chunked = args.chunked if args.chunked is not None else (150 if args.quick else 1000)
    args.slow = args.slow if args.slow is not None else (16 if args.quick else 100)
    args.floor = args.floor if args.floor is not None else (5 if args.quick else 15)
    args.bursts = (50,) if args.quick else (50, 200)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="relay-bench-watch-") as temporary:
        project = make_project(Path(temporary).resolve() / "project")
        out = asyncio.run(run_app(project, args))
    elapsed = time.perf_counter() - started

    version = sys.version.split()[0]
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"watchfiles debounce={WATCH_DEBOUNCE_MS} ms, step={WATCH_STEP_MS} ms; app settle 1 s, "
        f"stable interval 10 ms; python {version}"
    )
    print(f"{os.cpu_count()} CPUs, load average {load}; {out['scans']} scan results observed")
    floor: list[float] = out["floor"]  # type: ignore[assignment]
    floor_median = statistics.median(floor) if floor else float("nan")
    print(
        f"floor: one report written alone -> shown: median {floor_median:.1f} ms, "
        f"max {max(floor, default=float('nan')):.1f} ms (n={len(floor)})"
    )
    print()
    plans: list[Plan] = out["plans"]  # type: ignore[assignment]
    premature, missed_chunked = report_chunked(plans, args.writers)
    print()
    bursts: list[Burst] = out["bursts"]  # type: ignore[assignment]
    print(
        f"{'burst':<34} {'missed':>7} {'dup':>5} {'premature':>10} {'no arrival':>11} "
        f"{'last write -> all shown':>24}"
    )
    for burst in bursts:
        kind = "tmp+rename" if burst.atomic else "plain write"
        name = f"{burst.count} x {kind}, {burst.gap_ms} ms apart"
        if burst.all_shown_ms is None:
            shown = "never (missed)"
        else:
            shown = f"{burst.all_shown_ms:.1f} ms ({burst.all_shown_ms / floor_median:.1f}x floor)"
        print(
            f"{name:<34} {burst.missed:>7} {burst.duplicates:>5} {burst.premature:>10} "
            f"{burst.no_arrival:>11} {shown:>24}"
        )
    fast = [plan for plan in plans if plan.group == "fast"]
    fast_premature = sum(1 for plan in fast if plan.tracked.premature)
    missed = sum(burst.missed for burst in bursts)
    duplicates = sum(burst.duplicates for burst in bursts)
    burst_premature = sum(burst.premature for burst in bursts)
    print()
    print(
        f"premature reads per 1,000 chunked writes (20-60 ms pauses): "
        f"{fast_premature * 1000 / max(len(fast), 1):.1f} (target 0); "
        f"all chunked: {premature} of {len(plans)}"
    )
    print(
        f"bursts: missed {missed}, duplicates {duplicates}, premature {burst_premature} "
        f"(target 0 each); chunked reports never shown: {missed_chunked}"
    )
    print(f"temp names listed by a scan: {out['temp_listed']} (target 0); run {elapsed:.1f} s")


if __name__ == "__main__":
    main()
