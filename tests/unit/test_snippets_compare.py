"""The C page's "Show the code": the generated code, executed against the test's store, reads the compared runs,
scores each run's model on the same held-out test rows with the same scores and confusion matrix as the page's
evaluation, and records a conclusion as the same tags; every text the page looks up by a computed key exists."""

from __future__ import annotations

import pandas as pd
import pytest
from mlflow import MlflowClient

from core.codegen.snippets import compare as snippets
from core.common import i18n
from core.compare.evaluation import VERDICT_KEYS, evaluate_run
from core.compare.evidence import CONCLUSIONS, TAG_CONCLUSION, TAG_CONCLUSION_NOTE, conclusion_text, record_conclusion
from core.question.kpis import METRICS, SCORE_METRICS
from core.train.training import train_model
from tests.unit.snippet_exec import run_snippet


def test_the_evaluation_code_scores_the_same_rows_as_the_page(iris_project):
    project, record = iris_project
    forest = train_model(project.experiment_id, record, "random_forest", {"n_estimators": 20}, 3)
    bayes = train_model(project.experiment_id, record, "gaussian_nb", {}, 3)
    evaluations = {r.run_id: evaluate_run(r.run_id, project.kpis) for r in (forest, bayes)}
    code = snippets.evaluate_runs(project.experiment_id, list(evaluations))
    assert "from core" not in code and "import core" not in code  # plain mlflow/sklearn/pandas
    assert "mlflow.search_runs(" in code and "mlflow.sklearn.load_model(" in code
    found = run_snippet(code)
    runs = found["runs"]
    assert isinstance(runs, pd.DataFrame) and set(runs["run_id"]) == set(evaluations)  # only the compared runs
    assert runs.set_index("run_id").loc[forest.run_id, "metrics.test_accuracy"] == pytest.approx(
        evaluations[forest.run_id].metrics["accuracy"]
    )
    for run_id, evaluation in evaluations.items():
        scores = found["scores"][run_id]
        assert set(scores) == set(SCORE_METRICS)
        for metric in SCORE_METRICS:
            assert scores[metric] == pytest.approx(evaluation.metrics[metric])
    # the last run's confusion matrix and labels, as the page stored them
    assert found["labels"] == evaluations[bayes.run_id].labels
    assert found["confusion"].tolist() == evaluations[bayes.run_id].confusion
    assert len(found["X_test"]) == evaluations[bayes.run_id].test_rows == len(record.split.test)


def test_the_conclusion_code_sets_the_same_tags_as_the_form(iris_project):
    project, record = iris_project
    trained = train_model(project.experiment_id, record, "knn", {}, 3)
    note = "  Meets both KPIs; 'simplest' model.\n"
    run_snippet(snippets.record_conclusion(trained.run_id, "promising", note))
    tags = MlflowClient().get_run(trained.run_id).data.tags
    assert tags[TAG_CONCLUSION] == "promising" and tags[TAG_CONCLUSION_NOTE] == note.strip()
    mine = conclusion_text(tags)
    record_conclusion(trained.run_id, "promising", note)  # what the page's form does
    assert conclusion_text(MlflowClient().get_run(trained.run_id).data.tags) == mine


def test_texts_looked_up_by_a_computed_key_exist_in_both_languages():
    for language in i18n.LANGUAGES:
        texts = i18n.catalogue(language)
        keys = [f"evaluation.verdict.{k}" for k in VERDICT_KEYS.values()]
        keys += [f"evaluation.conclusion.{k}" for k in CONCLUSIONS]
        keys += [f"evaluation.metric_phrase.{m}" for m in METRICS]
        assert [k for k in keys if k not in texts] == []


def test_a_comparison_reads_in_each_language_and_stays_english_for_the_store():
    from core.compare.stats import compare_in_words, corrected_paired_t_test

    result = corrected_paired_t_test([0.8, 0.7], [0.9, 0.8], 0.5)
    said = compare_in_words("A", "B", 0.75, 0.85, result, metric="f1_macro")
    assert said.sentence.startswith("B scores higher in macro F1 than A across the same 2 cross-validation folds")
    assert said.in_language("de").startswith("B erzielt bei Makro-F1 höhere Scores als A über dieselben 2 Folds")
    try:
        i18n.set_language_resolver(lambda: "de")
        assert said.shown == said.in_language("de")
        assert said.sentence.startswith("B scores higher")  # the store and the CLI keep reading English
    finally:
        i18n.set_language_resolver(lambda: i18n.DEFAULT_LANGUAGE)
