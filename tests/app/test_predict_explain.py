"""Why this prediction on the Predict page: the one row's pushes in words and as a bar, in English and German,
and a file's optional explanation column with the features that matter most."""

from __future__ import annotations

import pytest

from core.data import sets as data
from tests import registry_setup
from tests.app.conftest import goto, no_exception, texts
from tests.app.test_compare_evidence import _train
from tests.app.test_pages import example


def _served(app, algorithm: str):
    project = example(app)
    registry_setup.promote("iris-classifier", "production", run_id=_train(project, algorithm).run_id)
    goto(app, "predict")
    app.slider(key="predict_input_2").set_value(5.5)  # petal length: a virginica
    app.slider(key="predict_input_3").set_value(2.2)
    app.button(key="predict_submit").click().run()
    no_exception(app)
    return app


def _charts(app) -> list[str]:
    return [chart.proto.spec for chart in app.get("plotly_chart")]


@pytest.mark.parametrize(("algorithm", "method"), [("random_forest", "exact tree"), ("knn", "permutation")])
def test_one_prediction_is_explained_when_asked_in_words_and_as_a_bar(app, algorithm, method):
    _served(app, algorithm)
    before = len(_charts(app))
    assert "pushed it most" not in texts(app.markdown)  # not computed until asked: the click stays fast
    app.toggle(key="predict_explain_on").set_value(True).run()
    no_exception(app)
    said = texts(app.markdown)
    assert "pushed it most toward virginica" in said and "petal" in said
    assert len(_charts(app)) == before + 1 and '"orientation":"h"' in _charts(app)[-1].replace(" ", "")
    assert method in texts(app.caption) and "The bars add up to that difference" in texts(app.caption)
    # German: the same explanation in the reader's words
    app.sidebar.segmented_control(key="ui_language_picker").set_value("de").run()
    no_exception(app)
    assert "hat am stärksten zu virginica hin gedrückt" in texts(app.markdown)


def test_a_file_gets_an_explanation_column_and_the_features_that_matter_most(app):
    _served(app, "random_forest")
    batch = data.load_builtin("iris").drop(columns="species").sample(20, random_state=1)
    app.file_uploader(key="predict_upload").set_value(("batch.csv", batch.to_csv(index=False).encode(), "text/csv"))
    app.run()
    app.checkbox(key="predict_batch_explain").check().run()
    no_exception(app)
    assert "The features that matter most across 20 explained rows" in texts(app.markdown)
    table = next(df.value for df in app.dataframe if "why" in df.value.columns)
    assert table["why"].str.contains(r" = .* → (setosa|versicolor|virginica) \(", regex=True).all()
    assert (table["why"].str.split(" → ").str[1].str.split(" ").str[0] == table["prediction"]).all()


def test_a_rerun_shows_the_explanations_again_without_explaining_again(app, monkeypatch):
    from core.serve import explain

    calls = []
    real = explain.explain_served
    monkeypatch.setattr(explain, "explain_served", lambda *a, **k: calls.append(1) or real(*a, **k))
    _served(app, "random_forest")
    app.toggle(key="predict_explain_on").set_value(True).run()
    app.run()  # e.g. the language, the log switch, a download: the page runs again
    assert len(calls) == 1 and "pushed it most toward virginica" in texts(app.markdown)
    batch = data.load_builtin("iris").drop(columns="species").head(8)
    app.file_uploader(key="predict_upload").set_value(("batch.csv", batch.to_csv(index=False).encode(), "text/csv"))
    app.run()
    app.checkbox(key="predict_batch_explain").check().run()
    app.run()
    no_exception(app)
    assert len(calls) == 2 and any("why" in df.value.columns for df in app.dataframe)
