"""Monitoring (CM): compare a served model's training data with recent data, and its KPIs over time.

The **reference** is the training split of the data the model version was trained on: version → source run →
its data run (``qua3ck.data_run``, see :func:`core.compare.evidence.data_run_of`) →
:func:`core.data.datastore.load_dataset`.
A model that other code logged into a workbench project borrows the project's current data when the columns match.

The **current** data is either the prediction log of the model (:func:`core.serve.prediction_log.read_log`, optionally
one version and a time window) or a batch file checked against the training schema
(:func:`core.data.validation.check_batch`). A batch needs at least ``MIN_ROWS`` rows; a short log is still shown, with
its drift tests skipped and a note saying why.

Per feature drift comes from :mod:`core.monitor.drift`. Predicted classes come from the log, or from predicting the
batch with the served model. When the batch holds the target column, the workbench's score metrics
(:func:`core.compare.evaluation.score_predictions`) are measured overall and per period and checked against the
project's KPIs; a KPI is *breached* when its value over all labelled rows fails it (single periods are often too small
to judge on their own, so their failures are reported but do not raise the alert). The log has no labels, but its
single-row predictions carry their latency, so ``latency_ms`` (p95) is checked from it.

"Over time": by period of a time column (the log's ``logged_at``, or a batch column named like time/date/timestamp
that parses as dates), at the finest of minute/hour/day/week/month whose span holds at most ``MAX_PERIODS``
periods;
without one, by consecutive chunks of rows in file order.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from core.common.errors import WorkbenchError
from core.common.i18n import plural_category, tr
from core.compare import evidence
from core.compare.evaluation import score_predictions
from core.data import datastore
from core.data.loading import read_table
from core.data.roles import category_string, coerce_for_roles
from core.data.sets import DataError
from core.data.validation import Finding, blocking, blocking_message, check_batch
from core.monitor import drift
from core.question import projects
from core.question.kpis import KPI
from core.registry import model_registry
from core.serve import predict, prediction_log
from core.serve.predict import predict_frame

MIN_ROWS = drift.Thresholds().min_rows
MAX_PERIODS = 24
MAX_CHUNKS = 10
TIME_NAME = re.compile(r"time|date|timestamp|logged_at|when", re.IGNORECASE)
TIME_PARSE_SHARE = 0.9  # a column counts as the batch's time when this share of its values reads as dates
LOG_TIME = "logged_at"
INPUT_PREFIX = "input."
PREDICTED = "predicted class"
# finest first: (pandas frequency, label format, what the UI calls it: catalogue key monitor.period_<word>); the
# week's label format is the catalogue's monitor.week_of
FREQUENCIES = (
    ("min", "%Y-%m-%d %H:%M", "minute"),
    ("h", "%Y-%m-%d %H:00", "hour"),
    ("D", "%Y-%m-%d", "day"),
    ("W", "week of %Y-%m-%d", "week"),
    ("M", "%Y-%m", "month"),
)
PERIOD_WORDS = {
    "minute": "monitor.period_minute",
    "hour": "monitor.period_hour",
    "day": "monitor.period_day",
    "week": "monitor.period_week",
    "month": "monitor.period_month",
}


class MonitorError(WorkbenchError):
    """Monitoring cannot run on this input, with a message for people."""


class EmptyLog(MonitorError):
    """Nothing (in the chosen scope) was logged for the model yet."""


@dataclass(frozen=True)
class Reference:
    """What a model version was trained on: the training rows, feature kinds, schema and the project's KPIs."""

    name: str
    version: str
    run_id: str
    experiment_id: str | None
    data_run_id: str
    dataset: str
    target: str
    kinds: dict[str, str]  # feature -> numeric | categorical
    roles: dict[str, str]
    schema: dict
    frame: pd.DataFrame = field(repr=False)  # the training split: features and target
    kpis: tuple[KPI, ...] = ()
    note: str = ""  # e.g. that the project's data was borrowed

    @property
    def features(self) -> list[str]:
        return list(self.kinds)

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


@dataclass(frozen=True)
class Current:
    """Recent data: the feature rows plus, aligned with them, whatever is known about each row."""

    source: str  # "prediction log" or "batch 'file.csv'"
    frame: pd.DataFrame = field(repr=False)  # the features, typed as in training
    times: pd.Series | None = field(default=None, repr=False)  # UTC timestamps (NaT: unknown)
    time_column: str | None = None
    labels: pd.Series | None = field(default=None, repr=False)  # true classes as text (NaN: unlabelled)
    predictions: pd.Series | None = field(default=None, repr=False)  # the log's predicted classes
    latency_ms: pd.Series | None = field(default=None, repr=False)
    findings: tuple[Finding, ...] = ()  # the batch check's warnings and notes

    @property
    def rows(self) -> int:
        return len(self.frame)


@dataclass(frozen=True)
class KPIStatus:
    """One KPI on the recent data: measured overall and per period."""

    kpi: KPI
    value: float | None  # None: not measurable on this data (e.g. accuracy without labels)
    passed: bool | None  # None: not measured
    failing_periods: tuple[str, ...] = ()
    why_not: str = ""

    def as_dict(self) -> dict:
        return {
            "kpi": str(self.kpi),
            "metric": self.kpi.metric,
            "op": self.kpi.op,
            "threshold": self.kpi.threshold,
            "value": self.value,
            "passed": self.passed,
            "failing_periods": list(self.failing_periods),
            "why_not": self.why_not,
        }


@dataclass
class MonitorReport:
    """Everything the Monitor page and ``python -m core monitor`` show."""

    reference: Reference = field(repr=False)  # the training data of the version
    current: Current = field(repr=False)  # the recent data it is compared with
    alias: str | None
    labelled_rows: int
    thresholds: drift.Thresholds
    drift: list[drift.FeatureDrift]
    kpis: list[KPIStatus]
    grouping: str  # how rows were grouped over time, in words
    periods: list[str]  # in time (or row) order
    classes_over_time: pd.DataFrame | None  # period, class, rows
    kpis_over_time: pd.DataFrame | None  # period, metric, value, rows
    prediction_drift: drift.FeatureDrift | None  # predicted classes vs the training labels (informational)
    notes: list[str]

    @property
    def current_rows(self) -> int:
        return self.current.rows

    @property
    def drifted(self) -> list[str]:
        return [d.feature for d in self.drift if d.verdict == "drift"]

    @property
    def moderate(self) -> list[str]:
        return [d.feature for d in self.drift if d.verdict == "moderate"]

    @property
    def untested(self) -> bool:
        """No feature could be tested for drift (too few rows on a side): "no drift" would claim too much."""
        return bool(self.drift) and all(d.verdict == "skipped" for d in self.drift)

    @property
    def breached(self) -> list[KPIStatus]:
        return [k for k in self.kpis if k.passed is False]

    @property
    def alert(self) -> bool:
        """Drift in a feature or a breached KPI: what makes the CLI exit 1."""
        return bool(self.drifted or self.breached)

    def alerts(self) -> list[str]:
        """One line per breached KPI and drifted feature."""
        lines = [
            tr("monitor.alert_kpi", kpi=k.kpi, value=k.value, rows=self.labelled_rows)
            + (
                tr("monitor.alert_kpi_periods", failing=len(k.failing_periods), periods=len(self.periods))
                if k.failing_periods
                else ""
            )
            for k in self.breached
        ]
        lines += [tr("monitor.alert_drift", feature=d.feature, note=d.note) for d in self.drift if d.verdict == "drift"]
        return lines

    def to_dict(self) -> dict:
        """JSON-ready: no frames, NaN as None."""
        return _clean(
            {
                "model": self.reference.name,
                "alias": self.alias,
                "version": self.reference.version,
                "source": self.current.source,
                "dataset": self.reference.dataset,
                "reference_rows": len(self.reference.frame),
                "current_rows": self.current_rows,
                "labelled_rows": self.labelled_rows,
                "alert": self.alert,
                "drifted": self.drifted,
                "moderate": self.moderate,
                "breached": [str(k.kpi) for k in self.breached],
                "summary": drift.summary(self.drift),
                "thresholds": asdict(self.thresholds),
                "drift": [d.as_dict() for d in self.drift],
                "prediction_drift": self.prediction_drift.as_dict() if self.prediction_drift else None,
                "kpis": [k.as_dict() for k in self.kpis],
                "grouping": self.grouping,
                "periods": self.periods,
                "classes_over_time": _records(self.classes_over_time),
                "kpis_over_time": _records(self.kpis_over_time),
                "notes": self.notes,
            }
        )


# --- the reference -----------------------------------------------------------------------------------------------


def reference_for(name: str, alias: str) -> Reference:
    """The training data of the version ``models:/name@alias`` points at."""

    version = model_registry.resolve_alias(name, alias)  # RegistryError names the aliases that exist
    return reference_for_version(name, version.version)


def reference_for_version(name: str, version: str) -> Reference:
    """The training data of one model version (its source run's data run), with the project's KPIs."""
    from mlflow.exceptions import MlflowException

    info = model_registry.get_version(name, str(version))
    if not info.run_id:
        raise MonitorError(tr("monitor.no_source_run", name=name, version=version))
    experiment_id = prediction_log.log_experiment(info.run_id)
    try:
        data_run = evidence.data_run_of(info.run_id)
    except MlflowException:
        raise MonitorError(tr("monitor.source_run_gone", run_id=info.run_id, name=name, version=version)) from None
    note = ""
    if not data_run and experiment_id:  # logged by other code into a workbench project
        data_run = projects.get_project(experiment_id).data_run_id
        note = tr("monitor.borrowed_data")
    if not data_run:
        raise MonitorError(tr("monitor.no_training_data", name=name, version=version))
    record = datastore.load_dataset(data_run)
    train = record.frame.iloc[record.split.train].reset_index(drop=True)
    roles = record.roles_of_features()
    kinds = {f: drift.kind_of_role(roles.get(f)) or drift.infer_kind(train[f]) for f in record.features}
    kpis = tuple(projects.get_project(experiment_id).kpis) if experiment_id else ()
    return Reference(
        name=name,
        version=str(version),
        run_id=info.run_id,
        experiment_id=experiment_id,
        data_run_id=data_run,
        dataset=record.name,
        target=record.target,
        kinds=kinds,
        roles=roles,
        schema=record.schema(),
        frame=train[[*record.features, record.target]],
        kpis=kpis,
        note=note,
    )


# --- the current data --------------------------------------------------------------------------------------------


def read_log(reference: Reference) -> pd.DataFrame:
    """The model's whole prediction log in its project (empty when nothing was logged)."""

    if not reference.experiment_id:
        return pd.DataFrame()
    return prediction_log.read_log(reference.experiment_id, reference.name)


def current_from_log(
    reference: Reference, log: pd.DataFrame, version: str | None = None, since: pd.Timestamp | None = None
) -> Current:
    """The logged predictions as current data: one version only and/or those logged at or after ``since``."""
    how = tr("monitor.log_scope_model")
    if not log.empty and version is not None:
        log = log[log["version"].astype(str) == str(version)]
        how = tr("monitor.log_scope_version", version=version)
    if not log.empty and since is not None:
        since = pd.Timestamp(since)
        since = since.tz_localize("UTC") if since.tzinfo is None else since.tz_convert("UTC")
        log = log[pd.to_datetime(log[LOG_TIME], utc=True) >= since]
        how += tr("monitor.log_scope_since", since=f"{since:%Y-%m-%d %H:%M}")
    if log.empty:
        raise EmptyLog(tr("monitor.empty_log_error", scope=how))
    columns = {f: f"{INPUT_PREFIX}{f}" for f in reference.features}
    absent = [f for f, c in columns.items() if c not in log.columns]
    if absent:
        raise MonitorError(tr("monitor.log_lacks_inputs", inputs=", ".join(absent[:5])))
    log = log.reset_index(drop=True)
    frame = _typed(log[list(columns.values())].set_axis(list(columns), axis=1), reference)
    latency = pd.to_numeric(log["latency_ms"], errors="coerce") if "latency_ms" in log else None
    return Current(
        source=tr("monitor.source_prediction_log"),
        frame=frame,
        times=pd.to_datetime(log[LOG_TIME], utc=True),
        time_column=LOG_TIME,
        predictions=log["prediction"].astype(str) if "prediction" in log else None,
        latency_ms=latency if latency is not None and latency.notna().any() else None,
    )


def read_batch(content: bytes, filename: str, reference: Reference, min_rows: int = MIN_ROWS) -> Current:
    """An uploaded CSV/Parquet/Excel batch as current data (see :func:`current_from_batch`)."""

    try:
        frame = read_table(content, filename, min_rows=1, min_columns=1, batch=True).frame
    except DataError as exc:
        raise MonitorError(str(exc)) from None
    return current_from_batch(reference, frame, tr("monitor.source_batch_file", filename=filename), min_rows)


def current_from_batch(
    reference: Reference, frame: pd.DataFrame, source: str = "batch", min_rows: int = MIN_ROWS
) -> Current:
    """A batch checked against the training schema; MonitorError when it cannot be compared.

    Refused: no rows, fewer than ``min_rows`` rows, a missing feature column, text in a numeric column (the
    errors of :func:`core.data.validation.check_batch`). The target column, when present, holds the true labels; a
    column named like time/date that parses as dates orders the rows in time.
    """

    if frame.empty:
        raise MonitorError(tr("monitor.batch_empty"))
    frame = frame.reset_index(drop=True)
    time_column = detect_time_column(frame, exclude={*reference.features, reference.target})
    extra = [c for c in (reference.target, time_column) if c is not None and c in frame.columns]
    findings = check_batch(frame.drop(columns=extra), reference.schema)
    errors = blocking(findings)
    if errors:
        said = blocking_message(findings)
        said += tr("monitor.and_more", more=len(errors) - 3) if len(errors) > 3 else ""
        raise MonitorError(
            tr("monitor.batch_does_not_fit", name=reference.name, version=reference.version, findings=said)
        )
    if len(frame) < min_rows:
        key = f"monitor.batch_too_few_{plural_category(len(frame))}"
        raise MonitorError(tr(key, rows=len(frame), min_rows=min_rows))
    labels = None
    if reference.target in frame.columns and frame[reference.target].notna().any():
        labels = frame[reference.target].map(lambda v: np.nan if pd.isna(v) else category_string(v))
    times = _parse_times(frame[time_column]) if time_column else None
    return Current(
        source=source,
        frame=_typed(frame[reference.features], reference),
        times=times,
        time_column=time_column,
        labels=labels,
        findings=tuple(f for f in findings if f.severity != "error"),
    )


def detect_time_column(frame: pd.DataFrame, exclude: set[str] | frozenset[str] = frozenset()) -> str | None:
    """The first column named like time/date/timestamp whose values (mostly) read as dates, or None."""
    for column in frame.columns:
        if column in exclude or not TIME_NAME.search(str(column)):
            continue
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_datetime64_any_dtype(values):
            continue  # numbers would read as nanoseconds since 1970
        present = values.notna().sum()
        if present and _parse_times(values).notna().sum() >= TIME_PARSE_SHARE * present:
            return str(column)
    return None


def _parse_times(values: pd.Series) -> pd.Series:

    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.to_datetime(values, utc=True)
    with warnings.catch_warnings():  # "could not infer format": each value is parsed on its own, as wanted
        warnings.simplefilter("ignore")
        return pd.to_datetime(values.astype("string"), errors="coerce", utc=True, format="mixed")


def _typed(frame: pd.DataFrame, reference: Reference) -> pd.DataFrame:

    return coerce_for_roles(frame, reference.roles).reset_index(drop=True)


# --- over time ---------------------------------------------------------------------------------------------------


def periods_of(current: Current, min_rows: int = MIN_ROWS) -> tuple[pd.Series, list[str], str]:
    """A period label per row, the labels in order, and how the rows were grouped (in words)."""
    n = current.rows
    times = current.times
    if times is not None and times.notna().any():
        naive = times.dt.tz_convert("UTC").dt.tz_localize(None)
        starts, fmt, word = _period_starts(naive)
        no_time = tr("monitor.no_time")
        labels = starts.dt.strftime(fmt).where(starts.notna(), no_time)
        order = [p for p in pd.Series(starts.dropna().unique()).sort_values().dt.strftime(fmt)]
        if labels.eq(no_time).any():
            order.append(no_time)
        grouping = tr("monitor.grouped_by_time", period=tr(PERIOD_WORDS[word]), column=current.time_column)
        return labels.reset_index(drop=True), order, grouping
    chunks = max(1, min(MAX_CHUNKS, n // min_rows))
    size = math.ceil(n / chunks) if n else 1
    starts = np.arange(n) // size * size
    labels = pd.Series([tr("monitor.rows_range", first=s + 1, last=min(s + size, n)) for s in starts], dtype=object)
    order = list(dict.fromkeys(labels))
    key = "monitor.grouped_in_chunk" if len(order) == 1 else "monitor.grouped_in_chunks"
    return labels, order, tr(key, chunks=len(order), size=size)


def _period_starts(naive: pd.Series) -> tuple[pd.Series, str, str]:
    """Period start per row at the finest frequency whose periods from first to last row number at most
    MAX_PERIODS (else months): the span decides, so three days of data are grouped by day, not by minute."""
    for frequency in FREQUENCIES:
        periods = naive.dt.to_period(frequency[0])
        if (periods.max() - periods.min()).n + 1 <= MAX_PERIODS:
            break
    label_format = tr("monitor.week_of") if frequency[0] == "W" else frequency[1]
    return periods.dt.start_time, label_format, frequency[2]


def classes_over_time(predictions: pd.Series, periods: pd.Series) -> pd.DataFrame:
    """Rows per period and predicted class (long format: period, class, rows)."""
    frame = pd.DataFrame({"period": periods.to_numpy(), "class": predictions.astype(str).to_numpy()})
    return frame.groupby(["period", "class"], sort=False).size().reset_index(name="rows")


def scores_over_time(labels: pd.Series, predictions: pd.Series, periods: pd.Series) -> pd.DataFrame:
    """The score metrics per period on the labelled rows (long format: period, metric, value, rows)."""

    known = labels.notna().to_numpy()
    rows = []
    frame = pd.DataFrame({"y": labels.to_numpy()[known], "p": predictions.to_numpy()[known]})
    frame["period"] = periods.to_numpy()[known]
    for period, group in frame.groupby("period", sort=False):
        for metric, value in score_predictions(group["y"], group["p"]).items():
            rows.append({"period": period, "metric": metric, "value": value, "rows": len(group)})
    return pd.DataFrame(rows, columns=["period", "metric", "value", "rows"])


def latency_over_time(latency: pd.Series, periods: pd.Series) -> pd.DataFrame:
    """p95 single-row latency per period (long format, metric ``latency_ms``)."""
    frame = pd.DataFrame({"latency": latency.to_numpy(), "period": periods.to_numpy()}).dropna()
    grouped = frame.groupby("period", sort=False)["latency"]
    out = pd.DataFrame({"value": grouped.quantile(0.95), "rows": grouped.size()}).reset_index()
    out["metric"] = "latency_ms"
    return out[["period", "metric", "value", "rows"]]


# --- the report --------------------------------------------------------------------------------------------------


def monitor(
    reference: Reference,
    current: Current,
    model=None,
    thresholds: drift.Thresholds | None = None,
    alias: str | None = None,
) -> MonitorReport:
    """Drift per feature, predicted classes and KPIs over time (``model``: a core.serve.predict.ServedModel that
    predicts a batch; the log brings its own predictions)."""

    thresholds = thresholds or drift.Thresholds()
    notes = [reference.note] if reference.note else []
    if current.rows < thresholds.min_rows:
        key = f"monitor.too_few_recent_{plural_category(current.rows)}"
        notes.append(tr(key, rows=current.rows, min_rows=thresholds.min_rows))
    results = drift.drift_report(
        reference.frame[reference.features], current.frame[reference.features], reference.kinds, thresholds
    )
    predictions = current.predictions
    if predictions is None and model is not None:
        predictions = predict_frame(model, current.frame)["prediction"].astype(str).reset_index(drop=True)
    periods, order, grouping = periods_of(current, thresholds.min_rows)
    classes = classes_over_time(predictions, periods) if predictions is not None else None
    prediction_drift = None
    if predictions is not None:
        prediction_drift = drift.feature_drift(
            PREDICTED, reference.frame[reference.target].astype(str), predictions, "categorical", thresholds
        )
    parts, overall = [], {}
    labelled = 0
    if current.labels is not None and predictions is not None:
        known = current.labels.notna()
        labelled = int(known.sum())
        parts.append(scores_over_time(current.labels, predictions, periods))
        overall.update(score_predictions(current.labels[known], predictions[known]))
    elif current.labels is not None:
        notes.append(tr("monitor.labels_without_model"))
    if current.latency_ms is not None:
        parts.append(latency_over_time(current.latency_ms, periods))
        overall["latency_ms"] = float(current.latency_ms.dropna().quantile(0.95))
    over_time = pd.concat(parts, ignore_index=True) if parts else None
    statuses = [_kpi_status(k, overall, over_time, current, reference) for k in reference.kpis]
    return MonitorReport(
        reference=reference,
        current=current,
        alias=alias,
        labelled_rows=labelled,
        thresholds=thresholds,
        drift=results,
        kpis=statuses,
        grouping=grouping,
        periods=order,
        classes_over_time=classes,
        kpis_over_time=over_time,
        prediction_drift=prediction_drift,
        notes=notes,
    )


def _kpi_status(kpi: KPI, overall: dict, over_time: pd.DataFrame | None, current: Current, reference) -> KPIStatus:
    value = overall.get(kpi.metric)
    if value is None:
        if kpi.metric == "latency_ms":
            why = tr("monitor.why_no_latency")
        elif current.labels is None:
            why = tr("monitor.why_no_labels", target=reference.target)
        else:
            why = tr("monitor.why_no_predictions")
        return KPIStatus(kpi, None, None, why_not=why)
    failing: tuple[str, ...] = ()
    if over_time is not None:
        mine = over_time[over_time["metric"] == kpi.metric]
        failing = tuple(str(p) for p, v in zip(mine["period"], mine["value"], strict=True) if not kpi.passes(v))
    return KPIStatus(kpi, float(value), kpi.passes(value), failing)


def monitor_file(
    name: str, alias: str, content: bytes, filename: str, thresholds: drift.Thresholds | None = None
) -> MonitorReport:
    """The whole check of a batch file against ``models:/name@alias`` (the CLI's path)."""

    thresholds = thresholds or drift.Thresholds()
    version = model_registry.resolve_alias(name, alias)
    reference = reference_for_version(name, version.version)
    current = read_batch(content, filename, reference, thresholds.min_rows)
    model = predict.load_served_model(name, version.version)
    return monitor(reference, current, model, thresholds, alias)


def monitor_log(
    name: str, alias: str, only_version: bool = False, thresholds: drift.Thresholds | None = None
) -> MonitorReport:
    """The whole check of the prediction log against ``models:/name@alias``."""
    reference = reference_for(name, alias)
    current = current_from_log(reference, read_log(reference), reference.version if only_version else None)
    return monitor(reference, current, None, thresholds, alias)


# --- helpers -----------------------------------------------------------------------------------------------------


def _records(frame: pd.DataFrame | None) -> list[dict] | None:
    return None if frame is None else frame.to_dict("records")


def _clean(value):
    """NaN/inf → None and numpy scalars → Python, recursively, so json.dumps writes valid JSON."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
