"""core.data.datastore: the project's data set and split as an MLflow 'data' run."""

from __future__ import annotations

import pandas as pd
import pytest

from core.data import datastore
from core.data import sets as data
from core.data.sets import DataError
from core.question import projects


def fresh_client():
    from mlflow import MlflowClient

    from core.common.config import active_store

    return MlflowClient(tracking_uri=active_store().tracking_uri)


@pytest.fixture
def project(store):
    return projects.create_project("Datastore")


@pytest.fixture(scope="module")
def iris():
    return data.load_builtin("iris")


def test_record_dataset_creates_a_data_run(project, iris):
    record = datastore.record_dataset(project.experiment_id, iris, "iris", "species")
    run = fresh_client().get_run(record.run_id)
    assert run.info.experiment_id == project.experiment_id
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "data: iris"
    assert run.data.tags[datastore.TAG_KIND] == "data"
    assert run.data.tags[datastore.TAG_DIGEST] == data.dataset_digest(iris) == record.digest
    assert run.data.tags[datastore.TAG_TARGET] == "species"
    assert run.data.tags[datastore.TAG_DATASET] == "iris"
    assert run.data.params == {
        "dataset": "iris",
        "target": "species",
        "test_size": "0.2",
        "split_seed": "42",
        "rows": "150",
        "columns": "5",
        "features": "4",
        "excluded": "",
        "roles_digest": run.data.params["roles_digest"],
    }
    inputs = run.inputs.dataset_inputs
    assert len(inputs) == 1
    assert inputs[0].dataset.name == "iris"
    assert inputs[0].dataset.digest == record.digest
    assert {t.key: t.value for t in inputs[0].tags}["mlflow.data.context"] == "full"
    artifacts = {f.path for f in fresh_client().list_artifacts(record.run_id, "dataset")}
    assert artifacts == {
        "dataset/data.parquet",
        "dataset/split.json",
        "dataset/feature_stats.json",
        "dataset/roles.json",
        "dataset/schema.json",
        "dataset/validation.json",
    }
    tags = fresh_client().get_experiment(project.experiment_id).tags
    assert tags[projects.TAG_DATA_RUN] == record.run_id
    assert projects.get_project(project.experiment_id).data_run_id == record.run_id
    assert datastore.current_dataset_run(project.experiment_id).info.run_id == record.run_id


def test_record_properties(project, iris):
    record = datastore.record_dataset(project.experiment_id, iris, "iris", "species", test_size=0.3, seed=3)
    assert record.features == list(iris.columns[:4])
    assert record.classes == ["setosa", "versicolor", "virginica"]
    assert record.split == data.make_split(iris, "species", 0.3, 3)
    X_train, y_train = record.train_xy()
    X_test, y_test = record.test_xy()
    assert (len(X_train), len(X_test)) == (105, 45)
    assert list(X_train.columns) == record.features
    assert y_test.name == "species"
    assert set(X_train.index).isdisjoint(X_test.index)


def test_identical_data_reuses_the_run(project, iris):
    first = datastore.record_dataset(project.experiment_id, iris, "iris", "species")
    second = datastore.record_dataset(project.experiment_id, iris.copy(), "iris", "species")
    assert second.run_id == first.run_id
    assert second.split == first.split
    assert len(fresh_client().search_runs([project.experiment_id])) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"seed": 7},
        {"test_size": 0.25},
    ],
)
def test_changed_split_makes_a_new_run(project, iris, change):
    first = datastore.record_dataset(project.experiment_id, iris, "iris", "species")
    second = datastore.record_dataset(project.experiment_id, iris, "iris", "species", **change)
    assert second.run_id != first.run_id
    assert projects.get_project(project.experiment_id).data_run_id == second.run_id
    assert len(fresh_client().search_runs([project.experiment_id])) == 2


def test_changed_data_makes_a_new_run(project, iris):
    first = datastore.record_dataset(project.experiment_id, iris, "iris", "species")
    changed = iris.copy()
    changed.iloc[0, 0] = 9.9
    second = datastore.record_dataset(project.experiment_id, changed, "iris", "species")
    assert second.run_id != first.run_id
    assert second.digest != first.digest


def test_changed_target_makes_a_new_run(project):
    frame = pd.DataFrame({"x": range(40), "a": ["p", "q"] * 20, "b": ["r"] * 20 + ["s"] * 20})
    first = datastore.record_dataset(project.experiment_id, frame, "toy", "a")
    second = datastore.record_dataset(project.experiment_id, frame, "toy", "b")
    assert second.run_id != first.run_id
    assert second.target == "b"


def test_invalid_target_creates_no_run(project, iris):
    with pytest.raises(DataError):
        datastore.record_dataset(project.experiment_id, iris.assign(species="one"), "iris", "species")
    assert fresh_client().search_runs([project.experiment_id]) == []
    assert projects.get_project(project.experiment_id).data_run_id is None


@pytest.mark.parametrize("name", ["iris", "wine"])
def test_load_dataset_round_trip(project, name):
    frame = data.load_builtin(name)
    target = data.BUILTIN_DATASETS[name][1]
    record = datastore.record_dataset(project.experiment_id, frame, name, target, test_size=0.25, seed=5)
    loaded = datastore.load_dataset(record.run_id)
    pd.testing.assert_frame_equal(loaded.frame, frame)
    assert loaded.split == record.split
    assert (loaded.run_id, loaded.name, loaded.target, loaded.digest) == (record.run_id, name, target, record.digest)
    assert (loaded.split.test_size, loaded.split.seed) == (0.25, 5)


def test_record_resets_a_non_default_index(project, iris):
    shuffled = iris.sample(frac=1, random_state=1)
    record = datastore.record_dataset(project.experiment_id, shuffled, "iris", "species")
    loaded = datastore.load_dataset(record.run_id)
    pd.testing.assert_frame_equal(loaded.frame, shuffled.reset_index(drop=True))
    pd.testing.assert_series_equal(loaded.test_xy()[1], record.test_xy()[1])


def test_load_missing_run(store):
    with pytest.raises(DataError, match="no longer exists"):
        datastore.load_dataset("0" * 32)


def test_feature_stats_are_of_the_training_rows(project, iris):
    record = datastore.record_dataset(project.experiment_id, iris, "iris", "species")
    stats = datastore.load_feature_stats(record.run_id)
    assert stats == data.feature_stats(iris.iloc[record.split.train], "species")
    assert datastore.load_feature_stats("0" * 32) == {}


def test_current_dataset_run_none_and_deleted(project, iris):
    assert datastore.current_dataset_run(project.experiment_id) is None
    record = datastore.record_dataset(project.experiment_id, iris, "iris", "species")
    fresh_client().delete_run(record.run_id)
    assert datastore.current_dataset_run(project.experiment_id) is None
    again = datastore.record_dataset(project.experiment_id, iris, "iris", "species")
    assert again.run_id != record.run_id


def test_iris_project_fixture(iris_project):
    project, record = iris_project
    assert project.data_run_id == record.run_id
    assert record.target == "species"
