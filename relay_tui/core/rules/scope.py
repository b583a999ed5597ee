"""SCOPE: every changed file lies inside the card's allowed paths and outside its forbidden ones."""

from __future__ import annotations

import re
from collections.abc import Iterator

from relay_tui.core.models import Finding, Severity
from relay_tui.core.rules.base import RuleContext, finding, quote, register
from relay_tui.core.workspace import path_matches

_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]|^\\\\")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def path_problem(path: str) -> str | None:
    """Why a declared path can never be in scope (absolute, ``..``, URL), or None."""
    if not path.strip():
        return "is empty"
    if path.startswith("/") or _WINDOWS_ABSOLUTE.match(path) or path.startswith("~"):
        return "is absolute; paths must be relative to the repository root"
    if _URL.match(path):
        return "is a URL, not a repository path"
    if ".." in re.split(r"[\\/]", path):
        return "has a '..' segment that climbs out of the repository"
    return None


def normalize_path(path: str) -> str:
    """``./src//a.py`` -> ``src/a.py`` (POSIX, no leading ``./``)."""
    parts = [part for part in path.replace("\\", "/").split("/") if part not in ("", ".")]
    return "/".join(parts)


#: Out-of-scope files listed one by one before the rest are summed up in one finding.
MAX_LISTED = 50


def scope_problem(
    declared: str, allowed: list[str], forbidden: list[str]
) -> tuple[str, str] | None:
    """The rule id and the reason a declared changed file is out of scope, or None."""
    problem = path_problem(declared)
    if problem is not None:
        return ("SCOPE-004" if "'..'" in problem else "SCOPE-003"), problem
    path = normalize_path(declared)
    if path_matches(path, forbidden):
        return "SCOPE-002", "is inside the card's forbidden paths"
    if not path_matches(path, allowed):
        globs = ", ".join(quote(glob) for glob in allowed) or "none"
        return "SCOPE-001", f"is outside the card's allowed paths ({globs})"
    return None


@register("SCOPE")
def check_scope(ctx: RuleContext) -> Iterator[Finding]:
    """Each file in ``files_changed`` is checked against the card's globs."""
    if ctx.card is None or ctx.card_error is not None:
        return
    card = ctx.card.card
    listed = 0
    unlisted = 0
    for declared in ctx.report.files_changed:
        found = scope_problem(declared, card.allowed_paths, card.forbidden_paths)
        if found is None:
            continue
        if listed == MAX_LISTED:
            unlisted += 1
            continue
        listed += 1
        rule, reason = found
        line = ctx.parsed.line_of_value("files_changed", declared)
        yield finding(rule, Severity.block, f"Changed file '{quote(declared)}' {reason}.", line)
    if unlisted:
        yield finding(
            "SCOPE-005",
            Severity.block,
            f"{unlisted} more changed files are out of the card's scope (not listed one by one).",
            ctx.parsed.line_of_field("files_changed"),
        )
