"""``relay-tui init``: a ``.relay/`` skeleton with every default written out; idempotent."""

from __future__ import annotations

import datetime as dt
import os
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

[keys]
# Remap TUI keys by binding id, e.g. abort = "x,ctrl+x", confirm = "c", history = "h".
# The ids are listed in the README.
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
    """Create what is missing and never touch an existing file; yield one line per action.

    Nothing that exists is replaced or written through: a file or a symbolic link (even a
    dangling one) where a folder or a file of the skeleton belongs is left alone and reported.
    """
    relay = project / RELAY_DIR
    for folder in ("", *FOLDERS):
        path = relay / folder
        if path.is_dir():
            continue
        if os.path.lexists(path):
            yield f"skipped {path.as_posix()}/ (something that is not a folder is in the way)"
            if not folder:
                return
            continue
        path.mkdir(parents=True, exist_ok=True)
        yield f"created {path.as_posix()}/"
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    files = {
        relay / "config.toml": CONFIG_TEMPLATE,
        relay / "state.toml": STATE_TEMPLATE.format(now=moment.strftime("%Y-%m-%dT%H:%M:%SZ")),
    }
    for path, text in files.items():
        if os.path.lexists(path) or not _create_new(path, text):
            yield f"kept    {path.as_posix()} (exists)"
            continue
        yield f"wrote   {path.as_posix()}"


def _create_new(path: Path, text: str) -> bool:
    """Write a new file whole or not at all; False when the name was taken meanwhile.

    The text goes to a temporary file first and is then linked to its name, which fails
    rather than replace anything that appeared in between (a symlink included).
    """
    temporary = path.with_name(f".{path.name}.init-{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        try:
            os.write(descriptor, text.encode("utf-8"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        return True
    finally:
        temporary.unlink(missing_ok=True)
