"""INJECTION rule family: text aimed at the assistant that receives the relayed message.

The catalogue is data (``relay_tui/core/patterns/injection.toml``): orders to ignore earlier
instructions, words addressed to the receiving assistant, fake role markers and chat template
tokens, and remote images (``![…](https://…)``), which a chat client fetches at once so their
URL can carry data out. Matching is done by ``relay_tui.core.phrases``. One check is code, not
patterns: a reference-style image (``![x][ref]`` with ``[ref]: https://…`` elsewhere, in any
part of the report) is remote only through its definition (INJECTION-011, block); a remote
definition of an image file that no image uses shows nothing by itself, so it is a warning.
The check reads only
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
_REMOTE_DEFINITION = re.compile(
    r"^ {0,3}\[([^\]\n]+)\]:[ \t]*<?((?:(?:https?|ftp):)?//[^\s>]*)", re.M
)
# A URL whose path ends like an image file ("…/badge.svg", "…/p.png?d=1").
_IMAGE_PATH = re.compile(r"\.(?:png|jpe?g|gif|svg|webp|bmp|ico|avif|tiff?|apng)(?:[?#]|\Z)")


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


def _label(text: str) -> str:
    return " ".join(text.split())


def remote_definitions(text: str) -> dict[str, str]:
    """Reference definitions to a remote URL (``[ref]: https://…``): label -> URL."""
    if "]:" not in text:
        return {}
    norm = normalized(text)
    found: dict[str, str] = {}
    for definition in _REMOTE_DEFINITION.finditer(norm.text):
        found.setdefault(_label(definition.group(1)), definition.group(2))
    return found


def reference_images(
    text: str, segment_index: int = 0, remote: set[str] | None = None
) -> list[SegmentMatch]:
    """Reference-style images whose definition points at a remote URL (INJECTION-011).

    ``remote`` names the remote definitions to use (by default those of ``text``): the
    prepared message may carry an image and its definition from different parts of a report.
    """
    return _reference_images(text, segment_index, remote=remote)[0]


def _reference_images(
    text: str, segment_index: int, limit: int | None = None, remote: set[str] | None = None
) -> tuple[list[SegmentMatch], int]:
    """``reference_images``, at most ``limit`` of them, and how many more there are (those
    are only counted, so the work stays small however many there are)."""
    if "![" not in text:
        return [], 0
    if remote is None:
        remote = set(remote_definitions(text))
    if not remote:
        return [], 0
    norm = normalized(text)
    entry = load_catalogue("injection").entry(REFERENCE_IMAGE_RULE)
    found: list[SegmentMatch] = []
    more = 0
    for image in _REFERENCE_IMAGE.finditer(norm.text):
        label = image.group(2) or image.group(1)
        if _label(label) not in remote:
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


def _used_labels(text: str) -> set[str]:
    """The labels that the reference-style images of ``text`` use."""
    if "![" not in text:
        return set()
    return {
        _label(image.group(2) or image.group(1))
        for image in _REFERENCE_IMAGE.finditer(normalized(text).text)
    }


def _unused_image_definitions(text: str, segment_index: int, used: set[str]) -> list[SegmentMatch]:
    """Remote definitions of an image file that no image uses: a ``warning`` each.

    On its own such a line shows nothing and fetches nothing, so it does not block; but its only
    use is a remote image, so the human is asked to look at it.
    """
    norm = normalized(text)
    entry = load_catalogue("injection").entry(REFERENCE_IMAGE_RULE)
    found: list[SegmentMatch] = []
    for definition in _REMOTE_DEFINITION.finditer(norm.text):
        if _label(definition.group(1)) in used or not _IMAGE_PATH.search(definition.group(2)):
            continue
        start, end = norm.source_span(definition.start(), definition.end())
        quote = quote_excerpt(text[start:end].strip())
        found.append(
            SegmentMatch(
                rule=entry.id,
                severity=Severity.warning,
                message=(
                    f'Defines a remote image that no image here uses: "{quote}" — a chat client '
                    "would fetch it as soon as an image used it; use a local image or a plain link."
                ),
                segment_index=segment_index,
                offset=start,
            )
        )
        if len(found) >= MAX_FINDINGS_PER_RULE:
            break
    return found


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
        # The definitions of every segment count for the images of every segment (a JSON
        # report's sections end up in one message). At most MAX_FINDINGS_PER_RULE images are
        # listed over all segments, the rest counted once.
        definitions = [remote_definitions(segment.text) for segment in segments]
        remote = {label for found in definitions for label in found}
        listed: list[SegmentMatch] = []
        more = 0
        if remote:
            for index, segment in enumerate(segments):
                room = MAX_FINDINGS_PER_RULE - len(listed)
                images, unlisted = _reference_images(segment.text, index, room, remote)
                listed.extend(images)
                more += unlisted
        matches.extend(listed)
        if more:
            matches.append(_count(more))
        if any(_IMAGE_PATH.search(url) for found in definitions for url in found.values()):
            used = {label for segment in segments for label in _used_labels(segment.text)}
            for index, segment in enumerate(segments):
                if definitions[index]:
                    matches.extend(_unused_image_definitions(segment.text, index, used))
    yield from segment_findings(matches, segments, rules)
