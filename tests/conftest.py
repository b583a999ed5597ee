"""Shared pytest fixtures. Keep this file small and app-agnostic; helpers live in *_fixtures.py."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def tui_project_dir(tmp_path: Path) -> Path:
    """An empty folder named ``demo`` (the TUI shows the project's name, so it is fixed)."""
    folder = tmp_path / "demo"
    folder.mkdir()
    return folder
