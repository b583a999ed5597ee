"""Shown when the folder holds no ``.relay/``: what is missing and how to create it."""

from __future__ import annotations

import os
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from relay_tui.core.sanitize import sanitize_line


class NoProjectScreen(Screen[None]):
    """Explains that ``relay-tui init`` creates the workspace, and offers to run it now."""

    BINDINGS = [
        Binding(
            "i",
            "init",
            "Initialize here",
            tooltip="Run relay-tui init here: writes a .relay/ skeleton, changes nothing else",
            id="init-project",
        ),
        # The app's abort is not offered here (nothing to abort); its key still answers.
        Binding(
            "x,ctrl+x",
            "nothing_to_abort",
            "Abort",
            show=False,
            tooltip="There is nothing to abort without a .relay/ folder",
            id="no-project-abort",
        ),
    ]

    def __init__(self, project: Path) -> None:
        super().__init__()
        self.project = project

    def compose(self) -> ComposeResult:
        shown = sanitize_line(_shown_path(self.project), 200)
        with Center(), Vertical(id="no-project"):
            yield Static(Content.styled("No relay workspace here", "bold"), id="no-project-title")
            yield Static(
                Content.assemble(
                    "The folder ",
                    (shown, "bold"),
                    " holds no ",
                    (".relay/", "bold"),
                    " folder, so there are no cards, state or reports to review.\n\n",
                    "Create one with:\n\n    ",
                    (f"relay-tui init {shown}", "bold $accent"),
                    "\n\nor press ",
                    ("i", "bold"),
                    " to do it now, then point Codex at .relay/reports/. Press ",
                    ("q", "bold"),
                    " to quit.",
                ),
                id="no-project-body",
            )
        yield Footer()

    def action_nothing_to_abort(self) -> None:
        """Say why x does nothing here."""
        self.notify("Nothing to abort: this folder holds no .relay/.", markup=False)

    def action_init(self) -> None:
        """Write the skeleton (existing files are left byte-identical) and open the review."""
        from relay_tui.core.init import init_project

        try:
            for _line in init_project(self.project):
                pass
        except OSError as error:
            self.notify(
                f"relay-tui init failed: {sanitize_line(str(error), 200)}",
                severity="error",
                markup=False,
            )
            return
        self.app.call_later(self.app.open_project)  # type: ignore[attr-defined]


def _shown_path(project: Path) -> str:
    """The folder as the user would type it: relative to the current folder when inside it."""
    try:
        relative = project.relative_to(Path.cwd())
    except ValueError:
        return str(project)
    return "." if relative == Path(".") else f".{os.sep}{relative}"
