"""CONSISTENCY: the declared outcome agrees with the declared test results."""

from __future__ import annotations

from collections.abc import Iterator

from relay_tui.core.models import Finding, Severity
from relay_tui.core.rules.base import RuleContext, finding, register


@register("CONSISTENCY")
def check_consistency(ctx: RuleContext) -> Iterator[Finding]:
    """Completed with failing tests is an error; failed or stopped work is a warning."""
    report = ctx.report
    outcome_line = ctx.parsed.line_of_field("outcome")
    failed = report.tests.failed if report.tests is not None else None
    if report.outcome == "completed" and failed:
        yield finding(
            "CONSISTENCY-001",
            Severity.error,
            f"The outcome is 'completed' but {failed} test(s) failed.",
            ctx.parsed.line_of_field("tests") or outcome_line,
        )
    if report.outcome in ("failed", "stopped"):
        yield finding(
            "CONSISTENCY-002",
            Severity.warning,
            f"The outcome is '{report.outcome}': the work did not finish as planned.",
            outcome_line,
        )
    elif report.outcome == "partial":
        yield finding(
            "CONSISTENCY-003",
            Severity.info,
            "The outcome is 'partial': part of the goal is still open.",
            outcome_line,
        )
