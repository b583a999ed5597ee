"""Contract section 5 HIDDEN family and ``core/sanitize.py``'s visible tokens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from core_fixtures import json_report, make_project, md_report, only, validate

from relay_tui.core.models import Label, Severity
from relay_tui.core.sanitize import find_hidden, sanitize, sanitize_line, strip_hidden

#: Every code point the contract lists as hidden (a lone ``\r`` is tested on its own).
HIDDEN_CODES = [
    *[code for code in range(0x00, 0x20) if code not in (0x09, 0x0A, 0x0D)],
    0x7F,
    *range(0x80, 0xA0),
    *range(0x200B, 0x2010),
    *range(0x202A, 0x202F),
    *range(0x2060, 0x2065),
    *range(0x2066, 0x206A),
    *range(0xE0000, 0xE0080),
]

#: The neighbours of each range, which are ordinary text.
ORDINARY = [
    "\t",
    " ",
    "~",
    "\u00a0",
    "é",
    "\u200a",
    "\u2010",
    "\u2029",
    "\u2065",
    "\u206a",
    "\ufe0e",
    "\ufe0f",
    "\U000e0100",
    "\U000e0080",
    "😀",
    "👍🏽",
    "❤️",
    "👨‍👩‍👧",
    "🧑🏽‍💻",
    "❤️‍🔥",
    "🏳️‍🌈",
    "漢字",
    "עברית",
]


@pytest.mark.parametrize("code", HIDDEN_CODES, ids=lambda code: f"U+{code:04X}")
def test_every_listed_code_point_is_hidden(code: int) -> None:
    char = chr(code)
    text = f"ab{char}cd"
    assert find_hidden(text) == [(2, char)]
    shown = sanitize(text)
    assert char not in shown
    assert find_hidden(shown) == []
    assert char not in sanitize_line(text)
    assert strip_hidden(text) == "abcd"


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_not_hidden(text: str) -> None:
    sample = f"a {text} b\nline two\r\nthree"
    assert find_hidden(sample) == []
    assert sanitize(sample) == sample.replace("\r\n", "\n")


def test_carriage_returns() -> None:
    assert find_hidden("a\r\nb") == []
    assert find_hidden("a\rb") == [(1, "\r")]
    assert find_hidden("a\r\r\nb") == [(1, "\r")]
    assert find_hidden("a\r") == [(1, "\r")]
    assert sanitize("a\rb") == "a␍b"


def test_bom_only_as_the_first_character() -> None:
    assert find_hidden("\ufeffhello") == []
    assert find_hidden("\ufeffhel\ufefflo") == [(4, "\ufeff")]
    assert find_hidden("\ufeffhello", leading_bom_allowed=False) == [(0, "\ufeff")]


def test_a_lone_joiner_is_hidden_but_one_inside_an_emoji_is_not() -> None:
    assert find_hidden("ab\u200dcd") == [(2, "\u200d")]
    assert find_hidden("😀\u200d") == [(1, "\u200d")]
    assert find_hidden("\u200d😀") == [(0, "\u200d")]
    assert find_hidden("👨\u200d👩") == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[2J\x1b[8mhidden", "␛[2J␛[8mhidden"),
        ("\x1b]52;c;aGVsbG8=\x07", "␛]52;c;aGVsbG8=␇"),
        ("\x1b]8;;https://evil\x1b\\link\x1b]8;;\x1b\\", "␛]8;;https://evil␛\\link␛]8;;␛\\"),
        ("a\x9bb\x9dc", "a<U+009B>b<U+009D>c"),
        ("abc\u202efed", "abc<U+202E>fed"),
        ("del\x7f", "del␡"),
        ("nul\x00", "nul␀"),
        ("tag\U000e0041", "tag<U+E0041>"),
        ("[bold]x[/]", "[bold]x[/]"),
    ],
)
def test_sanitize_turns_escapes_into_visible_tokens(text: str, shown: str) -> None:
    assert sanitize(text) == shown
    assert sanitize(sanitize(text)) == shown


def test_sanitize_line_is_one_capped_line() -> None:
    assert sanitize_line("a\nb\tc") == "a␤b␉c"
    capped = sanitize_line("x" * 500, 50)
    assert len(capped) == 50 and capped.endswith("…")
    long_lines = sanitize("y" * 5000 + "\nz", max_line=100)
    assert [len(line) for line in long_lines.split("\n")] == [100, 1]


# --- the HIDDEN rule --------------------------------------------------------------------


@pytest.mark.parametrize(
    "char",
    ["\x1b", "\r", "\x7f", "\x85", "\u200b", "\u200f", "\u202a", "\u202e", "\u2060", "\u2064"]
    + ["\u2066", "\u2069", "\ufeff", "\U000e0001", "\U000e007f", "\x07", "\x0c"],
    ids=repr,
)
def test_hidden_character_in_a_report_blocks_with_its_line_and_column(
    tmp_path: Path, char: str
) -> None:
    make_project(tmp_path)
    data = md_report({"Summary": "ok", "Changes": f"abc{char}def", "Tests": "t"})
    verdict = validate(tmp_path, data)
    hidden = only(verdict, "HIDDEN")
    assert [(item.rule, item.severity) for item in hidden] == [("HIDDEN-001", Severity.block)]
    text = data.decode()
    assert hidden[0].line == text[: text.index("abc")].count("\n") + 1
    assert hidden[0].column == 4
    assert f"U+{ord(char):04X}" in hidden[0].message
    assert verdict.label == Label.BLOCKED
    assert verdict.message is None


def test_crlf_tab_bom_and_emoji_report_passes(tmp_path: Path) -> None:
    make_project(tmp_path)
    sections = {
        "Summary": "Tabs\tare fine 👍🏽 ❤️ 👨‍👩‍👧 \ufe0e",
        "Changes": "c",
        "Tests": "t",
    }
    data = b"\xef\xbb\xbf" + md_report(sections, newline="\r\n")
    verdict = validate(tmp_path, data)
    assert only(verdict, "HIDDEN") == []
    assert verdict.label == Label.PASS


def test_json_escapes_are_decoded_and_found_once(tmp_path: Path) -> None:
    make_project(tmp_path)
    sections = {"Summary": "a\u202eb", "Changes": "\ufeffstarts with a BOM", "Tests": "t"}
    data = json_report(sections)
    assert "\u202e" in data.decode()  # written plainly (ensure_ascii=False)
    plain = validate(tmp_path, data, name="r.json")
    assert len(only(plain, "HIDDEN")) == 2
    ascii_data = json.dumps(json.loads(data), indent=2, ensure_ascii=True).encode()
    verdict = validate(tmp_path, ascii_data, name="r.json")
    hidden = only(verdict, "HIDDEN")
    assert len(hidden) == 2
    lines = ascii_data.decode().split("\n")
    assert {item.line for item in hidden} == {
        next(index + 1 for index, line in enumerate(lines) if key in line)
        for key in ('"Summary"', '"Changes"')
    }


def test_many_hidden_characters_are_summed_up(tmp_path: Path) -> None:
    make_project(tmp_path)
    data = md_report({"Summary": "\u200b" * 500, "Changes": "c", "Tests": "t"})
    hidden = only(validate(tmp_path, data), "HIDDEN")
    assert len(hidden) == 21
    summary = [item for item in hidden if item.rule == "HIDDEN-002"]
    assert len(summary) == 1 and "480" in summary[0].message


def test_report_full_of_hidden_characters_gives_one_finding_per_line(tmp_path: Path) -> None:
    make_project(tmp_path)
    body = ("x\u200by " * 20 + "\n") * 10_000
    data = md_report({"Summary": body, "Changes": "c", "Tests": "t"})
    hidden = only(validate(tmp_path, data), "HIDDEN")
    assert len(hidden) == 21
    first_line = data.decode().split("\n").index("x\u200by " * 20) + 1
    assert (hidden[0].line, hidden[0].column) == (first_line, 2)


@pytest.mark.parametrize("size", [50, 5000, 50_000])
def test_line_and_column_agrees_with_a_plain_count(size: int) -> None:
    import random

    from relay_tui.core.rules.base import line_and_column

    generator = random.Random(size)
    text = "".join(generator.choice("ab\n") for _ in range(size))
    for offset in [0, 1, size // 3, size // 2, size - 1, size, *generator.sample(range(size), 20)]:
        line = 1 + text.count("\n", 0, offset)
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        assert line_and_column(text, offset) == (line, column)
        assert line_and_column(text, offset, 7) == (line + 6, column)


@pytest.mark.parametrize(
    "field_text",
    [
        'title = "abc\\u202edef"',
        'title = "nul\\u0000byte"',
        'files_changed = [\n  "src/auth/a.py",\n  "src/auth/\\u200bb.py",\n]',
        'tests = { command = "pytest\\u2066", passed = 1 }',
    ],
    ids=["bidi", "nul", "multiline-list", "inline-table"],
)
def test_toml_escapes_in_front_matter_are_decoded_and_found(
    tmp_path: Path, field_text: str
) -> None:
    make_project(tmp_path)
    key = field_text.split(" ")[0]
    data = md_report()
    lines = data.decode().split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(key + " ="))
    lines[index] = field_text
    patched = "\n".join(lines).encode()
    assert b"\\u" in patched and not find_hidden(patched.decode())
    hidden = only(validate(tmp_path, patched), "HIDDEN")
    assert [item.line for item in hidden] == [index + 1]
    assert validate(tmp_path, patched).label == Label.BLOCKED


def test_a_literal_hidden_character_in_front_matter_is_reported_once(tmp_path: Path) -> None:
    make_project(tmp_path)
    data = md_report(files_changed=["src/auth/a.py", "src/auth/\u200bb.py"])
    assert len(only(validate(tmp_path, data), "HIDDEN")) == 1
