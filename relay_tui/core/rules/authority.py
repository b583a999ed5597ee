"""AUTHORITY rule family: wording that claims approval, orders a next step or signals readiness.

The catalogue is data (``relay_tui/core/patterns/authority.toml``); the matching, the
normalization and the context judgement (descriptions, negations, questions and mentions do
not count as claims) live in ``relay_tui.core.phrases``, whose docstring explains the design.
The check reads only ``ctx.parsed.segments``, so it works on a report and on an assistant's
reply alike. A project's extra phrases become AUTHORITY-901 (block) and AUTHORITY-902 (error).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from relay_tui.core.models import Finding, Severity
from relay_tui.core.phrases import Entry, Matcher, load_catalogue, phrase_entry, scan_segments
from relay_tui.core.rules.base import RuleContext, register, segment_findings

EXTRA_BLOCK_RULE = "AUTHORITY-901"
EXTRA_ERROR_RULE = "AUTHORITY-902"


@lru_cache(maxsize=16)
def authority_matcher(
    extra_block: tuple[str, ...] = (),
    extra_error: tuple[str, ...] = (),
    disabled: tuple[str, ...] = (),
) -> Matcher:
    """The AUTHORITY matcher with a project's extra phrases; rules in ``disabled`` never run."""
    catalogue = load_catalogue("authority")
    extras: list[Entry] = []
    block = phrase_entry(
        EXTRA_BLOCK_RULE,
        Severity.block,
        extra_block,
        "Uses a phrase this project forbids as a claim of authority (rules.extra_authority_block)",
        catalogue.advice,
    )
    error = phrase_entry(
        EXTRA_ERROR_RULE,
        Severity.error,
        extra_error,
        "Uses a phrase this project treats as readiness wording (rules.extra_authority_error)",
        "say what was checked; the human decides",
    )
    extras.extend(entry for entry in (block, error) if entry is not None)
    return Matcher(catalogue, extra_entries=extras, disabled=disabled)


@register("AUTHORITY", needs_report=False)
def check_authority(ctx: RuleContext) -> Iterator[Finding]:
    """Claims of approval and orders to merge, deploy, release or start work (block);
    readiness wording such as "ready to merge" or "LGTM" (error)."""
    rules = ctx.config.rules
    matcher = authority_matcher(
        tuple(rules.extra_authority_block),
        tuple(rules.extra_authority_error),
        tuple(sorted(rules.disabled)),
    )
    segments = ctx.parsed.segments
    yield from segment_findings(scan_segments(matcher, segments), segments, rules)
