"""The widgets of each phase page, one module per phase (the pages call them)."""
