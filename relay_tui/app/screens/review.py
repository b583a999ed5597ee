"""The review screen: report list, the report, its findings and the prepared message."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer

from relay_tui.app.widgets.findings import FindingsList
from relay_tui.app.widgets.message_view import MessageView
from relay_tui.app.widgets.report_list import ReportList
from relay_tui.app.widgets.report_view import ReportView
from relay_tui.app.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from relay_tui.app.app import RelayApp
    from relay_tui.app.watcher import ReportEntry, ScanResult


STATUS_REFRESH_SECONDS = 30.0
NARROW_COLUMNS = 120
"""Under this width the screen gets the ``-narrow`` layout (``RelayApp.HORIZONTAL_BREAKPOINTS``)."""


class ReviewScreen(Screen[None]):
    """Three panes over the selected report; the list follows new reports as they arrive."""

    BINDINGS = [
        Binding(
            "c",
            "confirm",
            "Confirm",
            tooltip="Open the final confirmation of the selected report's message",
            id="confirm",
        ),
        Binding(
            "a",
            "authorize_card",
            "Authorize card",
            tooltip="Authorize the selected report's workblock card (asks first)",
            id="authorize-card",
        ),
        Binding(
            "r",
            "release_hold",
            "Release hold",
            tooltip="Release the hold on the selected report's workblock (asks first)",
            id="release-hold",
        ),
    ]

    app: RelayApp

    def __init__(self) -> None:
        super().__init__()
        self.selected: Path | None = None
        self.scan: ScanResult | None = None
        self.deferred_arrival: Path | None = None
        self._shown_key: object = None
        self.painted: tuple[Path | None, object] | None = None
        """The report and verdict last painted (read by benchmarks and tests)."""

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="panes"):
            yield ReportList(id="reports")
            yield ReportView(id="report")
            with Vertical(id="right"):
                yield FindingsList(id="findings")
                yield MessageView(id="message")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#reports").border_title = "Reports"
        self.query_one("#report").border_title = "Report"
        self.query_one("#findings").border_title = "Findings"
        self.query_one("#message").border_title = "Message to relay"
        self.query_one(ReportList).focus()
        self.refresh_view()
        # The state's age in the status bar moves on even when no file changes.
        self.set_interval(STATUS_REFRESH_SECONDS, self._refresh_status)

    def on_resize(self, event: Resize) -> None:
        # Under 120 columns the footer drops its padding so every key still fits.
        self.query_one(Footer).compact = event.size.width < NARROW_COLUMNS

    def _refresh_status(self) -> None:
        if self.scan is not None:
            self.query_one(StatusBar).show(
                project_name=self.app.project_name,
                snapshot=self.scan.snapshot,
                entry=self.entry,
                now=self.app.clock(),
                problem=self.scan.folder_error or self.app.problem,
            )

    @property
    def entry(self) -> ReportEntry | None:
        """The selected report as last scanned."""
        return self.scan.entry(self.selected) if self.scan is not None else None

    def chosen_entry(self) -> ReportEntry | None:
        """The report under the list's cursor, made the selection first if it is not yet.

        The list moves its cursor at once but announces the move with a message; a key pressed
        right after ``j`` (``c``, ``a``, ``r``, ``x``) must act on the report the cursor is on,
        not on the one shown before that message is handled.
        """
        path = self.query_one(ReportList).highlighted_path
        if path is not None and path != self.selected and self.scan is not None:
            if self.scan.entry(path) is not None:
                self.selected = path
                self.refresh_view()
        return self.entry

    def show_scan(self, result: ScanResult) -> None:
        """Take a new scan: keep, follow or pick the selection, then redraw what changed."""
        self.scan = result
        entry = result.entry(self.selected)
        if result.first or entry is None:
            newest = result.newest_current()
            self.selected = newest.path if newest is not None else None
        arrivals = [path for path in result.arrived if result.entry(path) is not None]
        if arrivals:
            newest_arrival = max(arrivals, key=lambda path: result.entry(path).mtime_ns)  # type: ignore[union-attr]
            if self.app.confirmation_open:
                self.deferred_arrival = newest_arrival
            else:
                self.selected = newest_arrival
        self._warn_open_confirmation(result)
        self.refresh_view()

    def _warn_open_confirmation(self, result: ScanResult) -> None:
        """An open confirmation whose report was just superseded says so before ``y``."""
        from relay_tui.app.screens.confirm import ConfirmScreen

        dialog = self.app.screen
        if not isinstance(dialog, ConfirmScreen) or not dialog.relayable:
            return
        entry = result.entry(dialog.entry.path)
        if entry is not None and not entry.current and entry.superseded_name is not None:
            dialog.say(
                f"A newer version arrived ({entry.superseded_name}): y will be refused. "
                "Close this dialog (esc) and review the current version.",
                "bold $text-warning",
            )

    def on_screen_resume(self) -> None:
        if self.deferred_arrival is not None and self.scan is not None:
            if self.scan.entry(self.deferred_arrival) is not None:
                self.selected = self.deferred_arrival
            self.deferred_arrival = None
        self.refresh_view()

    def refresh_view(self) -> None:
        """Redraw the list, the status bar and, when the selected verdict changed, the panes."""
        scan = self.scan
        entry = self.entry
        snapshot = scan.snapshot if scan is not None else None
        self.query_one(ReportList).show(scan.entries if scan else (), self.selected)
        problem = scan.folder_error if scan is not None else None
        self.query_one(StatusBar).show(
            project_name=self.app.project_name,
            snapshot=snapshot,
            entry=entry,
            now=self.app.clock(),
            problem=problem or self.app.problem,
            loading=scan is None,
        )
        verdict = entry.verdict if entry is not None else None
        key = (
            scan is None,
            self.selected,
            entry is None,
            verdict.report_sha256 if verdict else None,
            verdict.label if verdict else None,
            verdict.findings if verdict else None,
            verdict.message_sha256 if verdict else None,
            entry.superseded_by if entry is not None else None,
        )
        if key == self._shown_key:
            return
        self._shown_key = key
        self._paint(entry)
        self.refresh_bindings()

    def _paint(self, entry: ReportEntry | None) -> None:
        report = self.query_one(ReportView)
        findings = self.query_one(FindingsList)
        message = self.query_one(MessageView)
        verdict = entry.verdict if entry is not None else None
        if entry is None:
            waiting = "No report yet. Reports Codex writes into the reports folder appear here."
            if self.scan is None:
                waiting = "Reading the reports folder…"
            report.show_text(waiting, ("none", waiting), numbered=False)
            findings.show(None, "No report selected.")
            message.show(None)
        elif verdict is None:
            report.show_text(
                "The report is still being written…", ("arriving", entry.path), numbered=False
            )
            findings.show(None, "Validated once the file is complete.")
            message.show(None, arriving=True)
        else:
            from relay_tui.core.validate import report_display_text

            digest = (entry.path, verdict.report_sha256)
            # Sanitizing a large report costs real time: only when other bytes are shown.
            text = None if report.shows(digest) else report_display_text(verdict)
            if text is not None:
                report.show_text(text, digest)
            elif not report.shows(digest):
                note = verdict.unreadable or "The file was not read (see the findings)."
                report.show_text(note, digest, numbered=False)
            findings.show(verdict.findings)
            message.show(verdict, superseded_by=None if entry.current else entry.superseded_name)
        painted = (entry.path if entry else None, verdict)
        self.call_after_refresh(self._painted, painted)

    def _painted(self, painted: tuple[Path | None, object]) -> None:
        self.painted = painted
        self.app.report_painted(painted[0])

    def on_report_list_report_chosen(self, event: ReportList.ReportChosen) -> None:
        event.stop()
        # The cursor may have moved on since this message was posted (keys typed ahead).
        path = self.query_one(ReportList).highlighted_path or event.path
        if path != self.selected:
            self.selected = path
            self.refresh_view()

    def on_findings_list_finding_chosen(self, event: FindingsList.FindingChosen) -> None:
        event.stop()
        self.query_one(ReportView).mark_line(event.line)

    def action_confirm(self) -> None:
        """Open the confirmation for the selected report (it explains when nothing can go)."""
        self.app.open_confirmation(self.chosen_entry())

    def action_authorize_card(self) -> None:
        """Ask, then authorize the selected report's workblock card."""
        self.app.ask_authorize(self.chosen_entry())

    def action_release_hold(self) -> None:
        """Ask, then release the hold on the selected report's workblock."""
        self.app.ask_release(self.chosen_entry())
