"""Projects: a project is an MLflow experiment holding the question, KPIs and chosen data as tags."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.common.config import active_store
from core.common.errors import WorkbenchError
from core.common.i18n import tr
from core.question.kpis import DEFAULT_KPIS, KPI, check_unique, kpis_from_json, kpis_to_json

TAG_QUESTION = "qua3ck.question"
TAG_KPIS = "qua3ck.kpis"
TAG_DATA_RUN = "qua3ck.data_run"
TAG_NOTE = "mlflow.note.content"  # the experiment description mlflow ui shows

EXAMPLE_NAME = "Iris Classification Experiment"
EXAMPLE_QUESTION = (
    "Which of the three iris species (setosa, versicolor, virginica) is a flower, "
    "judged only by the length and width of its sepals and petals? "
    "The answer must be right for more than 95 % of flowers and come in under half a second."
)
MAX_NAME_LENGTH = 200


class ProjectError(WorkbenchError):
    """A project operation that cannot be done, with a message for people."""


@dataclass(frozen=True)
class Project:
    """A project as the workbench sees it."""

    experiment_id: str
    name: str
    question: str = ""
    kpis: list[KPI] = field(default_factory=list)
    data_run_id: str | None = None
    kpis_set: bool = False


def _client():
    from mlflow import MlflowClient

    active_store()
    return MlflowClient()


def _to_project(exp) -> Project:
    tags = exp.tags or {}
    return Project(
        experiment_id=exp.experiment_id,
        name=exp.name,
        question=tags.get(TAG_QUESTION, ""),
        kpis=kpis_from_json(tags.get(TAG_KPIS)) if TAG_KPIS in tags else list(DEFAULT_KPIS),
        data_run_id=tags.get(TAG_DATA_RUN) or None,
        kpis_set=TAG_KPIS in tags,
    )


def list_projects() -> list[Project]:
    """All active experiments, newest first; the empty built-in 'Default' experiment is hidden."""
    from mlflow.entities import ViewType

    client = _client()
    experiments = client.search_experiments(view_type=ViewType.ACTIVE_ONLY, order_by=["creation_time DESC"])
    projects = []
    for exp in experiments:
        if exp.name == "Default" and not client.search_runs([exp.experiment_id], max_results=1):
            continue
        projects.append(_to_project(exp))
    return projects


def get_project(experiment_id: str) -> Project:
    """The project of an experiment id."""
    from mlflow.exceptions import MlflowException

    try:
        return _to_project(_client().get_experiment(experiment_id))
    except MlflowException:
        raise ProjectError(tr("projects.not_found", id=experiment_id)) from None


def find_project(name: str) -> Project | None:
    """The project with this experiment name, or None."""
    exp = _client().get_experiment_by_name(name)
    return _to_project(exp) if exp is not None and exp.lifecycle_stage == "active" else None


def create_project(name: str, question: str = "", kpis: list[KPI] | tuple[KPI, ...] = DEFAULT_KPIS) -> Project:
    """Create a new experiment with the question and KPIs; refuses empty or taken names."""
    name = (name or "").strip()
    if not name:
        raise ProjectError(tr("projects.no_name"))
    if len(name) > MAX_NAME_LENGTH:
        raise ProjectError(tr("projects.name_too_long", limit=MAX_NAME_LENGTH))
    client = _client()
    existing = client.get_experiment_by_name(name)
    if existing is not None:
        deleted = existing.lifecycle_stage == "deleted"
        raise ProjectError(tr("projects.name_taken_deleted" if deleted else "projects.name_taken", name=name))
    kpis = list(kpis)
    check_unique(kpis)
    tags = {
        TAG_QUESTION: question.strip(),
        TAG_KPIS: kpis_to_json(kpis),
        TAG_NOTE: describe(question, kpis),
    }
    experiment_id = client.create_experiment(name, artifact_location=active_store().artifact_location, tags=tags)
    return get_project(experiment_id)


def ensure_example_project() -> Project:
    """The handout's Iris example project, created with its question and KPIs if missing."""
    return find_project(EXAMPLE_NAME) or create_project(EXAMPLE_NAME, EXAMPLE_QUESTION, DEFAULT_KPIS)


def save_question_and_kpis(experiment_id: str, question: str, kpis: list[KPI]) -> Project:
    """Persist the question and KPIs on the experiment (tags plus the description mlflow ui shows)."""
    check_unique(kpis)
    client = _client()
    client.set_experiment_tag(experiment_id, TAG_QUESTION, question.strip())
    client.set_experiment_tag(experiment_id, TAG_KPIS, kpis_to_json(kpis))
    client.set_experiment_tag(experiment_id, TAG_NOTE, describe(question, kpis))
    return get_project(experiment_id)


def set_data_run(experiment_id: str, run_id: str) -> None:
    """Point the project at the run that holds its data set and split."""
    _client().set_experiment_tag(experiment_id, TAG_DATA_RUN, run_id)


def describe(question: str, kpis: list[KPI]) -> str:
    """Markdown description of the question and KPIs, for the experiment page in mlflow ui."""
    lines = ["**Question:** " + (question.strip() or "_not set yet_"), "", "**KPIs:**"]
    lines += [f"- `{k}`" for k in kpis] or ["- _none_"]
    return "\n".join(lines)
