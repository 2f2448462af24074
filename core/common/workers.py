"""This machine's pool of worker processes for heavy work: a search's trials and refit, a batch's partitions.

One process-wide pool (loky's reusable executor, one worker per core), kept warm between jobs, so that the second
search or batch does not pay for starting processes and importing scikit-learn and MLflow again. Every caller asks
for it with the same arguments: different ones would make loky replace the pool, ending a running job's workers.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time

from joblib.externals.loky import get_reusable_executor
from threadpoolctl import threadpool_limits

WORKER_IDLE_S = 600  # idle workers exit after this long
WORKER_NICENESS = 10  # added to the workers' nice value: clicks in the app come before batch work
PARENT_CHECK_S = 1.0  # how often a worker looks whether the process that started it still lives


def local_pool():
    """The process-wide pool: a ``concurrent.futures.Executor`` with one worker process per core."""
    return get_reusable_executor(max_workers=os.cpu_count() or 1, initializer=init_worker, timeout=WORKER_IDLE_S)


def init_worker() -> None:
    """One BLAS/OpenMP thread per worker (the workers already use every core), at a lower CPU priority, ending
    with the process that started it."""

    threadpool_limits(1)
    # a search is batch work: when people click Predict or open a page, the server answering them comes first
    # (bench/bench_load.py: 4 searches beside 16 predicting sessions); idle cores still go to the trials
    with contextlib.suppress(OSError, AttributeError):
        os.nice(WORKER_NICENESS)
    parent = os.getppid()
    threading.Thread(target=_end_with, args=(parent,), name="qua3ck-parent-watch", daemon=True).start()


def _end_with(parent: int) -> None:
    """End this worker once its parent is gone, however it ended: a server killed with SIGKILL cannot stop its
    pool, and its idle workers would otherwise wait out WORKER_IDLE_S, re-parented to init. (PR_SET_PDEATHSIG
    would follow the thread that started the worker, not the process, and exists on Linux only.)"""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(0)
