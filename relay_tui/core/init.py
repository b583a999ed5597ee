"""``relay-tui init``: a ``.relay/`` skeleton with every default written out; idempotent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from relay_tui.core.workspace import RELAY_DIR

CONFIG_TEMPLATE = """\
# relay-tui configuration. A missing key means the default shown here.

# Folder Codex writes its final reports into, relative to .relay/.
reports_dir = "reports"

# Where a confirmed message goes: "clipboard" (system clipboard, else OSC 52) and "outbox".
destinations = ["clipboard", "outbox"]

# Budget of the prepared message in tokens (estimated as characters / 4). Over it: a warning,
# and the message is shortened with a visible marker.
message_budget_tokens = 12000

# Hard size limit of a report file in bytes. Over it: an error, the file is not parsed.
max_report_bytes = 5242880

# Age of state.updated_at after which the state counts as stale (30m, 12h, 7d, 2w).
stale_after = "7d"

# Ring the terminal bell when a report arrives while you look elsewhere (tmux shows it).
bell = true

[rules]
# Rule families ("GIT") or single rules ("STATE-003") that never run.
disabled = []
# Extra phrases that claim approval or order further work (severity block).
extra_authority_block = []
# Extra ambiguous readiness phrases (severity error).
extra_authority_error = []
# Extra phrases aimed at the receiving assistant (severity block).
extra_injection = []
"""

STATE_TEMPLATE = """\
# The current project state: the source of truth for staleness. Bump revision when the plan changes.
revision = 1
updated_at = {now}
active_workblock = ""
source_of_truth = "docs/plan.md"
# base_commit = "abc1234"
hold = false
"""

FOLDERS = ("cards", "reports", "outbox", "receipts", "sources", "chains")


def init_project(project: Path, now: dt.datetime | None = None) -> Iterator[str]:
    """Create what is missing and never touch an existing file; yield one line per action."""
    relay = project / RELAY_DIR
    for folder in ("", *FOLDERS):
        path = relay / folder
        if not path.is_dir():
            path.mkdir(parents=True, exist_ok=True)
            yield f"created {path.as_posix()}/"
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    files = {
        relay / "config.toml": CONFIG_TEMPLATE,
        relay / "state.toml": STATE_TEMPLATE.format(now=moment.strftime("%Y-%m-%dT%H:%M:%SZ")),
    }
    for path, text in files.items():
        if path.exists():
            yield f"kept    {path.as_posix()} (exists)"
            continue
        path.write_text(text, encoding="utf-8")
        yield f"wrote   {path.as_posix()}"
