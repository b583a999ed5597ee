"""Run every ``benchmarks/bench_*.py`` in turn and print their output (``make bench``).

Usage: ``.venv/bin/python benchmarks/run_all.py [NAME ...]`` where a NAME such as ``engine``
picks ``bench_engine.py`` only. Each benchmark runs in its own process with this interpreter,
one after another so they do not disturb each other's timings; the exit code is 1 when any
of them failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
ROOT = BENCHMARKS.parent


def selected(names: list[str]) -> list[Path]:
    """The benchmark scripts to run, in name order; all of them when no name is given."""
    scripts = sorted(BENCHMARKS.glob("bench_*.py"))
    if not names:
        return scripts
    wanted = {name.removeprefix("bench_").removesuffix(".py") for name in names}
    return [script for script in scripts if script.stem.removeprefix("bench_") in wanted]


def main(argv: list[str]) -> int:
    scripts = selected(argv)
    if not scripts:
        print(f"no benchmark matches {' '.join(argv)}", file=sys.stderr)
        return 2
    results: list[tuple[str, int, float]] = []
    for script in scripts:
        print(f"=== {script.name} ===", flush=True)
        start = time.perf_counter()
        completed = subprocess.run([sys.executable, str(script)], cwd=ROOT, check=False)
        elapsed = time.perf_counter() - start
        results.append((script.name, completed.returncode, elapsed))
        print(flush=True)
    print("=== summary ===")
    for name, code, elapsed in results:
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"{name:<24} {status:<18} {elapsed:6.1f} s")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
