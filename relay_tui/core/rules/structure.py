"""STRUCTURE: what parsing found wrong (front matter, fields, sections, encoding)."""

from __future__ import annotations

from collections.abc import Iterable

from relay_tui.core.models import Finding
from relay_tui.core.rules.base import RuleContext, register


@register("STRUCTURE", needs_report=False)
def check_structure(ctx: RuleContext) -> Iterable[Finding]:
    """The parser's findings, filtered by the config's toggles."""
    return [item for item in ctx.parsed.findings if ctx.config.rules.enabled(item.rule)]
