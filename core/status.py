"""The lifecycle status board: where a project stands in each QUA³CK phase and what to do next."""

from __future__ import annotations

from dataclasses import dataclass

from core import registry
from core.kpis import primary_metric
from core.projects import Project
from core.runs import training_runs

PREFERRED_ALIASES = ("production", "champion")


@dataclass(frozen=True)
class PhaseStatus:
    """One phase's card on the board."""

    phase: str
    title: str
    page: str  # page file under pages/
    done: bool
    summary: str
    next_step: str


def _shorten(text: str, limit: int = 300) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def project_models(run_ids: set[str]) -> list[registry.ModelSummary]:
    """Registered models with at least one version from these runs."""
    models = []
    for model in registry.list_models():
        if any(v.run_id in run_ids for v in registry.list_versions(model.name)):
            models.append(model)
    return models


def serving_alias(model: registry.ModelSummary) -> str | None:
    """The alias the predict page serves by default: production, else champion, else any."""
    for alias in PREFERRED_ALIASES:
        if alias in model.aliases:
            return alias
    return next(iter(sorted(model.aliases)), None)


def lifecycle_status(project: Project, dataset_summary: str | None) -> list[PhaseStatus]:
    """The status of every phase for a project; ``dataset_summary`` is None when no data is chosen."""
    metric = primary_metric(project.kpis)
    runs = training_runs(project.experiment_id, metric)
    finished = runs[runs["status"] == "FINISHED"] if not runs.empty else runs
    evaluated = finished[finished["test_score"].notna()] if not finished.empty else finished
    models = project_models(set(runs["run_id"])) if not runs.empty else []
    board = []

    q_done = bool(project.question.strip()) and bool(project.kpis)
    board.append(
        PhaseStatus(
            "Q",
            "Question",
            "question.py",
            q_done,
            (_shorten(project.question) or "No question yet")
            + " · KPIs: "
            + (", ".join(f"`{k}`" for k in project.kpis) or "none"),
            "Refine the question or KPIs if needed." if q_done else "Write the question and set KPIs.",
        )
    )
    board.append(
        PhaseStatus(
            "U",
            "Understanding the data",
            "data.py",
            dataset_summary is not None,
            dataset_summary or "No data chosen yet",
            "Train models on it." if dataset_summary else "Choose and validate a data set.",
        )
    )
    if finished.empty:
        a_summary, a_next = (
            "No trained models yet",
            "Train a first model." if dataset_summary else "Choose data first.",
        )
    else:
        best = finished["cv_score"].max()
        a_summary = (
            f"{len(finished)} run(s) · best CV {metric}: {best:.3f}" if best == best else f"{len(finished)} run(s)"
        )
        a_next = "Compare them on the held-out test set."
    board.append(
        PhaseStatus(
            "A³",
            "Algorithm, features, hyperparameters",
            "train.py",
            not finished.empty,
            a_summary,
            a_next,
        )
    )
    if evaluated.empty:
        c_summary, c_next = (
            "No run evaluated on the test set yet",
            "Evaluate runs on the Compare page.",
        )
    else:
        top = evaluated.sort_values("test_score", ascending=False).iloc[0]
        c_summary = f"Best test {metric}: {top['test_score']:.3f} ({top['run']}) · KPI verdict: {top['verdict']}"
        c_next = (
            "Register the best passing run."
            if top["verdict"] == "pass"
            else "Train a better model or revisit the KPIs."
        )
    board.append(
        PhaseStatus(
            "C",
            "Conclude and compare",
            "compare.py",
            not evaluated.empty,
            c_summary,
            c_next,
        )
    )
    if models:
        k_summary = " · ".join(
            f"{m.name}: " + (", ".join(f"@{a}→v{v}" for a, v in sorted(m.aliases.items())) or "no aliases")
            for m in models
        )
        k_next = (
            "Point 'production' at the version to serve."
            if not any(m.aliases for m in models)
            else "Keep aliases current."
        )
    else:
        k_summary, k_next = "No registered model yet", "Register an evaluated run."
    board.append(PhaseStatus("K", "Knowledge transfer", "registry.py", bool(models), k_summary, k_next))
    served = [(m, serving_alias(m)) for m in models if serving_alias(m)]
    if served:
        model, alias = served[0]
        p_summary = f"models:/{model.name}@{alias} serves version {model.aliases[alias]}"
        p_next = "Predict single flowers or whole files."
    else:
        p_summary, p_next = (
            "Nothing is served yet",
            "Give a registered version an alias such as 'production'.",
        )
    board.append(PhaseStatus("▶", "Predict", "predict.py", bool(served), p_summary, p_next))
    return board
