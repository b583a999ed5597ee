"""INJECTION rule family: text aimed at the assistant that receives the relayed message.

The catalogue is data (``relay_tui/core/patterns/injection.toml``): orders to ignore earlier
instructions, words addressed to the receiving assistant, fake role markers and chat template
tokens, and remote images (``![…](https://…)``), which a chat client fetches at once so their
URL can carry data out. Matching is done by ``relay_tui.core.phrases``. One check is code, not
patterns: a reference-style image (``![x][ref]`` with ``[ref]: https://…`` elsewhere) is
remote only through its definition (INJECTION-011). The check reads only
``ctx.parsed.segments``, so it works on a report and on an assistant's reply alike. A project's
extra phrases become INJECTION-901.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from relay_tui.core.models import Finding, Severity
from relay_tui.core.phrases import (
    MAX_FINDINGS_PER_RULE,
    Matcher,
    SegmentMatch,
    finding_message,
    load_catalogue,
    mention_at,
    normalized,
    phrase_entry,
    quote_excerpt,
    scan_segments,
)
from relay_tui.core.rules.base import RuleContext, register, segment_findings

EXTRA_RULE = "INJECTION-901"
REFERENCE_IMAGE_RULE = "INJECTION-011"

# Over normalized text (lower case, "*" read as a space).
_REFERENCE_IMAGE = re.compile(r"!\[([^\]\n]*)\](?:\[([^\]\n]*)\])?")
_REMOTE_DEFINITION = re.compile(r"^ {0,3}\[([^\]\n]+)\]:[ \t]*<?(?:(?:https?|ftp):)?//", re.M)


@lru_cache(maxsize=16)
def injection_matcher(extra: tuple[str, ...] = (), disabled: tuple[str, ...] = ()) -> Matcher:
    """The INJECTION matcher with a project's extra phrases; rules in ``disabled`` never run."""
    catalogue = load_catalogue("injection")
    entry = phrase_entry(
        EXTRA_RULE,
        Severity.block,
        extra,
        "Uses a phrase this project treats as aimed at the receiving assistant "
        "(rules.extra_injection)",
        catalogue.advice,
    )
    return Matcher(catalogue, extra_entries=[entry] if entry else [], disabled=disabled)


def reference_images(text: str, segment_index: int = 0) -> list[SegmentMatch]:
    """Reference-style images whose definition points at a remote URL (INJECTION-011)."""
    return _reference_images(text, segment_index)[0]


def _reference_images(
    text: str, segment_index: int, limit: int | None = None
) -> tuple[list[SegmentMatch], int]:
    """``reference_images``, at most ``limit`` of them, and how many more there are (those
    are only counted, so the work stays small however many there are)."""
    if "![" not in text or "]:" not in text:
        return [], 0
    norm = normalized(text)
    remote = {" ".join(found.group(1).split()) for found in _REMOTE_DEFINITION.finditer(norm.text)}
    if not remote:
        return [], 0
    entry = load_catalogue("injection").entry(REFERENCE_IMAGE_RULE)
    found: list[SegmentMatch] = []
    more = 0
    for image in _REFERENCE_IMAGE.finditer(norm.text):
        label = image.group(2) or image.group(1)
        if " ".join(label.split()) not in remote:
            continue
        if image.group(2) is None and norm.text[image.end() : image.end() + 1] in ("(", ":"):
            continue  # an inline image (the catalogue judges it) or a definition
        if limit is not None and len(found) >= limit:
            more += 1
            continue
        mentioned = mention_at(text, image.start(), image.end())
        start, end = norm.source_span(image.start(), image.end())
        found.append(
            SegmentMatch(
                rule=entry.id,
                severity=Severity.warning if mentioned else entry.severity,
                message=finding_message(entry, quote_excerpt(text[start:end]), mentioned),
                segment_index=segment_index,
                offset=start,
            )
        )
    return found, more


def _count(more: int) -> SegmentMatch:
    """The ``info`` match that counts the reference images not listed."""
    return SegmentMatch(
        REFERENCE_IMAGE_RULE,
        Severity.info,
        f"{more} more matches of {REFERENCE_IMAGE_RULE} are not listed (the first "
        f"{MAX_FINDINGS_PER_RULE} are).",
        -1,
        -1,
    )


@register("INJECTION", needs_report=False)
def check_injection(ctx: RuleContext) -> Iterator[Finding]:
    """Instructions aimed at the receiving assistant, fake role markers, remote images."""
    rules = ctx.config.rules
    matcher = injection_matcher(tuple(rules.extra_injection), tuple(sorted(rules.disabled)))
    segments = ctx.parsed.segments
    matches = list(scan_segments(matcher, segments))
    if rules.enabled(REFERENCE_IMAGE_RULE):
        # At most MAX_FINDINGS_PER_RULE are listed over all segments, the rest counted once.
        listed: list[SegmentMatch] = []
        more = 0
        for index, segment in enumerate(segments):
            room = MAX_FINDINGS_PER_RULE - len(listed)
            images, unlisted = _reference_images(segment.text, index, limit=room)
            listed.extend(images)
            more += unlisted
        matches.extend(listed)
        if more:
            matches.append(_count(more))
    yield from segment_findings(matches, segments, rules)
