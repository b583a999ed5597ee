"""The ``relay-tui`` command line: subcommands over the core, or the TUI on a project."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from relay_tui import __version__

EXIT_USAGE = 2

SUBCOMMANDS = ("validate", "audit", "schema", "init", "ingest", "notify", "receipt")

#: Contract commands this version does not build yet, and the exit code each gives meanwhile
#: (``notify`` exits 0 always). They are named here so they never open the TUI: Codex runs
#: ``relay-tui notify`` as its Stop hook with the payload on stdin, and a TUI there would hang.
NOT_BUILT = {"ingest": EXIT_USAGE, "notify": 0, "receipt": EXIT_USAGE}


class _Parser(argparse.ArgumentParser):
    """argparse that exits with the contract's usage code (2) and no traceback."""

    def error(self, message: str) -> None:  # type: ignore[override]
        from relay_tui.core.sanitize import sanitize_line

        self.print_usage(sys.stderr)
        # argparse quotes the arguments it did not understand: untrusted text.
        print(f"relay-tui: error: {sanitize_line(message, 1000)}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The subcommand parser (the TUI form ``relay-tui [PROJECT]`` is handled in ``main``)."""
    parser = _Parser(
        prog="relay-tui", description="Relay Codex reports to ChatGPT; only the human approves."
    )
    parser.add_argument("--version", action="version", version=f"relay-tui {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    validate = commands.add_parser("validate", help="validate reports; never writes")
    validate.add_argument("reports", nargs="+", type=Path, metavar="REPORT")
    validate.add_argument("--project", type=Path, help="the folder holding .relay/")
    validate.add_argument(
        "--json", action="store_true", help="one JSON object per report on stdout"
    )

    audit = commands.add_parser("audit", help="the audit log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, parser_class=_Parser)
    verify = audit_commands.add_parser("verify", help="check the hash chain; never writes")
    verify.add_argument("--project", type=Path)
    listing = audit_commands.add_parser("list", help="print the records")
    listing.add_argument("--project", type=Path)
    listing.add_argument("--json", action="store_true")

    commands.add_parser("schema", help="the JSON Schema of the JSON report form")

    init = commands.add_parser("init", help="write a .relay/ skeleton (idempotent)")
    init.add_argument("project", nargs="?", type=Path, default=Path("."))

    for name in NOT_BUILT:
        later = commands.add_parser(name, help="not built in this version")
        later.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0] not in SUBCOMMANDS and not args_list[0].startswith("-")):
        return _run_tui(args_list)
    parser = build_parser()
    args, extras = parser.parse_known_args(args_list)
    if extras:
        # ``validate a.md --json b.md``: reports may come on either side of the options.
        if args.command == "validate" and not any(item.startswith("-") for item in extras):
            args.reports.extend(Path(item) for item in extras)
        elif args.command not in NOT_BUILT:
            parser.error(f"unrecognized arguments: {' '.join(extras)}")
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): silence the final flush as well.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_USAGE
    except Exception as error:  # noqa: BLE001 - the contract promises no traceback, ever
        from relay_tui.core.sanitize import sanitize_line

        message = sanitize_line(f"{type(error).__name__}: {error}", 500)
        print(f"relay-tui: internal error: {message}", file=sys.stderr)
        return EXIT_USAGE


def _dispatch(args: argparse.Namespace) -> int:
    """Run the parsed subcommand."""
    if args.command == "validate":
        return cmd_validate(args.reports, args.project, args.json, sys.stdout)
    if args.command == "audit":
        project = _project_or_exit(args.project)
        if args.audit_command == "verify":
            return cmd_audit_verify(project, sys.stdout)
        return cmd_audit_list(project, args.json, sys.stdout)
    if args.command == "schema":
        print(json.dumps(report_json_schema(), indent=2))
        return 0
    if args.command in NOT_BUILT:
        print(
            f"relay-tui: '{args.command}' is not built in this version; nothing was read or "
            "written (see the README, Known gaps).",
            file=sys.stderr,
        )
        return NOT_BUILT[args.command]
    if args.command == "init":
        from relay_tui.core.init import init_project
        from relay_tui.core.sanitize import sanitize_line

        for line in init_project(args.project):
            print(sanitize_line(line, 1000))
        return 0
    build_parser().print_help(sys.stderr)
    return EXIT_USAGE


def _run_tui(args_list: list[str]) -> int:
    parser = _Parser(prog="relay-tui", description="Open the review TUI on a project.")
    parser.add_argument("project", nargs="?", type=Path, default=Path("."))
    args = parser.parse_args(args_list)
    from relay_tui.app.app import run_app

    return run_app(args.project)


def _project_or_exit(project: Path | None) -> Path:
    """``--project`` when it holds ``.relay/``, else the nearest such folder upward."""
    from relay_tui.core.sanitize import sanitize_line
    from relay_tui.core.workspace import RELAY_DIR, find_project

    if project is not None:
        if not (project / RELAY_DIR).is_dir():
            print(
                f"relay-tui: {sanitize_line(str(project))} holds no .relay/ folder",
                file=sys.stderr,
            )
            raise SystemExit(EXIT_USAGE)
        return project
    found = find_project(Path.cwd())
    if found is None:
        print("relay-tui: no .relay/ folder here or above; pass --project DIR", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)
    return found


def cmd_validate(reports: list[Path], project: Path | None, as_json: bool, out: TextIO) -> int:
    """Validate each report; exit with the worst label's code, 2 for an unreadable path."""
    from relay_tui.core.models import LABELS_WORST_FIRST
    from relay_tui.core.sanitize import sanitize_line
    from relay_tui.core.validate import ProjectSnapshot, validate_path
    from relay_tui.core.workspace import Workspace

    snapshots: dict[Path | None, ProjectSnapshot] = {}
    fixed = Workspace(project) if project is not None else None
    if fixed is not None and not fixed.exists:
        print(f"relay-tui: {sanitize_line(str(project))} holds no .relay/ folder", file=sys.stderr)
        return EXIT_USAGE
    labels = []
    unreadable = False
    for path in reports:
        workspace = fixed or Workspace.locate(
            path.parent if path.parent != Path("") else Path.cwd()
        )
        key = workspace.root if workspace is not None else None
        if key not in snapshots:
            snapshots[key] = ProjectSnapshot.load(workspace)
        verdict = validate_path(path, snapshots[key])
        if verdict.unreadable is not None:
            unreadable = True
            print(f"relay-tui: {verdict.unreadable}", file=sys.stderr)
        labels.append(verdict.label)
        if as_json:
            out.write(json.dumps(verdict.as_json()) + "\n")
        else:
            _print_verdict(verdict, out)
    if unreadable:
        return EXIT_USAGE
    worst = next(label for label in LABELS_WORST_FIRST if label in labels)
    return worst.exit_code


def _print_verdict(verdict: Any, out: TextIO) -> None:
    from relay_tui.core.sanitize import sanitize_line

    digest = f"  sha256 {verdict.report_sha256[:12]}" if verdict.report_sha256 else ""
    out.write(f"{verdict.label.value:<17} {sanitize_line(verdict.report_display_path)}{digest}\n")
    for item in verdict.findings:
        where = f"line {item.line}" if item.line else "—"
        message = sanitize_line(item.message, 400)
        out.write(f"  {where:<9} {item.severity.name:<7} {item.rule:<16} {message}\n")
    if verdict.message is not None:
        out.write(
            f"  message: {len(verdict.message):,} characters, "
            f"~{len(verdict.message) // 4:,} tokens, "
            f"sha256 {verdict.message_sha256}, outbox name {verdict.suggested_filename}\n"
        )


def cmd_audit_verify(project: Path, out: TextIO) -> int:
    """0 when the chain is intact, 1 when broken or torn (naming the first bad seq)."""
    from relay_tui.core.audit import AuditLog
    from relay_tui.core.sanitize import sanitize_line
    from relay_tui.core.workspace import Workspace

    read = AuditLog(Workspace(project).audit_path).read()
    out.write(sanitize_line(read.describe(), 1000) + "\n")
    return 0 if read.intact else 1


def cmd_audit_list(project: Path, as_json: bool, out: TextIO) -> int:
    """Print every complete record (verified or not), oldest first."""
    from relay_tui.core.audit import AuditLog
    from relay_tui.core.sanitize import sanitize_line
    from relay_tui.core.workspace import Workspace

    log = AuditLog(Workspace(project).audit_path)
    for record in log.all_records():
        if as_json:
            out.write(json.dumps(record) + "\n")
            continue
        fields = [
            str(record.get("seq")),
            str(record.get("ts")),
            str(record.get("event")),
            str(record.get("actor")),
            str(record.get("workblock") or "—"),
            str(record.get("status") or ""),
        ]
        out.write(sanitize_line("  ".join(fields), 300) + "\n")
    read = log.read()
    if not read.intact:
        print(f"relay-tui: {sanitize_line(read.describe(), 1000)}", file=sys.stderr)
    return 0


def report_json_schema() -> dict[str, Any]:
    """The JSON form of a report as an OpenAI strict structured-output schema."""

    def nullable(kind: str | list[str]) -> dict[str, Any]:
        kinds = [kind] if isinstance(kind, str) else kind
        return {"type": [*kinds, "null"]}

    tests_object = {
        "type": "object",
        "additionalProperties": False,
        "required": ["command", "passed", "failed", "skipped"],
        "properties": {
            "command": nullable("string"),
            "passed": nullable("integer"),
            "failed": nullable("integer"),
            "skipped": nullable("integer"),
        },
    }
    tests = {"anyOf": [tests_object, {"type": "null"}]}
    sections = {
        "type": "object",
        "additionalProperties": False,
        "required": ["Summary", "Changes", "Tests", "Open questions", "Suggested next steps"],
        "properties": {
            "Summary": {"type": "string"},
            "Changes": {"type": "string"},
            "Tests": {"type": "string"},
            "Open questions": nullable("string"),
            "Suggested next steps": nullable("string"),
        },
    }
    properties: dict[str, Any] = {
        "workblock": {"type": "string", "description": "The workblock id, e.g. WB-012."},
        "title": {"type": "string"},
        "outcome": {"type": "string", "enum": ["completed", "partial", "failed", "stopped"]},
        "state_revision": {
            "type": "integer",
            "description": "The state revision the work started from.",
        },
        "files_changed": {"type": "array", "items": {"type": "string"}},
        "base_commit": nullable("string"),
        "report_version": nullable("integer"),
        "tests": tests,
        "sections": sections,
    }
    return {
        "title": "relay-tui structured final report",
        "type": "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
    }


if __name__ == "__main__":
    raise SystemExit(main())
