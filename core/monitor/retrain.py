"""Continuous training (CT): retrain a registered model with a new labelled batch and let the gate decide.

``plan_retrain`` checks everything before anything is written: the model and alias exist, the batch has exactly
the training columns (features + target) with enough rows and only labels the model knows, and the combined data
passes the data phase's validation. ``run_retrain`` then records the combined data as a new data run (same
target, roles, test share and split seed, so provenance holds), reruns the champion's recorded recipe — its
search configuration (``search.json``) when it came from a search, else the same algorithm, hyperparameters and
feature steps — registers the result as a new version, points ``@challenger`` at it through the governance gate
and scores champion and challenger on the same held-out rows. ``promote_challenger`` moves a protected alias to
the challenger through the gate, and refuses (gate-like, overridable with a reason) when the challenger does not
beat the current holder on those rows.

The shared held-out rows are the new data run's test split minus every row the champion was trained on: the
challenger trains on the new training split only, and the champion never saw these rows either, so neither model
is flattered. The comparison is stored on the challenger's run (``retrain/comparison.json`` and tags); the
champion's run and its own evaluation are not touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from core.common.errors import WorkbenchError
from core.common.i18n import number, plural_category, tr, translate
from core.compare import stats
from core.compare.evaluation import evaluate_run, score_predictions, single_row_latency_ms
from core.data import datastore
from core.data.datastore import DatasetRecord
from core.data.sets import DataError, make_split
from core.data.validation import blocking, blocking_message, check_batch, with_severity
from core.question import projects
from core.question.kpis import KPI, SCORE_METRICS, KPIResult, check_kpis, primary_metric, verdict
from core.registry import governance, model_registry
from core.registry.governance import Actor, GateDecision, GovernanceError
from core.train.recipe import Recipe, RecipeError, recipe_of
from core.train.recipe import search_config_from_dict as read_search_config
from core.train.training import TAG_DATA_RUN, train_model
from core.train.tuning import SearchConfig, run_search

COMBINE = {
    "append": "the champion's data set plus the new batch",
    "replace": "the new batch only",
}
# At least this many labelled rows: fewer make a held-out share of a handful of rows and say nothing. The combined
# data must also pass the data phase's checks (every class needs enough rows for the split and for the recipe's
# cross-validation folds), which for "replace" means the batch alone must.
MIN_BATCH_ROWS = 20
CHALLENGER = "challenger"
SMALL_HELD_OUT = 30  # below this, the comparison gets a warning: a few rows decide it
COMPARISON_ARTIFACT = "retrain/comparison.json"
TAG_RETRAIN_OF = "qua3ck.retrain.of"  # on the challenger's run: "<model>@<alias> v<version>"
TAG_RETRAIN_BETTER = "qua3ck.retrain.better"  # "true"/"false" on the challenger's run


class RetrainError(WorkbenchError):
    """A retraining that cannot be done, with what to change; nothing was written."""


class NotBetter(GovernanceError):
    """The challenger does not beat the alias's current holder on the shared held-out rows; nothing moved."""


@dataclass(frozen=True)
class RetrainPlan:
    """A checked retraining, ready to run: nothing is written until ``run_retrain``."""

    name: str
    alias: str
    version: str  # the version the alias points at (the champion)
    champion_run: str
    experiment_id: str
    base: DatasetRecord  # the champion's data run
    batch_rows: int
    combine: str
    frame: pd.DataFrame  # the combined data, features + target in the training order
    champion_seen: tuple[int, ...]  # positions in ``frame`` the champion was trained on
    recipe: Recipe
    kpis: tuple[KPI, ...]
    metric: str  # the project's primary score: what "better" means
    dataset_name: str
    warnings: tuple[str, ...] = ()

    def summary(self) -> str:
        combine, total, new = tr(f"retrain.combine_{self.combine}"), number(len(self.frame)), number(self.batch_rows)
        if self.combine == "append":
            old = number(len(self.frame) - self.batch_rows)
            rows = tr(
                "retrain.summary_rows_append", total=total, combine=combine, new=new, old=old, base=self.base.name
            )
        else:
            rows = tr("retrain.summary_rows", total=total, combine=combine, new=new)
        return tr(
            "retrain.summary",
            name=self.name,
            alias=self.alias,
            version=self.version,
            rows=rows,
            recipe=self.recipe.describe(),
        )


@dataclass(frozen=True)
class HeldOutScore:
    """One model version scored on the shared held-out rows."""

    version: str
    run_id: str
    metrics: dict[str, float]
    verdict: str  # pass, fail or none (no KPIs)
    kpis: list[dict]  # {kpi, value, passed}
    predictions: list[str]


@dataclass(frozen=True)
class RetrainResult:
    """What a retraining produced and how the challenger compares with the champion."""

    name: str
    alias: str
    champion_version: str
    challenger_version: str
    data_run_id: str
    challenger_run_id: str
    combine: str
    batch_rows: int
    training_rows: int
    held_out_rows: int
    metric: str
    champion: HeldOutScore
    challenger: HeldOutScore
    better: bool  # the challenger scores higher on the primary metric on the shared held-out rows
    difference: str  # McNemar on those rows, in words
    gate: GateDecision | None  # the gate's view of moving ``alias`` to the challenger (None: no actor)
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    # the paired test behind ``difference`` (a core.compare.stats.Comparison, or why there is none), to show it in the
    # reader's language; ``difference`` itself is the English sentence stored with the comparison
    paired: object | None = field(default=None, compare=False, repr=False)

    def difference_shown(self) -> str:
        """``difference`` in the current language."""
        if isinstance(self.paired, str):
            return tr("retrain.no_paired_test", error=self.paired)
        shown = getattr(self.paired, "shown", None)
        return shown if isinstance(shown, str) else self.difference

    def table(self) -> pd.DataFrame:
        """Metric rows: champion, challenger, change (challenger minus champion), and the KPI verdicts."""
        rows = []
        metric, change = tr("retrain.col_metric"), tr("retrain.col_change")
        champion = tr("retrain.col_champion", version=self.champion_version)
        challenger = tr("retrain.col_challenger", version=self.challenger_version)
        for key in [*SCORE_METRICS, "latency_ms"]:
            old, new = self.champion.metrics.get(key), self.challenger.metrics.get(key)
            rows.append(
                {
                    metric: tr("retrain.primary", metric=key) if key == self.metric else key,
                    champion: old,
                    challenger: new,
                    change: None if old is None or new is None else new - old,
                }
            )
        rows.append(
            {
                metric: tr("retrain.kpi_verdict"),
                champion: governance.verdict_word(self.champion.verdict),
                challenger: governance.verdict_word(self.challenger.verdict),
                change: None,
            }
        )
        return pd.DataFrame(rows)

    def sentence(self) -> str:
        old, new = self.champion.metrics[self.metric], self.challenger.metrics[self.metric]
        return tr(
            "retrain.sentence_beats" if self.better else "retrain.sentence_not_better",
            challenger=self.challenger_version,
            champion=self.champion_version,
            rows=self.held_out_rows,
            metric=self.metric,
            new=number(new, 4),
            old=number(old, 4),
        )

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("paired")
        for side in ("champion", "challenger"):
            data[side].pop("predictions")
        data["gate"] = None if self.gate is None else {**asdict(self.gate), "allowed": self.gate.allowed}
        data["summary"] = self.sentence()
        return data


@dataclass(frozen=True)
class PromotionCheck:
    """May the challenger move to ``alias``? The gate's decision plus whether it beats the current holder."""

    alias: str
    version: str
    holder: str | None
    gate: GateDecision
    beats_holder: bool | None  # None: nothing to beat (no holder)
    message: str
    why: str = ""  # the held-out comparison with the holder, in words ("" when there is none)

    @property
    def allowed(self) -> bool:
        return self.gate.allowed and self.beats_holder is not False

    @property
    def overridable(self) -> bool:
        """Refused, but an override with a written reason may go ahead (approvers are never overridden)."""
        return not self.allowed and self.gate.approver_ok


# --- planning: every check before anything is written -----------------------------------------------------------


def _names(columns) -> str:
    # one line of bounded length: a name or label may be a 100 kB cell or hold line breaks
    shown = ", ".join(f"'{_short(c)}'" for c in columns[:10])
    return shown + (tr("retrain.and_more", count=len(columns) - 10) if len(columns) > 10 else "")


def _short(value, limit: int = 60) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rows(positions) -> str:
    shown = ", ".join(str(int(p) + 1) for p in positions[:5]) + (" …" if len(positions) > 5 else "")
    return tr(f"retrain.rows_{plural_category(len(positions))}", rows=shown)


def search_config_from_dict(data: dict) -> SearchConfig:
    """A logged search configuration (core.train.recipe), refused as a RetrainError."""
    try:
        return read_search_config(data)
    except RecipeError as exc:
        raise RetrainError(str(exc)) from None


def _check_columns(batch: pd.DataFrame, features: list[str], target: str) -> None:
    expected = [*features, target]
    columns = [str(c) for c in batch.columns]
    missing = [c for c in expected if c not in columns]
    extra = [c for c in columns if c not in expected]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if not missing and not extra and not duplicated:
        return
    problems = []
    if missing:
        problems.append(tr("retrain.columns_missing", names=_names(missing)))
    if extra:
        problems.append(tr("retrain.columns_extra", names=_names(extra)))
    if duplicated:
        problems.append(tr("retrain.columns_repeated", names=_names(duplicated)))
    raise RetrainError(
        tr("retrain.err_columns", problems="; ".join(problems), features=_names(features), target=target)
    )


def _check_batch(batch: pd.DataFrame, base: DatasetRecord) -> list[str]:
    """The batch against the training schema (check_batch) and its labels; RetrainError on what blocks, else
    the warnings worth showing."""
    target = base.target
    if len(batch) < MIN_BATCH_ROWS:
        rows = tr("retrain.labelled_row" if len(batch) == 1 else "retrain.labelled_rows", count=len(batch))
        raise RetrainError(tr("retrain.err_batch_small", rows=rows, minimum=MIN_BATCH_ROWS))
    findings = check_batch(batch[base.features], base.schema())
    errors = blocking(findings)
    if errors:
        raise RetrainError(blocking_message(findings))
    labels = batch[target]
    unlabelled = np.flatnonzero(labels.isna().to_numpy())
    if len(unlabelled):
        count = tr("retrain.count_rows" if len(unlabelled) > 1 else "retrain.count_row", count=len(unlabelled))
        raise RetrainError(tr("retrain.err_unlabelled", target=target, count=count, rows=_rows(unlabelled)))
    known = set(base.classes)
    text = labels.astype(str)
    unseen = sorted(set(text) - known)
    if unseen:
        where = np.flatnonzero(text.isin(unseen).to_numpy())
        raise RetrainError(
            tr(
                "retrain.err_unseen_labels" if len(unseen) > 1 else "retrain.err_unseen_label",
                labels=_names(unseen),
                target=target,
                rows=_rows(where),
                classes=_names(sorted(known)),
            )
        )
    return [f.message for f in with_severity(findings, "warning")]


def _align_labels(batch_labels: pd.Series, base_labels: pd.Series) -> pd.Series:
    """Batch labels in the training labels' type (a CSV may read 1 where training had '1', or the reverse)."""
    by_text = {str(v): v for v in base_labels.dropna().unique()}
    return batch_labels.map(lambda v: by_text.get(str(v), v))


def plan_retrain(
    name: str,
    batch: pd.DataFrame,
    alias: str = "champion",
    combine: str = "append",
    batch_name: str = "new batch",
) -> RetrainPlan:
    """Check a labelled batch against the model at ``name@alias`` and combine it with its training data.

    ``combine``: "append" (the champion's data set plus the batch) or "replace" (the batch only). Raises
    RetrainError (or RegistryError for an unknown model or alias) with what to change; writes nothing.
    """
    from mlflow.exceptions import MlflowException

    if combine not in COMBINE:
        raise RetrainError(tr("retrain.err_combine", choices=", ".join(COMBINE), combine=combine))
    if not isinstance(batch, pd.DataFrame):
        raise RetrainError(tr("retrain.err_not_a_table"))
    name = model_registry.validate_model_name(name)
    alias = model_registry.validate_alias(alias)
    version = model_registry.resolve_alias(name, alias)
    if not version.run_id:
        raise RetrainError(tr("retrain.err_no_source_run", name=name, alias=alias, version=version.version))
    try:
        run = model_registry._client().get_run(version.run_id)
    except MlflowException:
        raise RetrainError(tr("retrain.err_run_gone", run=version.run_id, name=name, version=version.version)) from None
    data_run = run.data.tags.get(TAG_DATA_RUN)
    if not data_run:
        raise RetrainError(tr("retrain.err_not_workbench", name=name, alias=alias, version=version.version))
    try:
        base = datastore.load_dataset(data_run)
    except DataError as exc:
        raise RetrainError(str(exc)) from None
    try:
        recipe = recipe_of(run)
    except RecipeError as exc:
        raise RetrainError(str(exc)) from None
    batch = batch.copy()
    batch.columns = [str(c) for c in batch.columns]
    _check_columns(batch, base.features, base.target)
    warnings = _check_batch(batch, base)
    columns = [*base.features, base.target]
    batch = batch[columns].reset_index(drop=True)
    batch[base.target] = _align_labels(batch[base.target], base.frame[base.target])
    if combine == "append":
        old = base.frame[columns].reset_index(drop=True)
        frame = pd.concat([old, batch], ignore_index=True)
        seen = tuple(int(p) for p in base.split.train)  # the old rows keep their positions
        dataset_name = f"{base.name} + {batch_name}"
    else:
        frame, seen, dataset_name = batch, (), batch_name
    roles = base.roles_of_features()
    try:
        _, _, findings = datastore.check_dataset(
            frame, base.target, roles, test_size=base.split.test_size, cv_folds=recipe.cv_folds
        )
    except DataError as exc:
        raise RetrainError(tr("retrain.err_combined_unusable", error=exc)) from None
    errors = blocking(findings)
    if errors:
        key = "retrain.err_batch_unusable" if combine == "replace" else "retrain.err_combined_unusable"
        raise RetrainError(tr(key, error=blocking_message(findings)))
    warnings += [f.message for f in with_severity(findings, "warning") if f.check != "duplicate_rows"]

    try:
        split = make_split(frame, base.target, base.split.test_size, base.split.seed)
    except DataError as exc:
        raise RetrainError(tr("retrain.err_cannot_split", error=exc)) from None
    shared = [p for p in split.test if p not in set(seen)]
    if not shared:
        raise RetrainError(tr("retrain.err_no_shared_rows"))
    if len(shared) < SMALL_HELD_OUT:
        warnings.append(tr("retrain.warn_few_shared", rows=len(shared)))
    project = projects.get_project(run.info.experiment_id)
    return RetrainPlan(
        name=name,
        alias=alias,
        version=version.version,
        champion_run=version.run_id,
        experiment_id=run.info.experiment_id,
        base=base,
        batch_rows=len(batch),
        combine=combine,
        frame=frame,
        champion_seen=seen,
        recipe=recipe,
        kpis=tuple(project.kpis),
        metric=primary_metric(project.kpis),
        dataset_name=dataset_name[:200],
        warnings=tuple(dict.fromkeys(warnings)),
    )


# --- running: record, train, register, compare ------------------------------------------------------------------


def _record(plan: RetrainPlan) -> DatasetRecord:
    """The combined data as a new data run; the project keeps pointing at the data it had (the data page's
    choice is the person's, not the pipeline's)."""

    before = projects.get_project(plan.experiment_id).data_run_id
    dataset = datastore.record_dataset(
        plan.experiment_id,
        plan.frame,
        plan.dataset_name,
        plan.base.target,
        test_size=plan.base.split.test_size,
        seed=plan.base.split.seed,
        roles=plan.base.roles_of_features(),
    )
    if before and before != dataset.run_id:
        projects.set_data_run(plan.experiment_id, before)
    return dataset


def _train(plan: RetrainPlan, dataset: DatasetRecord, on_progress, should_stop) -> str:
    """Rerun the recipe on the new training split; the run id of the new model."""
    if plan.recipe.kind == "search":

        def on_trial(trial, progress) -> None:
            if on_progress:
                on_progress(
                    0.1 + 0.7 * progress.fraction,
                    tr("retrain.progress_trial", done=progress.done, planned=progress.planned or "?"),
                )

        result = run_search(plan.experiment_id, dataset, plan.recipe.search, on_trial=on_trial, should_stop=should_stop)
        if result.model_uri is None:
            raise RetrainError(result.error or tr("retrain.err_search_no_model", status=result.status))
        return result.run_id

    if on_progress:
        on_progress(0.3, tr("retrain.progress_training", algorithm=plan.recipe.algorithm))
    result = train_model(
        plan.experiment_id, dataset, plan.recipe.algorithm, plan.recipe.params, plan.recipe.cv_folds, plan.recipe.steps
    )
    return result.run_id


def score_version(
    name: str, version: str, X: pd.DataFrame, y: pd.Series, kpis: list[KPI] | tuple[KPI, ...]
) -> HeldOutScore:
    """Score a registered version on given rows: metrics (with single-row latency), KPI verdict, predictions.

    Nothing is logged: a version's own stored evaluation (on its own data run) stays as it was.
    """
    import mlflow

    info = model_registry.get_version(name, version)
    model = mlflow.pyfunc.load_model(f"models:/{name}/{version}")
    predictions = [str(v) for v in np.asarray(model.predict(X)).ravel()]
    metrics = score_predictions(y, predictions)
    p50, p95 = single_row_latency_ms(model.predict, X)
    metrics.update({"latency_ms": p95, "latency_ms_p50": p50})
    results: list[KPIResult] = check_kpis(list(kpis), metrics)
    return HeldOutScore(
        str(version),
        info.run_id or "",
        metrics,
        verdict(results),
        [{"kpi": str(r.kpi), "value": r.value, "passed": r.passed} for r in results],
        predictions,
    )


def _difference(y_true, champion: HeldOutScore, challenger: HeldOutScore) -> tuple[str, object]:
    """The paired test in English words (stored with the comparison), and the test itself (or why there is
    none) for showing it in the reader's language."""

    try:
        result = stats.mcnemar(y_true, champion.predictions, challenger.predictions)
        acc_a = float(np.mean(np.asarray(champion.predictions) == y_true))
        acc_b = float(np.mean(np.asarray(challenger.predictions) == y_true))
        names = f"champion v{champion.version}", f"challenger v{challenger.version}"
        found = stats.compare_in_words(*names, acc_a, acc_b, result)
        return found.sentence, found
    except ValueError as exc:
        return f"No paired test: {exc}", str(exc)


def run_retrain(
    plan: RetrainPlan,
    actor: Actor,
    on_progress: Callable[[float, str], None] | None = None,
    should_stop: Callable[[], object] | None = None,
) -> RetrainResult:
    """Record the combined data, rerun the recipe, register the model, point @challenger at it (audited), and
    score champion and challenger on the same held-out rows. ``on_progress(fraction, text)`` hears each step;
    ``should_stop`` is passed to a search (its trials so far are kept and the best is refit)."""
    import mlflow

    if not actor.name.strip():
        raise RetrainError(tr("retrain.err_who_first"))
    started = time.perf_counter()

    def say(fraction: float, text: str) -> None:
        if on_progress:
            on_progress(fraction, text)

    say(0.02, tr("retrain.progress_recording"))
    dataset = _record(plan)
    say(0.1, plan.recipe.describe())
    run_id = _train(plan, dataset, on_progress, should_stop)
    client = model_registry._client()
    client.set_tag(run_id, TAG_RETRAIN_OF, f"{plan.name}@{plan.alias} v{plan.version}")
    say(0.8, tr("retrain.progress_evaluating"))
    evaluate_run(run_id, list(plan.kpis))  # its own KPI verdict, which the gate reads
    say(0.85, tr("retrain.progress_registering"))
    description = (
        f"Retrained with new data ({plan.batch_rows} rows, {plan.combine}) from {plan.name}@{plan.alias} "
        f"v{plan.version} by {actor.name.strip()}."
    )
    info = model_registry.register(run_id, plan.name, description=description)
    say(0.9, tr("retrain.progress_scoring"))
    seen = set(plan.champion_seen)
    shared = [p for p in dataset.split.test if p not in seen]
    rows = dataset.frame.iloc[shared]
    X, y = rows[dataset.features], rows[dataset.target]
    champion = score_version(plan.name, plan.version, X, y, plan.kpis)
    challenger = score_version(plan.name, info.version, X, y, plan.kpis)
    better = challenger.metrics[plan.metric] > champion.metrics[plan.metric]
    difference, paired = _difference(y.astype(str).to_numpy(), champion, challenger)
    comparison = {
        "model": plan.name,
        "alias": plan.alias,
        "champion_version": plan.version,
        "challenger_version": info.version,
        "data_run_id": dataset.run_id,
        "held_out_positions": [int(p) for p in shared],
        "metric": plan.metric,
        "better": better,
        "difference": difference,
        "champion": asdict(champion),
        "challenger": asdict(challenger),
        "combine": plan.combine,
        "batch_rows": plan.batch_rows,
    }
    mlflow.MlflowClient().log_dict(run_id, comparison, COMPARISON_ARTIFACT)
    client.set_tag(run_id, TAG_RETRAIN_BETTER, str(better).lower())
    governance.move_alias(
        plan.name, CHALLENGER, info.version, actor, reason=f"retrained with new data: {plan.batch_rows} rows"
    )
    gate = governance.check_gate(plan.name, plan.alias, info.version, actor)
    say(1.0, tr("retrain.progress_done"))
    return RetrainResult(
        name=plan.name,
        alias=plan.alias,
        champion_version=plan.version,
        challenger_version=info.version,
        data_run_id=dataset.run_id,
        challenger_run_id=run_id,
        combine=plan.combine,
        batch_rows=plan.batch_rows,
        training_rows=len(dataset.split.train),
        held_out_rows=len(shared),
        metric=plan.metric,
        champion=champion,
        challenger=challenger,
        better=better,
        difference=difference,
        paired=paired,
        gate=gate,
        warnings=plan.warnings,
        seconds=time.perf_counter() - started,
    )


def retrain(
    name: str,
    batch: pd.DataFrame,
    actor: Actor,
    alias: str = "champion",
    combine: str = "append",
    batch_name: str = "new batch",
    on_progress: Callable[[float, str], None] | None = None,
) -> RetrainResult:
    """plan_retrain, then run_retrain."""
    return run_retrain(plan_retrain(name, batch, alias, combine, batch_name), actor, on_progress)


# --- promotion ----------------------------------------------------------------------------------------------------


def load_comparison(name: str, version: str) -> dict | None:
    """The shared held-out comparison stored with a retrained version, or None (not retrained here)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    run_id = model_registry.get_version(name, version).run_id
    if not run_id:
        return None
    try:
        data = mlflow.artifacts.load_dict(f"runs:/{run_id}/{COMPARISON_ARTIFACT}")
    except (MlflowException, OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def check_promotion(name: str, actor: Actor, to_alias: str = "champion", version: str | None = None) -> PromotionCheck:
    """The gate's decision for moving ``to_alias`` to the challenger (``version``, default @challenger's), plus
    whether it beat the current holder on the shared held-out rows of its retraining."""
    to_alias = model_registry.validate_alias(to_alias)
    version = str(version) if version is not None else model_registry.resolve_alias(name, CHALLENGER).version
    gate = governance.check_gate(name, to_alias, version, actor)
    holder = model_registry.get_model(name).aliases.get(to_alias)
    beats: bool | None = None
    why_key, fields = "", {}
    if holder is not None and holder != version:
        comparison = load_comparison(name, version)
        if comparison is None:
            beats, why_key, fields = False, "retrain.why_not_retrained", {"version": version, "holder": holder}
        elif str(comparison["champion_version"]) != holder:
            beats, why_key = False, "retrain.why_other_holder"
            fields = {
                "version": version,
                "compared": comparison["champion_version"],
                "alias": to_alias,
                "holder": holder,
            }
        else:
            metric = comparison["metric"]
            new, old = comparison["challenger"]["metrics"][metric], comparison["champion"]["metrics"][metric]
            beats = bool(comparison["better"])
            why_key = "retrain.why_beats" if beats else "retrain.why_not_better"
            fields = {
                "version": version,
                "holder": holder,
                "rows": len(comparison["held_out_positions"]),
                "metric": metric,
                "new": number(new, 4),
                "old": number(old, 4),
            }
    why = tr(why_key, **fields) if why_key else ""  # shown in the person's language
    recorded = translate(why_key, "en", **fields) if why_key else ""  # the audit trail stays English
    if not gate.allowed:
        message = gate.message + (" " + tr("retrain.also", why=why) if why and beats is False else "")
    elif beats is False:
        message = tr("retrain.stays", alias=to_alias, holder=holder, why=why)
    else:
        message = gate.message + (" " + tr("retrain.challenger_why", why=why) if why else "")
    return PromotionCheck(to_alias, version, holder, gate, beats, message, f"challenger {recorded}" if recorded else "")


def promote_challenger(
    name: str,
    actor: Actor,
    to_alias: str = "champion",
    reason: str = "",
    force: bool = False,
    version: str | None = None,
) -> governance.AuditEntry:
    """Move ``to_alias`` to the challenger through the gate (audited). Refused — nothing moves — when the gate
    refuses or the challenger does not beat the current holder on the shared held-out rows, unless ``force``
    with a written reason (approvers are never overridden)."""
    decision = check_promotion(name, actor, to_alias, version)
    if not decision.allowed:
        if not decision.gate.approver_ok:
            raise GovernanceError(decision.message)
        if not force:
            if decision.gate.verdict_ok:
                raise NotBetter(decision.message)
            raise GovernanceError(decision.message)
        if len((reason or "").strip()) < governance.MIN_REASON:
            raise GovernanceError(
                tr("retrain.err_override_reason", minimum=governance.MIN_REASON, message=decision.message)
            )
    reason = (reason or "").strip()
    if decision.beats_holder is False:
        reason = f"[promoted although it does not beat v{decision.holder}] {reason}"
    elif decision.beats_holder and not reason:
        reason = decision.why
    return governance.move_alias(
        name,
        decision.alias,
        decision.version,
        actor,
        reason=reason,
        override=force,
        expected_from=decision.holder,
    )


__all__ = [
    "COMBINE",
    "MIN_BATCH_ROWS",
    "NotBetter",
    "PromotionCheck",
    "Recipe",
    "RetrainError",
    "RetrainPlan",
    "RetrainResult",
    "check_promotion",
    "load_comparison",
    "plan_retrain",
    "promote_challenger",
    "retrain",
    "run_retrain",
    "score_version",
    "search_config_from_dict",
]
