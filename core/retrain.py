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
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from core import governance, registry
from core.data import DataError
from core.datastore import DatasetRecord
from core.features import FeatureSteps
from core.governance import Actor, GateDecision, GovernanceError
from core.kpis import KPI, SCORE_METRICS, KPIResult, check_kpis, primary_metric, verdict

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


class RetrainError(ValueError):
    """A retraining that cannot be done, with what to change; nothing was written."""


class NotBetter(GovernanceError):
    """The challenger does not beat the alias's current holder on the shared held-out rows; nothing moved."""


@dataclass(frozen=True)
class Recipe:
    """How the champion was made, so it can be made again on new data."""

    kind: str  # "search" (rerun search.json) or "train" (one training run)
    source_run: str
    algorithm: str
    params: dict[str, object] = field(default_factory=dict)  # "train": the hyperparameters as logged
    steps: FeatureSteps = FeatureSteps()
    cv_folds: int = 5
    search: object | None = None  # core.tuning.SearchConfig for "search"

    def describe(self) -> str:
        if self.kind == "search":
            config = self.search
            trials = f"{config.max_trials} trials" if config.max_trials else "no trial limit"
            return (
                f"rerun the recorded {config.method} search of {self.algorithm} "
                f"({trials}, {config.cv_folds}-fold CV on {config.metric}) from run {self.source_run[:8]}"
            )
        return f"train {self.algorithm} again with the hyperparameters and feature steps of run {self.source_run[:8]}"


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
        rows = f"{len(self.frame):,} rows ({COMBINE[self.combine]}: {self.batch_rows:,} new"
        old = len(self.frame) - self.batch_rows
        rows += f" + {old:,} from '{self.base.name}')" if self.combine == "append" else ")"
        return f"Retrain {self.name}@{self.alias} (v{self.version}) on {rows}; {self.recipe.describe()}."


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

    def table(self) -> pd.DataFrame:
        """Metric rows: champion, challenger, change (challenger minus champion), and the KPI verdicts."""
        rows = []
        for key in [*SCORE_METRICS, "latency_ms"]:
            old, new = self.champion.metrics.get(key), self.challenger.metrics.get(key)
            rows.append(
                {
                    "metric": key + (" (primary)" if key == self.metric else ""),
                    f"champion v{self.champion_version}": old,
                    f"challenger v{self.challenger_version}": new,
                    "change": None if old is None or new is None else new - old,
                }
            )
        rows.append(
            {
                "metric": "KPI verdict",
                f"champion v{self.champion_version}": self.champion.verdict,
                f"challenger v{self.challenger_version}": self.challenger.verdict,
                "change": None,
            }
        )
        return pd.DataFrame(rows)

    def sentence(self) -> str:
        old, new = self.champion.metrics[self.metric], self.challenger.metrics[self.metric]
        which = "beats" if self.better else "does not beat"
        return (
            f"Challenger v{self.challenger_version} {which} champion v{self.champion_version} on the same "
            f"{self.held_out_rows} held-out rows: {self.metric} {new:.4f} vs {old:.4f}."
        )

    def as_dict(self) -> dict:
        data = asdict(self)
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
    return shown + (f" and {len(columns) - 10} more" if len(columns) > 10 else "")


def _short(value, limit: int = 60) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rows(positions) -> str:
    shown = ", ".join(str(int(p) + 1) for p in positions[:5])
    return f"row{'s' if len(positions) > 1 else ''} {shown}" + (" …" if len(positions) > 5 else "")


def _recipe(run) -> Recipe:
    """The champion's recipe: its search.json when it was a search, else its training run's params."""
    import mlflow
    from mlflow.exceptions import MlflowException

    from core.algorithms import AlgorithmError, clean_params, get_algorithm

    params, tags = run.data.params, run.data.tags
    run_id = run.info.run_id
    if tags.get("qua3ck.search"):
        try:
            stored = mlflow.artifacts.load_dict(f"runs:/{run_id}/search.json")
        except (MlflowException, OSError, ValueError):
            raise RetrainError(
                f"The champion's search run {run_id[:8]} has no readable search.json, so its search cannot be rerun."
            ) from None
        config = search_config_from_dict(stored)
        return Recipe("search", run_id, config.algorithm, steps=config.steps, cv_folds=config.cv_folds, search=config)
    algorithm = params.get("algorithm")
    try:
        spec = get_algorithm(algorithm or "")
        raw = {p.name: params.get(p.name, p.default) for p in spec.params}
        clean_params(algorithm, raw)
        steps = FeatureSteps.from_params(params)
        folds = int(params.get("cv_folds") or 5)
    except (AlgorithmError, ValueError, TypeError) as exc:
        raise RetrainError(
            f"The champion's run {run_id[:8]} does not record a recipe the workbench can rerun: {exc}"
        ) from None
    return Recipe("train", run_id, algorithm, _typed(algorithm, raw), steps, max(2, folds))


def _typed(algorithm: str, raw: dict[str, object]) -> dict[str, object]:
    """Logged hyperparameters (text) as the catalogue's types; 0 stays 0 where it means 'unlimited'."""
    from core.algorithms import choice_value, get_algorithm

    typed: dict[str, object] = {}
    for p in get_algorithm(algorithm).params:
        value = raw[p.name]
        if p.kind == "choice":
            typed[p.name] = choice_value(p, value)
        elif value is None or str(value) == "None":
            typed[p.name] = 0 if p.none_label else p.default
        else:
            number = float(value)
            typed[p.name] = int(number) if p.kind == "int" else number
    return typed


def search_config_from_dict(data: dict):
    """The SearchConfig a search logged as search.json (``SearchConfig.as_dict``), with choices as values again."""
    from core.algorithms import AlgorithmError, choice_value, get_algorithm
    from core.search_space import Dimension, SearchSpaceError
    from core.tuning import SearchConfig

    try:
        algorithm = data["algorithm"]
        specs = {p.name: p for p in get_algorithm(algorithm).params}
        space = []
        for d in data.get("space") or []:
            spec = specs[d["name"]]
            choices = tuple(choice_value(spec, c) for c in d.get("choices") or ())
            space.append(replace(Dimension(**{**d, "choices": ()}), choices=choices))
        base = {}
        for name, value in (data.get("base_params") or {}).items():
            spec = specs[name]
            base[name] = choice_value(spec, value) if spec.kind == "choice" else _number(value, spec)
        known = set(SearchConfig.__dataclass_fields__) - {"algorithm", "space", "base_params", "steps"}
        config = SearchConfig(
            algorithm=algorithm,
            space=tuple(space),
            base_params=base,
            steps=FeatureSteps(**(data.get("steps") or {})),
            **{k: v for k, v in data.items() if k in known},
        )
        config.validate()
    except (KeyError, TypeError, ValueError, AlgorithmError, SearchSpaceError) as exc:
        raise RetrainError(f"The recorded search configuration cannot be used again: {exc}") from None
    return config


def _number(value, spec):
    if value is None or str(value) == "None":
        return 0 if spec.none_label else spec.default
    number = float(value)
    return int(number) if spec.kind == "int" else number


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
        problems.append(f"missing {_names(missing)}")
    if extra:
        problems.append(f"not in the training data: {_names(extra)}")
    if duplicated:
        problems.append(f"repeated {_names(duplicated)}")
    raise RetrainError(
        f"The batch's columns do not match the training data: {'; '.join(problems)}. It needs exactly the "
        f"features {_names(features)} and the target '{target}'; rename or drop columns so they match."
    )


def _check_batch(batch: pd.DataFrame, base: DatasetRecord) -> list[str]:
    """The batch against the training schema (check_batch) and its labels; RetrainError on what blocks, else
    the warnings worth showing."""
    from core.validation import blocking, check_batch

    target = base.target
    if len(batch) < MIN_BATCH_ROWS:
        raise RetrainError(
            f"The batch has {len(batch)} labelled row{'s' if len(batch) != 1 else ''}; retraining needs at least "
            f"{MIN_BATCH_ROWS}, so that the new rows reach both the training and the held-out split."
        )
    findings = check_batch(batch[base.features], base.schema())
    errors = blocking(findings)
    if errors:
        raise RetrainError(" ".join(f.message for f in errors[:3]))
    labels = batch[target]
    unlabelled = np.flatnonzero(labels.isna().to_numpy())
    if len(unlabelled):
        raise RetrainError(
            f"The target '{target}' is missing in {len(unlabelled)} row{'s' if len(unlabelled) > 1 else ''} of the "
            f"batch ({_rows(unlabelled)}); every row of a retraining batch needs its label."
        )
    known = set(base.classes)
    text = labels.astype(str)
    unseen = sorted(set(text) - known)
    if unseen:
        where = np.flatnonzero(text.isin(unseen).to_numpy())
        raise RetrainError(
            f"The batch has label{'s' if len(unseen) > 1 else ''} {_names(unseen)} for '{target}' that the model "
            f"never saw in training ({_rows(where)}); its classes are {_names(sorted(known))}. Retraining keeps "
            "the classes; a new class needs a new model (train one on the Train page)."
        )
    return [f.message for f in findings if f.severity == "warning"]


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

    from core import datastore, projects
    from core.training import TAG_DATA_RUN
    from core.validation import blocking

    if combine not in COMBINE:
        raise RetrainError(f"Combine must be one of {', '.join(COMBINE)}, not '{combine}'.")
    if not isinstance(batch, pd.DataFrame):
        raise RetrainError("The batch must be a table of labelled rows.")
    name = registry.validate_model_name(name)
    alias = registry.validate_alias(alias)
    version = registry.resolve_alias(name, alias)
    if not version.run_id:
        raise RetrainError(f"{name}@{alias} (v{version.version}) has no source run, so its recipe is unknown.")
    try:
        run = registry._client().get_run(version.run_id)
    except MlflowException:
        raise RetrainError(f"The run {version.run_id} of {name} v{version.version} no longer exists.") from None
    data_run = run.data.tags.get(TAG_DATA_RUN)
    if not data_run:
        raise RetrainError(
            f"{name}@{alias} (v{version.version}) was not trained by the workbench on a project data set, "
            "so there is no training data or recipe to retrain with."
        )
    try:
        base = datastore.load_dataset(data_run)
    except DataError as exc:
        raise RetrainError(str(exc)) from None
    recipe = _recipe(run)
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
        raise RetrainError(f"The combined data cannot be used for training: {exc}") from None
    errors = blocking(findings)
    if errors:
        what = "The batch" if combine == "replace" else "The combined data"
        raise RetrainError(f"{what} cannot be used for training: " + " ".join(f.message for f in errors[:3]))
    warnings += [f.message for f in findings if f.severity == "warning" and f.check != "duplicate_rows"]
    from core.data import make_split

    try:
        split = make_split(frame, base.target, base.split.test_size, base.split.seed)
    except DataError as exc:
        raise RetrainError(f"The combined data cannot be split: {exc}") from None
    shared = [p for p in split.test if p not in set(seen)]
    if not shared:
        raise RetrainError(
            "No held-out row is left that neither model was trained on; add rows to the batch or choose 'replace'."
        )
    if len(shared) < SMALL_HELD_OUT:
        warnings.append(
            f"Champion and challenger will be compared on only {len(shared)} held-out rows; a few rows decide "
            "the comparison. A larger batch gives a steadier answer."
        )
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
    from core import datastore, projects

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
        from core.tuning import run_search

        def on_trial(trial, progress) -> None:
            if on_progress:
                on_progress(0.1 + 0.7 * progress.fraction, f"trial {progress.done} of {progress.planned or '?'}")

        result = run_search(plan.experiment_id, dataset, plan.recipe.search, on_trial=on_trial, should_stop=should_stop)
        if result.model_uri is None:
            raise RetrainError(result.error or f"The search ended ({result.status}) without a model; nothing else ran.")
        return result.run_id
    from core.training import train_model

    if on_progress:
        on_progress(0.3, f"training {plan.recipe.algorithm}")
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

    from core.evaluation import score_predictions, single_row_latency_ms

    info = registry.get_version(name, version)
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


def _difference(y_true, champion: HeldOutScore, challenger: HeldOutScore) -> str:
    from core import stats

    try:
        result = stats.mcnemar(y_true, champion.predictions, challenger.predictions)
        acc_a = float(np.mean(np.asarray(champion.predictions) == y_true))
        acc_b = float(np.mean(np.asarray(challenger.predictions) == y_true))
        names = f"champion v{champion.version}", f"challenger v{challenger.version}"
        return stats.compare_in_words(*names, acc_a, acc_b, result).sentence
    except ValueError as exc:
        return f"No paired test: {exc}"


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

    from core.evaluation import evaluate_run

    if not actor.name.strip():
        raise RetrainError("Say who you are first: the challenger alias move records a name.")
    started = time.perf_counter()

    def say(fraction: float, text: str) -> None:
        if on_progress:
            on_progress(fraction, text)

    say(0.02, "recording the combined data set")
    dataset = _record(plan)
    say(0.1, plan.recipe.describe())
    run_id = _train(plan, dataset, on_progress, should_stop)
    client = registry._client()
    client.set_tag(run_id, TAG_RETRAIN_OF, f"{plan.name}@{plan.alias} v{plan.version}")
    say(0.8, "evaluating the challenger on its held-out rows")
    evaluate_run(run_id, list(plan.kpis))  # its own KPI verdict, which the gate reads
    say(0.85, "registering the challenger")
    description = (
        f"Retrained with new data ({plan.batch_rows} rows, {plan.combine}) from {plan.name}@{plan.alias} "
        f"v{plan.version} by {actor.name.strip()}."
    )
    info = registry.register(run_id, plan.name, description=description)
    say(0.9, "scoring champion and challenger on the same held-out rows")
    seen = set(plan.champion_seen)
    shared = [p for p in dataset.split.test if p not in seen]
    rows = dataset.frame.iloc[shared]
    X, y = rows[dataset.features], rows[dataset.target]
    champion = score_version(plan.name, plan.version, X, y, plan.kpis)
    challenger = score_version(plan.name, info.version, X, y, plan.kpis)
    better = challenger.metrics[plan.metric] > champion.metrics[plan.metric]
    difference = _difference(y.astype(str).to_numpy(), champion, challenger)
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
    say(1.0, "done")
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

    run_id = registry.get_version(name, version).run_id
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
    to_alias = registry.validate_alias(to_alias)
    version = str(version) if version is not None else registry.resolve_alias(name, CHALLENGER).version
    gate = governance.check_gate(name, to_alias, version, actor)
    holder = registry.get_model(name).aliases.get(to_alias)
    beats: bool | None = None
    why = ""
    if holder is not None and holder != version:
        comparison = load_comparison(name, version)
        if comparison is None:
            beats, why = False, f"v{version} was not retrained here, so it was never compared with v{holder}"
        elif str(comparison["champion_version"]) != holder:
            beats = False
            why = (
                f"v{version} was compared with v{comparison['champion_version']}, but @{to_alias} holds v{holder}; "
                f"retrain against @{to_alias} to compare with it"
            )
        else:
            metric = comparison["metric"]
            new, old = comparison["challenger"]["metrics"][metric], comparison["champion"]["metrics"][metric]
            beats = bool(comparison["better"])
            rows = len(comparison["held_out_positions"])
            verb = "beats" if beats else "does not beat"
            why = f"v{version} {verb} v{holder} on the same {rows} held-out rows ({metric} {new:.4f} vs {old:.4f})"
    if not gate.allowed:
        message = gate.message + (f" Also, {why}." if why and beats is False else "")
    elif beats is False:
        message = f"@{to_alias} stays on v{holder}: {why}. Override with a written reason to promote anyway."
    else:
        message = gate.message + (f" Challenger {why}." if why else "")
    return PromotionCheck(to_alias, version, holder, gate, beats, message, f"challenger {why}" if why else "")


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
                f"Overriding needs a written reason of at least {governance.MIN_REASON} characters: {decision.message}"
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
