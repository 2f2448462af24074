"""Faults behind the app's back, each named clearly with nothing else affected: a model's files deleted, the
version an alias served deleted while the page is open, corrupt uploads. (A stopped tracking server:
tests/app/test_store_down.py and tests/team/test_server_faults.py.)"""

from __future__ import annotations

import shutil

import pytest
import streamlit as st
from mlflow import MlflowClient

from core.serve import prediction_log
from tests import registry_setup
from tests.app.conftest import goto, no_exception, texts
from tests.app.test_compare_runs import _model_folder
from tests.app.test_pages import _trained, example


def _store_state() -> dict:
    """Everything a fault must leave as it was: runs by status, versions and aliases of every model. The
    prediction log's runs are left out: a prediction that is answered is logged (in the background), as it should."""
    assert prediction_log.flush()
    client = MlflowClient()
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = sorted(
        (r.info.run_id, r.info.status)
        for r in client.search_runs(experiments, max_results=1000)
        if r.data.tags.get(prediction_log.TAG_KIND) != prediction_log.KIND
    )
    models = {
        m.name: (sorted(v.version for v in client.search_model_versions(f"name = '{m.name}'")), dict(m.aliases))
        for m in client.search_registered_models()
    }
    return {"runs": runs, "models": models}


def _two_served(app):
    """iris-classifier@production and iris-backup@production, from two runs."""
    project = example(app)
    main, backup = _trained(project), _trained(project, "knn")
    registry_setup.promote("iris-classifier", "production", run_id=main.run_id)
    registry_setup.promote("iris-backup", "production", run_id=backup.run_id)
    return main, backup


def _predict(app) -> None:
    app.button(key="predict_submit").click().run()
    no_exception(app)


def test_model_files_deleted_behind_the_apps_back(app):
    main, _ = _two_served(app)
    goto(app, "predict")
    app.selectbox(key="predict_model").set_value("iris-classifier").run()
    _predict(app)
    assert "Predicted class" in texts(app.success)
    shutil.rmtree(_model_folder(main.run_id))
    before = _store_state()
    st.cache_resource.clear()  # what a restarted server (or another server of the team) sees
    st.cache_data.clear()
    app.run()
    no_exception(app)
    assert "iris-classifier" in texts(app.error) and app.error[0].value.count("\n") < 3
    app.selectbox(key="predict_model").set_value("iris-backup").run()  # the other model still answers
    no_exception(app)
    assert not app.error
    _predict(app)
    assert "Predicted class" in texts(app.success)
    goto(app, "registry")  # the registry still lists both, the versions untouched
    assert _store_state()["models"] == before["models"]


def test_the_version_an_alias_served_deleted_while_the_page_is_open(app):
    _two_served(app)
    goto(app, "predict")
    app.selectbox(key="predict_model").set_value("iris-classifier").run()
    _predict(app)
    MlflowClient().delete_model_version("iris-classifier", "1")  # its aliases go with it
    before = _store_state()
    _predict(app)  # the click asks the registry again (AppTest reruns the whole page, not only the form)
    said = texts(app.error) + texts(app.warning)
    assert "iris-classifier" in said and "no alias any more" in said
    assert app.selectbox(key="predict_model").options == ["iris-backup"]
    assert app.selectbox(key="predict_model").value == "iris-backup"
    _predict(app)
    assert "Predicted class" in texts(app.success)
    assert _store_state() == before


def test_a_link_naming_an_alias_the_model_never_had_says_so_not_that_it_was_removed(app):
    _two_served(app)
    app.query_params.update(model="iris-backup", alias="champion")
    goto(app, "predict")
    said = texts(app.warning)
    assert "'iris-backup' has no alias '@champion'" in said and "no longer exists" not in said
    assert app.selectbox(key="predict_alias").value == "production"


CORRUPT = {
    "truncated.parquet": b"PAR1\x15\x04\x15\x80\x01\x15\x80\x01L\x15\x10\x15\x00\x12\x00\x00",
    "broken.xlsx": b"PK\x03\x04\x14\x00\x06\x00\x08\x00" + b"\x00garbage" * 20,
    "noise.csv": bytes(range(256)) * 8,
}


@pytest.mark.parametrize("name", CORRUPT)
def test_a_corrupt_upload_is_named_on_every_upload_point_and_writes_nothing(app, name):
    _two_served(app)
    before = _store_state()
    goto(app, "data")
    app.radio(key="data_source").set_value("Upload a file").run()
    app.file_uploader(key="data_upload").set_value((name, CORRUPT[name], "application/octet-stream")).run()
    no_exception(app)
    assert app.error, f"the data page said nothing about {name}"
    goto(app, "predict")
    app.file_uploader(key="predict_upload").set_value((name, CORRUPT[name], "application/octet-stream")).run()
    no_exception(app)
    assert app.error, f"the predict page said nothing about {name}"
    goto(app, "monitor")
    app.radio(key="monitor_source").set_value("Upload a batch").run()
    app.file_uploader(key="monitor_upload").set_value((name, CORRUPT[name], "application/octet-stream")).run()
    no_exception(app)
    assert app.error, f"monitor page said nothing about {name}"
    assert _store_state() == before
