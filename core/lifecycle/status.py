"""The lifecycle status board: where a project stands in each QUA³CK phase and what to do next."""

from __future__ import annotations

from dataclasses import dataclass

from core.common.i18n import number, tr
from core.compare.runs import training_runs
from core.question.kpis import primary_metric
from core.question.projects import Project
from core.registry import model_registry

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


def serving_alias(model: model_registry.ModelSummary) -> str | None:
    """The alias the predict page serves by default: production, else champion, else any."""
    for alias in PREFERRED_ALIASES:
        if alias in model.aliases:
            return alias
    return next(iter(sorted(model.aliases)), None)


def _verdict(verdict: str) -> str:
    """A run's KPI verdict tag in words (an unknown tag as it is)."""
    words = {
        "pass": tr("status.verdict_pass"),
        "fail": tr("status.verdict_fail"),
        "none": tr("status.verdict_none"),
        "not evaluated": tr("status.verdict_not_evaluated"),
    }
    return words.get(verdict, verdict)


def lifecycle_status(project: Project, dataset_summary: str | None) -> list[PhaseStatus]:
    """The status of every phase for a project; ``dataset_summary`` is None when no data is chosen."""
    metric = primary_metric(project.kpis)
    runs = training_runs(project.experiment_id, metric)
    finished = runs[runs["status"] == "FINISHED"] if not runs.empty else runs
    evaluated = finished[finished["test_score"].notna()] if not finished.empty else finished
    models = model_registry.project_models(project.experiment_id)
    board = []

    q_done = bool(project.question.strip()) and bool(project.kpis)
    board.append(
        PhaseStatus(
            "Q",
            tr("status.title_q"),
            "question.py",
            q_done,
            tr(
                "status.q_summary",
                question=_shorten(project.question) or tr("status.no_question"),
                kpis=", ".join(f"`{k.shown()}`" for k in project.kpis) or tr("status.no_kpis"),
            ),
            tr("status.q_next_done") if q_done else tr("status.q_next"),
        )
    )
    board.append(
        PhaseStatus(
            "U",
            tr("status.title_u"),
            "data.py",
            dataset_summary is not None,
            dataset_summary or tr("status.no_data"),
            tr("status.u_next_done") if dataset_summary else tr("status.u_next"),
        )
    )
    if finished.empty:
        a_summary = tr("status.no_runs")
        a_next = tr("status.a_next_first") if dataset_summary else tr("status.a_next_no_data")
    else:
        best = finished["cv_score"].max()
        a_summary = (
            tr("status.a_summary", runs=len(finished), metric=metric, best=number(best, 3))
            if best == best
            else tr("status.a_summary_no_score", runs=len(finished))
        )
        a_next = tr("status.a_next")
    board.append(
        PhaseStatus(
            "A³",
            tr("status.title_a"),
            "train.py",
            not finished.empty,
            a_summary,
            a_next,
        )
    )
    if evaluated.empty:
        c_summary, c_next = tr("status.no_evaluated"), tr("status.c_next_none")
    else:
        top = evaluated.sort_values("test_score", ascending=False).iloc[0]
        c_summary = tr(
            "status.c_summary",
            metric=metric,
            score=number(top["test_score"], 3),
            run=top["run"],
            verdict=_verdict(top["verdict"]),
        )
        c_next = tr("status.c_next_pass") if top["verdict"] == "pass" else tr("status.c_next_fail")
    board.append(
        PhaseStatus(
            "C",
            tr("status.title_c"),
            "compare.py",
            not evaluated.empty,
            c_summary,
            c_next,
        )
    )
    if models:
        k_summary = " · ".join(
            tr(
                "status.k_model",
                model=m.name,
                aliases=", ".join(f"@{a}→v{v}" for a, v in sorted(m.aliases.items())) or tr("status.no_aliases"),
            )
            for m in models
        )
        k_next = tr("status.k_next_no_alias") if not any(m.aliases for m in models) else tr("status.k_next")
    else:
        k_summary, k_next = tr("status.no_model"), tr("status.k_next_none")
    board.append(PhaseStatus("K", tr("status.title_k"), "registry.py", bool(models), k_summary, k_next))
    served = [(m, serving_alias(m)) for m in models if serving_alias(m)]
    if served:
        model, alias = served[0]
        p_summary = tr("status.p_summary", model=model.name, alias=alias, version=model.aliases[alias])
        p_next = tr("status.p_next")
    else:
        p_summary, p_next = tr("status.nothing_served"), tr("status.p_next_none")
    board.append(PhaseStatus("▶", tr("status.title_p"), "predict.py", bool(served), p_summary, p_next))
    return board
