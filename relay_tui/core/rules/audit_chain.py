"""AUDIT: a damaged audit log can only make a label worse."""

from __future__ import annotations

from collections.abc import Iterator

from relay_tui.core.models import Finding, Severity
from relay_tui.core.rules.base import RuleContext, finding, quote, register


@register("AUDIT", needs_report=False)
def check_audit_chain(ctx: RuleContext) -> Iterator[Finding]:
    """A broken chain is an error, a torn tail a warning."""
    read = ctx.audit.read
    if read.first_bad_seq is not None:
        yield finding(
            "AUDIT-001",
            Severity.error,
            f"The audit log's chain is broken at seq {read.first_bad_seq} "
            f"({quote(read.bad_reason or 'unknown reason', 200)}); only the records "
            "before it are trusted. Run 'relay-tui audit verify'.",
        )
    if read.torn_tail is not None:
        yield finding(
            "AUDIT-002",
            Severity.warning,
            f"The audit log ends in a torn tail at seq {read.line_count + 1} (an unfinished "
            f"write after seq {read.line_count}); the next record sets it aside.",
        )
