"""KPIs of the Q phase: which metric, compared how, against which threshold."""

from __future__ import annotations

import json
import operator
import re
from dataclasses import asdict, dataclass

from core.common.errors import WorkbenchError
from core.common.i18n import significant, tr


class KPIError(WorkbenchError):
    """A KPI that cannot be used, with a message for people."""


@dataclass(frozen=True)
class MetricInfo:
    """A metric the workbench knows, and how to read it."""

    name: str
    label: str
    higher_is_better: bool
    is_score: bool  # scores live in [0, 1]; latency is in ms


METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in (
        MetricInfo("accuracy", "Accuracy", True, True),
        MetricInfo("balanced_accuracy", "Balanced accuracy", True, True),
        MetricInfo("f1_macro", "Macro F1", True, True),
        MetricInfo("precision_macro", "Macro precision", True, True),
        MetricInfo("recall_macro", "Macro recall", True, True),
        MetricInfo("latency_ms", "Single-row predict latency (ms, p95)", False, False),
    )
}
SCORE_METRICS = [m for m, info in METRICS.items() if info.is_score]

OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


def validate_kpi(metric: str, op: str, threshold: float) -> None:
    """Raise KPIError with a clear message when a KPI makes no sense."""
    if metric not in METRICS:
        raise KPIError(tr("kpis.unknown_metric", metric=metric, choices=", ".join(METRICS)))
    if op not in OPERATORS:
        raise KPIError(tr("kpis.unknown_comparator", op=op, metric=metric, choices=" ".join(OPERATORS)))
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise KPIError(tr("kpis.not_a_number", metric=metric, threshold=threshold)) from None
    if value != value:
        raise KPIError(tr("kpis.nan", metric=metric))
    if METRICS[metric].is_score and not 0.0 <= value <= 1.0:
        raise KPIError(tr("kpis.out_of_range", metric=metric, value=significant(value, 6)))
    if not METRICS[metric].is_score and not value > 0:
        raise KPIError(tr("kpis.not_positive", metric=metric, value=significant(value, 6)))


@dataclass(frozen=True)
class KPI:
    """One KPI such as ``accuracy >= 0.95``."""

    metric: str
    op: str
    threshold: float

    def __post_init__(self) -> None:
        validate_kpi(self.metric, self.op, self.threshold)

    def passes(self, value: float | None) -> bool:
        """Whether a measured value meets this KPI (a missing value never does)."""
        if value is None or value != value:  # NaN
            return False
        return bool(OPERATORS[self.op](value, self.threshold))

    def __str__(self) -> str:
        """The KPI as it is stored and typed: ``accuracy > 0.95`` (the CLI and MLflow tags use this form)."""
        return f"{self.metric} {self.op} {self.threshold:g}"

    def shown(self, language: str | None = None) -> str:
        """The KPI for a reader: its threshold written as the language writes numbers (``accuracy > 0,95``)."""
        return f"{self.metric} {self.op} {significant(self.threshold, 6, language)}"


DEFAULT_KPIS: tuple[KPI, ...] = (
    KPI("accuracy", ">", 0.95),
    KPI("latency_ms", "<", 500.0),
)


_KPI_PATTERN = re.compile(r"^\s*([a-z0-9_]+)\s*(>=|<=|>|<)\s*(\S+)\s*$")


def parse_kpi(text: str) -> KPI:
    """Parse ``"accuracy>=0.95"`` into a KPI."""
    match = _KPI_PATTERN.match(text or "")
    if not match:
        raise KPIError(tr("kpis.unreadable", text=text))
    metric, op, raw = match.groups()
    try:
        threshold = float(raw)
    except ValueError:
        raise KPIError(tr("kpis.threshold_not_number", text=text)) from None
    return KPI(metric, op, threshold)


def check_unique(kpis: list[KPI]) -> None:
    """Raise KPIError when a metric has two KPIs (the verdict would be ambiguous)."""
    seen: set[str] = set()
    for kpi in kpis:
        if kpi.metric in seen:
            raise KPIError(tr("kpis.duplicate", metric=kpi.metric))
        seen.add(kpi.metric)


def kpis_to_json(kpis: list[KPI] | tuple[KPI, ...]) -> str:
    """Serialise KPIs as a JSON list of {metric, op, threshold}."""
    return json.dumps([asdict(k) for k in kpis])


def kpis_from_json(text: str | None) -> list[KPI]:
    """Read KPIs stored by :func:`kpis_to_json`; unreadable entries are skipped."""
    if not text:
        return []
    try:
        items = json.loads(text)
    except json.JSONDecodeError:
        return []
    kpis = []
    for item in items if isinstance(items, list) else []:
        try:
            kpis.append(KPI(item["metric"], item["op"], float(item["threshold"])))
        except (KPIError, KeyError, TypeError, ValueError):
            continue
    return kpis


@dataclass(frozen=True)
class KPIResult:
    """One KPI checked against one measured value."""

    kpi: KPI
    value: float | None
    passed: bool


def check_kpis(kpis: list[KPI], metrics: dict[str, float]) -> list[KPIResult]:
    """Check every KPI against the measured metrics (keyed by metric name)."""
    return [KPIResult(k, metrics.get(k.metric), k.passes(metrics.get(k.metric))) for k in kpis]


def verdict(results: list[KPIResult]) -> str:
    """'pass' when every KPI passes, 'fail' otherwise, 'none' when there are no KPIs."""
    if not results:
        return "none"
    return "pass" if all(r.passed for r in results) else "fail"


def primary_metric(kpis: list[KPI] | tuple[KPI, ...] | None) -> str:
    """The score the project optimises: the metric of its first score KPI, else accuracy (no KPIs: accuracy)."""
    return next((k.metric for k in kpis or () if METRICS[k.metric].is_score), "accuracy")
