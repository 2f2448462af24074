"""core.train.training: cross-validate, fit and log one pipeline per MLflow run."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from core.data.datastore import TAG_DIGEST, TAG_KIND
from core.question.kpis import SCORE_METRICS
from core.train import training
from core.train.algorithms import AlgorithmError

CV_KEYS = {f"cv_{m}" for m in SCORE_METRICS} | {f"cv_{m}_std" for m in SCORE_METRICS} | {"cv_fit_seconds"}
FOLD_KEYS = {f"cv_{m}_folds" for m in SCORE_METRICS}


def fresh_client():
    from mlflow import MlflowClient

    from core.common.config import active_store

    return MlflowClient(tracking_uri=active_store().tracking_uri)


@pytest.mark.parametrize(
    ("algorithm", "params", "logged"),
    [
        (
            "random_forest",
            {"n_estimators": 20, "max_depth": 0},
            {"n_estimators": "20", "max_depth": "0", "min_samples_leaf": "1"},
        ),
        ("logistic_regression", {"C": 0.5}, {"C": "0.5", "max_iter": "1000"}),
    ],
)
def test_train_model_logs_params_metrics_tags_and_model(iris_project, algorithm, params, logged):
    project, record = iris_project
    result = training.train_model(project.experiment_id, record, algorithm, params)
    assert result.experiment_id == project.experiment_id
    assert result.algorithm == algorithm
    assert result.cv_folds == 5
    assert set(result.cv_metrics) == CV_KEYS
    assert result.cv_metrics["cv_accuracy"] > 0.85
    assert result.seconds > 0

    run = fresh_client().get_run(result.run_id)
    assert run.info.status == "FINISHED"
    assert run.info.run_name.startswith(f"{algorithm}-")
    assert run.data.params == {
        "algorithm": algorithm,
        **logged,
        "cv_folds": "5",
        "random_seed": "42",
        "split_seed": "42",
        "prep.impute": "median",
        "prep.scaling": "auto",
        "prep.poly_degree": "1",
        "prep.select_k": "0",
        "prep.pca": "0",
        "test_size": "0.2",
        "train_rows": "120",
        "features": "4",
    }
    assert set(run.data.metrics) == CV_KEYS | FOLD_KEYS
    assert run.data.metrics["cv_accuracy"] == pytest.approx(result.cv_metrics["cv_accuracy"])
    assert run.data.tags[TAG_KIND] == "train"
    assert run.data.tags[training.TAG_ALGORITHM] == algorithm
    assert run.data.tags[TAG_DIGEST] == record.digest
    assert run.data.tags[training.TAG_DATA_RUN] == record.run_id
    assert run.data.tags[training.TAG_MODEL_URI] == result.model_uri
    assert result.model_uri.startswith("models:/")

    inputs = run.inputs.dataset_inputs
    assert [i.dataset.name for i in inputs] == ["iris (train split)"]
    assert {t.key: t.value for t in inputs[0].tags}["mlflow.data.context"] == "training"

    assert {f.path for f in fresh_client().list_artifacts(result.run_id)} >= {"feature_stats.json"}
    models = fresh_client().search_logged_models(experiment_ids=[project.experiment_id])
    assert [m.source_run_id for m in models] == [result.run_id]
    assert models[0].name == training.MODEL_NAME


def test_train_model_logs_every_score_per_fold(iris_project):
    project, record = iris_project
    result = training.train_model(project.experiment_id, record, "logistic_regression", cv_folds=4)
    client = fresh_client()
    for metric in SCORE_METRICS:
        history = client.get_metric_history(result.run_id, f"cv_{metric}_folds")
        assert sorted(m.step for m in history) == [0, 1, 2, 3]
        values = [m.value for m in sorted(history, key=lambda m: m.step)]
        assert all(0 <= v <= 1 for v in values)
        assert sum(values) / 4 == pytest.approx(result.cv_metrics[f"cv_{metric}"])
        assert float(np.std(values)) == pytest.approx(result.cv_metrics[f"cv_{metric}_std"])
    # the per-fold values are the folds of the split cross_validated uses, in fold order
    X, y = record.train_xy()
    expected = fold_by_fold_accuracy(training.build_pipeline("logistic_regression", {}, X, seed=42), X, y, 4, 42)
    logged = sorted(client.get_metric_history(result.run_id, "cv_accuracy_folds"), key=lambda m: m.step)
    assert [m.value for m in logged] == pytest.approx(expected)


def fold_by_fold_accuracy(pipeline, X, y, folds: int, seed: int) -> list[float]:
    """Accuracy on each stratified fold, fitted one fold at a time: what cross_validate must agree with."""
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    scores = []
    for train, test in StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(X, y):
        model = clone(pipeline).fit(X.iloc[train], y.iloc[train])
        scores.append(float((model.predict(X.iloc[test]) == y.iloc[test].to_numpy()).mean()))
    return scores


def test_cross_validated_folds_agrees_with_cross_validated_and_fold_order():
    from core.data.sets import load_builtin
    from core.train.algorithms import build_pipeline

    frame = load_builtin("iris").sample(frac=1.0, random_state=3).reset_index(drop=True)
    X, y = frame.drop(columns="species"), frame["species"]
    pipeline = build_pipeline("decision_tree", {"max_depth": 2}, X, seed=0)
    metrics, folds = training.cross_validated_folds(pipeline, X, y, 3, 7)
    plain = training.cross_validated(pipeline, X, y, 3, 7)
    assert set(plain) == set(metrics) == CV_KEYS
    assert {k: v for k, v in plain.items() if k != "cv_fit_seconds"} == {
        k: v for k, v in metrics.items() if k != "cv_fit_seconds"
    }
    assert list(folds) == SCORE_METRICS
    for metric, values in folds.items():
        assert len(values) == 3 and all(type(v) is float for v in values)
        assert sum(values) / 3 == pytest.approx(metrics[f"cv_{metric}"])
        assert float(np.std(values)) == pytest.approx(metrics[f"cv_{metric}_std"])
    assert folds["accuracy"] == pytest.approx(fold_by_fold_accuracy(pipeline, X, y, 3, 7))
    # the fold order matters: another seed shuffles other rows into the folds
    assert folds["accuracy"] != training.cross_validated_folds(pipeline, X, y, 3, 8)[1]["accuracy"]


def test_fold_key_and_fold_metrics():
    assert training.fold_key("f1_macro") == "cv_f1_macro_folds"
    entities = training.fold_metrics({"accuracy": [0.5, 0.75, math.nan], "f1_macro": [0.25]}, timestamp_ms=123)
    assert [(m.key, m.value, m.step, m.timestamp) for m in entities] == [
        ("cv_accuracy_folds", 0.5, 0, 123),
        ("cv_accuracy_folds", 0.75, 1, 123),  # a non-finite fold is left out, the others keep their index
        ("cv_f1_macro_folds", 0.25, 0, 123),
    ]
    assert training.fold_metrics({}) == []


def test_trained_model_loads_in_a_fresh_process(iris_project, store):
    project, record = iris_project
    result = training.train_model(project.experiment_id, record, "random_forest", {"n_estimators": 10})
    X_test, y_test = record.test_xy()
    script = (
        "import json, sys, mlflow, pandas as pd\n"
        "rows = pd.read_json(sys.stdin, orient='split')\n"
        "model = mlflow.pyfunc.load_model(sys.argv[1])\n"
        "print(json.dumps([str(v) for v in model.predict(rows)]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "QUA3CK_"))}
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{store / 'mlflow.db'}"
    done = subprocess.run(
        [sys.executable, "-c", script, result.model_uri],
        input=X_test.to_json(orient="split"),
        capture_output=True,
        text=True,
        env=env,
        cwd=store,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    predicted = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(predicted) == len(X_test)
    assert set(predicted) <= {"setosa", "versicolor", "virginica"}
    accuracy = sum(p == t for p, t in zip(predicted, y_test, strict=True)) / len(y_test)
    assert accuracy > 0.85


def test_logged_model_has_signature_and_example(iris_project):
    import mlflow

    project, record = iris_project
    result = training.train_model(project.experiment_id, record, "logistic_regression")
    info = mlflow.models.get_model_info(result.model_uri)
    assert info.signature.inputs.input_names() == record.features
    assert info.flavors["sklearn"]["serialization_format"] == "skops"
    model = mlflow.pyfunc.load_model(result.model_uri)
    X_test, y_test = record.test_xy()
    assert (model.predict(X_test) == y_test.to_numpy()).mean() > 0.85


def test_failure_inside_training_marks_the_run_failed(iris_project, monkeypatch):
    project, record = iris_project

    def broken(*args, **kwargs):
        raise RuntimeError("pipeline exploded")

    monkeypatch.setattr(training, "build_pipeline", broken)
    with pytest.raises(RuntimeError, match="pipeline exploded"):
        training.train_model(project.experiment_id, record, "random_forest")
    import mlflow

    assert mlflow.active_run() is None
    runs = fresh_client().search_runs([project.experiment_id], f"tags.`{TAG_KIND}` = 'train'")
    assert [r.info.status for r in runs] == ["FAILED"]
    assert training.TAG_MODEL_URI not in runs[0].data.tags


@pytest.mark.parametrize(
    ("algorithm", "params", "error"),
    [
        ("random_forest", {"n_estimators": 5}, AlgorithmError),
        ("random_forest", {"C": 1.0}, AlgorithmError),
        ("svm", {}, AlgorithmError),
    ],
)
def test_bad_configuration_fails_before_a_run_exists(iris_project, algorithm, params, error):
    project, record = iris_project
    with pytest.raises(error):
        training.train_model(project.experiment_id, record, algorithm, params)
    assert fresh_client().search_runs([project.experiment_id], f"tags.`{TAG_KIND}` = 'train'") == []


def test_cv_folds_limited_by_smallest_class(store):
    from core.data import datastore
    from core.question import projects

    project = projects.create_project("Small")
    frame = pd.DataFrame({"x": [float(i % 10) for i in range(30)], "y": ["a"] * 25 + ["b"] * 5})
    record = datastore.record_dataset(project.experiment_id, frame, "small", "y", test_size=0.2)
    assert record.train_xy()[1].value_counts().to_dict() == {"a": 20, "b": 4}
    result = training.train_model(project.experiment_id, record, "logistic_regression", cv_folds=10)
    assert result.cv_folds == 4  # 'b' keeps 4 of its 5 rows for training
    assert fresh_client().get_run(result.run_id).data.params["cv_folds"] == "4"


@pytest.mark.parametrize(
    ("labels", "wanted", "expected"),
    [
        (["a"] * 50 + ["b"] * 50, 5, 5),
        (["a"] * 50 + ["b"] * 3, 5, 3),
        (["a"] * 50 + ["b"] * 1, 5, 2),
        (["a"] * 50 + ["b"] * 50, 1, 2),
        ([1] * 10 + [2] * 10, 10, 10),
    ],
)
def test_cv_folds_for(labels, wanted, expected):
    assert training.cv_folds_for(pd.Series(labels), wanted) == expected


def test_skops_trusted_types_come_from_known_libraries():
    from core.data.sets import load_builtin
    from core.train.algorithms import build_pipeline

    frame = load_builtin("iris")
    X, y = frame.drop(columns="species"), frame["species"]
    trusted = training.skops_trusted_types(build_pipeline("random_forest", {"n_estimators": 10}, X).fit(X, y))
    assert trusted
    assert all(t.startswith(("sklearn.", "numpy.", "scipy.", "builtins.", "collections.")) for t in trusted)
    assert "sklearn.tree._tree.Tree" in trusted


def test_a_stale_trusted_type_list_is_computed_afresh_and_the_model_still_loads(store):
    import mlflow

    from core.data.sets import load_builtin
    from core.train.algorithms import build_pipeline

    frame = load_builtin("iris")
    X, y = frame.drop(columns="species"), frame["species"]
    pipeline = build_pipeline("random_forest", {"n_estimators": 10}, X).fit(X, y)
    key = training.pipeline_structure(pipeline)
    training._trusted_by_structure[key] = ["numpy.dtype"]  # too short: the tree type is missing
    try:
        with mlflow.start_run():
            info = training.log_pipeline(pipeline, X)
        assert "sklearn.tree._tree.Tree" in training._trusted_by_structure[key]
        assert list(mlflow.pyfunc.load_model(info.model_uri).predict(X.head(3))) == list(pipeline.predict(X.head(3)))
    finally:
        training._trusted_by_structure.pop(key, None)


def test_pipelines_of_the_same_classes_share_a_structure():
    from core.data.sets import load_builtin
    from core.train.algorithms import build_pipeline

    X = load_builtin("iris").drop(columns="species")
    small = build_pipeline("random_forest", {"n_estimators": 10}, X)
    large = build_pipeline("random_forest", {"n_estimators": 300, "max_depth": 0}, X)
    other = build_pipeline("extra_trees", {}, X)
    assert training.pipeline_structure(small) == training.pipeline_structure(large)
    assert training.pipeline_structure(small) != training.pipeline_structure(other)
