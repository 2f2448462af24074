"""One journey in a real browser (issue 19): the handout's walk with the tour's *let me do it* from a fresh store to
a prediction, what the pages show between pages (the target of an upload after a built-in set), and every page in
German without a word of the English catalogue."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from core.common import i18n
from tests import registry_setup
from tests.datasets import penguins
from tests.e2e.conftest import Server
from tests.e2e.journey import walk_tour
from tests.e2e.test_lifecycle import IDLE_TIMEOUT_MS, assert_healthy, open_app, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def _use_store(server: Server, monkeypatch) -> None:
    """Let this test process read and write the server's store, as plain MLflow code would."""
    from core.common import config

    monkeypatch.setenv(config.DATA_DIR_ENV, str(server.data_dir))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    config.activate_store()


def test_the_handouts_walk_with_let_me_do_it(page: Page, server: Server, monkeypatch) -> None:
    tally = walk_tour(page, server.url)
    assert_healthy(page)
    screenshot(page, "journey-finished")
    assert tally.clicks <= 25 and tally.pages <= 12, tally  # counted, not timed: the time is bench_journey's

    _use_store(server, monkeypatch)
    from core.lifecycle import tour
    from core.registry import governance
    from core.registry import model_registry as registry
    from core.serve import prediction_log

    (project,) = tour.tour_projects()
    assert tour.survey(project.experiment_id).finished
    model = registry.suggested_model_name(project.name)
    assert registry.resolve_alias(model, "production").version == "1"
    assert governance.history(model, "production")[0].who == "Ana"  # the person moved it, not the tour
    log = prediction_log.read_log(project.experiment_id, model)
    assert list(log["source"]) == ["one row"]


def test_the_target_box_shows_the_class_column_of_an_upload(page: Page, server: Server, tmp_path) -> None:
    open_app(page, server.url)
    page.get_by_role("button", name="Create the example 'Iris Classification Experiment'").click()
    wait_idle(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="U — Understand the data").click()
    wait_idle(page)
    target = page.get_by_role("combobox", name="Target column (the class to predict)")
    expect(target).to_have_value("species")  # iris, the built-in default
    page.locator(".st-key-data_source").get_by_text("Upload a file").click()
    wait_idle(page)
    upload = tmp_path / "penguins.csv"
    penguins().to_csv(upload, index=False)  # species first, year last
    page.locator('.st-key-data_upload input[type="file"]').set_input_files(str(upload))
    wait_idle(page)
    expect(page.get_by_text("the name species says it holds the class")).to_be_visible(timeout=IDLE_TIMEOUT_MS)
    expect(target).to_have_value("species")  # not "year", the last column
    expect(page.get_by_text("the name species says it holds the class")).to_be_visible()
    assert_healthy(page)
    screenshot(page, "journey-penguins-target")


# words both languages write the same way, and names from the data, the store and the code the pages show
SHARED = {
    "iris", "setosa", "versicolor", "virginica", "sepal", "petal", "length", "width", "species", "mlflow", "skops",
    "production", "champion", "challenger", "random", "forest", "classifier", "classification", "experiment",
    "accuracy", "latency", "macro", "balanced", "precision", "recall", "digest", "guided", "tour", "streamlit",
    "sqlite", "embedded", "store", "registry", "monitor", "search", "trials", "pandas", "sklearn", "python",
    "question",  # QUA³CK's letters keep their English names in German: "von der Question (Frage) bis …"
}  # fmt: skip
WORD = re.compile(r"[A-Za-zÄÖÜäöüß]{4,}")


def english_only_words() -> set[str]:
    """Words of the English catalogue that the German one never uses (placeholders and markup removed)."""

    def words(language: str) -> set[str]:
        texts = i18n.catalogue(language).values()
        plain = (re.sub(r"\{[^}]*\}|`[^`]*`|%\{[^}]*\}", " ", text) for text in texts)
        return {w.lower() for text in plain for w in WORD.findall(text)}

    return words("en") - words("de") - SHARED


def test_every_page_in_german_has_no_english_word(page: Page, server: Server, monkeypatch) -> None:
    _use_store(server, monkeypatch)
    from core.data import datastore
    from core.data import sets as data
    from core.question import projects
    from core.serve import predict, prediction_log
    from core.train import training

    project = projects.ensure_example_project()
    record = datastore.record_dataset(project.experiment_id, data.load_builtin("iris"), "iris", "species")
    run = training.train_model(project.experiment_id, record, "random_forest", {"n_estimators": 20})
    registry_setup.promote("iris-classifier", "production", run_id=run.run_id)
    served = predict.load_served_model("iris-classifier", "1")
    rows = record.test_xy()[0]
    prediction_log.log_predictions(served, rows, predict.predict_frame(served, rows), "batch")
    prediction_log.flush()

    english = english_only_words()
    assert len(english) > 300  # the check has teeth: most English words are not German
    open_app(page, f"{server.url}/?lang=de")
    pages = ["shell.page_home"] + [f"shell.page_{p}" for p in ("question", "data", "train", "compare")]
    pages += [f"shell.page_{p}" for p in ("registry", "predict", "monitor")]
    found: dict[str, set[str]] = {}
    for key in pages:
        title = i18n.translate(key, "de")
        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
        wait_idle(page)
        assert_healthy(page)
        shown = page.locator('[data-testid="stMain"]').inner_text()
        shown += page.locator('[data-testid="stSidebar"]').inner_text()
        # not ours: Material icons drawn from ligature names ("keyboard_arrow_right"), Streamlit's own upload hint
        theirs = page.locator('[data-testid="stIconMaterial"], [data-testid="stFileUploaderDropzoneInstructions"]')
        # not words either: data (the question stored on the project), paths, URIs and identifiers
        shown = shown.replace(project.question, " ")
        shown = re.sub(r"\S*[/_]\S*", " ", shown)
        ignored = {w.lower() for w in WORD.findall(" ".join(theirs.all_inner_texts()))}
        hits = {w.lower() for w in WORD.findall(shown)} & english - ignored
        if hits:
            found[title] = hits
            screenshot(page, f"german-{key.removeprefix('shell.page_')}")
    assert found == {}, "\n".join(f"{title}: {', '.join(sorted(words))}" for title, words in found.items())
