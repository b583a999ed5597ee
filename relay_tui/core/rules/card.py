"""CARD: the report's workblock has a readable card, authorized by a human and unedited since."""

from __future__ import annotations

from collections.abc import Iterator

from relay_tui.core.models import Finding, Severity
from relay_tui.core.rules.base import RuleContext, finding, quote, register


@register("CARD")
def check_card(ctx: RuleContext) -> Iterator[Finding]:
    """No card is an error; an unauthorized or edited card blocks."""
    workblock = ctx.report.workblock
    line = ctx.parsed.line_of_field("workblock")
    if ctx.card_error is not None:
        yield finding(
            "CARD-002",
            Severity.error,
            f"The card of {workblock} cannot be read: {quote(ctx.card_error)}. "
            "Scope is not checked until it can.",
            line,
        )
        return
    loaded = ctx.card
    if loaded is None:
        where = (
            f"in the project at {quote(str(ctx.workspace.root))}"
            if ctx.workspace is not None
            else "because no project (a folder holding .relay/) was found for this report; "
            "pass --project"
        )
        yield finding(
            "CARD-001",
            Severity.error,
            f"There is no card .relay/cards/{workblock}.toml {where}, "
            "so the workblock's scope is unknown and not checked.",
            line,
        )
        return
    authorization = loaded.card.authorization
    if loaded.authorization_error is not None:
        yield finding(
            "CARD-006",
            Severity.block,
            f"The card {workblock} has a malformed [authorization] table "
            f"({quote(loaded.authorization_error)}); authorize it again in the TUI.",
            line,
        )
    elif authorization is None:
        yield finding(
            "CARD-003",
            Severity.block,
            f"The card {workblock} was never authorized by a human; "
            "authorize it in the TUI before work on it can be relayed.",
            line,
        )
    elif authorization.card_sha256 != loaded.body_sha256:
        yield finding(
            "CARD-004",
            Severity.block,
            f"The card {workblock} was edited after it was authorized "
            f"(authorized {authorization.card_sha256[:12]}, now {loaded.body_sha256[:12]}); "
            "a human must authorize the new scope.",
            line,
        )
    elif not ctx.audit.card_authorized(workblock, loaded.body_sha256):
        yield finding(
            "CARD-005",
            Severity.block,
            f"The card {workblock} carries an authorization stamp, but the audit log holds no "
            "human CARD_AUTHORIZED record for it.",
            line,
        )
