"""Snapshot tests of every screen (fixed size, frozen clock, fixed project content).

Update after a deliberate change with
``.venv/bin/python -m pytest tests/test_app_snapshots.py --snapshot-update`` and look at the
SVGs under ``tests/__snapshots__/`` before accepting them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from app_fixtures import (
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
from textual.pilot import Pilot

from relay_tui.app.screens.history import HistoryScreen

SnapCompare = Callable[..., bool]


def _then(*keys: str, history: bool = False) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """Wait for the first scan, press ``keys``, and wait again (and for the audit log)."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        for key in keys:
            await pilot.press(key)
            await settled(pilot)
        if history:
            screen = pilot.app.screen
            assert isinstance(screen, HistoryScreen)
            while not screen.loaded:
                await pilot.pause(0.01)
        await pilot.pause()

    return run_before


def _project_with(root: Path, label: str) -> Path:
    make_project(root)
    write_report(root, "WB-012-v1.md", report_md(**LABEL_REPORTS[label]))
    return root


@pytest.mark.parametrize("label", sorted(LABEL_REPORTS))
def test_review_screen_for_each_label(
    snap_compare: SnapCompare, tui_project_dir: Path, label: str
) -> None:
    """You should see the review screen: the report list with one report, the report with
    line numbers, its findings and the prepared message (or why nothing can be relayed), and
    the label large and coloured in the status bar (PASS green, PASS_WITH_WARNING amber,
    ERROR and BLOCKED red)."""
    root = _project_with(tui_project_dir, label)
    assert snap_compare(make_app(root), terminal_size=SIZE, run_before=_then())


def test_review_screen_hold(snap_compare: SnapCompare, tui_project_dir: Path) -> None:
    """You should see HOLD_NO_ACTION in the status bar, "ON HOLD" on the report line and the
    message pane explaining that only a human releases the hold (press r)."""
    root = _project_with(tui_project_dir, "PASS")
    hold(root)
    assert snap_compare(make_app(root), terminal_size=SIZE, run_before=_then())


def test_review_screen_after_abort(snap_compare: SnapCompare, tui_project_dir: Path) -> None:
    """You should see a PASS report turned HOLD_NO_ACTION right after pressing x, and the
    "Aborted: nothing was relayed" notification naming the RELAY_ABORTED record."""
    root = _project_with(tui_project_dir, "PASS")
    assert snap_compare(make_app(root), terminal_size=SIZE, run_before=_then("x"))


def test_review_screen_superseded_and_several(
    snap_compare: SnapCompare, tui_project_dir: Path
) -> None:
    """You should see three reports newest first: WB-012-v2 (PASS_WITH_WARNING, selected,
    current), WB-013-v1 (ERROR, no card) and WB-012-v1 (PASS, marked superseded)."""
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(), age_seconds=300)
    write_report(root, "WB-013-v1.md", report_md(workblock="WB-013"), age_seconds=200)
    write_report(
        root, "WB-012-v2.md", report_md(state_revision=6, report_version=2), age_seconds=100
    )
    assert snap_compare(make_app(root), terminal_size=SIZE, run_before=_then())


@pytest.mark.parametrize("label", ["PASS", "PASS_WITH_WARNING"])
def test_confirmation(snap_compare: SnapCompare, tui_project_dir: Path, label: str) -> None:
    """You should see the confirmation over the review screen: both destinations (clipboard,
    outbox with its file name), the full 64-hex message sha256 on one line, the size and
    token estimate, and for PASS_WITH_WARNING one unticked acknowledgement per warning."""
    root = _project_with(tui_project_dir, label)
    assert snap_compare(make_app(root), terminal_size=SIZE, run_before=_then("c"))


@pytest.mark.parametrize("keys", [(), ("c",)], ids=["review", "confirmation"])
def test_small_terminal(
    snap_compare: SnapCompare, tui_project_dir: Path, keys: tuple[str, ...]
) -> None:
    """You should see, at 80x24, a narrower report list on the left, the report above the
    findings and the message (one-line sha256 ending in …, the size), the status lines cut
    with … rather than wrapped; with c, the confirmation from its top without blank lines:
    label, report, destinations with the outbox file name, the sha256, the size and the
    warning to tick, its keys (y relay · esc cancel · x abort) kept in view above the
    footer."""
    root = _project_with(tui_project_dir, "PASS_WITH_WARNING")
    assert snap_compare(make_app(root), terminal_size=(80, 24), run_before=_then(*keys))


def test_confirmation_for_blocked_explains(
    snap_compare: SnapCompare, tui_project_dir: Path
) -> None:
    """You should see the confirmation of a BLOCKED report titled "Nothing to relay —
    BLOCKED", saying first that nothing can be relayed and that a new report is needed, with
    no hash, no destinations and no y."""
    root = _project_with(tui_project_dir, "BLOCKED")
    assert snap_compare(make_app(root), terminal_size=SIZE, run_before=_then("c"))


def test_history(snap_compare: SnapCompare, tui_project_dir: Path) -> None:
    """You should see the audit log newest first (RELAY_ABORTED above CARD_AUTHORIZED), event
    names verbatim, the green "Audit chain intact" banner, the line naming the workblock x
    would hold (WB-012), and the newest record in detail."""
    root = _project_with(tui_project_dir, "PASS")
    hold(root)
    app = make_app(root)
    assert snap_compare(app, terminal_size=SIZE, run_before=_then("h", history=True))


def test_history_broken_chain(snap_compare: SnapCompare, tui_project_dir: Path) -> None:
    """You should see a red banner "chain broken at seq 1" (the first record was edited) and
    the records from that seq on marked with ⚠ as not trusted."""
    root = _project_with(tui_project_dir, "PASS")
    hold(root)
    log = root / ".relay" / "audit.jsonl"
    log.write_text(log.read_text("utf-8").replace("human:alice", "human:mallory", 1), "utf-8")
    app = make_app(root)
    assert snap_compare(app, terminal_size=SIZE, run_before=_then("h", history=True))


def test_hostile_text_shown_as_visible_tokens(
    snap_compare: SnapCompare, tui_project_dir: Path
) -> None:
    """You should see the hostile report as text: ␛[2J, ␛[8m, ␛]52;c;…␇ as visible tokens,
    the markup [@click=app.quit]x[/] and [bold]bold[/] literally (not bold, not clickable),
    <U+202E> where the bidi override was, a file name with ␛ and <U+202E> tokens, and
    BLOCKED (HIDDEN findings); the screen is intact (not cleared)."""
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-\x1b[2J\u202e[bold]v1.md", hostile_report())
    assert snap_compare(make_app(root), terminal_size=SIZE, run_before=_then())


def test_no_project(
    snap_compare: SnapCompare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """You should see "No relay workspace here" explaining that ./empty holds no .relay/,
    the command relay-tui init ./empty, and that i initializes it now."""
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    app = make_app(tmp_path / "empty")
    assert snap_compare(app, terminal_size=SIZE)
