"""``relay-tui init`` through the installed console script: skeleton, idempotence, user files."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from relay_tui.core.models import Config, RuleSettings, State
from relay_tui.core.workspace import load_config

RELAY_TUI = Path(sys.executable).with_name("relay-tui")
FOLDERS = ("cards", "reports", "outbox", "receipts", "sources", "chains")


def run_init(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "RELAY_TUI_CONFIG"}
    return subprocess.run(
        [str(RELAY_TUI), "init", *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=60,
    )


def snapshot(root: Path) -> dict[str, tuple[str, bytes | str, int]]:
    """Every entry under ``root``: kind, bytes (or link target) and mtime in nanoseconds."""
    entries: dict[str, tuple[str, bytes | str, int]] = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        key = path.relative_to(root).as_posix()
        if path.is_symlink():
            entries[key] = ("link", os.readlink(path), info.st_mtime_ns)
        elif path.is_dir():
            entries[key] = ("dir", "", info.st_mtime_ns)
        else:
            entries[key] = ("file", path.read_bytes(), info.st_mtime_ns)
    return entries


@pytest.fixture(scope="module")
def fresh(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    project = tmp_path_factory.mktemp("init") / "new-project"
    return project, run_init(str(project))


def test_init_creates_the_skeleton(fresh: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    project, completed = fresh
    assert completed.returncode == 0, completed.stderr
    relay = project / ".relay"
    for folder in FOLDERS:
        assert (relay / folder).is_dir(), folder
    assert (relay / "config.toml").is_file()
    assert (relay / "state.toml").is_file()
    assert "wrote" in completed.stdout and "config.toml" in completed.stdout
    assert not list(relay.glob("*.tmp")) and not list(relay.glob(".*.tmp"))


def test_config_writes_out_every_default(
    fresh: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    project, _ = fresh
    path = project / ".relay" / "config.toml"
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    assert set(table) == set(Config.model_fields), "every config key is written out"
    assert set(table["rules"]) == set(RuleSettings.model_fields)
    assert Config.model_validate(table) == Config()
    assert load_config(path) == Config()
    text = path.read_text(encoding="utf-8")
    assert text.count("\n# ") + text.startswith("# ") >= len(Config.model_fields), "commented"


def test_state_is_valid_and_fresh(fresh: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    project, _ = fresh
    state = State.model_validate(
        tomllib.loads((project / ".relay" / "state.toml").read_text(encoding="utf-8"))
    )
    assert state.revision == 1
    assert state.updated_at.tzinfo is not None
    assert state.hold is False


def test_second_run_leaves_every_file_byte_identical(tmp_path: Path) -> None:
    project = tmp_path / "p"
    assert run_init(str(project)).returncode == 0
    before = snapshot(project)
    second = run_init(str(project))
    assert second.returncode == 0, second.stderr
    assert snapshot(project) == before
    assert "wrote" not in second.stdout and "created" not in second.stdout
    assert second.stdout.count("kept") == 2


def test_default_project_is_the_current_folder(tmp_path: Path) -> None:
    completed = run_init(cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert (tmp_path / ".relay" / "config.toml").is_file()


def test_users_existing_files_are_never_touched(tmp_path: Path) -> None:
    project = tmp_path / "theirs"
    relay = project / ".relay"
    (relay / "cards").mkdir(parents=True)
    (project / "src").mkdir()
    own = {
        ".relay/config.toml": 'reports_dir = "inbox"\nstale_after = "2d"  # ours\n',
        ".relay/state.toml": "revision = 41\nupdated_at = 2026-01-02T03:04:05Z\n",
        ".relay/cards/WB-7.toml": 'id = "WB-7"\ntitle = "ours"\n',
        "README.md": "# Our project\n",
        "src/main.py": "print('ours')\n",
        ".gitignore": "build/\n",
    }
    for relative, text in own.items():
        (project / relative).write_text(text, encoding="utf-8")
    agents = "# Our agent rules\n\nBe brief.\n"
    (project / "AGENTS.md").write_text(agents, encoding="utf-8")
    before = snapshot(project)
    completed = run_init(str(project))
    assert completed.returncode == 0, completed.stderr
    after = snapshot(project)
    for relative in own:
        assert after[relative] == before[relative], relative
    # The Codex instructions (a later issue) may add one delimited section to AGENTS.md,
    # never change the user's own text.
    assert agents in (project / "AGENTS.md").read_text(encoding="utf-8")
    for folder in FOLDERS:
        assert (relay / folder).is_dir()


def test_a_dangling_symlink_is_not_written_through(tmp_path: Path) -> None:
    project = tmp_path / "p"
    relay = project / ".relay"
    relay.mkdir(parents=True)
    target = tmp_path / "elsewhere.toml"
    (relay / "config.toml").symlink_to(target)
    completed = run_init(str(project))
    assert completed.returncode == 0, completed.stderr
    assert not target.exists(), "init wrote through a symlink to a file outside the project"
    assert (relay / "config.toml").is_symlink()
    assert (relay / "state.toml").is_file()


def test_a_file_where_a_folder_belongs_is_kept_and_reported(tmp_path: Path) -> None:
    project = tmp_path / "p"
    relay = project / ".relay"
    relay.mkdir(parents=True)
    (relay / "outbox").write_text("not a folder\n", encoding="utf-8")
    completed = run_init(str(project))
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    assert (relay / "outbox").read_text(encoding="utf-8") == "not a folder\n"
    assert "outbox" in completed.stdout
    assert (relay / "config.toml").is_file() and (relay / "reports").is_dir()
