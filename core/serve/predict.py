"""Predict: load a registered model version and predict one row or a whole frame, with probabilities."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from core.common.config import active_store
from core.common.errors import WorkbenchError, one_line
from core.common.i18n import tr
from core.data import datastore
from core.data.loading import read_table
from core.data.roles import coerce_for_roles
from core.data.sets import DataError
from core.data.validation import Finding, blocking, blocking_message, check_batch
from core.question import projects

# Types from these libraries are what a scikit-learn model is made of; anything else in a skops file
# (a user's own class, os, subprocess, …) is refused.
TRUSTED_MODULE_PREFIXES = (
    "sklearn.",
    "numpy.",
    "scipy.",
    "builtins.",
    "collections.",
    "_operator.",
)


class PredictError(WorkbenchError):
    """A prediction that cannot be made, with a message for people."""


@dataclass
class ServedModel:
    """A loaded model version and what the workbench knows about its inputs."""

    name: str
    version: str
    run_id: str | None
    features: list[str]
    stats: dict[str, dict] = field(default_factory=dict)
    classes: list[str] | None = None
    estimator: object = None  # the raw scikit-learn model when available
    pyfunc: object = None
    named_inputs: bool = True  # False when the model was fitted on a bare array
    schema: dict | None = None  # the training schema that checks batches (workbench models)

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


@dataclass(frozen=True)
class Prediction:
    """One row's prediction."""

    label: str
    probabilities: dict[str, float]
    latency_ms: float


def load_served_model(name: str, version: str) -> ServedModel:
    """Load ``models:/name/version`` with the metadata needed to build inputs and read outputs."""
    import mlflow
    from mlflow.exceptions import MlflowException

    active_store()
    uri = f"models:/{name}/{version}"
    try:
        info = mlflow.models.get_model_info(uri)
    except (MlflowException, OSError) as exc:
        raise PredictError(tr("predict.model_not_found", name=name, version=version, error=one_line(exc))) from None
    pyfunc, estimator = None, None
    try:
        # the requirements check compares every pinned package with the installed one (~1.4 s) and only warns
        pyfunc = mlflow.pyfunc.load_model(uri, suppress_warnings=True)
        estimator = _raw(pyfunc)
    except Exception as exc:  # noqa: BLE001 — skops refuses models logged without trusted types (plain code)
        if type(exc).__name__ != "UntrustedTypesFoundException":
            raise PredictError(
                tr("predict.model_not_loaded", name=name, version=version, error=one_line(exc))
            ) from None
        estimator = _load_skops_trusting_libraries(uri)
    run_id = info.run_id
    features, named = _features(info, estimator)
    stats = _stats(run_id, features)
    if not named and stats:  # a bare-array model in a workbench project: show the project's column names
        features = list(stats)
    classes = [str(c) for c in getattr(estimator, "classes_", [])] or None
    schema = _run_json(run_id, "schema.json") if run_id else None
    return ServedModel(name, str(version), run_id, features, stats, classes, estimator, pyfunc, named, schema)


def _run_json(run_id: str, path: str) -> dict | None:
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        return mlflow.artifacts.load_dict(f"runs:/{run_id}/{path}")
    except (MlflowException, OSError, ValueError):
        return None


def _raw(pyfunc):
    try:
        return pyfunc.get_raw_model()
    except (NotImplementedError, AttributeError):
        return None


def _load_skops_trusting_libraries(uri: str):
    """Load a skops-serialised scikit-learn model whose MLmodel lists no trusted types."""

    import mlflow
    import skops.io

    local = Path(mlflow.artifacts.download_artifacts(uri))
    flavor = yaml.safe_load((local / "MLmodel").read_text())["flavors"]["sklearn"]
    path = local / flavor["pickled_model"]
    untrusted = skops.io.get_untrusted_types(file=path)
    refused = [t for t in untrusted if not t.startswith(TRUSTED_MODULE_PREFIXES)]
    if refused:
        raise PredictError(tr("predict.untrusted_types", types=", ".join(refused[:5])))
    return skops.io.load(path, trusted=untrusted)


def _features(info, estimator) -> tuple[list[str], bool]:
    schema = info.signature.inputs if info.signature is not None else None
    if schema is not None and schema.has_input_names():
        return list(schema.input_names()), True
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        return [str(n) for n in names], True
    count = int(getattr(estimator, "n_features_in_", 0) or 0)
    if count == 0:
        raise PredictError(tr("predict.no_inputs_known"))
    return [f"feature_{i}" for i in range(count)], False


def _stats(run_id: str | None, features: list[str]) -> dict[str, dict]:
    """Training ranges: those logged with the run, else those of its project's data when the shape fits."""
    import mlflow
    from mlflow.exceptions import MlflowException

    if not run_id:
        return {}
    try:
        stats = mlflow.artifacts.load_dict(f"runs:/{run_id}/feature_stats.json")
        if set(stats) == set(features):
            return stats
    except (MlflowException, OSError, ValueError):
        pass
    try:  # a model logged by other code into a workbench project: borrow the project's columns and ranges
        experiment_id = mlflow.get_run(run_id).info.experiment_id
        data_run = projects.get_project(experiment_id).data_run_id
        stats = datastore.load_feature_stats(data_run) if data_run else {}
    except (MlflowException, ValueError):
        return {}
    return stats if len(stats) == len(features) else {}


@dataclass(frozen=True)
class InputSpec:
    """How one model input is asked for: ``choice`` among the training categories, ``number`` within the training
    range (slider bounds), or ``free`` (a number box: the training data is unknown)."""

    kind: str
    default: object
    low: float | int | None = None
    high: float | int | None = None
    step: float | int = 1
    decimals: int = 0
    options: tuple[str, ...] = ()

    @property
    def integer(self) -> bool:
        return isinstance(self.step, int)

    def clamp(self, value: float | int) -> float | int:
        """``value`` within the slider's bounds (a typed value may lie outside the training range)."""
        return min(max(value, self.low), self.high)


def input_spec(stat: dict) -> InputSpec:
    """The input for one feature from its training statistics (core.data.sets.feature_stats): sliders span exactly the
    training range, integer columns step by whole numbers, and the step is sized to the column's spread (about a
    hundred steps end to end), so that keys and typing are useful on any scale."""
    if stat.get("kind") == "categorical":
        options = tuple(str(c) for c in stat.get("categories", ()))
        default = stat.get("mode") if stat.get("mode") in options else (options[0] if options else "")
        return InputSpec("choice", default, options=options)
    finite = all(math.isfinite(float(stat.get(k, 0.0))) for k in ("min", "max", "median"))
    if stat.get("kind") != "numeric" or not finite:
        return InputSpec("free", 0.0, step=0.1, decimals=2)
    low, high, median = float(stat["min"]), float(stat["max"]), float(stat.get("median", stat["min"]))
    span = high - low
    exponent = math.floor(math.log10(span / 100)) if span > 0 else -2
    if stat.get("integer"):
        step = int(10 ** max(exponent, 0))
        return InputSpec("number", int(round(median)), int(low), int(high), step, 0)
    decimals = max(0, -exponent)
    step = round(10.0**exponent, decimals)
    return InputSpec("number", round(median, decimals), low, high, step, decimals)


def default_inputs(model: ServedModel) -> dict[str, object]:
    """A starting value per feature: the training median or mode, else 0."""
    values: dict[str, object] = {}
    for feature in model.features:
        stat = model.stats.get(feature, {})
        values[feature] = stat.get("median", stat.get("mode", 0.0)) if stat else 0.0
    return values


def positional_columns(model: ServedModel, rows: pd.DataFrame) -> list[str] | None:
    """The file's columns that feed a model logged without column names (``log_model(…, input_example=X[:2])``
    with a NumPy array: its inputs are only counted), matched by position: the numeric columns, when there are
    exactly as many as the model takes and the file lacks its input names. None when names match or it cannot be
    matched. MLflow itself scores such a model with any array of the right width."""
    if model.named_inputs or all(f in rows.columns for f in model.features):
        return None
    numeric = [
        c for c in rows.columns if pd.api.types.is_numeric_dtype(rows[c]) and not pd.api.types.is_bool_dtype(rows[c])
    ]
    return numeric if len(numeric) == len(model.features) else None


def _frame(model: ServedModel, rows: pd.DataFrame) -> pd.DataFrame | np.ndarray:
    by_position = positional_columns(model, rows)
    if by_position is not None:
        return rows[by_position].to_numpy()
    missing = [f for f in model.features if f not in rows.columns]
    if missing:
        raise PredictError(tr("predict.missing_inputs", columns=", ".join(missing)))
    ordered = rows[model.features]
    return ordered if model.named_inputs else ordered.to_numpy()


def as_trained(model: ServedModel, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with the types the training rows had (text categories, numbers as numbers), when known."""
    if not model.schema:
        return rows
    return coerce_for_roles(rows, {c: spec.get("role", "") for c, spec in model.schema.get("features", {}).items()})


CHUNK_ROWS = 20_000


def predict_frame(
    model: ServedModel, rows: pd.DataFrame, on_progress: Callable[[int, int], None] | None = None
) -> pd.DataFrame:
    """The input rows plus ``prediction`` and one ``proba_<class>`` column per class; ``on_progress(done, total)``
    hears after each CHUNK_ROWS rows of a large batch."""
    if rows.empty:
        raise PredictError(tr("predict.no_rows"))
    rows = as_trained(model, rows)
    X = _frame(model, rows)
    if on_progress is None or len(rows) <= CHUNK_ROWS:
        predictions, proba, classes = _predict(model, X)
    else:
        parts = []
        for start in range(0, len(rows), CHUNK_ROWS):
            parts.append(_predict(model, X[start : start + CHUNK_ROWS]))
            on_progress(min(start + CHUNK_ROWS, len(rows)), len(rows))
        predictions = np.concatenate([p[0] for p in parts])
        proba = None if parts[0][1] is None else np.concatenate([p[1] for p in parts])
        classes = parts[0][2]
    out = rows.copy()
    out["prediction"] = predictions
    for i, cls in enumerate(classes or []):
        out[f"proba_{cls}"] = proba[:, i]
    return out


def _predict(model: ServedModel, X) -> tuple[np.ndarray, np.ndarray | None, list[str] | None]:
    """Predicted labels, and class probabilities with their classes when the model gives them."""
    try:
        if model.estimator is not None and hasattr(model.estimator, "predict_proba"):
            proba = np.asarray(model.estimator.predict_proba(X))
            labels = np.asarray(model.estimator.classes_)
            return labels[proba.argmax(axis=1)], proba, [str(c) for c in labels]
        if model.pyfunc is not None:
            return np.asarray(model.pyfunc.predict(X)), None, None
        return np.asarray(model.estimator.predict(X)), None, None
    except (ValueError, TypeError, KeyError) as exc:
        raise PredictError(tr("predict.could_not_predict", error=one_line(exc))) from None


def predict_one(model: ServedModel, values: dict[str, object]) -> Prediction:
    """Predict one row given as feature -> value, timing the call.

    The same steps as ``predict_frame`` without building an output frame: one row is where pandas' fixed
    costs would show next to the model's own time."""
    started = time.perf_counter()
    row = as_trained(model, pd.DataFrame({f: [values.get(f)] for f in model.features}))
    labels, proba, classes = _predict(model, row if model.named_inputs else row.to_numpy())
    probabilities = {} if proba is None else {c: float(p) for c, p in zip(classes, proba[0], strict=True)}
    return Prediction(str(labels[0]), probabilities, (time.perf_counter() - started) * 1000)


def out_of_range(model: ServedModel, values: dict[str, object]) -> list[str]:
    """A warning per numeric input outside the range seen in training."""
    warnings = []
    for feature, value in values.items():
        stat = model.stats.get(feature)
        numeric = bool(stat) and stat.get("kind") == "numeric" and isinstance(value, int | float)
        if numeric and not stat["min"] <= value <= stat["max"]:
            warnings.append(tr("predict.out_of_range", feature=feature, value=value, low=stat["min"], high=stat["max"]))
    return warnings


def check_rows(model: ServedModel, frame: pd.DataFrame) -> list:
    """Findings for a batch: against the training schema when the model has one, else its input columns."""
    if model.schema:
        return check_batch(frame, model.schema)
    by_position = positional_columns(model, frame)
    if by_position is not None:
        pairs = ", ".join(f"{column} → {feature}" for column, feature in zip(by_position, model.features, strict=True))
        return [Finding("matched_by_position", "info", tr("predict.matched_by_position", pairs=pairs))]
    missing = [f for f in model.features if f not in frame.columns]
    if not missing:
        return []
    if not model.named_inputs:
        return [
            Finding(
                "missing_columns",
                "error",
                tr(
                    "predict.unnamed_inputs_mismatch",
                    count=len(model.features),
                    columns=", ".join(map(str, frame.columns)),
                ),
            )
        ]
    return [Finding("missing_columns", "error", tr("predict.file_lacks_inputs", columns=", ".join(missing)))]


def read_batch(content: bytes, filename: str, model: ServedModel) -> tuple[pd.DataFrame, list]:
    """Read an uploaded batch (CSV, Parquet or Excel) and check it against what the model was trained on."""

    try:
        frame = read_table(content, filename, min_rows=1, min_columns=1, batch=True).frame
    except DataError as exc:
        raise PredictError(str(exc)) from None
    return frame, check_rows(model, frame)


def read_prediction_csv(
    content: bytes, model: ServedModel, filename: str = "input.csv", notes: list | None = None
) -> pd.DataFrame:
    """Read and check a batch; PredictError naming the problems when any finding is an error. The other findings
    (warnings, notes) are appended to ``notes`` when given."""
    frame, findings = read_batch(content, filename, model)
    if blocking(findings):
        raise PredictError(blocking_message(findings))
    if notes is not None:
        notes.extend(findings)
    return frame
