"""Widgets of the review TUI: each renders what it is given and posts messages upward."""
