"""HIDDEN: control, bidi, zero-width and tag characters that hide or reorder what a person reads."""

from __future__ import annotations

from collections.abc import Iterator

from relay_tui.core.models import Finding, Severity
from relay_tui.core.rules.base import RuleContext, finding, line_and_column, register
from relay_tui.core.sanitize import character_name, find_hidden

#: Findings listed one by one before the rest are summed up in one.
MAX_LISTED = 20


@register("HIDDEN", needs_report=False)
def check_hidden(ctx: RuleContext) -> Iterator[Finding]:
    """Scan the stored text and, for JSON, the decoded strings (which may use ``\\u`` escapes)."""
    raw = ctx.parsed.raw_text
    if raw is None:
        return
    hits: dict[tuple[int, int], str] = {}
    for offset, char in find_hidden(raw):
        hits.setdefault(line_and_column(raw, offset), char)
    if ctx.parsed.kind == "json":
        for segment in ctx.parsed.segments:
            for offset, char in find_hidden(segment.text):
                if offset == 0 and char == "\ufeff":
                    continue
                line, _ = line_and_column(segment.text, offset, segment.first_line)
                hits.setdefault((line, 0), char)
    for index, ((line, column), char) in enumerate(sorted(hits.items())):
        if index == MAX_LISTED:
            yield finding(
                "HIDDEN-002",
                Severity.block,
                f"{len(hits) - MAX_LISTED} more hidden characters follow; all are shown as tokens.",
                line,
            )
            return
        yield finding(
            "HIDDEN-001",
            Severity.block,
            f"Hidden {character_name(char)}; it is shown as a visible token.",
            line,
            column or None,
        )
