"""The final confirmation: destinations, the full message sha256, size, and each warning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Footer, Static

from relay_tui.app.presentation import LABEL_STYLES, estimate_tokens, why_not_relayable
from relay_tui.core.sanitize import sanitize, sanitize_line

if TYPE_CHECKING:
    from relay_tui.app.watcher import ReportEntry
    from relay_tui.core.models import Finding
    from relay_tui.core.validate import Verdict

DESTINATION_TEXT = {
    "clipboard": "system clipboard; without one, OSC 52 through the terminal",
    "outbox": "a new file (mode 0600, never overwriting)",
}


@dataclass(frozen=True)
class RelayDecision:
    """The human pressed y: relay exactly this verdict's message with these acknowledgements."""

    verdict: Verdict
    acknowledged: tuple[Finding, ...]


def _acknowledge_bindings() -> list[Binding]:
    return [
        Binding(
            str(number),
            f"acknowledge({number - 1})",
            f"Acknowledge warning {number}",
            show=False,
            tooltip=f"Tick or untick the acknowledgement of warning {number}",
            id=f"acknowledge-warning-{number}",
        )
        for number in range(1, 10)
    ]


class ConfirmScreen(ModalScreen["RelayDecision | None"]):
    """What exactly would be relayed, where to, and what the human must acknowledge first."""

    BINDINGS = [
        Binding(
            "y",
            "relay",
            "Relay",
            tooltip="Relay this exact message to every destination and record it",
            id="confirm-relay",
        ),
        Binding(
            "escape,n",
            "cancel",
            "Cancel",
            tooltip="Close the confirmation; nothing is relayed or recorded",
            id="confirm-cancel",
        ),
        *_acknowledge_bindings(),
    ]

    def __init__(
        self,
        entry: ReportEntry,
        *,
        destinations: list[str],
        outbox_folder: str,
    ) -> None:
        super().__init__()
        assert entry.verdict is not None
        self.entry = entry
        self.verdict: Verdict = entry.verdict
        self.destinations = destinations
        self.outbox_folder = outbox_folder
        self.warnings: tuple[Finding, ...] = (
            self.verdict.warnings if self.verdict.message is not None else ()
        )

    @property
    def relayable(self) -> bool:
        """True when the verdict carries a message a human may relay."""
        return self.verdict.message is not None and self.verdict.label.relayable

    def compose(self) -> ComposeResult:
        # The dialog scrolls when the terminal is short; the keys stay in view at its foot.
        with VerticalScroll(id="confirm-dialog"):
            yield from self._dialog()
        yield Footer()

    def _dialog(self) -> ComposeResult:
        verdict = self.verdict
        label = verdict.label.value
        hints = "y relay · esc cancel · x abort (nothing is relayed; the workblock is held)"
        if not self.relayable:
            hints = "esc close · x abort (nothing is relayed; the workblock is held)"
        yield Static(Content.styled(hints, "$text-muted"), id="confirm-hints")
        yield Static(
            Content.assemble(
                ("Confirm relay  ", "bold"),
                (f" {label} ", LABEL_STYLES.get(label, "bold")),
            ),
            id="confirm-title",
        )
        yield Static(self._report_lines(), id="confirm-report")
        if not self.relayable:
            why = why_not_relayable(verdict)
            yield Static(Content.styled(why, "bold"), id="confirm-why")
            return
        yield Static(self._destination_lines(), id="confirm-destinations")
        yield Static(Content.styled("message sha256", "$text-muted"), classes="confirm-caption")
        yield Static(Content(verdict.message_sha256 or ""), id="confirm-sha")
        yield Static(self._size_line(), id="confirm-size")
        if self.entry.relayed:
            yield Static(
                Content.styled(
                    "This exact message was already relayed; one confirmation relays once.",
                    "bold $text-warning",
                ),
                id="confirm-relayed",
            )
        if self.warnings:
            yield Static(
                Content.styled(
                    f"Acknowledge each warning before relaying ({len(self.warnings)}): "
                    "press its number, or space on it.",
                    "bold $text-warning",
                ),
                classes="confirm-caption",
            )
            with Vertical(id="confirm-warnings"):
                for index, warning in enumerate(self.warnings):
                    yield Checkbox(_warning_title(index, warning, False), id=f"ack-{index}")
                    yield Static(
                        Content(sanitize(warning.message, 600)), classes="confirm-warning-text"
                    )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No "y Relay" in the footer when nothing can be relayed (the dialog says why)."""
        if action == "relay":
            return self.relayable
        return True

    def on_mount(self) -> None:
        if self.warnings:
            self.query_one("#ack-0", Checkbox).focus()

    def _report_lines(self) -> Content:
        verdict = self.verdict
        report = verdict.parsed.report if verdict.parsed is not None else None
        path = Content.assemble(
            ("report     ", "$text-muted"), sanitize_line(verdict.report_display_path, 200)
        )
        if report is None:
            return path
        from relay_tui.core.validate import redact_keeping_lines

        # The title is untrusted report text: a credential in it is shown redacted, as in
        # the report pane.
        title = sanitize_line(redact_keeping_lines(report.title), 120)
        return Content("\n").join(
            [
                path + Content.styled(f"  (version {report.report_version})", "$text-muted"),
                Content.assemble(
                    ("workblock  ", "$text-muted"),
                    (sanitize_line(verdict.workblock or "", 64), "bold"),
                    " — ",
                    title,
                ),
            ]
        )

    def _destination_lines(self) -> Content:
        lines = [Content.styled("destinations", "$text-muted")]
        for name in self.destinations:
            text = DESTINATION_TEXT.get(name, "unknown destination (it will fail)")
            lines.append(Content.assemble("  • ", (f"{sanitize_line(name, 40):<10}", "bold"), text))
            if name == "outbox" and self.verdict.suggested_filename:
                where = f"{self.outbox_folder}/{self.verdict.suggested_filename}"
                lines.append(Content("    " + " " * 10 + where))
        return Content("\n").join(lines)

    def _size_line(self) -> Content:
        message = self.verdict.message or ""
        size = len(message.encode("utf-8"))
        return Content.assemble(
            ("size       ", "$text-muted"),
            f"{size:,} bytes · {len(message):,} characters · ~{estimate_tokens(message):,} tokens",
        )

    @property
    def acknowledged(self) -> tuple[Finding, ...]:
        """The warnings whose box is ticked."""
        return tuple(
            warning
            for index, warning in enumerate(self.warnings)
            if self.query_one(f"#ack-{index}", Checkbox).value
        )

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        """Say in words whether a warning is acknowledged (not by colour alone)."""
        event.stop()
        box = event.checkbox
        index = int((box.id or "ack-0").removeprefix("ack-"))
        if 0 <= index < len(self.warnings):
            box.label = _warning_title(index, self.warnings[index], event.value)

    def action_acknowledge(self, index: int) -> None:
        """Tick or untick warning ``index`` (0-based)."""
        if 0 <= index < len(self.warnings):
            box = self.query_one(f"#ack-{index}", Checkbox)
            box.toggle()
            box.focus()

    def action_relay(self) -> None:
        """Hand the decision to the app, which relays through the core (or explains why not)."""
        if not self.relayable:
            self.app.bell()
            self.notify(
                "Nothing can be relayed from this report.", severity="warning", markup=False
            )
            return
        missing = len(self.warnings) - len(self.acknowledged)
        if missing:
            self.app.bell()
            self.notify(
                f"Acknowledge each warning first: {missing} of {len(self.warnings)} "
                "not yet ticked.",
                severity="warning",
                markup=False,
            )
            return
        self.dismiss(RelayDecision(self.verdict, self.acknowledged))

    def action_cancel(self) -> None:
        """Close without relaying or recording anything."""
        self.dismiss(None)


def _warning_title(index: int, warning: Finding, acknowledged: bool) -> Content:
    where = f" (line {warning.line})" if warning.line else ""
    state = ("acknowledged ✓ ", "bold $text-success") if acknowledged else ("acknowledge ", "bold")
    return Content.assemble(
        (f"{index + 1}. ", "bold"),
        state,
        (warning.rule, "bold $text-warning"),
        where,
    )
