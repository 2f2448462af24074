"""The Monitor page through AppTest: the prediction log (empty and filled) and uploaded batches, good and bad."""

from __future__ import annotations

from core.data import sets as data
from core.serve import predict, prediction_log
from tests import registry_setup
from tests.app.conftest import goto, no_exception, texts
from tests.app.test_pages import _trained, example

MODEL = "iris-classifier"


def _served(app):
    project = example(app)
    registry_setup.promote(MODEL, "production", run_id=_trained(project, "logistic_regression").run_id)
    return project


def _csv(frame) -> bytes:
    return frame.to_csv(index=False).encode()


def test_without_an_alias_the_page_points_to_the_registry(app):
    example(app)
    goto(app, "monitor")
    assert "No registered model has an alias" in texts(app.info)


def test_an_empty_log_says_how_to_get_one_then_logged_predictions_are_compared(app):
    _served(app)
    goto(app, "monitor")
    assert app.selectbox(key="monitor_alias").value == "production"
    assert "No predictions are logged" in texts(app.info) and "Predict" in texts(app.info)
    assert app.get("plotly_chart")  # the training data's classes meanwhile

    model = predict.load_served_model(MODEL, "1")
    rows = data.load_builtin("iris").drop(columns="species")
    prediction_log.log_predictions(model, rows, predict.predict_frame(model, rows), "batch")
    assert prediction_log.flush()
    app.run()
    no_exception(app)
    assert "No drift and no KPI breach" in texts(app.success), texts(app.error)
    table = app.dataframe[0].value
    assert set(table["feature"]) == set(rows.columns) and set(table["verdict"]) <= {"ok", "moderate"}
    # four distributions, predicted classes over time; the log has no latencies of single rows, so no KPI chart
    assert len(app.get("plotly_chart")) == 5
    assert "logged_at" in texts(app.caption).replace("\\", "")
    assert "true classes" in texts(app.info)  # accuracy needs labels


def test_a_shifted_labelled_batch_raises_the_alert(app):
    _served(app)
    goto(app, "monitor")
    app.radio(key="monitor_source").set_value("Upload a batch").run()
    assert "at least 30 rows" in texts(app.info)
    batch = data.load_builtin("iris").sample(120, random_state=0).reset_index(drop=True)
    batch["petal length (cm)"] += 2.5
    batch["time"] = ["2026-03-01"] * 60 + ["2026-03-02"] * 60
    app.file_uploader(key="monitor_upload").set_value(("shifted.csv", _csv(batch), "text/csv")).run()
    no_exception(app)
    alert = texts(app.error).replace("\\", "")
    assert "Alert" in alert and "petal length (cm)" in alert and "accuracy > 0.95 breached" in alert
    assert app.dataframe[0].value["verdict"].iloc[0] == "drift"
    assert "by day of 'time'" in texts(app.caption).replace("\\", "")
    # distributions, predicted classes, KPI metrics over time
    assert len(app.get("plotly_chart")) == 6


def test_a_batch_with_other_columns_or_too_few_rows_is_explained(app):
    _served(app)
    goto(app, "monitor")
    app.radio(key="monitor_source").set_value("Upload a batch").run()
    app.file_uploader(key="monitor_upload").set_value(("other.csv", b"a,b\n" + b"1,2\n" * 40, "text/csv")).run()
    no_exception(app)
    assert "is missing" in texts(app.error).replace("\\", "")
    few = data.load_builtin("iris").head(10)
    app.file_uploader(key="monitor_upload").set_value(("few.csv", _csv(few), "text/csv")).run()
    no_exception(app)
    assert "10 rows; the drift tests need at least 30" in texts(app.error).replace("\\", "")
    assert not app.get("plotly_chart")
