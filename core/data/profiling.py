"""Data profile reports with ydata-profiling: built once per data-set digest and kept in MLflow."""

from __future__ import annotations

import pandas as pd

from core.common.config import active_store

MINIMAL_ABOVE_CELLS = 500_000  # rows × columns; the full report's correlations and interactions grow fast
PROFILE_ARTIFACT = "dataset/profile.html"
# digest of the frame the report was built from; reports logged under the older "qua3ck.profile_digest" carried
# names from the data raw in their HTML and are not reused
TAG_PROFILE = "qua3ck.profile_inert_digest"
# ydata-profiling writes column names, category values and the title into its HTML escaped in some places and raw
# in others (where a name becomes live markup or script); the characters HTML gives a meaning to become their
# full-width look-alikes, which read the same in both and mean nothing to a browser
_LOOKALIKES = str.maketrans({"<": "＜", ">": "＞", "&": "＆", '"': "＂", "'": "＇"})
_MEANINGFUL = "[<>&\"']"


def uses_minimal_mode(frame: pd.DataFrame) -> bool:
    """Whether the report is built in ydata-profiling's minimal mode (large frames)."""
    return frame.shape[0] * frame.shape[1] > MINIMAL_ABOVE_CELLS


def profile_html(frame: pd.DataFrame, title: str) -> str:
    """A profile report of the frame as one self-contained HTML page, with no markup from the data in it."""
    from ydata_profiling import ProfileReport

    inert = inert_for_html(frame)
    report = ProfileReport(inert, title=inert_text(title), minimal=uses_minimal_mode(frame), progress_bar=False)
    return report.to_html()


def inert_text(text: str) -> str:
    """``text`` with <, >, &, " and ' as their full-width look-alikes (see _LOOKALIKES)."""
    return text.translate(_LOOKALIKES)


def inert_for_html(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with inert column names and text values (a copy only where something changes)."""
    columns = [inert_text(str(c)) for c in frame.columns]
    out = frame if columns == [str(c) for c in frame.columns] else frame.set_axis(columns, axis=1)
    for position in range(out.shape[1]):
        values = out.iloc[:, position]
        if isinstance(values.dtype, pd.CategoricalDtype):
            categories = values.cat.categories
            if categories.dtype == object and categories.astype(str).str.contains(_MEANINGFUL).any():
                out = out if out is not frame else frame.copy()
                renamed = [inert_text(c) if isinstance(c, str) else c for c in categories]
                out.isetitem(position, values.cat.rename_categories(renamed))
        elif values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            texts = values.dropna().astype(str)
            if texts.str.contains(_MEANINGFUL).any():
                out = out if out is not frame else frame.copy()
                out.isetitem(position, values.map(lambda v: inert_text(v) if isinstance(v, str) else v))
    return out


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
