"""Reading a project's runs back from MLflow as tidy frames: the compare page's runs table, its filters and the
trials of a search."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from core.common.config import active_store
from core.common.i18n import number
from core.compare import diagnostics
from core.compare.evaluation import TAG_VERDICT
from core.compare.evidence import conclusion_text
from core.data.datastore import TAG_KIND
from core.question.kpis import SCORE_METRICS
from core.train.algorithms import ALGORITHMS
from core.train.recipe import RecipeError, read_search_json, search_config_from_dict
from core.train.search_space import Dimension
from core.train.training import TAG_ALGORITHM, TAG_DATA_RUN, TAG_MODEL_URI, TAG_SEARCH
from core.train.tuning import TAG_ERROR, TAG_PARENT, TAG_WORKER, Trial, trials_frame

PAGE_SIZE = 500
TOP_LEVEL = f"tags.`{TAG_PARENT}` IS NULL"  # searches stand for their trials in the runs table
KEY_PARAMS = 3

RUN_COLUMNS = [
    "run_id",
    "run",
    "kind",
    "algorithm",
    "key_params",
    "status",
    "started",
    "seconds",
    "cv_score",
    "cv_std",
    "test_score",
    "verdict",
    "conclusion",
    "trials",
    "data_digest",
    "data_run",
    "has_model",
    "parent_id",
]
TEST_COLUMNS = [f"test_{m}" for m in [*SCORE_METRICS, "latency_ms"]]
VERDICTS = {"pass": "✅ pass", "fail": "❌ fail", "none": "— no KPIs", "not evaluated": "· not evaluated"}
KINDS = {"train": "training", "search": "search", "trial": "trial", "other": "other code"}
ORDERS = {
    "newest": "newest first",
    "cv": "best CV score first",
    "test": "best test score first",
}


def _pages(experiment_id: str, filter_string: str, limit: int):
    """Runs of the experiment matching the filter, newest first, fetched PAGE_SIZE at a time."""
    from mlflow import MlflowClient

    active_store()
    client = MlflowClient()
    token, seen = None, 0
    while seen < limit:
        page = client.search_runs(
            [experiment_id],
            filter_string=filter_string,
            max_results=min(PAGE_SIZE, limit - seen),
            page_token=token,
            order_by=["attributes.start_time DESC"],
        )
        yield from page
        seen += len(page)
        token = page.token
        if not token:
            break


def _kind(tags: dict[str, str]) -> str:
    if tags.get(TAG_SEARCH) == "1":
        return "search"
    if tags.get(TAG_PARENT):
        return "trial"
    return "train" if tags.get(TAG_KIND) == "train" else "other"


def key_params(algorithm: str, params: dict[str, str], limit: int = KEY_PARAMS) -> str:
    """The few hyperparameters that tell runs of one algorithm apart, as 'name=value · …'."""

    spec = ALGORITHMS.get(algorithm)
    names = [p.name for p in spec.params if p.tuned] if spec else []
    shown = [f"{n}={params[n]}" for n in names if n in params][:limit]
    return " · ".join(shown)


def _row(run, metric: str) -> dict:
    tags, metrics, params = run.data.tags, run.data.metrics, run.data.params
    algorithm = tags.get(TAG_ALGORITHM) or params.get("algorithm") or "—"
    end = run.info.end_time or run.info.start_time
    trials = metrics.get("search.trials")
    return {
        "run_id": run.info.run_id,
        "run": run.info.run_name or run.info.run_id[:8],
        "kind": _kind(tags),
        "algorithm": algorithm,
        "key_params": key_params(algorithm, params),
        "status": run.info.status,
        "started": pd.to_datetime(run.info.start_time, unit="ms"),
        "seconds": round((end - run.info.start_time) / 1000, 1),
        "cv_score": metrics.get(f"cv_{metric}"),
        "cv_std": metrics.get(f"cv_{metric}_std"),
        "test_score": metrics.get(f"test_{metric}"),
        "verdict": tags.get(TAG_VERDICT, "not evaluated"),
        "conclusion": conclusion_text(tags),
        "trials": int(trials) if trials is not None else None,
        "data_digest": tags.get("qua3ck.data_digest", ""),
        "data_run": tags.get(TAG_DATA_RUN, ""),
        "has_model": bool(tags.get(TAG_MODEL_URI)),
        "parent_id": tags.get(TAG_PARENT, ""),
        **{f"test_{m}": metrics.get(f"test_{m}") for m in [*SCORE_METRICS, "latency_ms"]},
    }


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=RUN_COLUMNS + TEST_COLUMNS)


def training_runs(experiment_id: str, metric: str = "accuracy", limit: int = 5000) -> pd.DataFrame:
    """One row per model run of the project, newest first: trainings and searches (whose trials are left to
    search_children), not data runs; queried a page at a time."""
    rows = [
        _row(run, metric)
        for run in _pages(experiment_id, TOP_LEVEL, limit)
        # a data run records a data set, a prediction-log run what a served model answered: neither is a model
        if run.data.tags.get(TAG_KIND) not in ("data", "predictions")
    ]
    return _frame(rows)


def search_children(experiment_id: str, metric: str = "accuracy", limit: int = 20000) -> pd.DataFrame:
    """Every trial of every search in the project (child runs), for grouping under their searches."""
    rows = [_row(run, metric) for run in _pages(experiment_id, f"tags.`{TAG_PARENT}` != ''", limit)]
    return _frame(rows)


def latest_change(experiment_id: str) -> tuple[str, str, int]:
    """The newest run's id, status and end time: a cheap fingerprint that changes when a run starts or ends."""
    page = list(_pages(experiment_id, "", 1))
    if not page:
        return ("", "", 0)
    info = page[0].info
    return (info.run_id, info.status, info.end_time or 0)


def filter_runs(
    table: pd.DataFrame,
    algorithms: list[str] | None = None,
    verdicts: list[str] | None = None,
    kinds: list[str] | None = None,
    text: str = "",
) -> pd.DataFrame:
    """The runs matching every given filter (an empty filter matches all); text matches run names and params."""
    keep = pd.Series(True, index=table.index)
    if algorithms:
        keep &= table["algorithm"].isin(algorithms)
    if verdicts:
        keep &= table["verdict"].isin(verdicts)
    if kinds:
        keep &= table["kind"].isin(kinds)
    if text.strip():
        needle = text.strip().lower()
        haystack = (table["run"] + " " + table["algorithm"] + " " + table["key_params"]).str.lower()
        keep &= haystack.str.contains(needle, regex=False)
    return table[keep]


def order_runs(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """The runs in the chosen order (see ORDERS); runs without the score go last."""
    if by not in ORDERS:
        raise ValueError(f"Order the runs by one of {', '.join(ORDERS)}, not '{by}'.")
    if by == "newest":
        return table.sort_values("started", ascending=False, kind="stable")
    column = "cv_score" if by == "cv" else "test_score"
    return table.sort_values(column, ascending=False, na_position="last", kind="stable")


def with_trials(table: pd.DataFrame, children: pd.DataFrame) -> pd.DataFrame:
    """The runs table with each search's trials right beneath it (best trial first), names indented."""
    if children.empty or "search" not in set(table["kind"]):
        return table
    by_parent = {
        parent: group.sort_values("cv_score", ascending=False, na_position="last", kind="stable")
        for parent, group in children.groupby("parent_id", sort=False)
    }
    parts = []
    for i in range(len(table)):
        row = table.iloc[[i]]
        parts.append(row)
        trials = by_parent.get(row["run_id"].iloc[0])
        if trials is not None:
            parts.append(trials.assign(run="  └ " + trials["run"]))
    return pd.concat(parts, ignore_index=True)


OVERVIEW_COLUMNS = [
    "run",
    "kind",
    "algorithm",
    "key_params",
    "cv_score",
    "cv_std",
    "test_score",
    "verdict",
    "conclusion",
    "seconds",
    "trials",
    "status",
    "started",
    "data_digest",
]


def overview(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The runs table as people read it: main columns, score columns named after the metric, verdict badges."""
    view = table[OVERVIEW_COLUMNS].copy()
    view["verdict"] = view["verdict"].map(lambda v: VERDICTS.get(v, v))
    view["kind"] = view["kind"].map(lambda k: KINDS.get(k, k))
    view["data_digest"] = view["data_digest"].str[:8]
    names = {"cv_score": f"CV {metric}", "cv_std": "CV std", "test_score": f"test {metric}", "key_params": "key params"}
    return view.rename(columns=names)


def run_params(run_id: str) -> dict[str, str]:
    """The parameters of one run."""
    from mlflow import MlflowClient

    active_store()
    return dict(MlflowClient().get_run(run_id).data.params)


def _score(value) -> str | None:
    return number(float(value), 3) if value is not None and pd.notna(value) else None


def run_labels(table: pd.DataFrame) -> dict[str, str]:
    """A readable label per run id: name · algorithm · CV score. Only what never changes once a run has ended:
    a widget keeps its choice by label, so a label that changed on evaluation would lose the choice."""
    labels = {}
    for row in table.itertuples():
        parts = [row.run, row.algorithm]
        if cv := _score(row.cv_score):
            parts.append(f"CV {cv}")
        labels[row.run_id] = " · ".join(parts)
    return labels


_TRIAL_NAME = re.compile(r"trial-(\d+)$")


def search_trials(parent_run_id: str, metric: str) -> tuple[pd.DataFrame, list[str]]:
    """A search's trials read back from MLflow as core.train.tuning.trials_frame's table, and the searched
    hyperparameters (from its search.json; else the params that vary between trials)."""
    trials, searched, _ = _search_trials(parent_run_id, metric)
    return trials, searched


def _search_trials(parent_run_id: str, metric: str) -> tuple[pd.DataFrame, list[str], tuple[Dimension, ...]]:
    from mlflow import MlflowClient

    active_store()
    client = MlflowClient()
    parent = client.get_run(parent_run_id)
    experiment_id = parent.info.experiment_id
    runs = list(_pages(experiment_id, f"tags.`{TAG_PARENT}` = '{parent_run_id}'", 20000))
    searched, space = _searched(parent_run_id, runs)
    trials = []
    for i, run in enumerate(sorted(runs, key=lambda r: r.info.start_time)):
        match = _TRIAL_NAME.search(run.info.run_name or "")
        params = run.data.params
        end = run.info.end_time or run.info.start_time
        trials.append(
            Trial(
                number=int(match.group(1)) if match else i,
                params=dict(params),
                values={n: params.get(n) for n in searched},
                metrics=dict(run.data.metrics),
                status=run.info.status,
                error=run.data.tags.get(TAG_ERROR),
                seconds=(end - run.info.start_time) / 1000,
                run_id=run.info.run_id,
                worker=run.data.tags.get(TAG_WORKER, ""),
            )
        )
    return trials_frame(trials, metric), searched, space


def _searched(parent_run_id: str, runs) -> tuple[list[str], tuple[Dimension, ...]]:
    """The searched hyperparameters and their space, from the search's search.json; a search other code logged
    has none: the params that vary between its trials, with no space."""
    try:
        space = search_config_from_dict(read_search_json(parent_run_id)).space
    except RecipeError:
        space = ()
    if space:
        return [d.name for d in space], space
    keys = sorted({k for run in runs for k in run.data.params})
    return [k for k in keys if len({run.data.params.get(k) for run in runs}) > 1], ()


@dataclass(frozen=True)
class SearchInsight:
    """Inside one search: its trials, the searched hyperparameters and how much each mattered (and how that was
    estimated); importance is empty with fewer than two finished trials."""

    trials: pd.DataFrame
    searched: list[str]
    finished: int
    importance: dict[str, float]
    method: str


def search_insight(parent_run_id: str, metric: str) -> SearchInsight:
    """A search's trials read back from MLflow with its hyperparameter importance."""

    trials, searched, space = _search_trials(parent_run_id, metric)
    score = f"CV {metric}"
    finished = len(diagnostics.finished_trials(trials, score)) if not trials.empty else 0
    importance = diagnostics.hyperparameter_importance(trials, searched, score, space) if finished >= 2 else {}
    method = diagnostics.hyperparameter_importance_method(trials, score) if importance else ""
    return SearchInsight(trials, searched, finished, importance, method)
