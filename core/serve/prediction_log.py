"""The prediction log: every prediction's inputs, output, model version and time, kept in the store for the
monitoring phase.

Predictions are queued in memory and written by one background thread, a Parquet part file at a time, as
artifacts of one run per registered model (``prediction-log · <model>``, tag ``qua3ck.kind=predictions``) in
the project experiment of the version's source run — so a click never waits for the store. A model's log is
switched off by its registered-model tag ``qua3ck.prediction_log=off`` (the Predict page's setting), or for
the whole process by ``QUA3CK_PREDICTION_LOG=off``.
"""

from __future__ import annotations

import contextlib
import io
import os
import queue
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.common.config import active_store
from core.data.datastore import TAG_KIND
from core.registry.model_registry import _quote

TAG_SETTING = "qua3ck.prediction_log"
TAG_MODEL = "qua3ck.model"
KIND = "predictions"
ENV_SWITCH = "QUA3CK_PREDICTION_LOG"
PARTS = "predictions"
FLUSH_EVERY_S = 2.0
FLUSH_ROWS = 5000


@dataclass(frozen=True)
class _Batch:
    tracking_uri: str  # the store at the time of the prediction: the writer may run after it changed
    experiment_id: str
    name: str
    version: str
    frame: pd.DataFrame


def _client(tracking_uri: str | None = None):
    from mlflow import MlflowClient

    if tracking_uri is not None:
        return MlflowClient(tracking_uri=tracking_uri)
    active_store()
    return MlflowClient()


def enabled(name: str) -> bool:
    """Whether predictions of this registered model are logged (on unless switched off)."""
    if os.environ.get(ENV_SWITCH, "").lower() in ("off", "0", "false", "no"):
        return False
    tags = _client().get_registered_model(name).tags or {}
    return tags.get(TAG_SETTING, "on") != "off"


def set_enabled(name: str, on: bool) -> None:
    """Switch a registered model's prediction log on or off (a tag on the model, so it holds for everyone)."""
    _client().set_registered_model_tag(name, TAG_SETTING, "on" if on else "off")


def log_experiment(run_id: str | None) -> str | None:
    """The experiment a version's predictions are logged in: its source run's project (None: no run)."""
    if not run_id:
        return None
    from mlflow.exceptions import MlflowException

    try:
        return _client().get_run(run_id).info.experiment_id
    except MlflowException:
        return None


def records(
    inputs: pd.DataFrame, scored: pd.DataFrame, name: str, version: str, source: str, latency_ms: float | None = None
) -> pd.DataFrame:
    """The log rows: time, model, version, source, the inputs as given, prediction and probabilities."""
    frame = inputs.reset_index(drop=True).copy()
    frame.columns = [f"input.{c}" for c in frame.columns]
    outputs = scored.reset_index(drop=True)[[c for c in scored.columns if c == "prediction" or c.startswith("proba_")]]
    meta = pd.DataFrame(
        {
            "logged_at": pd.Timestamp.now(tz="UTC"),
            "model": name,
            "version": str(version),
            "source": source,
            "latency_ms": latency_ms,
        },
        index=frame.index,
    )
    return pd.concat([meta, frame, outputs], axis=1)


class _Writer:
    """One daemon thread that turns queued batches into Parquet parts in the store, every FLUSH_EVERY_S seconds
    or FLUSH_ROWS rows, and at once when asked to flush."""

    def __init__(self) -> None:
        self._queue: queue.Queue[_Batch | threading.Event] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.errors: list[str] = []

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="qua3ck-prediction-log", daemon=True)
                self._thread.start()

    def submit(self, batch: _Batch) -> None:
        self._ensure_thread()
        self._queue.put(batch)

    def flush(self, timeout: float) -> bool:
        """Write everything queued before this call; True when done within the timeout."""
        self._ensure_thread()
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def _run(self) -> None:
        pending: list[_Batch] = []
        deadline = 0.0
        while True:
            wait = max(0.0, deadline - time.monotonic()) if pending else None
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                item = None
            if isinstance(item, _Batch):
                if not pending:
                    deadline = time.monotonic() + FLUSH_EVERY_S
                pending.append(item)
            full = sum(len(b.frame) for b in pending) >= FLUSH_ROWS
            if pending and (item is None or isinstance(item, threading.Event) or full):
                self._write(pending)
                pending = []
            if isinstance(item, threading.Event):
                item.set()

    def _write(self, batches: list[_Batch]) -> None:
        groups: dict[tuple[str, str, str], list[pd.DataFrame]] = {}
        for batch in batches:
            groups.setdefault((batch.tracking_uri, batch.experiment_id, batch.name), []).append(batch.frame)
        for (uri, experiment_id, name), frames in groups.items():
            try:
                _write_part(uri, experiment_id, name, pd.concat(frames, ignore_index=True))
            except Exception as exc:  # noqa: BLE001 — a store hiccup loses log rows, never a prediction
                self.errors.append(f"{name}: {type(exc).__name__}: {exc}")


_writer = _Writer()


def _filter(name: str) -> str:

    return f"tags.`{TAG_KIND}` = '{KIND}' and tags.`{TAG_MODEL}` = '{_quote(name)}'"


def _log_run(client, experiment_id: str, name: str) -> str:
    """The model's log run in this experiment, created on first use."""
    found = client.search_runs(
        [experiment_id],
        filter_string=_filter(name),
        max_results=1,
    )
    if found:
        return found[0].info.run_id
    run = client.create_run(experiment_id, run_name=f"prediction-log · {name}", tags={TAG_KIND: KIND, TAG_MODEL: name})
    client.set_terminated(run.info.run_id, "FINISHED")
    return run.info.run_id


def _write_part(tracking_uri: str, experiment_id: str, name: str, frame: pd.DataFrame) -> None:

    client = _client(tracking_uri)
    run_id = _log_run(client, experiment_id, name)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{stamp}-{uuid.uuid4().hex[:8]}.parquet"
        frame.to_parquet(path, index=False)
        client.log_artifact(run_id, str(path), PARTS)


def append(experiment_id: str | None, name: str, version: str, frame: pd.DataFrame) -> bool:
    """Queue log rows (see ``records``); False when there is no project to log into."""
    import mlflow

    if experiment_id is None or frame.empty:
        return False
    active_store()
    _writer.submit(_Batch(mlflow.get_tracking_uri(), experiment_id, name, str(version), frame))
    return True


def flush(timeout: float = 30.0) -> bool:
    """Write every queued prediction to the store now (tests, shutdown)."""
    return _writer.flush(timeout)


def read_log(experiment_id: str, name: str) -> pd.DataFrame:
    """Every logged prediction of a model in a project, oldest first (empty when nothing was logged)."""
    import mlflow

    client = _client()
    found = client.search_runs([experiment_id], filter_string=_filter(name), max_results=1)
    if not found:
        return pd.DataFrame()
    run_id = found[0].info.run_id
    parts = [a.path for a in client.list_artifacts(run_id, PARTS) if a.path.endswith(".parquet")]
    if not parts:
        return pd.DataFrame()
    frames = []
    # into a folder of our own: from a server MLflow would download into a new temporary folder every time
    with tempfile.TemporaryDirectory() as tmp:
        folder = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=PARTS, dst_path=tmp)
        for part in sorted(parts):
            with contextlib.suppress(OSError), open(os.path.join(folder, os.path.basename(part)), "rb") as handle:
                frames.append(pd.read_parquet(io.BytesIO(handle.read())))
    return pd.concat(frames, ignore_index=True).sort_values("logged_at", kind="stable").reset_index(drop=True)


def shutdown() -> None:
    """Flush at interpreter exit so a stopped server keeps its last predictions."""
    with contextlib.suppress(Exception):
        flush(timeout=10.0)


threading._register_atexit(shutdown)  # runs before daemon threads are stopped, unlike atexit


_experiments: dict[str, str | None] = {}  # a run's experiment never changes


def log_predictions(model, inputs: pd.DataFrame, scored: pd.DataFrame, source: str, latency_ms=None) -> bool:
    """Queue one prediction or a batch of a core.serve.predict.ServedModel; False when there is no project for it."""
    if model.run_id not in _experiments:
        _experiments[model.run_id] = log_experiment(model.run_id)
    rows = records(inputs, scored, model.name, model.version, source, latency_ms)
    return append(_experiments[model.run_id], model.name, model.version, rows)


def scored_one(label: str, probabilities: dict[str, float]) -> pd.DataFrame:
    """One prediction as the one-row frame predict_frame would give."""
    return pd.DataFrame([{"prediction": label, **{f"proba_{c}": p for c, p in probabilities.items()}}])
