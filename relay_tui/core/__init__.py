"""The pure-Python engine of relay-tui; it never imports Textual."""
