"""relay-tui: a local relay between Codex and ChatGPT; information flows, authority does not."""

__version__ = "0.1.0"
