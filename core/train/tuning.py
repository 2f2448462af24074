"""A3 — a hyperparameter search as one MLflow parent run with a nested child run per trial.

Trials run in worker processes (one per core) while this process logs each finished trial at once, so
logging overlaps with the next trials' work. When the search ends — budget spent, time up, Stop, or the store
failing — the best configuration is refit on the whole training split and logged on the parent run, also in a
worker.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import asdict, dataclass, field

import pandas as pd

from core.common.config import active_store
from core.common.errors import WorkbenchError, one_line
from core.common.i18n import DEFAULT_LANGUAGE, Message, plural_category, tr, translate
from core.common.run_recovery import end_runs
from core.common.workers import local_pool
from core.question.kpis import METRICS
from core.train import cluster
from core.train.algorithms import build_pipeline, choice_text, get_algorithm
from core.train.features import FeatureSteps
from core.train.search_space import (
    METHODS,
    Dimension,
    Sampler,
    SearchSpaceError,
    grid_size,
    trial_params,
    validate_space,
)
from core.train.training import (
    TAG_MODEL_URI,
    TAG_SEARCH,
    cross_validated_folds,
    cv_folds_for,
    fold_metrics,
    log_fitted_model,
    log_training_inputs,
    run_params,
    run_tags,
)

TAG_PARENT = "mlflow.parentRunId"
TAG_SEARCH_STATUS = "qua3ck.search_status"  # finished, stopped, time_up, store_error
TAG_ERROR = "qua3ck.error"
TAG_REFIT_WORKER = "qua3ck.refit_worker"  # a search run's tag: where its best configuration was refit
TAG_WORKER = "qua3ck.worker"  # a trial run's tag: where it ran (a Dask worker's address, or host:pid)
# a search's parent run, so that any process on the store can follow and stop it (core.train.jobs.RemoteSearch)
TAG_STOP_REQUESTED = "qua3ck.stop_requested"  # set by whoever pressed Stop: who, and when (epoch ms)
TAG_HEARTBEAT = "qua3ck.heartbeat"  # epoch ms, renewed every HEARTBEAT_S while the search's process lives
HEARTBEAT_S = 15.0
STOP_POLL_S = 2.0  # how often a search reads its run's tags for a stop asked elsewhere
MAX_TRIALS = 1000
POLL_SECONDS = 0.2
WARM_AGAIN_S = 60.0  # well inside workers.WORKER_IDLE_S: workers warmed this recently are still up
ABORT = "abort"  # what should_stop returns when the server shuts down: end at once, no refit


class StoreError(WorkbenchError):
    """The tracking store failed while the search was logging; ``run_id``: a trial run it left open, if any."""

    def __init__(self, message: str, run_id: str | None = None):
        super().__init__(message)
        self.run_id = run_id


@dataclass(frozen=True)
class SearchConfig:
    """Everything that defines a search; logged as the parent run's search.json and params."""

    algorithm: str
    method: str = "random"
    space: tuple[Dimension, ...] = ()
    base_params: dict[str, object] = field(default_factory=dict)  # hyperparameters not searched
    steps: FeatureSteps = FeatureSteps()
    max_trials: int | None = 20
    time_budget_s: float | None = None
    cv_folds: int = 5
    metric: str = "accuracy"
    seed: int = 42
    workers: int = 0  # 0: one per core

    def validate(self) -> None:
        """Refuse a search that cannot run, before any run exists."""
        get_algorithm(self.algorithm)
        if self.method not in METHODS:
            raise SearchSpaceError(tr("search.unknown_method", choices=", ".join(METHODS), method=self.method))
        validate_space(self.algorithm, self.space)
        if self.max_trials is None and self.time_budget_s is None and self.method != "grid":
            raise SearchSpaceError(tr("search.no_budget"))
        if self.max_trials is not None and not 1 <= self.max_trials <= MAX_TRIALS:
            raise SearchSpaceError(tr("search.trial_budget_range", most=MAX_TRIALS))
        if self.method == "grid" and self.max_trials is None and grid_size(self.space) > MAX_TRIALS:
            raise SearchSpaceError(tr("search.grid_too_large", size=grid_size(self.space), most=MAX_TRIALS))
        if self.metric not in METRICS or not METRICS[self.metric].is_score:
            scores = ", ".join(m for m, spec in METRICS.items() if spec.is_score)
            raise SearchSpaceError(tr("search.not_a_score", scores=scores, metric=self.metric))
        if not 2 <= self.cv_folds <= 20:
            raise SearchSpaceError(tr("search.folds_range"))
        if self.time_budget_s is not None and not self.time_budget_s > 0:
            raise SearchSpaceError(tr("search.time_budget_positive"))
        trial_params(self.algorithm, self.base_params, {})

    def planned_trials(self) -> int | None:
        """How many trials the search will run at most (None: until the time budget ends)."""
        budget = self.max_trials
        if self.method == "grid":
            size = grid_size(self.space)
            return size if budget is None else min(size, budget)
        return budget

    def as_dict(self) -> dict:
        data = asdict(self)
        data["space"] = [d.as_dict() for d in self.space]
        data["base_params"] = {k: choice_text(v) for k, v in self.base_params.items()}
        return data

    def worker_count(self, available: int | None = None) -> int:
        """Trials at once: ``workers``, else what the pool offers (``available``; this machine's cores by
        default), never more than the trials planned."""
        wanted = self.workers or available or os.cpu_count() or 1
        planned = self.planned_trials()
        return max(1, min(wanted, planned or wanted))


@dataclass(frozen=True)
class Trial:
    """One finished trial: its hyperparameters, CV metrics and per-fold scores, or the error that failed it."""

    number: int
    params: dict[str, object]
    values: dict[str, object]  # the searched hyperparameters only
    metrics: dict[str, float]
    status: str  # FINISHED or FAILED
    error: str | None
    seconds: float
    run_id: str
    folds: dict[str, list[float]] = field(default_factory=dict)  # score -> value per fold; empty when failed
    worker: str = ""  # where it ran: a Dask worker's address, or host:pid of a local pool's worker

    def score(self, metric: str) -> float | None:
        return self.metrics.get(f"cv_{metric}") if self.status == "FINISHED" else None


@dataclass(frozen=True)
class Progress:
    """Where a search stands after a trial: counts, best so far, and an estimate of the time left."""

    done: int
    failed: int
    planned: int | None
    elapsed_s: float
    time_budget_s: float | None
    best: Trial | None

    @property
    def fraction(self) -> float:
        parts = []
        if self.planned:
            parts.append(self.done / self.planned)
        if self.time_budget_s:
            parts.append(self.elapsed_s / self.time_budget_s)
        return min(1.0, max(parts)) if parts else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left: by the pace of trials so far, capped by the time budget."""
        estimates = []
        if self.planned and self.done:
            estimates.append(self.elapsed_s / self.done * (self.planned - self.done))
        if self.time_budget_s:
            estimates.append(max(0.0, self.time_budget_s - self.elapsed_s))
        return min(estimates) if estimates else None


@dataclass(frozen=True)
class SearchResult:
    run_id: str
    experiment_id: str
    config: SearchConfig
    trials: list[Trial]
    best: Trial | None
    status: str  # finished, stopped, time_up, store_error, failed
    model_uri: str | None
    error: str | None  # in English, as the store's tags and the CLI say it
    seconds: float
    message: Message | None = None  # the error as catalogue key and fields, to show in the reader's language


def trials_message(key: str, count: int, **fields: object) -> Message:
    """A search's message with its ``count`` of trials, which reads '1 trial' / '3 trials' as ``{trials}``."""
    return Message(key, {**fields, "count": count, "trials": functools.partial(_trials, count)})


def _trials(count: int, language: str) -> str:
    return translate(f"search.trials_{plural_category(count, language)}", language, count=count)


def _english(message: Message | None) -> str | None:
    return message.render(DEFAULT_LANGUAGE) if message else None


def evaluate_trial(
    algorithm: str, params: dict, steps: FeatureSteps, X: pd.DataFrame, y: pd.Series, folds: int, seed: int
) -> tuple[dict[str, float] | None, dict[str, list[float]], str | None, float, str]:
    """Cross-validate one configuration (in a worker): metrics and per-fold scores, or the one-line error that
    failed it (then no metrics and no fold scores), the seconds it took and where it ran."""

    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence warnings of a trial are noise in a search
            pipeline = build_pipeline(algorithm, params, X, seed=seed, steps=steps)
            metrics, fold_scores = cross_validated_folds(pipeline, X, y, folds, seed)
    except Exception as exc:  # noqa: BLE001 — a bad combination fails its trial, not the search
        return None, {}, one_line(exc), time.perf_counter() - started, cluster.where()
    return metrics, fold_scores, None, time.perf_counter() - started, cluster.where()


def refit_and_log(
    tracking_uri: str,
    registry_uri: str,
    experiment_id: str,
    run_id: str,
    algorithm: str,
    params: dict,
    steps: FeatureSteps,
    dataset,
    seed: int,
) -> str:
    """Refit the best configuration on the whole training split and log it on the search's run (in a worker:
    the refit and the model's serialisation are a second or more of CPU the app's clicks would wait for);
    returns the model's URI."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(registry_uri)
    mlflow.set_experiment(experiment_id=experiment_id)  # MLflow files the logged model under this one
    X, _ = dataset.train_xy()
    pipeline = build_pipeline(algorithm, params, X, seed=seed, steps=steps)
    uri = log_fitted_model(pipeline, dataset, run_id).model_uri
    mlflow.MlflowClient().set_tag(run_id, TAG_REFIT_WORKER, cluster.where())
    return uri


def _executor():
    """Where trials run: the configured Dask cluster (``QUA3CK_DASK_SCHEDULER``), else the process-wide pool of
    worker processes (one per core), kept warm between searches."""
    address = cluster.scheduler_address()
    if address is not None:
        return cluster.executor(address, active_store(), warm=_warm)
    return local_pool()


def _warm() -> None:
    """The imports a first trial would otherwise wait for, and what the refit and its model logging load once
    per process, on whichever worker it lands: ~3 s of CPU there (at the workers' low priority, while the
    person sets up the search), ~110 MB a worker."""
    import mlflow.sklearn  # noqa: F401
    import sklearn.ensemble  # noqa: F401
    import sklearn.model_selection  # noqa: F401
    import skops.io  # noqa: F401

    import core.train.algorithms  # noqa: F401

    with contextlib.suppress(Exception):  # private helpers: a warm-up that fails only costs the time back
        import mlflow.store.tracking.sqlalchemy_store  # noqa: F401 — the embedded store's module
        from mlflow.utils.requirements_utils import _init_packages_to_modules_map

        _init_packages_to_modules_map()  # read by log_model's requirement check


_last_warm_up = -math.inf  # time.monotonic() of the last warm-up this process sent


def warm_up_workers() -> list:
    """Start the worker processes in the background, so the first trial of a search (and its refit) does not
    wait for them: one warm-up per worker, all idle, so each takes one. Returns the warm-ups' futures, or none when
    a warm-up went out less than ``WARM_AGAIN_S`` ago (a page's every rerun asks; the workers are warm already)."""
    global _last_warm_up
    now = time.monotonic()
    if now - _last_warm_up < WARM_AGAIN_S or cluster.scheduler_address() is not None:
        return []  # a cluster's workers are started by whoever runs the cluster
    _last_warm_up = now
    executor = _executor()
    return [executor.submit(_warm) for _ in range(os.cpu_count() or 1)]


def _better(trial: Trial, best: Trial | None, metric: str) -> bool:
    score = trial.score(metric)
    return score is not None and (best is None or score > best.score(metric))


def log_trial(
    client,
    experiment_id: str,
    parent_id: str,
    tags: dict,
    trial: Trial,
    started_ms: int,
    context: dict[str, object] | None = None,
) -> str:
    """One nested child run with the trial's params (plus the search's ``context`` params: algorithm, feature
    steps, folds, seed), CV metrics and per-fold scores (a step per fold), written in three calls."""
    from mlflow.entities import Metric, Param

    run = client.create_run(
        experiment_id,
        start_time=started_ms,
        tags={
            **tags,
            TAG_PARENT: parent_id,
            **({TAG_ERROR: trial.error[:5000]} if trial.error else {}),
            **({TAG_WORKER: trial.worker} if trial.worker else {}),
        },
        run_name=f"trial-{trial.number:03d}",
    )
    now = int(time.time() * 1000)
    values = {**(context or {}), **trial.params}
    params = [Param(k, choice_text(v)[:6000]) for k, v in values.items()]  # (50, 50) -> 50,50 as elsewhere
    metrics = [Metric(k, v, now, 0) for k, v in trial.metrics.items() if math.isfinite(v)]
    metrics += fold_metrics(trial.folds, now)
    try:
        client.log_batch(run.info.run_id, metrics=metrics, params=params)
        client.set_terminated(run.info.run_id, status=trial.status, end_time=now)
    except Exception as exc:  # noqa: BLE001 — the run exists but is open: the caller must end it
        raise StoreError(one_line(exc), run.info.run_id) from exc
    return run.info.run_id


def run_search(
    experiment_id: str,
    dataset,
    config: SearchConfig,
    on_trial: Callable[[Trial, Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_start: Callable[[str], None] | None = None,
) -> SearchResult:
    """Run a search as a parent run with a child run per trial; refit and log the best on the parent.

    ``on_trial`` hears about each trial as it is logged; ``should_stop`` is polled and ends the search
    cleanly (trials done are kept, the best is refit) — or at once, as KILLED, when it returns ``ABORT``.
    A store that stops answering ends the search with ``status='store_error'`` and the message in
    ``error``; no run is left RUNNING where the store allows.
    """
    import mlflow
    from mlflow import MlflowClient

    config.validate()
    active_store()
    started = time.perf_counter()
    X, y = dataset.train_xy()
    folds = cv_folds_for(y, config.cv_folds)
    seed = dataset.split.seed if config.seed is None else config.seed
    planned = config.planned_trials()
    client = MlflowClient()
    tags = run_tags(dataset, config.algorithm)
    trial_tags = {**tags, "qua3ck.kind": "trial"}
    trial_context = {"algorithm": config.algorithm, **config.steps.as_params(), "cv_folds": folds, "random_seed": seed}
    sampler = Sampler(config.method, config.space, seed)
    executor = _executor()  # a cluster that cannot take the search says so before anything is written
    slots = config.worker_count(getattr(executor, "workers", None))
    trials: list[Trial] = []
    best: Trial | None = None
    message: Message | None = None  # what went wrong, shown in the reader's language; ``error`` is its English
    status, error, model_uri, open_trial = "finished", None, None, None
    run_name = f"{config.method}-search-{config.algorithm}-{time.strftime('%Y%m%d-%H%M%S')}"
    live = {TAG_SEARCH: "1", TAG_HEARTBEAT: str(_now_ms())}  # running: told by the run status itself
    with (
        mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags={**tags, **live}) as run,
        contextlib.closing(StoreSignals(client, run.info.run_id)) as signals,
    ):
        parent_id = run.info.run_id
        stop_now = functools.partial(signals.should_stop, should_stop)

        def ended(how: str, uri: str | None) -> SearchResult:
            """The search's result as it stands now: its trials, best, error and message so far."""
            seconds = time.perf_counter() - started
            return SearchResult(parent_id, experiment_id, config, trials, best, how, uri, error, seconds, message)

        if on_start:
            on_start(parent_id)
        mlflow.log_params(
            {
                "search.method": config.method,
                "search.max_trials": config.max_trials,
                "search.time_budget_s": config.time_budget_s,
                "search.metric": config.metric,
                "search.seed": seed,
                "search.space": "; ".join(d.describe() for d in config.space)[:6000],
            }
        )
        mlflow.log_dict(config.as_dict(), "search.json")
        log_training_inputs(dataset)
        in_flight: dict = {}
        asked = 0
        try:
            while True:
                out_of_time = config.time_budget_s is not None and time.perf_counter() - started >= config.time_budget_s
                stop = None
                while len(in_flight) < slots and (planned is None or asked < planned) and not out_of_time:
                    stop = stop_now()
                    if stop:
                        break
                    proposal = sampler.ask()
                    if proposal is None:
                        planned = asked
                        break
                    number, values = proposal
                    asked += 1
                    try:
                        params = trial_params(config.algorithm, config.base_params, values)
                    except ValueError as exc:  # an impossible combination fails its trial without a worker
                        trial = Trial(number, {**config.base_params, **values}, values, {}, "FAILED", str(exc), 0.0, "")
                        failed = (None, {}, str(exc), 0.0, "")
                        in_flight[_done_future(failed)] = (number, trial.params, values, _now_ms())
                        continue
                    future = executor.submit(evaluate_trial, config.algorithm, params, config.steps, X, y, folds, seed)
                    in_flight[future] = (number, params, values, _now_ms())
                if not in_flight:
                    if stop:  # asked while no trial was running (one worker, or between trials)
                        status = "aborted" if stop == ABORT else "stopped"
                    elif out_of_time and status == "finished":
                        status = "time_up"
                    break
                done, _ = wait(list(in_flight), timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                stop = stop_now()
                if stop == ABORT:
                    status = "aborted"
                    break
                for future in done:
                    number, params, values, started_ms = in_flight.pop(future)
                    try:
                        metrics, fold_scores, failure, seconds, worker = future.result()
                    except Exception as exc:  # noqa: BLE001 — a worker that died fails its trial
                        metrics, fold_scores, worker = None, {}, ""
                        failure, seconds = f"The worker process failed: {one_line(exc)}", 0.0
                    trial = Trial(
                        number,
                        params,
                        values,
                        metrics or {},
                        "FAILED" if failure else "FINISHED",
                        failure,
                        seconds,
                        "",
                        {} if failure else fold_scores,
                        worker,
                    )
                    try:
                        run_id = log_trial(
                            client, experiment_id, parent_id, trial_tags, trial, started_ms, trial_context
                        )
                    except StoreError:
                        raise
                    except Exception as exc:  # noqa: BLE001 — any failure to write is the store's
                        raise StoreError(one_line(exc)) from exc
                    trial = Trial(**{**trial.__dict__, "run_id": run_id})
                    trials.append(trial)
                    sampler.tell(number, trial.score(config.metric))
                    if _better(trial, best, config.metric):
                        best = trial
                    if on_trial:
                        elapsed = time.perf_counter() - started
                        failed = sum(t.status == "FAILED" for t in trials)
                        on_trial(trial, Progress(len(trials), failed, planned, elapsed, config.time_budget_s, best))
                if stop:  # after logging the trials that finished meanwhile: they are kept too
                    status = "stopped"
                    break
        except StoreError as exc:
            status, open_trial = "store_error", exc.run_id
            message = trials_message("search.store_stopped", len(trials), error=str(exc))
            error = _english(message)
        except Exception as exc:  # noqa: BLE001 — e.g. the worker pool broke: end cleanly, say why
            message = trials_message("search.search_failed", len(trials), error=one_line(exc))
            status, error = "failed", _english(message)
            if should_stop and should_stop() == ABORT:  # the pool is torn down at shutdown: expected, not a fault
                status, error, message = "aborted", None, None
        finally:
            for future in in_flight:  # trials not started yet are dropped; running ones end in their worker
                future.cancel()
            if status == "aborted":  # the server is stopping: do not wait for anything
                executor.shutdown(wait=False, kill_workers=True)
        if status in ("store_error", "failed", "aborted"):
            _end_unfinished(mlflow, [parent_id, open_trial], "KILLED" if status == "aborted" else "FAILED", error)
            return ended(status, None)
        mlflow.set_tag(TAG_SEARCH_STATUS, status)
        mlflow.log_metric("search.trials", len(trials))
        mlflow.log_metric("search.failed_trials", sum(t.status == "FAILED" for t in trials))
        if best is not None:
            try:
                mlflow.log_params(run_params(dataset, config.algorithm, best.params, config.steps, folds, seed))
                mlflow.log_metrics({**best.metrics, "search.best_trial": best.number})
                if best.folds:  # the best trial's folds, so the parent pairs with other runs on the same folds
                    client.log_batch(parent_id, metrics=fold_metrics(best.folds))
                mlflow.set_tag("qua3ck.best_trial_run", best.run_id)
                model_uri = (
                    _executor()
                    .submit(  # not ``executor``: the pool is made anew if a worker broke it
                        refit_and_log,
                        mlflow.get_tracking_uri(),
                        mlflow.get_registry_uri(),
                        experiment_id,
                        parent_id,
                        config.algorithm,
                        best.params,
                        config.steps,
                        dataset,
                        seed,
                    )
                    .result()
                )
            except Exception as exc:  # noqa: BLE001 — the store failed while the best model was logged
                message = Message("search.refit_failed", {"error": one_line(exc)})
                error = _english(message)
                _end_unfinished(mlflow, [parent_id], "FAILED", error)
                return ended("store_error", None)
        else:
            message = Message("search.no_trial_finished")
            error = _english(message)  # also the tag: the store keeps English
            mlflow.set_tag(TAG_ERROR, error)
    return ended(status, model_uri)


class StoreSignals:
    """What a running search shares through its parent run with every process on the store: a heartbeat tag
    renewed every HEARTBEAT_S while this process lives (also through a long refit), and Stop pressed elsewhere
    (another app replica, another server), read from the run's tags every STOP_POLL_S. Both in a background
    thread, so that a slow or unreachable store never holds up the search's loop or its own Stop."""

    def __init__(self, client, run_id: str) -> None:
        self._client, self._run_id = client, run_id
        self._asked = threading.Event()
        self._closed = threading.Event()
        threading.Thread(target=self._watch, name=f"qua3ck-search-signals-{run_id[:8]}", daemon=True).start()

    def should_stop(self, local: Callable[[], object] | None = None) -> object:
        """``local()``'s answer (this process's Stop or ABORT), else True once Stop was asked in the store."""
        here = local() if local else None
        return here or self._asked.is_set()

    def _watch(self) -> None:
        beaten = time.monotonic()
        while not self._closed.wait(STOP_POLL_S):
            # a store that does not answer is noticed when a trial is logged; a missed beat is no fault either
            with contextlib.suppress(Exception):
                if TAG_STOP_REQUESTED in self._client.get_run(self._run_id).data.tags:
                    self._asked.set()
            if time.monotonic() - beaten >= HEARTBEAT_S:
                beaten = time.monotonic()
                with contextlib.suppress(Exception):
                    self._client.set_tag(self._run_id, TAG_HEARTBEAT, str(_now_ms()))

    def close(self) -> None:
        self._closed.set()


def request_stop(run_id: str, by: str) -> None:
    """Ask the search of ``run_id`` to stop, wherever it runs: it ends as if its own Stop was pressed."""
    from mlflow import MlflowClient

    active_store()
    MlflowClient().set_tag(run_id, TAG_STOP_REQUESTED, f"{by} at {_now_ms()}")


def _now_ms() -> int:
    return int(time.time() * 1000)


def _done_future(value):

    future: Future = Future()
    future.set_result(value)
    return future


def _end_unfinished(mlflow, run_ids: list[str | None], status: str, reason: str | None) -> None:
    """End the search's open runs with ``status``; those the store does not take now are remembered and ended
    once it answers again (core.common.run_recovery), so none is left RUNNING."""

    # leave MLflow's active-run stack first, so the with-block does not retry a dead store for minutes
    active = mlflow.active_run()
    if active is not None and active.info.run_id in run_ids:
        with contextlib.suppress(Exception):
            mlflow.tracking.fluent._active_run_stack.get().pop()
    end_runs(run_ids, status, f"search ended: {reason or status}")


def trials_frame(trials: list[Trial], metric: str) -> pd.DataFrame:
    """Trials in order, with the score, the best so far and the searched values, for the live table and chart; on
    a Dask cluster also the worker each ran on."""
    on_cluster = any("://" in t.worker for t in trials)  # a local pool's host:pid says nothing to a person
    rows, best = [], -math.inf
    for t in sorted(trials, key=lambda t: t.number):
        score = t.score(metric)
        if score is not None:
            best = max(best, score)
        rows.append(
            {
                "trial": t.number,
                "status": t.status,
                f"CV {metric}": score,
                "± std": t.metrics.get(f"cv_{metric}_std"),
                "best so far": best if best > -math.inf else None,
                **{k: choice_text(v) for k, v in t.values.items()},
                "seconds": round(t.seconds, 2),
                "error": t.error or "",
                "run": t.run_id[:8],
                **({"worker": t.worker} if on_cluster else {}),
            }
        )
    return pd.DataFrame(rows)


__all__ = ["TAG_MODEL_URI", "SearchConfig", "Trial", "Progress", "SearchResult", "run_search", "trials_frame"]
