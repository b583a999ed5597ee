"""TUI figures: report saved -> findings on screen, beside the raw watcher; start to first paint.

Run: ``.venv/bin/python benchmarks/bench_tui.py [--saves 30] [--starts 7]``

1. Raw watcher latency: ``watchfiles.awatch`` alone on a reports folder, with the app's
   debounce and step, from a file write to the batch being yielded.
2. Report saved -> findings on screen: the real app (headless Pilot, real watcher, real file
   writes in a temporary project); from the write to the frame that shows the new report.
3. Start to first paint: ``relay-tui`` on a copy of ``sample_project/`` (a generated project
   when it does not exist) against a bare three-pane Textual app, each a fresh process,
   measured the same way in the same run; the figure is the ratio.

Targets (issue 4): median <= 50 ms, p95 <= 150 ms, start <= 1.5x bare. This script only
prints; no test asserts timings.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from relay_tui.app.watcher import WATCH_DEBOUNCE_MS, WATCH_STEP_MS  # noqa: E402

CARD = """\
id = "WB-100"
title = "Benchmark workblock"
goal = "Measure the review screen."
allowed_paths = ["src/**", "tests/**"]
"""

SIZE = (140, 40)


def report(version: int) -> bytes:
    """A report that passes against ``make_project``."""
    return (
        "+++\n"
        'workblock = "WB-100"\n'
        'title = "Benchmark workblock"\n'
        'outcome = "completed"\n'
        "state_revision = 3\n"
        'files_changed = ["src/app.py", "tests/test_app.py"]\n'
        f"report_version = {version}\n"
        'tests = { command = "pytest -q", passed = 40, failed = 0, skipped = 1 }\n'
        "+++\n\n"
        "## Summary\nThe app now caches its settings between requests.\n\n"
        "## Changes\n" + "".join(f"- Changed src/app.py hunk {n}.\n" for n in range(20)) + "\n"
        "## Tests\npytest -q: 40 passed, 1 skipped.\n"
    ).encode()


def make_project(root: Path) -> Path:
    """A project with an authorized card and a fresh state."""
    from relay_tui.core.relay import authorize_card
    from relay_tui.core.workspace import Workspace

    relay = root / ".relay"
    for folder in ("cards", "reports", "outbox"):
        (relay / folder).mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    (relay / "state.toml").write_text(
        f'revision = 3\nupdated_at = {now}\nactive_workblock = "WB-100"\n', "utf-8"
    )
    (relay / "cards" / "WB-100.toml").write_text(CARD, "utf-8")
    authorize_card(Workspace(root), "WB-100", actor="human:bench")
    return root


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


async def raw_watcher(folder: Path, saves: int) -> list[float]:
    """Milliseconds from a write to awatch yielding it (same debounce and step as the app)."""
    from watchfiles import awatch

    stop = asyncio.Event()
    latencies: list[float] = []
    ready = asyncio.Event()
    written: dict[str, float] = {}

    async def consume() -> None:
        async for changes in awatch(
            folder,
            debounce=WATCH_DEBOUNCE_MS,
            step=WATCH_STEP_MS,
            stop_event=stop,
            rust_timeout=500,
        ):
            moment = time.perf_counter()
            for _, path in changes:
                name = Path(path).name
                if name in written:
                    latencies.append((moment - written.pop(name)) * 1000)
                    ready.set()

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.3)
    for number in range(saves):
        ready.clear()
        name = f"raw-{number}.md"
        written[name] = time.perf_counter()
        (folder / name).write_bytes(report(number + 1))
        await asyncio.wait_for(ready.wait(), 5)
        await asyncio.sleep(0.08)
    stop.set()
    await asyncio.wait_for(task, 5)
    return latencies


async def app_latency(project: Path, saves: int, cpu: list[float]) -> list[float]:
    """Milliseconds from a report write to the frame showing its findings (headless Pilot);
    ``cpu`` receives the process CPU time each arrival cost (every thread), load-independent."""
    from relay_tui.app.app import RelayApp

    app = RelayApp(project, watch=True, bell=False, clipboard=None, freeze_gc=True)
    latencies: list[float] = []
    reports = project / ".relay" / "reports"
    painted = asyncio.Event()
    record = app.report_painted

    def painted_hook(path: Path | None) -> None:
        record(path)
        painted.set()

    app.report_painted = painted_hook  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        while app.review is None or app.review.scan is None or app.busy:
            await pilot.pause(0.01)
        await asyncio.sleep(0.5)
        for number in range(saves):
            path = reports / f"WB-100-v{number + 2}.md"
            app.paint_log.clear()
            painted.clear()
            cpu_started = time.process_time()
            started = time.perf_counter()
            path.write_bytes(report(number + 2))
            while True:
                try:
                    await asyncio.wait_for(painted.wait(), 5)
                except TimeoutError:
                    raise SystemExit(f"report {path.name} never reached the screen") from None
                painted.clear()
                shown = [moment for painted_path, moment in app.paint_log if painted_path == path]
                if shown:
                    latencies.append((shown[0] - started) * 1000)
                    cpu.append((time.process_time() - cpu_started) * 1000)
                    break
            await asyncio.sleep(0.08)
    return latencies


CHILD_APP = """
import sys, pathlib
from relay_tui.app.app import RelayApp
class Timed(RelayApp):
    def on_ready(self):
        print("PAINTED", flush=True)
    def report_painted(self, path):
        super().report_painted(path)
        if path is not None:
            print("REPORTED", flush=True)
            self.exit(0)
Timed(pathlib.Path(sys.argv[1]), watch=False).run(headless=True, size=(140, 40))
"""

CHILD_BARE = """
from textual.app import App
from textual.containers import Horizontal
from textual.widgets import Footer, Static
class Bare(App):
    CSS = "Static { width: 1fr; height: 100%; border: round $panel; }"
    def compose(self):
        with Horizontal():
            yield Static("report")
            yield Static("findings")
            yield Static("message")
        yield Footer()
    def on_ready(self):
        print("PAINTED", flush=True)
        self.exit(0)
Bare().run(headless=True, size=(140, 40))
"""


def start_time(code: str, *args: str, until: str = "") -> tuple[float, float]:
    """Milliseconds from spawning a fresh interpreter to its first painted frame, and to the
    line ``until`` (0 when not asked for)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    painted = later = 0.0
    for line in process.stdout:
        if line.startswith("PAINTED"):
            painted = (time.perf_counter() - started) * 1000
            if not until:
                break
        elif until and line.startswith(until):
            later = (time.perf_counter() - started) * 1000
            break
    process.wait(10)
    if not painted or (until and not later):
        raise SystemExit("the child never painted")
    return painted, later


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=30)
    parser.add_argument("--starts", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="relay-bench-") as temporary:
        base = Path(temporary)
        raw_folder = base / "raw"
        raw_folder.mkdir()
        raw = asyncio.run(raw_watcher(raw_folder, args.saves))
        project = make_project(base / "project")
        (project / ".relay" / "reports" / "WB-100-v1.md").write_bytes(report(1))
        cpu: list[float] = []
        shown = asyncio.run(app_latency(project, args.saves, cpu))

        # A copy: the app appends VALIDATION_BLOCKED records, the repository must not change.
        sample = ROOT / "sample_project"
        start_project = project
        if (sample / ".relay").is_dir():
            start_project = base / "sample" / "sample_project"
            shutil.copytree(sample, start_project, symlinks=True)
        ours: list[float] = []
        first_report: list[float] = []
        bare: list[float] = []
        start_time(CHILD_BARE)  # warm the file cache for both
        start_time(CHILD_APP, str(start_project), until="REPORTED")
        for _ in range(args.starts):
            bare.append(start_time(CHILD_BARE)[0])
            painted, reported = start_time(CHILD_APP, str(start_project), until="REPORTED")
            ours.append(painted)
            first_report.append(reported)

    def row(name: str, values: list[float]) -> str:
        return (
            f"{name:<44} {statistics.median(values):>8.1f} {percentile(values, 0.95):>8.1f} "
            f"{min(values):>8.1f} {max(values):>8.1f} {len(values):>4}"
        )

    version = sys.version.split()[0]
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"watchfiles debounce={WATCH_DEBOUNCE_MS} ms, step={WATCH_STEP_MS} ms; python {version}")
    print(f"{os.cpu_count()} CPUs, load average {load} (other work on the machine inflates times)")
    print(f"{'measure (ms)':<44} {'median':>8} {'p95':>8} {'min':>8} {'max':>8} {'n':>4}")
    print(row("raw watcher: write -> awatch yields", raw))
    print(row("app: report saved -> findings on screen", shown))
    print(row("app: CPU time per arrival (all threads)", cpu))
    print(row("start -> first paint, bare three-pane app", bare))
    label = "sample_project" if start_project.name == "sample_project" else "generated project"
    print(row(f"start -> first paint, relay-tui ({label})", ours))
    print(row("start -> first report on screen, relay-tui", first_report))
    ratio = statistics.median(ours) / statistics.median(bare)
    median, p95 = statistics.median(shown), percentile(shown, 0.95)
    print()
    print(f"saved -> on screen: median {median:.1f} ms (target <= 50), ", end="")
    print(f"p95 {p95:.1f} ms (target <= 150)")
    print(f"start ratio relay-tui / bare: {ratio:.2f}x (target <= 1.5x)")
    over_raw = median - statistics.median(raw)
    print(f"app overhead over the raw watcher (medians): {over_raw:.1f} ms")


if __name__ == "__main__":
    main()
