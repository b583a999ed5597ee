"""The Textual review app: a thin shell over ``relay_tui.core`` (watch, review, confirm, abort)."""
