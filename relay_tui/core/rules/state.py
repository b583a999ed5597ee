"""STATE: the report was written against the current, fresh project state and workblock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from relay_tui.core.models import Finding, Severity
from relay_tui.core.rules.base import RuleContext, finding, quote, register


@register("STATE")
def check_state(ctx: RuleContext) -> Iterator[Finding]:
    """Revision behind or ahead, another active workblock, an old or missing state."""
    if ctx.state_error is not None:
        yield finding(
            "STATE-006",
            Severity.error,
            f"The state file cannot be read: {quote(ctx.state_error)}.",
        )
        return
    state = ctx.state
    if state is None:
        yield finding(
            "STATE-005",
            Severity.warning,
            "There is no .relay/state.toml, so staleness and conflicts cannot be checked.",
        )
        return
    report = ctx.report
    revision_line = ctx.parsed.line_of_field("state_revision")
    if report.state_revision < state.revision:
        yield finding(
            "STATE-001",
            Severity.warning,
            f"The work started from state revision {report.state_revision}, but the state is now "
            f"at revision {state.revision}: the plan changed since (stale).",
            revision_line,
        )
    elif report.state_revision > state.revision:
        yield finding(
            "STATE-004",
            Severity.error,
            f"The report claims state revision {report.state_revision}, ahead of the current "
            f"revision {state.revision}; no such state exists.",
            revision_line,
        )
    if state.active_workblock and state.active_workblock != report.workblock:
        yield finding(
            "STATE-002",
            Severity.warning,
            f"The active workblock is {quote(state.active_workblock)}, not "
            f"{report.workblock} (conflict).",
            ctx.parsed.line_of_field("workblock"),
        )
    age = ctx.now - state.updated_at
    if age > ctx.config.stale_after_delta:
        yield finding(
            "STATE-003",
            Severity.warning,
            # No age in the text: the message carries every warning and must not change with
            # the clock while the label stays the same (contract section 6).
            f"The state was last updated at {state.updated_at.isoformat()}, longer ago than "
            f"stale_after ({ctx.config.stale_after}); check the plan is still current.",
        )


def describe_age(age: dt.timedelta) -> str:
    """``3 days``, ``13 hours`` or ``31 minutes``: the largest whole unit."""
    seconds = int(age.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
