"""Runs that could not be ended because the store stopped answering: remembered on disk, ended once it answers.

A search whose tracking server goes away cannot mark its runs FAILED at that moment. Rather than leaving them
RUNNING, their ids go into a small journal in this machine's workbench folder. A background thread retries
while the process lives, and the next start of the workbench (the app shell, the CLI) ends what is left, so a
run is never left RUNNING once the store is back.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from core.common.config import active_store, local_folder, unreachable

JOURNAL_NAME = "unfinished-runs.jsonl"
RETRY_EVERY_S = 5.0
TAG_ENDED_BY = "qua3ck.ended_by"

_retrier: list[threading.Thread] = []
_retrier_lock = threading.Lock()


def journal_path() -> Path:
    return local_folder() / JOURNAL_NAME


def _store_key(tracking_uri: str) -> str:
    # the journal is local, but a tracking URI may carry a password: keep only its fingerprint
    return hashlib.sha256(tracking_uri.encode()).hexdigest()[:16]


@contextlib.contextmanager
def _locked_journal():
    """The journal's entries, rewritten with what the block leaves in the list (other processes wait)."""
    path = journal_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        entries = []
        for line in handle:
            with contextlib.suppress(ValueError):
                entries.append(json.loads(line))
        before = list(entries)
        yield entries
        if entries != before:
            handle.seek(0)
            handle.truncate()
            handle.writelines(json.dumps(entry) + "\n" for entry in entries)


def end_runs(run_ids: Iterable[str], status: str, reason: str) -> list[str]:
    """End the runs with ``status`` now if the store answers; remember the others. Returns the remembered ids."""
    store = active_store()
    ids = [run_id for run_id in run_ids if run_id]
    left = ids if unreachable(store) else [run_id for run_id in ids if not _end(run_id, status, reason)]
    if left:
        key = _store_key(store.tracking_uri)
        with _locked_journal() as entries:
            known = {(e.get("store"), e.get("run_id")) for e in entries}
            entries += [
                {"store": key, "run_id": run_id, "status": status, "reason": reason, "at": time.time()}
                for run_id in left
                if (key, run_id) not in known
            ]
        _start_retrier()
    return left


def _end(run_id: str, status: str, reason: str) -> bool:
    """End one run if it is still RUNNING; False when the store did not take it."""
    from mlflow import MlflowClient

    client = MlflowClient()
    try:
        info = client.get_run(run_id).info
        if info.status == "RUNNING" and info.lifecycle_stage != "deleted":  # a deleted run needs no ending
            client.set_terminated(run_id, status=status)
            client.set_tag(run_id, TAG_ENDED_BY, reason[:5000])
        return True
    except Exception as exc:  # noqa: BLE001 — a run deleted meanwhile needs no ending; anything else: retry later
        return "RESOURCE_DOES_NOT_EXIST" in str(getattr(exc, "error_code", "")) or "not found" in str(exc).lower()


def end_remembered() -> int:
    """End the remembered runs of the active store if it answers; how many were ended."""
    path = journal_path()
    if not path.exists() or path.stat().st_size == 0:
        return 0
    store = active_store()
    key = _store_key(store.tracking_uri)
    with _locked_journal() as entries:
        mine = [e for e in entries if e.get("store") == key]
        if not mine or unreachable(store):
            return 0
        done = [e for e in mine if _end(str(e.get("run_id")), str(e.get("status", "FAILED")), str(e.get("reason")))]
        entries[:] = [e for e in entries if e not in done]
    return len(done)


def remembered(tracking_uri: str | None = None) -> list[str]:
    """Run ids still waiting to be ended for a store (the active one by default)."""
    path = journal_path()
    if not path.exists():
        return []
    key = _store_key(tracking_uri or active_store().tracking_uri)
    with _locked_journal() as entries:
        return [str(e.get("run_id")) for e in entries if e.get("store") == key]


def _start_retrier() -> None:
    with _retrier_lock:
        if _retrier and _retrier[0].is_alive():
            return
        thread = threading.Thread(target=_retry_until_done, name="qua3ck-end-runs", daemon=True)
        _retrier[:] = [thread]
        thread.start()


def _retry_until_done() -> None:
    while True:
        time.sleep(RETRY_EVERY_S)
        with contextlib.suppress(Exception):  # a broken journal or store must not kill the thread with a traceback
            end_remembered()
        if not remembered():
            return
