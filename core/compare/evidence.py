"""C — the evidence behind a verdict, built from a run's stored held-out evaluation (no model is reloaded).

Per-class precision/recall/F1, one-vs-rest ROC and precision-recall curves, the test rows a model gets wrong,
and whether the difference between two runs is real (McNemar's test on the same held-out rows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.common.config import active_store
from core.common.errors import WorkbenchError, describe
from core.common.i18n import tr
from core.compare import cv_compare, diagnostics, stats
from core.compare.evaluation import NO_IMPORTANCE_BEFORE, Evaluation, evaluate_run, load_evaluation, stored_reason
from core.data import datastore
from core.data.datastore import DatasetRecord
from core.question.kpis import SCORE_METRICS
from core.train.training import TAG_DATA_RUN

REEVALUATE = "it was evaluated before the workbench stored predictions per test row"  # English: the catalogue's text


@dataclass(frozen=True)
class RunEvidence:
    """What the compare page shows for one evaluated run; ``None`` parts come with a reason in ``notes``."""

    run_id: str
    per_class: pd.DataFrame | None
    curves: dict | None
    wrong: pd.DataFrame | None
    notes: tuple[str, ...]


def data_run_of(run_id: str) -> str | None:
    """The data run a model run was trained on (None for runs other code logged)."""
    from mlflow import MlflowClient

    active_store()
    return MlflowClient().get_run(run_id).data.tags.get(TAG_DATA_RUN)


def _usable(evaluation: Evaluation, dataset: DatasetRecord) -> str | None:
    """Why the stored predictions cannot be matched to the data set's test rows, or None."""
    if evaluation.predictions is None:
        return tr("evaluation.evidence.no_per_row", reason=tr("evaluation.evidence.reevaluate"))
    if len(evaluation.predictions) != len(dataset.split.test):
        return tr(
            "evaluation.evidence.rows_differ",
            stored=len(evaluation.predictions),
            held_out=len(dataset.split.test),
            dataset=dataset.name,
        )
    return None


def run_evidence(evaluation: Evaluation, dataset: DatasetRecord) -> RunEvidence:
    """Per-class report, curves and wrong rows of one run on its data set's held-out rows."""
    problem = _usable(evaluation, dataset)
    if problem:
        return RunEvidence(evaluation.run_id, None, None, None, (problem,))
    X_test, y_test = dataset.test_xy()
    y_true = y_test.astype(str).to_numpy()
    notes: list[str] = []
    per_class = diagnostics.per_class_report(y_true, evaluation.predictions, evaluation.labels)
    proba, curves = None, None
    if evaluation.probabilities is not None:
        proba = np.asarray(evaluation.probabilities, dtype=float)
        curves = diagnostics.one_vs_rest_curves(y_true, proba, evaluation.proba_classes)
        notes.extend(curves.get("notes", []))
    else:
        notes.append(stored_reason(evaluation.no_probabilities) or tr("evaluation.evidence.no_curves"))
    wrong = diagnostics.wrong_rows(X_test, y_true, evaluation.predictions, proba, evaluation.proba_classes)
    return RunEvidence(evaluation.run_id, per_class, curves, wrong, tuple(notes))


def needs_renewal(evaluation: Evaluation) -> bool:
    """Whether a stored evaluation predates evidence the workbench now stores (per-row predictions, importance)."""
    return evaluation.predictions is None or evaluation.no_importance == NO_IMPORTANCE_BEFORE


def held_out_difference(
    a: Evaluation, b: Evaluation, name_a: str, name_b: str, data_run_a: str | None, data_run_b: str | None, dataset
) -> stats.Comparison | str:
    """Whether B and A differ in accuracy on the same held-out rows (McNemar), in words; or why it can't be said."""
    if not data_run_a or data_run_a != data_run_b:
        return tr("evaluation.evidence.different_data")
    for evaluation, name in ((a, name_a), (b, name_b)):
        problem = _usable(evaluation, dataset)
        if problem:
            return tr("evaluation.evidence.evaluate_again", name=name, problem=problem)
    y_true = dataset.test_xy()[1].astype(str).to_numpy()
    result = stats.mcnemar(y_true, a.predictions, b.predictions)
    acc_a = float(np.mean(np.asarray(a.predictions) == y_true))
    acc_b = float(np.mean(np.asarray(b.predictions) == y_true))
    return stats.compare_in_words(name_a, name_b, acc_a, acc_b, result)


TAG_CONCLUSION = "qua3ck.conclusion"
TAG_CONCLUSION_NOTE = "qua3ck.conclusion_note"
CONCLUSIONS = {  # English: shown in tables read from the store; conclusion_label says them in the person's language
    "use": "Good enough: use it",
    "promising": "Promising: needs more work",
    "reject": "Not good enough: reject",
}
MAX_NOTE = 2000


def conclusion_label(verdict: str) -> str:
    """A conclusion's label in the current language (the codes of CONCLUSIONS)."""
    return tr(f"evaluation.conclusion.{verdict}") if verdict in CONCLUSIONS else verdict


def record_conclusion(run_id: str, verdict: str, note: str = "") -> str:
    """Store a person's conclusion on a run as tags (shown in the registry phase); returns a confirmation."""
    from mlflow import MlflowClient

    if verdict not in CONCLUSIONS:
        raise WorkbenchError(tr("evaluation.conclusion.unknown", choices=", ".join(CONCLUSIONS), verdict=verdict))
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise WorkbenchError(tr("evaluation.conclusion.too_long", limit=MAX_NOTE, length=len(note)))
    active_store()
    client = MlflowClient()
    client.set_tag(run_id, TAG_CONCLUSION, verdict)
    client.set_tag(run_id, TAG_CONCLUSION_NOTE, note)
    return tr("evaluation.conclusion.recorded", run=run_id[:8], conclusion=conclusion_label(verdict))


def conclusion_text(tags: dict[str, str]) -> str:
    """How a run's recorded conclusion reads in tables: label, then the note."""
    verdict = tags.get(TAG_CONCLUSION)
    if verdict not in CONCLUSIONS:
        return ""
    note = tags.get(TAG_CONCLUSION_NOTE, "")
    return f"{CONCLUSIONS[verdict]}" + (f" — {note}" if note else "")


def run_metrics(run_ids: list[str]) -> dict[str, dict[str, float]]:
    """The MLflow metrics of each run (test_* and cv_*), for the metric bars with CV error bars."""
    from mlflow import MlflowClient

    active_store()
    client = MlflowClient()
    return {run_id: dict(client.get_run(run_id).data.metrics) for run_id in run_ids}


def evaluate_many(
    run_ids: list[str], kpis, again: bool = False, on_run: Callable[[int, str], None] | None = None
) -> tuple[list[str], dict[str, str]]:
    """Evaluate each run on its held-out rows; the ones evaluated, and for each that could not be, why.
    ``on_run(number, run_id)`` hears before each run (1-based), to say what the wait is for; the data runs the
    runs share are read once."""

    done, failed, datasets = [], {}, {}
    for number, run_id in enumerate(run_ids, start=1):
        if on_run is not None:
            on_run(number, run_id)
        try:
            evaluate_run(run_id, kpis, again=again, datasets=datasets)
        except Exception as exc:  # noqa: BLE001 — one run that cannot be evaluated must not stop the others
            failed[run_id] = describe(exc)
        else:
            done.append(run_id)
    return done, failed


@dataclass(frozen=True)
class PromotionComparison:
    """A candidate version's run against the run of the version that holds the alias now."""

    metrics: pd.DataFrame  # metric, candidate, current, change
    held_out: stats.Comparison | str  # McNemar on the held-out rows, or why it cannot be said
    folds: stats.Comparison | str  # corrected paired t-test on the CV folds, or why not
    candidate: Evaluation | None
    current: Evaluation | None


def promotion_comparison(candidate_run: str, current_run: str, metric: str) -> PromotionComparison:
    """Test metrics side by side with their change, and both paired tests, for a promotion decision."""

    candidate, current = load_evaluation(candidate_run), load_evaluation(current_run)
    names = (tr("evaluation.evidence.candidate"), tr("evaluation.evidence.current_holder"))
    rows = []
    for key in [*SCORE_METRICS, "latency_ms"]:
        new = candidate.metrics.get(key) if candidate else None
        old = current.metrics.get(key) if current else None
        change = new - old if new is not None and old is not None else None
        rows.append({"metric": key, "candidate": new, "current": old, "change": change})
    if candidate is None or current is None:
        if candidate is None and current is None:
            held_out = tr("evaluation.evidence.neither_evaluated")
        elif candidate is None:
            held_out = tr("evaluation.evidence.candidate_not_evaluated")
        else:
            held_out = tr("evaluation.evidence.current_not_evaluated")
    else:
        data_a, data_b = data_run_of(candidate_run), data_run_of(current_run)
        try:
            dataset = datastore.load_dataset(data_a) if data_a else None
        except ValueError as exc:
            dataset, held_out = None, str(exc)
        held_out = (
            held_out_difference(candidate, current, *names, data_a, data_b, dataset)
            if dataset is not None or not data_a
            else held_out
        )
    try:
        folds = cv_compare.cv_difference(candidate_run, current_run, metric, *names)
    except ValueError as exc:
        folds = str(exc)
    return PromotionComparison(pd.DataFrame(rows), held_out, folds, candidate, current)
