"""Pilot tests of the review TUI: every key path, asserting audit records, outbox and clipboard."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path
from typing import Any

from app_fixtures import (
    ACTOR,
    PILOT_SIZE,
    WB,
    audit_records,
    events,
    hold,
    hostile_report,
    make_app,
    make_project,
    report_md,
    settled,
    write_report,
)
from textual.events import Key

from relay_tui.app.screens.ask import AskScreen
from relay_tui.app.screens.confirm import ConfirmScreen
from relay_tui.app.screens.history import HistoryScreen
from relay_tui.app.screens.no_project import NoProjectScreen
from relay_tui.app.screens.review import ReviewScreen
from relay_tui.app.widgets.findings import FindingsList
from relay_tui.app.widgets.message_view import MessageView
from relay_tui.app.widgets.report_view import ReportView


def outbox_files(root: Path) -> list[Path]:
    return sorted(path for path in (root / ".relay" / "outbox").glob("*.md"))


def label_of(app: object) -> str | None:
    review = app.review  # type: ignore[attr-defined]
    entry = review.entry
    return entry.label if entry is not None else None


async def test_opens_on_newest_current_report(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(), age_seconds=300)
    write_report(root, "WB-012-v2.md", report_md(report_version=2), age_seconds=200)
    # Newer file, lower version: superseded by v2 although it is the newest file.
    write_report(root, "WB-012-late-v1.md", report_md(), age_seconds=100)
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert app.review is not None and app.review.selected is not None
        assert app.review.selected.name == "WB-012-v2.md"
        scan = app.scan
        assert scan is not None
        current = {entry.path.name: entry.current for entry in scan.entries}
        assert current == {"WB-012-v1.md": False, "WB-012-v2.md": True, "WB-012-late-v1.md": False}
        assert [entry.path.name for entry in scan.entries][0] == "WB-012-late-v1.md"
        assert label_of(app) == "PASS"


async def test_no_project_screen_offers_init(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, NoProjectScreen)
        body = str(app.screen.query_one("#no-project-body").render())
        assert "relay-tui init" in body
        await pilot.press("x")  # nothing to abort, no crash, nothing written
        assert not (tmp_path / ".relay").exists()
        await pilot.press("i")
        await settled(pilot)
        assert (tmp_path / ".relay" / "config.toml").is_file()
        assert isinstance(app.screen, ReviewScreen)
        # The empty project says so (not "Reading…" forever), without a line number.
        view = app.screen.query_one(ReportView)
        assert view.text.startswith("No report yet.") and view._gutter_width() == 0
        # init writes active_workblock = "": an abort then holds no workblock, not "".
        await pilot.press("x")
        await settled(pilot)
        assert events(tmp_path) == ["RELAY_ABORTED"]
        assert audit_records(tmp_path)[-1]["workblock"] is None


async def test_confirm_pass_relays_to_outbox_and_osc52(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        verdict = app.review.entry.verdict  # type: ignore[union-attr]
        assert verdict is not None and verdict.message is not None
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmScreen)
        sha = str(app.screen.query_one("#confirm-sha").render())
        assert sha.strip() == verdict.message_sha256
        await pilot.press("y")
        await settled(pilot)
        assert isinstance(app.screen, ReviewScreen)
        # The system clipboard failed, so OSC 52 carried exactly the message.
        assert app.clipboard == verdict.message
        [outbox] = outbox_files(root)
        assert outbox.read_bytes() == verdict.message.encode("utf-8")
        assert stat.S_IMODE(outbox.stat().st_mode) == 0o600
        record = audit_records(root)[-1]
        assert record["event"] == "RELAY_CONFIRMED"
        assert record["actor"] == ACTOR
        assert record["message_sha256"] == hashlib.sha256(outbox.read_bytes()).hexdigest()
        assert "clipboard:osc52" in record["destination"]
        assert "outbox:.relay/outbox/" in record["destination"]
        assert app.review.entry.relayed  # type: ignore[union-attr]


async def test_system_clipboard_used_when_present(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    copied: list[str] = []
    app = make_app(root, clipboard=copied.append)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("c", "y")
        await settled(pilot)
        assert len(copied) == 1 and copied[0].endswith("\n")
        assert app.clipboard == ""  # OSC 52 was not needed
        assert "clipboard:pyperclip" in audit_records(root)[-1]["destination"]


async def test_one_confirmation_relays_once(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("c", "y")
        await settled(pilot)
        await pilot.press("c", "y")
        await settled(pilot)
        assert events(root).count("RELAY_CONFIRMED") == 1
        assert len(outbox_files(root)) == 1


async def test_warnings_must_each_be_acknowledged(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir, active="WB-999")
    # Two warnings: a stale revision and another active workblock.
    write_report(root, "WB-012-v1.md", report_md(state_revision=6))
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        assert label_of(app) == "PASS_WITH_WARNING"
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        assert len(screen.warnings) == 2
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is screen and "RELAY_CONFIRMED" not in events(root)
        await pilot.press("1", "y")
        await pilot.pause()
        assert app.screen is screen and "RELAY_CONFIRMED" not in events(root)
        await pilot.press("2", "y")
        await settled(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert events(root)[-1] == "RELAY_CONFIRMED"
        assert "## Warnings" in app.clipboard


async def test_confirmation_refused_when_report_changes(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    path = write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmScreen)
        shown_sha = app.screen.verdict.report_sha256
        changed = report_md(extra_body="A line added after the confirmation opened.\n")
        path.write_bytes(changed)
        await pilot.press("y")
        await settled(pilot)
        assert "RELAY_CONFIRMED" not in events(root)
        assert outbox_files(root) == []
        assert app.clipboard == ""
        # The report was validated again: the entry now holds the new bytes' verdict.
        entry = app.review.entry  # type: ignore[union-attr]
        assert entry is not None and entry.verdict is not None
        assert entry.verdict.report_sha256 == hashlib.sha256(changed).hexdigest() != shown_sha


async def test_report_arriving_under_open_confirmation_does_not_change_it(
    tui_project_dir: Path,
) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(), age_seconds=60)
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        confirming = screen.verdict
        write_report(root, "WB-012-v2.md", report_md(report_version=2), age_seconds=10)
        app.request_scan()
        await settled(pilot)
        assert app.screen is screen and screen.verdict is confirming
        assert app.review.selected.name == "WB-012-v1.md"  # type: ignore[union-attr]
        # v2 supersedes v1: the confirmation still shows v1, says so before y, and refuses y.
        assert screen.notice is not None and "WB-012-v2.md" in screen.notice.plain
        await pilot.press("y")
        await settled(pilot)
        assert "RELAY_CONFIRMED" not in events(root)
        assert not any((root / ".relay" / "outbox").iterdir())
        if isinstance(app.screen, ConfirmScreen):
            await pilot.press("escape")
            await settled(pilot)
        # Once the confirmation closed, the report that arrived meanwhile is selected.
        assert app.review.selected.name == "WB-012-v2.md"  # type: ignore[union-attr]


async def test_new_report_becomes_selected(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(), age_seconds=60)
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        write_report(root, "WB-012-v2.md", report_md(state_revision=6, report_version=2))
        app.request_scan()
        await settled(pilot)
        assert app.review.selected.name == "WB-012-v2.md"  # type: ignore[union-attr]
        assert label_of(app) == "PASS_WITH_WARNING"
        assert "PASS_WITH_WARNING" in str(app.review.query_one("#status-label").render())  # type: ignore[union-attr]


async def test_abort_holds_the_workblock(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("x")
        await settled(pilot)
        record = audit_records(root)[-1]
        assert record["event"] == "RELAY_ABORTED"
        assert record["workblock"] == WB and record["actor"] == ACTOR
        assert label_of(app) == "HOLD_NO_ACTION"
        assert app.review.query_one("#status-label").has_class("-hold")  # type: ignore[union-attr]
        message = app.review.query_one(MessageView)  # type: ignore[union-attr]
        assert message.has_class("-nothing")
        await pilot.press("c", "y")
        await settled(pilot)
        assert "RELAY_CONFIRMED" not in events(root)
        assert outbox_files(root) == []


async def test_ctrl_x_aborts_and_abort_works_on_history(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("ctrl+x")
        await settled(pilot)
        assert events(root).count("RELAY_ABORTED") == 1
        await pilot.press("h")
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("x")
        await settled(pilot)
        assert events(root).count("RELAY_ABORTED") == 2


async def test_release_hold_asks_then_records(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    hold(root)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        assert label_of(app) == "HOLD_NO_ACTION"
        await pilot.press("r")
        assert isinstance(app.screen, AskScreen)
        await pilot.press("n")
        await settled(pilot)
        assert "HOLD_RELEASED" not in events(root)
        await pilot.press("r", "y")
        await settled(pilot)
        record = audit_records(root)[-1]
        assert record["event"] == "HOLD_RELEASED" and record["actor"] == ACTOR
        assert label_of(app) == "PASS"


async def test_authorize_card_asks_then_stamps(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir, authorize=False)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        assert label_of(app) == "BLOCKED"
        await pilot.press("a")
        assert isinstance(app.screen, AskScreen)
        body = str(app.screen.query_one("#ask-body").render())
        assert "src/auth/**" in body
        await pilot.press("y")
        await settled(pilot)
        assert "CARD_AUTHORIZED" in events(root)
        assert "[authorization]" in (root / ".relay" / "cards" / f"{WB}.toml").read_text()
        assert label_of(app) == "PASS"


async def test_validation_blocked_recorded_once_per_report_hash(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(files_changed=["deploy/production.yml"]))
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        assert label_of(app) == "BLOCKED"
        for _ in range(3):
            app.request_scan(force=True)
            await settled(pilot)
        assert events(root).count("VALIDATION_BLOCKED") == 1
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmScreen)
        assert "A new report is needed" in str(app.screen.query_one("#confirm-why").render())
        await pilot.press("y", "escape")
        await settled(pilot)
        assert "RELAY_CONFIRMED" not in events(root)


async def test_error_report_explains_why_nothing_can_be_relayed(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(state_revision=9))
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        assert label_of(app) == "ERROR"
        header = str(app.review.query_one("#message-header").render())  # type: ignore[union-attr]
        assert "until the report is remediated" in header


async def test_zero_byte_report_is_incomplete_never_pass(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    (root / ".relay" / "reports" / "WB-012-v1.md").write_bytes(b"")  # mtime: now
    app = make_app(root, settle=30.0)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        # Just written: shown as still arriving, with no label at all.
        entry = app.review.entry  # type: ignore[union-attr]
        assert entry is None or entry.verdict is None
    app = make_app(root, settle=0.0)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        entry = app.review.entry  # type: ignore[union-attr]
        assert entry is not None and entry.label == "ERROR"
        assert "STRUCTURE-002" in [item.rule for item in entry.verdict.findings]  # type: ignore[union-attr]


async def test_temp_files_and_dotfiles_are_never_read(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    reports = root / ".relay" / "reports"
    (reports / "WB-012-v1.md.tmp").write_bytes(report_md())
    (reports / ".WB-012-v1.md.swp").write_bytes(report_md())
    (reports / "notes.txt").write_bytes(b"not a report")
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        assert app.scan is not None and app.scan.entries == ()
        (reports / "WB-012-v1.md.tmp").rename(reports / "WB-012-v1.md")
        app.request_scan()
        await settled(pilot)
        assert [entry.path.name for entry in app.scan.entries] == ["WB-012-v1.md"]


async def test_reports_folder_deleted_then_recreated(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    reports = root / ".relay" / "reports"
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        for path in reports.iterdir():
            path.unlink()
        reports.rmdir()
        app.request_scan()
        await settled(pilot)
        assert app.scan is not None and app.scan.folder_error is not None
        info = str(app.review.query_one("#status-info").render())  # type: ignore[union-attr]
        assert "does not exist" in info
        reports.mkdir()
        write_report(root, "WB-012-v2.md", report_md(report_version=2))
        app.request_scan()
        await settled(pilot)
        assert app.scan.folder_error is None
        assert app.review.selected.name == "WB-012-v2.md"  # type: ignore[union-attr]


async def test_live_watcher_picks_up_atomic_saves(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(), age_seconds=60)
    app = make_app(root, watch=True, poll_interval=30.0)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        reports = root / ".relay" / "reports"
        temporary = reports / ".WB-012-v2.md.tmp"
        temporary.write_bytes(report_md(report_version=2))
        temporary.rename(reports / "WB-012-v2.md")
        for _ in range(300):
            await pilot.pause(0.01)
            if app.review.selected.name == "WB-012-v2.md":  # type: ignore[union-attr]
                break
        assert app.review.selected.name == "WB-012-v2.md"  # type: ignore[union-attr]
        assert [entry.path.name for entry in app.scan.entries] == ["WB-012-v2.md", "WB-012-v1.md"]  # type: ignore[union-attr]


async def test_finding_marks_its_line(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(state_revision=6))
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        findings = app.review.query_one(FindingsList)  # type: ignore[union-attr]
        findings.focus()
        findings.highlighted = 0
        await pilot.pause()
        await pilot.pause()
        view = app.review.query_one(ReportView)  # type: ignore[union-attr]
        assert view.marked_line == 5  # state_revision is on line 5


async def test_hostile_text_is_shown_as_visible_tokens(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", hostile_report())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        assert label_of(app) == "BLOCKED"
        text = app.review.query_one(ReportView).text  # type: ignore[union-attr]
        for raw in ("\x1b", "\u202e", "\x07", "\x9b", "\x9d"):
            assert raw not in text
        assert "␛[2J" in text and "<U+202E>" in text and "␇" in text
        assert "␛]8;;https://evil.example/␇" in text and "<U+009B>31m" in text
        assert "[@click=app.quit]x[/]" in text
        await pilot.click(ReportView)
        assert app.is_running and app.clipboard == ""


async def test_hostile_file_name_is_escaped(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-\x1b[31mred\u202e[bold]\nx.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        [entry] = app.scan.entries  # type: ignore[union-attr]
        assert "\x1b" not in entry.display_name and "\u202e" not in entry.display_name
        assert "␛[31mred<U+202E>[bold]␤x.md" in entry.display_name
        assert "\n" not in entry.display_name


async def test_a_credential_in_a_file_name_is_redacted_in_the_list(tui_project_dir: Path) -> None:
    token = "ghp_" + "k3J9xQ2mV7pL4sT8wZ1bN6cR0dF5gH2jY9uE"
    root = make_project(tui_project_dir)
    write_report(root, f"WB-012-{token}.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        [entry] = app.scan.entries  # type: ignore[union-attr]
        assert token not in entry.display_name and "[REDACTED:" in entry.display_name
        assert entry.label == "BLOCKED"
        assert token not in (root / ".relay" / "audit.jsonl").read_text("utf-8")


async def test_history_lists_records_newest_first(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("x")
        await settled(pilot)
        await pilot.press("h")
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        for _ in range(100):
            await pilot.pause(0.01)
            if screen.loaded:
                break
        assert [record["event"] for record in screen.records] == [
            "RELAY_ABORTED",
            "CARD_AUTHORIZED",
        ]
        assert screen.query_one("#history-banner").has_class("-intact")
        detail = str(screen.query_one("#history-detail").render())
        assert "RELAY_ABORTED" in detail and ACTOR in detail
        await pilot.press("h")
        assert isinstance(app.screen, ReviewScreen)


async def test_history_banner_names_broken_chain_and_torn_tail(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    hold(root)
    log = root / ".relay" / "audit.jsonl"
    lines = log.read_text("utf-8").splitlines(keepends=True)
    lines[0] = lines[0].replace("human:alice", "human:mallory")
    log.write_text("".join(lines) + '{"seq": 3, "event": "RELAY_CONF', "utf-8")
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("h")
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        for _ in range(100):
            await pilot.pause(0.01)
            if screen.loaded:
                break
        banner = str(screen.query_one("#history-banner").render())
        assert screen.query_one("#history-banner").has_class("-broken")
        assert "broken at seq 1" in banner and "torn tail" in banner
        assert re.search(r"after seq \d+\. Records from that seq on", banner), banner


async def test_bell_rings_only_when_looking_elsewhere(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(), age_seconds=60)
    app = make_app(root, bell=True)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        write_report(root, "WB-012-v2.md", report_md(report_version=2), age_seconds=30)
        app.request_scan()
        await settled(pilot)
        assert app.bells_rung == 0
        await pilot.press("h")
        write_report(root, "WB-012-v3.md", report_md(report_version=3))
        app.request_scan()
        await settled(pilot)
        assert app.bells_rung == 1


async def test_q_quits(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_actions_are_in_the_command_palette(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Abort", "History", "Confirm relay", "Authorize card", "Release hold"} <= titles


def test_every_binding_has_description_tooltip_and_kebab_id() -> None:
    from relay_tui.app.app import RelayApp

    kebab = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
    owners = (RelayApp, ReviewScreen, ConfirmScreen, HistoryScreen, AskScreen, NoProjectScreen)
    ids = []
    for owner in owners:
        for binding in owner.BINDINGS:
            assert not isinstance(binding, tuple), owner
            assert binding.description and binding.tooltip, binding  # type: ignore[union-attr]
            assert binding.id and kebab.fullmatch(binding.id), binding  # type: ignore[union-attr]
            ids.append(binding.id)  # type: ignore[union-attr]
    assert len(ids) == len(set(ids))
    priority = {binding.action for binding in RelayApp.BINDINGS if binding.priority}  # type: ignore[union-attr]
    assert priority == {"abort", "quit"}


async def test_symlink_and_fifo_reports_are_refused_without_blocking(
    tui_project_dir: Path,
) -> None:
    root = make_project(tui_project_dir)
    reports = root / ".relay" / "reports"
    secret = tui_project_dir.parent / "id_rsa"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n", "utf-8")
    (reports / "WB-012-link.md").symlink_to(secret)
    os.mkfifo(reports / "WB-012-fifo.md")
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        entries = {entry.path.name: entry for entry in app.scan.entries}  # type: ignore[union-attr]
        assert {name: entry.label for name, entry in entries.items()} == {
            "WB-012-link.md": "ERROR",
            "WB-012-fifo.md": "ERROR",
        }
        reason = entries["WB-012-link.md"].verdict.findings[0].message  # type: ignore[union-attr]
        assert "symbolic link" in reason
        text = app.review.query_one(ReportView).text  # type: ignore[union-attr]
        assert "BEGIN OPENSSH" not in text


async def test_typing_x_in_the_command_palette_does_not_abort(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press("x", "q")
        await pilot.pause()
        assert app.is_running
        assert "RELAY_ABORTED" not in events(root)
        await pilot.press("ctrl+x")  # ctrl+x aborts even while text is being typed
        await settled(pilot)
        assert events(root)[-1] == "RELAY_ABORTED"


def record_labels(app: Any, path: Path) -> list[str | None]:
    """Every label the review screen is handed for ``path`` (None while arriving), in order."""
    seen: list[str | None] = []
    review = app.review
    assert review is not None
    show_scan = review.show_scan

    def recording(result: Any) -> None:
        entry = result.entry(path)
        if entry is not None:
            seen.append(entry.label)
        show_scan(result)

    review.show_scan = recording
    return seen


async def last_label(pilot: Any, seen: list[str | None]) -> str | None:
    """Wait (up to 3 s) until a label is shown, then return it."""
    for _ in range(300):
        await pilot.pause(0.01)
        if seen and seen[-1] is not None:
            break
    return seen[-1] if seen else None


async def test_report_written_in_chunks_is_never_shown_half(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(), age_seconds=60)
    app = make_app(root, watch=True, settle=1.0, stable_interval=0.01, poll_interval=30.0)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        path = root / ".relay" / "reports" / "WB-012-v2.md"
        seen = record_labels(app, path)
        data = report_md(report_version=2)
        with path.open("wb") as handle:
            for start in range(0, len(data), len(data) // 3 + 1):
                handle.write(data[start : start + len(data) // 3 + 1])
                handle.flush()
                await pilot.pause(0.3)
        assert await last_label(pilot, seen) == "PASS"
        assert set(seen[:-1]) <= {None}, seen  # only "arriving" before the whole file


async def test_a_chunk_that_leaves_a_complete_looking_report_is_not_shown(
    tui_project_dir: Path,
) -> None:
    """The first chunk is a valid report cut mid-line; the whole file says "ready to merge"."""
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(), age_seconds=60)
    app = make_app(root, watch=True, settle=1.0, stable_interval=0.01, poll_interval=30.0)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        path = root / ".relay" / "reports" / "WB-012-v2.md"
        seen = record_labels(app, path)
        data = report_md(report_version=2, extra_body="It is ready to merge.\n")
        cut = len(data) - len(" ready to merge.\n")
        with path.open("wb") as handle:
            handle.write(data[:cut])  # "...\nIt is": complete sections, mid-line
            handle.flush()
            await pilot.pause(0.3)
            handle.write(data[cut:])
            handle.flush()
        assert await last_label(pilot, seen) == "ERROR"
        assert set(seen[:-1]) <= {None}, seen  # the PASS-looking prefix was never shown


async def test_a_report_held_open_by_its_writer_is_not_shown_until_closed(
    tui_project_dir: Path,
) -> None:
    """A writer pauses longer than ``settle`` after a newline: the file is open, so it waits."""
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(), age_seconds=60)
    app = make_app(root, watch=True, settle=0.2, stable_interval=0.01, poll_interval=30.0)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        path = root / ".relay" / "reports" / "WB-012-v2.md"
        seen = record_labels(app, path)
        with path.open("wb") as handle:
            handle.write(report_md(report_version=2))  # a whole report, ending in a newline
            handle.flush()
            await pilot.pause(0.8)  # four times ``settle``: only the open file says "not done"
            assert None in seen and "PASS" not in seen, seen
            handle.write(b"It is ready to merge.\n")
        assert await last_label(pilot, seen) == "ERROR"
        assert set(seen[:-1]) <= {None}, seen


async def test_two_reports_ten_ms_apart_are_two_decisions(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(), age_seconds=60)
    app = make_app(root, watch=True, poll_interval=30.0)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        reports = root / ".relay" / "reports"
        (reports / "WB-013-v1.md").write_bytes(report_md(workblock="WB-013"))
        await pilot.pause(0.01)
        (reports / "WB-012-v2.md").write_bytes(report_md(report_version=2))
        for _ in range(300):
            await pilot.pause(0.01)
            if app.scan is not None and len(app.scan.entries) == 3 and not app.busy:
                break
        labels = {entry.path.name: entry.label for entry in app.scan.entries}  # type: ignore[union-attr]
        assert labels == {"WB-012-v1.md": "PASS", "WB-013-v1.md": "ERROR", "WB-012-v2.md": "PASS"}
        assert app.review.selected.name == "WB-012-v2.md"  # type: ignore[union-attr]


async def test_a_destination_that_fails_is_named_and_nothing_half_done(
    tui_project_dir: Path,
) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    outbox = root / ".relay" / "outbox"
    outbox.rmdir()
    outbox.write_text("not a folder", "utf-8")  # the outbox cannot be written
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("c", "y")
        await settled(pilot)
        record = audit_records(root)[-1]
        assert record["event"] == "RELAY_CONFIRMED"
        assert record["destination"] == "clipboard:osc52"
        assert "outbox" in record["note"]
        assert app.clipboard.endswith("\n") and outbox.read_text("utf-8") == "not a folder"
        assert not list(root.glob(".relay/.tmp-*"))


async def test_keys_from_config_remap_bindings(tui_project_dir: Path) -> None:
    """A ``[keys]`` table in config.toml remaps a binding by its id (App.set_keymap)."""
    root = make_project(tui_project_dir)
    (root / ".relay" / "config.toml").write_text('[keys]\nhistory = "f2"\n', "utf-8")
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("h")
        assert isinstance(app.screen, ReviewScreen), "h no longer opens the history"
        await pilot.press("f2")
        assert isinstance(app.screen, HistoryScreen)


async def test_keys_typed_ahead_act_on_the_report_under_the_cursor(
    tui_project_dir: Path,
) -> None:
    """``j`` then ``c`` typed faster than the screen follows: the confirmation is for the
    report the list's cursor moved to, never for the one shown before (``a`` and ``r`` take
    the same path)."""
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(), age_seconds=60)
    write_report(root, "WB-013-v1.md", report_md(workblock="WB-013"), age_seconds=10)
    write_report(root, "WB-012-v2.md", report_md(report_version=2), age_seconds=5)
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        assert app.review.selected.name == "WB-012-v2.md"  # type: ignore[union-attr]

        async def type_ahead(*keys: str) -> None:
            # Straight into the driver, without waiting between keys (as a fast typist).
            for key in keys:
                app._driver.send_message(Key(key, key if len(key) == 1 else None))  # type: ignore[union-attr]
            await pilot.pause()
            await pilot.pause()

        await type_ahead("j", "j", "c")
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        assert screen.verdict.report_display_path == ".relay/reports/WB-012-v1.md"
        await pilot.press("escape")
        await type_ahead("k", "k", "c")
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        assert screen.verdict.report_display_path == ".relay/reports/WB-012-v2.md"


async def test_panes_never_keep_what_belongs_to_another_report(tui_project_dir: Path) -> None:
    """A report without findings shows no finding count left over from the previous one."""
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(files_changed=["x/y.py"]), age_seconds=60)
    write_report(root, "WB-012-v2.md", report_md(report_version=2), age_seconds=10)
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        findings = app.review.query_one(FindingsList)  # type: ignore[union-attr]
        assert label_of(app) == "PASS" and not findings.border_subtitle
        await pilot.press("j")
        await settled(pilot)
        assert label_of(app) == "BLOCKED" and "finding" in str(findings.border_subtitle)
        await pilot.press("k")
        await settled(pilot)
        assert label_of(app) == "PASS" and not findings.border_subtitle


async def test_broken_chain_does_not_append_validation_blocked_without_end(
    tui_project_dir: Path,
) -> None:
    """With a broken chain the core trusts no record after the break, so it cannot see the
    VALIDATION_BLOCKED it wrote: the app still records it once per report hash."""
    root = make_project(tui_project_dir)
    hold(root, "WB-999")
    log = root / ".relay" / "audit.jsonl"
    log.write_text(log.read_text("utf-8").replace("human:alice", "human:mallory", 1), "utf-8")
    write_report(root, "WB-012-v1.md", report_md(files_changed=["deploy/x.yml"]))
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        for _ in range(4):
            app.request_scan()
            await settled(pilot)
        assert label_of(app) == "BLOCKED"
        assert events(root).count("VALIDATION_BLOCKED") == 1


async def test_abort_anywhere_closes_every_dialog_and_history_shows_it(
    tui_project_dir: Path,
) -> None:
    """``h`` does not open the log over a dialog; ``x`` from the history is listed there at
    once."""
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("c", "h")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape", "h")
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        await pilot.press("x")
        await settled(pilot)
        for _ in range(100):
            await pilot.pause(0.01)
            if screen.records and screen.records[0]["event"] == "RELAY_ABORTED":
                break
        assert [record["event"] for record in screen.records][:1] == ["RELAY_ABORTED"]


async def test_confirmation_fits_a_small_terminal(tui_project_dir: Path) -> None:
    """At 80x24 the dialog scrolls: its keys stay in view, each warning can be reached,
    and ticking one says so in words (not by colour alone)."""
    root = make_project(tui_project_dir, active="WB-999")
    write_report(root, "WB-012-v1.md", report_md(state_revision=6))
    app = make_app(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        message = app.review.query_one("#message-body")  # type: ignore[union-attr]
        assert message.region.width >= 40 and message.region.height >= 2
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        hints = screen.query_one("#confirm-hints").region
        assert (
            0 < hints.y
            and hints.bottom <= 24
            and "y relay" in str(screen.query_one("#confirm-hints").render())
        )
        dialog = screen.query_one("#confirm-dialog").region
        for number in ("1", "2"):
            await pilot.press(number)
            await pilot.pause()
            box = screen.focused
            assert box is not None and dialog.contains_region(box.region)
            assert "acknowledged ✓" in str(box.render())  # type: ignore[union-attr]
        await pilot.press("y")
        await settled(pilot)
        assert events(root)[-1] == "RELAY_CONFIRMED"


async def test_blocked_only_by_the_card_says_to_authorize_it(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir, authorize=False)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        assert label_of(app) == "BLOCKED"
        header = str(app.review.query_one("#message-header").render())  # type: ignore[union-attr]
        assert "Press a to review" in header and "new report is needed" not in header


def test_fast_wrap_matches_the_word_by_word_wrap() -> None:
    """The ASCII fast path of ``wrap_cells`` gives exactly the rows of the word loop."""
    import random

    from rich.cells import chop_cells

    from relay_tui.app.widgets.line_view import wrap_cells

    def reference(line: str, width: int) -> list[str]:
        if len(line) <= width:
            return [line]
        rows: list[str] = []
        current, used = "", 0
        for word in re.findall(r"\S+\s*|\s+", line):
            needed = len(word.rstrip()) or len(word)
            if used + needed <= width:
                current, used = current + word, used + len(word)
                continue
            if current:
                rows.append(current)
                current, used = "", 0
            while len(word.rstrip()) > width:
                pieces = chop_cells(word, width)
                rows.extend(pieces[:-1])
                word = pieces[-1]
            current, used = word, len(word)
        if current or not rows:
            rows.append(current)
        return rows

    generator = random.Random(12)
    for _ in range(8_000):
        alphabet = generator.choice(["ab ", "a   ", "abcdefghij ", "x" * 20 + " ", "a.b,c!d "])
        line = "".join(generator.choice(alphabet) for _ in range(generator.randint(0, 160)))
        width = generator.randint(1, 60)
        assert wrap_cells(line, width) == reference(line, width), (line, width)


async def test_abort_on_a_report_still_arriving_holds_its_workblock(tui_project_dir: Path) -> None:
    """The file name gives the workblock (``<ID>-v<N>.md``) while the bytes are not read yet."""
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(), age_seconds=60)
    app = make_app(root, watch=True, settle=0.2, stable_interval=0.01, poll_interval=30.0)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        path = root / ".relay" / "reports" / "WB-012-v2.md"
        seen = record_labels(app, path)
        with path.open("wb") as handle:
            handle.write(report_md(report_version=2))
            handle.flush()
            for _ in range(100):
                await pilot.pause(0.02)
                if None in seen:
                    break
            assert seen and seen[-1] is None  # arriving
            await pilot.press("home")  # the newest entry: the one arriving
            await pilot.pause()
            await pilot.press("x")
            await settled(pilot)
        record = audit_records(root)[-1]
        assert record["event"] == "RELAY_ABORTED" and record["workblock"] == "WB-012"
        assert "file name" in (record["note"] or "")
        assert await last_label(pilot, seen) == "HOLD_NO_ACTION"
