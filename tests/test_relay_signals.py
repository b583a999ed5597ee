"""SIGTERM or SIGINT during a confirmed relay: the decision is recorded whole, or not at all."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from core_fixtures import NOW, make_project, md_report

from relay_tui.core.audit import AuditLog

CHILD = textwrap.dedent(
    """
    import datetime as dt, os, signal, sys
    from pathlib import Path
    from relay_tui.core.relay import confirm_relay
    from relay_tui.core.validate import ProjectSnapshot, validate_path
    from relay_tui.core.workspace import Workspace

    root, number = Path(sys.argv[1]), int(sys.argv[2])
    now = dt.datetime.fromisoformat(sys.argv[3])
    workspace = Workspace(root)
    report = root / ".relay" / "reports" / "WB-012-v1.md"
    shown = validate_path(report, ProjectSnapshot.load(workspace), now=now)
    assert shown.label.value == "PASS", shown.findings

    def copy_then_get_signalled(text):
        # The signal arrives in the middle of the decision: after the clipboard, before the
        # outbox file and the audit record.
        os.kill(os.getpid(), number)

    confirm_relay(
        workspace, shown, actor="human:alice", clipboard=copy_then_get_signalled, now=now
    )
    print("returned", flush=True)
    """
)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_relay_waits_until_the_decision_is_recorded(
    tmp_path: Path, number: signal.Signals
) -> None:
    make_project(tmp_path)
    (tmp_path / ".relay" / "reports" / "WB-012-v1.md").write_bytes(md_report())
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), str(int(number)), NOW.isoformat()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # The signal still ends the process (its default action) but only after the record...
    assert "returned" not in result.stdout
    assert result.returncode != 0, result.stderr
    events = [
        record["event"] for record in AuditLog(tmp_path / ".relay" / "audit.jsonl").read().records
    ]
    # ...so the decision is whole: the outbox file and RELAY_CONFIRMED naming both destinations.
    assert events[-1] == "RELAY_CONFIRMED", (events, result.stderr)
    record = AuditLog(tmp_path / ".relay" / "audit.jsonl").read().records[-1]
    assert "clipboard:pyperclip" in record["destination"]
    assert "outbox:" in record["destination"]
    outbox = list((tmp_path / ".relay" / "outbox").glob("WB-012-*.md"))
    assert len(outbox) == 1
    assert AuditLog(tmp_path / ".relay" / "audit.jsonl").read().intact
