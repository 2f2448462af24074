"""core.train.tuning: a search as a parent run with a nested child run per trial, its budgets, stops and failures.

Each search starts loky worker processes and costs a couple of seconds, so the searches here are few and tiny
(a handful of trials of small forests on iris).
"""

from __future__ import annotations

import json
import math
import os
import re
import socket
import time

import pytest

from core.compare.cv_compare import cv_difference, fold_scores
from core.compare.stats import Comparison, corrected_paired_t_test
from core.data.datastore import TAG_KIND
from core.question.kpis import SCORE_METRICS
from core.train import tuning
from core.train.algorithms import AlgorithmError
from core.train.features import FeatureSteps
from core.train.search_space import Dimension, Sampler, SearchSpaceError
from core.train.training import TAG_ALGORITHM, TAG_MODEL_URI, train_model
from core.train.tuning import (
    ABORT,
    MAX_TRIALS,
    TAG_ERROR,
    TAG_PARENT,
    TAG_SEARCH_STATUS,
    Progress,
    SearchConfig,
    Trial,
    run_search,
    trials_frame,
    warm_up_workers,
)

SMALL_FOREST = (Dimension("n_estimators", "int", 10, 20), Dimension("max_depth", "int", 2, 4))
CV_KEYS = {"cv_accuracy", "cv_accuracy_std", "cv_f1_macro", "cv_fit_seconds"}  # a subset of what CV logs


def client():
    from mlflow import MlflowClient

    from core.common.config import active_store

    return MlflowClient(tracking_uri=active_store().tracking_uri)


def all_runs(experiment_id: str) -> list:
    return client().search_runs([experiment_id], max_results=1000)


def children(experiment_id: str, parent_id: str) -> list:
    runs = client().search_runs([experiment_id], filter_string=f"tags.`{TAG_PARENT}` = '{parent_id}'", max_results=1000)
    return sorted(runs, key=lambda r: r.info.run_name)


def running(experiment_id: str) -> list:
    return client().search_runs([experiment_id], filter_string="attributes.status = 'RUNNING'")


@pytest.fixture
def project(iris_project):
    """The iris project; afterwards no run of it may be left RUNNING, whatever the search did."""
    yield iris_project
    experiment_id = iris_project[0].experiment_id
    assert running(experiment_id) == []


def forest(**kwargs) -> SearchConfig:
    """A small random search of random forests: 3 CV folds, 2 workers, 10 to 20 trees."""
    defaults = {"algorithm": "random_forest", "space": SMALL_FOREST, "max_trials": 4, "cv_folds": 3, "workers": 2}
    return SearchConfig(**{"method": "random", **defaults, **kwargs})


class Recorder:
    """on_trial and should_stop callbacks that remember what they heard."""

    def __init__(self, stop_after: int | None = None, answer: object = True):
        self.calls: list[tuple[Trial, Progress]] = []
        self.stop_after, self.answer = stop_after, answer
        self.started: list[str] = []

    def on_trial(self, trial: Trial, progress: Progress) -> None:
        self.calls.append((trial, progress))

    def should_stop(self):
        return self.answer if self.stop_after is not None and len(self.calls) >= self.stop_after else False

    def on_start(self, run_id: str) -> None:
        self.started.append(run_id)


# --- refusals before anything runs -----------------------------------------------------------------------------


REFUSALS = [
    ({"method": "bayes"}, SearchSpaceError, "Search method must be one of grid, random, optuna, not 'bayes'."),
    ({"space": ()}, SearchSpaceError, "Choose at least one hyperparameter of Random forest to search."),
    ({"max_trials": None}, SearchSpaceError, "Give a trial budget, a time budget or both."),
    ({"max_trials": 0}, SearchSpaceError, f"The trial budget must be between 1 and {MAX_TRIALS:,}."),
    ({"max_trials": MAX_TRIALS + 1}, SearchSpaceError, "The trial budget must be between 1 and 1,000."),
    ({"time_budget_s": 0}, SearchSpaceError, "The time budget must be more than 0 seconds."),
    ({"time_budget_s": -5.0}, SearchSpaceError, "The time budget must be more than 0 seconds."),
    ({"time_budget_s": math.nan}, SearchSpaceError, "The time budget must be more than 0 seconds."),
    (
        {"space": (Dimension("n_estimators", "int", 5, 20),)},
        SearchSpaceError,
        "Number of trees: the range must lie within 10 and 500.",
    ),
    ({"base_params": {"min_samples_leaf": 0}}, AlgorithmError, "Minimum rows per leaf must be between 1 and 20"),
    ({"base_params": {"n_trees": 10}}, AlgorithmError, "Random forest has no hyperparameter n_trees."),
    ({"algorithm": "xgboost"}, AlgorithmError, "Unknown algorithm 'xgboost'."),
]


@pytest.mark.parametrize(("changes", "error", "message"), REFUSALS)
def test_bad_searches_are_refused(changes, error, message):
    with pytest.raises(error, match=re.escape(message)):
        forest(**changes).validate()


def test_bad_searches_are_refused_before_any_run_exists(project):
    project, record = project
    before = {r.info.run_id for r in all_runs(project.experiment_id)}
    for changes, error, message in REFUSALS:
        with pytest.raises(error, match=re.escape(message)):
            run_search(project.experiment_id, record, forest(**changes))
    assert {r.info.run_id for r in all_runs(project.experiment_id)} == before


def test_good_searches_validate():
    forest().validate()
    forest(max_trials=None, time_budget_s=5).validate()
    forest(method="grid", max_trials=None).validate()  # a grid has its own end
    forest(method="optuna", max_trials=MAX_TRIALS).validate()


@pytest.mark.parametrize(
    ("method", "max_trials", "time_budget_s", "planned"),
    [
        ("grid", None, None, 9),
        ("grid", 4, None, 4),
        ("grid", 100, None, 9),
        ("grid", None, 10.0, 9),
        ("random", 7, None, 7),
        ("random", None, 10.0, None),
        ("optuna", 12, 10.0, 12),
    ],
)
def test_planned_trials(method, max_trials, time_budget_s, planned):
    config = forest(method=method, max_trials=max_trials, time_budget_s=time_budget_s)
    assert config.planned_trials() == planned


@pytest.mark.parametrize(
    ("workers", "max_trials", "expected"),
    [(1, 10, 1), (2, 10, 2), (8, 3, 3), (2, None, 2)],
)
def test_worker_count_never_exceeds_the_trials(workers, max_trials, expected):
    config = forest(workers=workers, max_trials=max_trials, time_budget_s=None if max_trials else 5.0)
    assert config.worker_count() == expected
    assert forest(workers=0, max_trials=1).worker_count() == 1


def test_as_dict_is_json_with_choices_as_text():
    config = SearchConfig(
        "mlp",
        "grid",
        (Dimension("hidden_layer_sizes", "choice", choices=((50,), (50, 50))),),
        {"max_iter": 200, "hidden_layer_sizes": (100, 50)},
        FeatureSteps(pca=2),
        max_trials=None,
    )
    data = json.loads(json.dumps(config.as_dict()))
    assert data["algorithm"] == "mlp" and data["method"] == "grid"
    assert data["space"][0]["choices"] == ["50", "50,50"]
    assert data["base_params"] == {"max_iter": "200", "hidden_layer_sizes": "100,50"}
    assert data["steps"]["pca"] == 2
    assert data["max_trials"] is None


# --- progress and the trials table -----------------------------------------------------------------------------


def test_progress_by_trials():
    progress = Progress(done=2, failed=0, planned=8, elapsed_s=4.0, time_budget_s=None, best=None)
    assert progress.fraction == 0.25
    assert progress.eta_s == pytest.approx(12.0)
    assert Progress(0, 0, 8, 1.0, None, None).eta_s is None
    assert Progress(8, 1, 8, 9.0, None, None).fraction == 1.0
    assert Progress(8, 1, 8, 9.0, None, None).eta_s == 0


def test_progress_by_time():
    progress = Progress(done=3, failed=1, planned=None, elapsed_s=6.0, time_budget_s=10.0, best=None)
    assert progress.fraction == pytest.approx(0.6)
    assert progress.eta_s == pytest.approx(4.0)
    late = Progress(done=3, failed=1, planned=None, elapsed_s=12.0, time_budget_s=10.0, best=None)
    assert late.fraction == 1.0 and late.eta_s == 0
    # both budgets: the nearer end counts
    both = Progress(done=1, failed=0, planned=100, elapsed_s=2.0, time_budget_s=10.0, best=None)
    assert both.fraction == pytest.approx(0.2)
    assert both.eta_s == pytest.approx(8.0)
    assert Progress(0, 0, None, 1.0, None, None).fraction == 0.0
    assert Progress(0, 0, None, 1.0, None, None).eta_s is None


def make_trial(number: int, score: float | None, **values) -> Trial:
    metrics = {} if score is None else {"cv_accuracy": score, "cv_accuracy_std": 0.01}
    status = "FAILED" if score is None else "FINISHED"
    return Trial(
        number, dict(values), dict(values), metrics, status, "boom" if score is None else None, 0.123, "a" * 32
    )


def test_trials_frame_columns_and_best_so_far():
    trials = [
        make_trial(2, 0.8, n_estimators=12),
        make_trial(0, None, n_estimators=10),
        make_trial(1, 0.9, n_estimators=11),
        make_trial(3, 0.7, n_estimators=13),
        make_trial(4, None, n_estimators=14),
    ]
    frame = trials_frame(trials, "accuracy")
    assert list(frame.columns) == [
        "trial",
        "status",
        "CV accuracy",
        "± std",
        "best so far",
        "n_estimators",
        "seconds",
        "error",
        "run",
    ]
    assert frame["trial"].tolist() == [0, 1, 2, 3, 4]
    assert frame["status"].tolist() == ["FAILED", "FINISHED", "FINISHED", "FINISHED", "FAILED"]
    assert frame["best so far"].tolist()[1:] == [0.9, 0.9, 0.9, 0.9]
    assert math.isnan(frame["best so far"].iloc[0])
    assert frame["error"].tolist() == ["boom", "", "", "", "boom"]
    assert frame["run"].iloc[0] == "a" * 8
    assert frame["seconds"].iloc[0] == 0.12
    assert trials_frame([], "accuracy").empty


def test_trials_frame_shows_choices_as_text():
    trial = make_trial(0, 0.5, hidden_layer_sizes=(50, 50))
    assert trials_frame([trial], "accuracy")["hidden_layer_sizes"].tolist() == ["50,50"]


class CountingClient:
    """An MlflowClient that remembers which of its methods were called, in order."""

    def __init__(self, real):
        self.real, self.calls = real, []

    def __getattr__(self, name):
        self.calls.append(name)
        return getattr(self.real, name)


def fold_history(run_id: str, metric: str) -> list[tuple[int, float]]:
    """A run's per-fold values of a score as (step, value), by step."""
    history = client().get_metric_history(run_id, f"cv_{metric}_folds")
    return sorted((m.step, m.value) for m in history)


def test_trial_is_still_built_positionally_without_folds():
    trial = Trial(3, {}, {}, {"cv_accuracy": 0.5}, "FINISHED", None, 0.1, "r")
    assert trial.folds == {}
    assert Trial(**{**trial.__dict__, "run_id": "s"}).folds == {}
    assert trial.folds is not make_trial(0, 0.5).folds  # no shared mutable default


def test_evaluate_trial_returns_picklable_metrics_and_fold_scores():
    import pickle

    from core.data.sets import load_builtin

    frame = load_builtin("iris")
    X, y = frame.drop(columns="species"), frame["species"]
    result = tuning.evaluate_trial("decision_tree", {"max_depth": 2}, FeatureSteps(), X, y, 3, 42)
    metrics, folds, error, seconds, worker = pickle.loads(pickle.dumps(result))
    assert error is None and seconds > 0
    assert worker == f"{socket.gethostname()}:{os.getpid()}"  # no Dask here: where it ran is host:pid
    assert set(folds) == set(SCORE_METRICS)
    for metric, values in folds.items():
        assert len(values) == 3
        assert sum(values) / 3 == pytest.approx(metrics[f"cv_{metric}"])
    failed = tuning.evaluate_trial("knn", {"n_neighbors": 500}, FeatureSteps(), X, y, 3, 42)
    assert failed[0] is None and failed[1] == {} and failed[2]


def test_log_trial_writes_a_finished_or_failed_child(project):
    import mlflow

    project, record = project
    with mlflow.start_run(experiment_id=project.experiment_id) as parent:
        parent_id = parent.info.run_id
    ok = Trial(
        0,
        {"hidden_layer_sizes": (50, 50), "alpha": 0.01},
        {},
        {"cv_accuracy": 0.9, "bad": math.nan},
        "FINISHED",
        None,
        1.0,
        "",
        {"accuracy": [0.8, 1.0, 0.9], "f1_macro": [0.7, 0.6, math.nan]},
    )
    failed = Trial(1, {"alpha": 0.1}, {}, {}, "FAILED", "x" * 6000, 1.0, "")
    started = int(time.time() * 1000)
    calls = CountingClient(client())
    ids = [
        tuning.log_trial(calls, project.experiment_id, parent_id, {"qua3ck.kind": "trial"}, t, started)
        for t in (ok, failed)
    ]
    assert calls.calls == ["create_run", "log_batch", "set_terminated"] * 2  # folds ride in the one batch
    first, second = (client().get_run(i) for i in ids)
    assert first.info.status == "FINISHED" and second.info.status == "FAILED"
    assert first.info.run_name == "trial-000" and second.info.run_name == "trial-001"
    # choices are logged as everywhere else: 50,50 (not a Python tuple's text)
    assert first.data.params == {"hidden_layer_sizes": "50,50", "alpha": "0.01"}
    # non-finite metrics are left out; a fold key shows its last fold there, the history has every fold
    assert first.data.metrics == {"cv_accuracy": 0.9, "cv_accuracy_folds": 0.9, "cv_f1_macro_folds": 0.6}
    assert fold_history(ids[0], "accuracy") == [(0, 0.8), (1, 1.0), (2, 0.9)]
    assert fold_history(ids[0], "f1_macro") == [(0, 0.7), (1, 0.6)]
    assert fold_history(ids[1], "accuracy") == []
    assert first.data.tags[TAG_PARENT] == parent_id
    assert TAG_ERROR not in first.data.tags
    assert second.data.tags[TAG_ERROR] == "x" * 5000
    assert first.info.start_time == started


# --- searches ---------------------------------------------------------------------------------------------------------


def check_folds(run, folds: dict[str, list[float]], metrics: dict[str, float]) -> None:
    """The run logged every score once per fold (steps 0..k-1) as ``folds`` holds them; means match the CV scores."""
    k = int(run.data.params["cv_folds"])
    assert set(folds) == set(SCORE_METRICS)
    for metric in SCORE_METRICS:
        history = fold_history(run.info.run_id, metric)
        assert [step for step, _ in history] == list(range(k))
        assert [value for _, value in history] == pytest.approx(folds[metric])
        assert sum(folds[metric]) / k == pytest.approx(metrics[f"cv_{metric}"])
        assert run.data.metrics[f"cv_{metric}"] == pytest.approx(sum(v for _, v in history) / k)


def check_children(experiment_id: str, result) -> list:
    """Every trial is a finished or failed child run with its params and CV metrics; returns the child runs."""
    runs = children(experiment_id, result.run_id)
    assert len(runs) == len(result.trials)
    by_id = {r.info.run_id: r for r in runs}
    for trial in result.trials:
        run = by_id[trial.run_id]
        assert run.info.status == trial.status
        assert run.info.run_name == f"trial-{trial.number:03d}"
        assert run.data.tags[TAG_KIND] == "trial"
        assert run.data.tags[TAG_PARENT] == result.run_id
        assert run.data.tags[TAG_ALGORITHM] == result.config.algorithm
        # the trial's hyperparameters plus what the search holds fixed, so a trial reads on its own in MLflow
        context = {"algorithm", "cv_folds", "random_seed", *result.config.steps.as_params()}
        assert set(run.data.params) == set(trial.params) | context
        assert run.data.params["algorithm"] == result.config.algorithm
        assert run.data.params["prep.scaling"] == result.config.steps.scaling
        if trial.status == "FINISHED":
            assert set(run.data.metrics) >= CV_KEYS
            assert run.data.metrics["cv_accuracy"] == pytest.approx(trial.metrics["cv_accuracy"])
            assert TAG_ERROR not in run.data.tags
            check_folds(run, trial.folds, trial.metrics)
        else:
            assert run.data.tags[TAG_ERROR] == trial.error
            assert not run.data.metrics
            assert trial.folds == {}
    return runs


def test_random_search_logs_a_parent_with_a_child_per_trial_and_the_best_model(project):
    import mlflow

    project, record = project
    heard = Recorder()
    config = forest(max_trials=4, steps=FeatureSteps(scaling="minmax"))
    result = run_search(project.experiment_id, record, config, on_trial=heard.on_trial, on_start=heard.on_start)

    assert result.status == "finished" and result.error is None
    assert heard.started == [result.run_id]
    assert result.experiment_id == project.experiment_id
    assert len(result.trials) == 4
    assert sorted(t.number for t in result.trials) == [0, 1, 2, 3]
    assert all(t.status == "FINISHED" and t.error is None and t.seconds > 0 for t in result.trials)

    # the values are those of the seeded random sampler, within the space
    sampler = Sampler("random", SMALL_FOREST, 42)
    expected = dict(sampler.ask() for _ in range(4))
    for trial in result.trials:
        assert trial.values == expected[trial.number]
        assert 10 <= trial.values["n_estimators"] <= 20 and 2 <= trial.values["max_depth"] <= 4
        assert trial.params == {**trial.values, "min_samples_leaf": 1}

    best = max(result.trials, key=lambda t: t.metrics["cv_accuracy"])
    assert result.best.metrics["cv_accuracy"] == best.metrics["cv_accuracy"]

    # on_trial heard every trial once, in the order they were logged, with progress counting up
    assert [t.run_id for t, _ in heard.calls] == [t.run_id for t in result.trials]
    best_so_far = -1.0
    for i, (trial, progress) in enumerate(heard.calls, start=1):
        best_so_far = max(best_so_far, trial.metrics["cv_accuracy"])
        assert (progress.done, progress.failed, progress.planned) == (i, 0, 4)
        assert progress.fraction == pytest.approx(i / 4)
        assert 0 <= progress.fraction <= 1
        assert progress.eta_s is not None and progress.eta_s >= 0
        assert progress.best.metrics["cv_accuracy"] == best_so_far
        assert progress.elapsed_s > 0
    assert heard.calls[-1][1].eta_s == 0

    # the parent run
    parent = client().get_run(result.run_id)
    assert parent.info.status == "FINISHED"
    assert parent.info.run_name.startswith("random-search-random_forest-")
    tags = parent.data.tags
    assert tags["qua3ck.search"] == "1"
    assert tags[TAG_SEARCH_STATUS] == "finished"
    assert tags[TAG_ALGORITHM] == "random_forest"
    assert tags["qua3ck.best_trial_run"] == result.best.run_id
    assert tags[TAG_MODEL_URI] == result.model_uri
    # the refit is logged by a worker process into the parent run: its one model, and no run of its own
    models = client().search_logged_models([project.experiment_id])
    assert [m.model_id for m in models if m.source_run_id == result.run_id] == [result.model_uri.split("/")[-1]]
    assert [o.model_id for o in parent.outputs.model_outputs] == [result.model_uri.split("/")[-1]]
    artifacts = {a.path for a in client().list_artifacts(result.run_id)}
    assert {"feature_stats.json", "schema.json", "search.json"} <= artifacts
    assert len(all_runs(project.experiment_id)) == 1 + len(result.trials) + 1  # + the data set's run
    params = parent.data.params
    assert params["search.method"] == "random"
    assert params["search.max_trials"] == "4"
    assert params["search.metric"] == "accuracy"
    assert params["search.seed"] == "42"
    assert params["search.space"] == "n_estimators ∈ [10, 20]; max_depth ∈ [2, 4]"
    assert params["algorithm"] == "random_forest"
    assert params["n_estimators"] == str(result.best.params["n_estimators"])
    assert params["max_depth"] == str(result.best.params["max_depth"])
    assert params["prep.scaling"] == "minmax"
    assert params["cv_folds"] == "3"
    metrics = parent.data.metrics
    assert metrics["search.trials"] == 4 and metrics["search.failed_trials"] == 0
    assert metrics["search.best_trial"] == result.best.number
    assert metrics["cv_accuracy"] == pytest.approx(result.best.metrics["cv_accuracy"])
    # the parent carries the best trial's per-fold scores, and pairs with it fold by fold: no difference
    check_folds(parent, result.best.folds, result.best.metrics)
    same = cv_difference(result.run_id, result.best.run_id, "accuracy", "the search", "its best trial")
    assert isinstance(same, Comparison) and same.p_value == 1.0 and same.better is None
    # a training run on the same data, folds and seed pairs with a trial; the p-value is the test on the logged folds
    trained = train_model(project.experiment_id, record, "logistic_regression", cv_folds=3)
    worst = min(result.trials, key=lambda t: t.metrics["cv_accuracy"])
    verdict = cv_difference(trained.run_id, worst.run_id, "f1_macro", "logistic regression", "the worst trial")
    assert isinstance(verdict, Comparison)
    expected = corrected_paired_t_test(
        fold_scores(trained.run_id, "f1_macro"), worst.folds["f1_macro"], test_fraction=0.5
    )
    assert verdict.p_value == pytest.approx(expected.p_value)

    search_json = mlflow.artifacts.load_dict(f"runs:/{result.run_id}/search.json")
    assert search_json["algorithm"] == "random_forest"
    assert search_json["max_trials"] == 4
    assert [d["name"] for d in search_json["space"]] == ["n_estimators", "max_depth"]
    assert search_json["steps"]["scaling"] == "minmax"

    # the refit best model takes raw test rows
    model = mlflow.pyfunc.load_model(result.model_uri)
    X_test, y_test = record.test_xy()
    predictions = model.predict(X_test)
    assert len(predictions) == len(X_test)
    assert set(predictions) <= set(record.classes)
    assert (predictions == y_test.to_numpy()).mean() > 0.8

    check_children(project.experiment_id, result)

    frame = trials_frame(result.trials, "accuracy")
    assert frame["trial"].tolist() == [0, 1, 2, 3]
    assert set(frame.columns) >= {"CV accuracy", "best so far", "n_estimators", "max_depth", "run"}
    best_col = frame["best so far"].tolist()
    assert best_col == sorted(best_col)
    assert best_col[-1] == result.best.metrics["cv_accuracy"]


def test_grid_search_covers_the_grid(project):
    project, record = project
    space = (Dimension("max_depth", "int", 2, 4), Dimension("min_samples_leaf", "int", 1, 2, points=2))
    heard = Recorder()
    config = SearchConfig("decision_tree", "grid", space, max_trials=None, cv_folds=3, workers=2)
    assert config.planned_trials() == 6
    result = run_search(project.experiment_id, record, config, on_trial=heard.on_trial)
    assert result.status == "finished"
    combos = sorted((t.values["max_depth"], t.values["min_samples_leaf"]) for t in result.trials)
    assert combos == [(2, 1), (2, 2), (3, 1), (3, 2), (4, 1), (4, 2)]
    assert [p.done for _, p in heard.calls] == [1, 2, 3, 4, 5, 6]
    assert {p.planned for _, p in heard.calls} == {6}
    assert heard.calls[-1][1].fraction == 1.0
    assert result.model_uri
    parent = client().get_run(result.run_id)
    assert parent.data.params["search.method"] == "grid"
    assert parent.data.params["search.max_trials"] == "None"
    check_children(project.experiment_id, result)


def test_optuna_search_with_tuple_choices(project):
    import mlflow

    project, record = project
    space = (
        Dimension("hidden_layer_sizes", "choice", choices=((50,), (50, 50))),
        Dimension("alpha", "float", 1e-4, 1e-1, log=True),
    )
    config = SearchConfig("mlp", "optuna", space, {"max_iter": 100}, max_trials=3, cv_folds=3, workers=2)
    result = run_search(project.experiment_id, record, config)
    assert result.status == "finished"
    assert len(result.trials) == 3
    for trial in result.trials:
        assert trial.status == "FINISHED", trial.error
        assert trial.values["hidden_layer_sizes"] in {"50", "50,50"}  # Optuna hands choices back as text
        assert 1e-4 <= trial.values["alpha"] <= 1e-1
        assert trial.params["max_iter"] == 100
    runs = check_children(project.experiment_id, result)
    assert {r.data.params["hidden_layer_sizes"] for r in runs} <= {"50", "50,50"}
    assert {r.data.params["max_iter"] for r in runs} == {"100"}
    parent = client().get_run(result.run_id)
    assert parent.data.params["hidden_layer_sizes"] == result.best.values["hidden_layer_sizes"]
    assert parent.data.params["search.method"] == "optuna"
    X_test, _ = record.test_xy()
    assert len(mlflow.pyfunc.load_model(result.model_uri).predict(X_test)) == len(X_test)


def test_failing_trials_are_marked_failed_and_the_search_goes_on(project, monkeypatch):
    from core.data import datastore
    from core.data import sets as data

    project, _ = project
    # 50 rows: a CV training fold has 32, too few for 50 neighbours, so that trial fails in its worker
    small = datastore.record_dataset(
        project.experiment_id, data.load_builtin("iris").iloc[::3].reset_index(drop=True), "iris-small", "species"
    )
    real = tuning.trial_params

    def refuse_26(key, base, values):  # an impossible combination found before a worker is asked
        if values.get("n_neighbors") == 26:
            raise ValueError("26 neighbours are refused here")
        return real(key, base, values)

    monkeypatch.setattr(tuning, "trial_params", refuse_26)
    heard = Recorder()
    space = (Dimension("n_neighbors", "int", 1, 50),)  # grid: 1, 26, 50
    config = SearchConfig("knn", "grid", space, max_trials=None, workers=2)
    result = run_search(project.experiment_id, small, config, on_trial=heard.on_trial)

    assert result.status == "finished"
    by_k = {t.values["n_neighbors"]: t for t in result.trials}
    assert set(by_k) == {1, 26, 50}
    assert by_k[1].status == "FINISHED"
    assert by_k[26].status == "FAILED" and by_k[26].error == "26 neighbours are refused here"
    assert by_k[50].status == "FAILED" and "n_neighbors" in by_k[50].error
    assert by_k[50].score("accuracy") is None
    assert result.best.run_id == by_k[1].run_id
    assert heard.calls[-1][1].failed == 2
    assert result.model_uri

    runs = {r.info.run_id: r for r in check_children(project.experiment_id, result)}
    assert runs[by_k[26].run_id].data.tags[TAG_ERROR] == "26 neighbours are refused here"
    assert runs[by_k[26].run_id].data.params["n_neighbors"] == "26"
    assert runs[by_k[26].run_id].data.params["algorithm"] == "knn"
    assert "n_neighbors" in runs[by_k[50].run_id].data.tags[TAG_ERROR]
    parent = client().get_run(result.run_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.metrics["search.failed_trials"] == 2
    assert parent.data.params["n_neighbors"] == "1"


@pytest.mark.parametrize("workers", [1, 2])
def test_stop_keeps_the_trials_done_and_refits_the_best(project, workers):
    import mlflow

    project, record = project
    heard = Recorder(stop_after=2)
    config = forest(max_trials=8, workers=workers)
    result = run_search(project.experiment_id, record, config, on_trial=heard.on_trial, should_stop=heard.should_stop)

    assert result.status == "stopped"
    assert 2 <= len(result.trials) < 8
    assert len(heard.calls) == len(result.trials)
    assert result.best is not None and result.model_uri
    parent = client().get_run(result.run_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.tags[TAG_SEARCH_STATUS] == "stopped"
    assert parent.data.metrics["search.trials"] == len(result.trials)
    check_children(project.experiment_id, result)
    X_test, _ = record.test_xy()
    assert len(mlflow.pyfunc.load_model(result.model_uri).predict(X_test)) == len(X_test)


def test_a_store_failing_while_logging_ends_the_search_with_store_error(project, monkeypatch):
    project, record = project
    real = tuning.log_trial
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("database is locked")
        return real(*args, **kwargs)

    monkeypatch.setattr(tuning, "log_trial", flaky)
    heard = Recorder()
    result = run_search(project.experiment_id, record, forest(max_trials=5), on_trial=heard.on_trial)

    assert result.status == "store_error"
    assert result.error.startswith("The MLflow store stopped answering, so the search ended after 1 trial")
    assert result.error.endswith(": database is locked")
    assert result.model_uri is None
    assert len(result.trials) == 1 and len(heard.calls) == 1
    parent = client().get_run(result.run_id)
    assert parent.info.status == "FAILED"
    assert [r.info.status for r in children(project.experiment_id, result.run_id)] == ["FINISHED"]


def test_time_budget_ends_the_search_with_time_up(project):
    project, record = project
    heard = Recorder()
    config = forest(max_trials=None, time_budget_s=1.5)
    assert config.planned_trials() is None
    started = time.perf_counter()
    result = run_search(project.experiment_id, record, config, on_trial=heard.on_trial)
    assert result.status == "time_up"
    assert time.perf_counter() - started < 30
    for _, progress in heard.calls:
        assert progress.planned is None
        assert 0 <= progress.fraction <= 1
        assert progress.eta_s is not None and 0 <= progress.eta_s <= 1.5
    parent = client().get_run(result.run_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.tags[TAG_SEARCH_STATUS] == "time_up"
    assert parent.data.params["search.time_budget_s"] == "1.5"
    if result.trials:  # a loaded machine may spend the whole budget starting up
        assert result.model_uri
    else:
        assert result.model_uri is None
        assert result.error == "No trial finished, so there is no model to refit."
        assert parent.data.tags[TAG_ERROR] == result.error
    check_children(project.experiment_id, result)


# last: an abort shuts the worker pool down, and the next search would have to start it again
@pytest.mark.parametrize("stop_after", [1, 0], ids=["after-a-trial", "at-once"])
def test_abort_ends_the_parent_killed_without_a_model(project, stop_after):
    project, record = project
    heard = Recorder(stop_after=stop_after, answer=ABORT)
    config = forest(max_trials=6)
    result = run_search(project.experiment_id, record, config, on_trial=heard.on_trial, should_stop=heard.should_stop)

    assert result.status == "aborted"
    assert result.model_uri is None
    if stop_after == 0:
        assert result.trials == [] and heard.calls == []
    else:
        assert 1 <= len(result.trials) < 6
    parent = client().get_run(result.run_id)
    assert parent.info.status == "KILLED"
    assert TAG_MODEL_URI not in parent.data.tags
    assert TAG_SEARCH_STATUS not in parent.data.tags
    assert [m for m in client().search_logged_models([project.experiment_id]) if m.source_run_id == result.run_id] == []
    check_children(project.experiment_id, result)


def test_a_grid_larger_than_the_trial_limit_needs_a_budget():
    from core.train.search_space import Dimension
    from core.train.tuning import MAX_TRIALS, SearchConfig, SearchSpaceError

    space = tuple(Dimension(n, "int", 1, 20, points=20) for n in ("n_estimators", "max_depth", "min_samples_leaf"))
    space = (Dimension("n_estimators", "int", 10, 500, points=20), *space[1:])
    with pytest.raises(SearchSpaceError, match=f"more than {MAX_TRIALS:,}: set a trial budget"):
        SearchConfig("random_forest", "grid", space, max_trials=None).validate()
    SearchConfig("random_forest", "grid", space, max_trials=50).validate()


def test_warm_up_reaches_every_worker_and_loads_what_the_refit_needs(monkeypatch):
    """One warm-up per worker, each finishing cleanly (the refit's imports included): nothing is left to wait."""
    from core.train import tuning

    monkeypatch.setattr(tuning, "_last_warm_up", -math.inf)  # whatever warmed the workers before
    futures = warm_up_workers()
    assert len(futures) == (os.cpu_count() or 1)
    assert [f.result(timeout=300) for f in futures] == [None] * len(futures)


def test_a_refit_that_cannot_reach_the_store_ends_the_search_failed_with_the_reason(project, monkeypatch):
    """The refit runs in a worker: its failure comes back as the search's message, the parent ends FAILED."""
    import mlflow

    experiment, record = project
    real = mlflow.get_tracking_uri()
    # only the refit's worker is handed this store (the parent process keeps its own): it cannot be created
    monkeypatch.setattr(mlflow, "get_tracking_uri", lambda: "sqlite:////proc/qua3ck-no-store/mlflow.db")
    result = run_search(experiment.experiment_id, record, forest(max_trials=2))
    monkeypatch.undo()
    assert mlflow.get_tracking_uri() == real
    assert result.status == "store_error" and result.model_uri is None
    assert result.error.startswith("The best trial could not be refit and logged:")
    assert "qua3ck-no-store" in result.error
    assert client().get_run(result.run_id).info.status == "FAILED"
    models = client().search_logged_models([experiment.experiment_id])
    assert [m for m in models if m.source_run_id == result.run_id] == []


def test_a_page_rerun_does_not_warm_the_workers_again(monkeypatch):
    """The A³ page asks on every rerun; a warm-up goes out once, and again only when the workers may have cooled."""
    from core.train import tuning

    now = [1000.0]
    sent = []
    monkeypatch.setattr(tuning.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(tuning, "_last_warm_up", -math.inf)
    monkeypatch.setattr(tuning, "_executor", lambda: type("Pool", (), {"submit": lambda self, f: sent.append(f)})())
    assert len(warm_up_workers()) == (os.cpu_count() or 1)
    now[0] += 5
    assert warm_up_workers() == [] and len(sent) == (os.cpu_count() or 1)
    now[0] += tuning.WARM_AGAIN_S
    assert len(warm_up_workers()) == (os.cpu_count() or 1)
