"""The data page with real-world files: detection shown, roles, validation findings, and what gets stored."""

from __future__ import annotations

import numpy as np
import pandas as pd
from mlflow import MlflowClient

from core.data import datastore
from core.question import projects
from tests.app.conftest import goto, no_exception, texts


def german_export(rows: int = 60) -> bytes:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "Nr": np.arange(1, rows + 1),
            "Gewicht (kg)": rng.normal(70, 10, rows).round(1),
            "Stadt": rng.choice(["Köln", "München", "Düsseldorf"], rows),
            "Klasse": rng.choice(["A", "B"], rows),
        }
    )
    frame.loc[::7, "Gewicht (kg)"] = np.nan
    return frame.to_csv(sep=";", decimal=",", index=False).encode("cp1252")


def upload(app, name: str, content: bytes) -> None:
    app.radio(key="data_source").set_value("Upload a file").run()
    app.file_uploader(key="data_upload").set_value((name, content, "text/csv")).run()
    no_exception(app)


def test_german_export_is_detected_validated_and_stored_with_roles(app):
    app.sidebar.button(key="sidebar_example").click().run()
    project = projects.find_project(projects.EXAMPLE_NAME)
    goto(app, "data")
    upload(app, "export.csv", german_export())
    assert app.selectbox(key="data_csv_separator").value == ";"
    assert app.selectbox(key="data_csv_decimal").value == ","
    assert app.selectbox(key="data_csv_encoding").value == "cp1252"
    assert app.selectbox(key="data_target").value == "Klasse"
    warnings = texts(app.warning)
    assert "Nr" in warnings and "looks like an ID" in warnings
    assert "missing values" in warnings
    app.button(key="data_use").click().run()
    no_exception(app)
    record = datastore.load_dataset(projects.get_project(project.experiment_id).data_run_id)
    assert record.features == ["Gewicht (kg)", "Stadt"]
    assert record.roles["Nr"] == "id" and record.roles["Stadt"] == "categorical"
    assert set(record.frame["Stadt"].dropna()) == {"Köln", "München", "Düsseldorf"}
    artifacts = {f.path for f in MlflowClient().list_artifacts(record.run_id, "dataset")}
    assert {"dataset/schema.json", "dataset/validation.json", "dataset/roles.json"} <= artifacts


def test_overriding_the_detected_separator_rereads_the_file(app):
    app.sidebar.button(key="sidebar_example").click().run()
    goto(app, "data")
    upload(app, "export.csv", german_export())
    app.selectbox(key="data_csv_separator").set_value(",").run()
    no_exception(app)
    # read with commas, the semicolon export is one column: a clear message, no half-read table
    assert "cannot both be a comma" in texts(app.error)
    assert not [s for s in app.selectbox if s.key == "data_target"]
    app.selectbox(key="data_csv_separator").set_value(";").run()
    assert app.selectbox(key="data_target").value == "Klasse"


def test_an_error_finding_blocks_the_data(app):
    app.sidebar.button(key="sidebar_example").click().run()
    project = projects.find_project(projects.EXAMPLE_NAME)
    before = project.data_run_id
    rows = "\n".join(f"{i % 5}.5,{'inf' if i == 4 else i % 3},{'a' if i % 2 else 'b'}" for i in range(40))
    goto(app, "data")
    upload(app, "inf.csv", f"x,y,label\n{rows}\n".encode())
    no_exception(app)
    assert "infinite" in texts(app.error)
    assert app.button(key="data_use").disabled
    assert projects.get_project(project.experiment_id).data_run_id == before


def test_column_names_with_markup_are_shown_as_text(app):
    app.sidebar.button(key="sidebar_example").click().run()
    goto(app, "data")
    rows = "\n".join(f"{i},{i % 4},{'a' if i % 2 else 'b'}" for i in range(40))
    upload(app, "markup.csv", f"<b>id</b>,**bold**,label\n{rows}\n".encode())
    source = "\n".join(str(w.value) for w in app.warning)  # the markdown Streamlit gets, before it is rendered
    assert "\\<b\\>id\\</b\\>" in source  # escaped for markdown: shown literally, never as HTML
    assert "Column '<b>id</b>' looks like an ID" in texts(app.warning)
