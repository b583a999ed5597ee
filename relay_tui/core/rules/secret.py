"""SECRET: credentials and private keys; they are shown only redacted, never copied or relayed."""

from __future__ import annotations

import bisect
import json
from collections import Counter
from collections.abc import Iterator

from relay_tui.core.models import Finding, Severity
from relay_tui.core.report import TextSegment
from relay_tui.core.rules.base import RuleContext, finding, line_and_column, register
from relay_tui.core.secrets import find_secrets, pattern_for

MESSAGE_TAIL = "is in the report; it is shown redacted and will never be copied, logged or relayed."

#: Findings listed one by one before the rest are summed up in one (rule ``SUMMARY_RULE``).
MAX_LISTED = 50
SUMMARY_RULE = "SECRET-099"

#: Joins segments into one text for one scan; no catalogue regex matches across it.
_SEGMENT_SEPARATOR = "\n\x00\n"

Hit = tuple[int, int | None, str]
"""(line, column or None, rule id) of one credential in the report file."""


def secret_message(rule: str) -> str:
    """The finding message of a catalogue rule; built from the catalogue only, never the text."""
    return f"{pattern_for(rule).reason} {MESSAGE_TAIL}"


def _json_column(file_lines: list[str], line: int, value: str) -> int | None:
    """Where a secret decoded from a JSON string sits in its file line, when written plainly."""
    if not 1 <= line <= len(file_lines):
        return None
    encoded = json.dumps(value, ensure_ascii=False)[1:-1]
    index = file_lines[line - 1].find(encoded)
    return index + 1 if index >= 0 else None


def _segment_hits(segments: list[TextSegment], text: str) -> Iterator[Hit]:
    """Credentials in the segments, scanned as one joined text, placed back in the file."""
    if not segments:
        return
    starts: list[int] = []
    offset = 0
    for segment in segments:
        starts.append(offset)
        offset += len(segment.text) + len(_SEGMENT_SEPARATOR)
    joined = _SEGMENT_SEPARATOR.join(segment.text for segment in segments)
    file_lines = text.split("\n") if any(s.where == "json" for s in segments) else []
    for match in find_secrets(joined):
        index = bisect.bisect_right(starts, match.start) - 1
        segment = segments[index]
        start = match.start - starts[index]
        if segment.where == "json":
            value = segment.text[start : match.end - starts[index]]
            yield (
                segment.first_line,
                _json_column(file_lines, segment.first_line, value),
                match.rule,
            )
        else:
            line, column = line_and_column(segment.text, start, segment.first_line)
            yield line, column, match.rule


@register("SECRET", needs_report=False)
def check_secrets(ctx: RuleContext) -> Iterator[Finding]:
    """Scan the whole report text, then the text segments that differ from it.

    The whole text is scanned for every report, so a report whose fields or syntax are broken
    (or that is not UTF-8) is still searched, and a JSON ``"api_key": "…"`` pair is seen whole.
    The segments add what only decoding shows: a key split by ``\\u`` escapes in a JSON string.
    A segment hit on a line where the whole text already had one of the same rule is the same
    secret and is not counted twice.
    """
    parsed = ctx.parsed
    text = parsed.text
    if text is None:
        text = parsed.data.decode("utf-8", errors="replace")
    found: list[Hit] = []
    whole_text_hits: Counter[tuple[str, int]] = Counter()
    for match in find_secrets(text):
        line, column = line_and_column(text, match.start)
        found.append((line, column, match.rule))
        whole_text_hits[(match.rule, line)] += 1
    segments = [
        segment
        for segment in parsed.segments
        if segment.text != text and not segment.verbatim and segment.where != "report"
    ]
    for hit in _segment_hits(segments, text):
        key = (hit[2], hit[0])
        if whole_text_hits[key] > 0:
            whole_text_hits[key] -= 1  # the same secret, already found in the whole text
        else:
            found.append(hit)
    listed = [hit for hit in found if ctx.config.rules.enabled(hit[2])]
    listed.sort(key=lambda hit: (hit[0], hit[1] or 0, hit[2]))
    for hit_line, hit_column, rule in listed[:MAX_LISTED]:
        yield finding(rule, Severity.block, secret_message(rule), hit_line, hit_column)
    if len(listed) > MAX_LISTED:
        yield finding(
            SUMMARY_RULE,
            Severity.block,
            f"{len(listed) - MAX_LISTED} more credentials follow; all are shown redacted.",
            listed[MAX_LISTED][0],
        )
