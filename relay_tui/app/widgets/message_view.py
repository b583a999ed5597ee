"""The message pane: exactly the bytes a confirmation relays, with sha256, size and tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from relay_tui.app.presentation import ARRIVING_TEXT, WHY_NOT_RELAYABLE, estimate_tokens
from relay_tui.app.widgets.line_view import LineView

if TYPE_CHECKING:
    from relay_tui.core.validate import Verdict


class MessageView(Vertical):
    """A header (hash, size, token estimate or why nothing can be relayed) over the message."""

    def compose(self) -> ComposeResult:
        yield Static(Content("No report selected."), id="message-header")
        yield LineView(id="message-body")

    def show(self, verdict: Verdict | None, *, arriving: bool = False) -> None:
        """Show the prepared message of ``verdict``, or why there is none."""
        header = self.query_one("#message-header", Static)
        body = self.query_one("#message-body", LineView)
        message = verdict.message if verdict is not None else None
        if verdict is None or message is None:
            if arriving:
                text = ARRIVING_TEXT
            elif verdict is None:
                text = "No report selected."
            else:
                text = WHY_NOT_RELAYABLE.get(verdict.label.value, "Nothing can be relayed.")
            header.update(Content.styled(text, "bold"))
            self.set_class(True, "-nothing")
            body.show_text("", "")
            return
        self.set_class(False, "-nothing")
        size = len(message.encode("utf-8"))
        header.update(
            Content.assemble(
                ("message sha256\n", "$text-muted"),
                (verdict.message_sha256 or "", "bold"),
                "\n",
                f"{size:,} bytes · {len(message):,} characters · "
                f"~{estimate_tokens(message):,} tokens",
                ("\noutbox ", "$text-muted"),
                verdict.suggested_filename or "",
            )
        )
        body.show_text(message, verdict.message_sha256)
