"""SCOPE: every changed file lies inside the card's allowed paths and outside its forbidden ones."""

from __future__ import annotations

import re
from collections.abc import Iterator

from relay_tui.core.models import Finding, Severity
from relay_tui.core.rules.base import RuleContext, finding, register
from relay_tui.core.sanitize import sanitize_line
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


@register("SCOPE")
def check_scope(ctx: RuleContext) -> Iterator[Finding]:
    """Each file in ``files_changed`` is checked against the card's globs."""
    if ctx.card is None or ctx.card_error is not None:
        return
    card = ctx.card.card
    line = ctx.parsed.line_of_field("files_changed")
    for declared in ctx.report.files_changed:
        shown = sanitize_line(declared)
        problem = path_problem(declared)
        if problem is not None:
            rule = "SCOPE-004" if "'..'" in problem else "SCOPE-003"
            yield finding(rule, Severity.block, f"Changed file '{shown}' {problem}.", line)
            continue
        path = normalize_path(declared)
        if path_matches(path, card.forbidden_paths):
            yield finding(
                "SCOPE-002",
                Severity.block,
                f"Changed file '{shown}' is inside the card's forbidden paths.",
                line,
            )
        elif not path_matches(path, card.allowed_paths):
            yield finding(
                "SCOPE-001",
                Severity.block,
                f"Changed file '{shown}' is outside the card's allowed paths "
                f"({', '.join(sanitize_line(glob) for glob in card.allowed_paths) or 'none'}).",
                line,
            )
