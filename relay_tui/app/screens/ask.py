"""A yes/no question before an authority action (authorize a card, release a hold)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Footer, Static

from relay_tui.app.screens.decision import DecisionScreen


class AskScreen(DecisionScreen[bool]):
    """Shows what the action would do; ``y`` does it, ``n`` or escape does not. A ``y`` typed
    before the question was on screen is dropped (``DecisionScreen``)."""

    DECISION_ACTIONS = frozenset({"answer(True)"})

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", tooltip="Do it, as a human decision", id="ask-yes"),
        Binding(
            "escape,n",
            "answer(False)",
            "No",
            tooltip="Do nothing and close",
            id="ask-no",
        ),
    ]

    def __init__(self, title: str, body: Content) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        # Scrolls when the terminal is short; the keys stay in view at its foot.
        with VerticalScroll(id="ask-dialog"):
            yield Static(self._hints(), id="ask-hints")
            yield Static(Content.styled(self.title_text, "bold"), id="ask-title")
            yield Static(self.body, id="ask-body")
        yield Footer()

    def _hints(self) -> Content:
        line = Content.styled("y yes · n / esc no", "$text-muted")
        return line if self.notice is None else Content("\n").join([self.notice, line])

    def show_hints(self) -> None:
        self.query_one("#ask-hints", Static).update(self._hints())

    def action_answer(self, answer: bool) -> None:
        """Close with the human's answer."""
        self.dismiss(answer)
