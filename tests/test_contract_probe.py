"""Black-box probes of the contract through the installed script, each once a deviation."""

from __future__ import annotations

import datetime as dt
import hashlib
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
    state_text,
    validate,
)

from relay_tui.core.models import Label

JSON_KEYS = {"report", "status", "findings", "message", "message_sha256", "suggested_filename"}


def run(*args: str | Path, cwd: Path | str = "/") -> subprocess.CompletedProcess[str]:
    """The installed script; it must never print a traceback or an internal error."""
    done = subprocess.run(
        [str(console_script()), *map(str, args)],
        capture_output=True,
        text=True,
        errors="surrogateescape",
        cwd=cwd,
        timeout=30,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    for stream in (done.stdout, done.stderr):
        assert "Traceback" not in stream, stream
        assert "internal error" not in stream, stream
    return done


def json_lines(stdout: str) -> list[dict[str, Any]]:
    objects = [json.loads(line) for line in stdout.splitlines()]
    for item in objects:
        assert set(item) == JSON_KEYS
    return objects


def assert_message_sound(message: str, digest: str) -> None:
    """Contract section 6, computed independently: checksum line and message_sha256."""
    assert message.endswith("\n")
    cut = message.rstrip("\n").rfind("\n") + 1
    before, last = message[:cut], message[cut:]
    expected = hashlib.sha256(before.encode("utf-8")).hexdigest()[:12]
    assert last == f"relay-checksum: {expected}\n"
    assert digest == hashlib.sha256(message.encode("utf-8")).hexdigest()


# --- the report path does not depend on how it was named ---------------------------------


def test_a_dotdot_in_the_report_path_gives_the_same_path_and_message(tmp_path: Path) -> None:
    root = tmp_path / "project"
    workspace = make_project(root, updated_at=dt.datetime.now(dt.UTC))
    (workspace.reports_dir / "WB-012-v1.md").write_bytes(md_report())
    plain = run("validate", ".relay/reports/WB-012-v1.md", "--json", cwd=root)
    winding = run(
        "validate", "project/.relay/../.relay/reports/WB-012-v1.md", "--json", cwd=tmp_path
    )
    (first,) = json_lines(plain.stdout)
    (second,) = json_lines(winding.stdout)
    assert plain.returncode == winding.returncode == 0
    assert first["report"] == second["report"] == ".relay/reports/WB-012-v1.md"
    assert second["message"] == first["message"]
    assert second["message_sha256"] == first["message_sha256"]


def test_a_report_outside_its_project_named_with_dotdot_has_no_dotdot(tmp_path: Path) -> None:
    root = tmp_path / "project"
    make_project(root, updated_at=dt.datetime.now(dt.UTC))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "final.md").write_bytes(md_report())
    done = run("validate", "../elsewhere/final.md", "--project", ".", "--json", cwd=root)
    (line,) = json_lines(done.stdout)
    assert line["report"] == (elsewhere / "final.md").resolve().as_posix()
    assert "/../" not in line["message"]


# --- hostile bytes never crash the engine ------------------------------------------------


def test_a_non_utf8_file_name_is_validated_not_a_crash(tmp_path: Path) -> None:
    root = tmp_path / "project"
    workspace = make_project(root, updated_at=dt.datetime.now(dt.UTC))
    name = os.fsdecode(b"WB-012-\xff.md")
    (workspace.reports_dir / name).write_bytes(md_report())
    shown = run("validate", Path(".relay/reports") / name, cwd=root)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert shown.stdout.startswith("PASS")
    done = run("validate", Path(".relay/reports") / name, "--json", cwd=root)
    assert done.returncode == 0
    (line,) = json_lines(done.stdout)
    assert line["report"] == ".relay/reports/WB-012-\\xff.md"
    assert "- Report: .relay/reports/WB-012-\\xff.md" in line["message"]
    assert_message_sound(line["message"], line["message_sha256"])


def test_a_json_report_with_a_lone_surrogate_escape_is_a_structure_error(tmp_path: Path) -> None:
    root = tmp_path / "project"
    workspace = make_project(root, updated_at=dt.datetime.now(dt.UTC))
    data = json_report({**SECTIONS, "Summary": "Limiter added SURROGATE here."})
    data = data.replace(b"SURROGATE", b"\\ud800")
    (workspace.reports_dir / "WB-012-v1.json").write_bytes(data)
    done = run("validate", workspace.reports_dir / "WB-012-v1.json", "--json")
    assert done.returncode == 20, done.stdout + done.stderr
    (line,) = json_lines(done.stdout)
    assert line["status"] == "ERROR" and line["message"] is None
    assert [item["rule"] for item in line["findings"]] == ["STRUCTURE-004"]
    assert line["findings"][0]["line"] is not None


def _log_with_lone_surrogate(root: Path) -> Path:
    """A project whose audit log's first record holds a ``\\ud800`` escape in ``note``."""
    workspace = make_project(root, updated_at=dt.datetime.now(dt.UTC))
    (workspace.reports_dir / "WB-012-v1.md").write_bytes(md_report())
    log = workspace.audit_path
    record = json.loads(log.read_text("utf-8").splitlines()[0])
    record["note"] = "\ud800"
    log.write_text(json.dumps(record) + "\n", "utf-8")
    workspace.audit_path.with_name("audit.jsonl.head").unlink(missing_ok=True)
    return log


def test_audit_verify_names_a_record_holding_a_lone_surrogate(tmp_path: Path) -> None:
    log = _log_with_lone_surrogate(tmp_path)
    before = log.read_bytes()
    done = run("audit", "verify", "--project", tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "seq 1" in done.stdout
    assert log.read_bytes() == before


def test_audit_list_and_validate_survive_a_lone_surrogate_record(tmp_path: Path) -> None:
    _log_with_lone_surrogate(tmp_path)
    listed = run("audit", "list", "--project", tmp_path)
    assert listed.returncode == 0
    assert "<U+D800>" not in listed.stdout  # the list shows the fields it always shows
    assert "CARD_AUTHORIZED" in listed.stdout
    as_json = run("audit", "list", "--project", tmp_path, "--json")
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["note"] == "\ud800"
    done = run("validate", tmp_path / ".relay" / "reports" / "WB-012-v1.md", "--json")
    (line,) = json_lines(done.stdout)
    rules = {item["rule"] for item in line["findings"]}
    assert "AUDIT-001" in rules and "CARD-005" in rules
    assert done.returncode == 30


# --- the message never depends on the clock while the label stays --------------------------


def test_a_stale_state_gives_the_same_message_days_apart(tmp_path: Path) -> None:
    make_project(tmp_path, state=state_text(updated_at=NOW - dt.timedelta(days=8)))
    first = validate(tmp_path, md_report(), now=NOW)
    later = validate(tmp_path, md_report(), now=NOW + dt.timedelta(days=3, hours=5, minutes=7))
    assert first.label == later.label == Label.PASS_WITH_WARNING
    assert [item.rule for item in first.warnings] == ["STATE-003"]
    assert first.message == later.message
    assert first.message_sha256 == later.message_sha256


def test_codex_citations_reach_the_message_as_written(tmp_path: Path) -> None:
    make_project(tmp_path)
    summary = "Limiter added in 【F:src/auth/limits.py†L10-L20】 and src/auth/limits.py:42 ✅"
    verdict = validate(tmp_path, md_report({**SECTIONS, "Summary": summary}))
    assert verdict.label == Label.PASS, verdict.findings
    assert verdict.message is not None and summary in verdict.message


# --- wording --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "rule"),
    [
        ("Proceed to deploy.", "AUTHORITY-011"),
        ("Proceed with the merge.", "AUTHORITY-010"),
        ("Proceed to release.", "AUTHORITY-012"),
    ],
)
def test_proceed_to_merge_deploy_or_release_is_an_order(
    tmp_path: Path, sentence: str, rule: str
) -> None:
    make_project(tmp_path)
    verdict = validate(tmp_path, md_report({**SECTIONS, "Summary": sentence}))
    assert verdict.label == Label.BLOCKED
    assert rule in [item.rule for item in verdict.findings]


def test_descriptions_of_proceeding_stay_descriptions(tmp_path: Path) -> None:
    make_project(tmp_path)
    for sentence in (
        "Do not proceed to deploy.",
        "Whether to proceed with the release is the human's call.",
        "Should we proceed with the merge?",
    ):
        verdict = validate(tmp_path, md_report({**SECTIONS, "Summary": sentence}))
        assert verdict.label == Label.PASS, (sentence, verdict.findings)
    assert WB in md_report().decode()


# --- command line ---------------------------------------------------------------------------


def test_options_may_stand_between_reports(tmp_path: Path) -> None:
    root = tmp_path / "project"
    workspace = make_project(root, updated_at=dt.datetime.now(dt.UTC))
    (workspace.reports_dir / "pass.md").write_bytes(md_report())
    (workspace.reports_dir / "warn.md").write_bytes(md_report(outcome="stopped"))
    done = run("validate", "pass.md", "--json", "warn.md", cwd=workspace.reports_dir)
    assert done.returncode == 10, done.stderr
    assert [line["status"] for line in json_lines(done.stdout)] == ["PASS", "PASS_WITH_WARNING"]
    mixed = run("validate", "pass.md", "--project", root, "warn.md", cwd=workspace.reports_dir)
    assert mixed.returncode == 10
    assert run("validate", "pass.md", "--bogus", cwd=workspace.reports_dir).returncode == 2


def test_notify_as_a_stop_hook_never_opens_the_tui(tmp_path: Path) -> None:
    """Codex's Stop hook runs ``relay-tui notify`` with the payload on stdin: exit 0, at once."""
    make_project(tmp_path)
    payload = json.dumps({"cwd": str(tmp_path), "last_assistant_message": "Done."})
    done = subprocess.run(
        [str(console_script()), "notify"],
        input=payload,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode == 0
    assert "\x1b[" not in done.stdout  # no screen was drawn
    assert "Traceback" not in done.stderr
    as_argument = run("notify", json.dumps({"type": "agent-turn-complete", "cwd": "/"}))
    assert as_argument.returncode == 0


def test_command_line_errors_and_init_lines_show_control_characters_as_tokens(
    tmp_path: Path,
) -> None:
    usage = run("schema", "\x1b[2Jstray\u202e")
    assert usage.returncode == 2
    assert "\x1b" not in usage.stderr and "\u202e" not in usage.stderr
    assert "␛[2Jstray<U+202E>" in usage.stderr
    made = run("init", tmp_path / "odd\x1b[31mname")
    assert made.returncode == 0
    assert "\x1b" not in made.stdout and "␛[31mname" in made.stdout
