"""Every rule family, registered in one registry (``base.RULES``) by importing its module."""

from relay_tui.core.rules import (  # noqa: F401 - imported for registration
    audit_chain,
    authority,
    card,
    consistency,
    git,
    hidden,
    injection,
    scope,
    secret,
    state,
    structure,
)
from relay_tui.core.rules.base import RULES, Rule, RuleContext, register

__all__ = ["RULES", "Rule", "RuleContext", "register"]
