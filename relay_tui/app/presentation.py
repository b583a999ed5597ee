"""How labels, severities and ages look on screen: CSS classes, styles and explanations."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from relay_tui.core.sanitize import sanitize_line

if TYPE_CHECKING:
    from relay_tui.core.validate import Verdict

#: Label name -> CSS state class (styled in app.tcss with theme variables).
LABEL_CLASSES: dict[str, str] = {
    "PASS": "-pass",
    "PASS_WITH_WARNING": "-warning",
    "HOLD_NO_ACTION": "-hold",
    "ERROR": "-error",
    "BLOCKED": "-blocked",
}
ARRIVING_CLASS = "-arriving"
NO_REPORT_CLASS = "-none"
ALL_LABEL_CLASSES = (*LABEL_CLASSES.values(), ARRIVING_CLASS, NO_REPORT_CLASS)

#: Label name -> Content style for inline text (lists, the modal).
LABEL_STYLES: dict[str, str] = {
    "PASS": "bold $text-success",
    "PASS_WITH_WARNING": "bold $text-warning",
    "HOLD_NO_ACTION": "bold $text-secondary",
    "ERROR": "bold $text-error",
    "BLOCKED": "bold reverse $text-error",
}

#: Severity name -> Content style.
SEVERITY_STYLES: dict[str, str] = {
    "info": "$text-muted",
    "warning": "bold $text-warning",
    "error": "bold $text-error",
    "block": "bold reverse $text-error",
}

#: Why a report with this label cannot be relayed (contract section 5).
WHY_NOT_RELAYABLE: dict[str, str] = {
    "BLOCKED": (
        "Nothing can be relayed: at least one finding blocks this report. "
        "A new report is needed (see the findings for what to change)."
    ),
    "ERROR": (
        "Nothing can be relayed until the report is remediated: at least one finding is an "
        "error. A corrected report (a higher report_version) will be validated as it arrives."
    ),
    "HOLD_NO_ACTION": (
        "Nothing can be relayed: relaying is on hold (this workblock was aborted or held, or "
        "state.toml sets hold = true). Only a human releases a hold: press r on the review "
        "screen, or edit the state file for a project-wide hold."
    ),
}

#: Block findings that authorizing the card as it stands (``a``) clears: never authorized,
#: edited since, no human record, a malformed ``[authorization]`` table.
AUTHORIZATION_RULES = frozenset({"CARD-003", "CARD-004", "CARD-005", "CARD-006"})


def why_not_relayable(verdict: Verdict, superseded_by: str | None = None) -> str:
    """Why nothing can be relayed from ``verdict``, and what the human can do about it.

    ``superseded_by`` names the newer version of the report when there is one: the advice is
    then to review that version, not to ask Codex for a new one.
    """
    label = verdict.label.value
    if superseded_by is not None and label in ("BLOCKED", "ERROR"):
        return (
            f"Nothing can be relayed: this version is {label}, and a newer version exists "
            f"({superseded_by}). Review the current version instead."
        )
    blocks = [item for item in verdict.findings if item.severity.name == "block"]
    card = [item for item in blocks if item.rule in AUTHORIZATION_RULES]
    if label == "BLOCKED" and card and len(card) == len(blocks):
        return (
            "Nothing can be relayed: the card is not authorized as it stands. Press a to review "
            "its scope and authorize it; the report is then validated again."
        )
    why = WHY_NOT_RELAYABLE.get(label, "Nothing can be relayed.")
    if label in ("BLOCKED", "ERROR"):
        worst = next(
            (
                item
                for item in verdict.findings
                if item.severity.name == ("block" if label == "BLOCKED" else "error")
            ),
            None,
        )
        if worst is not None:
            where = f" (line {worst.line})" if worst.line else ""
            why += f" First: {worst.rule}{where}: {sanitize_line(worst.message, 200)}"
    if label == "BLOCKED" and card:
        why += " The card is not authorized as it stands either (a)."
    return why


def nothing_to_relay(
    verdict: Verdict,
    *,
    current: bool = True,
    superseded_by: str | None = None,
    relayed: bool = False,
) -> tuple[str, str] | None:
    """Why a confirmation of ``verdict`` can relay nothing: (a few words for its title, the
    explanation), or None when it can relay. ``superseded_by`` is the sanitized name of the
    current version when the report is not current; ``relayed``: this exact message was
    already relayed."""
    label = verdict.label.value
    relayable = verdict.message is not None and verdict.label.relayable
    if not current:
        newer = superseded_by or "a newer version of this workblock's report"
        why = (
            f"This report is superseded by {newer}. Only the current version of a "
            "workblock's report can be relayed: close this (esc) and review the current version."
        )
        if not relayable:
            why += f" This version is {label} as well."
        return "superseded", why
    if not relayable:
        return label, why_not_relayable(verdict)
    if relayed:
        return "already relayed", (
            "This exact message was already relayed; one confirmation relays once. "
            "There is nothing more to relay from this report."
        )
    return None


ARRIVING_TEXT = "This report is still being written; it is validated once it is complete."


def label_class(label: str | None, arriving: bool = False) -> str:
    """The CSS state class for a label (or for a report still arriving / no report)."""
    if arriving:
        return ARRIVING_CLASS
    if label is None:
        return NO_REPORT_CLASS
    return LABEL_CLASSES.get(label, NO_REPORT_CLASS)


def humanize_age(delta: dt.timedelta) -> str:
    """A short age: ``just now``, ``5 min ago``, ``3 h ago``, ``2 d ago``, ``in the future``."""
    seconds = delta.total_seconds()
    if seconds < 0:
        return "in the future"
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


def estimate_tokens(text: str) -> int:
    """The contract's token estimate: characters / 4."""
    return len(text) // 4
