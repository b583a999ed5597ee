"""Contract sections 3 and 5: the STATE, CONSISTENCY and SIZE families."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from core_fixtures import (
    NOW,
    WB,
    assert_findings_explain,
    make_project,
    md_report,
    only,
    state_text,
    validate,
)

from relay_tui.core.message import SHORTENED_MARKER, checksum_line
from relay_tui.core.models import Label, Severity
from relay_tui.core.validate import ProjectSnapshot, validate_path
from relay_tui.core.workspace import Workspace


def line_of(data: bytes, needle: str) -> int:
    text = data.decode()
    return text[: text.index(needle)].count("\n") + 1


def state_findings(tmp_path: Path, data: bytes | None = None, **kwargs: object) -> list[tuple]:
    verdict = validate(tmp_path, data or md_report(), **kwargs)  # type: ignore[arg-type]
    assert_findings_explain(verdict)
    return [(item.rule, item.severity, item.line) for item in only(verdict, "STATE")]


# --- STATE ------------------------------------------------------------------------------


def test_fresh_state_gives_no_state_finding(tmp_path: Path) -> None:
    make_project(tmp_path)
    assert state_findings(tmp_path) == []


def test_state_revision_behind_is_a_stale_warning(tmp_path: Path) -> None:
    make_project(tmp_path, state=state_text(revision=8))
    data = md_report()
    assert state_findings(tmp_path, data) == [
        ("STATE-001", Severity.warning, line_of(data, "state_revision"))
    ]
    verdict = validate(tmp_path, data)
    assert verdict.label == Label.PASS_WITH_WARNING
    assert "8" in only(verdict, "STATE")[0].message and "7" in only(verdict, "STATE")[0].message


def test_state_revision_ahead_is_an_error(tmp_path: Path) -> None:
    make_project(tmp_path, state=state_text(revision=6))
    data = md_report()
    assert state_findings(tmp_path, data) == [
        ("STATE-004", Severity.error, line_of(data, "state_revision"))
    ]
    assert validate(tmp_path, data).label == Label.ERROR


def test_other_active_workblock_is_a_conflict_warning(tmp_path: Path) -> None:
    make_project(tmp_path, state=state_text(active="WB-013"))
    data = md_report()
    assert state_findings(tmp_path, data) == [
        ("STATE-002", Severity.warning, line_of(data, "workblock"))
    ]


def test_no_active_workblock_is_no_conflict(tmp_path: Path) -> None:
    make_project(tmp_path, state=state_text(active=None))
    assert state_findings(tmp_path) == []


@pytest.mark.parametrize(
    ("age", "stale_after", "stale"),
    [
        (dt.timedelta(days=6, hours=23), None, False),
        (dt.timedelta(days=7, minutes=1), None, True),
        (dt.timedelta(hours=11), "12h", False),
        (dt.timedelta(hours=13), "12h", True),
        (dt.timedelta(minutes=31), "30m", True),
    ],
)
def test_stale_state_uses_the_injected_now(
    tmp_path: Path, age: dt.timedelta, stale_after: str | None, stale: bool
) -> None:
    config = f'stale_after = "{stale_after}"\n' if stale_after else None
    make_project(tmp_path, config=config, state=state_text(updated_at=NOW - age))
    found = state_findings(tmp_path)
    assert found == ([("STATE-003", Severity.warning, None)] if stale else [])
    if stale:
        message = only(validate(tmp_path, md_report()), "STATE")[0].message
        assert "0 day" not in message
        assert (stale_after or "7d") in message
    # The same state is fresh when validated right after it was written.
    assert state_findings(tmp_path, now=NOW - age + dt.timedelta(minutes=1)) == []


def test_missing_state_file_is_a_warning(tmp_path: Path) -> None:
    make_project(tmp_path, state=None)
    assert state_findings(tmp_path) == [("STATE-005", Severity.warning, None)]
    verdict = validate(tmp_path, md_report())
    assert verdict.label == Label.PASS_WITH_WARNING
    assert verdict.message is not None and "STATE-005" in verdict.message


@pytest.mark.parametrize(
    "state",
    [
        "revision = [\n",
        'updated_at = 2026-11-23T09:00:00Z\nactive_workblock = "WB-012"\n',
        'revision = "seven"\nupdated_at = 2026-11-23T09:00:00Z\n',
        "revision = true\nupdated_at = 2026-11-23T09:00:00Z\n",
        'revision = 7\nupdated_at = 2026-11-23T09:00:00Z\nhold = "no"\n',
        'revision = 7\nupdated_at = "yesterday"\n',
    ],
    ids=["bad-toml", "no-revision", "bad-revision", "bool-revision", "text-hold", "text-date"],
)
def test_unreadable_state_is_an_error(tmp_path: Path, state: str) -> None:
    make_project(tmp_path, state=state)
    found = state_findings(tmp_path)
    assert [(rule, severity) for rule, severity, _ in found] == [("STATE-006", Severity.error)]
    message = only(validate(tmp_path, md_report()), "STATE")[0].message
    assert "state.toml" in message


def test_state_file_that_is_a_folder_is_an_error(tmp_path: Path) -> None:
    make_project(tmp_path, state=None)
    (tmp_path / ".relay" / "state.toml").mkdir()
    assert [rule for rule, _, _ in state_findings(tmp_path)] == ["STATE-006"]


# --- CONSISTENCY ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "failed", "expected", "label"),
    [
        ("completed", 0, [], Label.PASS),
        ("completed", 2, [("CONSISTENCY-001", Severity.error)], Label.ERROR),
        ("failed", 2, [("CONSISTENCY-002", Severity.warning)], Label.PASS_WITH_WARNING),
        ("stopped", 0, [("CONSISTENCY-002", Severity.warning)], Label.PASS_WITH_WARNING),
        ("partial", 1, [("CONSISTENCY-003", Severity.info)], Label.PASS),
    ],
)
def test_consistency(
    tmp_path: Path,
    outcome: str,
    failed: int,
    expected: list[tuple[str, Severity]],
    label: Label,
) -> None:
    make_project(tmp_path)
    tests = {"command": "pytest", "passed": 3, "failed": failed, "skipped": 0}
    data = md_report(outcome=outcome, tests=tests)
    verdict = validate(tmp_path, data)
    found = only(verdict, "CONSISTENCY")
    assert [(item.rule, item.severity) for item in found] == expected
    assert verdict.label == label
    for item in found:
        assert item.line in (line_of(data, "outcome"), line_of(data, "tests ="))
        assert outcome in item.message or str(failed) in item.message


def test_completed_without_tests_table_is_consistent(tmp_path: Path) -> None:
    from core_fixtures import DROP

    make_project(tmp_path)
    assert only(validate(tmp_path, md_report(tests=DROP)), "CONSISTENCY") == []


# --- SIZE -------------------------------------------------------------------------------


def test_message_over_budget_is_shortened_with_a_marker(tmp_path: Path) -> None:
    make_project(tmp_path, config="message_budget_tokens = 500\n")
    long_summary = "Limiter details. " * 1000
    data = md_report({"Summary": long_summary, "Changes": "c", "Tests": "t"})
    verdict = validate(tmp_path, data)
    assert verdict.label == Label.PASS_WITH_WARNING
    size = only(verdict, "SIZE")
    assert [(item.rule, item.severity) for item in size] == [("SIZE-001", Severity.warning)]
    message = verdict.message
    assert message is not None
    assert len(message) <= 500 * 4
    marker_start = SHORTENED_MARKER.split("{")[0]
    assert marker_start in message
    assert "[SIZE-001]" in message
    assert "Label: PASS_WITH_WARNING" in message
    body, last = message[: message.rindex("relay-checksum: ")], message.splitlines()[-1] + "\n"
    assert checksum_line(body) == last


def test_message_within_budget_is_not_shortened(tmp_path: Path) -> None:
    make_project(tmp_path)
    verdict = validate(tmp_path, md_report({"Summary": "x " * 5000, "Changes": "c", "Tests": "t"}))
    assert verdict.label == Label.PASS
    assert only(verdict, "SIZE") == []


def test_report_over_the_hard_limit_is_an_error_and_never_read(tmp_path: Path) -> None:
    workspace = make_project(tmp_path, config="max_report_bytes = 1000\n")
    path = workspace.reports_dir / "WB-012-v1.md"
    path.write_bytes(md_report({"Summary": "x" * 2000, "Changes": "c", "Tests": "t"}))
    verdict = validate_path(path, ProjectSnapshot.load(workspace), now=NOW)
    assert verdict.label == Label.ERROR
    assert [(item.rule, item.severity) for item in verdict.findings] == [
        ("SIZE-002", Severity.error)
    ]
    assert verdict.parsed is None and verdict.message is None
    assert "1,000" in verdict.findings[0].message
    assert verdict.unreadable is None


def test_huge_sparse_report_is_refused_without_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from relay_tui.core import workspace as workspace_module

    workspace = make_project(tmp_path)
    snapshot = ProjectSnapshot.load(Workspace(tmp_path))
    path = workspace.reports_dir / "WB-012-v9.md"
    with path.open("wb") as handle:
        handle.truncate(4 * 1024**3)
    reads: list[int] = []
    real_read = os.read

    def counting_read(descriptor: int, size: int) -> bytes:
        reads.append(size)
        return real_read(descriptor, size)

    monkeypatch.setattr(workspace_module.os, "read", counting_read)
    verdict = validate_path(path, snapshot, now=NOW)
    monkeypatch.undo()
    assert reads == []  # the size was judged from fstat; not one byte was read
    assert [item.rule for item in verdict.findings] == ["SIZE-002"]
    os.unlink(path)


def test_report_at_exactly_the_limit_is_parsed(tmp_path: Path) -> None:
    data = md_report()
    workspace = make_project(tmp_path, config=f"max_report_bytes = {len(data)}\n")
    path = workspace.reports_dir / f"{WB}-v1.md"
    path.write_bytes(data)
    verdict = validate_path(path, ProjectSnapshot.load(workspace), now=NOW)
    assert verdict.label == Label.PASS
