"""Evidence from stored evaluations: per-class report, curves, wrong rows and the paired held-out test."""

from __future__ import annotations

import dataclasses

from core.compare import evaluation, evidence
from core.train import training


def _evaluated(project, record, algorithm="random_forest", params=None):
    run = training.train_model(project.experiment_id, record, algorithm, params or {})
    return run.run_id, evaluation.evaluate_run(run.run_id, project.kpis)


def test_run_evidence_comes_from_the_stored_predictions(iris_project):
    project, record = iris_project
    run_id, ev = _evaluated(project, record, params={"n_estimators": 10})
    stored = evaluation.load_evaluation(run_id)
    assert stored.predictions == ev.predictions and stored.proba_classes == ["setosa", "versicolor", "virginica"]
    found = evidence.run_evidence(stored, record)
    assert list(found.per_class["class"][:3]) == ["setosa", "versicolor", "virginica"]
    assert found.per_class["support"][:3].sum() == len(record.split.test)
    assert set(found.curves["curves"]) == {"setosa", "versicolor", "virginica"}
    wrong_expected = sum(p != t for p, t in zip(stored.predictions, record.test_xy()[1].astype(str), strict=True))
    assert len(found.wrong) == wrong_expected
    assert evidence.data_run_of(run_id) == record.run_id


def test_old_or_mismatched_evaluations_explain_themselves(iris_project):
    project, record = iris_project
    _, ev = _evaluated(project, record, "logistic_regression")
    old = dataclasses.replace(ev, predictions=None, probabilities=None)
    found = evidence.run_evidence(old, record)
    assert found.per_class is None and evidence.REEVALUATE in found.notes[0]
    short = dataclasses.replace(ev, predictions=ev.predictions[:5])
    assert "do not match" in evidence.run_evidence(short, record).notes[0]
    no_proba = dataclasses.replace(ev, probabilities=None, no_probabilities="This model gives no probabilities.")
    found = evidence.run_evidence(no_proba, record)
    assert found.curves is None and found.per_class is not None
    assert "no probabilities" in " ".join(found.notes)


def test_held_out_difference_pairs_only_the_same_rows(iris_project):
    project, record = iris_project
    a_id, a = _evaluated(project, record, "gaussian_nb")
    b_id, b = _evaluated(project, record, "logistic_regression")
    said = evidence.held_out_difference(a, b, "A", "B", record.run_id, record.run_id, record)
    assert said.p_value <= 1.0 and ("No significant difference" in said.sentence or "more accurate" in said.sentence)
    same = evidence.held_out_difference(a, a, "A", "A again", record.run_id, record.run_id, record)
    assert same.p_value == 1.0 and not same.significant
    assert "different data sets" in evidence.held_out_difference(a, b, "A", "B", record.run_id, "other", record)
    old = dataclasses.replace(b, predictions=None)
    assert "Evaluate it again" in evidence.held_out_difference(a, old, "A", "B", record.run_id, record.run_id, record)


def test_a_conclusion_is_checked_and_stored_as_tags(iris_project):
    import pytest
    from mlflow import MlflowClient

    project, record = iris_project
    run_id, _ = _evaluated(project, record, "gaussian_nb")
    with pytest.raises(ValueError, match="one of use, promising, reject"):
        evidence.record_conclusion(run_id, "maybe")
    with pytest.raises(ValueError, match="under 2,000 characters"):
        evidence.record_conclusion(run_id, "use", "x" * 2001)
    assert "Promising" in evidence.record_conclusion(run_id, "promising", "  try more trees  ")
    tags = MlflowClient().get_run(run_id).data.tags
    assert evidence.conclusion_text(tags) == "Promising: needs more work — try more trees"
    assert evidence.conclusion_text({}) == ""
    metrics = evidence.run_metrics([run_id])[run_id]
    assert {"cv_accuracy", "cv_accuracy_std", "test_accuracy"} <= set(metrics)


def test_an_evaluation_missing_newer_evidence_needs_renewal():
    from core.compare.evaluation import NO_IMPORTANCE_BEFORE, Evaluation

    current = Evaluation("r", {}, ["a"], [[1]], 1, ["a"], importance={"features": []})
    no_rows = Evaluation("r", {}, ["a"], [[1]], 1, None, importance={"features": []})
    no_importance_yet = Evaluation("r", {}, ["a"], [[1]], 1, ["a"], no_importance=NO_IMPORTANCE_BEFORE)
    importance_failed = Evaluation("r", {}, ["a"], [[1]], 1, ["a"], no_importance="could not be computed: boom")
    assert not evidence.needs_renewal(current)
    assert evidence.needs_renewal(no_rows) and evidence.needs_renewal(no_importance_yet)
    assert not evidence.needs_renewal(importance_failed)  # evaluating again would fail the same way


def test_evaluating_several_runs_reads_their_shared_data_once_and_says_which_run_is_next(iris_project, monkeypatch):
    from core.compare import evidence
    from core.data import datastore
    from core.train import training

    project, record = iris_project
    runs = [training.train_model(project.experiment_id, record, "logistic_regression").run_id for _ in range(2)]
    reads, heard = [], []
    real = datastore.load_dataset
    monkeypatch.setattr(datastore, "load_dataset", lambda run_id: reads.append(run_id) or real(run_id))
    done, failed = evidence.evaluate_many(runs, project.kpis, on_run=lambda n, r: heard.append((n, r)))
    assert done == runs and failed == {}
    assert reads == [record.run_id]  # one read for both runs
    assert heard == [(1, runs[0]), (2, runs[1])]
