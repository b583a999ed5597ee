"""The sample project: every trial report gets its label, and regenerate.py keeps it so."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from relay_tui.core.audit import CARD_AUTHORIZED, VALIDATION_BLOCKED, AuditLog
from relay_tui.core.relay import abort_relay, record_blocked
from relay_tui.core.rules.git import is_work_tree_top
from relay_tui.core.validate import ProjectSnapshot, validate_path
from relay_tui.core.workspace import Workspace

SAMPLE = Path(__file__).resolve().parent.parent / "sample_project"
REGENERATE = SAMPLE / "regenerate.py"
RELAY_TUI = Path(sys.executable).with_name("relay-tui")

#: The trial classes of the issue, one report file each (sample_project/README.md).
EXPECTED = {
    "WB-001-v1.md": "PASS_WITH_WARNING",  # stale: written against state revision 5 of 6
    "WB-002-v1.md": "PASS",  # a clean workflow
    "WB-003-v1.md": "ERROR",  # fails structure
    "WB-003-v2.md": "PASS",  # its corrected addendum
    "WB-004-v1.md": "PASS",  # docs only, speaks of approval descriptively
    "WB-005-v1.md": "BLOCKED",  # unsafe and ambiguous
    "WB-005-v2.md": "PASS",  # its remediation
    "WB-006-v1.md": "PASS",  # large: 40 files
}
DEMO_LEFTOVERS = shutil.ignore_patterns("outbox", "receipts", "*.lock", "*.tmp", "node_modules")


def regenerate(project: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REGENERATE), "--project", str(project), *extra],
        capture_output=True,
        text=True,
        timeout=60,
    )


def copy_sample(destination: Path) -> Path:
    project = destination / "sample"
    shutil.copytree(SAMPLE, project, ignore=DEMO_LEFTOVERS, symlinks=True)
    return project


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def validate_json(project: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    reports = sorted(str(path) for path in (project / ".relay" / "reports").iterdir())
    completed = subprocess.run(
        [str(RELAY_TUI), "validate", *reports, "--project", str(project), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    objects = [json.loads(line) for line in completed.stdout.splitlines()]
    return completed.returncode, {Path(item["report"]).name: item for item in objects}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A regenerated copy of the sample: fresh whatever the date, outside any git work tree."""
    project = copy_sample(tmp_path_factory.mktemp("sample"))
    completed = regenerate(project, "--quiet")
    assert completed.returncode == 0, completed.stderr
    return project


@pytest.fixture(scope="module")
def verdicts(sample: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    return validate_json(sample)


def test_every_trial_report_gets_its_label(verdicts: tuple[int, dict[str, dict[str, Any]]]) -> None:
    code, results = verdicts
    assert {name: item["status"] for name, item in results.items()} == EXPECTED
    assert code == 30, "the worst label (BLOCKED) sets the exit code"


def severities(item: dict[str, Any]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for found in item["findings"]:
        grouped.setdefault(found["severity"], []).append(found["rule"])
    return grouped


def test_each_label_has_the_intended_reason(
    verdicts: tuple[int, dict[str, dict[str, Any]]],
) -> None:
    _, results = verdicts
    structure = results["WB-003-v1.md"]
    assert set(severities(structure)) == {"error"}
    assert all(rule.startswith("STRUCTURE-") for rule in severities(structure)["error"])
    text = " ".join(found["message"] for found in structure["findings"])
    assert "state_revision" in text and "Tests" in text

    unsafe = severities(results["WB-005-v1.md"])
    assert {"SCOPE-001", "SCOPE-002"} <= set(unsafe["block"])

    stale = results["WB-001-v1.md"]
    assert severities(stale) == {"warning": ["STATE-001"]}
    assert "STATE-001" in stale["message"]

    for name, label in EXPECTED.items():
        if label == "PASS":
            found = severities(results[name])
            assert set(found) <= {"info"}, (name, found)
            assert results[name]["message"] is not None
            assert results[name]["suggested_filename"].startswith(name.split("-v")[0])
        if label in ("ERROR", "BLOCKED"):
            assert results[name]["message"] is None


def test_large_report_is_forty_files_well_under_the_budget(
    sample: Path, verdicts: tuple[int, dict[str, dict[str, Any]]]
) -> None:
    _, results = verdicts
    path = sample / ".relay" / "reports" / "WB-006-v1.md"
    front = tomllib.loads(path.read_text(encoding="utf-8").split("+++")[1])
    assert len(front["files_changed"]) == 40
    message = results["WB-006-v1.md"]["message"]
    assert all(f"- {item}" in message for item in front["files_changed"])
    assert len(message) < 12_000, "a quarter of the default budget (12,000 tokens, 48,000 chars)"


def test_report_names_follow_the_contract(sample: Path) -> None:
    for path in (sample / ".relay" / "reports").iterdir():
        front = tomllib.loads(path.read_text(encoding="utf-8").split("+++")[1])
        match = re.fullmatch(r"(.+)-v(\d+)\.md", path.name)
        assert match is not None, path.name
        assert match.group(1) == front["workblock"]
        assert int(match.group(2)) == front.get("report_version", 1)


def test_reports_read_like_codex(sample: Path) -> None:
    texts = [path.read_text(encoding="utf-8") for path in (sample / ".relay" / "reports").iterdir()]
    joined = "\n".join(texts)
    assert "✅" in joined and "【F:" in joined
    assert re.search(r"`src/[\w/]+\.ts:\d+`", joined)
    assert "## Open Questions" in joined and "## Suggested Next Steps" in joined


def test_cards_are_authorized_by_the_projects_own_audit_code(sample: Path) -> None:
    workspace = Workspace(sample)
    read = AuditLog(workspace.audit_path).read()
    assert read.intact
    ids = sorted(path.stem for path in workspace.cards_dir.glob("*.toml"))
    authorizations, rest = read.records[: len(ids)], read.records[len(ids) :]
    assert [record["workblock"] for record in authorizations] == ids
    for record, workblock in zip(authorizations, ids, strict=True):
        loaded = workspace.load_card(workblock)
        assert loaded is not None and loaded.stamped
        assert record["event"] == CARD_AUTHORIZED and record["actor"] == "human:maya"
        assert record["card_sha256"] == loaded.body_sha256
    # The blocked report is already recorded the way the TUI records it, so a demo adds nothing.
    blocked = workspace.reports_dir / "WB-005-v1.md"
    assert [(record["event"], record["report_sha256"]) for record in rest] == [
        (VALIDATION_BLOCKED, hashlib.sha256(blocked.read_bytes()).hexdigest())
    ]
    verify = subprocess.run(
        [str(RELAY_TUI), "audit", "verify", "--project", str(sample)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_opening_the_sample_in_the_tui_adds_no_audit_record(sample: Path) -> None:
    """The TUI records each blocked report once; the sample already holds that record."""
    workspace = Workspace(sample)
    snapshot = ProjectSnapshot.load(workspace)
    blocked = [
        verdict
        for verdict in (validate_path(path, snapshot) for path in workspace.reports_dir.iterdir())
        if verdict.label.value == "BLOCKED"
    ]
    assert blocked
    assert [record_blocked(workspace, verdict) for verdict in blocked] == [None] * len(blocked)


def test_second_regenerate_writes_nothing(sample: Path) -> None:
    before = tree_hashes(sample)
    completed = regenerate(sample)
    assert completed.returncode == 0, completed.stderr
    assert "nothing written" in completed.stdout
    assert tree_hashes(sample) == before


def test_committed_sample_is_canonical_apart_from_freshness(tmp_path: Path) -> None:
    """The committed audit log and card stamps are what regenerate.py would write."""
    project = copy_sample(tmp_path)
    before = tree_hashes(project)
    completed = regenerate(project, "--quiet")
    assert completed.returncode == 0, completed.stderr
    after = tree_hashes(project)
    changed = {name for name in before if before[name] != after.get(name)}
    assert changed <= {".relay/state.toml"}, f"run sample_project/regenerate.py: {changed}"


def test_stale_state_and_demo_leftovers_are_reset(tmp_path: Path) -> None:
    project = copy_sample(tmp_path)
    assert regenerate(project, "--quiet").returncode == 0
    state_path = project / ".relay" / "state.toml"
    old = "updated_at = 2020-01-01T00:00:00Z"
    state_path.write_text(
        re.sub(r"^updated_at = .*$", old, state_path.read_text(encoding="utf-8"), flags=re.M),
        encoding="utf-8",
    )
    workspace = Workspace(project)
    abort_relay(workspace, actor="human:demo", workblock="WB-002", note="demo abort")
    (workspace.outbox_dir / "WB-002-demo.md").write_text("relayed in a demo\n", encoding="utf-8")
    held = validate_path(workspace.reports_dir / "WB-002-v1.md", ProjectSnapshot.load(workspace))
    assert held.label.value == "HOLD_NO_ACTION"

    completed = regenerate(project, "--check")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    state = tomllib.loads(state_path.read_text(encoding="utf-8"))
    assert dt.datetime.now(dt.UTC) - state["updated_at"] < dt.timedelta(minutes=5)
    assert "# Larder's current project state" in state_path.read_text(encoding="utf-8")
    assert not any(workspace.outbox_dir.iterdir())
    events = [record["event"] for record in AuditLog(workspace.audit_path).read().records]
    assert events == [CARD_AUTHORIZED] * 6 + [VALIDATION_BLOCKED]
    _, results = validate_json(project)
    assert {name: item["status"] for name, item in results.items()} == EXPECTED


def test_a_card_edited_by_hand_is_authorized_again(tmp_path: Path) -> None:
    project = copy_sample(tmp_path)
    card = project / ".relay" / "cards" / "WB-002.toml"
    card.write_text(
        card.read_text(encoding="utf-8").replace("(default 3)", "(default 5)"), encoding="utf-8"
    )
    completed = regenerate(project, "--check", "--quiet")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert Workspace(project).load_card("WB-002").stamped  # type: ignore[union-attr]


def test_git_rule_stays_silent_on_the_sample_in_place() -> None:
    """sample_project/ lies inside the relay-tui repository, so it is not a work tree top."""
    assert not is_work_tree_top(SAMPLE)
    workspace = Workspace(SAMPLE)
    snapshot = ProjectSnapshot.load(workspace)
    for path in sorted(workspace.reports_dir.glob("*.md")):
        verdict = validate_path(path, snapshot)
        assert not [item for item in verdict.findings if item.rule.startswith("GIT-")], path.name
