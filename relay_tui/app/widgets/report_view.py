"""The report pane: the sanitized report with line numbers; a finding's line can be marked."""

from __future__ import annotations

from relay_tui.app.widgets.line_view import LineView


class ReportView(LineView):
    """The report text (already redacted and sanitized by the core), one number per file line."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(line_numbers=True, **kwargs)
