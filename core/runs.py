"""Reading a project's runs back from MLflow as tidy frames for the compare page and the status board."""

from __future__ import annotations

import pandas as pd

from core.config import active_store
from core.datastore import TAG_KIND
from core.evaluation import TAG_VERDICT
from core.kpis import KPI, METRICS, SCORE_METRICS
from core.training import TAG_ALGORITHM, TAG_MODEL_URI

PAGE_SIZE = 500

RUN_COLUMNS = [
    "run_id",
    "run",
    "algorithm",
    "status",
    "started",
    "seconds",
    "cv_score",
    "cv_std",
    "test_score",
    "verdict",
    "data_digest",
    "has_model",
]


def primary_metric(kpis: list[KPI]) -> str:
    """The score the project optimises: its first score KPI, else accuracy."""
    return next((k.metric for k in kpis if METRICS[k.metric].is_score), "accuracy")


def training_runs(experiment_id: str, metric: str = "accuracy", limit: int = 5000) -> pd.DataFrame:
    """One row per model run of the project (data runs and search trials excluded), newest first, paged."""
    from mlflow import MlflowClient

    active_store()
    client = MlflowClient()
    rows, token = [], None
    while len(rows) < limit:
        page = client.search_runs(
            [experiment_id],
            max_results=PAGE_SIZE,
            page_token=token,
            order_by=["attributes.start_time DESC"],
        )
        for run in page:
            tags, metrics = run.data.tags, run.data.metrics
            if tags.get(TAG_KIND) in ("data", "trial"):  # trials have no model; their search run stands for them
                continue
            end = run.info.end_time or run.info.start_time
            rows.append(
                {
                    "run_id": run.info.run_id,
                    "run": run.info.run_name or run.info.run_id[:8],
                    "algorithm": tags.get(TAG_ALGORITHM) or run.data.params.get("algorithm") or "—",
                    "status": run.info.status,
                    "started": pd.to_datetime(run.info.start_time, unit="ms"),
                    "seconds": round((end - run.info.start_time) / 1000, 1),
                    "cv_score": metrics.get(f"cv_{metric}"),
                    "cv_std": metrics.get(f"cv_{metric}_std"),
                    "test_score": metrics.get(f"test_{metric}"),
                    "verdict": tags.get(TAG_VERDICT, "not evaluated"),
                    "data_digest": tags.get("qua3ck.data_digest", ""),
                    "has_model": bool(tags.get(TAG_MODEL_URI)),
                    **{f"test_{m}": metrics.get(f"test_{m}") for m in [*SCORE_METRICS, "latency_ms"]},
                }
            )
        token = page.token
        if not token:
            break
    return pd.DataFrame(
        rows,
        columns=RUN_COLUMNS + [f"test_{m}" for m in [*SCORE_METRICS, "latency_ms"]],
    )


OVERVIEW_COLUMNS = [c for c in RUN_COLUMNS if c not in ("run_id", "has_model")]


def overview(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The runs table as people read it: the main columns, score columns named after the metric."""
    names = {"cv_score": f"CV {metric}", "cv_std": "CV std", "test_score": f"test {metric}"}
    return table[OVERVIEW_COLUMNS].rename(columns=names)


def run_params(run_id: str) -> dict[str, str]:
    """The parameters of one run."""
    from mlflow import MlflowClient

    active_store()
    return dict(MlflowClient().get_run(run_id).data.params)


def _score(value) -> str | None:
    return f"{float(value):.3f}" if value is not None and pd.notna(value) else None


def run_labels(table: pd.DataFrame) -> dict[str, str]:
    """A readable label per run id: name · algorithm · CV score · test score and verdict when known."""
    labels = {}
    for row in table.itertuples():
        parts = [row.run, row.algorithm]
        if cv := _score(row.cv_score):
            parts.append(f"CV {cv}")
        if test := _score(row.test_score):
            parts.append(f"test {test} · {row.verdict}")
        labels[row.run_id] = " · ".join(parts)
    return labels
