"""Parsing a report's exact bytes: Markdown with ``+++`` TOML front matter, or JSON."""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from relay_tui.core.models import (
    OUTCOMES,
    REQUIRED_SECTIONS,
    SECTION_TITLES,
    Finding,
    Report,
    Severity,
    is_valid_workblock_id,
)
from relay_tui.core.sanitize import sanitize_line

ReportKind = Literal["md", "json"]

REQUIRED_FIELDS = ("workblock", "title", "outcome", "state_revision", "files_changed")
OPTIONAL_FIELDS = ("base_commit", "report_version", "tests")
_SECTION_BY_FOLDED = {title.casefold(): title for title in SECTION_TITLES}
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_VALUE_LOOKAHEAD = 2000
_MAX_DIGITS = sys.get_int_max_str_digits() or 4300
_HUGE_NUMBER = re.compile(rf"\d{{{_MAX_DIGITS + 1},}}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class TextSegment:
    """A piece of untrusted report text and where it starts in the file (1-based)."""

    text: str
    first_line: int
    where: str
    first_column: int = 1
    """Column (1-based) of the segment's first character on ``first_line``."""
    verbatim: bool = False
    """The same characters stand in the file's text (a front matter value written plainly);
    rules that scan the whole text already saw them there."""


@dataclass(frozen=True)
class Section:
    """A level-2 section of the report body."""

    title: str
    body: str
    heading_line: int


@dataclass
class ParsedReport:
    """Everything read from a report's bytes; ``report`` is None when the fields are invalid."""

    data: bytes
    sha256: str
    kind: ReportKind
    text: str | None = None
    """The decoded text: BOM removed, CRLF turned into LF (line numbers unchanged)."""
    raw_text: str | None = None
    """The decoded text exactly as stored (for the HIDDEN rule)."""
    fields: dict[str, Any] | None = None
    field_lines: dict[str, int] = field(default_factory=dict)
    report: Report | None = None
    sections: dict[str, Section] = field(default_factory=dict)
    segments: list[TextSegment] = field(default_factory=list)
    front_matter_end: int | None = None
    """Line of the closing ``+++`` of a Markdown report's front matter."""
    findings: list[Finding] = field(default_factory=list)
    _lines: list[str] | None = field(default=None, repr=False, compare=False)
    _value_cursor: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def line_of_field(self, name: str) -> int | None:
        """The line where a front matter / JSON field is written, if known."""
        return self.field_lines.get(name)

    def line_of_value(self, name: str, value: str) -> int | None:
        """The line where the text ``value`` of field ``name`` is written (a list may span
        several lines); the field's own line when it cannot be told.

        Values of a list are usually asked for in order, so the search resumes where the
        previous one ended and looks a bounded number of lines ahead.
        """
        start = self.field_lines.get(name)
        if start is None or self.text is None:
            return start
        if self._lines is None:
            self._lines = self.text.split("\n")
        forms = {value, json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(value)[1:-1]}
        forms.discard("")
        resume = max(start, self._value_cursor.get(name, start))
        for first in (resume, start):
            for index in range(first - 1, min(len(self._lines), first - 1 + _VALUE_LOOKAHEAD)):
                if any(form in self._lines[index] for form in forms):
                    self._value_cursor[name] = index + 1
                    return index + 1
        return start


def structure(
    code: int, message: str, line: int | None = None, column: int | None = None
) -> Finding:
    """A STRUCTURE finding (always an error)."""
    return Finding(
        rule=f"STRUCTURE-{code:03d}",
        severity=Severity.error,
        message=message,
        line=line,
        column=column,
    )


def guess_kind(name: str, data: bytes) -> ReportKind:
    """JSON for a ``.json`` name or bytes that open with ``{``; Markdown otherwise."""
    if name.lower().endswith(".json"):
        return "json"
    return "json" if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "md"


def parse_report(data: bytes, name: str = "report.md") -> ParsedReport:
    """Parse the exact bytes of a report; problems become STRUCTURE findings, never raise."""
    parsed = ParsedReport(
        data=data, sha256=hashlib.sha256(data).hexdigest(), kind=guess_kind(name, data)
    )
    try:
        raw_text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        parsed.findings.append(
            structure(
                1,
                f"The file is not valid UTF-8 text (byte 0x{data[error.start]:02x} at offset "
                f"{error.start}); it may be binary or in another encoding.",
                line,
            )
        )
        return parsed
    nul = raw_text.find("\x00")
    if nul >= 0:
        parsed.findings.append(
            structure(
                1,
                f"The file holds NUL bytes (the first at offset {nul}): it is binary, not "
                "report text.",
                raw_text.count("\n", 0, nul) + 1,
            )
        )
        parsed.raw_text = raw_text  # not parsed further, but HIDDEN still marks each NUL (C0)
        return parsed
    parsed.raw_text = raw_text
    text = raw_text[1:] if raw_text.startswith("\ufeff") else raw_text
    text = text.replace("\r\n", "\n")
    parsed.text = text
    if not text.strip():
        parsed.findings.append(
            structure(2, "The report is empty or incomplete (no final message was written).", 1)
        )
        return parsed
    if parsed.kind == "json":
        _parse_json(parsed, text)
    else:
        _parse_markdown(parsed, text)
    if parsed.fields is not None:
        _check_fields(parsed)
    return parsed


def _parse_markdown(parsed: ParsedReport, text: str) -> None:
    lines = text.split("\n")
    parsed.segments.append(TextSegment(text=text, first_line=1, where="report"))
    if lines[0].strip() != "+++":
        parsed.findings.append(
            structure(
                3,
                "The report does not open with '+++' front matter (TOML between two '+++' lines).",
                1,
            )
        )
        return
    closing = next((index for index in range(1, len(lines)) if lines[index].strip() == "+++"), None)
    if closing is None:
        parsed.findings.append(
            structure(
                3,
                "The front matter has no closing '+++' line; the report may be cut off.",
                len(lines),
            )
        )
        return
    parsed.front_matter_end = closing + 1
    front = "\n".join(lines[1:closing])
    try:
        fields = tomllib.loads(front)
    except tomllib.TOMLDecodeError as error:
        match = _TOML_POSITION.search(str(error))
        line = int(match.group(1)) + 1 if match else 2
        column = int(match.group(2)) if match else None
        reason = _TOML_POSITION.sub("", str(error)).strip()
        parsed.findings.append(
            structure(4, f"The front matter is not valid TOML: {reason}.", line, column)
        )
        return
    except ValueError:
        # tomllib lets Python's limit on integer digits escape as a plain ValueError.
        parsed.findings.append(
            structure(
                4,
                f"The front matter holds a number with more than {_MAX_DIGITS} digits.",
                _line_of_match(_HUGE_NUMBER, front, 2),
            )
        )
        return
    except RecursionError:
        parsed.findings.append(
            structure(
                4,
                "The front matter is nested too deeply to be a report.",
                _deepest_line(front, 2),
            )
        )
        return
    parsed.fields = fields
    for index in range(1, closing):
        key = re.match(r"\s*([A-Za-z0-9_-]+)\s*=", lines[index])
        if key and key.group(1) not in parsed.field_lines:
            parsed.field_lines[key.group(1)] = index + 1
    _split_front_matter_segments(parsed, lines, closing)
    _collect_sections(parsed, lines, closing + 1)


def _split_front_matter_segments(parsed: ParsedReport, lines: list[str], closing: int) -> None:
    """Scan the front matter's values as the text they are, not as the TOML that holds them.

    The quotes of ``title = "Deploy to production now"`` are TOML syntax, not a quotation:
    seen in the whole text, the wording rules would take the value for a phrase only
    mentioned and lower it to a warning. So the report segment keeps the body only (the front
    matter lines blanked, line numbers unchanged) and every string value becomes a segment of
    its own, placed where it is written. A value written with escapes (``"\u0041KIA…"``) is
    not in the stored text at all; its segment is what the SECRET rule scans besides the text.
    """
    assert parsed.fields is not None and parsed.text is not None
    report_segment = parsed.segments[0]
    blanked = "\n" * closing + "\n".join(lines[closing:])
    parsed.segments[0] = TextSegment(blanked, report_segment.first_line, report_segment.where)
    field_line_numbers = sorted(parsed.field_lines.values())
    for name, value in parsed.fields.items():
        line = parsed.field_lines.get(name, 2)
        later = [at for at in field_line_numbers if at > line]
        span = range(line, min([*later, closing + 1]))
        for decoded in field_strings(value):
            if not decoded:
                continue
            at, column = _written_at(lines, span, decoded)
            parsed.segments.append(
                TextSegment(decoded, at or line, "front-matter", column or 1, verbatim=bool(at))
            )


def _written_at(lines: list[str], span: range, value: str) -> tuple[int | None, int | None]:
    """The 1-based line and column where ``value`` is written plainly inside quotes, if it is."""
    if "\n" in value:
        return None, None
    for number in span:
        text = lines[number - 1]
        for quote in ('"', "'"):
            index = text.find(quote + value + quote)
            if index >= 0:
                return number, index + 2
    return None, None


def field_strings(value: object) -> Iterator[str]:
    """Every text inside a TOML or JSON value (keys of inline tables included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from field_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from field_strings(item)


def _collect_sections(parsed: ParsedReport, lines: list[str], body_start: int) -> None:
    """Level-2 headings outside code fences split the body into sections."""
    fence: str | None = None
    current: tuple[str, int] | None = None
    body_lines: list[str] = []

    def close() -> None:
        if current is None:
            return
        body = "\n".join(body_lines).strip("\n")
        earlier = parsed.sections.get(current[0])
        if earlier is not None:
            # A repeated heading continues its section: no text is silently dropped.
            body = f"{earlier.body}\n\n{body}".strip("\n")
        parsed.sections[current[0]] = Section(
            current[0], body, earlier.heading_line if earlier else current[1]
        )

    for index in range(body_start, len(lines)):
        line = lines[index]
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match.group(1)[0] * 3
            fence = None if fence == marker else (fence or marker)
        heading = None if fence else _HEADING.match(line)
        if heading and len(heading.group(1)) <= 2:
            close()
            body_lines = []
            title = _SECTION_BY_FOLDED.get(heading.group(2).strip().casefold())
            current = (title, index + 1) if title and len(heading.group(1)) == 2 else None
            continue
        if current is not None:
            body_lines.append(line)
    close()


class _JsonRejected(ValueError):
    """Valid JSON syntax that a report may not use; ``needle`` locates it in the text."""

    def __init__(self, message: str, needle: re.Pattern[str]) -> None:
        super().__init__(message)
        self.needle = needle


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            shown = sanitize_line(key, 60)
            written = re.escape(json.dumps(key, ensure_ascii=False))
            # The second place the key is written is the first that can be the duplicate.
            needle = re.compile(rf"{written}\s*:.*?({written}\s*:)", re.DOTALL)
            raise _JsonRejected(f"the key '{shown}' appears twice in one object", needle)
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    needle = re.compile(r"[:\[,]\s*(" + re.escape(name) + ")")
    raise _JsonRejected(f"{name} is not a JSON number", needle)


def _line_of_match(pattern: re.Pattern[str], text: str, first_line: int = 1) -> int:
    """The line of the last group (or the whole match) of ``pattern`` in ``text``."""
    match = pattern.search(text)
    if match is None:
        return first_line
    start = match.start(match.lastindex or 0)
    return first_line + text.count("\n", 0, start)


def _deepest_line(text: str, first_line: int = 1) -> int:
    """The line holding the most opening brackets (where a nesting bomb sits)."""
    lines = text.split("\n")
    counts = [line.count("[") + line.count("{") for line in lines]
    return first_line + counts.index(max(counts)) if counts else first_line


def _parse_json(parsed: ParsedReport, text: str) -> None:
    try:
        value = json.loads(
            text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as error:
        parsed.findings.append(
            structure(4, f"The report is not valid JSON: {error.msg}.", error.lineno, error.colno)
        )
        return
    except RecursionError:
        parsed.findings.append(
            structure(4, "The JSON is nested too deeply to be a report.", _deepest_line(text))
        )
        return
    except _JsonRejected as error:
        parsed.findings.append(
            structure(
                4,
                f"The report is not acceptable JSON: {error}.",
                _line_of_match(error.needle, text),
            )
        )
        return
    except ValueError:
        # Python refuses to convert integers with more digits than its safety limit.
        parsed.findings.append(
            structure(
                4,
                f"The report holds a number with more than {_MAX_DIGITS} digits; "
                "it is not acceptable JSON.",
                _line_of_match(_HUGE_NUMBER, text),
            )
        )
        return
    line, counted_to = 1, 0
    for match in _JSON_STRING.finditer(text):
        try:
            decoded = json.loads(match.group(0))
        except ValueError:
            continue
        if decoded:
            # Count newlines only since the previous string: linear, not quadratic.
            line += text.count("\n", counted_to, match.start())
            counted_to = match.start()
            parsed.segments.append(TextSegment(text=decoded, first_line=line, where="json"))
    surrogate = next((item for item in parsed.segments if _LONE_SURROGATE.search(item.text)), None)
    if surrogate is not None:
        # "\ud800" alone is valid JSON syntax but no character: it has no UTF-8 form.
        parsed.findings.append(
            structure(
                4,
                "The report is not acceptable JSON: a \\u escape stands for half of a surrogate "
                "pair (U+D800 to U+DFFF), which is not a character.",
                surrogate.first_line,
            )
        )
        return
    if not isinstance(value, dict):
        parsed.findings.append(
            structure(4, "The JSON report must be an object with the report's fields.", 1)
        )
        return
    for key in (*REQUIRED_FIELDS, *OPTIONAL_FIELDS, "sections"):
        if key in value:
            found = re.search(r'"' + re.escape(key) + r'"\s*:', text)
            if found:
                parsed.field_lines[key] = text.count("\n", 0, found.start()) + 1
    sections = value.get("sections")
    fields = {key: item for key, item in value.items() if key != "sections"}
    parsed.fields = fields
    if sections is None:
        return
    if not isinstance(sections, dict):
        parsed.findings.append(
            structure(
                6,
                "'sections' must be an object of section title to text.",
                parsed.line_of_field("sections"),
            )
        )
        return
    sections_line = parsed.line_of_field("sections") or 1
    for key, body in sections.items():
        title = _SECTION_BY_FOLDED.get(str(key).strip().casefold())
        if title is None or body is None:
            continue
        line = _line_of_key(text, key, sections_line)
        if not isinstance(body, str):
            parsed.findings.append(structure(6, f"Section {title!r} must be text.", line))
            continue
        if title in parsed.sections:
            continue  # "Summary" and "summary" both given: the first one counts
        parsed.sections[title] = Section(title, body.strip("\n"), line)


def _line_of_key(text: str, key: str, first_line: int) -> int:
    """The line at or after ``first_line`` where the JSON key ``key`` is written."""
    offset = 0
    for _ in range(first_line - 1):
        offset = text.find("\n", offset) + 1
    written = re.escape(json.dumps(key, ensure_ascii=False))
    found = re.compile(written + r"\s*:").search(text, offset)
    if found is None:
        return first_line
    return first_line + text.count("\n", offset, found.start())


def _check_fields(parsed: ParsedReport) -> None:
    fields = parsed.fields or {}
    problems: list[Finding] = []
    for name in REQUIRED_FIELDS:
        if fields.get(name) is None:
            problems.append(
                structure(5, f"The required field '{name}' is missing.", _front_matter_line(parsed))
            )
    workblock = fields.get("workblock")
    if workblock is not None and not is_valid_workblock_id(workblock):
        problems.append(
            structure(
                6,
                "'workblock' must be an id like WB-012 (letters, digits, '.', '_', '-'; "
                "at most 64).",
                parsed.line_of_field("workblock"),
            )
        )
    outcome = fields.get("outcome")
    if outcome is not None and outcome not in OUTCOMES:
        problems.append(
            structure(
                6,
                f"'outcome' must be one of {', '.join(OUTCOMES)}.",
                parsed.line_of_field("outcome"),
            )
        )
    for name in ("state_revision", "report_version"):
        value = fields.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append(
                structure(6, f"'{name}' must be a whole number.", parsed.line_of_field(name))
            )
    version = fields.get("report_version")
    if isinstance(version, int) and not isinstance(version, bool) and version < 1:
        problems.append(
            structure(
                6, "'report_version' must be 1 or more.", parsed.line_of_field("report_version")
            )
        )
    files = fields.get("files_changed")
    if files is not None and (
        not isinstance(files, list) or not all(isinstance(item, str) for item in files)
    ):
        problems.append(
            structure(
                6,
                "'files_changed' must be a list of paths (text).",
                parsed.line_of_field("files_changed"),
            )
        )
    for name in ("title", "base_commit"):
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            problems.append(structure(6, f"'{name}' must be text.", parsed.line_of_field(name)))
    tests = fields.get("tests")
    if tests is not None:
        if not isinstance(tests, dict):
            problems.append(
                structure(6, "'tests' must be a table/object.", parsed.line_of_field("tests"))
            )
        else:
            for key in ("passed", "failed", "skipped"):
                count = tests.get(key)
                if count is not None and (
                    isinstance(count, bool) or not isinstance(count, int) or count < 0
                ):
                    problems.append(
                        structure(
                            6,
                            f"'tests.{key}' must be a whole number, 0 or more.",
                            parsed.line_of_field("tests"),
                        )
                    )
    missing_sections = [name for name in REQUIRED_SECTIONS if name not in parsed.sections]
    for name in missing_sections:
        where = "in 'sections'" if parsed.kind == "json" else f"as a '## {name}' heading"
        problems.append(
            structure(7, f"The required section '{name}' is missing ({where}).", _last_line(parsed))
        )
    for name in REQUIRED_SECTIONS:
        section = parsed.sections.get(name)
        if section is not None and not section.body.strip():
            problems.append(
                structure(8, f"The required section '{name}' is empty.", section.heading_line)
            )
    parsed.findings.extend(problems)
    if problems:
        return
    try:
        parsed.report = Report.model_validate(
            {
                **{key: value for key, value in fields.items() if value is not None},
                "sections": {name: section.body for name, section in parsed.sections.items()},
            }
        )
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        parsed.findings.append(
            structure(
                6,
                f"The field '{where}' is invalid: {first['msg']}.",
                parsed.line_of_field(str(first["loc"][0])),
            )
        )


def _front_matter_line(parsed: ParsedReport) -> int:
    return 1


def _last_line(parsed: ParsedReport) -> int:
    return (parsed.text or "").count("\n") + 1
