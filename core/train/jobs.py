"""Searches that run in a background thread of the server process, so pages stay responsive.

A person can navigate away and back, or open a second browser, and see the same search going on; Stop reaches
it from any session. When the server stops, running searches end at once as KILLED; runs left RUNNING by a
server that was killed outright are ended by ``core.train.orphans`` at the next start.
"""

from __future__ import annotations

import atexit
import threading
import time
import uuid
from dataclasses import dataclass

from core.common.config import active_store
from core.common.errors import describe
from core.common.i18n import DEFAULT_LANGUAGE, Message
from core.train.tuning import ABORT, Progress, SearchConfig, SearchResult, Trial, run_search

SHUTDOWN_WAIT_S = 15.0
_jobs: dict[str, SearchJob] = {}
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


def get_job(job_id: str | None) -> SearchJob | None:
    """A search of the active store by id."""
    job = _jobs.get(job_id or "")
    return job if job is not None and job.store == active_store().tracking_uri else None


def jobs_for(experiment_id: str, running_only: bool = False) -> list[SearchJob]:
    """The searches of a project (in the active store) started in this server process, newest first."""
    store = active_store().tracking_uri
    with _lock:
        jobs = [j for j in _jobs.values() if j.experiment_id == experiment_id and j.store == store]
    if running_only:
        jobs = [j for j in jobs if j.view().running]
    return sorted(jobs, key=lambda j: j.started, reverse=True)


def shutdown(timeout: float = SHUTDOWN_WAIT_S) -> None:
    """Abort every running search and give them a moment to mark their runs KILLED."""
    with _lock:
        jobs = list(_jobs.values())
    for job in jobs:
        job.abort()
    deadline = time.monotonic() + timeout
    for job in jobs:
        job.wait(max(0.0, deadline - time.monotonic()))
