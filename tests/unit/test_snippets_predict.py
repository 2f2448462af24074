"""The Predict page's "Show the code": the snippets run as they stand and predict what the page predicted."""

from __future__ import annotations

import pandas as pd
import pytest

from core.codegen.snippets import predict as snippets
from core.data import sets as data
from core.serve import predict
from core.train import training
from tests import registry_setup
from tests.unit.snippet_exec import run_snippet

MODEL = "iris-classifier"


@pytest.fixture
def served(iris_project) -> predict.ServedModel:
    project, record = iris_project
    run = training.train_model(project.experiment_id, record, "logistic_regression", {})
    registry_setup.promote(MODEL, "production", run_id=run.run_id)
    return predict.load_served_model(MODEL, "1")


def test_one_row_predicts_what_the_page_predicted(served):
    values = {feature: float(stat["median"]) for feature, stat in served.stats.items()}
    values["petal length (cm)"], values["petal width (cm)"] = 5.5, 2.2  # a virginica, as in the page's test
    code = snippets.one_row(MODEL, "production", values)
    assert "mlflow.pyfunc.load_model('models:/iris-classifier@production')" in code
    assert "'petal length (cm)': 5.5" in code
    assert run_snippet(code)["prediction"] == predict.predict_one(served, values).label == "virginica"


@pytest.mark.parametrize("filename", ["batch.csv", "batch.parquet", "batch.tsv"])
def test_a_batch_file_is_predicted_row_by_row_like_the_page(served, tmp_path, monkeypatch, filename):
    monkeypatch.chdir(tmp_path)
    rows = data.load_builtin("iris").drop(columns="species").sample(30, random_state=1).reset_index(drop=True)
    if filename.endswith(".parquet"):
        rows.to_parquet(filename, index=False)
    else:
        rows.to_csv(filename, index=False, sep="\t" if filename.endswith(".tsv") else ",")
    code = snippets.batch(MODEL, "production", filename, "predictions-iris-classifier-v1.csv")
    run_snippet(code)
    written = pd.read_csv(tmp_path / "predictions-iris-classifier-v1.csv")
    page = predict.predict_frame(served, rows)
    assert list(written["prediction"]) == list(page["prediction"])
    assert list(written.columns[:4]) == list(rows.columns)


@pytest.mark.parametrize(("kind", "output"), [("parquet", "scored"), ("csv", "scored.csv")])
def test_a_batch_in_parts_is_predicted_with_dask_like_the_page(served, tmp_path, monkeypatch, kind, output):
    monkeypatch.chdir(tmp_path)
    rows = data.load_builtin("iris").drop(columns="species").sample(60, random_state=2).reset_index(drop=True)
    for i in range(3):
        part = rows.iloc[i * 20 : (i + 1) * 20]
        part.to_parquet(f"part-{i}.parquet", index=False) if kind == "parquet" else part.to_csv(
            f"part-{i}.csv", index=False
        )
    code = snippets.batch_in_parts(MODEL, "production", f"part-*.{kind}", kind, output)
    run_snippet(code)
    written = pd.read_parquet(output) if kind == "parquet" else pd.read_csv(output)
    assert list(written["prediction"]) == list(predict.predict_frame(served, rows)["prediction"])


def test_names_and_values_are_python_literals(store):
    code = snippets.one_row('it\'s "odd"', "prod", {"a'b": 1.5, 'c"d': "x\ny"})
    compile(code, "snippet", "exec")  # a name cannot break out of its string
    assert repr('models:/it\'s "odd"@prod') in code
    assert "pd.read_excel('new.xlsx')" in snippets.batch("m", "a", "new.xlsx", "out.csv")
    schema = {"features": {"age": {"dtype": "int"}, "height": {"dtype": "float"}}}
    assert "{'age': 35, 'height': 1.0}" in snippets.one_row("m", "a", {"age": 35.0, "height": 1.0}, schema)
