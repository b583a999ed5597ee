"""The findings pane: severity, rule, line and message of each finding, worst visible first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from relay_tui.app.presentation import SEVERITY_STYLES
from relay_tui.core.sanitize import sanitize

if TYPE_CHECKING:
    from relay_tui.core.models import Finding


class FindingsList(OptionList):
    """One option per finding; highlighting one marks its line in the report pane."""

    @dataclass
    class FindingChosen(Message):
        """The user moved to a finding; ``line`` is where it applies (None: the whole report)."""

        line: int | None

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._finding_lines: list[int | None] = []
        self._shown_key: object = None

    def show(self, findings: tuple[Finding, ...] | None, note: str | None = None) -> None:
        """Replace the findings (``None`` with a ``note`` while there is nothing to show)."""
        key = (findings, note)
        if key == self._shown_key:
            return
        self._shown_key = key
        self.clear_options()
        self._finding_lines = []
        self.border_subtitle = ""
        if not findings:
            self.add_option(Option(Content(note or "No findings."), disabled=True))
            return
        self._finding_lines = [item.line for item in findings]
        self.add_options([_option(item) for item in findings])
        self.border_subtitle = f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        index = event.option_index
        if index != self.highlighted or index >= len(self._finding_lines):
            return
        self.post_message(self.FindingChosen(self._finding_lines[index]))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_index < len(self._finding_lines):
            self.post_message(self.FindingChosen(self._finding_lines[event.option_index]))


def _option(finding: Finding) -> Option:
    severity = finding.severity.name
    where = f"line {finding.line}" if finding.line else "whole report"
    head = Content.assemble(
        (f"{severity.upper():<7}", SEVERITY_STYLES.get(severity, "bold")),
        " ",
        (finding.rule, "bold"),
        (f"  {where}", "$text-muted"),
    )
    return Option(head + Content("\n") + Content(sanitize(finding.message, 600)))
