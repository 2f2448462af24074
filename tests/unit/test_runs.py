"""The compare page's runs table: top-level runs, filters, order, searches grouped with their trials."""

from __future__ import annotations

import pandas as pd
import pytest

from core.compare import runs
from core.train import training
from core.train.search_space import Dimension
from core.train.tuning import SearchConfig, run_search


@pytest.fixture
def project_runs(iris_project):
    """Two trainings and one four-trial grid search over max_depth, in that order."""
    project, record = iris_project
    tree = training.train_model(project.experiment_id, record, "decision_tree", {"max_depth": 3})
    knn = training.train_model(project.experiment_id, record, "knn")
    space = (Dimension("max_depth", "int", low=1, high=4, points=4),)
    config = SearchConfig("decision_tree", "grid", space, max_trials=None, cv_folds=3, workers=1)
    search = run_search(project.experiment_id, record, config)
    return project, tree, knn, search


def test_the_table_lists_trainings_and_searches_but_not_trials_or_data(project_runs):
    project, tree, knn, search = project_runs
    table = runs.training_runs(project.experiment_id)
    assert table["run_id"].tolist() == [search.run_id, knn.run_id, tree.run_id]
    assert table["kind"].tolist() == ["search", "train", "train"]
    assert table.loc[table["kind"] == "search", "trials"].tolist() == [4]
    assert table.set_index("run_id").loc[tree.run_id, "key_params"].startswith("max_depth=3")
    assert table["has_model"].all()


def test_trials_group_under_their_search_best_first(project_runs):
    project, _, _, search = project_runs
    table = runs.training_runs(project.experiment_id)
    children = runs.search_children(project.experiment_id)
    assert set(children["parent_id"]) == {search.run_id} and len(children) == 4
    grouped = runs.with_trials(table, children)
    assert grouped["kind"].tolist() == ["search", "trial", "trial", "trial", "trial", "train", "train"]
    trial_scores = grouped.loc[grouped["kind"] == "trial", "cv_score"].tolist()
    assert trial_scores == sorted(trial_scores, reverse=True)
    assert grouped.loc[grouped["kind"] == "trial", "run"].str.startswith("  └ trial-").all()
    # filtering the search away takes its trials with it
    trainings = runs.filter_runs(table, kinds=["train"])
    assert "trial" not in set(runs.with_trials(trainings, children)["kind"])


def test_a_search_reads_back_as_a_trials_table_with_its_searched_hyperparameter(project_runs):
    _, _, _, search = project_runs
    trials, searched = runs.search_trials(search.run_id, "accuracy")
    assert searched == ["max_depth"]
    assert trials["trial"].tolist() == [0, 1, 2, 3]
    assert sorted(trials["max_depth"].astype(int)) == [1, 2, 3, 4]
    best = max(t.score("accuracy") for t in search.trials)
    assert trials["CV accuracy"].max() == pytest.approx(best)
    insight = runs.search_insight(search.run_id, "accuracy")
    assert insight.finished == 4 and insight.searched == ["max_depth"]
    assert list(insight.importance) == ["max_depth"] and sum(insight.importance.values()) == pytest.approx(1)
    assert "Spearman" in insight.method  # four trials are too few for fANOVA


def test_the_fingerprint_changes_when_a_run_starts(iris_project):
    project, record = iris_project
    before = runs.latest_change(project.experiment_id)
    training.train_model(project.experiment_id, record, "gaussian_nb")
    after = runs.latest_change(project.experiment_id)
    assert after != before and after[1] == "FINISHED"


def _table(**columns) -> pd.DataFrame:
    rows = len(next(iter(columns.values())))
    base = {c: [""] * rows for c in runs.RUN_COLUMNS}
    base.update({"started": pd.to_datetime(range(rows), unit="s"), "cv_score": [None] * rows})
    base["test_score"] = [None] * rows
    base.update(columns)
    return pd.DataFrame(base)


def test_filters_combine_and_an_empty_filter_matches_all():
    table = _table(
        run=["a", "b", "c", "d"],
        algorithm=["knn", "knn", "svc", "svc"],
        verdict=["pass", "fail", "pass", "not evaluated"],
        kind=["train", "search", "train", "train"],
        key_params=["n_neighbors=5", "n_neighbors=9", "C=1.0", "C=10"],
    )
    assert runs.filter_runs(table)["run"].tolist() == ["a", "b", "c", "d"]
    assert runs.filter_runs(table, algorithms=["knn"], verdicts=["pass"])["run"].tolist() == ["a"]
    assert runs.filter_runs(table, kinds=["search"])["run"].tolist() == ["b"]
    assert runs.filter_runs(table, text="C=1")["run"].tolist() == ["c", "d"]
    assert runs.filter_runs(table, text="  N_NEIGHBORS=9 ")["run"].tolist() == ["b"]
    assert runs.filter_runs(table, algorithms=["mlp"]).empty


def test_orders_put_runs_without_the_score_last():
    table = _table(run=["old", "mid", "new"], cv_score=[0.9, None, 0.95], test_score=[0.8, 0.99, None])
    assert runs.order_runs(table, "newest")["run"].tolist() == ["new", "mid", "old"]
    assert runs.order_runs(table, "cv")["run"].tolist() == ["new", "old", "mid"]
    assert runs.order_runs(table, "test")["run"].tolist() == ["mid", "old", "new"]
    with pytest.raises(ValueError, match="Order the runs by one of"):
        runs.order_runs(table, "fastest")


def test_key_params_are_the_tuned_hyperparameters_of_the_algorithm():
    params = {"n_estimators": "200", "max_depth": "8", "min_samples_leaf": "2", "random_state": "42", "x": "1"}
    assert runs.key_params("random_forest", params) == "n_estimators=200 · max_depth=8 · min_samples_leaf=2"
    assert runs.key_params("not_in_catalogue", params) == ""


def test_the_overview_shows_badges_and_short_digests():
    table = _table(run=["a"], verdict=["pass"], kind=["search"], data_digest=["0123456789abcdef"])
    view = runs.overview(table, "f1_macro")
    assert view.loc[0, "verdict"] == "✅ pass" and view.loc[0, "kind"] == "search"
    assert view.loc[0, "data_digest"] == "01234567"
    assert {"CV f1_macro", "test f1_macro", "key params"} <= set(view.columns)
