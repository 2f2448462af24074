"""The algorithm catalogue: every classifier trains, logs with skops and loads back in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from core.train import training
from core.train.algorithms import ALGORITHMS, AlgorithmError, choice_text, clean_params, default_params

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_the_catalogue_offers_the_nine_classic_classifiers():
    assert set(ALGORITHMS) == {
        "logistic_regression", "knn", "svc", "decision_tree", "random_forest", "extra_trees",
        "hist_gradient_boosting", "gaussian_nb", "mlp",
    }  # fmt: skip
    for algorithm in ALGORITHMS.values():
        assert len(algorithm.description) > 40 and algorithm.params
        estimator = algorithm.factory(random_state=1, **clean_params(algorithm.key, default_params(algorithm.key)))
        assert hasattr(estimator, "predict_proba"), algorithm.key


@pytest.mark.parametrize(
    ("value", "expected"), [((50, 50), (50, 50)), ("50,50", (50, 50)), ("(50, 50)", (50, 50)), ("100", (100,))]
)
def test_choices_accept_their_text_form(value, expected):
    assert clean_params("mlp", {"hidden_layer_sizes": value})["hidden_layer_sizes"] == expected
    assert choice_text(expected) in {"50,50", "100"}


def test_an_unknown_choice_names_the_options():
    with pytest.raises(AlgorithmError, match="one of rbf, linear, poly"):
        clean_params("svc", {"kernel": "sigmoid"})


def test_every_algorithm_round_trips_through_mlflow(iris_project):
    project, record = iris_project
    uris = {}
    for key in ALGORITHMS:
        params = {"max_iter": 300} if key == "mlp" else {}
        result = training.train_model(project.experiment_id, record, key, params, cv_folds=2)
        assert 0.5 < result.cv_metrics["cv_accuracy"] <= 1.0, key
        uris[key] = result.model_uri
    X, _ = record.test_xy()
    script = (
        "import json, sys, mlflow, pandas as pd\n"
        "rows = pd.read_json(sys.argv[2], orient='split')\n"
        "uris = json.loads(sys.argv[1])\n"
        "out = {k: list(map(str, mlflow.pyfunc.load_model(u).predict(rows))) for k, u in uris.items()}\n"
        "print(json.dumps(out))\n"
    )
    from core.common.config import resolve_store

    env = {**os.environ, "MLFLOW_TRACKING_URI": resolve_store().tracking_uri}
    proc = subprocess.run(
        [sys.executable, "-c", script, json.dumps(uris), X.head(5).to_json(orient="split")],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    predictions = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(predictions) == set(ALGORITHMS)
    for key, labels in predictions.items():
        assert set(labels) <= {"setosa", "versicolor", "virginica"}, key
