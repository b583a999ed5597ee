"""Validation: report bytes -> findings -> label -> prepared message (the verdict)."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from relay_tui.core.audit import AuditLog, AuditView, collector_paused
from relay_tui.core.message import (
    MessageInputs,
    build_message,
    message_filename,
    message_sections,
    message_sha256,
    relay_warnings,
)
from relay_tui.core.models import Config, Finding, Label, Severity, State, is_valid_workblock_id
from relay_tui.core.report import ParsedReport, parse_report
from relay_tui.core.rules import RULES, RuleContext
from relay_tui.core.sanitize import sanitize, sanitize_line
from relay_tui.core.secrets import redact_secrets
from relay_tui.core.workspace import (
    FileTooLargeError,
    LoadedCard,
    UnsafeFileError,
    Workspace,
    WorkspaceError,
    printable_path,
    read_regular_file,
)


@dataclass(frozen=True)
class ProjectSnapshot:
    """The project files a validation reads besides the report: read once, shared by many."""

    workspace: Workspace | None
    config: Config
    state: State | None = None
    state_error: str | None = None
    audit: AuditView = field(default_factory=AuditView)
    config_error: str | None = None

    @classmethod
    def load(cls, workspace: Workspace | None) -> ProjectSnapshot:
        """Read config, state and audit log; problems become errors carried to findings."""
        if workspace is None or not workspace.exists:
            return cls(workspace=workspace, config=Config())
        config_error = None
        try:
            config = workspace.config
        except WorkspaceError as error:
            config, config_error = Config(), str(error)
        state, state_error = None, None
        try:
            state = workspace.load_state()
        except WorkspaceError as error:
            state_error = str(error)
        audit = AuditView.of(AuditLog(workspace.audit_path))
        return cls(workspace, config, state, state_error, audit, config_error)

    def card(self, workblock: str) -> tuple[LoadedCard | None, str | None]:
        """The card of a workblock and, when it cannot be read, why."""
        if self.workspace is None:
            return None, None
        try:
            return self.workspace.load_card(workblock), None
        except WorkspaceError as error:
            return None, str(error)

    def rule_context(
        self, parsed: ParsedReport, now: dt.datetime, report_path: Path | None = None
    ) -> RuleContext:
        """What every rule sees for this report in this project (its card looked up here)."""
        card, card_error = (None, None)
        if parsed.report is not None:
            card, card_error = self.card(parsed.report.workblock)
        return RuleContext(
            parsed=parsed,
            config=self.config,
            now=now,
            workspace=self.workspace,
            report_path=report_path,
            state=self.state,
            state_error=self.state_error,
            card=card,
            card_error=card_error,
            audit=self.audit,
        )


@dataclass(frozen=True)
class Verdict:
    """Everything the human is told about one report version."""

    report_path: Path | None
    report_display_path: str
    report_sha256: str | None
    label: Label
    findings: tuple[Finding, ...]
    parsed: ParsedReport | None = None
    on_hold: bool = False
    message: str | None = None
    """The exact text a confirmation relays; None unless the label is relayable."""
    message_sha256: str | None = None
    suggested_filename: str | None = None
    unreadable: str | None = None
    """Why the path could not be read at all (CLI exit code 2)."""

    @property
    def workblock(self) -> str | None:
        """The report's workblock id, when its fields parsed; as recorded and shown, so a
        credential used as an id (the report is BLOCKED then) is redacted."""
        report = self.parsed.report if self.parsed is not None else None
        return redact_secrets(report.workblock) if report is not None else None

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The warnings the human must acknowledge before relaying."""
        return relay_warnings(self.findings)

    def counts(self) -> dict[str, int]:
        """Finding counts by severity (for audit records)."""
        return {
            level.name: sum(1 for item in self.findings if item.severity == level)
            for level in Severity
        }

    def as_json(self) -> dict[str, Any]:
        """The contract's ``validate --json`` object."""
        return {
            "report": self.report_display_path,
            "status": self.label.value,
            "findings": [item.as_json() for item in self.findings],
            "message": self.message,
            "message_sha256": self.message_sha256,
            "suggested_filename": self.suggested_filename,
        }


def label_for(findings: list[Finding] | tuple[Finding, ...], on_hold: bool) -> Label:
    """Contract section 5: block > error > hold > warning > pass."""
    worst = max((item.severity for item in findings), default=Severity.info)
    if worst == Severity.block:
        return Label.BLOCKED
    if worst == Severity.error:
        return Label.ERROR
    if on_hold:
        return Label.HOLD_NO_ACTION
    if worst == Severity.warning:
        return Label.PASS_WITH_WARNING
    return Label.PASS


PATH_SECRET_RULE = "SECRET-098"
"""A credential in the report's own file path (the path is shown, logged and relayed)."""


def _plain_path(path: Path, workspace: Workspace | None) -> str:
    """The report's path relative to the project root (POSIX, printable), secrets still in."""
    return workspace.relative(path) if workspace is not None else printable_path(path.as_posix())


def _shown_path(path: Path, workspace: Workspace | None) -> str:
    """The report's path as shown, logged and relayed: relative, printable, secrets redacted."""
    return redact_secrets(_plain_path(path, workspace))


def validate_path(
    path: Path,
    snapshot: ProjectSnapshot,
    now: dt.datetime | None = None,
) -> Verdict:
    """Read a report file safely and validate its exact bytes."""
    display = _shown_path(path, snapshot.workspace)
    try:
        file = read_regular_file(path, max_bytes=snapshot.config.max_report_bytes)
    except FileTooLargeError as error:
        size_finding = Finding(
            rule="SIZE-002",
            severity=Severity.error,
            message=f"The report file is {error.size:,} bytes, over the hard limit of "
            f"{error.limit:,} bytes; it was not read or parsed.",
        )
        return Verdict(path, display, None, Label.ERROR, (size_finding,))
    except UnsafeFileError as error:
        reason = sanitize_line(redact_secrets(str(error)), 300)
        unreadable = Finding(rule="STRUCTURE-000", severity=Severity.error, message=reason)
        return Verdict(path, display, None, Label.ERROR, (unreadable,), unreadable=reason)
    return validate_bytes(file.data, snapshot, now=now, report_path=path)


def validate_bytes(
    data: bytes,
    snapshot: ProjectSnapshot,
    *,
    now: dt.datetime | None = None,
    report_path: Path | None = None,
    name: str | None = None,
) -> Verdict:
    """Validate a report's bytes against the project: findings, label and message."""
    with collector_paused():  # a large report allocates many short-lived, acyclic objects
        return _validate_bytes(data, snapshot, now=now, report_path=report_path, name=name)


def _validate_bytes(
    data: bytes,
    snapshot: ProjectSnapshot,
    *,
    now: dt.datetime | None,
    report_path: Path | None,
    name: str | None,
) -> Verdict:
    now = now or dt.datetime.now(dt.UTC)
    workspace = snapshot.workspace
    plain = (
        _plain_path(report_path, workspace)
        if report_path is not None
        else printable_path(name or "report")
    )
    display = redact_secrets(plain)
    parsed = parse_report(data, name or (report_path.name if report_path else "report.md"))
    context = snapshot.rule_context(parsed, now, report_path)
    findings = run_rules(context)
    if display != plain and snapshot.config.rules.enabled(PATH_SECRET_RULE):
        findings.append(
            Finding(
                rule=PATH_SECRET_RULE,
                severity=Severity.block,
                message="The report's file path holds a credential; it is shown redacted and "
                "will never be copied, logged or relayed. Rename the file.",
            )
        )
    if snapshot.config_error is not None:
        findings.append(
            Finding(
                rule="CONFIG-001",
                severity=Severity.error,
                message=f"The config cannot be used: {sanitize_line(snapshot.config_error, 300)}",
            )
        )
    on_hold = _on_hold(context)
    if on_hold:
        findings.append(
            Finding(
                rule="HOLD-001",
                severity=Severity.info,
                message="Relaying is on hold "
                + (
                    "for the whole project (state.hold = true)"
                    if snapshot.state is not None and snapshot.state.hold
                    else "for this workblock (aborted or held, not yet released by a human)"
                )
                + ".",
            )
        )
    findings.sort(key=_finding_order)
    label = label_for(findings, on_hold)
    message = digest = filename = None
    if parsed.report is not None and label.relayable:
        inputs = MessageInputs(
            report=parsed.report,
            label=label,
            report_sha256=parsed.sha256,
            report_path=display,
            state=snapshot.state,
            warnings=relay_warnings(findings),
        )
        sections = message_sections(parsed.report)
        budget = snapshot.config.message_budget_chars
        message, shortened = build_message(inputs, budget, sections)
        if shortened:
            findings.append(
                Finding(
                    rule="SIZE-001",
                    severity=Severity.warning,
                    message=f"The prepared message is over the budget of "
                    f"{snapshot.config.message_budget_tokens:,} tokens; it was shortened "
                    "with a visible marker.",
                )
            )
            findings.sort(key=_finding_order)
            label = label_for(findings, on_hold)
            inputs = replace(inputs, label=label, warnings=relay_warnings(findings))
            message, _ = build_message(inputs, budget, sections)
        digest = message_sha256(message)
        outbox = workspace.outbox_dir if workspace is not None else None
        filename = message_filename(parsed.report.workblock, parsed.report.title, outbox)
    return Verdict(
        report_path=report_path,
        report_display_path=display,
        report_sha256=parsed.sha256,
        label=label,
        findings=tuple(findings),
        parsed=parsed,
        on_hold=on_hold,
        message=message,
        message_sha256=digest,
        suggested_filename=filename,
    )


def run_rules(context: RuleContext) -> list[Finding]:
    """Every registered rule that can run on this report, in registry order; a single rule id
    disabled in the config drops its findings."""
    settings = context.config.rules
    findings: list[Finding] = []
    for rule in RULES:
        if not settings.enabled(rule.family):
            continue
        if rule.needs_report and context.parsed.report is None:
            continue
        findings.extend(
            shown_finding(item) for item in rule.check(context) if settings.enabled(item.rule)
        )
    return findings


def shown_finding(item: Finding) -> Finding:
    """The finding with its message fit to show and relay: one line, secrets redacted, hidden
    characters as tokens (rules quote untrusted text such as paths and file errors)."""
    message = sanitize_line(redact_secrets(item.message), 1000)
    return item if message == item.message else item.model_copy(update={"message": message})


def _on_hold(context: RuleContext) -> bool:
    if context.state is not None and context.state.hold:
        return True
    report = context.parsed.report
    return report is not None and context.audit.on_hold(report.workblock)


def _finding_order(item: Finding) -> tuple[int, int, int, str]:
    return (item.line or 0, item.column or 0, -item.severity, item.rule)


# --- Helpers for the review screen (shared so the app holds no report logic) ---------------


def report_identity(verdict: Verdict) -> tuple[str | None, int]:
    """The workblock and ``report_version`` a report claims, read from its fields when the
    report as a whole did not validate (so a broken v2 still supersedes v1)."""
    return parsed_identity(verdict.parsed)


def superseded_by(path: Path, max_bytes: int) -> Path | None:
    """The report of the same folder that makes ``path`` superseded (contract section 4), if any.

    Read at the moment of a relay, so a newer version that arrived a moment ago counts even if
    no screen has shown it yet. Unreadable neighbours are skipped (they are not reports).
    """
    try:
        mine = read_regular_file(path, max_bytes=max_bytes)
    except UnsafeFileError:
        return None
    workblock, version = parsed_identity(parse_report(mine.data, path.name))
    if workblock is None:
        return None
    own_rank = (version, os.lstat(path).st_mtime_ns, path.name)
    try:
        neighbours = [item for item in os.scandir(path.parent) if is_report_name(item.name)]
    except OSError:
        return None
    for item in neighbours:
        if item.name == path.name:
            continue
        try:
            other = read_regular_file(Path(item.path), max_bytes=max_bytes)
            mtime_ns = item.stat(follow_symlinks=False).st_mtime_ns
        except (UnsafeFileError, OSError):
            continue
        other_workblock, other_version = parsed_identity(parse_report(other.data, item.name))
        if other_workblock == workblock and (other_version, mtime_ns, item.name) > own_rank:
            return Path(item.path)
    return None


#: File name endings that can be reports; everything else in the reports folder is ignored.
REPORT_SUFFIXES = (".md", ".json")


def is_report_name(name: str) -> bool:
    """True for a file name that may hold a report (no dotfiles, temp or partial files)."""
    return not name.startswith(".") and name.lower().endswith(REPORT_SUFFIXES)


_REPORT_NAME = re.compile(r"(?P<workblock>.+)-v[0-9]+\.(?:md|json)", re.IGNORECASE)


def workblock_from_name(name: str) -> str | None:
    """The workblock a report file name gives by the contract's pattern ``<ID>-v<N>.md``."""
    match = _REPORT_NAME.fullmatch(name)
    if match is None or not is_valid_workblock_id(match.group("workblock")):
        return None
    return match.group("workblock")


def parsed_identity(parsed: ParsedReport | None) -> tuple[str | None, int]:
    """``report_identity`` of a parsed report."""
    if parsed is None:
        return None, 1
    if parsed.report is not None:
        return parsed.report.workblock, parsed.report.report_version
    fields = parsed.fields or {}
    workblock = fields.get("workblock")
    version = fields.get("report_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        version = 1
    return (workblock if isinstance(workblock, str) and workblock else None), version


def current_reports(entries: Iterable[tuple[Path, Verdict, int]]) -> set[Path]:
    """Contract section 4: per workblock, the report with the highest ``report_version``,
    then the newest file (``mtime_ns``, then name), is current; the others are superseded.

    ``entries`` are ``(path, verdict, mtime_ns)``; a report whose workblock is unknown is
    current on its own.
    """
    best: dict[str, tuple[int, int, str, Path]] = {}
    current: set[Path] = set()
    for path, verdict, mtime_ns in entries:
        workblock, version = report_identity(verdict)
        if workblock is None:
            current.add(path)
            continue
        rank = (version, mtime_ns, path.name, path)
        if workblock not in best or rank[:3] > best[workblock][:3]:
            best[workblock] = rank
    current.update(rank[3] for rank in best.values())
    return current


def redact_keeping_lines(text: str) -> str:
    """``text`` with every credential replaced by ``[REDACTED:<kind>]``, keeping each newline
    of a redacted span (a PEM block) so line numbers still match the file."""
    from relay_tui.core.secrets import find_secrets

    pieces: list[str] = []
    position = 0
    for found in find_secrets(text):
        pieces.append(text[position : found.start])
        pieces.append(f"[REDACTED:{found.kind}]" + "\n" * text.count("\n", found.start, found.end))
        position = found.end
    pieces.append(text[position:])
    return "".join(pieces)


def report_display_text(verdict: Verdict) -> str | None:
    """The report as it may be shown: secrets redacted, hidden characters as visible tokens,
    one screen line per file line (BOM dropped, CRLF as LF). None when nothing was read."""
    parsed = verdict.parsed
    if parsed is None:
        return None
    text = parsed.text if parsed.text is not None else parsed.data.decode("utf-8", "replace")
    return sanitize(redact_keeping_lines(text))
