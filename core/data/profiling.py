"""Data profile reports with ydata-profiling: built once per data-set digest and kept in MLflow."""

from __future__ import annotations

import pandas as pd

from core.common.config import active_store

MINIMAL_ABOVE_CELLS = 500_000  # rows × columns; the full report's correlations and interactions grow fast
PROFILE_ARTIFACT = "dataset/profile.html"
TAG_PROFILE = "qua3ck.profile_digest"  # digest of the frame the report was built from


def uses_minimal_mode(frame: pd.DataFrame) -> bool:
    """Whether the report is built in ydata-profiling's minimal mode (large frames)."""
    return frame.shape[0] * frame.shape[1] > MINIMAL_ABOVE_CELLS


def profile_html(frame: pd.DataFrame, title: str) -> str:
    """A profile report of the frame as one self-contained HTML page."""
    from ydata_profiling import ProfileReport

    report = ProfileReport(frame, title=title, minimal=uses_minimal_mode(frame), progress_bar=False)
    return report.to_html()


def stored_profile(digest: str) -> str | None:
    """The profile HTML logged for a data set with this digest in any project, or None."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException

    active_store()
    client = MlflowClient()
    experiments = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ACTIVE_ONLY)]
    if not experiments:
        return None
    runs = client.search_runs(
        experiments,
        filter_string=f"tags.`{TAG_PROFILE}` = '{digest}'",
        max_results=1,
    )
    if not runs:
        return None
    try:
        return mlflow.artifacts.load_text(f"runs:/{runs[0].info.run_id}/{PROFILE_ARTIFACT}")
    except (MlflowException, OSError):
        return None


def store_profile(run_id: str, html: str, digest: str) -> None:
    """Log the profile HTML on the data run so that it is reused after restarts and visible in mlflow ui."""
    from mlflow import MlflowClient

    active_store()
    client = MlflowClient()
    client.log_text(run_id, html, PROFILE_ARTIFACT)
    client.set_tag(run_id, TAG_PROFILE, digest)
