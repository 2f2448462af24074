"""core.registry.model_card: the K phase's card of a model version, for workbench versions and versions other
code made."""

from __future__ import annotations

import html
import re
import shutil
import string
from pathlib import Path
from urllib.parse import urlparse

import pytest

from core.common import i18n
from core.compare import evidence
from core.compare.evaluation import evaluate_run
from core.registry import model_card
from core.registry import model_registry as registry
from core.registry.model_card import ModelCard, Section, Table
from core.registry.model_registry import RegistryError
from core.train import training
from tests import registry_setup

HISTORY = [
    {
        "when": 1_700_000_000_000,
        "who": "ann",
        "action": "set",
        "alias": "challenger",
        "from_version": None,
        "to_version": "1",
        "reason": "first candidate",
        "override": False,
    },
    {
        "when": 1_700_000_600_000,
        "who": "bob",
        "action": "set",
        "alias": "champion",
        "from_version": None,
        "to_version": "1",
        "reason": "beats the baseline | KPIs met",
        "override": True,
    },
]


def client():
    from mlflow import MlflowClient

    return MlflowClient()


@pytest.fixture(autouse=True)
def english():
    """Cards are built in the reader's language: English here unless a test asks for German."""
    i18n.set_language_resolver(lambda: i18n.DEFAULT_LANGUAGE)
    yield
    i18n.set_language_resolver(lambda: i18n.DEFAULT_LANGUAGE)


def in_german(build):
    """What ``build()`` returns when the reader reads German."""
    try:
        i18n.set_language_resolver(lambda: "de")
        return build()
    finally:
        i18n.set_language_resolver(lambda: i18n.DEFAULT_LANGUAGE)


def english_sentences() -> list[str]:
    """The card catalogue's English wording: every stretch of three words or more between its {fields}."""
    texts = [text for key, text in i18n.catalogue("en").items() if key.startswith("card.")]
    pieces = [literal.strip() for text in texts for literal, *_ in string.Formatter().parse(text)]
    return [piece for piece in pieces if len(re.findall(r"[^\W\d_]+", piece)) >= 3]


def assert_no_english(card: ModelCard) -> None:
    sentences = english_sentences()
    assert len(sentences) > 30  # the check reads the catalogue, not nothing
    for text in (card.markdown(), html.unescape(card.html())):
        assert [sentence for sentence in sentences if sentence in text] == []


@pytest.fixture
def version(iris_project):
    """A workbench version: trained, evaluated against the project's KPIs, registered, @champion."""
    project, record = iris_project
    run = training.train_model(project.experiment_id, record, "logistic_regression", {"C": 0.5})
    evaluation = evaluate_run(run.run_id, project.kpis)
    info = registry.register(run.run_id, "iris-classifier")
    registry_setup.set_alias("iris-classifier", "champion", info.version)
    return project, record, run, evaluation, info


def section_titles(card: ModelCard) -> list[str]:
    return [s.title for s in card.sections]


def test_workbench_card_shows_what_the_workbench_knows(version):
    project, record, run, evaluation, info = version
    card = model_card.build_card("iris-classifier", info.version, HISTORY)
    text = card.markdown()
    assert section_titles(card) == [
        "iris-classifier v1",
        "Question and KPIs",
        "Intended use",
        "Limitations",
        "Data",
        "Features and algorithm",
        "Test results",
        "Conclusion",
        "Registry and audit history",
        "Provenance",
    ]
    assert text.startswith("# iris-classifier v1\n")
    assert "@champion" in text.split("## Question")[0]
    assert project.question in text
    for result in evaluation.kpi_results(project.kpis):
        assert f"| {result.kpi.shown()} | {result.value:.4f} | {'PASS' if result.passed else 'FAIL'} |" in text
    assert f"Overall verdict: {evaluation.verdict(project.kpis).upper()}." in text
    assert record.digest in text
    for column in record.frame.columns:
        assert f"| {column} | float64 | numeric |" in text or f"| {column} | object | target |" in text
    assert "| setosa | 40 | 33.3% |" not in text  # class balance is of the whole data set, not the split
    assert "| setosa | 50 | 33.3% |" in text
    assert "Logistic regression (logistic_regression)" in text
    assert "| C | 0.5 |" in text
    assert f"| Accuracy | {evaluation.metrics['accuracy']:.4f} |" in text
    assert "| true \\ predicted | setosa | versicolor | virginica |" in text
    assert f"{evaluation.metrics['latency_ms_p50']:.2f} ms" in text
    assert "Permutation importance (" in text
    assert "No conclusion recorded yet" in text
    assert run.run_id in text and info.source in text
    assert "Not written yet" in text
    assert "## Search" not in text
    # the history: newest first, `|` escaped in the Markdown table
    assert text.index("| bob |") < text.index("| ann |")
    assert "beats the baseline \\| KPIs met" in text
    assert "| yes |" in text
    assert "Nov 14, 2023" in text  # dates as English writes them
    assert '<html lang="en">' in card.html() and "<title>Model card: iris-classifier v1</title>" in card.html()


def test_the_card_speaks_the_readers_language(version):
    project, _, run, evaluation, info = version
    evidence.record_conclusion(run.run_id, "use", "ship it")
    card = in_german(lambda: model_card.build_card("iris-classifier", info.version, HISTORY))
    assert card.language == "de"
    assert section_titles(card) == [
        "iris-classifier v1",
        "Frage und KPIs",
        "Vorgesehener Einsatz",
        "Grenzen",
        "Daten",
        "Features und Algorithmus",
        "Testergebnisse",
        "Schlussfolgerung",
        "Registry und Audit-Trail",
        "Herkunft",
    ]
    # rendered after the resolver is back to English: the card keeps the language it was built in
    text, page = card.markdown(), card.html()
    accuracy = i18n.translate("metrics.accuracy", "de")
    test_results = text.split("## Testergebnisse")[1]
    assert f"| {accuracy} | {evaluation.metrics['accuracy']:.4f} |".replace(".", ",") in test_results
    for result in evaluation.kpi_results(project.kpis):
        verdict = "BESTANDEN" if result.passed else "NICHT BESTANDEN"
        assert f"| {result.kpi.shown('de')} | {result.value:.4f} | {verdict} |".replace(".", ",") in text
    assert "| setosa | 50 | 33,3 % |" in text
    assert "| numerisch |" in text and "| Ziel |" in text  # roles in the data.role words
    assert "Gut genug: verwenden — ship it" in text  # the conclusion's label translated, the note as written
    assert "| 14.11.2023, 22:23:20 UTC | bob | gesetzt | @champion |" in text
    assert "| ja |" in text and "| nein |" in text
    assert "Noch nicht geschrieben —" in text
    assert '<html lang="de">' in page and "<title>Model Card: iris-classifier v1</title>" in page
    assert_no_english(card)


def test_a_card_without_a_run_says_what_is_not_known_in_german(store):
    c = client()
    c.create_registered_model("external")
    version = c.create_model_version("external", "s3://bucket/models/external").version
    card = in_german(lambda: model_card.build_card("external", version))
    text = card.markdown()
    not_known = "Diese Version wurde von anderem Code ohne Quell-Run registriert; nicht erfasst: "
    assert text.split("## Daten\n\n")[1].startswith(not_known + "Datensatz.")
    assert text.split("## Testergebnisse\n\n")[1].startswith(not_known)
    assert "- **Run:** keiner" in text and "s3://bucket/models/external" in text
    assert_no_english(card)


def test_conclusion_and_description_reach_the_card_and_html_escapes_them(version):
    _, _, run, _, info = version
    evidence.record_conclusion(run.run_id, "use", "ship it <script>alert('note')</script>")
    client().update_model_version("iris-classifier", info.version, description="<script>alert(1)</script> v1")
    history = [{**HISTORY[0], "reason": "<script>bad()</script>", "who": "<b>eve</b>"}]
    card = model_card.build_card("iris-classifier", info.version, history)
    assert "Good enough: use it — ship it <script>alert('note')</script>" in card.markdown()
    page = card.html()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; v1" in page
    assert "&lt;script&gt;bad()&lt;/script&gt;" in page
    assert "&lt;b&gt;eve&lt;/b&gt;" in page
    assert "http://" not in page and "https://" not in page  # no external resources


def test_intended_use_and_limitations_round_trip(version):
    info = version[-1]
    model_card.save_card_sections("iris-classifier", info.version, "  Sorting <b>iris</b> flowers.\n", " Not roses. ")
    tags = client().get_model_version("iris-classifier", info.version).tags
    assert tags[model_card.TAG_INTENDED_USE] == "Sorting <b>iris</b> flowers."
    assert tags[model_card.TAG_LIMITATIONS] == "Not roses."
    card = model_card.build_card("iris-classifier", info.version)
    assert "## Intended use\n\nSorting <b>iris</b> flowers.\n\n## Limitations\n\nNot roses." in card.markdown()
    assert "<p>Sorting &lt;b&gt;iris&lt;/b&gt; flowers.</p>" in card.html()
    assert "<p>Not roses.</p>" in card.html()
    assert "Version tags" not in card.markdown()  # the card's own tags are not listed again
    model_card.save_card_sections("iris-classifier", info.version, "   ", "")
    text = model_card.build_card("iris-classifier", info.version).markdown()
    assert text.count("Not written yet —") == 2


@pytest.mark.parametrize(("use", "limits", "fragment"), [("x" * 5001, "", "intended use"), ("", "y" * 6000, "limit")])
def test_card_sections_refuse_long_texts(version, use, limits, fragment):
    info = version[-1]
    with pytest.raises(ValueError, match=f"{fragment}.*5,000 characters"):
        model_card.save_card_sections("iris-classifier", info.version, use, limits)
    assert model_card.TAG_INTENDED_USE not in client().get_model_version("iris-classifier", info.version).tags


def test_card_sections_accept_exactly_the_maximum_and_refuse_unknown_versions(version):
    info = version[-1]
    model_card.save_card_sections("iris-classifier", info.version, "u" * 5000, "")
    with pytest.raises(RegistryError):
        model_card.save_card_sections("iris-classifier", "99", "use", "")
    with pytest.raises(RegistryError):
        model_card.build_card("no-such-model", "1")


def test_search_parent_card_has_the_search_summary(iris_project):
    from core.train.search_space import Dimension
    from core.train.tuning import SearchConfig, run_search

    project, record = iris_project
    space = (Dimension("max_depth", "int", 2, 3),)
    config = SearchConfig("decision_tree", "grid", space, max_trials=None, cv_folds=3, workers=1)
    result = run_search(project.experiment_id, record, config)
    info = registry.register(result.run_id, "iris-tree")
    text = model_card.build_card("iris-tree", info.version).markdown()
    search = text.split("## Search")[1].split("## Test results")[0]
    assert "- **Status:** finished" in search
    assert "- **Trials:** 2" in search
    assert "- **Failed trials:** 0" in search
    assert "- **Method:** grid" in search
    assert "- **Optimised score:** accuracy" in search
    assert "| max_depth | int | 2 to 3 | no |" in search
    assert "Not evaluated yet" in text  # the parent was not evaluated


def test_model_registered_by_other_code_in_the_default_experiment(store):
    import mlflow
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(np.arange(20.0).reshape(10, 2), [0, 1] * 5)
    with mlflow.start_run() as run:
        mlflow.log_param("C", 1.0)
        mlflow.log_metric("val_auc", 0.75)
        info = mlflow.sklearn.log_model(model, name="m", pip_requirements=["scikit-learn"])
    version = mlflow.register_model(info.model_uri, "foreign <script>").version
    card = model_card.build_card("foreign <script>", version)
    text = card.markdown()
    assert "This version was registered by other code: no data set is recorded." in text
    assert "no project question or KPI list is recorded (its run is in experiment 'Default'" in text
    assert "no workbench algorithm is recorded" in text
    assert "| C | 1.0 |" in text and "| val_auc | 0.7500 |" in text
    assert "no held-out evaluation is recorded" in text
    assert "no conclusion is recorded" in text
    assert run.info.run_id in text
    assert "could not be built" not in text
    assert "<script" not in card.html()
    paths = model_card.log_card("foreign <script>", version, card)
    assert paths == ["model_card/foreign-script-v1.md", "model_card/foreign-script-v1.html"]


def test_version_without_a_run_builds_and_cannot_be_logged(store):
    c = client()
    c.create_registered_model("external")
    version = c.create_model_version("external", "s3://bucket/models/external").version
    card = model_card.build_card("external", version)
    text = card.markdown()
    registered = "This version was registered by other code without a source run"
    for section in ("Question and KPIs", "Data", "Features and algorithm", "Test results", "Conclusion"):
        assert text.split(f"## {section}\n\n")[1].startswith(registered)
    assert "s3://bucket/models/external" in text
    assert "- **Run:** none" in text
    with pytest.raises(ValueError, match="has no source run to log the card to"):
        model_card.log_card("external", version, card)


def test_missing_data_run_files_only_degrade_the_data_section(version):
    _, record, run, evaluation, info = version
    data_run = client().get_run(record.run_id)
    shutil.rmtree(Path(urlparse(data_run.info.artifact_uri).path))
    text = model_card.build_card("iris-classifier", info.version).markdown()
    data = text.split("## Data\n\n")[1].split("\n\n## ")[0]
    assert data.startswith(f"The data run {record.run_id} of this version cannot be read")
    assert f"| Accuracy | {evaluation.metrics['accuracy']:.4f} |" in text  # test results still shown


def test_a_failing_section_does_not_lose_the_card(version, monkeypatch):
    info = version[-1]

    def broken(sources):
        raise KeyError("oops")

    monkeypatch.setattr(model_card, "_conclusion", broken)
    text = model_card.build_card("iris-classifier", info.version).markdown()
    assert "## Conclusion\n\nThis section could not be built: KeyError: 'oops'" in text
    assert "## Provenance" in text


def test_log_card_writes_markdown_and_html_to_the_source_run(version):
    _, _, run, _, info = version
    card = model_card.build_card("iris-classifier", info.version, HISTORY)
    paths = model_card.log_card("iris-classifier", info.version, card)
    assert paths == ["model_card/iris-classifier-v1.md", "model_card/iris-classifier-v1.html"]
    listed = sorted(a.path for a in client().list_artifacts(run.run_id, "model_card"))
    assert listed == sorted(paths)
    import mlflow

    assert mlflow.artifacts.load_text(f"runs:/{run.run_id}/{paths[0]}") == card.markdown()


@pytest.mark.parametrize(
    ("name", "version", "ext", "expected"),
    [
        ("iris-classifier", "3", "html", "iris-classifier-v3.html"),
        ("Iris Classifier (v2)", "12", ".md", "Iris-Classifier-v2-v12.md"),
        ("../../etc/passwd", "1", "md", "etc-passwd-v1.md"),
        ("<script>", "1", "html", "script-v1.html"),
        ("☃", "1", "md", "model-v1.md"),
    ],
)
def test_filename_is_safe(name, version, ext, expected):
    assert model_card.filename(name, version, ext) == expected


def test_rendering_escapes_table_cells_and_html():
    card = ModelCard(
        "m",
        "1",
        (
            Section("m v1", ({"Aliases": "@a|b"},)),
            Section("Data", ("line one\nline <two>", Table(("a|b", "c"), (("x|y", "multi\nline"),), "Cap"))),
        ),
    )
    text = card.markdown()
    assert "| a\\|b | c |\n|---|---|\n| x\\|y | multi line |" in text
    assert "**Cap**" in text and text.startswith("# m v1\n\n- **Aliases:** @a|b")
    page = card.html()
    assert "<caption>Cap</caption>" in page and "<td>x|y</td>" in page
    assert "<p>line one\nline &lt;two&gt;</p>" in page
    assert "<h1>m v1</h1>" in page and "<h2>Data</h2>" in page


def test_the_card_holds_the_models_history_of_versions(version):
    project, record, run, evaluation, info = version
    later = training.train_model(project.experiment_id, record, "decision_tree", {"max_depth": 2})
    registry.register(later.run_id, "iris-classifier")  # v2, not evaluated

    text = model_card.build_card("iris-classifier", "2").markdown()

    history = text.split("The versions of this model in the order they were registered")[1].split("\n\n")[1]
    first, second = (line for line in history.splitlines() if re.match(r"\| v\d", line))
    accuracy = f"{evaluation.metrics['accuracy']:.4f}"
    assert first.startswith("| v1 |") and "logistic_regression" in first and accuracy in first
    assert "@champion" in first
    assert second.startswith("| v2 |") and "decision_tree" in second and "| — | — |" in second
