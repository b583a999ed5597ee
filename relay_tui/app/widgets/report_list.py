"""The list of reports, newest first, each with its label in colour; superseded ones marked.

A small Line API widget (two rows per report) rather than an ``OptionList``: it is redrawn
every time a report lands, and drawing plain segments keeps that within a frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from relay_tui.app.presentation import LABEL_STYLES

if TYPE_CHECKING:
    from relay_tui.app.watcher import ReportEntry

ROWS_PER_REPORT = 2


class ReportList(ScrollView, can_focus=True):
    """Reports newest first; moving the highlight chooses a report for review."""

    BINDINGS = [
        Binding("up,k", "move(-1)", "Previous report", show=False, id="reports-previous"),
        Binding("down,j", "move(1)", "Next report", show=False, id="reports-next"),
        Binding("home", "move_to(0)", "Newest report", show=False, id="reports-newest"),
        Binding("end", "move_to(-1)", "Oldest report", show=False, id="reports-oldest"),
    ]

    COMPONENT_CLASSES = {
        "report-list--cursor",
        "report-list--muted",
        "report-list--superseded",
        "report-list--relayed",
    }

    DEFAULT_CSS = """
    ReportList {
        overflow-x: hidden;
        overflow-y: auto;
    }
    ReportList > .report-list--cursor {
        background: $block-cursor-blurred-background;
    }
    ReportList:focus > .report-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    ReportList > .report-list--muted {
        color: $text-muted;
    }
    ReportList > .report-list--superseded {
        color: $text-muted;
        text-style: italic;
    }
    ReportList > .report-list--relayed {
        color: $text-success;
    }
    """

    @dataclass
    class ReportChosen(Message):
        """The user moved to another report in the list."""

        path: Path

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.entries: tuple[ReportEntry, ...] = ()
        self.cursor: int | None = None
        self._row_keys: list[tuple[object, ...]] = []
        self._styles: dict[str, Style] = {}

    # --- data --------------------------------------------------------------------------------

    def show(self, entries: tuple[ReportEntry, ...], selected: Path | None) -> None:
        """Take the entries (redrawn only when they changed) and put the cursor on ``selected``."""
        keys = [_row_key(entry) for entry in entries]
        if keys != self._row_keys:
            self._row_keys = keys
            self.entries = entries
            self.virtual_size = Size(self.size.width, max(len(entries), 1) * ROWS_PER_REPORT)
            self.refresh()
        self.highlight_path(selected)

    def highlight_path(self, path: Path | None) -> None:
        """Move the cursor to ``path`` (without announcing a new choice)."""
        index = next((i for i, entry in enumerate(self.entries) if entry.path == path), None)
        if index != self.cursor:
            self.cursor = index
            self.refresh()
        self._scroll_to_cursor()

    @property
    def highlighted_path(self) -> Path | None:
        """The path under the cursor."""
        if self.cursor is None or not 0 <= self.cursor < len(self.entries):
            return None
        return self.entries[self.cursor].path

    # --- input -------------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        """Move the cursor by ``step`` reports."""
        if not self.entries:
            return
        start = self.cursor if self.cursor is not None else (-1 if step > 0 else len(self.entries))
        self._choose(max(0, min(len(self.entries) - 1, start + step)))

    def action_move_to(self, index: int) -> None:
        """Move the cursor to a report by index (negative counts from the end)."""
        if self.entries:
            self._choose(index % len(self.entries))

    def on_click(self, event: events.Click) -> None:
        row = event.y + self.scroll_offset.y
        index = row // ROWS_PER_REPORT
        if 0 <= index < len(self.entries):
            self.focus()
            self._choose(index)

    def _choose(self, index: int) -> None:
        if index != self.cursor:
            self.cursor = index
            self.refresh()
            self._scroll_to_cursor()
            self.post_message(self.ReportChosen(self.entries[index].path))

    def _scroll_to_cursor(self) -> None:
        if self.cursor is not None:
            top = self.cursor * ROWS_PER_REPORT
            self.scroll_to_region(
                Region(0, top, max(self.size.width, 1), ROWS_PER_REPORT), animate=False
            )

    # --- drawing -----------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        base = self.rich_style
        self._styles = {
            "base": base,
            "cursor": base + self.get_component_rich_style("report-list--cursor"),
        }
        for name in ("report-list--muted", "report-list--superseded", "report-list--relayed"):
            # Resolved against the background (``$text-muted`` is a blend), then only the
            # foreground is kept so the cursor row keeps its own background.
            full = self.get_component_rich_style(name)
            self._styles[name] = Style(color=full.color, bold=full.bold, italic=full.italic)
        variables = self.app.theme_variables
        for label, spec in LABEL_STYLES.items():
            self._styles[label] = _parse_label_style(spec, variables)
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        styles = self._styles
        row = self.scroll_offset.y + y
        index, part = divmod(row, ROWS_PER_REPORT)
        row_style = styles["cursor"] if index == self.cursor else styles["base"]
        if not self.entries:
            text = " No reports yet." if row == 0 else ""
            muted = row_style + styles["report-list--muted"]
            return Strip([Segment(text, muted)]).extend_cell_length(width, row_style)
        if index >= len(self.entries):
            return Strip.blank(width, styles["base"])
        entry = self.entries[index]
        segments: list[Segment]
        if part == 0:
            label = entry.label
            if label is None:
                segments = [Segment(" arriving…", row_style + styles["report-list--muted"])]
            else:
                segments = [
                    Segment(" ", row_style),
                    Segment(label, row_style + styles.get(label, Style())),
                ]
            if not entry.current:
                superseded = row_style + styles["report-list--superseded"]
                segments.append(Segment("  superseded", superseded))
            if entry.relayed:
                segments.append(Segment("  relayed ✓", row_style + styles["report-list--relayed"]))
        else:
            name_style = row_style
            if not entry.current:
                name_style = row_style + styles["report-list--muted"]
            segments = [Segment(" " + entry.display_name, name_style)]
        return Strip(segments).extend_cell_length(width, row_style).crop(0, width)


def _row_key(entry: ReportEntry) -> tuple[object, ...]:
    return (entry.path, entry.label, entry.current, entry.relayed, entry.mtime_ns)


def _parse_label_style(spec: str, variables: dict[str, str]) -> Style:
    """A ``LABEL_STYLES`` spec (``bold $text-success``) as a Rich style for this theme."""
    words = []
    for word in spec.split():
        if word.startswith("$"):
            value = variables.get(word[1:])
            if value is None:
                continue
            word = value
        words.append(word)
    try:
        return Style.parse(" ".join(words))
    except Exception:  # noqa: BLE001 - an unknown theme colour falls back to bold
        return Style(bold=True)
