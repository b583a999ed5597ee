"""GIT: the files git saw change since ``base_commit`` agree with the report's ``files_changed``.

Runs only when the project root is the top of a git work tree and the report names a
``base_commit``. It calls the real ``git`` with an argument list (never a shell) and a
timeout; any git failure means no finding beyond an ``info``, never a crash.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from relay_tui.core.models import Finding, Severity
from relay_tui.core.rules.base import RuleContext, finding, quote, register
from relay_tui.core.rules.scope import normalize_path, path_problem
from relay_tui.core.workspace import RELAY_DIR

#: Seconds one git call may take before the rule gives up (with an ``info`` finding).
GIT_TIMEOUT_SECONDS = 5.0
#: Paths listed by name in one finding before the rest are counted.
MAX_LISTED_PATHS = 10
#: What a ``base_commit`` may look like before it is handed to git: a commit id or a ref name,
#: never an option (a leading ``-``), whitespace or a control character.
_REVISION_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/~^-]{0,199}")

#: Options that keep git from running helpers configured in the repository while it answers.
_SAFE_CONFIG = ("-c", "core.fsmonitor=false", "-c", "core.quotePath=false")


class GitUnavailable(Exception):
    """git could not answer (not installed, not a repository, timed out, failed)."""

    returncode: int | None
    """git's exit code when it ran and said no; None when it did not run to the end."""

    def __init__(self, message: str, returncode: int | None = None) -> None:
        super().__init__(message)
        self.returncode = returncode


@dataclass(frozen=True)
class GitAnswer:
    """What git says about a work tree: the changed paths, or why it could not tell."""

    base_known: bool
    changed: frozenset[str] = frozenset()


def run_git(root: Path, arguments: Sequence[str]) -> str:
    """Run ``git -C root <arguments>`` and return stdout; ``GitUnavailable`` on any failure."""
    import subprocess

    environment = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",
        "LC_ALL": "C",
    }
    try:
        completed = subprocess.run(
            ["git", "-C", str(root), *_SAFE_CONFIG, *arguments],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT_SECONDS,
            env=environment,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise GitUnavailable(
            f"git {arguments[0]} took longer than {GIT_TIMEOUT_SECONDS:g} s"
        ) from error
    except OSError as error:
        raise GitUnavailable(f"git could not be started ({error.strerror or error})") from error
    if completed.returncode != 0:
        raise GitUnavailable(
            f"git {arguments[0]} exited with {completed.returncode}", completed.returncode
        )
    return os.fsdecode(completed.stdout)


def is_work_tree_top(root: Path) -> bool:
    """True when ``root`` is the top folder of a git work tree (not a folder inside one)."""
    try:
        top = run_git(root, ["rev-parse", "--show-toplevel"]).strip("\n")
    except GitUnavailable:
        return False
    if not top:
        return False
    try:
        return os.path.samefile(top, root)
    except OSError:
        return False


def changed_since(root: Path, base_commit: str) -> GitAnswer:
    """Paths changed since ``base_commit`` (committed, staged or not) plus untracked files.

    A base commit git does not know gives ``base_known=False``; a git that fails or times out
    raises ``GitUnavailable``.
    """
    if _REVISION_SHAPE.fullmatch(base_commit) is None:
        return GitAnswer(base_known=False)
    try:
        commit = run_git(root, ["rev-parse", "--verify", "--quiet", f"{base_commit}^{{commit}}"])
    except GitUnavailable as error:
        if error.returncode is None:
            raise
        return GitAnswer(base_known=False)
    commit = commit.strip()
    diff = run_git(
        root, ["diff", "--name-only", "--no-renames", "--no-ext-diff", "-z", commit, "--"]
    )
    untracked = run_git(root, ["ls-files", "--others", "--exclude-standard", "-z"])
    paths = {path for path in (diff + untracked).split("\0") if path}
    return GitAnswer(base_known=True, changed=frozenset(paths))


def _listed(paths: Sequence[str]) -> str:
    shown = ", ".join(f"'{quote(path)}'" for path in paths[:MAX_LISTED_PATHS])
    more = len(paths) - MAX_LISTED_PATHS
    return shown + (f" and {more} more" if more > 0 else "")


def _relay_owned(path: str, report_path: str | None) -> bool:
    """The relay's own files (and the report itself) are not part of the work."""
    return path == RELAY_DIR or path.startswith(RELAY_DIR + "/") or path == report_path


def _covers(declared: str, changed: str) -> bool:
    return changed == declared or changed.startswith(declared.rstrip("/") + "/")


@register("GIT")
def check_git(ctx: RuleContext) -> Iterator[Finding]:
    """Changed files not declared, declared files not changed, an unknown base commit."""
    report = ctx.report
    if not report.base_commit or ctx.workspace is None:
        return
    root = ctx.workspace.root
    if not is_work_tree_top(root):
        return
    line = ctx.parsed.line_of_field("base_commit")
    shown_base = quote(report.base_commit, 80)
    try:
        answer = changed_since(root, report.base_commit)
    except GitUnavailable as error:
        yield finding(
            "GIT-004",
            Severity.info,
            f"git could not compare the work tree with {shown_base}: {error}.",
            line,
        )
        return
    if not answer.base_known:
        yield finding(
            "GIT-003",
            Severity.warning,
            f"The base commit '{shown_base}' is unknown to git in this repository, so the "
            "changed files cannot be checked against it.",
            line,
        )
        return
    report_path = ctx.workspace.relative(ctx.report_path) if ctx.report_path is not None else None
    changed = sorted(path for path in answer.changed if not _relay_owned(path, report_path))
    declared = sorted(
        {normalize_path(path) for path in report.files_changed if path_problem(path) is None}
    )
    undeclared = [path for path in changed if not any(_covers(item, path) for item in declared)]
    unchanged = [item for item in declared if not any(_covers(item, path) for path in changed)]
    files_line = ctx.parsed.line_of_field("files_changed")
    if undeclared:
        yield finding(
            "GIT-001",
            Severity.warning,
            f"git shows {len(undeclared)} file(s) changed since {shown_base} that "
            f"files_changed does not declare: {_listed(undeclared)}.",
            files_line,
        )
    if unchanged:
        yield finding(
            "GIT-002",
            Severity.warning,
            f"files_changed declares {len(unchanged)} file(s) that git shows unchanged since "
            f"{shown_base}: {_listed(unchanged)}.",
            files_line,
        )
