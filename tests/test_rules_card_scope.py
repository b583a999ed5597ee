"""Contract section 2 (card hash, globs) and the CARD and SCOPE families of section 5."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import pytest
from core_fixtures import (
    CARD_TEXT,
    WB,
    assert_findings_explain,
    authorize_card_file,
    make_project,
    md_report,
    only,
    rules_of,
    validate,
)

from relay_tui.core.audit import AuditLog
from relay_tui.core.models import Label, Severity
from relay_tui.core.workspace import card_body_sha256, path_matches

DATED_CARD = """\
id = "WB-7"
title = "Café ☕ naïve"
allowed_paths = ["src/**"]
due = 2026-11-23T10:00:00Z
local = 2026-11-23T10:00:00
offset = 2026-11-23T10:00:00+02:00
day = 2026-11-23
at = 07:32:00
n = 3
flag = true
ratio = 1.5

[meta]
owner = "bob"

[authorization]
by = "alice"
at = 2026-11-23T10:00:00Z
card_sha256 = "whatever"
"""

#: Written by hand from contract section 2: sorted keys, ',' and ':', UTF-8, RFC 3339 text.
DATED_CARD_JSON = (
    '{"allowed_paths":["src/**"],"at":"07:32:00","day":"2026-11-23",'
    '"due":"2026-11-23T10:00:00Z","flag":true,"id":"WB-7","local":"2026-11-23T10:00:00",'
    '"meta":{"owner":"bob"},"n":3,"offset":"2026-11-23T10:00:00+02:00","ratio":1.5,'
    '"title":"Café ☕ naïve"}'
)


# --- card_sha256 ------------------------------------------------------------------------


def test_card_sha256_matches_the_contract_exactly() -> None:
    expected = hashlib.sha256(DATED_CARD_JSON.encode("utf-8")).hexdigest()
    assert card_body_sha256(tomllib.loads(DATED_CARD)) == expected


def test_card_sha256_ignores_layout_comments_and_key_order_but_not_values() -> None:
    base = card_body_sha256(tomllib.loads(CARD_TEXT))
    reordered = "\n".join(reversed(CARD_TEXT.strip().split("\n"))) + "\n# a comment\n"
    assert card_body_sha256(tomllib.loads(reordered)) == base
    edited = CARD_TEXT.replace("src/auth/**", "src/**")
    assert card_body_sha256(tomllib.loads(edited)) != base


def test_card_sha256_fills_in_no_defaults() -> None:
    minimal = 'id = "WB-1"\nallowed_paths = []\n'
    expected = hashlib.sha256(b'{"allowed_paths":[],"id":"WB-1"}').hexdigest()
    assert card_body_sha256(tomllib.loads(minimal)) == expected


def test_loaded_card_uses_the_same_hash(tmp_path: Path) -> None:
    workspace = make_project(tmp_path)
    loaded = workspace.load_card(WB)
    assert loaded is not None
    table = tomllib.loads(CARD_TEXT)
    assert loaded.body_sha256 == card_body_sha256(table)
    assert loaded.stamped


# --- globs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("src/*.py", "src/a.py", True),
        ("src/*.py", "src/sub/a.py", False),
        ("src/?.py", "src/a.py", True),
        ("src/?.py", "src/ab.py", False),
        ("src/?.py", "src//.py", False),
        ("*", "a.py", True),
        ("*", "src/a.py", False),
        ("src/**", "src/a.py", True),
        ("src/**", "src/a/b/c.py", True),
        ("src/**", "src", True),
        ("src/**", "srcx/a.py", False),
        ("src/**", "other/src/a.py", False),
        ("**/.env", ".env", True),
        ("**/.env", "a/b/.env", True),
        ("**/.env", "a/b/x.env", False),
        ("**/.env", "a/.env/x", False),
        ("a/**/b.py", "a/b.py", True),
        ("a/**/b.py", "a/x/y/b.py", True),
        ("a/**/b.py", "a/xb.py", False),
        ("**", "anything/at/all", True),
        ("**/*.md", "README.md", True),
        ("**/*.md", "docs/x/y.md", True),
        ("docs/[draft].md", "docs/[draft].md", True),
        ("docs/[draft].md", "docs/d.md", False),
        ("a.b", "axb", False),
        ("./src/*.py", "src/a.py", True),
    ],
)
def test_glob_semantics(pattern: str, path: str, matches: bool) -> None:
    assert path_matches(path, [pattern]) is matches


# --- CARD -------------------------------------------------------------------------------


def card_line(data: bytes) -> int:
    return data.decode().split("\n").index(f'workblock = "{WB}"') + 1


def test_authorized_card_gives_no_card_finding(tmp_path: Path) -> None:
    make_project(tmp_path)
    verdict = validate(tmp_path, md_report())
    assert verdict.label == Label.PASS
    assert only(verdict, "CARD") == []


def test_missing_card_is_an_error_and_scope_is_not_evaluated(tmp_path: Path) -> None:
    make_project(tmp_path, card=None)
    data = md_report(files_changed=["/etc/passwd", "elsewhere/x.py"])
    verdict = validate(tmp_path, data)
    assert verdict.label == Label.ERROR
    cards = only(verdict, "CARD")
    assert [(item.rule, item.severity, item.line) for item in cards] == [
        ("CARD-001", Severity.error, card_line(data))
    ]
    assert "WB-012" in cards[0].message
    assert only(verdict, "SCOPE") == []
    assert_findings_explain(verdict)


def test_report_outside_any_project_has_no_card(tmp_path: Path) -> None:
    verdict = validate(tmp_path, md_report())
    assert "CARD-001" in rules_of(verdict)
    assert verdict.label == Label.ERROR


@pytest.mark.parametrize(
    "card_text",
    [
        b"id = [unclosed\n",
        b'id = "WB-999"\nallowed_paths = []\n',
        b'id = "WB-012"\nallowed_paths = "src/**"\n',
        b"\xff\xfe",
    ],
    ids=["bad-toml", "other-id", "bad-type", "not-utf8"],
)
def test_unreadable_card_is_an_error_and_scope_is_not_evaluated(
    tmp_path: Path, card_text: bytes
) -> None:
    make_project(tmp_path, card=None)
    path = tmp_path / ".relay" / "cards" / f"{WB}.toml"
    path.write_bytes(card_text)
    verdict = validate(tmp_path, md_report(files_changed=["/etc/passwd"]))
    assert [item.rule for item in only(verdict, "CARD")] == ["CARD-002"]
    assert only(verdict, "CARD")[0].severity == Severity.error
    assert only(verdict, "SCOPE") == []
    assert verdict.label == Label.ERROR
    assert "WB-012.toml" in only(verdict, "CARD")[0].message


def test_card_that_is_a_symlink_is_not_read(tmp_path: Path) -> None:
    make_project(tmp_path, card=None)
    target = tmp_path / "elsewhere.toml"
    target.write_text(CARD_TEXT)
    (tmp_path / ".relay" / "cards" / f"{WB}.toml").symlink_to(target)
    verdict = validate(tmp_path, md_report())
    assert [item.rule for item in only(verdict, "CARD")] == ["CARD-002"]


def test_card_never_authorized_blocks(tmp_path: Path) -> None:
    make_project(tmp_path, authorize=False)
    verdict = validate(tmp_path, md_report())
    assert verdict.label == Label.BLOCKED
    assert [(item.rule, item.severity) for item in only(verdict, "CARD")] == [
        ("CARD-003", Severity.block)
    ]
    assert verdict.message is None


def test_card_edited_after_authorization_blocks(tmp_path: Path) -> None:
    workspace = make_project(tmp_path)
    path = workspace.cards_dir / f"{WB}.toml"
    path.write_text(path.read_text().replace('"tests/auth/**"', '"tests/**"'))
    verdict = validate(tmp_path, md_report())
    assert verdict.label == Label.BLOCKED
    assert [item.rule for item in only(verdict, "CARD")] == ["CARD-004"]
    assert "edited" in only(verdict, "CARD")[0].message


def test_stamp_without_audit_record_blocks(tmp_path: Path) -> None:
    make_project(tmp_path, record_authorization=False)
    verdict = validate(tmp_path, md_report())
    assert verdict.label == Label.BLOCKED
    assert [item.rule for item in only(verdict, "CARD")] == ["CARD-005"]


def test_relay_actor_authorization_does_not_count(tmp_path: Path) -> None:
    workspace = make_project(tmp_path, authorize=False)
    authorize_card_file(tmp_path, workspace.cards_dir / f"{WB}.toml", actor="relay")
    verdict = validate(tmp_path, md_report())
    assert [item.rule for item in only(verdict, "CARD")] == ["CARD-005"]
    assert verdict.label == Label.BLOCKED


@pytest.mark.parametrize("actor", ["human:", "humans:alice", "Human:alice", "alice"])
def test_only_a_human_actor_with_a_login_authorizes(tmp_path: Path, actor: str) -> None:
    workspace = make_project(tmp_path, authorize=False)
    authorize_card_file(tmp_path, workspace.cards_dir / f"{WB}.toml", actor=actor)
    assert "CARD-005" in rules_of(validate(tmp_path, md_report()))


def test_authorization_record_must_match_workblock_and_hash(tmp_path: Path) -> None:
    workspace = make_project(tmp_path, record_authorization=False)
    loaded = workspace.load_card(WB)
    assert loaded is not None
    log = AuditLog(workspace.audit_path)
    log.append("CARD_AUTHORIZED", "human:alice", workblock="WB-013", card_sha256=loaded.body_sha256)
    log.append("CARD_AUTHORIZED", "human:alice", workblock=WB, card_sha256="0" * 64)
    assert "CARD-005" in rules_of(validate(tmp_path, md_report()))
    log.append("CARD_AUTHORIZED", "human:alice", workblock=WB, card_sha256=loaded.body_sha256)
    assert only(validate(tmp_path, md_report()), "CARD") == []


# --- SCOPE ------------------------------------------------------------------------------


def scope_of(tmp_path: Path, files: list[str]) -> list[tuple[str, str]]:
    verdict = validate(tmp_path, md_report(files_changed=files))
    found = only(verdict, "SCOPE")
    for item in found:
        assert item.severity == Severity.block
        assert item.line is not None
    return [(item.rule, item.message) for item in found]


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("src/api/views.py", "SCOPE-001"),
        ("README.md", "SCOPE-001"),
        ("src/authx/a.py", "SCOPE-001"),
        (".github/workflows/ci.yml", "SCOPE-002"),
        (".env", "SCOPE-002"),
        ("src/auth/.env", "SCOPE-002"),
        ("/etc/passwd", "SCOPE-003"),
        ("C:\\Users\\x\\a.py", "SCOPE-003"),
        ("~/.ssh/id_rsa", "SCOPE-003"),
        ("file:///etc/passwd", "SCOPE-003"),
        ("", "SCOPE-003"),
        ("../../etc/passwd", "SCOPE-004"),
        ("src/auth/../../etc/passwd", "SCOPE-004"),
        ("src\\auth\\..\\..\\x", "SCOPE-004"),
    ],
)
def test_scope_violations_block(tmp_path: Path, path: str, rule: str) -> None:
    make_project(tmp_path)
    found = scope_of(tmp_path, ["src/auth/ok.py", path])
    assert [item[0] for item in found] == [rule]
    assert validate(tmp_path, md_report(files_changed=[path])).label == Label.BLOCKED


def test_in_scope_paths_pass(tmp_path: Path) -> None:
    make_project(tmp_path)
    files = ["src/auth/a.py", "./src/auth/b.py", "tests/auth/deep/x/test_y.py", "src/auth"]
    assert scope_of(tmp_path, files) == []


def test_forbidden_wins_over_allowed(tmp_path: Path) -> None:
    card = 'id = "WB-012"\nallowed_paths = ["**"]\nforbidden_paths = ["**/.env", "secrets/**"]\n'
    make_project(tmp_path, card=card)
    found = scope_of(tmp_path, ["a.py", ".env", "deep/.env", "secrets/k"])
    assert [rule for rule, _ in found] == ["SCOPE-002"] * 3


def test_card_with_no_allowed_paths_allows_nothing(tmp_path: Path) -> None:
    make_project(tmp_path, card='id = "WB-012"\n')
    found = scope_of(tmp_path, ["src/auth/a.py"])
    assert [rule for rule, _ in found] == ["SCOPE-001"]


def test_scope_message_names_the_file_escaped_and_its_line(tmp_path: Path) -> None:
    make_project(tmp_path)
    data = (
        b"+++\n"
        b'workblock = "WB-012"\ntitle = "t"\noutcome = "completed"\nstate_revision = 7\n'
        b'files_changed = [\n  "src/auth/a.py",\n  "docs/\\u001b[2Jx\\u202e.md",\n]\n'
        b"+++\n## Summary\ns\n## Changes\nc\n## Tests\nt\n"
    )
    verdict = validate(tmp_path, data)
    found = only(verdict, "SCOPE")
    assert len(found) == 1
    assert found[0].line == 8
    assert "␛[2Jx<U+202E>.md" in found[0].message
    assert "\x1b" not in found[0].message and "\u202e" not in found[0].message


@pytest.mark.parametrize(
    "stamp",
    ['[authorization]\nby = "alice"\n', "[authorization]\nby = 1\nat = 1\ncard_sha256 = 5\n"],
    ids=["missing-keys", "wrong-types"],
)
def test_malformed_authorization_stamp_blocks(tmp_path: Path, stamp: str) -> None:
    make_project(tmp_path, card=CARD_TEXT + "\n" + stamp, authorize=False)
    verdict = validate(tmp_path, md_report())
    cards = only(verdict, "CARD")
    assert [(item.rule, item.severity) for item in cards] == [("CARD-006", Severity.block)]
    assert "authorization" in cards[0].message
    assert verdict.label == Label.BLOCKED
    assert only(verdict, "SCOPE") == []


def test_many_out_of_scope_files_are_summed_up(tmp_path: Path) -> None:
    make_project(tmp_path)
    files = [f"docs/file{index}.md" for index in range(5000)]
    found = scope_of(tmp_path, ["src/auth/ok.py", *files])
    assert len(found) == 51
    summary = [message for rule, message in found if rule == "SCOPE-005"]
    assert len(summary) == 1 and "4950" in summary[0]
    assert "docs/file0.md" in found[0][1]
