"""Hostile inputs (../shared/hostile-inputs.md items 3-11, 18-27) as far as the engine goes."""

from __future__ import annotations

import builtins
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from core_fixtures import (
    NOW,
    SECTIONS,
    WB,
    console_script,
    json_report,
    make_project,
    md_report,
    only,
    validate,
)

from relay_tui.core.audit import AuditLog
from relay_tui.core.models import Label
from relay_tui.core.validate import ProjectSnapshot, validate_path
from relay_tui.core.workspace import Workspace

FAKE_AWS_KEY = "AKIA" + "Q3EGRT7WZXB5KJ2M"


def cli(*args: str | Path, cwd: Path | str = "/") -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(console_script()), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=30,
    )
    assert "Traceback" not in done.stderr
    return done


# --- 3. empty and cut-off files ---------------------------------------------------------


def test_every_cut_of_a_json_report_is_an_error(tmp_path: Path) -> None:
    make_project(tmp_path)
    data = json_report()
    assert validate(tmp_path, data, name="r.json").label == Label.PASS
    for end in range(0, len(data) - 1, 5):
        verdict = validate(tmp_path, data[:end], name="r.json")
        assert verdict.label == Label.ERROR, (end, verdict.findings)
        assert verdict.message is None


def test_markdown_cut_before_its_last_section_never_passes(tmp_path: Path) -> None:
    make_project(tmp_path)
    data = md_report()
    last_body = data.index(SECTIONS["Tests"].encode())
    for end in range(0, last_body, 3):
        verdict = validate(tmp_path, data[:end])
        assert verdict.label not in (Label.PASS, Label.PASS_WITH_WARNING), (end, data[:end])


def test_zero_byte_file_on_disk_is_incomplete(tmp_path: Path) -> None:
    workspace = make_project(tmp_path)
    path = workspace.reports_dir / "WB-012-v1.md"
    path.write_bytes(b"")
    verdict = validate_path(path, ProjectSnapshot.load(workspace), now=NOW)
    assert verdict.label == Label.ERROR
    assert "incomplete" in verdict.findings[0].message
    done = cli("validate", path)
    assert done.returncode == 20 and "incomplete" in done.stdout


# --- 5, 7. encodings and JSON bombs through the CLI -------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("binary.md", bytes(range(256))),
        ("nul.md", b'+++\nworkblock = "WB-012"\x00\n+++\n'),
        ("latin1.md", md_report().replace(b"limited", b"limit\xe9d")),
        ("deep.json", b"[" * 200_000 + b"]" * 200_000),
        ("huge.json", b'{"state_revision": ' + b"7" * 20_000 + b"}"),
        ("dup.json", b'{"workblock": "WB-012", "workblock": "WB-013"}'),
        ("nan.json", b'{"state_revision": NaN}'),
        ("huge.md", b"+++\nstate_revision = " + b"7" * 20_000 + b"\n+++\n"),
        ("deep.md", b"+++\nx = " + b"[" * 200_000 + b"]" * 200_000 + b"\n+++\n"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_bad_bytes_are_a_clean_error_with_a_reason(tmp_path: Path, name: str, data: bytes) -> None:
    workspace = make_project(tmp_path)
    path = workspace.reports_dir / name
    path.write_bytes(data)
    done = cli("validate", path, "--json")
    # A NUL is also a C0 control, which contract section 5 blocks (HIDDEN): BLOCKED, 30.
    assert done.returncode == (30 if name == "nul.md" else 20), done.stdout + done.stderr
    (line,) = [json.loads(text) for text in done.stdout.splitlines()]
    if name == "nul.md":
        assert [item["line"] for item in line["findings"] if item["rule"] == "HIDDEN-001"] == [2]
    structure = [item for item in line["findings"] if item["rule"].startswith("STRUCTURE-")]
    assert structure and all(item["message"] and item["line"] for item in structure)
    assert len(done.stdout) < 20_000


# --- 6. BOM and CRLF --------------------------------------------------------------------


def test_bom_and_crlf_are_deterministic_and_hashed_raw(tmp_path: Path) -> None:
    import hashlib

    make_project(tmp_path)
    data = b"\xef\xbb\xbf" + md_report(newline="\r\n")
    first = validate(tmp_path, data)
    second = validate(tmp_path, data)
    assert first.label == Label.PASS
    assert first.message == second.message
    assert first.report_sha256 == hashlib.sha256(data).hexdigest()
    assert first.message is not None and hashlib.sha256(data).hexdigest() in first.message
    assert "\r" not in first.message and "\ufeff" not in first.message


# --- 8, 9. nothing outside the report is opened -----------------------------------------


def test_paths_in_fields_are_plain_text_never_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path)
    data = md_report(
        files_changed=["../../etc/passwd", "file:///etc/shadow", "/etc/hostname"],
        base_commit="../../etc/passwd",
        title="file:///etc/passwd",
    )
    opened: list[str] = []
    real_os_open, real_open = os.open, builtins.open

    def spy_os_open(path: Any, *args: Any, **kwargs: Any) -> int:
        opened.append(str(path))
        return real_os_open(path, *args, **kwargs)

    def spy_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy_os_open)
    monkeypatch.setattr(builtins, "open", spy_open)
    verdict = validate(tmp_path, data)
    monkeypatch.undo()
    assert not [path for path in opened if "/etc/" in path or "shadow" in path]
    assert sorted(item.rule for item in only(verdict, "SCOPE")) == ["SCOPE-003"] * 2 + ["SCOPE-004"]


def test_symlinked_report_is_refused_by_the_library(tmp_path: Path) -> None:
    workspace = make_project(tmp_path)
    target = tmp_path / "secret"
    target.write_text("TOPSECRET")
    link = workspace.reports_dir / "WB-012-v1.md"
    link.symlink_to(target)
    verdict = validate_path(link, ProjectSnapshot.load(workspace), now=NOW)
    assert verdict.unreadable is not None and "symbolic link" in verdict.unreadable
    assert verdict.label == Label.ERROR and verdict.parsed is None


# --- 10. hostile file names in the log --------------------------------------------------


def test_hostile_names_are_escaped_in_audit_list(tmp_path: Path) -> None:
    make_project(tmp_path)
    AuditLog(tmp_path / ".relay" / "audit.jsonl").append(
        "VALIDATION_BLOCKED",
        "relay",
        workblock=WB,
        report_path=".relay/reports/a\x1b[2J\nb\u202ec.md",
        status="BLOCKED\x1b]52;c;eA==\x07",
    )
    text = cli("audit", "list", "--project", tmp_path)
    assert text.returncode == 0
    assert "\x1b" not in text.stdout and "\u202e" not in text.stdout and "\x07" not in text.stdout
    as_json = cli("audit", "list", "--project", tmp_path, "--json")
    assert "\x1b" not in as_json.stdout and "\u202e" not in as_json.stdout
    last = json.loads(as_json.stdout.splitlines()[-1])
    assert last["report_path"] == ".relay/reports/a\x1b[2J\nb\u202ec.md"


# --- 11. two reports, two decisions -----------------------------------------------------


def test_two_reports_moments_apart_get_two_verdicts(tmp_path: Path) -> None:
    workspace = make_project(tmp_path)
    first = workspace.reports_dir / "WB-012-v1.md"
    second = workspace.reports_dir / "WB-012-v2.md"
    first.write_bytes(md_report())
    second.write_bytes(md_report(report_version=2, outcome="stopped"))
    done = cli("validate", first, second, "--json")
    lines = [json.loads(text) for text in done.stdout.splitlines()]
    assert [line["status"] for line in lines] == ["PASS", "PASS_WITH_WARNING"]
    assert lines[0]["message_sha256"] != lines[1]["message_sha256"]


# --- 18-21. hidden characters and secrets never reach output ----------------------------


def test_secret_quoted_by_another_rule_is_redacted_everywhere(tmp_path: Path) -> None:
    make_project(tmp_path)
    data = md_report(files_changed=[f"config/{FAKE_AWS_KEY}.txt"])
    verdict = validate(tmp_path, data)
    assert verdict.label == Label.BLOCKED
    assert "SCOPE-001" in [item.rule for item in verdict.findings]
    assert FAKE_AWS_KEY not in json.dumps(verdict.as_json())
    path = tmp_path / ".relay" / "reports" / "leak.md"
    path.write_bytes(data)
    done = cli("validate", path, "--json")
    plain = cli("validate", path)
    assert FAKE_AWS_KEY not in done.stdout + done.stderr + plain.stdout + plain.stderr


def test_secret_in_the_report_file_name_is_blocked_and_never_logged(tmp_path: Path) -> None:
    """The path is shown, logged (VALIDATION_BLOCKED) and relayed: a credential in it blocks."""
    from relay_tui.core.relay import record_blocked

    workspace = make_project(tmp_path)
    path = workspace.reports_dir / f"WB-012-{FAKE_AWS_KEY}-v1.md"
    path.write_bytes(md_report())
    snapshot = ProjectSnapshot.load(workspace)
    verdict = validate_path(path, snapshot, now=NOW)
    assert verdict.label == Label.BLOCKED
    assert [item.rule for item in verdict.findings if item.severity.name == "block"] == [
        "SECRET-098"
    ]
    assert verdict.message is None
    assert FAKE_AWS_KEY not in verdict.report_display_path
    assert "[REDACTED:" in verdict.report_display_path
    record_blocked(workspace, verdict, now=NOW)
    log = (tmp_path / ".relay" / "audit.jsonl").read_text("utf-8")
    assert "VALIDATION_BLOCKED" in log and FAKE_AWS_KEY not in log
    done = cli("validate", path, "--json")
    plain = cli("validate", path)
    assert done.returncode == plain.returncode == 30
    assert FAKE_AWS_KEY not in done.stdout + done.stderr + plain.stdout + plain.stderr
    assert json.loads(done.stdout)["status"] == "BLOCKED"


def test_bidi_and_zero_width_in_paths_are_shown_as_tokens(tmp_path: Path) -> None:
    make_project(tmp_path)
    verdict = validate(tmp_path, md_report(files_changed=["docs/\u202eevil\u200b.md"]))
    assert verdict.label == Label.BLOCKED
    for item in verdict.findings:
        assert "\u202e" not in item.message and "\u200b" not in item.message
    assert any("<U+202E>" in item.message for item in verdict.findings)


# --- 22-27. the audit log under damage (see test_audit.py for the details) --------------


def test_damaged_log_never_improves_a_label(tmp_path: Path) -> None:
    make_project(tmp_path)
    log = AuditLog(tmp_path / ".relay" / "audit.jsonl")
    log.append("HOLD_SET", "human:alice", workblock=WB)
    assert validate(tmp_path, md_report()).label == Label.HOLD_NO_ACTION
    lines = log.path.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b"HOLD_SET", b"HOLD_XXX")
    log.path.write_bytes(b"\n".join(lines))
    assert validate(tmp_path, md_report()).label == Label.ERROR
    log.path.write_bytes(log.path.read_bytes()[:-40])
    assert validate(tmp_path, md_report()).label in (Label.ERROR, Label.HOLD_NO_ACTION)


def test_audit_log_that_is_a_fifo_never_blocks(tmp_path: Path) -> None:
    make_project(tmp_path, record_authorization=False)
    log_path = tmp_path / ".relay" / "audit.jsonl"
    os.mkfifo(log_path)
    verdict = validate(tmp_path, md_report())
    assert verdict.label == Label.BLOCKED
    assert "AUDIT-001" in [item.rule for item in verdict.findings]
    done = cli("audit", "verify", "--project", tmp_path)
    assert done.returncode == 1
    assert Workspace(tmp_path).audit_path.exists()


# --- 1. a file its writer still holds open ----------------------------------------------


@pytest.mark.skipif(os.uname().sysname != "Linux", reason="file leases are a Linux feature")
def test_open_for_writing_sees_a_writer_and_never_follows_links(tmp_path: Path) -> None:
    from relay_tui.core.workspace import open_for_writing

    path = tmp_path / "WB-012-v1.md"
    path.write_bytes(b"+++\n")
    assert open_for_writing(path) is False
    with path.open("ab") as writer:
        writer.write(b"workblock = ")
        assert open_for_writing(path) is True
        reader = path.open("rb")  # a reader does not count
        assert open_for_writing(path) is True
        reader.close()
    assert open_for_writing(path) is False
    (tmp_path / "link.md").symlink_to(path)
    assert open_for_writing(tmp_path / "link.md") is None
    os.mkfifo(tmp_path / "pipe.md")
    assert open_for_writing(tmp_path / "pipe.md") is None  # never blocks, never says False
    assert open_for_writing(tmp_path / "missing.md") is None
