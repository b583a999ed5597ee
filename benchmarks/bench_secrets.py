"""Secret detection: our catalogue beside detect-secrets (as a library), on the same corpus.

Run: ``.venv/bin/python benchmarks/bench_secrets.py`` (``--samples`` planted secrets per kind).
Every figure is measured in this run; speed is CPU time per MiB (median and best of the runs)
and a ratio to a floor measured on the same text in the same run (sha256 of its bytes + one
``re.finditer`` of a trivial pattern).
detect-secrets is not a project dependency: when it is missing that column is skipped with a
note (``.venv/bin/pip install detect-secrets`` to compare).

The corpus comes from tests/test_secrets.py (the same fake-secret factories and clean-report
generator the tests use), so recall and false positives here are the tests' figures.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from types import ModuleType
from typing import Any

from relay_tui.core.secrets import find_secrets

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS_PER_MIB = 30.0
CLEAN_REPORTS = 1000


def load_fixtures() -> ModuleType:
    """tests/test_secrets.py as a module (the tests folder is not a package)."""
    path = ROOT / "tests" / "test_secrets.py"
    spec = importlib.util.spec_from_file_location("secret_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def timed(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and best CPU seconds of ``repeat`` calls.

    CPU time (``time.process_time``) equals wall time for this single-threaded work on an idle
    machine, and leaves out the time other processes hold the core on a busy one.
    """
    samples = []
    for _ in range(repeat):
        started = time.process_time()
        function()
        samples.append(time.process_time() - started)
    return statistics.median(samples), min(samples)


# --- the two detectors, behind one shape: text -> list of (line, start column, value) ----------


def ours(text: str) -> list[tuple[int, str]]:
    """(line, secret) for each credential our catalogue finds."""
    return [
        (text.count("\n", 0, match.start) + 1, text[match.start : match.end])
        for match in find_secrets(text)
    ]


class DetectSecrets:
    """detect-secrets 1.x used as a library: every plugin, default filters, ``scan_file``."""

    def __init__(self, folder: Path) -> None:
        from detect_secrets.__version__ import VERSION
        from detect_secrets.core import scan
        from detect_secrets.settings import default_settings

        self.version = VERSION
        self._scan = scan
        self._settings: Callable[[], AbstractContextManager[Any]] = default_settings
        self._folder = folder
        self._count = 0

    def settings(self) -> AbstractContextManager[Any]:
        return self._settings()

    def scan(self, text: str) -> list[tuple[int, str]]:
        """(line, secret) for each potential secret; call inside ``settings()``."""
        return [(line, value) for line, value, _ in self.scan_typed(text)]

    def scan_typed(self, text: str) -> list[tuple[int, str, str]]:
        """(line, secret, plugin's secret type) for each potential secret."""
        self._count += 1
        path = self._folder / f"report-{self._count}.md"
        path.write_text(text, encoding="utf-8")
        try:
            return [
                (found.line_number, found.secret_value or "", found.type)
                for found in self._scan.scan_file(str(path))
            ]
        finally:
            path.unlink()


def load_detect_secrets(folder: Path) -> DetectSecrets | None:
    try:
        return DetectSecrets(folder)
    except ImportError:
        return None


# --- corpus -----------------------------------------------------------------------------------


def speed_corpus(fixtures: ModuleType, size: int) -> tuple[str, int]:
    """Clean reports, each with one planted secret (kinds in turn), until ``size`` characters."""
    rng = random.Random("bench-speed")
    factories = list(fixtures.FACTORIES.values())
    parts: list[str] = []
    total = 0
    while total < size:
        planted, _, _ = factories[len(parts) % len(factories)](rng)
        parts.append(fixtures.planted_report(rng, planted))
        total += len(parts[-1]) + 1
    return "\n".join(parts), len(parts)


Planted = list[tuple[str, int, str]]


def planted_samples(fixtures: ModuleType, samples: int) -> Iterator[tuple[str, str, Planted]]:
    """Per kind: its label, one text holding ``samples`` planted secrets, (secret, line, rule)."""
    for label, factory in fixtures.FACTORIES.items():
        rng = random.Random(f"bench-recall-{label}")
        lines: list[str] = []
        planted_list: Planted = []
        for _ in range(samples):
            planted, secret, rule = factory(rng)
            lines.append("Context before the value.")
            offset = planted.index(secret)
            first_line = len(lines) + 1 + planted.count("\n", 0, offset)
            planted_list.append((secret, first_line, rule))
            lines.extend(planted.split("\n"))
            lines.append("")
        yield label, "\n".join(lines) + "\n", planted_list


def recalled(found: list[tuple[int, str]], secret: str, first_line: int) -> bool:
    """A finding on one of the secret's lines whose value is part of it, or holds it."""
    last_line = first_line + secret.count("\n")
    return any(
        first_line <= line <= last_line and value and (value in secret or secret in value)
        for line, value in found
    )


# --- main -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=200, help="planted secrets per kind")
    parser.add_argument("--mib", type=float, default=1.0, help="speed corpus size in MiB")
    parser.add_argument("--repeat", type=int, default=11, help="runs of our scan (median)")
    args = parser.parse_args()

    fixtures = load_fixtures()
    with tempfile.TemporaryDirectory(prefix="bench-secrets-") as folder:
        other = load_detect_secrets(Path(folder))
        context = other.settings() if other else nullcontext()
        with context:
            return run(fixtures, other, args)


def measure_speed(
    name: str, text: str, other: DetectSecrets | None, repeat: int
) -> tuple[float, list[tuple[int, str, str]]]:
    """Print one speed table; return our ms/MiB and what detect-secrets flagged in ``text``."""
    data = text.encode("utf-8")
    mib = len(data) / (1 << 20)
    trivial = re.compile(r"\n")

    def floor() -> None:
        hashlib.sha256(data).digest()
        for _ in trivial.finditer(text):
            pass

    floor_s, floor_best = timed(floor, repeat)
    ours_s, ours_best = timed(lambda: find_secrets(text), repeat)
    rows = [
        ("floor (sha256 + one trivial re.finditer)", floor_s, floor_best),
        ("relay-tui catalogue", ours_s, ours_best),
    ]
    flagged: list[tuple[int, str, str]] = []
    if other is not None:
        started = time.process_time()
        flagged = other.scan_typed(text)
        elapsed = time.process_time() - started
        rows.append((f"detect-secrets {other.version} (scan_file, 1 run)", elapsed, elapsed))
    print()
    print(f"{name}: {mib:.2f} MiB of UTF-8")
    print(f"  {'detector (CPU time)':<42} {'ms/MiB':>10} {'best':>8} {'x floor':>9}")
    for label, median, best in rows:
        per_mib = 1000 / mib
        print(
            f"  {label:<42} {median * per_mib:>10.1f} {best * per_mib:>8.1f} "
            f"{median / floor_s:>9.1f}"
        )
    return ours_s * 1000 / mib, flagged


def run(fixtures: ModuleType, other: DetectSecrets | None, args: argparse.Namespace) -> int:
    print(f"secret detection benchmark (Python {sys.version.split()[0]})")
    if other is None:
        print("note: detect-secrets is not installed; its rows and column are skipped")
        print("      (.venv/bin/pip install detect-secrets to compare; it is not a dependency)")
    else:
        other.scan("warm up")
    find_secrets("compile the catalogue outside the timing")

    rng = random.Random("clean-corpus")  # the same 1,000 texts as the false-positive test
    clean = [fixtures.clean_report(rng) for _ in range(CLEAN_REPORTS)]
    clean_ms, other_flagged = measure_speed(
        f"clean corpus ({CLEAN_REPORTS:,} report-like texts, no secret)",
        "\n".join(clean),
        other,
        args.repeat,
    )
    planted_text, reports = speed_corpus(fixtures, int(args.mib * (1 << 20)))
    planted_ms, _ = measure_speed(
        f"planted corpus ({reports} report-like texts, one secret each, "
        f"{len(fixtures.FACTORIES)} kinds in turn)",
        planted_text,
        other,
        args.repeat,
    )
    size = 1 << 18
    for text in fixtures.HOSTILE_REPETITIONS(size):
        label = f"pathological: {text[:8]!r} repeated ({len(text) // 1024} KiB)"
        measure_speed(label, text, None, max(1, args.repeat // 2))
    for name, figure in (("clean", clean_ms), ("planted", planted_ms)):
        verdict = "met" if figure <= TARGET_MS_PER_MIB else "MISSED"
        print(
            f"target: our catalogue <= {TARGET_MS_PER_MIB:g} ms/MiB on the {name} corpus: {verdict}"
        )

    ours_fp = sum(len(ours(report)) for report in clean)
    print()
    line = f"false positives on the {CLEAN_REPORTS:,} clean texts: relay-tui {ours_fp}"
    if other is None:
        print(line)
    else:
        by_type: dict[str, int] = {}
        for _, _, secret_type in other_flagged:
            by_type[secret_type] = by_type.get(secret_type, 0) + 1
        print(f"{line}, detect-secrets {len(other_flagged)}")
        print("  detect-secrets by plugin: " + ", ".join(f"{k} {n}" for k, n in by_type.items()))

    print()
    header = f"{'recall per kind (' + str(args.samples) + ' planted each)':<34} {'relay-tui':>10}"
    print(header + (f" {'detect-secrets':>15}" if other else ""))
    totals = [0, 0]
    for label, sample_text, planted in planted_samples(fixtures, args.samples):
        found_ours = ours(sample_text)
        hits = [sum(recalled(found_ours, secret, line) for secret, line, _ in planted)]
        if other is not None:
            found_other = other.scan(sample_text)
            hits.append(sum(recalled(found_other, secret, line) for secret, line, _ in planted))
        cells = "".join(
            f" {hit / len(planted):>{10 if i == 0 else 15}.1%}" for i, hit in enumerate(hits)
        )
        print(f"  {label:<32}{cells}")
        for index, hit in enumerate(hits):
            totals[index] += hit
    kinds = len(fixtures.FACTORIES) * args.samples
    overall = "".join(
        f" {total / kinds:>{10 if i == 0 else 15}.1%}"
        for i, total in enumerate(totals[: 1 + bool(other)])
    )
    print(f"  {'all kinds':<32}{overall}")

    return 0


if __name__ == "__main__":
    raise SystemExit(main())
