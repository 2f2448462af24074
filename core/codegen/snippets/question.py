"""The Q page's code: the question and KPIs as tags on the MLflow experiment."""

from __future__ import annotations

from core.codegen.snippets import join, tracking_lines
from core.question.kpis import KPI, kpis_to_json
from core.question.projects import TAG_KPIS, TAG_NOTE, TAG_QUESTION, describe


def save_question(experiment_name: str, question: str, kpis: list[KPI]) -> str:
    """Code that stores ``question`` and ``kpis`` on the experiment, as the page's save button does."""
    return join(
        tracking_lines(),
        f"experiment = mlflow.set_experiment({experiment_name!r})",
        "client = mlflow.MlflowClient()",
        "# the question and KPIs travel with the experiment: tags, and the description mlflow ui shows",
        f"client.set_experiment_tag(experiment.experiment_id, {TAG_QUESTION!r}, {question.strip()!r})",
        f"client.set_experiment_tag(experiment.experiment_id, {TAG_KPIS!r}, {kpis_to_json(kpis)!r})",
        f"client.set_experiment_tag(experiment.experiment_id, {TAG_NOTE!r}, {describe(question, kpis)!r})",
    )
