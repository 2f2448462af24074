"""The guided tour: the handout's Iris walk through every QUA³CK phase, on a project of its own, one step at a time
(question and KPIs, data, the handout's random forest, a search, the held-out comparison, a registered version,
``@production`` through the governance gate, one prediction).

Two ways to follow it, told apart only by the UI: *show me* — each step is done by the workbench's own core
functions — and *let me do it* — the person uses the page's real controls and the tour waits until the step's
effect is in the store. Either way progress lives in the store, not in a session: each step knows how to find its
effect in MLflow, so a tour resumed in a new session continues at the first step whose effect is missing, and a
step whose effect already exists writes nothing. Each tour runs in its own experiment ("Guided tour (Iris) 2", …),
so it never touches a person's own projects, and it can be started from any state of the store.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd

from core.common.config import active_store
from core.common.errors import WorkbenchError
from core.common.i18n import number, tr
from core.compare import evaluation
from core.compare.evaluation import TAG_VERDICT
from core.compare.runs import training_runs
from core.data import datastore, sets
from core.question import projects
from core.question.kpis import DEFAULT_KPIS, primary_metric
from core.registry import governance, model_registry
from core.serve import predict, prediction_log
from core.train import jobs
from core.train.algorithms import ALGORITHMS
from core.train.search_space import default_space
from core.train.training import train_model
from core.train.tuning import TAG_SEARCH_STATUS, SearchConfig

TAG_TOUR = "qua3ck.tour"  # experiment tag of a tour's project: started, skipped or finished
TAG_MODE = "qua3ck.tour_mode"  # experiment tag: show or do, the way the tour was begun
TAG_PREDICTION = "qua3ck.tour_prediction"  # model-version tag: the tour's prediction with that version, as JSON
STARTED, SKIPPED, FINISHED = "started", "skipped", "finished"
SHOW, DO = "show", "do"
MODES = (SHOW, DO)
TOUR_NAME = "Guided tour (Iris)"  # its projects are this name, then a number from the second one on
ACTOR = "Guided tour"  # the name the audit trail records for the tour's alias move (show me)
ALIAS = "production"
DATASET, TARGET = "iris", "species"
ALGORITHM = "random_forest"
HANDOUT_PARAMS = {"n_estimators": 100, "max_depth": 5}  # the handout's train.py
SEARCH_TRIALS = 8
SEARCH_FOLDS = 5
SEARCH_WAIT_S = 600.0
PREDICTION_SOURCE = "guided tour"  # the prediction log's source column for the tour's prediction


class TourError(WorkbenchError):
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
    """Where a tour stands in the store: the outcomes of the steps done, in order, up to the first one not done."""

    project: projects.Project
    outcomes: tuple[Outcome, ...]
    state: str | None  # the project's TAG_TOUR
    mode: str

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

    project: projects.Project
    data_run: object = None  # mlflow Run
    runs: object = None  # the project's runs table (core.compare.runs.training_runs)
    train_run: str | None = None
    search_run: str | None = None
    chosen_run: str | None = None  # the evaluated run the registry step registers
    model: str | None = None
    version: model_registry.VersionInfo | None = None
    served: str | None = None  # the version @production points at


def _client():
    from mlflow import MlflowClient

    active_store()
    return MlflowClient()


def _run_path(experiment_id: str, run_id: str) -> str:
    return f"#/experiments/{experiment_id}/runs/{run_id}"


def _score(value: object) -> str:
    return number(float(value), 3) if isinstance(value, int | float) and value == value else "—"


def _algorithm_label(key: str) -> str:

    return ALGORITHMS[key].shown_label if key in ALGORITHMS else key


def _metric(found: _Found) -> str:
    return primary_metric(found.project.kpis)


def _table(found: _Found):

    if found.runs is None:
        found.runs = training_runs(found.project.experiment_id, _metric(found))
    return found.runs


def _finished(found: _Found, kind: str):
    """The project's finished runs of ``kind`` (train or search) with a model, on its current data, best CV first."""
    table = _table(found)
    if table.empty:
        return table
    rows = table[
        (table["kind"] == kind)
        & (table["status"] == "FINISHED")
        & table["has_model"]
        & (table["data_run"] == found.data_run.info.run_id)
    ]
    return rows.sort_values("cv_score", ascending=False, na_position="last")


# ---- 1: question and KPIs --------------------------------------------------------------------------------------


def _find_question(found: _Found) -> Outcome | None:
    project = found.project = projects.get_project(found.project.experiment_id)
    if not (project.question.strip() and project.kpis_set and project.kpis):
        return None
    facts = {
        "project": project.name,
        "experiment_id": project.experiment_id,
        "kpis": ", ".join(k.shown() for k in project.kpis),
    }
    return Outcome("question", facts, f"#/experiments/{project.experiment_id}")


def _do_question(found: _Found, actor: governance.Actor) -> None:
    project = found.project
    # only what is missing is filled in: a question or KPIs the person already chose stay
    question = project.question.strip() or projects.EXAMPLE_QUESTION
    kpis = list(project.kpis) if project.kpis_set and project.kpis else list(DEFAULT_KPIS)
    # through the gate's own path: on a tour project whose runs were judged without KPIs, setting them is audited
    governance.save_question_and_kpis(project.experiment_id, question, kpis, actor, tr("tour.kpis_reason"))


# ---- 2: data ---------------------------------------------------------------------------------------------------


def _find_data(found: _Found) -> Outcome | None:
    found.project = projects.get_project(found.project.experiment_id)  # recording the data re-tags the experiment
    run = datastore.live_run(found.project.data_run_id)
    found.data_run = run
    if run is None:
        return None
    params = run.data.params
    facts = {
        "dataset": params.get("dataset", ""),
        "rows": int(params.get("rows", 0)),
        "features": int(params.get("features", 0)),
        "test_percent": number(float(params.get("test_size", 0)) * 100, 0),
        "digest": run.data.tags.get(datastore.TAG_DIGEST, ""),
        "run_id": run.info.run_id,
    }
    return Outcome("data", facts, _run_path(found.project.experiment_id, run.info.run_id))


def _do_data(found: _Found, actor: governance.Actor) -> None:
    datastore.record_dataset(found.project.experiment_id, sets.load_builtin(DATASET), DATASET, TARGET)


# ---- 3: the handout's model ------------------------------------------------------------------------------------


def _find_train(found: _Found) -> Outcome | None:
    rows = _finished(found, "train")
    if rows.empty:
        return None
    # the handout's random forest when it is there, else the best single training the person ran
    forests = rows[rows["algorithm"] == ALGORITHM]
    row = (forests if not forests.empty else rows).iloc[0]
    found.train_run = row["run_id"]
    facts = {
        "run_id": row["run_id"],
        "algorithm": _algorithm_label(row["algorithm"]),
        "params": row["key_params"] or "—",
        "metric": _metric(found),
        "cv_score": _score(row["cv_score"]),
    }
    return Outcome("train", facts, _run_path(found.project.experiment_id, row["run_id"]))


def _do_train(found: _Found, actor: governance.Actor) -> None:

    record = datastore.load_dataset(found.data_run.info.run_id)
    train_model(found.project.experiment_id, record, ALGORITHM, dict(HANDOUT_PARAMS))
    found.runs = None  # read the runs again


# ---- 4: a search -----------------------------------------------------------------------------------------------


def _find_search(found: _Found) -> Outcome | None:
    rows = _finished(found, "search")
    if rows.empty:
        return None
    row = rows.iloc[0]
    found.search_run = row["run_id"]
    run = _client().get_run(row["run_id"])
    params = run.data.params
    searched = ", ".join(f"{d.name}={params[d.name]}" for d in default_space(row["algorithm"]) if d.name in params)
    trials = run.data.metrics.get("search.trials")
    facts = {
        "run_id": row["run_id"],
        "trials": int(trials) if trials is not None else 0,
        "metric": _metric(found),
        "cv_score": _score(row["cv_score"]),
        "params": searched or "—",
        "status": run.data.tags.get(TAG_SEARCH_STATUS, ""),
    }
    return Outcome("search", facts, _run_path(found.project.experiment_id, row["run_id"]))


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
    found.runs = None


# ---- 5: held-out comparison ------------------------------------------------------------------------------------


def _evaluated(run_id: str | None):
    run = datastore.live_run(run_id)
    return run if run is not None and run.data.tags.get(TAG_VERDICT) else None


def _find_compare(found: _Found) -> Outcome | None:
    search = _evaluated(found.search_run)
    if search is None:
        return None
    train = _evaluated(found.train_run)
    metric = _metric(found)
    verdict = search.data.tags[TAG_VERDICT]
    facts = {
        "run_id": search.info.run_id,
        "metric": metric,
        "test_score": _score(search.data.metrics.get(f"test_{metric}")),
        "latency": _score(search.data.metrics.get("test_latency_ms")),
        "verdict": governance.verdict_word(verdict),
        "kpis": ", ".join(k.shown() for k in found.project.kpis),
        "train_score": _score(train.data.metrics.get(f"test_{metric}")) if train else "—",
        "train_verdict": train.data.tags[TAG_VERDICT] if train else "",
    }
    notes = []
    if train is not None and facts["train_verdict"] == "fail":
        notes.append("tour.compare.expected_fail")  # the handout's model misses the KPI: expected, and what next
    if verdict == "fail":
        notes.append("tour.compare.search_fail")
    found.chosen_run = search.info.run_id
    if verdict != "pass" and train is not None and facts["train_verdict"] == "pass":
        found.chosen_run = train.info.run_id
    return Outcome("compare", facts, _run_path(found.project.experiment_id, search.info.run_id), tuple(notes))


def _do_compare(found: _Found, actor: governance.Actor) -> None:
    for run_id in (found.train_run, found.search_run):
        if run_id and _evaluated(run_id) is None:
            evaluation.evaluate_run(run_id, found.project.kpis)


# ---- 6: register -----------------------------------------------------------------------------------------------


def _find_register(found: _Found) -> Outcome | None:
    own = model_registry.project_models(found.project.experiment_id)
    found.model = own[0].name if own else model_registry.suggested_model_name(found.project.name)
    if not own:
        return None
    versions = model_registry.list_versions(found.model)  # newest first
    wanted = [v for v in versions if v.run_id == found.chosen_run]
    found.version = (wanted or versions)[0]
    facts = {"model": found.model, "version": found.version.version, "run_id": found.version.run_id or "—"}
    return Outcome("register", facts, f"#/models/{found.model}/versions/{found.version.version}")


def _do_register(found: _Found, actor: governance.Actor) -> None:
    model_registry.register(found.chosen_run, found.model, tr("tour.version_description"))


# ---- 7: @production through the gate --------------------------------------------------------------------------


def _find_alias(found: _Found) -> Outcome | None:
    found.served = model_registry.get_model(found.model).aliases.get(ALIAS)
    if found.served is None:
        return None
    entries = [e for e in governance.history(found.model, ALIAS) if e.applied]
    last = entries[0] if entries else None
    facts = {
        "model": found.model,
        "alias": ALIAS,
        "version": found.served,
        "uri": f"models:/{found.model}@{ALIAS}",
        "who": last.who if last else "—",  # "—": set outside the workbench, so there is no audit entry
        "verdict": governance.verdict_word(
            (last.verdict if last else "") or governance.version_verdict(found.model, found.served)
        ),
    }
    return Outcome("alias", facts, f"#/models/{found.model}")


def _do_alias(found: _Found, actor: governance.Actor) -> None:
    # expected_from=None: @production had no holder when the tour looked; if someone set it meanwhile, nothing moves
    governance.move_alias(
        found.model, ALIAS, found.version.version, actor, reason=tr("tour.alias_reason"), expected_from=None
    )


# ---- 8: one prediction -----------------------------------------------------------------------------------------


def _prediction_log_run(found: _Found):
    # the model name is a suggested one (letters, digits, dashes) or one of the project's, quoted like any
    name = found.model.replace("'", "\\'")
    kind, model = f"tags.`{datastore.TAG_KIND}`", f"tags.`{prediction_log.TAG_MODEL}`"
    filter_string = f"{kind} = '{prediction_log.KIND}' and {model} = '{name}'"
    runs = _client().search_runs([found.project.experiment_id], filter_string=filter_string, max_results=1)
    return runs[0] if runs else None


def _find_predict(found: _Found) -> Outcome | None:
    raw = model_registry.version_tags(found.model, found.served).get(TAG_PREDICTION)
    log_run = _prediction_log_run(found)
    base = {"model": found.model, "version": found.served, "uri": f"models:/{found.model}@{ALIAS}"}
    path = f"#/models/{found.model}/versions/{found.served}"
    if log_run is not None:
        base["log_path"] = _run_path(found.project.experiment_id, log_run.info.run_id)
    try:
        stored = json.loads(raw) if raw else None
    except ValueError:
        stored = None  # a tag someone edited by hand: predict again
    if stored is None:
        if log_run is None:
            return None
        return Outcome("predict", base, path, ("tour.predict.by_you",))  # the person asked on the Predict page
    facts = {
        **base,
        "label": str(stored.get("label", "")),
        "truth": str(stored.get("truth", "")),
        "probability": number(float(stored.get("probability") or 0) * 100, 0),
        "latency": number(float(stored.get("latency_ms") or 0), 1),
        "inputs": ", ".join(f"{k} = {v}" for k, v in (stored.get("inputs") or {}).items()),
    }
    notes = ("tour.predict.shown", "tour.predict.logged" if log_run is not None else "tour.predict.not_logged")
    return Outcome("predict", facts, path, notes)


def _do_predict(found: _Found, actor: governance.Actor) -> None:

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
    (Step("train", "train.py"), _find_train, _do_train),
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


def _project(experiment_id: str) -> projects.Project:
    project = projects.get_project(experiment_id)
    if _tags(experiment_id).get(TAG_TOUR) is None:
        raise TourError(tr("tour.not_a_tour", project=project.name))  # a person's own project is never walked
    return project


def _walk(experiment_id: str, actor: governance.Actor | None, until: str | None = None, perform: bool = True):
    """Find each step's effect in order; at the first one missing, perform it (``perform``) and stop there.
    ``until``: stop after that step, refusing to perform any earlier one."""
    found = _Found(_project(experiment_id))
    outcomes: list[Outcome] = []
    for current, find, do in _STEPS:
        outcome = find(found)
        if outcome is None:
            if not perform:
                break
            if until is not None and current.key != until:
                raise TourError(tr("tour.earlier_step", step=tr(f"tour.{current.key}.title")))
            do(found, actor or governance.Actor(ACTOR))
            found.runs = None
            outcome = find(found)  # read back: the explanation tells what the store now holds
            if outcome is None:
                raise TourError(tr("tour.not_recorded", step=tr(f"tour.{current.key}.title")))
            outcomes.append(replace(outcome, performed=True))
            break
        outcomes.append(outcome)
        if current.key == until:
            break
    if len(outcomes) == len(STEPS):
        _mark(experiment_id, FINISHED)
    return outcomes


def _tags(experiment_id: str) -> dict[str, str]:
    return dict(_client().get_experiment(experiment_id).tags or {})


def _mark(experiment_id: str, state: str) -> None:
    if _tags(experiment_id).get(TAG_TOUR) != state:
        _client().set_experiment_tag(experiment_id, TAG_TOUR, state)


def start(mode: str = SHOW) -> projects.Project:
    """A new tour on a project of its own (``Guided tour (Iris)``, then ``… 2``, ``… 3``), begun in ``mode``;
    nothing else in the store is touched. The project starts empty: its question is the first step."""
    if mode not in MODES:
        raise ValueError(f"unknown tour mode {mode!r}")
    taken = {p.name for p in projects.list_projects()}
    name = next(n for n in (TOUR_NAME, *(f"{TOUR_NAME} {i}" for i in range(2, 10_000))) if n not in taken)
    project = projects.create_project(name)
    client = _client()
    client.set_experiment_tag(project.experiment_id, TAG_TOUR, STARTED)
    client.set_experiment_tag(project.experiment_id, TAG_MODE, mode)
    # the KPIs come with the question (step 1): until then the project has none of its own
    client.delete_experiment_tag(project.experiment_id, projects.TAG_KPIS)
    return projects.get_project(project.experiment_id)


def tour_projects() -> list[projects.Project]:
    """The projects tours were begun on, newest first."""
    ids = {e.experiment_id for e in _client().search_experiments() if (e.tags or {}).get(TAG_TOUR)}
    return [p for p in projects.list_projects() if p.experiment_id in ids]


def survey(experiment_id: str) -> Survey:
    """Where the tour on this project stands, read from the store; writes nothing."""
    tags = _tags(experiment_id)
    outcomes = tuple(_walk(experiment_id, None, perform=False))
    return Survey(projects.get_project(experiment_id), outcomes, tags.get(TAG_TOUR), tags.get(TAG_MODE, SHOW))


def resumable() -> Survey | None:
    """The newest tour that was begun and not finished, to offer resuming it; None when there is none."""
    for project in tour_projects():
        state = _tags(project.experiment_id).get(TAG_TOUR)
        if state in (STARTED, SKIPPED):
            found = survey(project.experiment_id)
            if not found.finished:
                return found
    return None


def outcome(experiment_id: str, key: str) -> Outcome | None:
    """The outcome of one step when it and every step before it are in the store (the *let me do it* mode asks
    after each of the person's clicks); None while it is not done."""
    outcomes = _walk(experiment_id, None, until=key, perform=False)
    return outcomes[-1] if outcomes and outcomes[-1].key == key else None


def run_next(experiment_id: str, actor: governance.Actor | None = None) -> Outcome | None:
    """Perform the first step not done yet and return its outcome (None: every step is done already).

    ``actor`` is who moves ``@production`` in the audit trail (default: "Guided tour")."""
    outcomes = _walk(experiment_id, actor)
    if not outcomes or not outcomes[-1].performed:
        return None
    return outcomes[-1]


def run_step(experiment_id: str, key: str, actor: governance.Actor | None = None) -> Outcome:
    """Perform one step (or find it done: then nothing is written); TourError when an earlier step is not done."""
    step(key)  # an unknown key is a bug: ValueError
    return _walk(experiment_id, actor, until=key)[-1]


def skip(experiment_id: str) -> None:
    """Record that the tour on this project was skipped (so a later session offers to resume it)."""
    _mark(experiment_id, SKIPPED)


def resume(experiment_id: str) -> None:
    _mark(experiment_id, STARTED)
