"""The rule registry: each rule family is a small function over a validation context."""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from relay_tui.core.audit import AuditView
from relay_tui.core.models import Config, Finding, Report, RuleSettings, Severity, State
from relay_tui.core.report import ParsedReport, TextSegment
from relay_tui.core.sanitize import sanitize_line
from relay_tui.core.secrets import redact_secrets
from relay_tui.core.workspace import LoadedCard, Workspace

if TYPE_CHECKING:
    from relay_tui.core.phrases import SegmentMatch


@dataclass(frozen=True)
class RuleContext:
    """Everything a rule may look at; rules never read files themselves except via these."""

    parsed: ParsedReport
    config: Config
    now: dt.datetime
    workspace: Workspace | None = None
    report_path: Path | None = None
    state: State | None = None
    state_error: str | None = None
    card: LoadedCard | None = None
    card_error: str | None = None
    audit: AuditView = field(default_factory=AuditView)

    @property
    def report(self) -> Report:
        """The typed report; only rules registered with ``needs_report=True`` may use it."""
        assert self.parsed.report is not None
        return self.parsed.report


RuleCheck = Callable[[RuleContext], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """One rule family's check and when it can run."""

    family: str
    check: RuleCheck
    needs_report: bool
    """True when the check needs valid report fields (skipped after STRUCTURE errors)."""


RULES: list[Rule] = []


def register(family: str, *, needs_report: bool = True) -> Callable[[RuleCheck], RuleCheck]:
    """Decorator adding a rule family's check to the one registry."""

    def decorate(check: RuleCheck) -> RuleCheck:
        RULES.append(Rule(family=family, check=check, needs_report=needs_report))
        return check

    return decorate


def finding(
    rule: str, severity: Severity, message: str, line: int | None = None, column: int | None = None
) -> Finding:
    """Shorthand for building a finding."""
    return Finding(rule=rule, severity=severity, message=message, line=line, column=column)


def quote(text: str, limit: int = 200) -> str:
    """Untrusted text fit for a finding message: secrets redacted first (a PEM block spans
    lines), then one line with hidden characters as visible tokens."""
    return sanitize_line(redact_secrets(text), limit)


def line_and_column(text: str, offset: int, first_line: int = 1) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text`` that starts at ``first_line``.

    Rules call this once per hit over the same text, so the newline offsets of the last long
    text are kept: a report full of hits costs a binary search each, not a rescan.
    """
    if len(text) < _INDEX_FROM:
        line = first_line + text.count("\n", 0, offset)
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        return line, column
    newlines = _newline_offsets(text)
    before = bisect.bisect_left(newlines, offset)
    line_start = newlines[before - 1] + 1 if before else 0
    return first_line + before, offset - line_start + 1


_INDEX_FROM = 4096
_last_index: tuple[str, list[int]] | None = None


def _newline_offsets(text: str) -> list[int]:
    global _last_index
    cached = _last_index
    if cached is not None and cached[0] is text:
        return cached[1]
    offsets = [match.start() for match in re.finditer("\n", text)]
    _last_index = (text, offsets)
    return offsets


def segment_findings(
    matches: Iterable[SegmentMatch], segments: Sequence[TextSegment], settings: RuleSettings
) -> Iterator[Finding]:
    """Findings for phrase matches, placed in the report file (AUTHORITY and INJECTION).

    A match without a segment (a count of unlisted matches) has no line; a JSON string sits on
    one line, where escapes make a column meaningless.
    """
    for match in matches:
        if not settings.enabled(match.rule):
            continue
        if match.segment_index < 0:
            yield finding(match.rule, match.severity, match.message)
            continue
        segment = segments[match.segment_index]
        if segment.where == "json":
            yield finding(match.rule, match.severity, match.message, segment.first_line)
            continue
        line, column = line_and_column(segment.text, match.offset, segment.first_line)
        if line == segment.first_line:
            column += segment.first_column - 1
        yield finding(match.rule, match.severity, match.message, line, column)
