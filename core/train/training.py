"""A³: train one configured pipeline with cross-validation and log everything to one MLflow run."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from core.common.config import active_store
from core.common.i18n import number
from core.common.provenance import provenance_tags
from core.data.datastore import TAG_DIGEST, TAG_KIND, DatasetRecord, data_source_uri, mlflow_dataset
from core.data.sets import dataset_digest
from core.question.kpis import SCORE_METRICS
from core.train.algorithms import ALGORITHMS, build_pipeline, choice_text, clean_params, get_algorithm
from core.train.features import FeatureSteps

if TYPE_CHECKING:
    from mlflow.entities import Metric

TAG_ALGORITHM = "qua3ck.algorithm"
TAG_SEARCH = "qua3ck.search"  # "1" on a search's parent run
TAG_DATA_RUN = "qua3ck.data_run"
TAG_MODEL_URI = "qua3ck.model_uri"
MODEL_NAME = "model"
DEFAULT_CV_FOLDS = 5


@dataclass(frozen=True)
class TrainResult:
    """What one training run produced."""

    run_id: str
    experiment_id: str
    algorithm: str
    params: dict[str, object]
    cv_metrics: dict[str, float]  # cv_<metric> and cv_<metric>_std
    cv_folds: int
    model_uri: str
    seconds: float
    steps: FeatureSteps = FeatureSteps()


def cv_folds_for(y, wanted: int = DEFAULT_CV_FOLDS) -> int:
    """As many stratified folds as wanted, but no more than the smallest class has rows (at least 2)."""
    return max(2, min(wanted, int(y.astype(str).value_counts().min())))


def skops_trusted_types(model) -> list[str]:
    """The types skops must be told to trust to load this model: all from the libraries we built it with."""
    import skops.io

    return skops.io.get_untrusted_types(data=skops.io.dumps(model))


def fold_key(metric: str) -> str:
    """The MLflow metric key of a score's per-fold values, one step per fold: ``cv_<metric>_folds``."""
    return f"cv_{metric}_folds"


def cross_validated_folds(
    pipeline, X: pd.DataFrame, y: pd.Series, folds: int, seed: int
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Stratified k-fold CV: the metrics of :func:`cross_validated` and each score per fold, in fold order."""
    from sklearn.model_selection import StratifiedKFold, cross_validate

    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = cross_validate(pipeline, X, y, cv=cv, scoring=SCORE_METRICS, error_score="raise")
    metrics: dict[str, float] = {}
    fold_scores: dict[str, list[float]] = {}
    for metric in SCORE_METRICS:
        values = scores[f"test_{metric}"]
        metrics[f"cv_{metric}"] = float(values.mean())
        metrics[f"cv_{metric}_std"] = float(values.std())
        fold_scores[metric] = [float(v) for v in values]  # plain floats: they cross process boundaries
    metrics["cv_fit_seconds"] = float(scores["fit_time"].mean())
    return metrics, fold_scores


def cross_validated(pipeline, X: pd.DataFrame, y: pd.Series, folds: int, seed: int) -> dict[str, float]:
    """Stratified k-fold CV of a pipeline: ``cv_<metric>`` mean and ``cv_<metric>_std`` per score, fit seconds."""
    return cross_validated_folds(pipeline, X, y, folds, seed)[0]


def fold_metrics(fold_scores: dict[str, list[float]], timestamp_ms: int | None = None) -> list[Metric]:
    """Per-fold scores as MLflow ``Metric`` entities: key :func:`fold_key`, step = fold index (0-based).

    A non-finite score is left out (as elsewhere), so its fold's step is missing rather than NaN.
    """
    from mlflow.entities import Metric

    now = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    return [
        Metric(fold_key(metric), float(value), now, step)
        for metric, values in fold_scores.items()
        for step, value in enumerate(values)
        if math.isfinite(value)
    ]


def run_params(
    dataset: DatasetRecord,
    algorithm: str,
    params: dict[str, object],
    steps: FeatureSteps,
    folds: int,
    seed: int | None = None,
) -> dict[str, object]:
    """The params every model run logs: what it is, how it was cross-validated and on which split."""
    return {
        "algorithm": algorithm,
        **{k: choice_text(v) for k, v in params.items()},
        **steps.as_params(),
        "cv_folds": folds,
        "random_seed": dataset.split.seed if seed is None else seed,
        "split_seed": dataset.split.seed,
        "test_size": dataset.split.test_size,
        "train_rows": len(dataset.split.train),
        "features": len(dataset.features),
    }


def run_tags(dataset: DatasetRecord, algorithm: str, kind: str = "train") -> dict[str, str]:
    return {
        TAG_KIND: kind,
        TAG_ALGORITHM: algorithm,
        TAG_DIGEST: dataset.digest,
        TAG_DATA_RUN: dataset.run_id,
        **provenance_tags(),
    }


_inputs_lock = threading.Lock()


def log_training_inputs(dataset: DatasetRecord) -> None:
    """Log the training split as the active run's input data set, with its source data run.

    MLflow inserts a data set it has not seen yet; two searches starting at once on the same data would both
    try (a UNIQUE constraint error), so threads take turns, and another process's insert is retried once.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    train_rows = dataset.frame.iloc[dataset.split.train]
    name = f"{dataset.name} (train split)"
    source = data_source_uri(dataset.run_id)
    data = mlflow_dataset(train_rows, name, dataset.target, dataset_digest(train_rows), source)
    with _inputs_lock:
        try:
            mlflow.log_input(data, context="training")
        except MlflowException as exc:
            if "unique constraint" not in str(exc).lower():
                raise
            mlflow.log_input(data, context="training")  # the data set exists now: MLflow links it


def log_fitted_model(pipeline, dataset: DatasetRecord, run_id: str | None = None):
    """Fit on the whole training split and log the model with what serving needs (ranges, schema) in run
    ``run_id`` (default: the active run), which stays open."""
    import mlflow

    run_id = run_id or mlflow.active_run().info.run_id
    client = mlflow.MlflowClient()
    X, y = dataset.train_xy()
    pipeline.fit(X, y)
    client.log_dict(run_id, dataset.stats(), "feature_stats.json")
    client.log_dict(run_id, dataset.schema(), "schema.json")
    info = log_pipeline(pipeline, X, run_id)
    client.set_tag(run_id, TAG_MODEL_URI, info.model_uri)
    return info


def train_model(
    experiment_id: str,
    dataset: DatasetRecord,
    algorithm: str,
    params: dict[str, object] | None = None,
    cv_folds: int = DEFAULT_CV_FOLDS,
    steps: FeatureSteps | None = None,
) -> TrainResult:
    """Cross-validate and fit the pipeline on the training split; log params, metrics, data and model."""
    import mlflow

    spec = get_algorithm(algorithm)
    params = {**{p.name: p.default for p in spec.params}, **(params or {})}
    clean_params(algorithm, params)  # fail before a run exists
    steps = steps or FeatureSteps()
    active_store()
    started = time.perf_counter()
    X, y = dataset.train_xy()
    folds = cv_folds_for(y, cv_folds)
    run_name = f"{algorithm}-{time.strftime('%Y%m%d-%H%M%S')}"
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=run_tags(dataset, algorithm)) as run:
        mlflow.log_params(run_params(dataset, algorithm, params, steps, folds))
        log_training_inputs(dataset)
        pipeline = build_pipeline(algorithm, params, X, seed=dataset.split.seed, steps=steps)
        cv_metrics, fold_scores = cross_validated_folds(pipeline, X, y, folds, dataset.split.seed)
        mlflow.log_metrics(cv_metrics)
        # one metric key per score with a step per fold, so two runs on the same folds can be paired later
        mlflow.MlflowClient().log_batch(run.info.run_id, metrics=fold_metrics(fold_scores))
        info = log_fitted_model(pipeline, dataset)
    return TrainResult(
        run_id=run.info.run_id,
        experiment_id=experiment_id,
        algorithm=algorithm,
        params=params,
        cv_metrics=cv_metrics,
        cv_folds=folds,
        model_uri=info.model_uri,
        seconds=time.perf_counter() - started,
        steps=steps,
    )


_trusted_by_structure: dict[tuple[str, ...], list[str]] = {}


def pipeline_structure(model) -> tuple[str, ...]:
    """The classes a fitted pipeline is built from; pipelines of the same classes hold the same types."""
    objects = [model, *(v for v in model.get_params(deep=True).values() if hasattr(v, "get_params"))]
    return tuple(sorted({f"{type(o).__module__}.{type(o).__qualname__}" for o in objects}))


def log_pipeline(pipeline, X, run_id: str | None = None):
    """Log a fitted pipeline in run ``run_id`` (default: the active run): skops with its trusted types,
    signature, input example.

    skops is the safe format; its allow-list is computed from the pipeline we built, so plain
    ``mlflow.pyfunc.load_model`` and ``mlflow models serve`` load it anywhere. Computing the list serialises
    the whole model, so it is kept per pipeline structure; MLflow loads the saved model with the list before
    it returns, so a list that no longer suffices fails loudly and is computed afresh. Explicit pip
    requirements skip MLflow's slow requirement inference subprocess.
    """
    from mlflow.exceptions import MlflowException

    key = pipeline_structure(pipeline)
    known = key in _trusted_by_structure
    if not known:
        _trusted_by_structure[key] = skops_trusted_types(pipeline)
    try:
        return _log_skops_model(pipeline, X, _trusted_by_structure[key], run_id)
    except MlflowException as exc:
        if not known or "untrusted" not in str(exc).lower():
            raise
    _trusted_by_structure[key] = skops_trusted_types(pipeline)
    return _log_skops_model(pipeline, X, _trusted_by_structure[key], run_id)


def _log_skops_model(pipeline, X, trusted: list[str], run_id: str | None):
    import mlflow
    from mlflow.models import infer_signature

    example = X.head(5)
    signature = infer_signature(X, pipeline.predict(X.head(50)))
    return mlflow.sklearn.log_model(
        pipeline,
        name=MODEL_NAME,
        signature=signature,
        input_example=example,
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
        skops_trusted_types=trusted,
        pip_requirements=mlflow.sklearn.get_default_pip_requirements(include_skops=True),
        run_id=run_id,
    )


def results_table(results: list[TrainResult], metric: str = "accuracy") -> pd.DataFrame:
    """Training results ranked by the CV score of ``metric``: mean ± std per score, fit time, parameters."""

    rows = []
    for r in results:
        rows.append(
            {
                "rank_score": r.cv_metrics[f"cv_{metric}"],
                "algorithm": ALGORITHMS[r.algorithm].shown_label,
                **{
                    f"CV {m}": f"{number(r.cv_metrics[f'cv_{m}'], 3)} ± {number(r.cv_metrics[f'cv_{m}_std'], 3)}"
                    for m in SCORE_METRICS
                },
                "fit s": round(r.cv_metrics["cv_fit_seconds"], 3),
                "folds": r.cv_folds,
                "run": r.run_id[:8],
                "params": ", ".join(f"{k}={choice_text(v)}" for k, v in r.params.items()),
            }
        )
    table = pd.DataFrame(rows).sort_values("rank_score", ascending=False, kind="stable").drop(columns="rank_score")
    table.insert(0, "rank", range(1, len(table) + 1))
    return table
