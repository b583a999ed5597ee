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
_NON_SPACE = re.compile(r"[^ ]")


def wrap_cells(line: str, width: int) -> list[str]:
    """Greedy word wrap of one line to ``width`` cells; words longer than a row are cut."""
    if width <= 0 or (len(line) <= width and line.isascii()) or cell_len(line) <= width:
        return [line]
    if line.isascii() and line.isprintable():
        return _wrap_printable_ascii(line, width)
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


def _after_spaces(line: str, index: int) -> int:
    """The index of the first character at or after ``index`` that is not a space."""
    found = _NON_SPACE.search(line, index)
    return found.start() if found is not None else len(line)


def _wrap_printable_ascii(line: str, width: int) -> list[str]:
    """``wrap_cells`` for printable ASCII (one cell a character, spaces the only blanks).

    The same rows as the word-by-word loop, found by jumping from row to row with ``find``:
    a 4 MiB report wraps in a fifth of the time, so selecting it does not stall the screen.
    """
    n = len(line)
    rows: list[str] = []
    start = 0  # where the row being filled starts
    at = _after_spaces(line, 0)  # the next word (leading blanks are a token of their own)
    while at < n:
        limit = start + width
        if limit >= n:
            break
        if at <= limit:
            # Every word that ends by ``limit`` fits: skip to the first one that does not.
            if line[limit] == " ":
                at = _after_spaces(line, limit)
                if at >= n:
                    break
            else:
                space = line.rfind(" ", at, limit)
                if space >= 0:
                    at = space + 1
        if start < at:
            rows.append(line[start:at])
        space = line.find(" ", at)
        word_end = space if space >= 0 else n
        token_end = _after_spaces(line, word_end)
        if word_end - at > width:
            # A word longer than a row is cut into rows (with its trailing blanks).
            pieces = -(-(token_end - at) // width)
            rows.extend(line[at + k * width : at + (k + 1) * width] for k in range(pieces - 1))
            start = at + (pieces - 1) * width
        else:
            start = at
        at = token_end
    if start < n or not rows:
        rows.append(line[start:])
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
        self._numbered = True

    @property
    def text(self) -> str:
        """The text shown (tabs expanded)."""
        return "\n".join(self._lines)

    @property
    def line_count(self) -> int:
        """Number of text lines."""
        return len(self._lines)

    def shows(self, digest: object) -> bool:
        """True when the text known by ``digest`` is the one on screen."""
        return digest is not None and digest == self._digest

    def show_text(self, text: str, digest: object = None, *, numbered: bool = True) -> None:
        """Show ``text`` (already sanitized); skipped when ``digest`` says it is already shown.

        ``numbered=False`` leaves out the line numbers (a note, not file lines)."""
        if digest is not None and digest == self._digest:
            return
        self._digest = digest if digest is not None else object()
        self._numbered = numbered
        self._lines = [line.expandtabs(4) for line in text.split("\n")]
        self.marked_line = None
        self._wrapped_width = -1
        self._rewrap()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def _gutter_width(self) -> int:
        if not (self.line_numbers and self._numbered):
            return 0
        return len(str(max(len(self._lines), 1))) + 1

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
