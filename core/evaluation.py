"""C phase: held-out test metrics, confusion matrix, predict latency and KPI verdict, computed once per run."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core import datastore, diagnostics
from core.config import active_store
from core.errors import one_line
from core.kpis import KPI, KPIResult, check_kpis, verdict
from core.training import TAG_DATA_RUN, TAG_MODEL_URI

EVALUATION_ARTIFACT = "evaluation/evaluation.json"
PER_CLASS_ARTIFACT = "evaluation/per_class.json"
TAG_VERDICT = "qua3ck.kpi_verdict"
TAG_VERDICT_KPIS = "qua3ck.kpi_verdict_kpis"
LATENCY_ROWS = 50


class EvaluationError(ValueError):
    """A run that cannot be evaluated, with the reason."""


@dataclass(frozen=True)
class Evaluation:
    """A run's held-out evaluation as stored on the run."""

    run_id: str
    metrics: dict[str, float]  # accuracy, …, latency_ms (p95), latency_ms_p50
    labels: list[str]
    confusion: list[list[int]]
    test_rows: int
    predictions: list[str] | None = None  # per held-out row, in the split's order (None: evaluated before)
    proba_classes: list[str] | None = None
    probabilities: list[list[float]] | None = None  # per held-out row and class (None: model has none)
    no_probabilities: str | None = None  # why there are no probabilities

    def kpi_results(self, kpis: list[KPI]) -> list[KPIResult]:
        return check_kpis(kpis, self.metrics)

    def verdict(self, kpis: list[KPI]) -> str:
        return verdict(self.kpi_results(kpis))


def score_predictions(y_true, y_pred) -> dict[str, float]:
    """The workbench's score metrics for one set of predictions."""
    from sklearn import metrics

    y_true = np.asarray(y_true).astype(str)
    y_pred = np.asarray(y_pred).astype(str)
    kwargs = {"average": "macro", "zero_division": 0}
    return {
        "accuracy": float(metrics.accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(metrics.balanced_accuracy_score(y_true, y_pred)),
        "f1_macro": float(metrics.f1_score(y_true, y_pred, **kwargs)),
        "precision_macro": float(metrics.precision_score(y_true, y_pred, **kwargs)),
        "recall_macro": float(metrics.recall_score(y_true, y_pred, **kwargs)),
    }


def confusion(y_true, y_pred) -> tuple[list[str], list[list[int]]]:
    """Class labels and the confusion matrix (rows: true class, columns: predicted class)."""
    from sklearn.metrics import confusion_matrix

    y_true = np.asarray(y_true).astype(str)
    y_pred = np.asarray(y_pred).astype(str)
    labels = sorted(set(y_true) | set(y_pred))
    return labels, confusion_matrix(y_true, y_pred, labels=labels).tolist()


def single_row_latency_ms(predict, X: pd.DataFrame, rows: int = LATENCY_ROWS) -> tuple[float, float]:
    """p50 and p95 in ms of predicting one row at a time, after one warm-up call."""
    sample = X.head(rows)
    predict(sample.iloc[[0]])
    timings = []
    for i in range(len(sample)):
        row = sample.iloc[[i]]
        started = time.perf_counter()
        predict(row)
        timings.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(timings, 50)), float(np.percentile(timings, 95))


def load_evaluation(run_id: str) -> Evaluation | None:
    """The stored evaluation of a run, or None when it has not been evaluated yet."""
    import mlflow
    from mlflow.exceptions import MlflowException

    active_store()
    try:
        stored = mlflow.artifacts.load_dict(f"runs:/{run_id}/{EVALUATION_ARTIFACT}")
    except (MlflowException, OSError, ValueError):
        return None
    return Evaluation(
        run_id,
        stored["metrics"],
        stored["labels"],
        stored["confusion"],
        stored["test_rows"],
        stored.get("predictions"),
        stored.get("proba_classes"),
        stored.get("probabilities"),
        stored.get("no_probabilities"),
    )


def evaluate_run(run_id: str, kpis: list[KPI] | None = None, again: bool = False) -> Evaluation:
    """Evaluate a run's model on its recorded held-out rows once, log the results to the run, reuse them after
    (``again``: evaluate anew, e.g. a run evaluated before predictions per row were stored)."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    active_store()
    client = MlflowClient()
    try:
        run = client.get_run(run_id)
    except MlflowException:
        raise EvaluationError(f"There is no run '{run_id}' in this store.") from None
    evaluation = None if again else load_evaluation(run_id)
    if evaluation is None:
        data_run = run.data.tags.get(TAG_DATA_RUN)
        model_uri = run.data.tags.get(TAG_MODEL_URI)
        if not data_run or not model_uri:
            raise EvaluationError(
                f"Run {run_id} was not trained by the workbench on a project data set, "
                "so its held-out rows are unknown."
            )
        dataset = datastore.load_dataset(data_run)
        try:
            model = mlflow.pyfunc.load_model(model_uri)
        except (MlflowException, OSError) as exc:
            raise EvaluationError(f"The model of run {run_id} cannot be loaded: {one_line(exc)}") from None
        X_test, y_test = dataset.test_xy()
        y_pred = model.predict(X_test)
        metrics = score_predictions(y_test, y_pred)
        p50, p95 = single_row_latency_ms(model.predict, X_test)
        metrics["latency_ms"] = p95
        metrics["latency_ms_p50"] = p50
        labels, matrix = confusion(y_test, y_pred)
        predictions = [str(v) for v in np.asarray(y_pred).ravel()]
        with_proba = diagnostics.model_probabilities(model, X_test)
        stored = {
            "metrics": metrics,
            "labels": labels,
            "confusion": matrix,
            "test_rows": len(X_test),
            "predictions": predictions,
            "proba_classes": with_proba[1] if with_proba else None,
            "probabilities": np.round(with_proba[0], 6).tolist() if with_proba else None,
            "no_probabilities": None if with_proba else diagnostics.no_probabilities_reason(model),
        }
        evaluation = Evaluation(run_id, **stored)
        client.log_batch(
            run_id,
            metrics=[_metric(f"test_{k}", v) for k, v in metrics.items()],
        )
        client.log_dict(run_id, stored, EVALUATION_ARTIFACT)
        # the per-class report as an MLflow table, so `mlflow ui` shows it next to the run
        client.log_table(run_id, diagnostics.per_class_report(y_test, predictions, labels), PER_CLASS_ARTIFACT)
    if kpis is not None:
        client.set_tag(run_id, TAG_VERDICT, evaluation.verdict(kpis))
        client.set_tag(run_id, TAG_VERDICT_KPIS, ", ".join(str(k) for k in kpis))
    return evaluation


def _metric(key: str, value: float):
    from mlflow.entities import Metric

    return Metric(key, float(value), int(time.time() * 1000), 0)
