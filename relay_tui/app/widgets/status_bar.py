"""The status bar: project, state revision and age, active workblock, and the label, large."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static

from relay_tui.app.presentation import ALL_LABEL_CLASSES, humanize_age, label_class
from relay_tui.core.sanitize import sanitize_line

if TYPE_CHECKING:
    from relay_tui.app.watcher import ReportEntry
    from relay_tui.core.validate import ProjectSnapshot


class StatusBar(Horizontal):
    """Two lines about the project and the selected report, and the label box on the right."""

    def compose(self) -> ComposeResult:
        yield Static(Content("relay-tui · reading the project…"), id="status-info")
        yield Static(Content("loading…"), id="status-label", classes="-none")

    def show(
        self,
        *,
        project_name: str,
        snapshot: ProjectSnapshot | None,
        entry: ReportEntry | None,
        now: dt.datetime,
        problem: str | None = None,
        loading: bool = False,
    ) -> None:
        """Render the project line, the report line, any problem, and the label box.

        ``loading``: the first scan has not arrived yet, so nothing is known about the state
        or the reports (not "no state file", not "no report").
        """
        project = Content.assemble(("relay-tui", "bold"), " · project ", (project_name, "bold"))
        state = snapshot.state if snapshot is not None else None
        if loading:
            lines = [
                project + Content.styled(" · reading the project…", "$text-muted"),
                Content.styled("Reading the reports folder…", "$text-muted"),
            ]
            if problem:
                lines.append(Content.styled("⚠ " + sanitize_line(problem, 300), "bold $text-error"))
            self.query_one("#status-info", Static).update(Content("\n").join(lines))
            box = self.query_one("#status-label", Static)
            box.update(Content("loading…"))
            box.remove_class(*ALL_LABEL_CLASSES)
            box.add_class(label_class(None))
            return
        if snapshot is not None and snapshot.state_error is not None:
            project += Content.styled(" · state file unreadable", "bold $text-error")
        elif state is None:
            project += Content.styled(" · no state file", "$text-warning")
        else:
            age = humanize_age(now - state.updated_at)
            project += Content.assemble(
                " · state revision ",
                (str(state.revision), "bold"),
                f" (updated {age})",
                " · active ",
                (sanitize_line(state.active_workblock or "none", 64), "bold"),
            )
            if state.hold:
                project += Content.styled(" · PROJECT ON HOLD", "bold $text-secondary")
        lines = [project, self._report_line(entry)]
        if problem:
            lines.append(Content.styled("⚠ " + sanitize_line(problem, 300), "bold $text-error"))
        self.query_one("#status-info", Static).update(Content("\n").join(lines))
        box = self.query_one("#status-label", Static)
        if entry is None:
            box.update(Content("NO REPORT"))
        elif entry.verdict is None:
            box.update(Content("ARRIVING…"))
        else:
            box.update(Content(entry.verdict.label.value))
        box.remove_class(*ALL_LABEL_CLASSES)
        box.add_class(
            label_class(entry.label if entry else None, entry is not None and entry.verdict is None)
        )

    @staticmethod
    def _report_line(entry: ReportEntry | None) -> Content:
        if entry is None:
            return Content.styled("No report selected; waiting for one to arrive.", "$text-muted")
        line = Content.assemble(("report ", "$text-muted"), (entry.display_name, "bold"))
        verdict = entry.verdict
        if verdict is None:
            return line + Content.styled(" · arriving…", "$text-muted")
        from relay_tui.core.secrets import redact_secrets
        from relay_tui.core.validate import report_identity

        workblock, version = report_identity(verdict)
        if workblock is not None:
            line += Content(f" · {sanitize_line(redact_secrets(workblock), 64)} v{version}")
        line += Content(" · current" if entry.current else " · superseded")
        if verdict.on_hold:
            line += Content.styled(" · ON HOLD", "bold $text-secondary")
        if entry.relayed:
            line += Content.styled(" · relayed ✓", "bold $text-success")
        return line
