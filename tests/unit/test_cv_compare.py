"""core.compare.cv_compare: per-fold scores read back from MLflow, and the corrected paired t-test between two runs.

Most runs here are synthetic: made with MlflowClient, with fold scores chosen so that the Nadeau–Bengio statistic
can be worked out by hand. One test trains real runs to check the whole path from training to verdict.
"""

from __future__ import annotations

import math

import pytest
from scipy import stats as sps

from core.compare import cv_compare
from core.compare.cv_compare import cv_difference, fold_scores
from core.compare.stats import Comparison, corrected_paired_t_test
from core.question.kpis import SCORE_METRICS
from core.train.training import TAG_DATA_RUN, fold_metrics

# five folds, A ahead on every one: d = A - B = [0.05, 0.02, 0.02, 0.04, 0.04]
A_FOLDS = [0.90, 0.92, 0.88, 0.91, 0.94]
B_FOLDS = [0.85, 0.90, 0.86, 0.87, 0.90]


def client():
    from mlflow import MlflowClient

    from core.common.config import active_store

    return MlflowClient(tracking_uri=active_store().tracking_uri)


@pytest.fixture
def experiment_id(store) -> str:
    return client().create_experiment("cv-compare")


def synthetic_run(
    experiment_id: str,
    folds: dict[str, list[float]] | None,
    data_run: str | None = "data-1",
    cv_folds: object = 5,
    seed: object = 42,
) -> str:
    """A finished run with the tags, params and per-fold scores a workbench run logs (None leaves one out)."""
    from mlflow.entities import Param

    tags = {} if data_run is None else {TAG_DATA_RUN: data_run}
    run = client().create_run(experiment_id, tags=tags)
    params = [Param(k, str(v)) for k, v in {"cv_folds": cv_folds, "random_seed": seed}.items() if v is not None]
    client().log_batch(run.info.run_id, metrics=fold_metrics(folds or {}), params=params)
    client().set_terminated(run.info.run_id)
    return run.info.run_id


def test_the_corrected_t_test_worked_by_hand(experiment_id):
    a = synthetic_run(experiment_id, {"accuracy": A_FOLDS})
    b = synthetic_run(experiment_id, {"accuracy": B_FOLDS})
    # mean d = 0.034; squared deviations sum to 0.00072, so s² = 0.00072 / 4 = 0.00018;
    # Nadeau–Bengio: var = (1/k + n_test/n_train) s² = (1/5 + 1/4) * 0.00018 = 0.000081, sd = 0.009;
    # t = 0.034 / 0.009 = 3.777…, two-sided p from Student's t with k - 1 = 4 degrees of freedom
    t = 0.034 / math.sqrt((1 / 5 + 1 / 4) * 0.00018)
    assert t == pytest.approx(34 / 9)
    p = 2 * sps.t.sf(t, df=4)
    assert 0.01 < p < 0.05  # significant, where the uncorrected test would be far more sure:
    assert sps.ttest_rel(A_FOLDS, B_FOLDS).pvalue < p / 3

    verdict = cv_difference(a, b, "accuracy", "Forest", "Tree")
    assert isinstance(verdict, Comparison)
    assert verdict.p_value == pytest.approx(p)
    assert verdict.significant and verdict.better == "Forest"
    assert verdict.sentence == (
        "Forest is more accurate than Tree across the same 5 cross-validation folds (mean 0.910 vs 0.876); "
        "the difference is significant at p = 0.019."
    )
    # the other way round: the same p-value, the same winner
    reverse = cv_difference(b, a, "accuracy", "Tree", "Forest")
    assert reverse.p_value == pytest.approx(p) and reverse.better == "Forest"


SENTENCES = {
    "accuracy": "A is more accurate than B",
    "balanced_accuracy": "A scores higher in balanced accuracy than B",
    "f1_macro": "A scores higher in macro F1 than B",
    "precision_macro": "A scores higher in macro precision than B",
    "recall_macro": "A scores higher in macro recall than B",
}


@pytest.mark.parametrize("metric", SCORE_METRICS)
def test_the_verdict_reads_right_for_every_score(experiment_id, metric):
    a = synthetic_run(experiment_id, {metric: A_FOLDS})
    b = synthetic_run(experiment_id, {metric: B_FOLDS})
    verdict = cv_difference(a, b, metric)
    assert verdict.sentence == (
        f"{SENTENCES[metric]} across the same 5 cross-validation folds (mean 0.910 vs 0.876); "
        "the difference is significant at p = 0.019."
    )


def test_no_significant_difference(experiment_id):
    a = synthetic_run(experiment_id, {"accuracy": [0.9, 0.8, 0.85]}, cv_folds=3)
    b = synthetic_run(experiment_id, {"accuracy": [0.8, 0.9, 0.86]}, cv_folds=3)
    verdict = cv_difference(a, b, "accuracy", "A", "B")
    expected = corrected_paired_t_test([0.9, 0.8, 0.85], [0.8, 0.9, 0.86], test_fraction=0.5)
    assert verdict.p_value == pytest.approx(expected.p_value)
    assert verdict.better is None and not verdict.significant
    assert verdict.sentence.startswith("No significant difference between A and B (p = ")


def test_fold_scores_in_step_order_latest_value_per_step(experiment_id):
    from mlflow.entities import Metric

    run_id = synthetic_run(experiment_id, None)
    key = "cv_accuracy_folds"
    out_of_order = [Metric(key, 0.3, 10, 2), Metric(key, 0.1, 10, 0), Metric(key, 0.2, 10, 1), Metric(key, 0.25, 20, 1)]
    client().log_batch(run_id, metrics=out_of_order)
    assert fold_scores(run_id, "accuracy") == [0.1, 0.25, 0.3]
    assert fold_scores(run_id, "f1_macro") is None


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        (
            {"folds": None},
            {},
            "A has no per-fold accuracy scores (it was trained before the workbench logged per-fold scores, or by "
            "other code), so the corrected paired t-test cannot compare it.",
        ),
        (
            {},
            {"folds": {"f1_macro": B_FOLDS}},  # per-fold scores, but not of the score asked about
            "B has no per-fold accuracy scores (it was trained before the workbench logged per-fold scores, or by "
            "other code), so the corrected paired t-test cannot compare it.",
        ),
        (
            {"folds": None, "data_run": None, "cv_folds": None, "seed": None},  # a run other code logged
            {"folds": None},
            "Neither A nor B has per-fold accuracy scores (they were trained before the workbench logged per-fold "
            "scores, or by other code), so the corrected paired t-test cannot compare them.",
        ),
        (
            {},
            {"data_run": "data-2"},
            "A and B were trained on different data sets, so their folds hold different rows and the paired test "
            "does not apply.",
        ),
        (
            {"cv_folds": 10},
            {},
            "A was cross-validated on 10 folds and B on 5, so their folds hold different rows and the paired test "
            "does not apply.",
        ),
        (
            {},
            {"seed": 7},
            "A and B shuffled their folds with different seeds (42 and 7), so their folds hold different rows and "
            "the paired test does not apply.",
        ),
        (
            {"data_run": None},
            {},
            "A does not record which data set it was trained on, so its folds cannot be matched.",
        ),
        (
            {},
            {"seed": "None"},
            "B does not record a usable fold count and seed, so its folds cannot be matched.",
        ),
        (
            {"folds": {"accuracy": A_FOLDS[:4]}},
            {},
            "A has accuracy scores for 4 of its 5 folds, so they cannot be paired fold by fold.",
        ),
    ],
    ids=[
        "a-no-folds",
        "b-other-score",
        "neither",
        "data-run",
        "cv-folds",
        "seed",
        "no-data-tag",
        "bad-seed",
        "missing-fold",
    ],
)
def test_why_the_test_does_not_apply(experiment_id, a, b, reason):
    def make(spec: dict, folds: list[float]) -> str:
        options = {"folds": {"accuracy": folds}, **spec}
        return synthetic_run(
            experiment_id,
            options["folds"],
            data_run=options.get("data_run", "data-1"),
            cv_folds=options.get("cv_folds", 5),
            seed=options.get("seed", 42),
        )

    assert cv_difference(make(a, A_FOLDS), make(b, B_FOLDS), "accuracy") == reason


def test_the_reason_names_the_score(experiment_id):
    a = synthetic_run(experiment_id, {"accuracy": A_FOLDS})
    b = synthetic_run(experiment_id, {"accuracy": B_FOLDS})
    assert cv_difference(a, b, "f1_macro", "Forest", "Tree").startswith(
        "Neither Forest nor Tree has per-fold macro F1 scores"
    )


def test_only_scores_are_compared(experiment_id):
    a = synthetic_run(experiment_id, {"accuracy": A_FOLDS})
    with pytest.raises(ValueError, match="not 'latency_ms'"):
        cv_difference(a, a, "latency_ms")


def test_what_phrases_fit_the_sentence():
    assert cv_compare.comparative_phrase("accuracy") == "is more accurate than"
    assert cv_compare.comparative_phrase("f1_macro") == "scores higher in macro F1 than"
    assert [cv_compare.metric_phrase(m) for m in SCORE_METRICS] == [
        "accuracy",
        "balanced accuracy",
        "macro F1",
        "macro precision",
        "macro recall",
    ]


def test_two_trained_runs_on_the_same_folds(iris_project):
    from core.train.training import train_model

    project, record = iris_project
    tree = train_model(project.experiment_id, record, "decision_tree", {"max_depth": 1}, cv_folds=4)
    logistic = train_model(project.experiment_id, record, "logistic_regression", cv_folds=4)
    for metric in SCORE_METRICS:
        a, b = fold_scores(logistic.run_id, metric), fold_scores(tree.run_id, metric)
        assert len(a) == len(b) == 4
        assert sum(a) / 4 == pytest.approx(logistic.cv_metrics[f"cv_{metric}"])
        verdict = cv_difference(logistic.run_id, tree.run_id, metric, "logistic regression", "the stump")
        assert isinstance(verdict, Comparison)
        assert verdict.p_value == pytest.approx(corrected_paired_t_test(a, b, test_fraction=1 / 3).p_value)
    # a one-split tree cannot tell three iris species apart: the logistic regression is better by a wide margin
    verdict = cv_difference(logistic.run_id, tree.run_id, "accuracy", "logistic regression", "the stump")
    assert verdict.better == "logistic regression"
    assert verdict.sentence.startswith("logistic regression is more accurate than the stump across the same 4")

    five = train_model(project.experiment_id, record, "logistic_regression", cv_folds=5)
    assert cv_difference(five.run_id, tree.run_id, "accuracy") == (
        "A was cross-validated on 5 folds and B on 4, so their folds hold different rows and the paired test "
        "does not apply."
    )
