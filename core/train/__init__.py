"""A³ — algorithms, feature steps, training one pipeline, search spaces, searches (tuning) and the worker processes
they run in (jobs)."""
