"""Where a search's trials run when one machine is not enough: the workers of a Dask cluster.

With ``QUA3CK_DASK_SCHEDULER=tcp://host:8786`` (or the CLI's ``--dask-scheduler``) a search hands its trials
and its refit to the cluster's workers through ``distributed.Client``; without it they run in this machine's
process pool (``core.train.tuning``). The cluster looks to the search like that pool: an executor whose
``submit`` returns ``concurrent.futures.Future`` objects, so budgets, Stop and the live view stay the same.
The workers need the project's requirements and ``core`` importable (docs/store.md, "Searches on a Dask cluster").
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import warnings
from concurrent.futures import Future
from dataclasses import dataclass
from urllib.parse import urlsplit

import pandas as pd

from core.common.config import StoreConfig
from core.common.errors import WorkbenchError, one_line
from core.common.i18n import tr

SCHEDULER_ENV = "QUA3CK_DASK_SCHEDULER"
CONNECT_TIMEOUT_S = 5.0
# what a trial and its refit need to compute the same thing on a worker as here: a different scikit-learn
# can score a configuration differently and write a model this app cannot load
PACKAGES = ("scikit-learn", "mlflow", "pandas", "numpy", "scipy", "skops", "optuna", "cloudpickle")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class ClusterError(WorkbenchError):
    """The Dask cluster cannot take the search; nothing was started or written."""


def scheduler_address(environ: dict[str, str] | None = None) -> str | None:
    """The configured Dask scheduler (``QUA3CK_DASK_SCHEDULER``), or None: trials run in the local pool."""
    env = os.environ if environ is None else environ
    return env.get(SCHEDULER_ENV, "").strip() or None


def describe(address: str) -> str:
    """One line for people: where searches run."""
    return tr("cluster.searches_on", address=address)


@dataclass(frozen=True)
class WorkerVersions:
    """A worker's address and the versions Dask's check reported for it (None: not installed)."""

    address: str
    versions: dict[str, str | None]


def mismatches(ours: dict[str, str | None], workers: list[WorkerVersions]) -> list[str]:
    """One phrase per worker package whose version differs from this app's: 'scikit-learn 1.8.0 on tcp://…
    (here 1.9.1)'."""
    found = []
    for worker in workers:
        for package, here in ours.items():
            there = worker.versions.get(package)
            if there != here:
                found.append(
                    tr(
                        "cluster.mismatch",
                        package=package,
                        there=there or tr("cluster.missing"),
                        worker=worker.address,
                        here=here or tr("cluster.missing"),
                    )
                )
    return found


def check_store(address: str, store: StoreConfig) -> None:
    """Refuse a cluster the store cannot be reached from: the embedded store lives in this machine's files, so
    only workers on this machine (a scheduler on a loopback address) can log into it."""
    host = urlsplit(address if "://" in address else f"tcp://{address}").hostname or ""
    if store.embedded and host not in LOOPBACK:
        raise ClusterError(tr("cluster.embedded_store", address=address))


_clients: dict[str, object] = {}
_clients_guard = threading.Lock()


def client(address: str, warm=None):
    """The process's ``distributed.Client`` of ``address``, connected and checked on first use: a scheduler that
    does not answer, a cluster without workers, or workers whose packages differ from this app's are refused with
    the reason, before a search writes anything. ``warm`` then runs once on every worker, in the background: what
    a first trial and the refit would otherwise wait for (as the local pool's warm-up)."""
    with _clients_guard:
        known = _clients.get(address)
        if known is not None and known.status == "running":
            return known
        connected = _connect(address)
        if warm is not None:
            _warm_each(connected, warm)
        _clients[address] = connected
        return connected


def _warm_each(connected, warm) -> None:
    """One ``warm`` task pinned to each worker, not waited for (``Client.run`` cannot leave a plain function)."""
    from distributed import fire_and_forget

    for worker in connected.scheduler_info().get("workers", {}):
        fire_and_forget(connected.submit(warm, pure=False, workers=[worker], allow_other_workers=False))


def _connect(address: str):
    from distributed import Client

    try:
        connected = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(tr("cluster.no_answer", address=address, error=one_line(exc))) from None
    except ValueError as exc:  # an address Dask cannot read
        raise ClusterError(tr("cluster.bad_address", address=address, error=one_line(exc))) from None
    try:
        _check_versions(connected, address)
        if not connected.scheduler_info().get("workers"):
            raise ClusterError(tr("cluster.no_workers", address=address))
    except BaseException:
        connected.close()
        raise
    return connected


def _check_versions(connected, address: str) -> None:
    """Dask's version check (the packages its messages depend on: python, dask, distributed, msgpack, cloudpickle,
    …) extended to what a trial computes with (PACKAGES); in this Dask it only warns, so the mismatch is ours to
    refuse."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Dask's own warning says the same in a table, in the server's log
        versions = connected.get_versions(packages=list(PACKAGES))
    here = versions["client"]["packages"]
    workers = [
        WorkerVersions(worker, (info or {}).get("packages") or {})
        for worker, info in sorted(versions["workers"].items())
    ]
    wrong = mismatches(here, workers)
    if wrong:
        raise ClusterError(tr("cluster.package_mismatch", address=address, mismatches="; ".join(wrong[:6])))


def worker_threads(connected) -> int:
    """How many trials the cluster runs at once: its workers' threads together."""
    workers = connected.scheduler_info().get("workers", {})
    return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))


class ClusterExecutor:
    """The cluster as the search sees a process pool: ``submit`` returns a ``concurrent.futures.Future``; data
    frames and series passed to it go to the cluster once per search (scattered), not once per trial."""

    def __init__(self, connected) -> None:
        self._client = connected
        self._executor = connected.get_executor(pure=False)
        self._shared: dict[int, tuple[object, object]] = {}  # id(value) -> (value, its future on the cluster)

    @property
    def workers(self) -> int:
        return worker_threads(self._client)

    def _share(self, value):
        if not isinstance(value, pd.DataFrame | pd.Series):
            return value
        known = self._shared.get(id(value))
        if known is None or known[0] is not value:
            known = (value, self._client.scatter(value, hash=False))
            self._shared[id(value)] = known  # the value is kept too, so its id cannot be reused meanwhile
        return known[1]

    def submit(self, fn, *args) -> Future:
        return self._executor.submit(fn, *(self._share(a) for a in args))

    def shutdown(self, wait: bool = True, kill_workers: bool = False) -> None:
        """Cancel what this search still has queued; the cluster's workers stay up for other searches
        (``kill_workers`` is the local pool's and means nothing here)."""
        self._executor.shutdown(wait=wait)
        self._shared.clear()


def executor(address: str, store: StoreConfig, warm=None) -> ClusterExecutor:
    """An executor for one search on the cluster at ``address``, checked against the store it must log into
    (``warm``: see ``client``)."""
    check_store(address, store)
    return ClusterExecutor(client(address, warm))


def where() -> str:
    """Where this code runs, for a trial's tag: the Dask worker's address, else host:pid."""
    if "distributed" in sys.modules:  # a Dask worker has it imported; a local pool's worker never imports it
        from distributed import get_worker

        with contextlib.suppress(ValueError):  # imported, but not running as a worker's task
            return str(get_worker().address)
    return f"{socket.gethostname()}:{os.getpid()}"
