"""The Predict page with bad input: a model whose files are gone, an empty file, text in a numeric column."""

from __future__ import annotations

import shutil

from core.data import sets as data
from tests import registry_setup
from tests.app.conftest import goto, no_exception, texts
from tests.app.test_compare_runs import _model_folder
from tests.app.test_pages import _trained, example


def _served(app):
    project = example(app)
    run = _trained(project)
    registry_setup.promote("iris-classifier", "production", run_id=run.run_id)
    return run


def test_a_model_whose_files_are_gone_is_explained(app):
    run = _served(app)
    shutil.rmtree(_model_folder(run.run_id))
    goto(app, "predict")
    assert app.error and "iris-classifier" in texts(app.error) + texts(app.caption)
    assert not app.get("download_button")


def test_an_empty_file_and_text_in_a_numeric_column_are_named(app):
    _served(app)
    goto(app, "predict")
    app.file_uploader(key="predict_upload").set_value(("empty.csv", b"", "text/csv")).run()
    no_exception(app)
    assert "empty" in texts(app.error).lower()
    rows = data.load_builtin("iris").drop(columns="species").head(5)
    rows["petal length (cm)"] = rows["petal length (cm)"].astype(object)
    rows.loc[2, "petal length (cm)"] = "long"
    app.file_uploader(key="predict_upload").set_value(("text.csv", rows.to_csv(index=False).encode(), "text/csv"))
    app.run()
    no_exception(app)
    said = (texts(app.error) + texts(app.warning)).replace("\\", "")  # shown as plain text: markdown escaped
    assert "petal length (cm)" in said and "long" in said
