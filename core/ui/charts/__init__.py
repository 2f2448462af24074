"""Plotly figure builders, one module per phase; pure functions of frames and results."""
