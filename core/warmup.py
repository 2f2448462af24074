"""Warm the server while it starts: import the heavy libraries and load the served models before anyone asks.

A fresh process spends seconds importing MLflow's store, pandas, scikit-learn and skops and loading the model the
Predict page serves. ``start()`` does that in a background thread as soon as ``streamlit run`` imports the entry
point — while the server starts listening and the first browser loads the page — and ``wait()`` lets the first
script run wait for it rather than compete with it for the interpreter (two threads importing at once are slower
than one). ``take()`` hands a model loaded that way to the page's cache. Failures are only logged: the pages load
what they need themselves and say what is wrong.
"""

from __future__ import annotations

import gc
import logging
import threading
from concurrent.futures import Future

MAX_MODELS = 4  # models loaded ahead; each stays in memory while the page cache holds it
WAIT_S = 60.0

_LOGGER = logging.getLogger(__name__)
_lock = threading.Lock()
_models: dict[tuple[str, str], Future] = {}
_done = threading.Event()
_started = False


def start() -> None:
    """Start warming up, once per process."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    threading.Thread(target=_warm, name="qua3ck-warmup", daemon=True).start()


def wait(timeout: float = WAIT_S) -> None:
    """Block until the warm-up finished (at once when none was started)."""
    if _started:
        _done.wait(timeout)


def _warm() -> None:
    try:
        # what every page imports (MLflow and its store, pandas, plotly, scikit-learn); a model load adds skops
        from core import charts, predict, registry, status  # noqa: F401
        from core.config import activate_store

        activate_store()
        for name, version in served_versions(registry.list_models()):
            future = Future()
            future.set_running_or_notify_cancel()
            with _lock:
                _models[(name, version)] = future
            try:
                future.set_result(predict.load_served_model(name, version))
            except Exception as exc:  # noqa: BLE001 — the page reports it when someone asks
                future.set_exception(exc)
        gc.freeze()  # the long-lived objects just made need not be walked by every later collection
    except Exception:  # noqa: BLE001 — warming up is an optimisation; the pages work without it
        _LOGGER.warning("The warm-up at server start failed; pages load what they need themselves.", exc_info=True)
    finally:
        _done.set()


def served_versions(models) -> list[tuple[str, str]]:
    """(name, version) the Predict page serves by default, for the first MAX_MODELS models that have one."""
    from core.status import PREFERRED_ALIASES

    wanted = []
    for model in models:
        alias = next((a for a in PREFERRED_ALIASES if a in model.aliases), None)
        if alias is not None:
            wanted.append((model.name, model.aliases[alias]))
    return wanted[:MAX_MODELS]


def take(name: str, version: str):
    """The model the warm-up loaded for this version, once (the page's cache keeps it), or None."""
    with _lock:
        future = _models.pop((name, str(version)), None)
    if future is None or not future.done() or future.exception() is not None:
        return None
    return future.result()
