"""core.question.kpis: parsing, validation, checking and storing KPIs."""

from __future__ import annotations

import math

import pytest

from core.question import kpis
from core.question.kpis import KPI, KPIError, check_kpis, kpis_from_json, kpis_to_json, parse_kpi, verdict

SCORES = ["accuracy", "balanced_accuracy", "f1_macro", "precision_macro", "recall_macro"]
PARSABLE_SCORES = SCORES


def test_catalogue_lists_the_six_metrics():
    assert set(kpis.METRICS) == {*SCORES, "latency_ms"}
    assert kpis.SCORE_METRICS == SCORES
    assert kpis.METRICS["latency_ms"].higher_is_better is False


@pytest.mark.parametrize("metric", PARSABLE_SCORES)
@pytest.mark.parametrize("op", [">=", ">", "<=", "<"])
def test_parse_every_score_metric_and_operator(metric, op):
    kpi = parse_kpi(f"{metric}{op}0.9")
    assert kpi == KPI(metric, op, 0.9)
    assert str(kpi) == f"{metric} {op} 0.9"


@pytest.mark.parametrize("op", [">=", ">", "<=", "<"])
def test_parse_latency_with_every_operator(op):
    assert parse_kpi(f"  latency_ms {op} 250 ") == KPI("latency_ms", op, 250.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("accuracy >= 0.95", KPI("accuracy", ">=", 0.95)),
        ("accuracy>=1", KPI("accuracy", ">=", 1.0)),
        ("accuracy>0", KPI("accuracy", ">", 0.0)),
        ("precision_macro>=9.5e-1", KPI("precision_macro", ">=", 0.95)),
        ("f1_macro>=9.5e-1", KPI("f1_macro", ">=", 0.95)),
        ("latency_ms<0.5", KPI("latency_ms", "<", 0.5)),
    ],
)
def test_parse_boundaries_and_number_formats(text, expected):
    assert parse_kpi(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("accuracy>=1.5", "between 0 and 1"),
        ("accuracy>=-0.1", "between 0 and 1"),
        ("recall_macro<2", "out of range"),
        ("latency_ms<-1", "greater than 0"),
        ("latency_ms<0", "greater than 0"),
        ("accuracy>=nan", "NaN"),
        ("latency_ms<nan", "NaN"),
        ("roc_auc>=0.9", "Unknown KPI metric 'roc_auc'"),
        ("accuracy>=abc", "not a number"),
        ("accuracy=>0.9", "metric, comparator, number"),
        ("accuracy==0.9", "metric, comparator, number"),
        ("accuracy>=", "not a number"),
        ("accuracy>", "metric, comparator, number"),
        ("accuracy>=0.9 please", "metric, comparator, number"),
        ("garbage", "metric, comparator, number"),
        ("", "metric, comparator, number"),
        ("   ", "metric, comparator, number"),
        (">=0.9", "metric, comparator, number"),
    ],
)
def test_parse_refuses_bad_kpis_with_a_helpful_message(text, fragment):
    with pytest.raises(KPIError) as info:
        parse_kpi(text)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_unknown_metric_message_lists_the_choices():
    with pytest.raises(KPIError) as info:
        parse_kpi("auc>0.5")
    for metric in kpis.METRICS:
        assert metric in str(info.value)


def test_none_text_is_refused():
    with pytest.raises(KPIError):
        parse_kpi(None)


@pytest.mark.parametrize(
    ("metric", "op", "threshold", "fragment"),
    [
        ("accuracy", "==", 0.5, "Unknown comparator"),
        ("accuracy", ">=", "high", "must be a number"),
        ("accuracy", ">=", None, "must be a number"),
        ("accuracy", ">=", math.nan, "NaN"),
        ("latency_ms", "<", math.nan, "NaN"),
        ("balanced_accuracy", ">", 1.0001, "out of range"),
    ],
)
def test_kpi_constructor_validates(metric, op, threshold, fragment):
    with pytest.raises(KPIError) as info:
        KPI(metric, op, threshold)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("kpi", "value", "expected"),
    [
        (KPI("accuracy", ">=", 0.9), 0.9, True),
        (KPI("accuracy", ">", 0.9), 0.9, False),
        (KPI("accuracy", ">", 0.9), 0.91, True),
        (KPI("accuracy", "<=", 0.9), 0.9, True),
        (KPI("accuracy", "<", 0.9), 0.9, False),
        (KPI("accuracy", "<", 0.9), 0.1, True),
        (KPI("latency_ms", "<", 500), 499.9, True),
        (KPI("latency_ms", "<", 500), 500, False),
        (KPI("latency_ms", "<=", 500), 500, True),
        (KPI("accuracy", ">=", 0.0), None, False),
        (KPI("accuracy", ">=", 0.0), math.nan, False),
        (KPI("latency_ms", "<", 500), None, False),
        (KPI("latency_ms", "<", 500), math.nan, False),
    ],
)
def test_passes(kpi, value, expected):
    assert kpi.passes(value) is expected


def test_default_kpis():
    defaults = kpis.DEFAULT_KPIS
    assert defaults == (KPI("accuracy", ">", 0.95), KPI("latency_ms", "<", 500.0))


@pytest.mark.parametrize(
    "items",
    [
        [],
        [KPI("accuracy", ">", 0.95)],
        [KPI("accuracy", ">", 0.95), KPI("latency_ms", "<", 500.0)],
        [KPI(m, op, 0.5) for m, op in zip(SCORES, [">=", ">", "<=", "<", ">="], strict=True)],
    ],
)
def test_json_round_trip(items):
    text = kpis_to_json(items)
    assert kpis_from_json(text) == items


def test_json_round_trip_of_tuple():
    assert kpis_from_json(kpis_to_json(kpis.DEFAULT_KPIS)) == list(kpis.DEFAULT_KPIS)


@pytest.mark.parametrize("text", [None, "", "not json", "{}", '"accuracy>0.9"', "42"])
def test_unreadable_json_gives_no_kpis(text):
    assert kpis_from_json(text) == []


def test_unreadable_entries_are_skipped():
    text = (
        '[{"metric": "accuracy", "op": ">", "threshold": 0.9},'
        ' {"metric": "accuracy", "op": ">", "threshold": 7},'
        ' {"metric": "nope", "op": ">", "threshold": 0.9},'
        ' {"metric": "f1_macro", "op": ">"},'
        ' {"metric": "f1_macro", "op": ">", "threshold": null},'
        ' "text", [1, 2], 5,'
        ' {"metric": "latency_ms", "op": "<", "threshold": "250"}]'
    )
    assert kpis_from_json(text) == [KPI("accuracy", ">", 0.9), KPI("latency_ms", "<", 250.0)]


def test_check_unique():
    kpis.check_unique([KPI("accuracy", ">", 0.9), KPI("latency_ms", "<", 100)])
    with pytest.raises(KPIError, match="accuracy has more than one KPI"):
        kpis.check_unique([KPI("accuracy", ">", 0.9), KPI("accuracy", "<", 0.99)])


def test_check_kpis_and_verdict():
    items = [KPI("accuracy", ">", 0.95), KPI("latency_ms", "<", 500.0)]
    results = check_kpis(items, {"accuracy": 0.97, "latency_ms": 12.0, "f1_macro": 0.1})
    assert [(r.kpi, r.value, r.passed) for r in results] == [(items[0], 0.97, True), (items[1], 12.0, True)]
    assert verdict(results) == "pass"

    results = check_kpis(items, {"accuracy": 0.95, "latency_ms": 12.0})
    assert [r.passed for r in results] == [False, True]
    assert verdict(results) == "fail"


def test_missing_metric_fails_the_verdict():
    results = check_kpis([KPI("f1_macro", ">=", 0.5)], {"accuracy": 1.0})
    assert results[0].value is None
    assert results[0].passed is False
    assert verdict(results) == "fail"


def test_no_kpis_means_no_verdict():
    assert check_kpis([], {"accuracy": 1.0}) == []
    assert verdict([]) == "none"
