"""GIT rule: real git in temporary repositories; it runs only at the top of a work tree."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from relay_tui.core.models import Label
from relay_tui.core.relay import authorize_card
from relay_tui.core.rules import git as git_rule
from relay_tui.core.validate import ProjectSnapshot, Verdict, validate_path
from relay_tui.core.workspace import Workspace

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
WB = "WB-031"
CARD = """\
id = "WB-031"
title = "Parse config files"
goal = "Read settings from config.toml."
allowed_paths = ["src/**", "tests/**", "docs/**"]
"""
STATE = """\
revision = 3
updated_at = 2026-11-24T09:00:00Z
active_workblock = "WB-031"
"""


def git(root: Path, *arguments: str) -> str:
    """Run git in ``root`` with a fixed identity; return stdout."""
    environment = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_SYSTEM": os.devnull,
    }
    completed = subprocess.run(
        ["git", "-C", str(root), *arguments],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    return completed.stdout.strip()


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def make_relay(project: Path) -> None:
    """``.relay/`` with an authorized card and a matching state (kept out of git by default)."""
    write(project, f".relay/cards/{WB}.toml", CARD)
    write(project, ".relay/state.toml", STATE)
    (project / ".relay" / "reports").mkdir(parents=True, exist_ok=True)
    authorize_card(Workspace(project), WB, actor="human:tester", now=NOW)


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    """A repository whose top is the project root, with one base commit."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, "src/config.py", "VALUES = {}\n")
    write(root, "src/app.py", "print('hi')\n")
    write(root, "tests/test_config.py", "def test_nothing():\n    pass\n")
    write(root, ".gitignore", "build/\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    base = git(root, "rev-parse", "HEAD")
    make_relay(root)
    return root, base


def report(project: Path, files: list[str], base_commit: str | None, name: str = "r.md") -> Path:
    """Write a report that passes every other rule and return its path."""
    listed = ", ".join(f'"{item}"' for item in files)
    base_line = f'base_commit = "{base_commit}"\n' if base_commit is not None else ""
    text = (
        "+++\n"
        f'workblock = "{WB}"\n'
        'title = "Parse config files"\n'
        'outcome = "completed"\n'
        "state_revision = 3\n"
        f"files_changed = [{listed}]\n"
        f"{base_line}"
        "+++\n\n"
        "## Summary\nConfig values are read from config.toml.\n\n"
        "## Changes\n- `src/config.py:1` parses the file.\n\n"
        "## Tests\n- ✅ `pytest -q` — 3 passed\n"
    )
    path = project / ".relay" / "reports" / name
    path.write_text(text, encoding="utf-8")
    return path


def check(project: Path, path: Path) -> Verdict:
    return validate_path(path, ProjectSnapshot.load(Workspace(project)), now=NOW)


def git_findings(verdict: Verdict) -> list[Any]:
    return [item for item in verdict.findings if item.rule.startswith("GIT-")]


def test_declared_changes_match_git_pass(repo: tuple[Path, str]) -> None:
    root, base = repo
    write(root, "src/config.py", "VALUES = {'a': 1}\n")  # modified, not staged
    write(root, "tests/test_load.py", "def test_load():\n    pass\n")  # untracked
    write(root, "build/out.txt", "ignored by .gitignore\n")
    verdict = check(root, report(root, ["src/config.py", "tests/test_load.py"], base))
    assert git_findings(verdict) == []
    assert verdict.label == Label.PASS


def test_changed_file_not_declared_warns(repo: tuple[Path, str]) -> None:
    root, base = repo
    write(root, "src/config.py", "VALUES = {'a': 1}\n")
    write(root, "src/app.py", "print('changed quietly')\n")
    git(root, "add", "src/app.py")  # staged changes count too
    verdict = check(root, report(root, ["src/config.py"], base))
    findings = git_findings(verdict)
    assert [item.rule for item in findings] == ["GIT-001"]
    assert "src/app.py" in findings[0].message and "src/config.py" not in findings[0].message
    assert findings[0].severity.name == "warning"
    assert verdict.label == Label.PASS_WITH_WARNING
    assert verdict.message is not None and "GIT-001" in verdict.message


def test_declared_file_not_changed_warns(repo: tuple[Path, str]) -> None:
    root, base = repo
    write(root, "src/config.py", "VALUES = {'a': 1}\n")
    verdict = check(root, report(root, ["src/config.py", "tests/test_config.py"], base))
    findings = git_findings(verdict)
    assert [item.rule for item in findings] == ["GIT-002"]
    assert "tests/test_config.py" in findings[0].message
    assert verdict.label == Label.PASS_WITH_WARNING


def test_committed_deleted_and_renamed_files_count(repo: tuple[Path, str]) -> None:
    root, base = repo
    git(root, "mv", "src/app.py", "src/main.py")
    git(root, "commit", "-q", "-m", "rename")
    (root / "tests" / "test_config.py").unlink()
    verdict = check(root, report(root, ["src/main.py"], base))
    findings = git_findings(verdict)
    assert [item.rule for item in findings] == ["GIT-001"]
    assert "'src/app.py'" in findings[0].message
    assert "'tests/test_config.py'" in findings[0].message
    complete = ["src/main.py", "src/app.py", "tests/test_config.py"]
    assert git_findings(check(root, report(root, complete, base, "r2.md"))) == []


def test_relay_files_and_the_report_itself_are_not_work(repo: tuple[Path, str]) -> None:
    root, base = repo
    git(root, "add", "-f", ".relay")  # even tracked relay files are the relay's own
    git(root, "commit", "-q", "-m", "relay files")
    write(root, "src/config.py", "VALUES = {'a': 1}\n")
    outside = root / "REPORT.md"
    outside.write_bytes(report(root, ["src/config.py"], base).read_bytes())
    verdict = check(root, outside)
    assert git_findings(verdict) == []


def test_unicode_and_spaces_in_paths(repo: tuple[Path, str]) -> None:
    root, base = repo
    write(root, "docs/notes über config.md", "# Notes\n")
    verdict = check(root, report(root, ["docs/notes über config.md"], base))
    assert git_findings(verdict) == []


def test_declared_folder_covers_its_files(repo: tuple[Path, str]) -> None:
    root, base = repo
    write(root, "docs/a.md", "a\n")
    write(root, "docs/b.md", "b\n")
    verdict = check(root, report(root, ["docs/"], base))
    assert git_findings(verdict) == []


def test_unknown_base_commit_warns(repo: tuple[Path, str]) -> None:
    root, _ = repo
    write(root, "src/config.py", "VALUES = {'a': 1}\n")
    verdict = check(
        root, report(root, ["src/config.py"], "0123456789abcdef0123456789abcdef01234567")
    )
    findings = git_findings(verdict)
    assert [item.rule for item in findings] == ["GIT-003"]
    assert verdict.label == Label.PASS_WITH_WARNING


@pytest.mark.parametrize("base", ["--output=pwned.txt", "-h", "HEAD; touch pwned.txt", "a\nb"])
def test_option_or_shell_shaped_base_commit_is_never_run(repo: tuple[Path, str], base: str) -> None:
    root, _ = repo
    path = report(root, ["src/config.py"], base.replace("\n", "\\n"))
    verdict = check(root, path)
    assert [item.rule for item in git_findings(verdict)] == ["GIT-003"]
    assert not (root / "pwned.txt").exists()
    assert not list(root.parent.glob("pwned*"))


def test_symbolic_base_commit_is_resolved(repo: tuple[Path, str]) -> None:
    root, _ = repo
    git(root, "tag", "v1")
    write(root, "src/config.py", "VALUES = {'a': 1}\n")
    assert git_findings(check(root, report(root, ["src/config.py"], "v1"))) == []


def test_no_base_commit_means_no_git_check(repo: tuple[Path, str]) -> None:
    root, _ = repo
    write(root, "src/app.py", "print('undeclared')\n")
    verdict = check(root, report(root, ["tests/test_config.py"], None))
    assert git_findings(verdict) == []
    assert verdict.label == Label.PASS


def test_project_below_the_top_of_a_work_tree_is_not_checked(tmp_path: Path) -> None:
    top = tmp_path / "mono"
    project = top / "services" / "api"
    project.mkdir(parents=True)
    git(top, "init", "-q", "-b", "main")
    write(project, "src/config.py", "VALUES = {}\n")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "base")
    base = git(top, "rev-parse", "HEAD")
    make_relay(project)
    write(project, "src/app.py", "print('undeclared')\n")
    verdict = check(project, report(project, ["tests/never_changed.py"], base))
    assert git_findings(verdict) == []
    assert git_rule.is_work_tree_top(top)
    assert not git_rule.is_work_tree_top(project)


def test_not_a_repository_is_not_checked(tmp_path: Path) -> None:
    project = tmp_path / "plain"
    project.mkdir()
    make_relay(project)
    verdict = check(project, report(project, ["src/config.py"], "abc1234"))
    assert git_findings(verdict) == []
    assert verdict.label == Label.PASS


def test_disabled_in_config(repo: tuple[Path, str]) -> None:
    root, base = repo
    write(root, ".relay/config.toml", '[rules]\ndisabled = ["GIT"]\n')
    write(root, "src/app.py", "print('undeclared')\n")
    verdict = check(root, report(root, ["src/config.py"], base))
    assert git_findings(verdict) == []


def test_missing_git_binary_is_no_crash(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, base = repo
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    write(root, "src/app.py", "print('undeclared')\n")
    verdict = check(root, report(root, ["src/config.py"], base))
    assert git_findings(verdict) == []


def fake_git(folder: Path, body: str) -> None:
    """A ``git`` on PATH that answers ``--show-toplevel`` with the -C folder, then ``body``."""
    folder.mkdir()
    script = folder / "git"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys, time\n"
        "args = sys.argv[1:]\n"
        "if '--show-toplevel' in args:\n"
        "    print(args[args.index('-C') + 1])\n"
        "    sys.exit(0)\n" + body,
        encoding="utf-8",
    )
    script.chmod(0o755)


def test_git_that_hangs_times_out_with_an_info(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, base = repo
    fake_git(tmp_path / "slow-bin", "time.sleep(30)\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'slow-bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(git_rule, "GIT_TIMEOUT_SECONDS", 0.5)
    verdict = check(root, report(root, ["src/config.py"], base))
    findings = git_findings(verdict)
    assert [item.rule for item in findings] == ["GIT-004"]
    assert findings[0].severity.name == "info"
    assert verdict.label == Label.PASS


def test_git_that_fails_midway_is_an_info(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, base = repo
    fake_git(
        tmp_path / "broken-bin",
        "if 'rev-parse' in args:\n    print('0' * 40)\n    sys.exit(0)\n"
        "sys.stderr.write('fatal: bad object\\n')\nsys.exit(128)\n",
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'broken-bin'}{os.pathsep}{os.environ['PATH']}")
    verdict = check(root, report(root, ["src/config.py"], base))
    assert [item.rule for item in git_findings(verdict)] == ["GIT-004"]
    assert verdict.label == Label.PASS


def test_long_lists_are_cut_in_the_message(repo: tuple[Path, str]) -> None:
    root, base = repo
    for index in range(25):
        write(root, f"src/gen_{index:02d}.py", "x = 1\n")
    verdict = check(root, report(root, ["src/config.py"], base))
    findings = git_findings(verdict)
    assert [item.rule for item in findings] == ["GIT-001", "GIT-002"]
    assert "25 file(s)" in findings[0].message and "and 15 more" in findings[0].message


def test_importing_the_rule_does_not_import_subprocess() -> None:
    code = "import sys\nimport relay_tui.core.rules.git\nprint('subprocess' in sys.modules)\n"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "False"
