"""HIDDEN: control, bidi, zero-width and tag characters that hide or reorder what a person reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from relay_tui.core.models import Finding, Severity
from relay_tui.core.report import field_strings
from relay_tui.core.rules.base import RuleContext, finding, register
from relay_tui.core.sanitize import character_name, find_hidden

#: Findings listed one by one before the rest are summed up in one.
MAX_LISTED = 20


@register("HIDDEN", needs_report=False)
def check_hidden(ctx: RuleContext) -> Iterator[Finding]:
    """Scan the stored text and, for JSON, the decoded strings (which may use ``\\u`` escapes).

    A JSON string never spans lines in the file, so a character decoded from one is reported
    on the string's line; one already seen written plainly on that line is not counted twice.
    """
    raw = ctx.parsed.raw_text
    if raw is None:
        return
    hits: dict[tuple[int, int], str] = {}
    plain_on_line: Counter[tuple[int, str]] = Counter()
    for (line, column), char in _positions(raw, find_hidden(raw)):
        hits.setdefault((line, column), char)
        plain_on_line[(line, char)] += 1
    if ctx.parsed.kind == "json":
        escaped: Counter[tuple[int, str]] = Counter()
        for segment in ctx.parsed.segments:
            for _, char in find_hidden(segment.text, leading_bom_allowed=False):
                escaped[(segment.first_line, char)] += 1
        for (line, char), count in sorted(escaped.items()):
            if count > plain_on_line[(line, char)]:
                hits.setdefault((line, 0), char)
    if ctx.parsed.kind == "md":
        for (line, char), count in sorted(_front_matter_escapes(ctx).items()):
            literal = sum(plain_on_line[(at, char)] for at in _span(ctx, line))
            if count > literal:
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
            (f"Column {column}: hidden " if column else "Hidden ")
            + f"{character_name(char)}; it is shown as a visible token.",
            line,
            column or None,
        )


def _positions(text: str, found: list[tuple[int, str]]) -> Iterator[tuple[tuple[int, int], str]]:
    """1-based line and column of each (offset, char), offsets ascending; counts newlines
    once in all, so a file full of hidden characters stays linear to scan."""
    line, line_start, counted_to = 1, 0, 0
    for offset, char in found:
        newlines = text.count("\n", counted_to, offset)
        if newlines:
            line += newlines
            line_start = text.rfind("\n", counted_to, offset) + 1
        counted_to = offset
        yield (line, offset - line_start + 1), char


def _front_matter_escapes(ctx: RuleContext) -> Counter[tuple[int, str]]:
    """Hidden characters in the decoded front matter values, by field line: a TOML escape
    (``"\\u202e"``) hides them from a scan of the stored text."""
    found: Counter[tuple[int, str]] = Counter()
    for name, value in (ctx.parsed.fields or {}).items():
        line = ctx.parsed.line_of_field(name) or 2
        for text in field_strings([name, value]):
            for _, char in find_hidden(text, leading_bom_allowed=False):
                found[(line, char)] += 1
    return found


def _span(ctx: RuleContext, line: int) -> range:
    """The lines from a field's line up to the next field (where its value is written)."""
    end = ctx.parsed.front_matter_end or line + 1
    later = [at for at in ctx.parsed.field_lines.values() if line < at < end]
    return range(line, min(later, default=end))
