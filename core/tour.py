"""The guided tour: the handout's Iris example walked through every QUA³CK phase by the workbench's own core
functions, one step at a time (question and KPIs, data, a random-forest search, the held-out comparison, a
registered version, ``@production`` through the governance gate, one prediction).

Progress lives in the store, not in a session: each step knows how to find its effect in MLflow, so a tour
resumed in a new session or after a skip continues at the first step whose effect is missing, and a step whose
effect already exists writes nothing. Each step's ``Outcome`` names what it holds and where ``mlflow ui`` shows it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace

from core import data, datastore, evaluation, governance, jobs, predict, prediction_log, projects, registry
from core.config import active_store
from core.evaluation import TAG_VERDICT
from core.i18n import tr
from core.kpis import DEFAULT_KPIS, primary_metric
from core.search_space import default_space
from core.training import TAG_ALGORITHM, TAG_DATA_RUN, TAG_MODEL_URI
from core.tuning import TAG_SEARCH_STATUS, SearchConfig

TAG_TOUR = "qua3ck.tour"  # experiment tag on the example: started, skipped or finished (a tour was begun there)
TAG_PREDICTION = "qua3ck.tour_prediction"  # model-version tag: the tour's prediction with that version, as JSON
TAG_SEARCH = "qua3ck.search"
STARTED, SKIPPED, FINISHED = "started", "skipped", "finished"
ACTOR = "Guided tour"  # the name the audit trail records for the tour's alias move
ALIAS = "production"
DATASET, TARGET = "iris", "species"
ALGORITHM = "random_forest"
SEARCH_TRIALS = 6  # enough to show a search at work; a few seconds on two cores
SEARCH_FOLDS = 5
SEARCH_WAIT_S = 600.0
PREDICTION_SOURCE = "guided tour"  # the prediction log's source column for the tour's prediction


class TourError(ValueError):
    """A tour step that cannot be done, with a message for people; the tour can be resumed after it."""


@dataclass(frozen=True)
class Step:
    """One stop of the tour: its catalogue area ``tour.<key>`` and the page file under pages/ it pauses on."""

    key: str
    page: str

    @property
    def number(self) -> int:
        return STEP_KEYS.index(self.key) + 1


@dataclass(frozen=True)
class Outcome:
    """What a step holds in the store: values for its explanation (``tour.<key>.done`` and ``notes``, catalogue
    keys of extra lines) and the path of the object in ``mlflow ui``. ``performed`` is False when the step found
    its effect already in the store and wrote nothing."""

    key: str
    facts: dict[str, str]
    mlflow_path: str
    notes: tuple[str, ...] = ()
    performed: bool = False

    @property
    def step(self) -> Step:
        return STEPS[STEP_KEYS.index(self.key)]


@dataclass(frozen=True)
class Survey:
    """Where the tour stands in the store: the outcomes of the steps done, in order, up to the first one not done."""

    outcomes: tuple[Outcome, ...]
    state: str | None  # the example's TAG_TOUR: started, skipped, or None (no tour was begun there)
    store_empty: bool  # no project at all: the tour is what a newcomer should see first

    @property
    def done(self) -> int:
        return len(self.outcomes)

    @property
    def finished(self) -> bool:
        return self.done == len(STEPS)

    @property
    def next_step(self) -> Step | None:
        return None if self.finished else STEPS[self.done]


@dataclass
class _Found:
    """What the steps found so far while walking the store; each finder reads its predecessors' findings."""

    project: projects.Project | None = None
    data_run: object = None  # mlflow Run
    search_run: object = None  # mlflow Run
    model: str | None = None
    version: registry.VersionInfo | None = None
    served: str | None = None  # the version @production points at


def _client():
    from mlflow import MlflowClient

    active_store()
    return MlflowClient()


def _run_path(run) -> str:
    return f"#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"


def _live_run(run_id: str | None):
    """The run, or None when it does not exist or was deleted."""
    from mlflow.exceptions import MlflowException

    if not run_id:
        return None
    try:
        run = _client().get_run(run_id)
    except MlflowException:
        return None
    return run if run.info.lifecycle_stage == "active" else None


def _score(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "—"


# ---- 1: question and KPIs --------------------------------------------------------------------------------------


def _find_question(found: _Found) -> Outcome | None:
    project = projects.find_project(projects.EXAMPLE_NAME)
    found.project = project
    if project is None or not (project.question.strip() and project.kpis_set and project.kpis):
        return None
    facts = {
        "project": project.name,
        "experiment_id": project.experiment_id,
        "kpis": ", ".join(str(k) for k in project.kpis),
    }
    return Outcome("question", facts, f"#/experiments/{project.experiment_id}")


def _do_question(found: _Found, actor: governance.Actor) -> None:
    project = projects.ensure_example_project()
    # only what is missing is filled in: a question or KPIs someone already chose for the example stay
    question = project.question.strip() or projects.EXAMPLE_QUESTION
    kpis = list(project.kpis) if project.kpis_set and project.kpis else list(DEFAULT_KPIS)
    if question != project.question or not (project.kpis_set and project.kpis):
        projects.save_question_and_kpis(project.experiment_id, question, kpis)


# ---- 2: data ---------------------------------------------------------------------------------------------------


def _find_data(found: _Found) -> Outcome | None:
    found.project = projects.get_project(found.project.experiment_id)  # recording the data re-tags the experiment
    run = _live_run(found.project.data_run_id)
    found.data_run = run
    if run is None:
        return None
    params = run.data.params
    facts = {
        "dataset": params.get("dataset", ""),
        "rows": params.get("rows", "?"),
        "features": params.get("features", "?"),
        "test_percent": f"{float(params.get('test_size', 0)) * 100:.0f}",
        "digest": run.data.tags.get(datastore.TAG_DIGEST, ""),
        "run_id": run.info.run_id,
    }
    return Outcome("data", facts, _run_path(run))


def _do_data(found: _Found, actor: governance.Actor) -> None:
    datastore.record_dataset(found.project.experiment_id, data.load_builtin(DATASET), DATASET, TARGET)


# ---- 3: random-forest search -----------------------------------------------------------------------------------


def _metric(found: _Found) -> str:
    return primary_metric(found.project.kpis)


def _find_search(found: _Found) -> Outcome | None:
    metric = _metric(found)
    # the best finished random-forest search with a model on the project's current data, whoever started it
    filter_string = (
        f"tags.`{TAG_SEARCH}` = '1' and tags.`{TAG_ALGORITHM}` = '{ALGORITHM}' "
        f"and tags.`{TAG_DATA_RUN}` = '{found.data_run.info.run_id}' and attributes.status = 'FINISHED'"
    )
    runs = _client().search_runs(
        [found.project.experiment_id],
        filter_string=filter_string,
        order_by=[f"metrics.`cv_{metric}` DESC", "attributes.start_time DESC"],
        max_results=50,
    )
    run = next((r for r in runs if r.data.tags.get(TAG_MODEL_URI)), None)
    found.search_run = run
    if run is None:
        return None
    params = run.data.params
    searched = ", ".join(f"{d.name}={params[d.name]}" for d in default_space(ALGORITHM) if d.name in params)
    trials = run.data.metrics.get("search.trials")
    facts = {
        "run_id": run.info.run_id,
        "trials": str(int(trials)) if trials is not None else "?",
        "metric": metric,
        "cv_score": _score(run.data.metrics.get(f"cv_{metric}")),
        "params": searched or "—",
        "status": run.data.tags.get(TAG_SEARCH_STATUS, ""),
    }
    return Outcome("search", facts, _run_path(run))


def _do_search(found: _Found, actor: governance.Actor) -> None:
    record = datastore.load_dataset(found.data_run.info.run_id)
    config = SearchConfig(
        ALGORITHM,
        "random",
        default_space(ALGORITHM),
        max_trials=SEARCH_TRIALS,
        cv_folds=SEARCH_FOLDS,
        metric=_metric(found),
        seed=record.split.seed,
    )
    # a background job like the A³ page's, so that page shows this search (trials, chart) when the tour pauses there
    job = jobs.start_search(found.project.experiment_id, record, config)
    if not job.wait(SEARCH_WAIT_S):
        job.stop()
        job.wait(60)
    view = job.view()
    if view.result is None or not view.result.model_uri:
        raise TourError(tr("tour.search_failed", status=view.status, error=view.error or ""))


# ---- 4: held-out comparison ------------------------------------------------------------------------------------


def _find_compare(found: _Found) -> Outcome | None:
    run = found.search_run = _client().get_run(found.search_run.info.run_id)  # evaluating adds metrics and tags
    verdict = run.data.tags.get(TAG_VERDICT)
    if not verdict:
        return None
    metric = _metric(found)
    metrics = run.data.metrics
    facts = {
        "run_id": run.info.run_id,
        "metric": metric,
        "test_score": _score(metrics.get(f"test_{metric}")),
        "latency": f"{metrics['test_latency_ms']:.1f}" if "test_latency_ms" in metrics else "—",
        "verdict": verdict,
        "kpis": ", ".join(str(k) for k in found.project.kpis),
    }
    return Outcome("compare", facts, _run_path(run))


def _do_compare(found: _Found, actor: governance.Actor) -> None:
    evaluation.evaluate_run(found.search_run.info.run_id, found.project.kpis)


# ---- 5: register -----------------------------------------------------------------------------------------------


def _find_register(found: _Found) -> Outcome | None:
    found.model = registry.suggested_model_name(found.project.name)
    try:
        versions = registry.list_versions(found.model)
    except registry.RegistryError:  # no such model yet
        versions = []
    run_id = found.search_run.info.run_id
    found.version = next((v for v in versions if v.run_id == run_id), None)  # newest first
    if found.version is None:
        return None
    facts = {"model": found.model, "version": found.version.version, "run_id": run_id}
    return Outcome("register", facts, f"#/models/{found.model}/versions/{found.version.version}")


def _do_register(found: _Found, actor: governance.Actor) -> None:
    registry.register(found.search_run.info.run_id, found.model, tr("tour.version_description"))


# ---- 6: @production through the gate --------------------------------------------------------------------------


def _find_alias(found: _Found) -> Outcome | None:
    found.served = registry.get_model(found.model).aliases.get(ALIAS)
    if found.served is None:
        return None  # wherever @production points, it is a person's choice the tour does not overrule
    entries = [e for e in governance.history(found.model, ALIAS) if e.applied]
    last = entries[0] if entries else None
    facts = {
        "model": found.model,
        "alias": ALIAS,
        "version": found.served,
        "uri": f"models:/{found.model}@{ALIAS}",
        "who": last.who if last else "—",  # "—": set outside the workbench, so there is no audit entry
        "verdict": (last.verdict if last else "") or governance.version_verdict(found.model, found.served),
    }
    return Outcome("alias", facts, f"#/models/{found.model}")


def _do_alias(found: _Found, actor: governance.Actor) -> None:
    # expected_from=None: @production had no holder when the tour looked; if someone set it meanwhile, nothing moves
    governance.move_alias(
        found.model, ALIAS, found.version.version, actor, reason=tr("tour.alias_reason"), expected_from=None
    )


# ---- 7: one prediction -----------------------------------------------------------------------------------------


def _find_predict(found: _Found) -> Outcome | None:
    raw = registry.version_tags(found.model, found.served).get(TAG_PREDICTION)
    if not raw:
        return None
    try:
        stored = json.loads(raw)
    except ValueError:
        return None  # a tag someone edited by hand: predict again
    facts = {
        "model": found.model,
        "version": found.served,
        "uri": f"models:/{found.model}@{ALIAS}",
        "label": str(stored.get("label", "")),
        "truth": str(stored.get("truth", "")),
        "probability": f"{float(stored.get('probability') or 0) * 100:.0f}",
        "latency": f"{float(stored.get('latency_ms') or 0):.1f}",
        "inputs": ", ".join(f"{k} = {v}" for k, v in (stored.get("inputs") or {}).items()),
    }
    log_run = _prediction_log_run(found)
    if log_run is not None:
        facts["log_path"] = _run_path(log_run)
    notes = ("tour.predict.logged",) if log_run is not None else ("tour.predict.not_logged",)
    return Outcome("predict", facts, f"#/models/{found.model}/versions/{found.served}", notes)


def _prediction_log_run(found: _Found):
    # the model name is the example's suggested one (letters, digits, dashes), safe inside the quotes
    filter_string = (
        f"tags.`{datastore.TAG_KIND}` = '{prediction_log.KIND}' and tags.`{prediction_log.TAG_MODEL}` = '{found.model}'"
    )
    runs = _client().search_runs([found.project.experiment_id], filter_string=filter_string, max_results=1)
    return runs[0] if runs else None


def _do_predict(found: _Found, actor: governance.Actor) -> None:
    import pandas as pd

    served = predict.load_served_model(found.model, found.served)
    # a real flower the model has never seen: the first held-out row of the project's data, with its true species
    record = datastore.load_dataset(found.project.data_run_id)
    X_test, y_test = record.test_xy()
    values = {f: _plain_value(X_test.iloc[0][f]) for f in served.features}
    prediction = predict.predict_one(served, values)
    stored = {
        "label": prediction.label,
        "truth": str(y_test.iloc[0]),
        "probability": prediction.probabilities.get(prediction.label),
        "latency_ms": round(prediction.latency_ms, 3),
        "inputs": values,
    }
    _client().set_model_version_tag(found.model, found.served, TAG_PREDICTION, json.dumps(stored, default=str))
    if prediction_log.enabled(found.model):  # the Predict page's setting: off means the tour logs nothing either
        scored = prediction_log.scored_one(prediction.label, prediction.probabilities)
        inputs = pd.DataFrame([values])
        prediction_log.log_predictions(served, inputs, scored, PREDICTION_SOURCE, prediction.latency_ms)
        prediction_log.flush()  # written now, so the explanation can point at the log run


def _plain_value(value: object) -> object:
    """A numpy scalar as the Python value JSON and the predict form understand."""
    return value.item() if hasattr(value, "item") else value


# ---- the walk --------------------------------------------------------------------------------------------------

_Finder = Callable[[_Found], Outcome | None]
_Doer = Callable[[_Found, governance.Actor], None]
_STEPS: tuple[tuple[Step, _Finder, _Doer], ...] = (
    (Step("question", "question.py"), _find_question, _do_question),
    (Step("data", "data.py"), _find_data, _do_data),
    (Step("search", "train.py"), _find_search, _do_search),
    (Step("compare", "compare.py"), _find_compare, _do_compare),
    (Step("register", "registry.py"), _find_register, _do_register),
    (Step("alias", "registry.py"), _find_alias, _do_alias),
    (Step("predict", "predict.py"), _find_predict, _do_predict),
)
STEPS: tuple[Step, ...] = tuple(step for step, _, _ in _STEPS)
STEP_KEYS: tuple[str, ...] = tuple(step.key for step in STEPS)


def step(key: str) -> Step:
    """The step of a key."""
    return STEPS[STEP_KEYS.index(key)]


def _walk(actor: governance.Actor | None, until: str | None = None, perform: bool = True) -> list[Outcome]:
    """Find each step's effect in order; at the first one missing, perform it (``perform``) and stop there.
    ``until``: stop after that step, refusing to perform any earlier one."""
    found = _Found()
    outcomes: list[Outcome] = []
    for current, find, do in _STEPS:
        outcome = find(found)
        if outcome is None:
            if not perform:
                break
            if until is not None and current.key != until:
                raise TourError(tr("tour.earlier_step", step=tr(f"tour.{current.key}.title")))
            do(found, actor or governance.Actor(ACTOR))
            outcome = find(found)  # read back: the explanation tells what the store now holds
            if outcome is None:
                raise TourError(tr("tour.not_recorded", step=tr(f"tour.{current.key}.title")))
            outcomes.append(replace(outcome, performed=True))
            _mark(found.project, FINISHED if current is STEPS[-1] else STARTED)
            break
        outcomes.append(outcome)
        if current.key == until:
            break
    return outcomes


def _mark(project: projects.Project | None, state: str) -> None:
    if project is not None:
        _client().set_experiment_tag(project.experiment_id, TAG_TOUR, state)


def _state(project: projects.Project | None) -> str | None:
    if project is None:
        return None
    return (_client().get_experiment(project.experiment_id).tags or {}).get(TAG_TOUR)


def survey() -> Survey:
    """Where the tour stands, read from the store; writes nothing."""
    project = projects.find_project(projects.EXAMPLE_NAME)
    store_empty = project is None and not projects.list_projects()
    return Survey(tuple(_walk(None, perform=False)), _state(project), store_empty)


def offer() -> Survey | None:
    """The survey behind the home page's offer to start or resume the tour; None when there is nothing to offer:
    the store has projects but no begun, unfinished tour. Cheap in that common case (one or two reads), since the
    home page asks on every visit."""
    project = projects.find_project(projects.EXAMPLE_NAME)
    if project is None:
        return Survey((), None, True) if not projects.list_projects() else None
    state = _state(project)
    if state not in (STARTED, SKIPPED):  # never begun here (the example was made by hand), or finished
        return None
    found = Survey(tuple(_walk(None, perform=False)), state, False)
    return None if found.finished else found


def run_next(actor: governance.Actor | None = None) -> Outcome | None:
    """Perform the first step not done yet and return its outcome (None: every step is done already).

    ``actor`` is who moves ``@production`` in the audit trail (default: "Guided tour")."""
    outcomes = _walk(actor)
    if not outcomes or not outcomes[-1].performed:
        return None
    return outcomes[-1]


def run_step(key: str, actor: governance.Actor | None = None) -> Outcome:
    """Perform one step (or find it done: then nothing is written); TourError when an earlier step is not done."""
    step(key)  # an unknown key is a bug: ValueError
    return _walk(actor, until=key)[-1]


def skip() -> None:
    """Record on the example that the tour was skipped (so a later session offers to resume it)."""
    _mark(projects.find_project(projects.EXAMPLE_NAME), SKIPPED)
