"""Contract section 8 through the installed ``relay-tui`` console script."""

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
    WB,
    console_script,
    json_report,
    make_project,
    md_report,
    state_text,
)

from relay_tui.core.audit import AuditLog
from relay_tui.core.validate import ProjectSnapshot, validate_path
from relay_tui.core.workspace import Workspace

JSON_KEYS = {"report", "status", "findings", "message", "message_sha256", "suggested_filename"}
FINDING_KEYS = {"rule", "severity", "message", "line"}
NOW = dt.datetime.now(dt.UTC)


def run(
    *args: str | Path, cwd: Path | str = "/", timeout: float = 20
) -> subprocess.CompletedProcess[str]:
    """Run the installed script; no invocation may ever print a traceback."""
    done = subprocess.run(
        [str(console_script()), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert "Traceback" not in done.stdout
    return done


def json_lines(stdout: str) -> list[dict[str, Any]]:
    objects = [json.loads(line) for line in stdout.splitlines()]
    for item in objects:
        assert set(item) == JSON_KEYS
        for found in item["findings"]:
            assert set(found) == FINDING_KEYS
            assert found["message"].strip()
    return objects


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project holding a report of every label (the state is fresh in real time)."""
    root = tmp_path_factory.mktemp("cli") / "project"
    workspace = make_project(root, updated_at=NOW - dt.timedelta(hours=1))
    reports = workspace.reports_dir
    (reports / "pass.md").write_bytes(md_report())
    (reports / "warn.md").write_bytes(md_report(outcome="stopped"))
    (reports / "error.md").write_bytes(md_report(outcome="done"))
    (reports / "blocked.md").write_bytes(md_report(files_changed=["/etc/passwd"]))
    (reports / "pass.json").write_bytes(json_report())
    held = root.parent / "held"
    held_space = make_project(held, state=state_text(hold=True, updated_at=NOW))
    (held_space.reports_dir / "held.md").write_bytes(md_report())
    return root


def report(project: Path, name: str) -> Path:
    return project / ".relay" / "reports" / name


def tree_snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(path): (path.stat().st_mtime_ns, path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


# --- exit codes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code", "status"),
    [
        ("pass.md", 0, "PASS"),
        ("pass.json", 0, "PASS"),
        ("warn.md", 10, "PASS_WITH_WARNING"),
        ("error.md", 20, "ERROR"),
        ("blocked.md", 30, "BLOCKED"),
    ],
)
def test_exit_code_of_each_label(project: Path, name: str, code: int, status: str) -> None:
    done = run("validate", report(project, name))
    assert done.returncode == code, done.stdout + done.stderr
    assert done.stdout.startswith(status)
    assert done.stderr == ""


def test_hold_exit_code(project: Path) -> None:
    held = project.parent / "held" / ".relay" / "reports" / "held.md"
    done = run("validate", held, "--json")
    assert done.returncode == 40
    (line,) = json_lines(done.stdout)
    assert line["status"] == "HOLD_NO_ACTION" and line["message"] is None


@pytest.mark.parametrize(
    ("names", "code"),
    [
        (["pass.md", "warn.md"], 10),
        (["warn.md", "held"], 40),
        (["held", "error.md", "warn.md"], 20),
        (["pass.md", "blocked.md", "error.md", "held"], 30),
    ],
)
def test_several_reports_exit_with_the_worst_first(
    project: Path, names: list[str], code: int
) -> None:
    held = project.parent / "held" / ".relay" / "reports" / "held.md"
    paths = [held if name == "held" else report(project, name) for name in names]
    done = run("validate", *paths, "--json")
    assert done.returncode == code
    assert len(json_lines(done.stdout)) == len(paths)


# --- JSON output ------------------------------------------------------------------------


def test_json_output_holds_only_contract_keys_and_the_library_message(project: Path) -> None:
    names = ["pass.md", "warn.md", "error.md", "blocked.md"]
    done = run("validate", *(report(project, name) for name in names), "--json")
    lines = json_lines(done.stdout)
    assert [line["status"] for line in lines] == ["PASS", "PASS_WITH_WARNING", "ERROR", "BLOCKED"]
    for line in lines:
        relayable = line["status"] in ("PASS", "PASS_WITH_WARNING")
        assert (line["message"] is not None) is relayable
        assert (line["message_sha256"] is not None) is relayable
        assert (line["suggested_filename"] is not None) is relayable
        for found in line["findings"]:
            assert found["severity"] in ("info", "warning", "error", "block")
            assert found["line"] is None or isinstance(found["line"], int)
    passing = lines[0]
    assert passing["report"] == ".relay/reports/pass.md"
    assert passing["message_sha256"] == hashlib.sha256(passing["message"].encode()).hexdigest()
    assert passing["suggested_filename"] == "WB-012-add-rate-limiting-to-the-login-endpoint.md"
    library = validate_path(report(project, "pass.md"), ProjectSnapshot.load(Workspace(project)))
    assert library.message == passing["message"]
    warn = lines[1]
    assert any(item["rule"] == "CONSISTENCY-002" for item in warn["findings"])


def test_validate_never_writes(project: Path) -> None:
    before = tree_snapshot(project)
    run("validate", *sorted(report(project, "x").parent.iterdir()), "--json")
    run("validate", report(project, "pass.md"))
    assert tree_snapshot(project) == before


# --- paths that are not readable regular files ------------------------------------------


def test_symlink_to_a_secret_is_refused_and_never_read(project: Path, tmp_path: Path) -> None:
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nTOPSECRETBYTES\n")
    link = report(project, "link.md")
    link.symlink_to(secret)
    try:
        done = run("validate", link, "--json")
        assert done.returncode == 2
        assert "TOPSECRETBYTES" not in done.stdout + done.stderr
        assert "symbolic link" in done.stderr
        (line,) = json_lines(done.stdout)
        assert line["status"] == "ERROR"
    finally:
        link.unlink()


def test_fifo_is_refused_without_blocking(project: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "report.md"
    os.mkfifo(fifo)
    done = run("validate", fifo, "--project", project, timeout=10)
    assert done.returncode == 2
    assert "not a regular file" in done.stderr


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_missing_file_and_directory_exit_2(project: Path, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "nothing.md"
    if kind == "directory":
        path.mkdir()
    done = run("validate", path, "--project", project)
    assert done.returncode == 2
    assert "nothing.md" in done.stderr


def test_unreadable_path_wins_over_blocked(project: Path) -> None:
    done = run("validate", report(project, "blocked.md"), report(project, "absent.md"))
    assert done.returncode == 2


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["validate", "x.md", "--bogus"],
        ["audit"],
        ["audit", "explode"],
        ["validate", "x.md", "--project"],
    ],
)
def test_bad_usage_exits_2(args: list[str]) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert done.stderr.strip()


def test_project_without_relay_folder_exits_2(tmp_path: Path, project: Path) -> None:
    done = run("validate", report(project, "pass.md"), "--project", tmp_path)
    assert done.returncode == 2
    assert ".relay" in done.stderr


# --- the project of a report ------------------------------------------------------------


def test_project_defaults_to_the_nearest_relay_folder_above_the_report(
    project: Path, tmp_path: Path
) -> None:
    nested = report(project, "deeper") / "more"
    nested.mkdir(parents=True)
    (nested / "r.md").write_bytes(md_report())
    other = tmp_path / "other"
    make_project(other, card=None)
    done = run("validate", nested / "r.md", "--json", cwd=other)
    assert done.returncode == 0, done.stdout
    assert json_lines(done.stdout)[0]["report"] == ".relay/reports/deeper/more/r.md"
    relative = run("validate", Path(".relay/reports/pass.md"), cwd=project)
    assert relative.returncode == 0


def test_report_outside_its_project(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "final.md"
    outside.write_bytes(md_report())
    done = run("validate", outside, "--project", project, "--json")
    assert done.returncode == 0
    (line,) = json_lines(done.stdout)
    assert str(outside) in line["message"]
    alone = run("validate", outside, "--json")
    assert alone.returncode == 20
    assert any(item["rule"] == "CARD-001" for item in json_lines(alone.stdout)[0]["findings"])


# --- hostile file names -----------------------------------------------------------------


def test_file_names_with_escapes_are_shown_escaped(project: Path) -> None:
    name = "evil\x1b[2J\nname\u202egnp.md"
    path = report(project, name)
    path.write_bytes(md_report(outcome="done"))
    try:
        done = run("validate", path)
        assert done.returncode == 20
        assert "\x1b" not in done.stdout and "\u202e" not in done.stdout
        assert "evil␛[2J␤name<U+202E>gnp.md" in done.stdout
        missing = run("validate", report(project, "gone\x1b]52;c;eA==\x07.md"))
        assert missing.returncode == 2
        assert "\x1b" not in missing.stderr and "\x07" not in missing.stderr
        assert "gone␛]52;c;eA==␇.md" in missing.stderr
        as_json = run("validate", path, "--json")
        assert "\x1b" not in as_json.stdout and "\u202e" not in as_json.stdout
        assert json_lines(as_json.stdout)[0]["report"].endswith(name)
    finally:
        path.unlink()


# --- audit verify and list --------------------------------------------------------------


@pytest.fixture
def logged(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    make_project(root)
    log = AuditLog(root / ".relay" / "audit.jsonl")
    for index in range(3):
        log.append("HOLD_SET", "human:alice", workblock=WB, note=f"n{index}\x1b[2J")
    return root


def test_audit_verify_intact_and_broken(logged: Path) -> None:
    done = run("audit", "verify", "--project", logged)
    assert done.returncode == 0, done.stdout
    path = logged / ".relay" / "audit.jsonl"
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"n1", b"n9")
    path.write_bytes(b"\n".join(lines))
    before = path.read_bytes()
    broken = run("audit", "verify", "--project", logged)
    assert broken.returncode == 1
    assert "seq 3" in broken.stdout + broken.stderr
    assert path.read_bytes() == before


def test_audit_verify_torn_tail_and_default_project(logged: Path) -> None:
    path = logged / ".relay" / "audit.jsonl"
    with path.open("ab") as handle:
        handle.write(b'{"seq": 5, "ev')
    before = path.read_bytes()
    done = run("audit", "verify", cwd=logged / ".relay" / "reports")
    assert done.returncode == 1
    assert "seq 5" in done.stdout and "torn" in done.stdout
    assert path.read_bytes() == before
    assert not list(path.parent.glob("audit.jsonl.torn-*"))


def test_audit_verify_outside_a_project_exits_2(tmp_path: Path) -> None:
    assert run("audit", "verify", cwd=tmp_path).returncode == 2
    assert run("audit", "verify", "--project", tmp_path).returncode == 2


def test_audit_list(logged: Path) -> None:
    done = run("audit", "list", "--project", logged, "--json")
    assert done.returncode == 0
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [record["seq"] for record in records] == [1, 2, 3, 4]
    assert records[-1]["event"] == "HOLD_SET" and "hash" in records[-1]
    text = run("audit", "list", "--project", logged)
    assert text.returncode == 0
    assert "CARD_AUTHORIZED" in text.stdout and "HOLD_SET" in text.stdout
    assert "\x1b" not in text.stdout


# --- schema -----------------------------------------------------------------------------


def strict_problems(schema: dict[str, Any], where: str = "$") -> list[str]:
    """Where a schema breaks OpenAI strict structured output rules."""
    problems: list[str] = []
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "object" in kinds or "properties" in schema:
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            problems.append(f"{where}: additionalProperties is not false")
        if sorted(schema.get("required", [])) != sorted(properties):
            problems.append(f"{where}: required does not list every property")
        for name, sub in properties.items():
            problems += strict_problems(sub, f"{where}.{name}")
    if "items" in schema:
        problems += strict_problems(schema["items"], f"{where}[]")
    for key in ("anyOf", "oneOf", "allOf"):
        for index, sub in enumerate(schema.get(key, [])):
            problems += strict_problems(sub, f"{where}.{key}[{index}]")
    return problems


def test_strict_checker_catches_a_loose_schema() -> None:
    loose = {
        "type": "object",
        "additionalProperties": False,
        "required": ["a"],
        "properties": {
            "a": {"type": "string"},
            "b": {"type": "object", "properties": {"c": {"type": "string"}}, "required": ["c"]},
        },
    }
    assert len(strict_problems(loose)) == 2


def test_schema_is_openai_strict_and_matches_the_contract() -> None:
    done = run("schema")
    assert done.returncode == 0
    schema = json.loads(done.stdout)
    assert strict_problems(schema) == []
    properties = schema["properties"]
    assert set(properties) == {
        "workblock",
        "title",
        "outcome",
        "state_revision",
        "files_changed",
        "base_commit",
        "report_version",
        "tests",
        "sections",
    }
    assert set(properties["sections"]["properties"]) == {
        "Summary",
        "Changes",
        "Tests",
        "Open questions",
        "Suggested next steps",
    }
    for optional in ("base_commit", "report_version", "tests"):
        assert '"null"' in json.dumps(properties[optional])
    for required in ("workblock", "title", "outcome", "state_revision", "files_changed"):
        assert "null" not in json.dumps(properties[required].get("type"))
    assert set(properties["outcome"]["enum"]) == {"completed", "partial", "failed", "stopped"}
