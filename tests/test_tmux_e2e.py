"""End to end: the installed ``relay-tui`` in a real terminal (tmux) on a real project.

Starts the binary, confirms a PASS relay (no system clipboard, so OSC 52 carries it into
tmux's paste buffer), watches a hostile report arrive live (escape sequences and an OSC 52
payload that must never reach the paste buffer), watches a PASS report arrive, aborts it,
and quits. Skipped when tmux or the installed binary is missing (``.ci/run`` installs tmux).
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from app_fixtures import (
    OSC52_PAYLOAD,
    audit_records,
    events,
    hostile_report,
    make_project,
    report_md,
)

BINARY = Path(sys.executable).with_name("relay-tui")

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.skipif(not BINARY.exists(), reason="relay-tui is not installed in this venv"),
]


class Tmux:
    """One private tmux server (its own socket) with one session."""

    def __init__(self, socket: str, config: Path) -> None:
        self.socket = socket
        self.config = config

    def run(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, "-f", str(self.config), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"tmux {args[0]} failed: {result.stderr.strip()}")
        return result.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "relay")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "relay", *keys)

    def buffers(self) -> str:
        """Every paste buffer's content (empty when there is none)."""
        names = self.run("list-buffers", "-F", "#{buffer_name}", check=False).split()
        return "\n".join(self.run("show-buffer", "-b", name, check=False) for name in names)

    def wait_for(self, predicate: Callable[[str], bool], what: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if predicate(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; the screen shows:\n{text}")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    config = tmp_path / "tmux.conf"
    config.write_text(
        "set -g set-clipboard on\nset -g default-terminal screen-256color\nset -g status off\n",
        "utf-8",
    )
    server = Tmux(f"relay-e2e-{uuid.uuid4().hex[:12]}", config)
    try:
        yield server
    finally:
        server.run("kill-server", check=False)


def _write_live(path: Path, data: bytes) -> None:
    """Save the way editors and Codex do: a temporary file renamed into place."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def test_installed_binary_in_tmux(tmux: Tmux, tmp_path: Path) -> None:
    root = make_project(tmp_path / "demo", updated_at=dt.datetime.now(dt.UTC))
    reports = root / ".relay" / "reports"
    (reports / "WB-012-v1.md").write_bytes(report_md())
    # OSC 52 only (the desktop clipboard is never touched), and the pane's real size.
    settings = "-u COLUMNS -u LINES RELAY_TUI_CLIPBOARD=osc52"
    command = f"env {settings} {BINARY} {root}; echo RELAY-EXITED-$?; sleep 30"
    # Start an idle pane first and the app only once the pane has its final size.
    tmux.run("new-session", "-d", "-s", "relay", "-x", "150", "-y", "42", "sleep 600")
    deadline = time.monotonic() + 5
    while (
        tmux.run("display", "-p", "-t", "relay", "#{pane_width}x#{pane_height}").strip() != "150x42"
    ):
        assert time.monotonic() < deadline, "the tmux pane never reached 150x42"
        time.sleep(0.05)
    tmux.run("respawn-pane", "-k", "-t", "relay", command)

    tmux.wait_for(lambda text: "WB-012-v1.md" in text and "PASS" in text, "the PASS report")
    tmux.keys("c")
    tmux.wait_for(lambda text: "Confirm relay" in text and "message sha256" in text, "the modal")
    tmux.keys("y")
    tmux.wait_for(lambda text: "Relayed" in text, "the relay notification")
    record = audit_records(root)[-1]
    assert record["event"] == "RELAY_CONFIRMED"
    [outbox] = list((root / ".relay" / "outbox").glob("*.md"))
    message = outbox.read_text("utf-8")
    # OSC 52 carried exactly the relayed message into tmux's paste buffer.
    assert record["destination"].startswith("clipboard:osc52")
    assert message in tmux.buffers()

    _write_live(reports / "WB-012-v2.md", hostile_report().replace(b"version = 1", b"version = 2"))
    screen = tmux.wait_for(
        lambda text: "WB-012-v2.md" in text and "BLOCKED" in text, "the hostile report"
    )
    assert "␛[2J" in screen and "<U+202E>" in screen, screen
    assert "Reports" in screen and "relay-tui" in screen  # the screen was not cleared
    buffers = tmux.buffers()
    assert OSC52_PAYLOAD not in buffers
    assert base64.b64encode(OSC52_PAYLOAD.encode()).decode() not in buffers
    assert "VALIDATION_BLOCKED" in events(root)

    _write_live(reports / "WB-012-v3.md", report_md(report_version=3))
    tmux.wait_for(
        lambda text: "WB-012-v3.md" in text and "WB-012 v3" in text and "PASS" in text,
        "the new PASS report arriving live",
    )
    tmux.keys("x")
    tmux.wait_for(lambda text: "HOLD_NO_ACTION" in text, "the hold after abort")
    record = audit_records(root)[-1]
    assert record["event"] == "RELAY_ABORTED" and record["workblock"] == "WB-012"
    assert events(root).count("RELAY_CONFIRMED") == 1

    tmux.keys("q")
    tmux.wait_for(lambda text: "RELAY-EXITED-0" in text, "relay-tui to exit with 0")
    assert OSC52_PAYLOAD not in tmux.buffers()
