#!/usr/bin/env python3
"""Bring the sample project's relay files back to their canonical, fresh form (idempotent, fast).

The reports, cards, config and source files of the sample are plain committed files. This script
owns what has to be produced by the relay itself or goes stale with time:

- the folders and config ``relay-tui init`` writes, when missing (init never touches a file);
- ``.relay/state.toml``: written from the sample's template when missing, and its ``updated_at``
  refreshed when older than a day (or in the future), so the sample never goes stale by itself;
- the cards' ``[authorization]`` stamps and their ``CARD_AUTHORIZED`` records, written by the
  project's own code (``relay_tui.core.relay.authorize_card``) for the maintainer ``human:maya``;
- one ``VALIDATION_BLOCKED`` record per blocked report, written by ``record_blocked`` exactly as
  the TUI writes it, so opening the sample in the TUI adds nothing to its log.

The audit log is canonical when it holds exactly these records (the authorizations for the
cards' current bodies, in card order, then the blocked reports) and its chain is intact.
Anything else (a card edited by hand, a relay or abort recorded during a demo, a torn tail)
makes the script rebuild it from scratch and clear the demo's outbox and receipts, so every demo
starts from the same place. When nothing is stale the script writes nothing at all: a second run
leaves every file byte-identical.

Usage: ``.venv/bin/python sample_project/regenerate.py [--project DIR] [--reset] [--check]
[--quiet]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

try:
    import relay_tui  # noqa: F401
except ImportError:  # run from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from relay_tui.core.audit import CARD_AUTHORIZED, VALIDATION_BLOCKED, AuditLog
from relay_tui.core.init import init_project
from relay_tui.core.models import Label
from relay_tui.core.relay import authorize_card, record_blocked
from relay_tui.core.validate import ProjectSnapshot, Verdict, validate_path
from relay_tui.core.workspace import Workspace

SAMPLE_ROOT = Path(__file__).resolve().parent
MAINTAINER = "human:maya"
#: ``updated_at`` is refreshed once it is older than this (the default ``stale_after`` is 7 days).
FRESH_FOR = dt.timedelta(days=1)
#: Time between two card authorizations in a rebuilt audit log.
CARD_SPACING = dt.timedelta(minutes=6)
#: A clock this far behind ``updated_at`` counts as "in the future" and is refreshed too.
CLOCK_SLACK = dt.timedelta(minutes=5)

#: The label each sample report must get (sample_project/README.md explains each one).
EXPECTED_LABELS = {
    "WB-001-v1.md": "PASS_WITH_WARNING",
    "WB-002-v1.md": "PASS",
    "WB-003-v1.md": "ERROR",
    "WB-003-v2.md": "PASS",
    "WB-004-v1.md": "PASS",
    "WB-005-v1.md": "BLOCKED",
    "WB-005-v2.md": "PASS",
    "WB-006-v1.md": "PASS",
}

STATE_TEMPLATE = """\
# Larder's current project state, the source of truth for staleness. Maya bumps `revision`
# whenever docs/plan.md changes.
revision = 6
# Refreshed by sample_project/regenerate.py so the sample never goes stale on its own.
updated_at = {updated_at}
# Empty on purpose: Maya reviews a batch of workblocks that ran side by side, so no single one
# is active (see sample_project/README.md).
active_workblock = ""
source_of_truth = "docs/plan.md"
base_commit = "9c41e07"
hold = false
"""

_UPDATED_AT_LINE = re.compile(r"^updated_at[ \t]*=[ \t]*(\S+)[ \t]*$", re.MULTILINE)

Say = Callable[[str], None]


def toml_stamp(moment: dt.datetime) -> str:
    """A TOML offset date-time in UTC with a ``Z``, seconds precision."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_text(path: Path, text: str) -> None:
    """Replace a file atomically (a reader never sees half of it)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def refresh_state(workspace: Workspace, now: dt.datetime, force: bool) -> str | None:
    """Write or refresh ``state.toml``; return what was done, or None when it was fresh."""
    path = workspace.state_path
    fresh_text = STATE_TEMPLATE.format(updated_at=toml_stamp(now))
    if force or not path.exists():
        write_text(path, fresh_text)
        return f"wrote   {path.as_posix()}"
    text = path.read_text(encoding="utf-8")
    match = _UPDATED_AT_LINE.search(text)
    try:
        state = workspace.load_state()
    except Exception:  # noqa: BLE001 - an unreadable state is replaced by the sample's own
        state = None
    if match is None or state is None:
        write_text(path, fresh_text)
        return f"rewrote {path.as_posix()} (it could not be read)"
    age = now - state.updated_at
    if dt.timedelta(0) - CLOCK_SLACK <= age <= FRESH_FOR:
        return None
    updated = text[: match.start(1)] + toml_stamp(now) + text[match.end(1) :]
    write_text(path, updated)
    return f"refreshed updated_at in {path.as_posix()}"


def card_ids(workspace: Workspace) -> list[str]:
    """The ids of the sample's cards, in order."""
    return sorted(path.stem for path in workspace.cards_dir.glob("*.toml"))


def blocked_reports(workspace: Workspace) -> list[Verdict]:
    """The verdicts of the reports that are BLOCKED, in file name order."""
    snapshot = ProjectSnapshot.load(workspace)
    verdicts = [
        validate_path(path, snapshot) for path in sorted(workspace.reports_dir.glob("*.md"))
    ]
    return [verdict for verdict in verdicts if verdict.label == Label.BLOCKED]


def audit_is_canonical(workspace: Workspace) -> bool:
    """The cards' authorizations, then the blocked reports; an intact chain; no demo output."""
    read = AuditLog(workspace.audit_path).read()
    if not read.intact or list(workspace.relay_dir.glob("audit.jsonl.torn-*")):
        return False
    ids = card_ids(workspace)
    if len(read.records) < len(ids):
        return False
    authorizations, rest = read.records[: len(ids)], read.records[len(ids) :]
    for workblock, record in zip(ids, authorizations, strict=True):
        loaded = workspace.load_card(workblock)
        if loaded is None or not loaded.stamped:
            return False
        if (
            record.get("event") != CARD_AUTHORIZED
            or record.get("actor") != MAINTAINER
            or record.get("workblock") != workblock
            or record.get("card_sha256") != loaded.body_sha256
        ):
            return False
    if any(
        record.get("event") != VALIDATION_BLOCKED or record.get("actor") != "relay"
        for record in rest
    ):
        return False
    recorded = sorted(
        (str(record.get("workblock")), str(record.get("report_sha256"))) for record in rest
    )
    expected = sorted(
        (str(verdict.workblock), str(verdict.report_sha256))
        for verdict in blocked_reports(workspace)
    )
    return recorded == expected and not any(_demo_output(workspace))


def _demo_output(workspace: Workspace) -> list[Path]:
    """Files a demo leaves behind: relayed messages and reviewed replies."""
    found: list[Path] = []
    for folder in (workspace.outbox_dir, workspace.receipts_dir):
        if folder.is_dir():
            found.extend(path for path in folder.iterdir() if path.is_file())
    return found


def rebuild_audit(workspace: Workspace, now: dt.datetime, say: Say) -> None:
    """Start the audit log over and authorize every card through the core."""
    for path in _demo_output(workspace):
        path.unlink()
        say(f"removed {path.as_posix()} (demo output)")
    for path in [
        workspace.audit_path,
        workspace.audit_path.with_name("audit.jsonl.head"),
        *workspace.relay_dir.glob("audit.jsonl.torn-*"),
    ]:
        if path.exists():
            path.unlink()
            say(f"removed {path.as_posix()}")
    ids = card_ids(workspace)
    for index, workblock in enumerate(ids):
        # Maya authorized the cards one after another, a few minutes apart.
        moment = now - CARD_SPACING * (len(ids) - index)
        stamp = authorize_card(workspace, workblock, actor=MAINTAINER, now=moment)
        digest, seq = stamp.card_sha256[:12], stamp.record["seq"]
        say(f"authorized {workblock} (card_sha256 {digest}, audit seq {seq})")
    for verdict in blocked_reports(workspace):
        record = record_blocked(workspace, verdict)
        if record is not None:
            where, seq = verdict.report_display_path, record["seq"]
            say(f"recorded VALIDATION_BLOCKED for {where} (seq {seq})")


def check_labels(workspace: Workspace, say: Say, complain: Say = print) -> int:
    """Validate every sample report; 1 when a label differs from ``EXPECTED_LABELS``.

    Every label goes to ``say``; a wrong or missing one also to ``complain``.
    """
    snapshot = ProjectSnapshot.load(workspace)
    reports = sorted(workspace.reports_dir.glob("*.md"))
    mismatches = 0
    for path in reports:
        verdict = validate_path(path, snapshot)
        expected = EXPECTED_LABELS.get(path.name, "?")
        line = f"{verdict.label.value:<17} {path.name:<14}"
        if verdict.label.value == expected:
            say(f"{line} ok")
        else:
            mismatches += 1
            complain(f"{line} EXPECTED {expected}")
    missing = set(EXPECTED_LABELS) - {path.name for path in reports}
    for name in sorted(missing):
        complain(f"missing           {name}")
    return 1 if mismatches or missing else 0


def regenerate(
    project: Path, *, reset: bool = False, say: Say = print, now: dt.datetime | None = None
) -> bool:
    """Bring ``project`` to the canonical sample state; True when anything was written."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    workspace = Workspace(project)
    changed = False
    workspace.relay_dir.mkdir(parents=True, exist_ok=True)
    state_action = refresh_state(workspace, moment, force=reset)
    if state_action is not None:
        say(state_action)
        changed = True
    for line in init_project(project, now=moment):
        if not line.startswith("kept"):
            say(line)
            changed = True
    if reset or not audit_is_canonical(workspace):
        rebuild_audit(workspace, moment, say)
        changed = True
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Regenerate the relay-tui sample project's relay files."
    )
    parser.add_argument(
        "--project", type=Path, default=SAMPLE_ROOT, help="the sample copy to regenerate"
    )
    parser.add_argument(
        "--reset", action="store_true", help="rebuild the audit log and state even when fresh"
    )
    parser.add_argument(
        "--check", action="store_true", help="validate every report; exit 1 on an unexpected label"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="print nothing unless --check finds a problem"
    )
    args = parser.parse_args(argv)
    say: Say = (lambda line: None) if args.quiet else print
    project = args.project.resolve()
    changed = regenerate(project, reset=args.reset, say=say)
    if not changed:
        say(f"{project.as_posix()}: already fresh and canonical; nothing written")
    if args.check or not args.quiet:
        status = check_labels(Workspace(project), say)
        if args.check:
            return status
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
