"""The history screen: audit records newest first, one record's detail, the chain's state."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from relay_tui.core.audit import RECORD_FIELDS
from relay_tui.core.sanitize import sanitize, sanitize_line

if TYPE_CHECKING:
    from relay_tui.app.app import RelayApp
    from relay_tui.core.audit import AuditRead

COLUMNS = ("seq", "time (UTC)", "event", "actor", "workblock", "status")
DETAIL_FIELDS = (*RECORD_FIELDS, "hash")


class HistoryScreen(Screen[None]):
    """Every record of ``.relay/audit.jsonl``; records after the first bad one are marked."""

    app: RelayApp

    BINDINGS = [
        Binding(
            "escape,h",
            "back",
            "Back",
            tooltip="Back to the review screen",
            id="history-back",
        ),
        Binding(
            "g",
            "reload",
            "Reload",
            tooltip="Read the audit log again",
            id="history-reload",
        ),
    ]

    @dataclass
    class AuditLoaded(Message):
        """The audit log was read and verified in a thread."""

        records: list[dict[str, Any]]
        read: AuditRead

    def __init__(self, audit_path: Path) -> None:
        super().__init__()
        self.audit_path = audit_path
        self.records: list[dict[str, Any]] = []
        self.read: AuditRead | None = None
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static(Content("Reading the audit log…"), id="history-banner")
        yield Static(Content(""), id="history-target")
        with Vertical(id="history-body"):
            table: DataTable[Text] = DataTable(
                id="history-table", cursor_type="row", zebra_stripes=True
            )
            yield table
            with VerticalScroll(id="history-detail-scroll"):
                yield Static(Content(""), id="history-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.border_title = "Audit log (newest first)"
        self.query_one("#history-detail-scroll").border_title = "Record"
        for column in COLUMNS:
            table.add_column(column, key=column)
        table.focus()
        self.show_abort_target()
        self.load()

    def show_abort_target(self) -> None:
        """Say which workblock ``x`` holds from here: the review screen's selection, which
        this screen does not show (kept up to date as reports arrive)."""
        from relay_tui.core.secrets import redact_secrets

        _, workblock, note = self.app.abort_target()
        if workblock is None:
            text = Content.assemble(
                ("x", "bold"),
                " abort records RELAY_ABORTED but holds no workblock: no report is selected "
                "and the state names no active workblock.",
            )
        else:
            shown = sanitize_line(redact_secrets(workblock), 64)
            whose = note or "the report selected on the review screen"
            text = Content.assemble(
                ("x", "bold"),
                " abort holds ",
                (shown, "bold"),
                f" ({whose}) and relays nothing.",
            )
        self.query_one("#history-target", Static).update(text)

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def load(self) -> None:
        """Read and verify the log off the event loop."""
        from relay_tui.core.audit import AuditLog

        log = AuditLog(self.audit_path)
        read = log.read()
        self.post_message(self.AuditLoaded(log.all_records(), read))

    def on_history_screen_audit_loaded(self, event: HistoryScreen.AuditLoaded) -> None:
        self.records = list(reversed(event.records))
        self.read = event.read
        self._show_banner(event.read)
        table = self.query_one(DataTable)
        table.clear()
        first_bad = event.read.first_bad_seq
        for index, record in enumerate(self.records):
            trusted = first_bad is None or (
                isinstance(record.get("seq"), int) and record["seq"] < first_bad
            )
            style = "" if trusted else "italic"
            cells = [
                Text(
                    sanitize_line(_cell(record.get("seq")), 12) + ("" if trusted else " ⚠"),
                    style=style,
                ),
                Text(sanitize_line(_cell(record.get("ts")), 32), style=style),
                Text(sanitize_line(_cell(record.get("event")), 32), style="bold " + style),
                Text(sanitize_line(_cell(record.get("actor")), 40), style=style),
                Text(sanitize_line(_cell(record.get("workblock")), 40), style=style),
                Text(sanitize_line(_cell(record.get("status")), 24), style=style),
            ]
            table.add_row(*cells, key=str(index))
        self.loaded = True
        self._show_detail(0)

    def _show_banner(self, read: AuditRead) -> None:
        banner = self.query_one("#history-banner", Static)
        banner.remove_class("-intact", "-broken", "-torn")
        if read.intact:
            banner.add_class("-intact")
            text = f"✓ Audit chain intact: {len(read.records)} record(s) verify."
        else:
            banner.add_class("-broken" if read.first_bad_seq is not None else "-torn")
            text = "⚠ " + sanitize_line(read.describe(), 400).rstrip(".") + "."
            if read.first_bad_seq is not None:
                text += " Records from that seq on are not trusted (marked ⚠)."
            else:
                text += " The next append sets the torn bytes aside."
        banner.update(Content(text))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_detail(event.cursor_row)

    def _show_detail(self, index: int) -> None:
        detail = self.query_one("#history-detail", Static)
        if not self.records or not 0 <= index < len(self.records):
            detail.update(Content("The audit log holds no records yet."))
            return
        record = self.records[index]
        lines = []
        names = [*DETAIL_FIELDS, *(key for key in record if key not in DETAIL_FIELDS)]
        for name in names:
            value = record.get(name)
            if isinstance(value, dict | list):
                value = json.dumps(value, ensure_ascii=False, sort_keys=True)
            lines.append(
                Content.assemble(
                    (f"{sanitize_line(str(name), 40):<15}", "$text-muted"),
                    sanitize(_cell(value), 400).replace("\n", "␤"),
                )
            )
        detail.update(Content("\n").join(lines))

    def action_back(self) -> None:
        """Return to the review screen."""
        self.dismiss(None)

    def action_reload(self) -> None:
        """Read the log again."""
        self.load()


def _cell(value: object) -> str:
    return "—" if value is None else str(value)
