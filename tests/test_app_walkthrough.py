"""Pilot tests for the problems a user walkthrough of the TUI found.

Each test fails on the app as it was before the fix: a superseded or already relayed report
offered ``y``, keys typed ahead confirmed a relay unseen, the status bar said "no state file"
before anything was read, ``r`` was silent, history's ``x`` target was unnamed, the
no-project footer offered an abort, the OSC 52 toast claimed a clipboard it cannot check, and
a short terminal scrolled the essentials of the confirmation out of view.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from app_fixtures import (
    PILOT_SIZE,
    WB,
    audit_records,
    events,
    hold,
    make_app,
    make_project,
    report_md,
    settled,
    write_report,
)
from test_app_hostile import record_notifications, screen_text
from test_tmux_e2e import BINARY, Tmux, tmux  # noqa: F401 - tmux is a fixture
from textual import events as textual_events
from textual.pilot import Pilot

from relay_tui.app.app import RelayApp
from relay_tui.app.screens.ask import AskScreen
from relay_tui.app.screens.confirm import ConfirmScreen
from relay_tui.app.screens.history import HistoryScreen
from relay_tui.app.screens.no_project import NoProjectScreen
from relay_tui.app.screens.review import ReviewScreen


def outbox_files(root: Path) -> list[Path]:
    return sorted((root / ".relay" / "outbox").glob("*.md"))


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector).render())


def footer_keys(app: RelayApp) -> dict[str, str]:
    """The keys the footer shows (enabled or not), with their descriptions."""
    return {
        key: active.binding.description
        for key, active in app.screen.active_bindings.items()
        if active.binding.show
    }


async def burst(pilot: Pilot[Any], *keys: str) -> None:
    """Keys read from the terminal in one go (``tmux send-keys c y``, a paste): every event
    exists before the app handled the first. ``pilot.press`` cannot model this: it waits for
    the app to go idle after each key and only then creates the next one."""
    app = pilot.app
    for key in keys:
        event = textual_events.Key(key, key)
        event.set_sender(app)
        app.post_message(event)
    await pilot.pause()
    for _ in range(5):
        await pilot.pause(0.02)


# --- 1. a superseded report ------------------------------------------------------------------


async def test_confirmation_of_a_superseded_report_relays_nothing(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(), age_seconds=60)
    write_report(root, "WB-012-v2.md", report_md(report_version=2), age_seconds=10)
    app = make_app(root)
    async with app.run_test(size=(140, 40)) as pilot:
        await settled(pilot)
        assert app.review is not None and app.review.selected is not None
        assert app.review.selected.name == "WB-012-v2.md"
        await pilot.press("down")  # the older, superseded v1
        await settled(pilot)
        assert app.review.selected.name == "WB-012-v1.md"
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        title = text_of(screen, "#confirm-title")
        assert "Confirm relay" not in title and "Nothing to relay" in title
        assert "superseded" in title
        why = text_of(screen, "#confirm-why")
        assert "superseded by WB-012-v2.md" in why and "current version" in why
        # Up front: the reason comes before the report's lines.
        assert (
            screen.query_one("#confirm-why").region.y < screen.query_one("#confirm-report").region.y
        )
        assert "y relay" not in text_of(screen, "#confirm-hints")
        assert not screen.query("#confirm-destinations") and not screen.query("#confirm-sha")
        assert "y" not in footer_keys(app)
        shown = screen_text(app)
        assert ".relay/outbox/" not in shown and "destinations" not in shown
        await pilot.press("y")
        await settled(pilot)
        assert "RELAY_CONFIRMED" not in events(root) and outbox_files(root) == []
        assert app.clipboard == ""


async def test_superseded_blocked_report_points_to_the_current_version(
    tui_project_dir: Path,
) -> None:
    root = make_project(tui_project_dir)
    blocked = {"files_changed": ["src/auth/limits.py", "deploy/production.yml"]}
    write_report(root, "WB-012-v1.md", report_md(**blocked), age_seconds=60)
    write_report(root, "WB-012-v2.md", report_md(report_version=2), age_seconds=10)
    app = make_app(root)
    async with app.run_test(size=(140, 40)) as pilot:
        await settled(pilot)
        await pilot.press("down")
        await settled(pilot)
        entry = app.review.entry  # type: ignore[union-attr]
        assert entry is not None and entry.label == "BLOCKED" and not entry.current
        header = text_of(app.review, "#message-header")
        assert "ask Codex" not in header and "current version" in header
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        why = text_of(screen, "#confirm-why")
        assert "ask Codex" not in why and "WB-012-v2.md" in why and "current version" in why


async def test_nothing_to_relay_titles_name_the_reason(tui_project_dir: Path) -> None:
    """BLOCKED, ERROR and HOLD_NO_ACTION confirmations are not titled "Confirm relay"."""
    cases: list[tuple[dict[str, Any], bool, str]] = [
        ({"files_changed": ["src/auth/limits.py", "deploy/production.yml"]}, False, "BLOCKED"),
        ({"state_revision": 9}, False, "ERROR"),
        ({}, True, "HOLD_NO_ACTION"),
    ]
    for index, (fields, held, label) in enumerate(cases):
        root = make_project(tui_project_dir / str(index))
        if held:
            hold(root)
        write_report(root, "WB-012-v1.md", report_md(**fields))
        app = make_app(root)
        async with app.run_test(size=PILOT_SIZE) as pilot:
            await settled(pilot)
            await pilot.press("c")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ConfirmScreen)
            title = " ".join(text_of(screen, "#confirm-title").split())
            assert "Confirm relay" not in title, title
            assert f"Nothing to relay {label}" in title, title
            assert "y relay" not in text_of(screen, "#confirm-hints")


# --- 2. keys typed ahead ----------------------------------------------------------------------


async def test_y_typed_ahead_of_the_confirmation_does_not_relay(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await burst(pilot, "c", "y")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, ConfirmScreen), "the y typed ahead closed the confirmation"
        assert "RELAY_CONFIRMED" not in events(root) and outbox_files(root) == []
        assert screen.keys_typed_ahead == 1
        assert "press y again" in text_of(screen, "#confirm-hints").lower()
        assert "y relay" in text_of(screen, "#confirm-hints")
        # The dialog is on screen now: the same key relays.
        await pilot.press("y")
        await settled(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert events(root)[-1] == "RELAY_CONFIRMED"
        assert len(outbox_files(root)) == 1


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.skipif(not BINARY.exists(), reason="relay-tui is not installed in this venv")
def test_tmux_send_keys_c_y_does_not_relay(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    """The walkthrough's exact keystrokes, in a real terminal: ``send-keys c y`` writes both
    bytes at once; the installed app opens the confirmation and asks for y again."""
    root = make_project(tmp_path / "demo", updated_at=dt.datetime.now(dt.UTC))
    (root / ".relay" / "reports" / "WB-012-v1.md").write_bytes(report_md())
    command = f"env -u COLUMNS -u LINES RELAY_TUI_CLIPBOARD=osc52 {BINARY} {root}; sleep 30"
    tmux.run("new-session", "-d", "-s", "relay", "-x", "120", "-y", "36", "sleep 600")
    deadline = time.monotonic() + 5
    while tmux.run("display", "-p", "-t", "relay", "#{pane_width}x#{pane_height}").strip() != (
        "120x36"
    ):
        assert time.monotonic() < deadline, "the tmux pane never reached 120x36"
        time.sleep(0.05)
    tmux.run("respawn-pane", "-k", "-t", "relay", command)
    tmux.wait_for(lambda text: "WB-012-v1.md" in text and "PASS" in text, "the PASS report")
    tmux.keys("c", "y")
    tmux.wait_for(lambda text: "Press y again" in text, "the dialog asking for y again")
    time.sleep(0.3)
    assert "RELAY_CONFIRMED" not in events(root)
    assert not list((root / ".relay" / "outbox").glob("*.md"))
    tmux.keys("y")
    tmux.wait_for(lambda text: "Relayed" in text, "the relay notification")
    assert events(root)[-1] == "RELAY_CONFIRMED"


async def test_y_typed_ahead_where_y_does_nothing_asks_for_nothing(tui_project_dir: Path) -> None:
    """On a BLOCKED report's dialog y relays nothing: no "press y again" either."""
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(files_changed=["deploy/production.yml"]))
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await burst(pilot, "c", "y")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, ConfirmScreen) and screen.keys_typed_ahead == 0
        assert "again" not in text_of(screen, "#confirm-hints")
        assert "RELAY_CONFIRMED" not in events(root)


async def test_y_typed_ahead_of_a_question_does_not_answer_it(tui_project_dir: Path) -> None:
    """``r y`` in one burst must not release a hold unseen."""
    root = make_project(tui_project_dir)
    hold(root)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await burst(pilot, "r", "y")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, AskScreen)
        assert "HOLD_RELEASED" not in events(root)
        assert "press y again" in text_of(screen, "#ask-hints").lower()
        await pilot.press("y")
        await settled(pilot)
        assert events(root)[-1] == "HOLD_RELEASED"


async def test_y_pressed_once_the_confirmation_shows_relays(tui_project_dir: Path) -> None:
    """A human who sees the dialog and presses y: no "press again"."""
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        for _ in range(50):
            if screen.shown_at is not None:
                break
            await pilot.pause(0.01)
        assert screen.shown_at is not None
        await asyncio.sleep(0.05)
        await pilot.press("y")
        await settled(pilot)
        assert screen.keys_typed_ahead == 0
        assert events(root)[-1] == "RELAY_CONFIRMED"


# --- 3. already relayed -----------------------------------------------------------------------


async def test_already_relayed_offers_no_y_and_no_destinations(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=(140, 40)) as pilot:
        await settled(pilot)
        await pilot.press("c")
        await pilot.press("y")
        await settled(pilot)
        assert events(root)[-1] == "RELAY_CONFIRMED"
        assert app.review.entry is not None and app.review.entry.relayed  # type: ignore[union-attr]
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        title = text_of(screen, "#confirm-title")
        assert "Nothing to relay — already relayed" in title
        assert "already relayed" in text_of(screen, "#confirm-why")
        assert "y relay" not in text_of(screen, "#confirm-hints")
        assert "y" not in footer_keys(app)
        shown = screen_text(app)
        assert "-2.md" not in shown and "destinations" not in shown
        await pilot.press("y")
        await settled(pilot)
        assert events(root).count("RELAY_CONFIRMED") == 1 and len(outbox_files(root)) == 1


# --- 4. before the first scan -----------------------------------------------------------------


async def test_status_bar_says_loading_until_the_first_scan(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    gate = threading.Event()
    real_scan = app.catalog.scan

    def held_back(*, force: bool = False) -> Any:
        gate.wait(10)
        return real_scan(force=force)

    app.catalog.scan = held_back  # type: ignore[method-assign]
    async with app.run_test(size=(140, 40)) as pilot:
        for _ in range(10):
            await pilot.pause(0.01)
        assert app.review is not None and app.review.scan is None
        info = text_of(app.review, "#status-info")
        box = text_of(app.review, "#status-label")
        assert "no state file" not in info and "NO REPORT" not in box
        assert "reading the project" in info.lower() and "loading" in box.lower()
        gate.set()
        await settled(pilot)
        box = text_of(app.review, "#status-label")
        assert "PASS" in box and "loading" not in box.lower()
        assert "state revision 7" in text_of(app.review, "#status-info")


# --- 5. r and a without anything to do ----------------------------------------------------------


async def test_release_when_not_on_hold_says_so(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        toasts = record_notifications(app)
        await pilot.press("r")
        await settled(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert any(
            f"{WB} is not on hold; nothing to release" in toast["message"] for toast in toasts
        ), toasts
        assert "HOLD_RELEASED" not in events(root)


async def test_authorize_when_already_authorized_says_so(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        before = events(root)
        toasts = record_notifications(app)
        await pilot.press("a")
        await settled(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert any("already authorized" in toast["message"] for toast in toasts), toasts
        assert events(root) == before


# --- 6. x on the history screen -----------------------------------------------------------------


async def test_history_names_the_workblock_x_would_hold(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-005-v1.md", report_md(workblock="WB-005"))
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("h")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        target = text_of(screen, "#history-target")
        assert "x" in target and "WB-005" in target
        await pilot.press("x")
        await settled(pilot)
        assert audit_records(root)[-1]["event"] == "RELAY_ABORTED"
        assert audit_records(root)[-1]["workblock"] == "WB-005"


async def test_history_without_a_target_says_x_holds_nothing(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir, active=None)
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("h")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        assert "no workblock" in text_of(screen, "#history-target")


# --- 7. the no-project footer -------------------------------------------------------------------


async def test_no_project_footer_offers_no_abort(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, NoProjectScreen)
        keys = footer_keys(app)
        assert "x" not in keys and "i" in keys and "q" in keys
        assert "Abort" not in screen_text(app)
        toasts = record_notifications(app)
        await pilot.press("x")  # still answers, and writes nothing
        await pilot.pause()
        assert any("Nothing to abort" in toast["message"] for toast in toasts), toasts
        assert not (tmp_path / ".relay").exists()


# --- 8. OSC 52 ---------------------------------------------------------------------------------


async def test_osc52_toast_says_it_was_sent_and_cannot_be_verified(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)  # its system clipboard always fails
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        toasts = record_notifications(app)
        message = app.review.entry.verdict.message  # type: ignore[union-attr]
        assert message is not None
        checksum = message.rstrip("\n").rpartition("\n")[2]
        assert checksum.startswith("relay-checksum: ")
        await pilot.press("c")
        await pilot.press("y")
        await settled(pilot)
        [relayed] = [toast for toast in toasts if toast.get("title") == "Relayed"]
        text = relayed["message"]
        assert "sent to the terminal via OSC 52" in text
        assert "cannot be verified" in text and checksum in text
        assert "no system clipboard was found" in text
        assert audit_records(root)[-1]["destination"].startswith("clipboard:osc52, outbox:")


# --- 9. a short terminal ------------------------------------------------------------------------


async def test_small_confirmation_keeps_label_hash_and_destinations_in_view(
    tui_project_dir: Path,
) -> None:
    root = make_project(tui_project_dir, active="WB-999")
    write_report(root, "WB-012-v1.md", report_md(state_revision=6))  # two warnings
    app = make_app(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("c")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, ConfirmScreen) and screen.warnings
        shown = screen_text(app)
        sha = screen.verdict.message_sha256
        assert sha is not None and sha in shown
        assert "PASS_WITH_WARNING" in shown
        assert "destinations" in shown and "clipboard" in shown
        assert screen.verdict.suggested_filename is not None
        assert screen.verdict.suggested_filename in shown
        assert "y relay" in text_of(screen, "#confirm-hints")
        assert screen.focused is screen.query_one("#ack-0")


async def test_refusal_is_shown_inside_the_dialog_above_its_keys(tui_project_dir: Path) -> None:
    """v2 lands while v1's confirmation is open: the core refuses, the dialog says why."""
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(), age_seconds=60)
    app = make_app(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        toasts = record_notifications(app)
        await pilot.press("c")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        write_report(root, "WB-012-v2.md", report_md(report_version=2), age_seconds=10)
        await pilot.press("y")
        await settled(pilot)
        assert app.screen is screen
        assert "RELAY_CONFIRMED" not in events(root) and outbox_files(root) == []
        hints = text_of(screen, "#confirm-hints")
        assert "superseded by WB-012-v2.md" in hints and "Nothing was relayed" in hints
        assert "y relay" not in hints and "esc close" in hints
        assert "Relay refused" in text_of(screen, "#confirm-title")
        assert not any(toast.get("title") == "Relay refused" for toast in toasts), toasts
        region = screen.query_one("#confirm-hints").region
        assert region.bottom <= 24 and screen.query_one("#confirm-dialog").region.contains_region(
            region
        )
        await pilot.press("escape")
        await settled(pilot)
        assert app.review is not None and app.review.selected is not None
        assert app.review.selected.name == "WB-012-v2.md"
