"""Screens of the review TUI: each owns its layout and its keys."""
