"""core.serve.predict: load a registered version and predict single rows and whole frames."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from core.registry import model_registry as registry
from core.serve import predict
from core.serve.predict import PredictError, ServedModel

IRIS_CLASSES = ["setosa", "versicolor", "virginica"]


def test_load_served_model(served):
    model, record = served
    assert (model.name, model.version, model.uri) == ("iris-classifier", "1", "models:/iris-classifier/1")
    assert model.features == record.features
    assert model.named_inputs is True
    assert model.classes == IRIS_CLASSES
    assert model.estimator is not None and model.pyfunc is not None
    assert set(model.stats) == set(record.features)
    train = record.frame.iloc[record.split.train]
    first = record.features[0]
    assert model.stats[first]["min"] == train[first].min()
    assert model.stats[first]["max"] == train[first].max()


def test_default_inputs_are_training_medians(served):
    model, record = served
    train = record.frame.iloc[record.split.train]
    assert predict.default_inputs(model) == {f: pytest.approx(train[f].median()) for f in record.features}


def test_predict_one(served):
    model, record = served
    setosa = record.frame[record.frame["species"] == "setosa"].iloc[0]
    prediction = predict.predict_one(model, setosa[record.features].to_dict())
    assert prediction.label == "setosa"
    assert isinstance(prediction.label, str)
    assert list(prediction.probabilities) == IRIS_CLASSES
    assert sum(prediction.probabilities.values()) == pytest.approx(1.0)
    assert max(prediction.probabilities, key=prediction.probabilities.get) == "setosa"
    assert prediction.latency_ms > 0


def test_predict_frame_adds_prediction_and_probabilities(served):
    model, record = served
    X_test, y_test = record.test_xy()
    rows = X_test.assign(note="kept")
    out = predict.predict_frame(model, rows[["note", *reversed(record.features)]])  # any column order
    assert list(out.columns) == [
        "note",
        *reversed(record.features),
        "prediction",
        "proba_setosa",
        "proba_versicolor",
        "proba_virginica",
    ]
    assert len(out) == len(X_test)
    assert (out["note"] == "kept").all()
    assert set(out["prediction"]) <= set(IRIS_CLASSES)
    assert (out["prediction"].to_numpy() == y_test.to_numpy()).mean() > 0.85
    proba = out[[f"proba_{c}" for c in IRIS_CLASSES]]
    assert proba.sum(axis=1).to_numpy() == pytest.approx([1.0] * len(out))
    winners = proba.idxmax(axis=1).str.removeprefix("proba_")
    assert (winners == out["prediction"]).all()


def test_predict_frame_refuses_empty_and_missing_columns(served):
    model, record = served
    with pytest.raises(PredictError, match="no rows"):
        predict.predict_frame(model, pd.DataFrame(columns=record.features))
    with pytest.raises(PredictError, match=re.escape(f"Missing input columns: {record.features[0]}.")):
        predict.predict_frame(model, record.frame[record.features[1:]])


def test_check_rows_reports_unusable_values(served):
    model, record = served
    rows = record.frame[record.features].head(2).astype(object)
    rows.iloc[0, 0] = "not a number"
    errors = [f for f in predict.check_rows(model, rows) if f.severity == "error"]
    assert errors and "not a number" in errors[0].message


def test_out_of_range(served):
    model, record = served
    first, second = record.features[:2]
    inside = predict.default_inputs(model)
    assert predict.out_of_range(model, inside) == []
    too_big = {**inside, first: model.stats[first]["max"] + 1, second: model.stats[second]["min"] - 1}
    warnings = predict.out_of_range(model, too_big)
    assert len(warnings) == 2
    assert warnings[0].startswith(f"{first} = ")
    assert "outside the training range" in warnings[0]
    assert f"{model.stats[first]['min']:g} – {model.stats[first]['max']:g}" in warnings[0]
    assert predict.out_of_range(model, {**inside, first: model.stats[first]["max"]}) == []  # edges are inside
    assert predict.out_of_range(model, {"unknown": 1e9, first: "text"}) == []


def test_read_prediction_csv(served):
    model, record = served
    content = record.frame.head(3).to_csv(index=False).encode()
    frame = predict.read_prediction_csv(content, model)
    assert len(frame) == 3
    assert list(frame.columns) == list(record.frame.columns)

    without = record.frame[record.features[1:]].head(3).to_csv(index=False).encode()
    with pytest.raises(PredictError, match=re.escape(f"Column '{record.features[0]}' is missing")):
        predict.read_prediction_csv(without, model)
    for bad in (b"", b"\x00\x01binary"):
        with pytest.raises(PredictError, match="input.csv"):
            predict.read_prediction_csv(bad, model)


def test_load_missing_model(store):
    with pytest.raises(PredictError, match="cannot be found"):
        predict.load_served_model("ghost", "1")


def test_model_logged_elsewhere_borrows_project_ranges(iris_project):
    """A model without feature_stats.json gets the ranges of its project's data run."""
    import mlflow
    from sklearn.linear_model import LogisticRegression

    project, record = iris_project
    X, y = record.train_xy()
    with mlflow.start_run(experiment_id=project.experiment_id) as run:
        mlflow.sklearn.log_model(
            LogisticRegression(max_iter=500).fit(X, y), name="clf", pip_requirements=["scikit-learn"]
        )
    registry.register(run.info.run_id, "outside")
    model = predict.load_served_model("outside", "1")
    assert model.features == record.features  # from feature_names_in_, there is no signature
    assert model.stats[record.features[0]]["min"] == X[record.features[0]].min()
    assert predict.predict_one(model, predict.default_inputs(model)).label in IRIS_CLASSES


def test_model_fitted_on_bare_array(iris_project):
    import mlflow
    from sklearn.linear_model import LogisticRegression

    project, record = iris_project
    X, y = record.train_xy()
    with mlflow.start_run(experiment_id=project.experiment_id) as run:
        mlflow.sklearn.log_model(
            LogisticRegression(max_iter=500).fit(X.to_numpy(), y), name="clf", pip_requirements=["scikit-learn"]
        )
    registry.register(run.info.run_id, "bare")
    model = predict.load_served_model("bare", "1")
    assert model.named_inputs is False
    # fitted on a bare array inside a workbench project: the project's column names and ranges
    assert model.features == record.features
    assert model.stats["petal length (cm)"]["kind"] == "numeric"
    rows = pd.DataFrame(X.head(5).to_numpy(), columns=model.features)
    out = predict.predict_frame(model, rows)
    assert out["prediction"].tolist() == y.head(5).tolist()


def fake_model(features: list[str]) -> ServedModel:
    return ServedModel("fake", "1", None, features)


def test_read_prediction_csv_single_row():
    frame = predict.read_prediction_csv(b"a,b\n1,2\n", fake_model(["a", "b"]))
    assert frame.to_dict("records") == [{"a": 1, "b": 2}]


def test_read_prediction_csv_single_column():
    frame = predict.read_prediction_csv(b"size\n1.5\n2.5\n", fake_model(["size"]))
    assert frame["size"].tolist() == [1.5, 2.5]


def test_a_large_batch_is_predicted_in_chunks_with_progress_and_the_same_result(monkeypatch, served):
    model, record = served
    rows = record.test_xy()[0]
    monkeypatch.setattr(predict, "CHUNK_ROWS", 7)
    heard = []
    chunked = predict.predict_frame(model, rows, lambda done, total: heard.append((done, total)))
    whole = predict.predict_frame(model, rows)
    assert heard[-1] == (len(rows), len(rows)) and len(heard) == -(-len(rows) // 7)
    assert chunked.equals(whole)


# ---- the one-row inputs ------------------------------------------------------------------------------------------


def test_input_spec_spans_exactly_the_training_range():
    spec = predict.input_spec({"kind": "numeric", "min": 4.3, "max": 7.9, "median": 5.8, "integer": False})
    assert (spec.kind, spec.low, spec.high, spec.default) == ("number", 4.3, 7.9, 5.8)
    assert spec.step == 0.01 and spec.decimals == 2 and not spec.integer
    assert spec.clamp(9.0) == 7.9 and spec.clamp(-1) == 4.3


def test_input_spec_of_integers_steps_by_whole_numbers_sized_to_the_spread():
    year = predict.input_spec({"kind": "numeric", "min": 2007, "max": 2009, "median": 2008, "integer": True})
    assert (year.low, year.high, year.step, year.default) == (2007, 2009, 1, 2008)
    assert year.integer and all(isinstance(v, int) for v in (year.low, year.high, year.step, year.default))
    mass = predict.input_spec({"kind": "numeric", "min": 2700, "max": 7020, "median": 4050.5, "integer": True})
    assert mass.step == 10 and mass.default == 4050  # 4,320 g in ~400 steps, not 0.01 g ones
    wide = predict.input_spec({"kind": "numeric", "min": 0.0, "max": 250_000.0, "median": 1_000.0})
    assert wide.step == 1000.0 and wide.decimals == 0


def test_input_spec_of_categories_and_of_unknown_ranges():
    spec = predict.input_spec({"kind": "categorical", "categories": ["Biscoe", "Dream"], "mode": "Dream"})
    assert (spec.kind, spec.options, spec.default) == ("choice", ("Biscoe", "Dream"), "Dream")
    assert predict.input_spec({}).kind == "free"


def test_a_model_logged_with_a_numpy_input_example_predicts_a_file_by_position(store):
    """The handout's way: log_model(rf, input_example=X_train[:2]) with arrays, registered by other code, outside
    any workbench project; MLflow scores any 4-column array, so the workbench does too, and says how it matched."""
    import mlflow
    from mlflow import MlflowClient
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    X, y = load_iris(return_X_y=True)
    mlflow.set_experiment("handout")
    with mlflow.start_run() as run:
        rf = RandomForestClassifier(n_estimators=10, max_depth=5, random_state=42).fit(X, y)
        # cloudpickle: MLflow 3's default (skops) refuses to log a random forest without trusted types
        mlflow.sklearn.log_model(
            rf,
            name="random-forest-model",
            input_example=X[:2],
            serialization_format="cloudpickle",
            pip_requirements=["scikit-learn"],
        )
    version = mlflow.register_model(f"runs:/{run.info.run_id}/random-forest-model", "handout-iris")
    MlflowClient().set_registered_model_alias("handout-iris", "production-candidate", version.version)
    model = predict.load_served_model("handout-iris", version.version)
    assert model.named_inputs is False and model.features == [f"feature_{i}" for i in range(4)]
    content = pd.DataFrame(X[:6], columns=[f"c{i}" for i in range(4)]).assign(species="x").to_csv(index=False)
    rows, findings = predict.read_batch(content.encode(), "iris.csv", model)
    assert [f.check for f in findings] == ["matched_by_position"]
    assert "c0 → feature_0" in findings[0].message and "c3 → feature_3" in findings[0].message
    out = predict.predict_frame(model, rows)
    assert out["prediction"].tolist() == rf.predict(X[:6]).tolist()
    wrong = pd.DataFrame(X[:3, :3], columns=["a", "b", "c"]).to_csv(index=False).encode()
    _, refused = predict.read_batch(wrong, "three.csv", model)
    assert refused[0].severity == "error" and "4 numeric inputs" in refused[0].message
