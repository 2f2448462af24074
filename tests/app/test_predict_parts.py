"""The Predict page's "Large files on the server": parts read and scored in partitions, problems named by row."""

from __future__ import annotations

import pandas as pd

from core.common import config
from core.data import sets as data
from tests.app.conftest import goto, no_exception, texts
from tests.app.test_predict_inputs import _served


def _rows() -> pd.DataFrame:
    iris = data.load_builtin("iris").drop(columns="species")
    return pd.concat([iris] * 4, ignore_index=True).assign(id=range(600))


def _predict(app, source, output):
    app.text_input(key="predict_parts_source").set_value(str(source))
    app.text_input(key="predict_parts_output").set_value(str(output))
    app.button(key="predict_parts_go").click().run()
    no_exception(app)


def test_a_folder_of_parts_is_predicted_into_a_folder_of_parts(app, tmp_path):
    _served(app)
    parts = tmp_path / "in"
    parts.mkdir()
    for i in range(3):
        _rows().iloc[i * 200 : (i + 1) * 200].to_parquet(parts / f"part-{i}.parquet", index=False)
    goto(app, "predict")

    _predict(app, parts, tmp_path / "out")

    assert "Predicted 600 rows with version 1 in 3 parts" in texts(app.success)
    assert pd.read_parquet(tmp_path / "out")["id"].tolist() == list(range(600))
    preview = next(df for df in app.dataframe if "id" in df.value.columns)
    assert preview.value["id"].tolist()[:5] == [0, 1, 2, 3, 4] and "prediction" in preview.value.columns
    assert any("dd.read_parquet" in c.value for c in app.code)  # the same with plain Dask and MLflow
    app.run()  # a rerun shows the result again and predicts nothing again
    assert "Predicted 600 rows" in texts(app.success)


def test_a_problem_is_named_by_its_row_and_nothing_is_written(app, tmp_path, monkeypatch):
    from core.serve import batch

    monkeypatch.setattr(batch, "PART_BYTES", 6_000)
    _served(app)
    rows = _rows().astype({"sepal width (cm)": object})
    rows.loc[555, "sepal width (cm)"] = "wide"
    rows.to_csv(tmp_path / "rows.csv", index=False)
    goto(app, "predict")

    _predict(app, tmp_path / "rows.csv", tmp_path / "out.csv")

    said = texts(app.error)
    assert "Nothing was predicted or written" in said and "row 556" in said and "wide" in said
    assert not (tmp_path / "out.csv").exists() and not app.success


def test_only_the_allowed_folders_are_read(app, tmp_path, monkeypatch):
    _served(app)
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    _rows().to_csv(tmp_path / "outside.csv", index=False)
    monkeypatch.setenv(config.BATCH_ROOTS_ENV, str(allowed))
    goto(app, "predict")

    _predict(app, tmp_path / "outside.csv", allowed / "out.csv")

    assert "is outside the folders this workbench may read and write" in texts(app.error)
    assert str(allowed) in texts(app.caption) and not (allowed / "out.csv").exists()
