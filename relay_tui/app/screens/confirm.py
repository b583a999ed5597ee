"""The final confirmation: destinations, the full message sha256, size, and each warning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Checkbox, Footer, Static

from relay_tui.app.presentation import LABEL_STYLES, estimate_tokens, nothing_to_relay
from relay_tui.app.screens.decision import DecisionScreen
from relay_tui.core.sanitize import sanitize, sanitize_line

if TYPE_CHECKING:
    from relay_tui.app.app import RelayApp
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


class ConfirmScreen(DecisionScreen[None]):
    """What exactly would be relayed, where to, and what the human must acknowledge first.

    ``y`` hands the decision to the app, which relays through the core; the dialog closes when
    the relay went through (or failed in a way the app reports), and stays open showing the
    refusal, without ``y``, when the core refused. A ``y`` typed before the dialog was on
    screen is dropped (``DecisionScreen``).
    """

    DECISION_ACTIONS = frozenset({"relay"})
    app: RelayApp

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
        self.obstacle = nothing_to_relay(
            self.verdict,
            current=entry.current,
            superseded_by=entry.superseded_name,
            relayed=entry.relayed,
        )
        """(a few words, why) when nothing can be relayed from this report; else None."""
        self.refusal: str | None = None
        """Why the core refused the relay (sanitized), once ``y`` was pressed."""
        self.warnings: tuple[Finding, ...] = self.verdict.warnings if self.obstacle is None else ()

    @property
    def relayable(self) -> bool:
        """True while ``y`` can relay: a relayable, current message not relayed or refused yet."""
        return self.obstacle is None and self.refusal is None

    def compose(self) -> ComposeResult:
        # The dialog scrolls when the terminal is short; the keys stay in view at its foot.
        with VerticalScroll(id="confirm-dialog"):
            yield from self._dialog()
        yield Footer()

    def _dialog(self) -> ComposeResult:
        verdict = self.verdict
        yield Static(self._hints(), id="confirm-hints")
        yield Static(self._title(), id="confirm-title")
        if self.obstacle is not None:
            # Why nothing can be relayed comes first; no destinations, no hash to compare.
            yield Static(Content.styled(self.obstacle[1], "bold"), id="confirm-why")
            yield Static(self._report_lines(), id="confirm-report")
            return
        yield Static(self._report_lines(), id="confirm-report")
        yield Static(self._destination_lines(), id="confirm-destinations")
        yield Static(Content.styled("message sha256", "$text-muted"), classes="confirm-caption")
        yield Static(Content(verdict.message_sha256 or ""), id="confirm-sha")
        yield Static(self._size_line(), id="confirm-size")
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

    def _title(self) -> Content:
        """The title says "Confirm relay" only when something can be relayed; else what
        stands in the way."""
        label = self.verdict.label.value
        chip = Content.styled(f" {label} ", LABEL_STYLES.get(label, "bold"))
        if self.refusal is not None:
            heading = "Relay refused — nothing was relayed  "
        elif self.obstacle is not None and self.obstacle[0] == label:
            return Content.styled("Nothing to relay ", "bold") + chip
        elif self.obstacle is not None:
            heading = f"Nothing to relay — {self.obstacle[0]}  "
        else:
            heading = "Confirm relay  "
        return Content.styled(heading, "bold") + chip

    def _hints(self) -> Content:
        keys = "esc close · x abort (relays nothing, holds the workblock)"
        if self.relayable:
            keys = "y relay · esc cancel · x abort (relays nothing, holds the workblock)"
        line = Content.styled(keys, "$text-muted")
        return line if self.notice is None else Content("\n").join([self.notice, line])

    def show_hints(self) -> None:
        self.query_one("#confirm-hints", Static).update(self._hints())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No "y Relay" in the footer when nothing can be relayed (the dialog says why)."""
        if action == "relay":
            return self.relayable
        return True

    def on_mount(self) -> None:
        if self.warnings:
            # Focus the first box without scrolling to it: in a short terminal the label,
            # the destinations and the hash above it stay in view.
            self.query_one("#ack-0", Checkbox).focus(scroll_visible=False)
        self.query_one("#confirm-dialog", VerticalScroll).scroll_home(animate=False)

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
                lines.append(Content("      " + where))
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
        if self.notice is not None and len(self.acknowledged) == len(self.warnings):
            self.notice = None  # "acknowledge each warning first" no longer holds
            self.show_hints()

    def action_acknowledge(self, index: int) -> None:
        """Tick or untick warning ``index`` (0-based)."""
        if 0 <= index < len(self.warnings):
            box = self.query_one(f"#ack-{index}", Checkbox)
            box.toggle()
            box.focus()

    def action_relay(self) -> None:
        """Hand the decision to the app, which relays through the core (or says why not)."""
        if not self.relayable:
            self.app.bell()
            self.say("Nothing can be relayed from this dialog.", "bold $text-error")
            return
        missing = len(self.warnings) - len(self.acknowledged)
        if missing:
            self.app.bell()
            self.say(
                f"Acknowledge each warning first: {missing} of {len(self.warnings)} "
                "not yet ticked.",
                "bold $text-warning",
            )
            return
        refusal = self.app.relay(RelayDecision(self.verdict, self.acknowledged))
        if refusal is None:
            self.dismiss(None)
            return
        # Refused by the core: nothing was sent or recorded. Say why here, where the human is
        # looking (a toast would cover this dialog's keys), and take y away.
        self.refusal = refusal
        self.query_one("#confirm-title", Static).update(self._title())
        self.say(refusal, "bold $text-error")
        self.refresh_bindings()

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
