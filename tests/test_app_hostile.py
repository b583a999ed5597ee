"""Pilot tests of the TUI against hostile reports and faults (../shared/hostile-inputs.md).

Each test asserts what reached the screen, the clipboard, the outbox and the audit log: a
credential never shown or logged, dialogs aborted without their action, an audit write that
fails never reported as relayed, the watcher surviving a deleted folder, markup and terminal
sequences shown as text, a signal during a confirmation, and no clipboard backend at all.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from app_fixtures import (
    ACTOR,
    PILOT_SIZE,
    SECTIONS,
    WB,
    audit_records,
    events,
    fixed_clock,
    hold,
    make_app,
    make_project,
    report_md,
    settled,
    write_report,
)
from rich.console import Console
from textual.pilot import Pilot

import relay_tui.core.audit as audit_module
from relay_tui.app.app import RelayApp, system_clipboard
from relay_tui.app.screens.ask import AskScreen
from relay_tui.app.screens.confirm import ConfirmScreen
from relay_tui.app.screens.review import ReviewScreen
from relay_tui.app.widgets.findings import FindingsList
from relay_tui.app.widgets.report_view import ReportView
from relay_tui.core.audit import AuditLog

#: Made-up credentials of the shapes the SECRET rule knows (split so no scanner flags this file).
GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
AWS_KEY_ID = "AKIA" + "Z7QW3XK9PL2MN4RT"

#: The tests' own terminal for screens whose whole text is inspected.
WIDE = (140, 40)


def screen_text(app: RelayApp) -> str:
    """The text on the terminal right now (every screen in the stack, as composited)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text(styles=False)


def outbox_files(root: Path) -> list[Path]:
    return sorted((root / ".relay" / "outbox").glob("*.md"))


def audit_bytes(root: Path) -> bytes:
    log = root / ".relay" / "audit.jsonl"
    return log.read_bytes() if log.exists() else b""


def record_notifications(app: RelayApp) -> list[dict[str, Any]]:
    """Every toast the app raises from now on (message, title, severity)."""
    seen: list[dict[str, Any]] = []
    notify = app.notify

    def recording(message: str, **options: Any) -> None:
        seen.append({"message": str(message), **options})
        notify(message, **options)

    app.notify = recording  # type: ignore[method-assign]
    return seen


def label_of(app: RelayApp) -> str | None:
    assert app.review is not None
    entry = app.review.entry
    return entry.label if entry is not None else None


async def wait_for(pilot: Pilot[Any], condition: Any, timeout: float = 10.0) -> None:
    """Wait until ``condition()`` holds (the real watcher takes its own time)."""
    waited = 0.0
    while not condition():
        await pilot.pause(0.02)
        waited += 0.02
        if waited > timeout:
            raise AssertionError("the condition never held")


# --- 1. a credential in the report ------------------------------------------------------------


async def test_credential_is_blocked_never_shown_relayed_or_logged(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    sections = dict(SECTIONS)
    sections["Summary"] = f"Deployed with {GITHUB_TOKEN} and the key {AWS_KEY_ID} for now."
    data = report_md(sections, title=f"Rate limiting ({GITHUB_TOKEN})")
    write_report(root, "WB-012-v1.md", data)
    app = make_app(root)
    async with app.run_test(size=WIDE) as pilot:
        await settled(pilot)
        assert label_of(app) == "BLOCKED"
        verdict = app.review.entry.verdict  # type: ignore[union-attr]
        assert verdict is not None and verdict.message is None
        assert {"SECRET-004", "SECRET-002"} <= {item.rule for item in verdict.findings}
        report = app.review.query_one(ReportView).text  # type: ignore[union-attr]
        assert "[REDACTED:github-token]" in report and "[REDACTED:aws-access-key-id]" in report
        findings = app.review.query_one(FindingsList)  # type: ignore[union-attr]
        shown = [str(findings.get_option_at_index(i).prompt) for i in range(findings.option_count)]
        screens = [screen_text(app), report, *shown]
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmScreen)
        # The dialog names the report's title: redacted there too.
        screens.append(screen_text(app))
        await pilot.press("y")
        await settled(pilot)
        screens.append(screen_text(app))
        await pilot.press("escape")
        await settled(pilot)
        await pilot.press("h")
        await pilot.pause(0.2)
        screens.append(screen_text(app))
        for text in screens:
            assert GITHUB_TOKEN not in text and AWS_KEY_ID not in text
            # Not even the part after the prefix (a token cut by a wrap would be caught here).
            assert GITHUB_TOKEN[4:20] not in text and AWS_KEY_ID[4:] not in text
        assert "RELAY_CONFIRMED" not in events(root)
        assert outbox_files(root) == [] and app.clipboard == ""
    log = audit_bytes(root)
    assert GITHUB_TOKEN.encode() not in log and AWS_KEY_ID.encode() not in log
    assert GITHUB_TOKEN[4:].encode() not in log and AWS_KEY_ID[4:].encode() not in log
    [blocked] = [
        record for record in audit_records(root) if record["event"] == "VALIDATION_BLOCKED"
    ]
    assert blocked["report_sha256"] == verdict.report_sha256 and blocked["status"] == "BLOCKED"


# --- 2. abort over every dialog; quit inside the confirmation ---------------------------------


@pytest.mark.parametrize("key", ["x", "ctrl+x"])
async def test_abort_closes_the_authorize_question_without_authorizing(
    tui_project_dir: Path, key: str
) -> None:
    root = make_project(tui_project_dir, authorize=False)
    card = root / ".relay" / "cards" / f"{WB}.toml"
    card_before = card.read_bytes()
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        assert label_of(app) == "BLOCKED"
        await pilot.press("a")
        assert isinstance(app.screen, AskScreen)
        await pilot.press(key)
        await settled(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert events(root)[-1] == "RELAY_ABORTED"
        assert audit_records(root)[-1]["workblock"] == WB
        assert "CARD_AUTHORIZED" not in events(root)
        assert card.read_bytes() == card_before
        # The question is gone for good: a y typed now answers nothing.
        await pilot.press("y")
        await settled(pilot)
        assert "CARD_AUTHORIZED" not in events(root) and label_of(app) == "BLOCKED"


@pytest.mark.parametrize("key", ["x", "ctrl+x"])
async def test_abort_closes_the_release_question_and_keeps_the_hold(
    tui_project_dir: Path, key: str
) -> None:
    root = make_project(tui_project_dir)
    hold(root)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        assert label_of(app) == "HOLD_NO_ACTION"
        await pilot.press("r")
        assert isinstance(app.screen, AskScreen)
        await pilot.press(key)
        await settled(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert events(root).count("RELAY_ABORTED") == 2
        assert "HOLD_RELEASED" not in events(root)
        await pilot.press("y")
        await settled(pilot)
        assert "HOLD_RELEASED" not in events(root)
        assert label_of(app) == "HOLD_NO_ACTION"


async def test_x_and_ctrl_x_inside_the_confirmation_abort(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("c")
        confirming = app.screen
        assert isinstance(confirming, ConfirmScreen)
        await pilot.press("ctrl+x")
        await settled(pilot)
        assert isinstance(app.screen, ReviewScreen)
        record = audit_records(root)[-1]
        assert record["event"] == "RELAY_ABORTED" and record["actor"] == ACTOR
        assert record["message_sha256"] == confirming.verdict.message_sha256
        await pilot.press("y")
        await settled(pilot)
        assert "RELAY_CONFIRMED" not in events(root)
        assert outbox_files(root) == [] and app.clipboard == ""
        assert label_of(app) == "HOLD_NO_ACTION"


async def test_quit_inside_the_confirmation_relays_nothing(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    before = events(root)
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert events(root) == before  # no RELAY_CONFIRMED, and quitting is no abort either
    assert outbox_files(root) == [] and app.clipboard == ""


# --- 3. the audit append fails at y -------------------------------------------------------------


class _FsyncFails:
    """``os`` for the audit module, but fsync fails with EIO (the write itself succeeds)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    @staticmethod
    def fsync(descriptor: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))


@pytest.mark.parametrize("fault", ["eio-on-fsync", "lock-is-a-folder"])
async def test_audit_write_failure_at_y_is_never_reported_as_relayed(
    tui_project_dir: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    """hostile-inputs 26. The core deletes the outbox file it wrote; the message already went
    to the clipboard (OSC 52 here), so the app overwrites it: nothing is left to paste that
    the log does not hold."""
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    log_before = audit_bytes(root)
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        toasts = record_notifications(app)
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmScreen)
        message = app.screen.verdict.message
        assert message is not None
        if fault == "eio-on-fsync":
            monkeypatch.setattr(audit_module, "os", _FsyncFails())
        else:  # works as root too, unlike a read-only folder
            lock = root / ".relay" / "audit.jsonl.lock"
            lock.unlink(missing_ok=True)
            lock.mkdir()
        await pilot.press("y")
        await settled(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert not any(toast.get("title") == "Relayed" for toast in toasts), toasts
        assert not any(toast["message"].startswith("Relayed") for toast in toasts), toasts
        errors = [toast for toast in toasts if toast.get("severity") == "error"]
        assert errors and "not" in errors[-1]["message"] and "recorded" in errors[-1]["message"]
        # No half state: no record (not even a half line), no outbox file, no message to paste.
        assert audit_bytes(root) == log_before
        assert outbox_files(root) == [] and not list((root / ".relay" / "outbox").iterdir())
        assert message not in app.clipboard
        assert app.review.entry is not None and not app.review.entry.relayed  # type: ignore[union-attr]
        monkeypatch.undo()
        if fault == "lock-is-a-folder":
            (root / ".relay" / "audit.jsonl.lock").rmdir()
        # Once the log can be written again, the same confirmation relays (once).
        await pilot.press("c", "y")
        await settled(pilot)
        assert events(root)[-1] == "RELAY_CONFIRMED"
        assert len(outbox_files(root)) == 1 and app.clipboard == message
    assert AuditLog(root / ".relay" / "audit.jsonl").read().intact


# --- 4. the reports folder deleted and recreated, with the real watcher --------------------


async def test_real_watcher_survives_the_reports_folder_deleted_and_recreated(
    tui_project_dir: Path,
) -> None:
    root = make_project(tui_project_dir)
    reports = root / ".relay" / "reports"
    write_report(root, "WB-012-v1.md", report_md(), age_seconds=60)
    # A long safety poll: only the watcher (and its missing-folder poll) can notice.
    app = make_app(root, watch=True, poll_interval=60.0)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        status = app.review.query_one("#status-info")  # type: ignore[union-attr]
        shutil.rmtree(reports)
        await wait_for(pilot, lambda: app.scan is not None and app.scan.folder_error is not None)
        await settled(pilot)
        assert "does not exist" in str(status.render())
        assert app.scan.entries == ()  # type: ignore[union-attr]
        reports.mkdir()
        (reports / "WB-012-v2.md").write_bytes(report_md(report_version=2))
        await wait_for(
            pilot,
            lambda: (
                app.review is not None
                and app.review.selected is not None
                and app.review.selected.name == "WB-012-v2.md"
            ),
        )
        await settled(pilot)
        assert app.scan.folder_error is None  # type: ignore[union-attr]
        assert "does not exist" not in str(status.render())
        assert label_of(app) == "PASS"
        # Watching resumed for good: the next report arrives too.
        (reports / "WB-012-v3.md").write_bytes(report_md(report_version=3))
        await wait_for(
            pilot,
            lambda: (
                app.review.selected is not None  # type: ignore[union-attr]
                and app.review.selected.name == "WB-012-v3.md"
            ),  # type: ignore[union-attr]
        )


async def test_real_watcher_survives_the_relay_folder_moved_away_and_back(
    tui_project_dir: Path,
) -> None:
    root = make_project(tui_project_dir)
    relay = root / ".relay"
    write_report(root, "WB-012-v1.md", report_md(), age_seconds=60)
    app = make_app(root, watch=True, poll_interval=60.0)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        status = app.review.query_one("#status-info")  # type: ignore[union-attr]
        aside = tui_project_dir.parent / "relay-aside"
        relay.rename(aside)
        await wait_for(pilot, lambda: app.scan is not None and app.scan.folder_error is not None)
        await settled(pilot)
        assert ".relay/ folder is gone" in str(status.render())
        aside.rename(relay)
        write_report(root, "WB-012-v2.md", report_md(report_version=2))
        await wait_for(
            pilot,
            lambda: (
                app.review is not None
                and app.review.selected is not None
                and app.review.selected.name == "WB-012-v2.md"
            ),
        )
        await settled(pilot)
        assert app.scan.folder_error is None and label_of(app) == "PASS"  # type: ignore[union-attr]


# --- 5. VALIDATION_BLOCKED once per blocked report hash -----------------------------------------


async def test_two_blocked_reports_give_two_records_and_never_more(tui_project_dir: Path) -> None:
    root = make_project(tui_project_dir)
    scope = write_report(
        root, "WB-012-v1.md", report_md(files_changed=["deploy/production.yml"]), age_seconds=60
    )
    sections = dict(SECTIONS)
    sections["Summary"] = f"Used the key {AWS_KEY_ID} to test."
    secret = write_report(root, "WB-012-v2.md", report_md(sections, report_version=2))
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        labels = {entry.path.name: entry.label for entry in app.scan.entries}  # type: ignore[union-attr]
        assert labels == {"WB-012-v1.md": "BLOCKED", "WB-012-v2.md": "BLOCKED"}
        hashes = {
            entry.path.name: entry.verdict.report_sha256  # type: ignore[union-attr]
            for entry in app.scan.entries  # type: ignore[union-attr]
        }
        blocked = [r for r in audit_records(root) if r["event"] == "VALIDATION_BLOCKED"]
        assert sorted(r["report_sha256"] for r in blocked) == sorted(hashes.values())
        assert {r["report_path"] for r in blocked} == {
            ".relay/reports/WB-012-v1.md",
            ".relay/reports/WB-012-v2.md",
        }
        assert all(r["actor"] == "relay" and r["status"] == "BLOCKED" for r in blocked)
        for _ in range(3):
            app.request_scan(force=True)
            await settled(pilot)
        # The same bytes written again (a new mtime): read again, still the same report hash.
        for path in (scope, secret):
            write_report(root, path.name, path.read_bytes(), age_seconds=5)
        app.request_scan()
        await settled(pilot)
        # An abort changes the project, so every report is validated again.
        await pilot.press("x")
        await settled(pilot)
        assert events(root).count("VALIDATION_BLOCKED") == 2
    # A new app instance knows nothing of what the first one recorded: the log decides.
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        assert events(root).count("VALIDATION_BLOCKED") == 2


# --- 6. markup and terminal sequences in a report ---------------------------------------------

MARKUP_LINE = "Markup: [link=https://evil.example]x[/link] then [@click=app.quit]quit[/] end."
SEQUENCES = "Title \x1b]0;title\x07 and \x1b]2;x\x1b\\ query \x1b[6n \x1b]10;?\x07 \x1b[c end."


async def test_markup_and_terminal_sequences_are_literal_text(
    tui_project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tui_project_dir)
    sections = dict(SECTIONS)
    sections["Summary"] = f"{MARKUP_LINE}\n{SEQUENCES}"
    write_report(root, "WB-012-v1.md", report_md(sections))
    opened: list[str] = []
    monkeypatch.setattr(RelayApp, "open_url", lambda self, url, **_: opened.append(url))
    app = make_app(root)
    async with app.run_test(size=WIDE) as pilot:
        await settled(pilot)
        assert label_of(app) == "BLOCKED"  # HIDDEN: the ESC and BEL bytes
        report = app.review.query_one(ReportView).text  # type: ignore[union-attr]
        assert MARKUP_LINE in report
        assert "Title ␛]0;title␇ and ␛]2;x␛\\ query ␛[6n ␛]10;?␇ ␛[c end." in report
        text = screen_text(app)
        for raw in ("\x1b", "\x07", "\x9b", "\x9d"):
            assert raw not in text
        assert "[@click=app.quit]quit[/]" in text and "[link=https://evil.example]x[/link]" in text
        assert "␛]0;title␇" in text and "␛[6n" in text and "␛]10;?␇" in text
        assert app.title == "relay-tui"
        rows = text.splitlines()
        for tag, word in (("[@click=app.quit]", "quit"), ("[link=https://evil.example]", "x")):
            # Click the word the markup would wire to an action or a link, where it is drawn.
            y = next(index for index, row in enumerate(rows) if tag + word in row)
            x = rows[y].index(tag + word) + len(tag)
            assert app.screen.get_widget_at(x, y)[0] is app.review.query_one(ReportView)  # type: ignore[union-attr]
            await pilot.click(offset=(x, y))
            await pilot.pause()
            assert app.is_running and app.return_code is None
        assert opened == [] and app.clipboard == ""
        assert isinstance(app.screen, ReviewScreen)


# --- 7. SIGTERM during a confirmation ---------------------------------------------------------

SIGTERM_CHILD = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[2])
    from app_fixtures import make_app, settled
    from relay_tui.app.screens.confirm import ConfirmScreen

    async def main():
        app = make_app(Path(sys.argv[1]))
        async with app.run_test(size=(100, 30)) as pilot:
            await settled(pilot)
            await pilot.press("c")
            assert isinstance(app.screen, ConfirmScreen)
            print("confirmation open", flush=True)
            os.kill(os.getpid(), signal.SIGTERM)
            await pilot.pause(0.2)
            await pilot.press("y")
            await settled(pilot)
            print("survived", flush=True)

    asyncio.run(main())
    """
)


def test_sigterm_with_the_confirmation_open_relays_nothing(tui_project_dir: Path) -> None:
    """The app installs no SIGTERM handler (neither does Textual): a SIGTERM before ``y``
    ends the process at once, and nothing was relayed or recorded."""
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    before = audit_bytes(root)
    tests = Path(__file__).parent
    result = subprocess.run(
        [sys.executable, "-c", SIGTERM_CHILD, str(root), str(tests)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tests.parent,
    )
    assert "confirmation open" in result.stdout, result.stderr
    assert "survived" not in result.stdout
    assert result.returncode == -signal.SIGTERM, result.stderr
    assert audit_bytes(root) == before
    assert outbox_files(root) == []
    assert not list((root / ".relay" / "outbox").iterdir())


async def test_sigterm_during_y_waits_until_the_decision_is_recorded(
    tui_project_dir: Path,
) -> None:
    """The app runs ``confirm_relay`` on the main thread, so the core's ``signals_deferred``
    holds a SIGTERM that arrives mid-relay until the record is on disk. The test's handler
    stands in for the default action and notes what was on disk when the signal landed."""
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    at_signal: list[tuple[list[str], list[Path]]] = []

    def handler(number: int, frame: FrameType | None) -> None:
        at_signal.append((events(root), outbox_files(root)))

    def copy_then_get_signalled(text: str) -> None:
        # After the clipboard, before the outbox file and the audit record.
        os.kill(os.getpid(), signal.SIGTERM)
        raise RuntimeError("no system clipboard in tests")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        app = make_app(root, clipboard=copy_then_get_signalled)
        async with app.run_test(size=PILOT_SIZE) as pilot:
            await settled(pilot)
            await pilot.press("c", "y")
            await settled(pilot)
            assert signal.getsignal(signal.SIGTERM) is handler  # restored after the relay
    finally:
        signal.signal(signal.SIGTERM, previous)
    [(seen_events, seen_outbox)] = at_signal
    assert seen_events[-1] == "RELAY_CONFIRMED"
    assert len(seen_outbox) == 1
    assert events(root)[-1] == "RELAY_CONFIRMED" and outbox_files(root) == seen_outbox


# --- 8. the real pyperclip with no clipboard backend -----------------------------------------


async def test_real_pyperclip_without_a_backend_falls_back_to_osc52(
    tui_project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyperclip

    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "RELAY_TUI_CLIPBOARD"):
        monkeypatch.delenv(name, raising=False)
    # pyperclip picks its backend once per process: start from the undecided state.
    monkeypatch.setattr(pyperclip, "copy", pyperclip.lazy_load_stub_copy)
    monkeypatch.setattr(pyperclip, "paste", pyperclip.lazy_load_stub_paste)
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md())
    # Not make_app: it injects a fake clipboard; this is the app's own default.
    app = RelayApp(
        root,
        clock=fixed_clock,
        watch=False,
        actor=ACTOR,
        bell=False,
        settle=0.0,
        stable_interval=0.0,
    )
    assert app.clipboard_copier is system_clipboard
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        toasts = record_notifications(app)
        message = app.review.entry.verdict.message  # type: ignore[union-attr]
        assert message is not None
        await pilot.press("c", "y")
        await settled(pilot)
        assert app.is_running and isinstance(app.screen, ReviewScreen)
        assert type(pyperclip.copy).__name__ == "ClipboardUnavailable"  # the real path ran
        assert app.clipboard == message  # OSC 52 carried it
        [outbox] = outbox_files(root)
        assert outbox.read_bytes() == message.encode("utf-8")
        record = audit_records(root)[-1]
        assert record["event"] == "RELAY_CONFIRMED"
        assert record["destination"] == f"clipboard:osc52, outbox:.relay/outbox/{outbox.name}"
        assert record["note"] is None
        [relayed] = [toast for toast in toasts if toast.get("title") == "Relayed"]
        # OSC 52 is only sent to the terminal: the toast says so, never "copied".
        assert "sent to the terminal via OSC 52" in relayed["message"]
        assert outbox.name in relayed["message"]


async def test_a_credential_used_as_the_workblock_id_is_never_logged(tui_project_dir: Path) -> None:
    """The id is recorded (VALIDATION_BLOCKED, RELAY_ABORTED) and shown: always redacted."""
    root = make_project(tui_project_dir)
    write_report(root, "WB-012-v1.md", report_md(workblock=AWS_KEY_ID))
    app = make_app(root)
    async with app.run_test(size=PILOT_SIZE) as pilot:
        await settled(pilot)
        await pilot.press("x")
        await settled(pilot)
        log = (root / ".relay" / "audit.jsonl").read_bytes()
        assert b"RELAY_ABORTED" in log and b"VALIDATION_BLOCKED" in log
        assert AWS_KEY_ID.encode() not in log
        shown = screen_text(app)
        assert "[REDACTED:" in shown and AWS_KEY_ID not in shown
