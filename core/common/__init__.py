"""Shared by every phase: where the store lives (config), the one error base (errors), translation and number
formatting (i18n), code provenance, and ending runs a crash left open (run_recovery)."""
