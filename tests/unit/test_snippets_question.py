"""The Q page's "Show the code": the snippet stores the question and KPIs exactly as the page's save does."""

from __future__ import annotations

from mlflow import MlflowClient

from core.codegen.snippets import question as snippets
from core.question import projects
from core.question.kpis import KPI
from tests.unit.snippet_exec import run_snippet

QUESTION = "Which species is it? \"Sepal\" and 'petal' sizes\n# not a comment"


def test_the_snippet_writes_the_same_tags_as_the_page(store):
    kpis = [KPI("accuracy", ">=", 0.95), KPI("latency_ms", "<", 500.0)]
    page = projects.create_project("By the page")
    projects.save_question_and_kpis(page.experiment_id, QUESTION, kpis)

    code = snippets.save_question("By the snippet", QUESTION, kpis)
    assert "core" not in code.replace("qua3ck", "")
    run_snippet(code)

    client = MlflowClient()
    by_page = client.get_experiment(page.experiment_id).tags
    by_snippet = client.get_experiment_by_name("By the snippet").tags
    for tag in (projects.TAG_QUESTION, projects.TAG_KPIS, projects.TAG_NOTE):
        assert by_snippet[tag] == by_page[tag]
    read = projects.find_project("By the snippet")
    assert read.question == QUESTION.strip() and list(read.kpis) == kpis
