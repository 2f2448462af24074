"""Data profile reports with ydata-profiling, as self-contained HTML."""

from __future__ import annotations

import pandas as pd

MINIMAL_ABOVE_ROWS = 20_000


def profile_html(frame: pd.DataFrame, title: str) -> str:
    """A profile report of the frame as one HTML page; the minimal variant for large frames."""
    from ydata_profiling import ProfileReport

    report = ProfileReport(
        frame,
        title=title,
        minimal=len(frame) > MINIMAL_ABOVE_ROWS,
        progress_bar=False,
        explorative=False,
    )
    return report.to_html()
