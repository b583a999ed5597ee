"""The message pane: exactly the bytes a confirmation relays, with sha256, size and tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from relay_tui.app.presentation import ARRIVING_TEXT, estimate_tokens, why_not_relayable
from relay_tui.app.widgets.line_view import LineView

if TYPE_CHECKING:
    from relay_tui.core.validate import Verdict


class MessageView(Vertical):
    """A header (hash, size, token estimate or why nothing can be relayed) over the message."""

    def compose(self) -> ComposeResult:
        yield Static(Content("No report selected."), id="message-header")
        with Vertical(id="message-meta"):
            yield Static(Content(""), id="message-sha")
            yield Static(Content(""), id="message-size")
            yield Static(Content(""), id="message-outbox")
        yield LineView(id="message-body")

    def show(
        self, verdict: Verdict | None, *, arriving: bool = False, superseded_by: str | None = None
    ) -> None:
        """Show the prepared message of ``verdict``, or why there is none (``superseded_by``:
        the name of the report's current version, when it is superseded)."""
        header = self.query_one("#message-header", Static)
        body = self.query_one("#message-body", LineView)
        message = verdict.message if verdict is not None else None
        if verdict is None or message is None:
            if arriving:
                text = ARRIVING_TEXT
            elif verdict is None:
                text = "No report selected."
            else:
                text = why_not_relayable(verdict, superseded_by)
            header.update(Content.styled(text, "bold"))
            self.set_class(True, "-nothing")
            body.show_text("", "")
            return
        self.set_class(False, "-nothing")
        size = len(message.encode("utf-8"))
        header.update(Content(""))
        # One line each; a pane too narrow for the whole hash ends it with an ellipsis (the
        # confirmation always shows all 64 digits).
        self.query_one("#message-sha", Static).update(
            Content.assemble(("sha256 ", "$text-muted"), (verdict.message_sha256 or "", "bold"))
        )
        self.query_one("#message-size", Static).update(
            Content(
                f"{size:,} bytes · {len(message):,} characters · "
                f"~{estimate_tokens(message):,} tokens"
            )
        )
        self.query_one("#message-outbox", Static).update(
            Content.assemble(("outbox ", "$text-muted"), verdict.suggested_filename or "")
        )
        body.show_text(message, verdict.message_sha256)
