"""A fast read-only text view (Line API): soft-wrapped rows, optional line numbers, a marked line.

Text must already be sanitized: this widget draws it as plain segments, never as markup.
It replaces ``TextArea`` for the report and the message because it renders a frame several
times faster (a report that lands must be on screen within a blink).
"""

from __future__ import annotations

import bisect
import re

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from rich.style import Style
from textual.events import Resize
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

_WORDS = re.compile(r"\S+\s*|\s+")


def wrap_cells(line: str, width: int) -> list[str]:
    """Greedy word wrap of one line to ``width`` cells; words longer than a row are cut."""
    if width <= 0 or (len(line) <= width and line.isascii()) or cell_len(line) <= width:
        return [line]
    rows: list[str] = []
    current, used = "", 0
    for word in _WORDS.findall(line):
        needed = cell_len(word.rstrip()) or cell_len(word)
        if used + needed <= width:
            current += word
            used += cell_len(word)
            continue
        if current:
            rows.append(current)
            current, used = "", 0
        while cell_len(word.rstrip()) > width:
            pieces = chop_cells(word, width)
            rows.extend(pieces[:-1])
            word = pieces[-1]
        current, used = word, cell_len(word)
    if current or not rows:
        rows.append(current)
    return rows


class LineView(ScrollView, can_focus=True):
    """Shows lines of text; ``mark_line`` highlights one and scrolls it to the middle."""

    COMPONENT_CLASSES = {"line-view--gutter", "line-view--marked"}

    DEFAULT_CSS = """
    LineView {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
    }
    LineView > .line-view--gutter {
        color: $text-muted;
    }
    LineView > .line-view--marked {
        background: $accent 35%;
        text-style: bold;
    }
    """

    def __init__(self, *, line_numbers: bool = False, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.line_numbers = line_numbers
        self.marked_line: int | None = None
        """The 1-based line that is marked, if any."""
        self._lines: list[str] = []
        self._rows: list[tuple[int, bool, str]] = []
        self._first_rows: list[int] = []
        self._wrapped_width = -1
        self._digest: object = None
        self._styles: tuple[Style, Style, Style] = (Style(), Style(), Style())

    @property
    def text(self) -> str:
        """The text shown (tabs expanded)."""
        return "\n".join(self._lines)

    @property
    def line_count(self) -> int:
        """Number of text lines."""
        return len(self._lines)

    def show_text(self, text: str, digest: object = None) -> None:
        """Show ``text`` (already sanitized); skipped when ``digest`` says it is already shown."""
        if digest is not None and digest == self._digest:
            return
        self._digest = digest if digest is not None else object()
        self._lines = [line.expandtabs(4) for line in text.split("\n")]
        self.marked_line = None
        self._wrapped_width = -1
        self._rewrap()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def _gutter_width(self) -> int:
        return len(str(max(len(self._lines), 1))) + 1 if self.line_numbers else 0

    def _rewrap(self) -> None:
        width = self.scrollable_content_region.width - self._gutter_width()
        if width == self._wrapped_width and self._rows:
            return
        self._wrapped_width = width
        rows: list[tuple[int, bool, str]] = []
        first_rows: list[int] = []
        for index, line in enumerate(self._lines):
            first_rows.append(len(rows))
            for part, piece in enumerate(wrap_cells(line, width)):
                rows.append((index, part == 0, piece))
        self._rows = rows
        self._first_rows = first_rows
        self.virtual_size = Size(max(width + self._gutter_width(), 0), len(rows))

    def on_resize(self, event: Resize) -> None:
        self._rewrap()
        self.refresh()

    def mark_line(self, line: int | None) -> None:
        """Highlight the 1-based ``line`` and scroll it into the middle (None: unmark)."""
        if line is None or not 1 <= line <= len(self._lines):
            self.marked_line = None
            self.refresh()
            return
        self.marked_line = line
        row = self._first_rows[line - 1] if line - 1 < len(self._first_rows) else 0
        self.scroll_to(y=max(0, row - self.scrollable_content_region.height // 2), animate=False)
        self.refresh()

    def row_of_line(self, line: int) -> int:
        """The first display row of a 1-based line."""
        return self._first_rows[line - 1]

    def line_of_row(self, row: int) -> int:
        """The 1-based line shown on a display row."""
        return bisect.bisect_right(self._first_rows, row)

    def render_lines(self, crop: Region) -> list[Strip]:
        base = self.rich_style
        self._styles = (
            base,
            base + self.get_component_rich_style("line-view--gutter"),
            base + self.get_component_rich_style("line-view--marked"),
        )
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row_index = self.scroll_offset.y + y
        base, gutter_style, marked_style = self._styles
        if row_index >= len(self._rows):
            return Strip.blank(width, base)
        index, first, text = self._rows[row_index]
        style = base
        if self.marked_line is not None and index == self.marked_line - 1:
            style = marked_style
        segments = []
        gutter_width = self._gutter_width()
        if gutter_width:
            number = f"{index + 1:>{gutter_width - 1}} " if first else " " * gutter_width
            segments.append(Segment(number, gutter_style))
        segments.append(Segment(text, style))
        return Strip(segments).extend_cell_length(width, style).crop(0, width)
