"""Pydantic models shared by every layer: card, state, config, report, finding, verdict."""

from __future__ import annotations

import datetime as dt
import enum
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

WORKBLOCK_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def is_valid_workblock_id(value: object) -> bool:
    """True when ``value`` is a workblock id of the contract's shape."""
    return isinstance(value, str) and WORKBLOCK_ID_PATTERN.fullmatch(value) is not None


class Severity(enum.IntEnum):
    """How much a finding matters; ordered so ``max()`` gives the worst."""

    info = 0
    warning = 1
    error = 2
    block = 3

    def __str__(self) -> str:
        return self.name


class Label(enum.StrEnum):
    """The verdict shown on screen and printed by ``validate`` (contract section 5)."""

    PASS = "PASS"
    PASS_WITH_WARNING = "PASS_WITH_WARNING"
    HOLD_NO_ACTION = "HOLD_NO_ACTION"
    ERROR = "ERROR"
    BLOCKED = "BLOCKED"

    @property
    def exit_code(self) -> int:
        """The process exit code of ``relay-tui validate`` for this label."""
        return LABEL_EXIT_CODES[self]

    @property
    def relayable(self) -> bool:
        """Whether a human may relay a report with this label (after acknowledgements)."""
        return self in (Label.PASS, Label.PASS_WITH_WARNING)


LABEL_EXIT_CODES: dict[Label, int] = {
    Label.BLOCKED: 30,
    Label.ERROR: 20,
    Label.HOLD_NO_ACTION: 40,
    Label.PASS_WITH_WARNING: 10,
    Label.PASS: 0,
}

#: Worst first: the order in which ``validate`` picks the exit code of several reports.
LABELS_WORST_FIRST: tuple[Label, ...] = (
    Label.BLOCKED,
    Label.ERROR,
    Label.HOLD_NO_ACTION,
    Label.PASS_WITH_WARNING,
    Label.PASS,
)


class Finding(BaseModel):
    """One thing a person must know about a report."""

    model_config = ConfigDict(frozen=True)

    rule: str
    """Rule id, ``FAMILY-NNN``."""
    severity: Severity
    message: str
    """What is wrong, in words a person understands (already redacted and sanitized)."""
    line: int | None = None
    """1-based line in the report file, where one applies."""
    column: int | None = None
    """1-based column in that line, where one applies."""

    @property
    def family(self) -> str:
        """The rule family, e.g. ``SCOPE``."""
        return self.rule.split("-", 1)[0]

    def as_json(self) -> dict[str, Any]:
        """The finding as the contract's JSON object."""
        return {
            "rule": self.rule,
            "severity": self.severity.name,
            "message": self.message,
            "line": self.line,
        }


class Authorization(BaseModel):
    """The ``[authorization]`` table the TUI writes into a card."""

    by: str
    at: dt.datetime
    card_sha256: str


class Card(BaseModel):
    """A workblock card: the bounded scope Codex may work in."""

    model_config = ConfigDict(extra="allow")

    id: str
    title: str = ""
    goal: str = ""
    allowed_paths: list[str] = Field(default_factory=list)
    forbidden_paths: list[str] = Field(default_factory=list)
    acceptance: list[str] = Field(default_factory=list)
    chain: str | None = None
    authorization: Authorization | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not is_valid_workblock_id(value):
            raise ValueError(f"card id {value!r} is not of the form [A-Za-z0-9][A-Za-z0-9._-]*")
        return value


class State(BaseModel):
    """The current project state (``.relay/state.toml``)."""

    model_config = ConfigDict(extra="allow")

    revision: int = Field(strict=True)
    """Bumped by the human when the plan changes (a TOML integer; ``true`` is not 1)."""
    updated_at: dt.datetime
    active_workblock: str | None = None
    source_of_truth: str | None = None
    base_commit: str | None = None
    hold: bool = Field(default=False, strict=True)
    """A TOML boolean; ``true`` puts every relay on hold."""

    @field_validator("updated_at")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class RuleSettings(BaseModel):
    """Which rule families run, and phrases a project adds to the catalogues."""

    model_config = ConfigDict(extra="forbid", strict=True)

    disabled: list[str] = Field(default_factory=list)
    """Rule families (``GIT``) or single rules (``STATE-003``) that never run."""
    extra_authority_block: list[str] = Field(default_factory=list)
    """Extra phrases that claim approval or order further work (severity block)."""
    extra_authority_error: list[str] = Field(default_factory=list)
    """Extra ambiguous readiness phrases (severity error)."""
    extra_injection: list[str] = Field(default_factory=list)
    """Extra phrases aimed at the receiving assistant (severity block)."""

    def enabled(self, rule_or_family: str) -> bool:
        """False when the family or the single rule id is disabled."""
        family = rule_or_family.split("-", 1)[0]
        return family not in self.disabled and rule_or_family not in self.disabled


class Config(BaseModel):
    """``.relay/config.toml``; a missing file or key means the default written here."""

    model_config = ConfigDict(extra="forbid", strict=True)

    reports_dir: str = "reports"
    """Folder Codex writes reports into, relative to ``.relay/``."""
    destinations: list[str] = Field(default_factory=lambda: ["clipboard", "outbox"])
    """Where a confirmed message goes: ``clipboard`` and/or ``outbox``."""
    message_budget_tokens: int = 12_000
    """Prepared message budget, tokens estimated as characters / 4; over it: warning, shortened."""
    max_report_bytes: int = 5 * 1024 * 1024
    """Hard size limit of a report file; over it: error, not parsed."""
    stale_after: str = "7d"
    """Age of ``state.updated_at`` after which the state is stale (``30m``, ``12h``, ``7d``)."""
    bell: bool = True
    """Ring the terminal bell when a report lands while the user looks elsewhere."""
    rules: RuleSettings = Field(default_factory=RuleSettings)
    keys: dict[str, str] = Field(default_factory=dict)
    """TUI key remaps: binding id -> key(s), e.g. ``abort = "x,ctrl+x"`` (``App.set_keymap``)."""

    @field_validator("stale_after")
    @classmethod
    def _duration_shape(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def stale_after_delta(self) -> dt.timedelta:
        """``stale_after`` as a timedelta."""
        return parse_duration(self.stale_after)

    @property
    def message_budget_chars(self) -> int:
        """The message budget in characters (tokens are estimated as characters / 4)."""
        return self.message_budget_tokens * 4


_DURATION = re.compile(r"\s*(\d+)\s*([smhdw])\s*")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> dt.timedelta:
    """Parse ``30m``/``12h``/``7d``/``2w`` into a timedelta; raise ValueError otherwise."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration like 30m, 12h, 7d or 2w")
    return dt.timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


class TestsSummary(BaseModel):
    """The optional ``tests`` table of a report."""

    model_config = ConfigDict(extra="allow")

    command: str | None = None
    passed: int | None = None
    failed: int | None = None
    skipped: int | None = None


OUTCOMES = ("completed", "partial", "failed", "stopped")


class Report(BaseModel):
    """The typed fields of a structured final report (contract section 4)."""

    model_config = ConfigDict(extra="allow")

    workblock: str
    title: str
    outcome: str
    state_revision: int
    files_changed: list[str]
    base_commit: str | None = None
    report_version: int = 1
    tests: TestsSummary | None = None
    sections: dict[str, str] = Field(default_factory=dict)
    """Section title as written in ``SECTION_TITLES`` -> body text."""


SECTION_TITLES = ("Summary", "Changes", "Tests", "Open questions", "Suggested next steps")
REQUIRED_SECTIONS = ("Summary", "Changes", "Tests")
