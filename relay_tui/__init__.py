"""relay-tui: a local relay between Codex and ChatGPT where information flows and authority does not."""

__version__ = "0.1.0"
