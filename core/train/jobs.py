"""Searches that run in a background thread of the server process, so pages stay responsive.

A person can navigate away and back, or open a second browser, and see the same search going on; Stop reaches
it from any session. A search another process runs on the same store — a second app replica behind a load
balancer, the CLI — is followed through MLflow (``RemoteSearch``): its parent run's status and tags, its trials'
child runs, and Stop set as a tag the search reads. When the server stops, running searches end at once as
KILLED; runs left RUNNING by a server that was killed outright are ended by ``core.train.orphans``.
"""

from __future__ import annotations

import atexit
import math
import threading
import time
import uuid
from dataclasses import dataclass

from core.common.config import active_store
from core.common.errors import describe
from core.common.i18n import DEFAULT_LANGUAGE, Message
from core.common.provenance import TAG_OWNER, owner
from core.train.recipe import RecipeError, read_search_json, search_config_from_dict
from core.train.training import TAG_ALGORITHM, TAG_MODEL_URI, TAG_SEARCH
from core.train.tuning import (
    ABORT,
    TAG_ERROR,
    TAG_PARENT,
    TAG_SEARCH_STATUS,
    TAG_STOP_REQUESTED,
    TAG_WORKER,
    Progress,
    SearchConfig,
    SearchResult,
    Trial,
    request_stop,
    run_search,
)

SHUTDOWN_WAIT_S = 15.0
REMOTE_REFRESH_S = 1.0  # a search elsewhere is read from the store at most this often, however many watch it
REMOTE_PREFIX = "run-"  # the job id of a search elsewhere: this prefix and its run id
_jobs: dict[str, SearchJob] = {}
_remote: dict[str, RemoteSearch] = {}  # job id -> a search another process runs, once seen
_lock = threading.Lock()
_atexit_registered = False


@dataclass(frozen=True)
class JobView:
    """A consistent picture of a search at one moment, for rendering."""

    job_id: str
    experiment_id: str
    config: SearchConfig
    status: str  # starting, running, then the SearchResult status or 'failed'
    run_id: str | None
    trials: tuple[Trial, ...]
    progress: Progress | None
    result: SearchResult | None
    error: str | None
    stop_requested: bool
    started: float
    message: Message | None = None  # the error as catalogue key and fields (``error`` is its English)

    @property
    def running(self) -> bool:
        return self.status in ("starting", "running")


class SearchJob:
    """One search running in a daemon thread; its state is read through ``view()``."""

    def __init__(self, experiment_id: str, dataset, config: SearchConfig):
        self.job_id = uuid.uuid4().hex[:12]
        self.experiment_id, self.dataset, self.config = experiment_id, dataset, config
        self.store = active_store().tracking_uri  # experiment ids repeat across stores
        self.started = time.time()
        self._state_lock = threading.Lock()
        self._stop = threading.Event()
        self._abort = False
        self._status, self._run_id, self._error = "starting", None, None
        self._message: Message | None = None
        self._trials: list[Trial] = []
        self._progress: Progress | None = None
        self._result: SearchResult | None = None
        self._thread = threading.Thread(target=self._run, name=f"qua3ck-search-{self.job_id}", daemon=True)

    def stop(self) -> None:
        """End the search cleanly: no new trials, the trials done are kept and the best is refit."""
        self._stop.set()

    def abort(self) -> None:
        """End the search at once without a refit (server shutdown)."""
        self._abort = True
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the search has ended; True if it did within the timeout."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def view(self) -> JobView:
        with self._state_lock:
            return JobView(
                self.job_id,
                self.experiment_id,
                self.config,
                self._status,
                self._run_id,
                tuple(self._trials),
                self._progress,
                self._result,
                self._error,
                self._stop.is_set(),
                self.started,
                self._message,
            )

    def _should_stop(self):
        return ABORT if self._abort else self._stop.is_set()

    def _on_start(self, run_id: str) -> None:
        with self._state_lock:
            self._status, self._run_id = "running", run_id

    def _on_trial(self, trial: Trial, progress: Progress) -> None:
        with self._state_lock:
            self._trials.append(trial)
            self._progress = progress

    def _run(self) -> None:
        try:
            result = run_search(
                self.experiment_id,
                self.dataset,
                self.config,
                on_trial=self._on_trial,
                should_stop=self._should_stop,
                on_start=self._on_start,
            )
        except Exception as exc:  # noqa: BLE001 — a background thread has nobody else to tell
            message = Message("search.could_not_run", {"error": describe(exc)})
            with self._state_lock:
                self._status, self._error, self._message = "failed", message.render(DEFAULT_LANGUAGE), message
            return
        with self._state_lock:
            self._result, self._status, self._error = result, result.status, result.error
            self._message = result.message
            self._run_id = result.run_id


def start_search(experiment_id: str, dataset, config: SearchConfig) -> SearchJob:
    """Check the search (raising before anything runs) and start it in the background."""
    global _atexit_registered
    config.validate()
    job = SearchJob(experiment_id, dataset, config)
    with _lock:
        _jobs[job.job_id] = job
        if not _atexit_registered:
            _register_shutdown()
            _atexit_registered = True
    job._thread.start()
    return job


def _register_shutdown() -> None:
    """Run ``shutdown`` when the server exits, before the worker pool's own exit hook kills the workers.

    ``threading._register_atexit`` hooks run before ``atexit`` ones, newest first; the worker pool registers
    there when it starts, so ours must be there too, and later, to end the searches while the pool still works.
    """
    register = getattr(threading, "_register_atexit", None)
    try:
        if register is None:
            raise AttributeError
        register(shutdown)
    except (AttributeError, RuntimeError):  # an interpreter without the hook, or already shutting down
        atexit.register(shutdown)


def get_job(job_id: str | None) -> SearchJob | RemoteSearch | None:
    """A search of the active store by id: one this process runs, or one another process runs that it has seen."""
    job = _jobs.get(job_id or "") or _remote.get(job_id or "")
    return job if job is not None and job.store == active_store().tracking_uri else None


def jobs_for(experiment_id: str, running_only: bool = False) -> list[SearchJob | RemoteSearch]:
    """The searches of a project (in the active store), newest first: those started in this server process, and
    those other processes run now (read from the store) or ran while this process watched."""
    store = active_store().tracking_uri
    with _lock:
        jobs = [j for j in _jobs.values() if j.experiment_id == experiment_id and j.store == store]
    own = {j.view().run_id for j in jobs}
    running_elsewhere(experiment_id)  # adds the new ones to those seen
    with _lock:
        seen = [r for r in _remote.values() if r.experiment_id == experiment_id and r.store == store]
    jobs += [r for r in seen if r.run_id not in own]
    if running_only:
        jobs = [j for j in jobs if j.view().running]
    return sorted(jobs, key=lambda j: j.started, reverse=True)


_elsewhere_read: dict[tuple[str, str], tuple[float, list[str]]] = {}  # (store, experiment) -> (when, run ids)


def running_elsewhere(experiment_id: str) -> list[RemoteSearch]:
    """The project's searches whose runs are RUNNING in the store and that this process does not run (read at most
    every REMOTE_REFRESH_S)."""
    from mlflow import MlflowClient

    store = active_store().tracking_uri
    when, run_ids = _elsewhere_read.get((store, experiment_id), (-math.inf, []))
    if time.monotonic() - when >= REMOTE_REFRESH_S:
        found = MlflowClient().search_runs(
            [experiment_id],
            filter_string=f"attributes.status = 'RUNNING' and tags.`{TAG_SEARCH}` = '1'",
            max_results=100,
        )
        with _lock:
            ours = {j.view().run_id for j in _jobs.values()}
        run_ids = [r.info.run_id for r in found if r.info.run_id not in ours]
        _elsewhere_read[(store, experiment_id)] = (time.monotonic(), run_ids)
    searches = []
    for run_id in run_ids:
        job_id = REMOTE_PREFIX + run_id
        with _lock:
            remote = _remote.get(job_id)
            if remote is None or remote.store != store:
                remote = _remote[job_id] = RemoteSearch(run_id, experiment_id)
        searches.append(remote)
    return searches


class RemoteSearch:
    """A search another process runs on this store, as a SearchJob looks to a page: its view read from the parent
    run and its trials' child runs (at most every REMOTE_REFRESH_S), and Stop asked through a tag of the parent
    run, which the search reads within seconds wherever it runs."""

    dataset = None  # the data set lives in the other process (and in the project's data run)

    def __init__(self, run_id: str, experiment_id: str) -> None:
        self.run_id, self.experiment_id = run_id, experiment_id
        self.job_id = REMOTE_PREFIX + run_id
        self.store = active_store().tracking_uri
        self.started = time.time()
        self.owner = ""  # host:pid of the process that runs it, as its run says
        self._config: SearchConfig | None = None
        self._view: JobView | None = None
        self._read_at = -math.inf
        self._guard = threading.Lock()

    def stop(self) -> None:
        """Ask the search to stop: no new trials, the trials done are kept and the best is refit, over there."""
        request_stop(self.run_id, owner())
        with self._guard:
            self._read_at = -math.inf  # the next view shows "stopping"

    def view(self) -> JobView:
        with self._guard:
            if self._view is None or time.monotonic() - self._read_at >= REMOTE_REFRESH_S:
                self._view = self._read()
                self._read_at = time.monotonic()
            return self._view

    def _read(self) -> JobView:
        from mlflow import MlflowClient

        client = MlflowClient()
        run = client.get_run(self.run_id)
        tags = run.data.tags
        self.started = (run.info.start_time or 0) / 1000
        self.owner = tags.get(TAG_OWNER, "")
        config = self._config or self._read_config(run)
        children = client.search_runs(
            [self.experiment_id], filter_string=f"tags.`{TAG_PARENT}` = '{self.run_id}'", max_results=1000
        )
        trials = sorted((_trial(child, config) for child in children), key=lambda t: t.number)
        finished = [t for t in trials if t.score(config.metric) is not None]
        best = max(finished, key=lambda t: t.score(config.metric), default=None)
        elapsed = (((run.info.end_time or 0) / 1000) or time.time()) - self.started
        progress = Progress(
            len(trials),
            sum(t.status == "FAILED" for t in trials),
            config.planned_trials(),
            elapsed,
            config.time_budget_s,
            best,
        )
        status = _remote_status(run.info.status, tags.get(TAG_SEARCH_STATUS))
        result, error = None, tags.get(TAG_ERROR)
        if status not in ("starting", "running"):
            result = SearchResult(
                self.run_id,
                self.experiment_id,
                config,
                trials,
                best,
                status,
                tags.get(TAG_MODEL_URI),
                error,
                elapsed,
            )
        return JobView(
            self.job_id,
            self.experiment_id,
            config,
            status,
            self.run_id,
            tuple(trials),
            progress,
            result,
            error,
            TAG_STOP_REQUESTED in tags,
            self.started,
        )

    def _read_config(self, run) -> SearchConfig:
        """The search's configuration from its search.json; until that is logged, what its tags and params say."""
        try:
            self._config = search_config_from_dict(read_search_json(self.run_id))
            return self._config
        except RecipeError:
            params = run.data.params
            budget = params.get("search.max_trials")
            return SearchConfig(
                run.data.tags.get(TAG_ALGORITHM, "random_forest"),
                params.get("search.method", "random"),
                max_trials=int(budget) if budget and budget.isdigit() else None,
            )


def _remote_status(run_status: str, search_status: str | None) -> str:
    """A JobView status from the run's status and the search's own tag."""
    if run_status == "RUNNING":
        return "running"
    if run_status == "FINISHED":
        return search_status if search_status not in (None, "running") else "finished"
    return "aborted" if run_status == "KILLED" else "failed"


def _trial(run, config: SearchConfig) -> Trial:
    """A trial as its child run recorded it (hyperparameters as the store keeps them: text)."""
    name = run.info.run_name or ""
    number = int(name.rpartition("-")[2]) if name.rpartition("-")[2].isdigit() else 0
    params = dict(run.data.params)
    searched = {d.name for d in config.space}
    values = {k: v for k, v in params.items() if k in searched}
    seconds = max(0.0, ((run.info.end_time or 0) - (run.info.start_time or 0)) / 1000)
    return Trial(
        number,
        params,
        values,
        dict(run.data.metrics),
        "FAILED" if run.info.status == "FAILED" else "FINISHED",
        run.data.tags.get(TAG_ERROR),
        seconds,
        run.info.run_id,
        worker=run.data.tags.get(TAG_WORKER, ""),
    )


def shutdown(timeout: float = SHUTDOWN_WAIT_S) -> None:
    """Abort every running search and give them a moment to mark their runs KILLED."""
    with _lock:
        jobs = list(_jobs.values())
    for job in jobs:
        job.abort()
    deadline = time.monotonic() + timeout
    for job in jobs:
        job.wait(max(0.0, deadline - time.monotonic()))
