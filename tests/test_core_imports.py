"""The core never imports Textual: it is usable as a library, from CI and from the CLI."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import relay_tui.core

CORE_MODULES = sorted(
    module.name
    for module in pkgutil.walk_packages(relay_tui.core.__path__, prefix="relay_tui.core.")
)

CHECK = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
    if "textual" in sys.modules:
        print(name)
        raise SystemExit(1)
"""


def imports_textual(*modules: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHECK, *modules], capture_output=True, text=True, timeout=60
    )


def test_every_core_module_is_found() -> None:
    expected = {
        "relay_tui.core.audit",
        "relay_tui.core.message",
        "relay_tui.core.models",
        "relay_tui.core.report",
        "relay_tui.core.sanitize",
        "relay_tui.core.validate",
        "relay_tui.core.workspace",
        "relay_tui.core.rules.hidden",
        "relay_tui.core.rules.scope",
    }
    assert expected <= set(CORE_MODULES)


def test_no_core_module_imports_textual() -> None:
    """One fresh interpreter imports the modules one by one and checks after each."""
    done = imports_textual(*CORE_MODULES)
    assert done.returncode == 0, f"imports textual: {done.stdout or done.stderr}"


def test_cli_commands_do_not_import_textual() -> None:
    script = (
        "import sys, io, contextlib\n"
        "from relay_tui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['schema'])\n"
        "    try:\n"
        "        main(['validate', '/nonexistent/x.md'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "assert 'textual' not in sys.modules, 'textual imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_the_check_itself_can_fail() -> None:
    assert imports_textual("textual").returncode == 1
