"""C: is one run's cross-validation score really better than another's? The corrected paired t-test on shared folds.

Every model run logs each score per fold (``cv_<metric>_folds``, one step per fold). Two runs' folds hold the
same rows only when they were trained on the same data run with the same fold count and the same shuffling
seed; then their fold scores pair up and the Nadeau–Bengio corrected paired t-test says whether the gap in
mean CV score is more than fold-to-fold noise. Otherwise the answer is one sentence saying why the test does
not apply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.common.config import active_store
from core.common.errors import WorkbenchError
from core.common.i18n import tr
from core.compare import stats
from core.compare.stats import Comparison, compare_in_words, corrected_paired_t_test
from core.question.kpis import SCORE_METRICS
from core.train.training import TAG_DATA_RUN, fold_key

if TYPE_CHECKING:
    from mlflow.entities import Run


def _client():
    from mlflow import MlflowClient

    active_store()
    return MlflowClient()


def _history(client, run_id: str, metric: str) -> dict[int, float]:
    """A run's per-fold values by fold index; a step logged twice keeps its latest value."""
    history = client.get_metric_history(run_id, fold_key(metric))
    return {m.step: m.value for m in sorted(history, key=lambda m: (m.step, m.timestamp))}


def fold_scores(run_id: str, metric: str) -> list[float] | None:
    """A run's ``metric`` score on each cross-validation fold, in fold order; None when it logged none."""
    by_step = _history(_client(), run_id, metric)
    return [by_step[step] for step in sorted(by_step)] or None


def metric_phrase(metric: str) -> str:
    """How a score reads inside a sentence: "accuracy", "macro F1", "balanced accuracy"."""
    return stats.metric_phrase(metric)


def comparative_phrase(metric: str) -> str:
    """The words between the two names in the verdict: "is more accurate than", "scores higher in macro F1 than"."""
    return stats.comparative_phrase(metric)


def _int_param(run: Run, name: str) -> int | None:
    try:
        return int(run.data.params[name])
    except (KeyError, ValueError):
        return None


def _no_folds_reason(missing: list[str], metric: str) -> str:
    if len(missing) == 2:
        return tr("evaluation.cv.neither_has_folds", a=missing[0], b=missing[1], metric=metric_phrase(metric))
    return tr("evaluation.cv.no_folds", name=missing[0], metric=metric_phrase(metric))


def _fold_reason(runs: list[tuple[str, Run]], metric: str) -> str | None:
    """Why the two runs' folds cannot be shown to hold the same rows, or None when they do."""
    missing = [name for name, run in runs if fold_key(metric) not in run.data.metrics]
    if missing:
        return _no_folds_reason(missing, metric)
    for name, run in runs:
        if not run.data.tags.get(TAG_DATA_RUN):
            return tr("evaluation.cv.no_data_set", name=name)
        folds, seed = _int_param(run, "cv_folds"), _int_param(run, "random_seed")
        if folds is None or seed is None or folds < 2:
            return tr("evaluation.cv.no_fold_count", name=name)
    (name_a, run_a), (name_b, run_b) = runs
    if run_a.data.tags[TAG_DATA_RUN] != run_b.data.tags[TAG_DATA_RUN]:
        return tr("evaluation.cv.different_data", a=name_a, b=name_b)
    folds_a, folds_b = _int_param(run_a, "cv_folds"), _int_param(run_b, "cv_folds")
    if folds_a != folds_b:
        return tr("evaluation.cv.different_folds", a=name_a, b=name_b, folds_a=folds_a, folds_b=folds_b)
    seed_a, seed_b = _int_param(run_a, "random_seed"), _int_param(run_b, "random_seed")
    if seed_a != seed_b:
        return tr("evaluation.cv.different_seeds", a=name_a, b=name_b, seed_a=seed_a, seed_b=seed_b)
    return None


def cv_difference(
    run_a: str, run_b: str, metric: str, name_a: str = "A", name_b: str = "B", alpha: float = 0.05
) -> Comparison | str:
    """The corrected paired t-test verdict on two runs' per-fold ``metric`` scores, or why it does not apply.

    The folds are the same rows only when both runs name the same data run (tag ``qua3ck.data_run``), fold
    count (param ``cv_folds``) and fold shuffling seed (param ``random_seed``); test_fraction is 1/(k-1).
    """
    if metric not in SCORE_METRICS:
        raise WorkbenchError(tr("evaluation.cv.not_a_score", scores=", ".join(SCORE_METRICS), metric=metric))
    client = _client()
    runs = [(name_a, client.get_run(run_a)), (name_b, client.get_run(run_b))]
    reason = _fold_reason(runs, metric)
    if reason:
        return reason
    k = _int_param(runs[0][1], "cv_folds")
    scores = []
    for name, run in runs:
        by_step = _history(client, run.info.run_id, metric)
        if sorted(by_step) != list(range(k)):
            return tr("evaluation.cv.missing_folds", name=name, metric=metric_phrase(metric), count=len(by_step), k=k)
        scores.append([by_step[step] for step in range(k)])
    a, b = scores
    result = corrected_paired_t_test(a, b, test_fraction=1 / (k - 1))
    return compare_in_words(name_a, name_b, sum(a) / k, sum(b) / k, result, alpha=alpha, metric=metric)
