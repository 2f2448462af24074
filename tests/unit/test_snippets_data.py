"""The U page's "Show the code": the generated pandas/scikit-learn/MLflow code runs against the store and logs
the same data (digest), the same split and the same parameters as the page's data run."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from core.codegen.snippets import data as snippets
from core.data import datastore, loading
from core.data import sets as data
from core.data.roles import infer_roles
from core.question import projects
from tests.unit.snippet_exec import run_snippet


@pytest.fixture(autouse=True)
def _no_experiment_left_active(monkeypatch):
    """The snippets call mlflow.set_experiment; later tests must not inherit that experiment."""
    import mlflow.tracking.fluent as fluent

    monkeypatch.setattr(fluent, "_active_experiment_id", None)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)


def snippet_run(experiment_id: str, exclude: str | None = None):
    """The data run the snippet made (the one that is not ``exclude``)."""
    runs = MlflowClient().search_runs([experiment_id], "tags.`qua3ck.kind` = 'data'")
    made = [r for r in runs if r.info.run_id != exclude]
    assert len(made) == 1
    return made[0]


def logged_split(run_id: str) -> dict:
    return mlflow.artifacts.load_dict(f"runs:/{run_id}/dataset/split.json")


def test_builtin_code_logs_the_same_digest_split_and_params(iris_project):
    project, record = iris_project
    code = snippets.record_data(
        project.name, record.name, record.target, record.split.test_size, record.split.seed, record.features,
        builtin="iris",
    )  # fmt: skip
    assert "import core" not in code and "from core" not in code
    run_snippet(code)
    made = snippet_run(project.experiment_id, exclude=record.run_id)
    assert made.info.run_name == "data: iris"
    assert made.data.tags["qua3ck.data_digest"] == record.digest
    params = made.data.params
    assert params["dataset"] == "iris" and params["target"] == "species"
    assert params["test_size"] == "0.2" and params["split_seed"] == str(data.DEFAULT_SEED)
    assert params["rows"] == "150" and params["features"] == str(len(record.features))
    (dataset_input,) = made.inputs.dataset_inputs
    assert dataset_input.dataset.name == "iris" and dataset_input.dataset.digest == record.digest
    assert [t.value for t in dataset_input.tags if t.key == "mlflow.data.context"] == ["full"]
    split = logged_split(made.info.run_id)
    assert split == {"train": record.split.train, "test": record.split.test}
    # the project still points at the page's data run: the snippet only shows the logging
    assert projects.get_project(project.experiment_id).data_run_id == record.run_id


def german_export(rows: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "Nr": np.arange(1, rows + 1),
            "Gewicht (kg)": rng.normal(70, 10, rows).round(1),
            "Stadt": rng.choice(["Köln", "München", "Düsseldorf"], rows),
            "Klasse": rng.choice(["A", "B"], rows),
        }
    )


def test_uploaded_csv_code_reads_with_the_detected_settings(store, tmp_path, monkeypatch):
    content = german_export().to_csv(sep=";", decimal=",", index=False).encode("cp1252")
    (tmp_path / "export.csv").write_bytes(content)
    monkeypatch.chdir(tmp_path)
    project = projects.create_project("Uploads")
    table = loading.read_table(content, "export.csv")
    roles = infer_roles(table.frame, "Klasse")
    record = datastore.record_dataset(project.experiment_id, table.frame, "export", "Klasse", 0.25, 7, roles, {"Nr"})
    code = snippets.record_data(
        project.name, "export", "Klasse", 0.25, 7, record.features, {"Nr"},
        filename="export.csv", settings=table.settings,
    )  # fmt: skip
    assert "sep=';', decimal=',', encoding='cp1252'" in code
    run_snippet(code)
    made = snippet_run(project.experiment_id, exclude=record.run_id)
    assert made.data.tags["qua3ck.data_digest"] == record.digest
    assert made.data.params["excluded"] == "Nr" and made.data.params["rows"] == "60"
    assert logged_split(made.info.run_id) == {"train": record.split.train, "test": record.split.test}


def test_headerless_csv_and_parquet_are_read_like_the_page(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame = data.load_builtin("iris")
    frame.to_parquet(tmp_path / "flowers.parquet")
    (tmp_path / "plain.csv").write_text(frame.to_csv(index=False, header=False))
    settings = loading.CsvSettings(",", ".", "utf-8", header=False)
    for filename, target, expected in [
        ("flowers.parquet", "species", loading.read_table((tmp_path / "flowers.parquet").read_bytes(), "f.parquet")),
        ("plain.csv", "column_5", loading.read_table((tmp_path / "plain.csv").read_bytes(), "plain.csv", settings)),
    ]:
        imports, lines = snippets.load_lines(target, filename=filename, settings=settings)
        scope: dict = {}
        exec(compile("\n".join(["import pandas as pd", *imports, *lines]), "snippet", "exec"), scope)  # noqa: S102
        pd.testing.assert_frame_equal(scope["frame"], expected.frame)


def test_settings_values_are_written_as_literals():
    tabs = loading.CsvSettings("\t", ".", "utf-8", True)
    code = snippets.record_data("Project 'x'", 'a"b', "t'", 0.3, 1, ["f"], filename="we'ird.csv", settings=tabs)
    compile(code, "snippet", "exec")  # names with quotes cannot break the code
    assert "sep='\\t'" in code and '"we\'ird.csv"' in code
