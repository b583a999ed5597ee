"""Contract section 4: parsing both report forms and the STRUCTURE findings they produce."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from core_fixtures import (
    DROP,
    SECTIONS,
    json_report,
    make_project,
    md_report,
    only,
    rules_of,
    validate,
)

from relay_tui.core.models import Label, Severity
from relay_tui.core.report import parse_report


def structure_rules(data: bytes, name: str = "r.md") -> list[tuple[str, int | None]]:
    parsed = parse_report(data, name)
    for item in parsed.findings:
        assert item.severity == Severity.error
        assert item.rule.startswith("STRUCTURE-")
        assert item.message.strip()
    return [(item.rule, item.line) for item in parsed.findings]


def line_of(data: bytes, needle: str) -> int:
    text = data.decode("utf-8")
    return text[: text.index(needle)].count("\n") + 1


# --- the Markdown form -------------------------------------------------------------------


def test_valid_markdown_report_parses_every_field_and_section() -> None:
    data = md_report(
        {**SECTIONS, "Open questions": "Should the window be configurable?"},
        base_commit="3f2c1a9",
        report_version=2,
    )
    parsed = parse_report(data, "WB-012-v2.md")
    assert parsed.findings == []
    assert parsed.report is not None
    assert parsed.report.workblock == "WB-012"
    assert parsed.report.report_version == 2
    assert parsed.report.base_commit == "3f2c1a9"
    assert parsed.report.tests is not None and parsed.report.tests.passed == 12
    assert parsed.report.sections["Summary"] == SECTIONS["Summary"]
    assert parsed.report.sections["Open questions"].startswith("Should")
    assert parsed.sha256 == hashlib.sha256(data).hexdigest()


def test_optional_fields_absent_take_their_defaults() -> None:
    data = md_report(tests=DROP, files_changed=[])
    parsed = parse_report(data)
    assert parsed.findings == []
    assert parsed.report is not None
    assert parsed.report.report_version == 1
    assert parsed.report.base_commit is None
    assert parsed.report.tests is None
    assert parsed.report.files_changed == []


def test_section_headings_match_case_insensitively() -> None:
    sections = {"SUMMARY": "s", "changes": "c", "TeStS": "t", "open QUESTIONS": "q"}
    parsed = parse_report(md_report(sections))
    assert parsed.findings == []
    assert parsed.report is not None
    assert parsed.report.sections == {
        "Summary": "s",
        "Changes": "c",
        "Tests": "t",
        "Open questions": "q",
    }


@pytest.mark.parametrize(
    "field", ["workblock", "title", "outcome", "state_revision", "files_changed"]
)
def test_each_required_field_missing_is_a_structure_error(field: str) -> None:
    parsed = parse_report(md_report(**{field: DROP}))
    assert parsed.report is None
    messages = [item.message for item in parsed.findings if item.rule == "STRUCTURE-005"]
    assert len(messages) == 1 and f"'{field}'" in messages[0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("outcome", "done"),
        ("state_revision", "7"),
        ("state_revision", True),
        ("files_changed", "src/a.py"),
        ("files_changed", [1, 2]),
        ("workblock", "../WB-012"),
        ("title", 42),
        ("report_version", 0),
        ("base_commit", 123),
        ("tests", {"passed": -1}),
        ("tests", {"failed": "many"}),
        ("tests", {"command": 5}),
    ],
)
def test_invalid_field_is_an_error_on_its_line(field: str, value: object) -> None:
    data = md_report(**{field: value})
    parsed = parse_report(data)
    assert parsed.report is None
    invalid = [item for item in parsed.findings if item.rule == "STRUCTURE-006"]
    assert invalid, parsed.findings
    assert invalid[0].line == line_of(data, f"\n{field} =") + 1
    assert field in invalid[0].message


def test_missing_and_empty_required_sections() -> None:
    data = md_report({"Summary": "s", "Changes": "  \n", "Open questions": "q"})
    found = structure_rules(data)
    assert ("STRUCTURE-008", line_of(data, "## Changes")) in found
    missing = [item for item in parse_report(data).findings if item.rule == "STRUCTURE-007"]
    assert len(missing) == 1 and "Tests" in missing[0].message


def test_heading_inside_a_code_fence_or_at_level_three_is_not_a_section() -> None:
    body = {
        "Summary": "```\n## Tests\n```",
        "Changes": "### Tests\nnot a section",
    }
    found = structure_rules(md_report(body))
    assert [rule for rule, _ in found] == ["STRUCTURE-007"]


def test_a_level_one_heading_ends_a_section() -> None:
    body = {"Summary": "s", "Changes": "c", "Tests": "", "Notes": "x"}
    data = md_report(body).replace(b"## Notes", b"# Notes")
    parsed = parse_report(data)
    assert ("STRUCTURE-008", line_of(data, "## Tests")) in [
        (item.rule, item.line) for item in parsed.findings
    ]


def test_front_matter_invalid_toml_names_the_file_line() -> None:
    data = md_report().replace(b'outcome = "completed"', b"outcome = completed")
    found = structure_rules(data)
    assert found == [("STRUCTURE-004", line_of(data, "outcome = completed"))]


def test_front_matter_not_closed_is_a_cut_off_report() -> None:
    data = b'+++\nworkblock = "WB-012"\ntitle = "x"\n'
    parsed = parse_report(data)
    assert [item.rule for item in parsed.findings] == ["STRUCTURE-003"]
    assert "cut off" in parsed.findings[0].message


def test_no_front_matter_is_a_structure_error_on_line_1() -> None:
    assert structure_rules(b"## Summary\nhello\n") == [("STRUCTURE-003", 1)]


@pytest.mark.parametrize(
    "front",
    [
        "state_revision = " + "9" * 5000,
        "deep = " + "[" * 100_000 + "]" * 100_000,
        "deep = " + "{a = " * 50_000 + "1" + "}" * 50_000,
    ],
    ids=["huge-int", "deep-array", "deep-table"],
)
def test_hostile_toml_front_matter_is_a_clean_structure_error(front: str) -> None:
    data = f"+++\n{front}\n+++\n## Summary\nx\n".encode()
    parsed = parse_report(data)
    assert [item.rule for item in parsed.findings] == ["STRUCTURE-004"]
    assert parsed.findings[0].line == 2
    assert len(parsed.findings[0].message) < 400


def test_crlf_report_parses_like_lf_and_hashes_the_raw_bytes() -> None:
    lf = md_report()
    crlf = md_report(newline="\r\n")
    assert b"\r\n" in crlf
    parsed_lf, parsed_crlf = parse_report(lf), parse_report(crlf)
    assert parsed_crlf.findings == []
    assert parsed_crlf.report == parsed_lf.report
    assert parsed_crlf.sha256 == hashlib.sha256(crlf).hexdigest() != parsed_lf.sha256
    bad = md_report(newline="\r\n", outcome="done")
    invalid = [item for item in parse_report(bad).findings if item.rule == "STRUCTURE-006"]
    assert invalid[0].line == line_of(bad, "outcome =")


def test_leading_bom_is_accepted_and_kept_in_the_hash() -> None:
    data = b"\xef\xbb\xbf" + md_report()
    parsed = parse_report(data)
    assert parsed.findings == []
    assert parsed.report is not None
    assert parsed.sha256 == hashlib.sha256(data).hexdigest()
    json_data = b"\xef\xbb\xbf" + json_report()
    assert parse_report(json_data, "r.json").findings == []


# --- encodings and empty files ----------------------------------------------------------


def test_invalid_utf8_names_the_byte_and_line() -> None:
    data = md_report().replace(b"Failed logins", b"Failed \xff logins")
    found = parse_report(data).findings
    assert [item.rule for item in found] == ["STRUCTURE-001"]
    assert found[0].line == line_of(md_report(), "Failed logins")
    assert "UTF-8" in found[0].message and "0xff" in found[0].message


def test_nul_bytes_are_a_binary_file_error_with_the_line() -> None:
    data = md_report().replace(b"Failed logins", b"Failed\x00logins")
    found = parse_report(data).findings
    assert [item.rule for item in found] == ["STRUCTURE-001"]
    assert found[0].line == line_of(md_report(), "Failed logins")
    assert "NUL" in found[0].message


def test_binary_file_is_a_structure_error() -> None:
    data = bytes(range(256)) * 4
    found = parse_report(data, "r.md").findings
    assert [item.rule for item in found] == ["STRUCTURE-001"]


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf", b"\r\n"])
def test_empty_report_is_incomplete(data: bytes) -> None:
    found = parse_report(data).findings
    assert [item.rule for item in found] == ["STRUCTURE-002"]
    assert "incomplete" in found[0].message


# --- the JSON form ---------------------------------------------------------------------


def test_valid_json_report_with_null_optional_fields() -> None:
    data = json_report(
        {**SECTIONS, "Open questions": None, "Suggested next steps": None},
        base_commit=None,
        report_version=None,
        tests=None,
    )
    parsed = parse_report(data, "WB-012-v1.json")
    assert parsed.findings == []
    assert parsed.kind == "json"
    assert parsed.report is not None
    assert parsed.report.report_version == 1
    assert parsed.report.tests is None
    assert parsed.report.sections["Tests"] == SECTIONS["Tests"]


def test_json_detected_by_content_even_without_the_extension() -> None:
    assert parse_report(json_report(), "final-message.txt").kind == "json"


def test_json_invalid_field_points_at_its_line() -> None:
    data = json_report(outcome="done")
    invalid = [
        item for item in parse_report(data, "r.json").findings if item.rule == "STRUCTURE-006"
    ]
    assert invalid[0].line == line_of(data, '"outcome"')


def test_json_missing_section() -> None:
    data = json_report({"Summary": "s", "Changes": "c"})
    found = parse_report(data, "r.json").findings
    assert [item.rule for item in found] == ["STRUCTURE-007"]
    assert "Tests" in found[0].message


def test_json_sections_of_the_wrong_type() -> None:
    assert "STRUCTURE-006" in [
        item.rule for item in parse_report(json_report({"Summary": 5}), "r.json").findings
    ]
    data = json.dumps({"workblock": "WB-012", "sections": ["x"]}).encode()
    assert "STRUCTURE-006" in [item.rule for item in parse_report(data, "r.json").findings]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"workblock": "WB-012",\n "title": "a",\n "title": "b"}', "twice"),
        (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "deep"),
        (b'{"a": ' * 100_000 + b"1" + b"}" * 100_000, "deep"),
        (b'{"state_revision": ' + b"9" * 5000 + b"}", "digits"),
        (b'{"state_revision": NaN}', "NaN"),
        (b'{"state_revision": -Infinity}', "Infinity"),
        (b'{"workblock": "WB-012"', "JSON"),
        (b"[1, 2, 3]", "object"),
    ],
    ids=["duplicate", "deep-array", "deep-object", "huge-int", "nan", "infinity", "cut", "array"],
)
def test_hostile_json_is_a_clean_structure_error(data: bytes, reason: str) -> None:
    found = parse_report(data, "r.json").findings
    assert found and {item.rule for item in found} <= {"STRUCTURE-004"}, found
    assert reason.lower() in found[0].message.lower()
    assert len(found[0].message) < 400
    assert found[0].line is not None and found[0].line >= 1


def test_json_duplicate_key_names_the_second_line() -> None:
    data = b'{"workblock": "WB-012",\n "title": "a",\n "title": "b"}'
    found = parse_report(data, "r.json").findings
    assert found[0].line == 3


# --- through the whole pipeline ----------------------------------------------------------


def test_structure_errors_make_the_label_error_and_no_message(tmp_path: Path) -> None:
    make_project(tmp_path)
    verdict = validate(tmp_path, md_report(outcome="done"))
    assert verdict.label == Label.ERROR
    assert verdict.message is None and verdict.message_sha256 is None
    assert "STRUCTURE-006" in rules_of(verdict)


def test_zero_byte_report_is_error_never_pass(tmp_path: Path) -> None:
    make_project(tmp_path)
    verdict = validate(tmp_path, b"")
    assert verdict.label == Label.ERROR
    assert only(verdict, "STRUCTURE")[0].message.count("incomplete") == 1


def test_codex_citations_and_emoji_are_ordinary_text(tmp_path: Path) -> None:
    make_project(tmp_path)
    sections = {
        "Summary": "Limiter added ✅ 🚀 see src/auth/limits.py:42 and "
        "【F:src/auth/limits.py†L10-L20】.",
        "Changes": "👍🏽 Family emoji 👨‍👩‍👧 and ❤️ (variation selector) are fine. "
        "【F:tests/auth/x.py†L3】",
        "Tests": "All green 🟢.",
    }
    for data, name in ((md_report(sections), "r.md"), (json_report(sections), "r.json")):
        verdict = validate(tmp_path, data, name=name)
        assert verdict.label == Label.PASS, verdict.findings
        assert verdict.message is not None and "🚀" in verdict.message


def test_json_and_markdown_forms_give_the_same_label(tmp_path: Path) -> None:
    make_project(tmp_path)
    for overrides in ({}, {"outcome": "failed"}, {"files_changed": [".github/ci.yml"]}):
        md = validate(tmp_path, md_report(**overrides))
        js = validate(tmp_path, json_report(**overrides), name="r.json")
        assert md.label == js.label
        assert rules_of(md) and rules_of(js) or not overrides
        assert sorted(rules_of(md)) == sorted(rules_of(js))


def test_a_repeated_heading_continues_its_section() -> None:
    data = md_report() + b"## Summary\nMore summary.\n"
    parsed = parse_report(data)
    assert parsed.report is not None
    assert parsed.report.sections["Summary"] == SECTIONS["Summary"] + "\n\nMore summary."


def test_json_empty_section_points_at_its_key() -> None:
    data = json_report({"Summary": "s", "Changes": "", "Tests": "t"})
    found = parse_report(data, "r.json").findings
    assert [(item.rule, item.line) for item in found] == [
        ("STRUCTURE-008", line_of(data, '"Changes"'))
    ]


def test_json_with_many_strings_or_keys_parses() -> None:
    fields = json.loads(json_report())
    for extra in (
        {"noise": [f"w{index}" for index in range(60_000)]},
        {f"k{index}": index for index in range(40_000)},
    ):
        data = json.dumps({**fields, **extra}).encode()
        parsed = parse_report(data, "r.json")
        assert parsed.report is not None
