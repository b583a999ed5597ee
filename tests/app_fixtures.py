"""Helpers for the TUI tests: fixed-content projects in tmp_path, a frozen clock, the app."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

# The frozen "now" (state ages, staleness and audit timestamps derive from it), the workblock
# and its card are the core tests' own.
from core_fixtures import CARD_TEXT, NOW, TITLE, WB
from textual.pilot import Pilot

from relay_tui.app.app import RelayApp
from relay_tui.core.audit import AuditLog
from relay_tui.core.relay import authorize_card
from relay_tui.core.workspace import Workspace

ACTOR = "human:tester"
SIZE = (140, 40)
"""Terminal size of snapshots and screenshots."""
PILOT_SIZE = (100, 30)
"""A smaller terminal for behaviour tests: less to render, same widgets."""

SECTIONS = {
    "Summary": "Failed logins are now limited per IP with a sliding window.",
    "Changes": "Added a limiter in src/auth/limits.py and wired it into the login view.",
    "Tests": "pytest -q tests/auth: 12 passed.",
}

#: Planted in hostile reports; must never reach the terminal or a paste buffer decoded.
OSC52_PAYLOAD = "PWNED-relay-osc52"


def fixed_clock() -> dt.datetime:
    """The frozen clock handed to the app."""
    return NOW


def no_clipboard(text: str) -> None:
    """A system clipboard that is never there, so the app falls back to OSC 52."""
    raise RuntimeError("no system clipboard in tests")


def make_project(
    root: Path,
    *,
    card: bool = True,
    authorize: bool = True,
    revision: int = 7,
    active: str | None = WB,
    project_hold: bool = False,
    updated_at: dt.datetime | None = None,
) -> Path:
    """A project whose default report passes: card authorized by a human, fresh state."""
    relay = root / ".relay"
    for folder in ("cards", "reports", "outbox"):
        (relay / folder).mkdir(parents=True, exist_ok=True)
    moment = (updated_at or NOW - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    state = [
        f"revision = {revision}",
        f"updated_at = {moment}",
        'source_of_truth = "docs/plan.md"',
        f"hold = {'true' if project_hold else 'false'}",
    ]
    if active is not None:
        state.append(f'active_workblock = "{active}"')
    (relay / "state.toml").write_text("\n".join(state) + "\n", "utf-8")
    if card:
        (relay / "cards" / f"{WB}.toml").write_text(CARD_TEXT, "utf-8")
        if authorize:
            authorize_card(
                Workspace(root), WB, actor="human:alice", now=NOW - dt.timedelta(hours=1)
            )
    return root


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_toml(item)}" for key, item in value.items()) + " }"
    return json.dumps(value, ensure_ascii=False)


def report_md(
    sections: dict[str, str] | None = None, *, extra_body: str = "", **overrides: Any
) -> bytes:
    """A Markdown report that passes against ``make_project`` unless fields are overridden."""
    fields: dict[str, Any] = {
        "workblock": WB,
        "title": TITLE,
        "outcome": "completed",
        "state_revision": 7,
        "files_changed": ["src/auth/limits.py", "tests/auth/test_limits.py"],
        "report_version": 1,
        "tests": {"command": "pytest -q tests/auth", "passed": 12, "failed": 0, "skipped": 0},
    }
    fields.update(overrides)
    lines = ["+++", *(f"{key} = {_toml(value)}" for key, value in fields.items()), "+++", ""]
    for title, body in (SECTIONS if sections is None else sections).items():
        lines += [f"## {title}", body, ""]
    return ("\n".join(lines) + extra_body).encode("utf-8")


#: Reports for each label, against ``make_project``'s defaults.
LABEL_REPORTS: dict[str, dict[str, Any]] = {
    "PASS": {},
    "PASS_WITH_WARNING": {"state_revision": 6},
    "ERROR": {"state_revision": 9},
    "BLOCKED": {"files_changed": ["src/auth/limits.py", "deploy/production.yml"]},
}

HOSTILE_BODY = (
    "Clear the screen: \x1b[2J and conceal \x1b[8m here.\n"
    f"Clipboard: \x1b]52;c;{base64.b64encode(OSC52_PAYLOAD.encode()).decode()}\x07 done.\n"
    "Markup: [@click=app.quit]x[/] and [bold]bold[/] and [/]oops [TODO].\n"
    "Bidi: abc\u202eevil\u202c reversed.\n"
    "Link: \x1b]8;;https://evil.example/\x07click me\x1b]8;;\x07.\n"
    "C1: \x9b31m and \x9d0;title\x07.\n"
)


def hostile_report() -> bytes:
    """A report whose text tries escape sequences, OSC 52, markup and bidi controls."""
    sections = dict(SECTIONS)
    sections["Summary"] = "Summary with hostile text.\n" + HOSTILE_BODY
    return report_md(sections)


def write_report(root: Path, name: str, data: bytes, *, age_seconds: int = 0) -> Path:
    """Write a report with a fixed mtime (NOW minus ``age_seconds``) so ordering is stable."""
    path = root / ".relay" / "reports" / name
    path.write_bytes(data)
    stamp = (NOW - dt.timedelta(seconds=age_seconds)).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def hold(root: Path, workblock: str = WB) -> None:
    """Put a workblock on hold the way an abort does (fixed timestamp)."""
    AuditLog(root / ".relay" / "audit.jsonl").append(
        "RELAY_ABORTED",
        ACTOR,
        now=NOW - dt.timedelta(minutes=30),
        workblock=workblock,
        status="HOLD_NO_ACTION",
    )


def make_app(root: Path, **options: Any) -> RelayApp:
    """The app on ``root`` with a frozen clock, no system clipboard and no live watcher."""
    settings: dict[str, Any] = {
        "clock": fixed_clock,
        "clipboard": no_clipboard,
        "watch": False,
        "actor": ACTOR,
        "bell": False,
        "settle": 0.0,
        "stable_interval": 0.0,
    }
    settings.update(options)
    return RelayApp(root, **settings)


async def settled(pilot: Pilot[Any], timeout: float = 5.0) -> None:
    """Wait until every requested scan ran and its result is on screen."""
    app = pilot.app
    assert isinstance(app, RelayApp)
    waited = 0.0
    await pilot.pause()
    while app.busy or app.review is None or app.review.scan is None:
        await pilot.pause(0.01)
        waited += 0.01
        if waited > timeout:
            raise AssertionError("the app did not settle")
    await pilot.pause()


def audit_records(root: Path) -> list[dict[str, Any]]:
    """Every record of the project's audit log, oldest first."""
    return AuditLog(root / ".relay" / "audit.jsonl").all_records()


def events(root: Path) -> list[str]:
    """The event names of the audit log, oldest first."""
    return [record["event"] for record in audit_records(root)]
