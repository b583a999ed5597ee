"""Save SVG screenshots of every TUI screen into this folder.

Run: ``.venv/bin/python screenshots/make_screenshots.py``

The projects are built in a temporary folder with the test helpers (fixed content, frozen
clock), and a copy of ``sample_project/`` is used for the demo screens, so nothing in the
repository is written except the SVG files here.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from app_fixtures import (  # noqa: E402
    LABEL_REPORTS,
    SIZE,
    hold,
    hostile_report,
    make_app,
    make_project,
    report_md,
    settled,
    write_report,
)
from textual.pilot import Pilot  # noqa: E402

from relay_tui.app.app import RelayApp  # noqa: E402
from relay_tui.app.screens.history import HistoryScreen  # noqa: E402

Steps = Callable[[Pilot[Any]], Awaitable[None]]


async def shoot(app: RelayApp, name: str, *keys: str, size: tuple[int, int] = SIZE) -> None:
    """Run ``app``, press ``keys`` (waiting after each), and save ``<name>.svg`` here."""
    async with app.run_test(size=size) as pilot:
        if app.has_project:
            await settled(pilot)
        for key in keys:
            await pilot.press(key)
            await settled(pilot)
        if isinstance(app.screen, HistoryScreen):
            while not app.screen.loaded:
                await pilot.pause(0.01)
        await pilot.pause()
        path = Path(app.save_screenshot(filename=f"{name}.svg", path=str(HERE)))
    # Rich writes each styled run as its own <text>, leading blanks as &#160;; librsvg (and
    # the image viewers built on it) drops those unless told to keep white space, which
    # shows "WARNING STATE-001line 5" where the terminal shows "STATE-001  line 5".
    svg = path.read_text("utf-8")
    if 'xml:space="preserve"' not in svg:
        path.write_text(svg.replace("<svg ", '<svg xml:space="preserve" ', 1), "utf-8")
    print(f"screenshots/{name}.svg")


def project(base: Path, name: str) -> Path:
    folder = base / name / "demo"
    folder.mkdir(parents=True)
    return make_project(folder)


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="relay-shots-") as temporary:
        base = Path(temporary)
        for label, fields in LABEL_REPORTS.items():
            root = project(base, label)
            write_report(root, "WB-012-v1.md", report_md(**fields))
            await shoot(make_app(root), f"review-{label.lower().replace('_', '-')}")
            if label in ("PASS", "PASS_WITH_WARNING"):
                await shoot(make_app(root), f"confirm-{label.lower().replace('_', '-')}", "c")
        root = project(base, "hold")
        write_report(root, "WB-012-v1.md", report_md())
        await shoot(make_app(root), "review-after-abort", "x")
        hold(root)
        await shoot(make_app(root), "history", "h")
        root = project(base, "hostile")
        write_report(root, "WB-012-\x1b[2J\u202e[bold]v1.md", hostile_report())
        await shoot(make_app(root), "review-hostile-text")
        empty = base / "empty"
        empty.mkdir()
        await shoot(make_app(empty), "no-project")
        sample = ROOT / "sample_project"
        if (sample / ".relay").is_dir():
            copy = base / "sample" / "sample_project"
            shutil.copytree(sample, copy, symlinks=True)
            await shoot(make_app(copy, clock=None), "sample-project-review")
            await shoot(make_app(copy, clock=None), "sample-project-80x24", size=(80, 24))
            await shoot(make_app(copy, clock=None), "sample-project-history", "h")


if __name__ == "__main__":
    asyncio.run(main())
