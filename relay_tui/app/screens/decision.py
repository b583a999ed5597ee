"""A dialog that takes a human decision only from a key pressed after the dialog was on screen.

``tmux send-keys c y``, a paste, or a key typed ahead by habit delivers ``y`` in the same burst
as the key that opened the dialog: the human never saw what ``y`` agreed to. Textual stamps
every key event with the moment it was read from the terminal (``Key.time``, the input
thread's monotonic clock), so a decision key whose stamp is older than the dialog's first
paint is dropped before its binding runs (``RelayApp.on_key`` asks ``typed_ahead``), and the
dialog says to press it again.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual import events
from textual._time import get_time
from textual.content import Content
from textual.screen import ModalScreen

ResultType = TypeVar("ResultType")

TYPED_AHEAD_NOTICE = "Press {key} again — the dialog had only just opened."


class DecisionScreen(ModalScreen[ResultType]):
    """A modal whose ``DECISION_ACTIONS`` run only for keys pressed once it was painted."""

    DECISION_ACTIONS: ClassVar[frozenset[str]] = frozenset()
    """Action strings, as bound (``"relay"``, ``"answer(True)"``), a key typed ahead must not
    trigger."""

    def __init__(self) -> None:
        super().__init__()
        self.shown_at: float | None = None
        """When the dialog was first painted (``textual._time.get_time``, as ``Key.time``)."""
        self.keys_typed_ahead = 0
        """Decision keys dropped because they were pressed before the dialog was painted."""
        self.notice: Content | None = None
        """A line the dialog shows above its keys (a refusal, a key typed ahead)."""

    def _on_mount(self, event: events.Mount) -> None:
        # The screen publishes this signal right after a layout pass drew it to the terminal:
        # the first one is the moment the dialog appeared. ``call_after_refresh`` comes later
        # (it waits until nothing is dirty, ~50 ms after the dialog shows in tmux), so it is
        # only the fallback.
        self.screen_layout_refresh_signal.subscribe(self, self._painted, immediate=True)
        self.call_after_refresh(self._painted)

    def _painted(self, _screen: object = None) -> None:
        if self.shown_at is None:
            self.shown_at = get_time()
            self.screen_layout_refresh_signal.unsubscribe(self)

    def typed_ahead(self, event: events.Key) -> bool:
        """True (and the dialog says so) when ``event`` would run a decision of this dialog
        but was read from the terminal before the dialog was painted.

        ``RelayApp.on_key`` asks this just before Textual looks up the key's non-priority
        binding (``App._on_key``), and drops the key when it is True. The check cannot live
        in the dialog's own key handler: a key typed ahead was forwarded to the previous
        screen's focused widget before this dialog existed, bubbles up through that screen,
        and only meets this dialog's bindings at the app.
        """
        if self.shown_at is not None and event.time >= self.shown_at:
            return False
        action = self._bound_action(event.key)
        if action not in self.DECISION_ACTIONS:
            return False
        if not self.check_action(action.partition("(")[0], ()):
            return False  # the key does nothing here anyway: no "press it again"
        self.keys_typed_ahead += 1
        self.app.bell()
        self.say(TYPED_AHEAD_NOTICE.format(key=event.key), "bold $text-warning")
        return True

    def _bound_action(self, key: str) -> str | None:
        """The action of this dialog a key would run (keymaps applied), as the app finds it."""
        for namespace, bindings in self._modal_binding_chain:
            for binding in bindings.key_to_bindings.get(key, ()):
                if binding.priority:
                    continue
                return binding.action if namespace is self else None
        return None

    def say(self, text: str, style: str = "bold") -> None:
        """Show ``text`` (trusted or already sanitized) in the dialog, by its keys."""
        self.notice = Content.styled(text, style)
        self.show_hints()

    def show_hints(self) -> None:
        """Redraw the key line (and the notice above it); each dialog knows its own."""
