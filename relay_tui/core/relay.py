"""Human decisions: relay a confirmed message, abort, hold, release, authorize; each one audited.

These are the only functions that grant or withdraw authority. The CLI never calls the
granting ones (authorize, confirm, release): only the interactive TUI does, on a keystroke.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import threading
import tomllib
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from relay_tui.core.audit import (
    CARD_AUTHORIZED,
    HOLD_RELEASED,
    HOLD_SET,
    RELAY_ABORTED,
    RELAY_CONFIRMED,
    VALIDATION_BLOCKED,
    AuditLog,
    AuditWriteError,
)
from relay_tui.core.models import Finding, Label
from relay_tui.core.sanitize import sanitize_line
from relay_tui.core.secrets import redact_secrets
from relay_tui.core.validate import ProjectSnapshot, Verdict, superseded_by, validate_path
from relay_tui.core.workspace import UnsafeFileError, Workspace, card_body_sha256, read_regular_file

Copier = Callable[[str], None]


class RelayRefused(Exception):
    """The relay did not happen; nothing was sent or recorded. The message says why."""


class ReportChanged(RelayRefused):
    """The report on disk is not the one the confirmation showed."""


@dataclass(frozen=True)
class RelayOutcome:
    """What a confirmed relay did: where the message went and the audit record."""

    delivered: dict[str, str]
    """Destination name -> how (``pyperclip``, ``osc52``, the outbox path)."""
    failed: dict[str, str]
    """Destination name -> why it failed."""
    record: dict[str, Any]
    outbox_path: Path | None = None


def pyperclip_copy(text: str) -> None:
    """Copy with pyperclip; raises when the system has no clipboard backend."""
    import pyperclip

    pyperclip.copy(text)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM until the block ends, so a decision is recorded whole or not at all."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {
        number: signal.signal(number, lambda signum, frame: received.append(signum))
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for signum in received:
            os.kill(os.getpid(), signum)


def confirm_relay(
    workspace: Workspace,
    shown: Verdict,
    *,
    actor: str,
    acknowledged: Collection[Finding] = (),
    clipboard: Copier | None = pyperclip_copy,
    osc52: Copier | None = None,
    now: dt.datetime | None = None,
) -> RelayOutcome:
    """Relay exactly the message that was shown, once, and record it.

    Refused (nothing sent, nothing recorded) when the label is not relayable, a warning is
    not acknowledged, the report or the project changed since the confirmation opened, a
    newer version of the report is in its folder (it is superseded), or this message was
    already relayed.
    """
    if shown.report_path is None or shown.message is None or not shown.label.relayable:
        raise RelayRefused(f"A {shown.label.value} report cannot be relayed.")
    missing = [item for item in shown.warnings if item not in acknowledged]
    if missing:
        raise RelayRefused(f"{len(missing)} warning(s) are not acknowledged yet.")
    try:
        current = read_regular_file(shown.report_path, max_bytes=workspace.config.max_report_bytes)
    except UnsafeFileError as error:
        raise ReportChanged(f"The report can no longer be read: {error}") from error
    if current.sha256 != shown.report_sha256:
        raise ReportChanged(
            "The report changed on disk after the confirmation opened; it is validated again."
        )
    snapshot = ProjectSnapshot.load(workspace)
    fresh = validate_path(shown.report_path, snapshot, now=now)
    if fresh.message_sha256 != shown.message_sha256 or fresh.label != shown.label:
        raise ReportChanged(
            f"The project changed since the confirmation opened (now {fresh.label.value}); "
            "review it again."
        )
    newer = superseded_by(shown.report_path, workspace.config.max_report_bytes)
    if newer is not None:
        raise RelayRefused(
            f"This report is superseded by {sanitize_line(redact_secrets(newer.name), 120)}; "
            "only the current version of a workblock's report can be relayed."
        )
    if snapshot.audit.relayed(shown.report_sha256 or "", shown.message_sha256 or ""):
        raise RelayRefused("This exact message was already relayed; one confirmation relays once.")
    message = shown.message
    with signals_deferred():
        delivered, failed, outbox_path = _deliver(workspace, shown, message, clipboard, osc52)
        if not delivered:
            raise RelayRefused("No destination took the message: " + "; ".join(failed.values()))
        try:
            record = AuditLog(workspace.audit_path).append(
                RELAY_CONFIRMED,
                actor,
                now=now,
                workblock=shown.workblock,
                report_path=shown.report_display_path,
                report_sha256=shown.report_sha256,
                message_sha256=shown.message_sha256,
                status=shown.label.value,
                findings=shown.counts(),
                destination=", ".join(f"{name}:{how}" for name, how in delivered.items()),
                note=("failed: " + "; ".join(f"{k}: {v}" for k, v in failed.items()))
                if failed
                else None,
            )
        except AuditWriteError:
            if outbox_path is not None:
                with contextlib.suppress(OSError):
                    outbox_path.unlink()
            raise
    return RelayOutcome(delivered=delivered, failed=failed, record=record, outbox_path=outbox_path)


def _deliver(
    workspace: Workspace,
    shown: Verdict,
    message: str,
    clipboard: Copier | None,
    osc52: Copier | None,
) -> tuple[dict[str, str], dict[str, str], Path | None]:
    delivered: dict[str, str] = {}
    failed: dict[str, str] = {}
    outbox_path: Path | None = None
    for destination in workspace.config.destinations:
        if destination == "clipboard":
            how, why = copy_to_clipboard(message, clipboard, osc52)
            if how:
                delivered["clipboard"] = how
            else:
                failed["clipboard"] = why
        elif destination == "outbox":
            try:
                outbox_path = write_outbox(workspace, shown, message)
                delivered["outbox"] = workspace.relative(outbox_path)
            except OSError as error:
                failed["outbox"] = f"could not write the outbox file ({error.strerror or error})"
        else:
            failed[destination] = "unknown destination"
    return delivered, failed, outbox_path


def copy_to_clipboard(text: str, clipboard: Copier | None, osc52: Copier | None) -> tuple[str, str]:
    """Try the system clipboard, then OSC 52; return (how, "") or ("", why it failed)."""
    reasons = []
    if clipboard is not None:
        try:
            clipboard(text)
            return "pyperclip", ""
        except Exception as error:  # noqa: BLE001 - pyperclip raises its own and OS errors
            reasons.append(f"no system clipboard ({type(error).__name__})")
    if osc52 is not None:
        try:
            osc52(text)
            return "osc52", ""
        except Exception as error:  # noqa: BLE001
            reasons.append(f"OSC 52 failed ({type(error).__name__})")
    return "", "; ".join(reasons) or "no clipboard available"


def write_outbox(workspace: Workspace, shown: Verdict, message: str) -> Path:
    """Write the exact message bytes to a new outbox file (mode 0600), never overwriting."""
    from relay_tui.core.message import message_filename

    assert shown.parsed is not None and shown.parsed.report is not None
    report = shown.parsed.report
    outbox = workspace.outbox_dir
    outbox.mkdir(parents=True, exist_ok=True)
    temporary = outbox / f".tmp-{os.getpid()}-{threading.get_ident()}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        payload = message.encode("utf-8")
        if os.write(descriptor, payload) != len(payload):
            raise OSError("short write")
        os.fsync(descriptor)
    except BaseException:
        os.close(descriptor)
        temporary.unlink(missing_ok=True)
        raise
    os.close(descriptor)
    try:
        for _ in range(1000):
            final = outbox / message_filename(report.workblock, report.title, outbox)
            try:
                os.link(temporary, final)
            except FileExistsError:
                continue
            return final
        raise OSError("no free outbox file name")
    finally:
        temporary.unlink(missing_ok=True)


def abort_relay(
    workspace: Workspace,
    *,
    actor: str,
    workblock: str | None,
    verdict: Verdict | None = None,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Stop: nothing is relayed, ``RELAY_ABORTED`` is recorded, the workblock goes on hold."""
    return AuditLog(workspace.audit_path).append(
        RELAY_ABORTED,
        actor,
        now=now,
        workblock=workblock or None,
        report_path=verdict.report_display_path if verdict else None,
        report_sha256=verdict.report_sha256 if verdict else None,
        message_sha256=verdict.message_sha256 if verdict else None,
        status=Label.HOLD_NO_ACTION.value,
        findings=verdict.counts() if verdict else None,
        note=note,
    )


def set_hold(
    workspace: Workspace,
    *,
    actor: str,
    workblock: str,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The human holds a workblock without aborting a relay."""
    return AuditLog(workspace.audit_path).append(
        HOLD_SET, actor, now=now, workblock=workblock, status=Label.HOLD_NO_ACTION.value, note=note
    )


def release_hold(
    workspace: Workspace,
    *,
    actor: str,
    workblock: str,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The human releases a workblock's hold (TUI only)."""
    if not actor.startswith("human:"):
        raise RelayRefused("Only a human can release a hold.")
    return AuditLog(workspace.audit_path).append(
        HOLD_RELEASED, actor, now=now, workblock=workblock, note=note
    )


def record_blocked(
    workspace: Workspace, verdict: Verdict, *, now: dt.datetime | None = None
) -> dict[str, Any] | None:
    """``VALIDATION_BLOCKED`` once per blocked report hash; None when already recorded.

    Every record counts here, also those after a break in the chain: the record is information
    only, and counting only trusted ones would append again on every scan of a broken log.
    """
    if verdict.label != Label.BLOCKED or verdict.report_sha256 is None:
        return None
    log = AuditLog(workspace.audit_path)
    if any(
        record.get("event") == VALIDATION_BLOCKED
        and record.get("report_sha256") == verdict.report_sha256
        for record in log.all_records()
    ):
        return None
    return log.append(
        VALIDATION_BLOCKED,
        "relay",
        now=now,
        workblock=verdict.workblock,
        report_path=verdict.report_display_path,
        report_sha256=verdict.report_sha256,
        status=verdict.label.value,
        findings=verdict.counts(),
    )


@dataclass(frozen=True)
class Authorization:
    """The result of authorizing a card."""

    card_path: Path
    card_sha256: str
    record: dict[str, Any] = field(default_factory=dict)


def authorize_card(
    workspace: Workspace, workblock: str, *, actor: str, now: dt.datetime | None = None
) -> Authorization:
    """Stamp the card's ``[authorization]`` and append ``CARD_AUTHORIZED`` (TUI only).

    The card's other text (comments included) is kept; only the authorization table is
    replaced or added at the end.
    """
    if not actor.startswith("human:"):
        raise RelayRefused("Only a human can authorize a card.")
    loaded = workspace.load_card(workblock)
    if loaded is None:
        raise RelayRefused(f"There is no card for {workblock}.")
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    text = loaded.path.read_text("utf-8")
    # Written by hand so the time reads as RFC 3339 with ``T`` and ``Z``, as the contract shows.
    stamp = (
        "[authorization]\n"
        + tomli_w.dumps({"by": actor.removeprefix("human:")})
        + f"at = {moment.strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
        + tomli_w.dumps({"card_sha256": loaded.body_sha256})
    )
    updated = _without_authorization(text).rstrip("\n") + "\n\n" + stamp
    parsed = tomllib.loads(updated)
    if card_body_sha256(parsed) != loaded.body_sha256:
        raise RelayRefused(
            "The card could not be stamped without changing its body; edit it by hand."
        )
    record = AuditLog(workspace.audit_path).append(
        CARD_AUTHORIZED,
        actor,
        now=now,
        workblock=workblock,
        card_sha256=loaded.body_sha256,
    )
    temporary = loaded.path.with_name(loaded.path.name + ".tmp")
    temporary.write_text(updated, "utf-8")
    os.replace(temporary, loaded.path)
    return Authorization(card_path=loaded.path, card_sha256=loaded.body_sha256, record=record)


def _without_authorization(text: str) -> str:
    """The card text with its ``[authorization]`` table (up to the next table) removed."""
    lines = text.split("\n")
    kept: list[str] = []
    skipping = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            skipping = stripped.replace(" ", "") == "[authorization]"
        if not skipping:
            kept.append(line)
    return "\n".join(kept)
