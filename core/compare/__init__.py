"""C — conclude and compare: the runs table, held-out evaluation, the evidence of a run, per-class diagnostics and
statistical tests."""
