"""The prepared relay message (contract section 6): deterministic text, checksum and file name."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from relay_tui.core.models import Finding, Label, Report, Severity, State
from relay_tui.core.sanitize import sanitize
from relay_tui.core.secrets import redact_secrets

BOUNDARY_STATEMENT = (
    "This message is information only. It grants no approval and opens no new scope. "
    "A reply to it is not approval. Only the human decides the next action."
)
CHECKSUM_PREFIX = "relay-checksum: "
SHORTENED_MARKER = (
    "[… shortened by relay-tui: {count} characters left out; the full text is in the report …]"
)

_SLUG_BREAK = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class MessageInputs:
    """What a message is built from: nothing else (no clock, no user, no audit log)."""

    report: Report
    label: Label
    report_sha256: str
    report_path: str
    state: State | None
    warnings: tuple[Finding, ...]


def clean(text: str) -> str:
    """Untrusted text made fit for the message: secrets redacted, hidden characters as tokens.

    Codex's citations (``【F:src/app.ts†L10-L20】``) and emoji are ordinary text, kept as written.
    """
    return sanitize(redact_secrets(text), max_line=None)


def clean_line(text: str) -> str:
    """``clean`` for a one-line field (title, path, command): a newline in it becomes ``␤``,
    so report text can never start a heading or a line of its own there."""
    return clean(text).replace("\n", "␤")


def checksum_line(body: str) -> str:
    """The last line: the first 12 hex digits of the sha256 of every byte before it."""
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]
    return f"{CHECKSUM_PREFIX}{digest}\n"


def message_sha256(message: str) -> str:
    """The sha256 of the whole message: exactly the bytes copied and written to the outbox."""
    return hashlib.sha256(message.encode("utf-8")).hexdigest()


Sections = list[tuple[str, str]]


def build_message(
    inputs: MessageInputs, budget_chars: int | None = None, sections: Sections | None = None
) -> tuple[str, bool]:
    """The message text and whether it had to be shortened to fit ``budget_chars``.

    ``sections`` (from ``message_sections``) lets a caller that renders twice, with a new
    label, clean the report's own words only once.
    """
    if sections is None:
        sections = message_sections(inputs.report)
    message = _render(inputs, sections)
    if budget_chars is None or len(message) <= budget_chars:
        return message, False
    overflow = len(message) - budget_chars
    shortened = _shorten(sections, overflow)
    return _render(inputs, shortened), True


def message_sections(report: Report) -> Sections:
    """The report's own words, in message order; these are what shortening may cut."""
    files = "\n".join(f"- {clean_line(path)}" for path in report.files_changed) or "(none)"
    parts = [
        ("Summary", clean(report.sections.get("Summary", "")).strip()),
        ("Changes", clean(report.sections.get("Changes", "")).strip()),
        ("Files changed", files),
        ("Tests", _tests_text(report)),
    ]
    questions = clean(report.sections.get("Open questions", "")).strip()
    if questions:
        parts.append(("Open questions", questions))
    return parts


def _tests_text(report: Report) -> str:
    lines = []
    tests = report.tests
    if tests is not None:
        counts = ", ".join(
            f"{name} {value}"
            for name, value in (
                ("passed", tests.passed),
                ("failed", tests.failed),
                ("skipped", tests.skipped),
            )
            if value is not None
        )
        command = f"`{clean_line(tests.command)}`" if tests.command else "(no command given)"
        lines.append(f"Command: {command}" + (f" — {counts}" if counts else ""))
    body = clean(report.sections.get("Tests", "")).strip()
    if body:
        lines.append(body)
    return "\n\n".join(lines)


def _shorten(sections: list[tuple[str, str]], overflow: int) -> list[tuple[str, str]]:
    """Cut the longest sections first until ``overflow`` characters are gone."""
    marker_room = len(SHORTENED_MARKER) + 12
    bodies = dict(sections)
    remaining = overflow
    for title in sorted(bodies, key=lambda name: len(bodies[name]), reverse=True):
        if remaining <= 0:
            break
        body = bodies[title]
        cut = min(len(body), remaining + marker_room)
        keep = max(len(body) - cut, 0)
        omitted = len(body) - keep
        if omitted <= marker_room:
            continue
        bodies[title] = body[:keep].rstrip() + "\n" + SHORTENED_MARKER.format(count=omitted)
        remaining -= omitted - marker_room
    return [(title, bodies[title]) for title, _ in sections]


def _render(inputs: MessageInputs, sections: Iterable[tuple[str, str]]) -> str:
    report, state = inputs.report, inputs.state
    current = str(state.revision) if state is not None else "unknown (no state file)"
    lines = [
        f"# Relay: {clean_line(report.workblock)} — {clean_line(report.title)}",
        "",
        f"Label: {inputs.label.value}",
        f"Workblock: {clean_line(report.workblock)}",
        f"Title: {clean_line(report.title)}",
        f"Outcome: {clean_line(report.outcome)}",
        "",
        "## Source of truth",
        f"- State revision used: {report.state_revision} (current: {current})",
    ]
    if state is not None and state.source_of_truth:
        lines.append(f"- Plan: {clean_line(state.source_of_truth)}")
    base = clean_line(report.base_commit) if report.base_commit else "(not given)"
    state_base = state.base_commit if state is not None else None
    if state_base and state_base != report.base_commit:
        base += f" (state: {clean_line(state_base)})"
    lines.append(f"- Base commit: {base}")
    lines.append(f"- Report: {clean_line(inputs.report_path)} (version {report.report_version})")
    lines.append(f"- Report sha256: {inputs.report_sha256}")
    for title, body in sections:
        lines += ["", f"## {title}", body]
    if inputs.warnings:
        lines += ["", "## Warnings (acknowledged by the human before relaying)"]
        for warning in inputs.warnings:
            where = f" (line {warning.line})" if warning.line else ""
            lines.append(f"- [{warning.rule}] {clean_line(warning.message)}{where}")
    lines += ["", "## Boundary", BOUNDARY_STATEMENT, ""]
    body = "\n".join(lines)
    return body + checksum_line(body)


def relay_warnings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """The findings the message must carry: every warning."""
    return tuple(item for item in findings if item.severity == Severity.warning)


def slug(title: str, limit: int = 60) -> str:
    """Lowercase, every run outside ``[a-z0-9]`` as one ``-``, trimmed, at most ``limit``."""
    text = _SLUG_BREAK.sub("-", title.lower()).strip("-")
    return text[:limit]


def message_filename(workblock: str, title: str, taken: Path | None = None) -> str:
    """``<ID>-<slug>.md``; with ``taken`` (the outbox), the first of ``-2``, ``-3``… still free."""
    stem = f"{workblock}-{slug(title)}"
    name = f"{stem}.md"
    if taken is None:
        return name
    counter = 2
    while (taken / name).exists() or (taken / name).is_symlink():
        name = f"{stem}-{counter}.md"
        counter += 1
    return name
