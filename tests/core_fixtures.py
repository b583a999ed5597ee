"""Shared helpers for the core engine tests: a project on disk, reports and independent hashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from relay_tui.core.audit import AuditLog, human_actor
from relay_tui.core.validate import ProjectSnapshot, Verdict, validate_bytes
from relay_tui.core.workspace import Workspace

#: The fixed "time of validation" of library tests.
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
WB = "WB-012"
TITLE = "Add rate limiting to the login endpoint"

CARD_TEXT = """\
id = "WB-012"
title = "Add rate limiting to the login endpoint"
goal = "Limit failed logins to 5 per minute per IP."
allowed_paths = ["src/auth/**", "tests/auth/**"]
forbidden_paths = [".github/**", "**/.env"]
acceptance = ["pytest tests/auth passes"]
"""

SECTIONS = {
    "Summary": "Failed logins are now limited per IP.",
    "Changes": "Added a sliding window limiter in src/auth/limits.py.",
    "Tests": "pytest -q tests/auth: 12 passed.",
}


def console_script() -> Path:
    """The installed ``relay-tui`` next to the running interpreter."""
    return Path(sys.executable).with_name("relay-tui")


def toml_value(value: Any) -> str:
    """A small TOML writer for report front matter (JSON text is valid TOML for these)."""
    if value is None:
        raise ValueError("TOML has no null; leave the key out")
    if isinstance(value, dict):
        inner = ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items())
        return "{ " + inner + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def report_fields(**overrides: Any) -> dict[str, Any]:
    """The fields of a report that passes against ``make_project``'s defaults."""
    fields: dict[str, Any] = {
        "workblock": WB,
        "title": TITLE,
        "outcome": "completed",
        "state_revision": 7,
        "files_changed": ["src/auth/limits.py", "tests/auth/test_limits.py"],
        "tests": {"command": "pytest -q tests/auth", "passed": 12, "failed": 0, "skipped": 0},
    }
    for key, value in overrides.items():
        if value is _DROP:
            fields.pop(key, None)
        else:
            fields[key] = value
    return fields


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


#: Pass as a field value to leave the field out.
DROP: Any = _Drop()
_DROP = DROP


def md_report(
    sections: dict[str, str] | None = None,
    *,
    extra_body: str = "",
    newline: str = "\n",
    **overrides: Any,
) -> bytes:
    """A Markdown report with ``+++`` TOML front matter."""
    fields = report_fields(**overrides)
    lines = ["+++"]
    lines += [f"{key} = {toml_value(value)}" for key, value in fields.items() if value is not None]
    lines += ["+++", ""]
    for title, body in (SECTIONS if sections is None else sections).items():
        lines += [f"## {title}", body, ""]
    text = "\n".join(lines) + extra_body
    return text.replace("\n", newline).encode("utf-8")


def json_report(sections: dict[str, Any] | None = None, **overrides: Any) -> bytes:
    """The JSON form of a report (indented, one key a line)."""
    fields = report_fields(**overrides)
    fields["sections"] = dict(SECTIONS if sections is None else sections)
    return json.dumps(fields, indent=2, ensure_ascii=False).encode("utf-8")


def expected_card_sha256(table: dict[str, Any]) -> str:
    """An independent ``card_sha256`` for cards without dates (see the tests for dates)."""
    body = {key: value for key, value in table.items() if key != "authorization"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def state_text(
    revision: int = 7,
    updated_at: dt.datetime | None = None,
    active: str | None = WB,
    hold: bool = False,
    extra: str = "",
) -> str:
    """``state.toml`` text."""
    moment = (updated_at or NOW - dt.timedelta(hours=1)).astimezone(dt.UTC)
    lines = [
        f"revision = {revision}",
        f"updated_at = {moment.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        'source_of_truth = "docs/plan.md"',
        f"hold = {'true' if hold else 'false'}",
    ]
    if active is not None:
        lines.append(f'active_workblock = "{active}"')
    return "\n".join(lines) + "\n" + extra


def make_project(
    root: Path,
    *,
    card: str | None = CARD_TEXT,
    authorize: bool = True,
    record_authorization: bool = True,
    state: str | None = "default",
    config: str | None = None,
    updated_at: dt.datetime | None = None,
) -> Workspace:
    """A project whose default report passes: card authorized (stamp and audit), fresh state."""
    relay = root / ".relay"
    for folder in ("cards", "reports", "outbox"):
        (relay / folder).mkdir(parents=True, exist_ok=True)
    if config is not None:
        (relay / "config.toml").write_text(config, "utf-8")
    if state == "default":
        state = state_text(updated_at=updated_at)
    if state is not None:
        (relay / "state.toml").write_text(state, "utf-8")
    if card is not None:
        card_path = relay / "cards" / f"{WB}.toml"
        card_path.write_text(card, "utf-8")
        if authorize:
            authorize_card_file(root, card_path, record=record_authorization)
    return Workspace(root)


def authorize_card_file(
    root: Path, card_path: Path, *, record: bool = True, actor: str | None = None
) -> str:
    """Stamp a card with its independent hash and (optionally) append CARD_AUTHORIZED."""
    import tomllib

    text = card_path.read_text("utf-8")
    table = tomllib.loads(text)
    digest = expected_card_sha256(table)
    card_path.write_text(
        text + f'\n[authorization]\nby = "alice"\nat = 2026-11-23T10:00:00Z\n'
        f'card_sha256 = "{digest}"\n',
        "utf-8",
    )
    if record:
        AuditLog(root / ".relay" / "audit.jsonl").append(
            "CARD_AUTHORIZED",
            actor or human_actor("alice"),
            workblock=table["id"],
            card_sha256=digest,
        )
    return digest


def validate(
    root: Path, data: bytes, name: str = "WB-012-v1.md", now: dt.datetime = NOW
) -> Verdict:
    """Validate report bytes placed in the project's reports folder (not written to disk)."""
    workspace = Workspace(root)
    snapshot = ProjectSnapshot.load(workspace if workspace.exists else None)
    return validate_bytes(
        data, snapshot, now=now, report_path=root / ".relay" / "reports" / name, name=name
    )


def rules_of(verdict: Verdict) -> list[str]:
    """The rule ids of a verdict's findings, in order."""
    return [item.rule for item in verdict.findings]


def families_of(verdict: Verdict) -> set[str]:
    """The rule families of a verdict's findings."""
    return {item.rule.split("-", 1)[0] for item in verdict.findings}


def only(verdict: Verdict, family: str) -> list[Any]:
    """The findings of one family."""
    return [item for item in verdict.findings if item.rule.startswith(family + "-")]


def assert_findings_explain(verdict: Verdict) -> None:
    """Every finding has a rule id of the contract's shape and a non-empty message."""
    import re

    for item in verdict.findings:
        assert re.fullmatch(r"[A-Z]+-\d{3}", item.rule), item.rule
        assert item.message.strip(), item
        assert item.line is None or item.line >= 1, item
