"""core.data.validation: training-data checks, the schema spec, and batches checked against it."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

from core.data.roles import feature_columns_for, infer_roles
from core.data.validation import (
    Finding,
    SpecError,
    blocking,
    check_batch,
    check_spec,
    infer_schema,
    validate_training_data,
)

N = 40


def clean(rows: int = N) -> pd.DataFrame:
    """A small frame with nothing wrong: evenly spread numbers, a few categories, a flag, two balanced classes."""
    return pd.DataFrame(
        {
            "x": np.linspace(0.0, 10.0, rows),
            "count": [i % 9 for i in range(rows)],
            "colour": (["red", "green", "blue"] * rows)[:rows],
            "flag": (["yes", "no"] * rows)[:rows],
            "label": (["a", "b"] * rows)[:rows],
        }
    )


def validate(frame: pd.DataFrame, overrides: dict[str, str] | None = None, **kwargs) -> list[Finding]:
    """Validate with inferred roles, except where the test plays the analyst and sets a role by hand."""
    return validate_training_data(frame, "label", {**infer_roles(frame, "label"), **(overrides or {})}, **kwargs)


def checks(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.check, f.severity) for f in findings}


def only(findings: list[Finding], check: str) -> Finding:
    matching = [f for f in findings if f.check == check]
    assert len(matching) == 1, findings
    return matching[0]


def test_a_clean_frame_has_no_findings():
    assert validate(clean()) == []


# --- each check: a frame that triggers it ------------------------------------------------------------------------


def with_missing(frame):
    frame.loc[[2, 5, 7], "x"] = np.nan
    return frame


def with_all_missing_feature(frame):
    frame["empty"] = np.nan
    return frame


# An entirely empty column is "constant" (excluded) by default; it blocks only when the analyst includes it.
FORCED_ROLES = {with_all_missing_feature: {"empty": "numeric"}}


def with_missing_target(frame):
    frame.loc[[3, 4], "label"] = None
    return frame


def with_duplicates(frame):
    frame.loc[10] = frame.loc[0]
    frame.loc[11] = frame.loc[0]
    return frame


def with_constant(frame):
    frame["site"] = "Berlin"
    return frame


def with_id(frame):
    frame.insert(0, "customer", range(1000, 1000 + len(frame)))
    return frame


def with_text(frame):
    frame["note"] = [f"A free-text remark number {i} about this row" for i in range(len(frame))]
    return frame


def with_infinite(frame):
    frame.loc[[4, 9], "x"] = np.inf
    frame.loc[12, "x"] = -np.inf
    return frame


def with_mixed(frame):
    frame["size"] = [str(i) for i in range(len(frame))]
    frame["size"] = frame["size"].astype(object)
    frame.loc[6, "size"] = "large"
    return frame


def with_single_class(frame):
    frame["label"] = "a"
    return frame


def with_class_per_row(frame):
    frame["label"] = [f"k{i}" for i in range(len(frame))]
    return frame


def with_too_many_classes(frame):
    frame = pd.concat([frame] * 6, ignore_index=True)  # 240 rows
    frame["x"] = np.linspace(0, 1, len(frame))
    frame["label"] = [f"k{i % 110}" for i in range(len(frame))]
    return frame


def with_single_row_class(frame):
    frame.loc[0, "label"] = "rare"
    return frame


def with_small_class(frame):
    frame.loc[[0, 2, 4, 6, 8], "label"] = "rare"  # 5 rows, ≈ 4 in training: fewer than 5 folds
    return frame


def with_imbalance(frame):
    frame = pd.concat([frame] * 3, ignore_index=True)  # 120 rows
    frame["x"] = np.linspace(0, 1, len(frame))
    frame["label"] = ["a"] * 110 + ["b"] * 10
    return frame


def with_many_outliers(frame):
    frame.loc[[1, 3, 5], "x"] = [1000.0, 2000.0, -3000.0]  # 7.5 % of 40
    return frame


def with_far_outlier(frame):
    frame = pd.concat([frame] * 3, ignore_index=True)
    frame["x"] = np.linspace(0, 1, len(frame))
    frame.loc[17, "x"] = -999.0  # 1 of 120: not many, but a code for "unknown"
    return frame


def with_spellings(frame):
    frame = pd.concat([frame] * 2, ignore_index=True)
    frame.loc[frame.index % 8 == 0, "label"] = " A"
    frame.loc[frame.index % 8 == 1, "label"] = "B "
    return frame


def with_no_features(frame):
    return frame[["label"]].assign(site="Berlin")


@pytest.mark.parametrize(
    ("make", "check", "severity", "column", "fragments"),
    [
        (with_missing, "missing_values", "warning", "x", ["3 missing values", "7.5%", "rows 3, 6, 8"]),
        (with_all_missing_feature, "all_missing_feature", "error", "empty", ["'empty' is entirely empty"]),
        (with_missing_target, "missing_target", "error", "label", ["2 rows", "rows 4, 5", "remove those rows"]),
        (with_duplicates, "duplicate_rows", "warning", None, ["2 rows repeat", "rows 11, 12"]),
        (with_constant, "constant_column", "warning", "site", ["'site' has one value ('Berlin')", "excluded"]),
        (with_id, "id_column", "warning", "customer", ["'customer' looks like an ID", "unique in every row"]),
        (with_text, "text_column", "info", "note", ["'note' holds free text", "excluded"]),
        (with_infinite, "infinite_values", "error", "x", ["3 infinite values", "rows 5, 10, 13", "Replace or remove"]),
        (with_mixed, "mixed_types", "warning", "size", ["numbers ('0', '1', '2'", "text ('large'; row 7)"]),
        (with_single_class, "single_class", "error", "label", ["only one class ('a')"]),
        (with_class_per_row, "class_per_row", "error", "label", ["40 different values in 40 rows"]),
        (with_too_many_classes, "too_many_classes", "error", "label", ["110 classes", "at most 100"]),
        (with_single_row_class, "too_few_rows_per_class", "error", "label", ["Class 'rare' (1)", "single row"]),
        (with_small_class, "too_few_rows_per_class", "warning", "label", ["'rare' (5)", "about 4 rows", "use 4 folds"]),
        (with_imbalance, "class_imbalance", "warning", "label", ["'b' has 10 rows", "'a' 110", "balanced accuracy"]),
        (with_many_outliers, "outliers", "warning", "x", ["3 values (7.5%)", "rows 2, 4, 6"]),
        (with_far_outlier, "outliers", "info", "x", ["1 extreme value", "row 18", "-999"]),
        (with_no_features, "no_features", "error", None, ["No column is left"]),
        (with_spellings, "class_spellings", "warning", "label", ["'a', ' A'", "'b', 'B '", "sees 4 classes", "mean 2"]),
    ],
)
def test_each_check_finds_its_problem(make, check, severity, column, fragments):
    findings = validate(make(clean()), FORCED_ROLES.get(make))
    finding = only(findings, check)
    assert finding.severity == severity
    assert finding.column == column
    for fragment in fragments:
        assert fragment in finding.message
    assert len(finding.rows) <= 10
    assert all(0 <= r < 10_000 for r in finding.rows)
    assert (finding in blocking(findings)) == (severity == "error")


@pytest.mark.parametrize(
    ("make", "rows"),
    [
        (with_missing, (2, 5, 7)),
        (with_missing_target, (3, 4)),
        (with_duplicates, (10, 11)),
        (with_infinite, (4, 9, 12)),
        (with_many_outliers, (1, 3, 5)),
    ],
)
def test_findings_keep_zero_based_example_rows(make, rows):
    finding = next(f for f in validate(make(clean())) if f.rows)
    assert finding.rows == rows


def test_findings_are_errors_first_then_warnings_then_info():
    frame = with_text(with_infinite(with_constant(with_missing(clean()))))
    severities = [f.severity for f in validate(frame)]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    assert set(severities) == {"error", "warning", "info"}


# --- and the near misses that must stay quiet --------------------------------------------------------------------


def near_class_size(frame):
    frame.loc[[0, 2, 4, 6, 8, 10], "label"] = "rare"  # 6 rows, ≈ 5 in training: just enough for 5 folds
    return frame


def near_imbalance(frame):
    frame = pd.concat([frame] * 3, ignore_index=True)
    frame["x"] = np.linspace(0, 1, len(frame))
    frame["label"] = ["a"] * 100 + ["b"] * 20
    return frame


def near_outliers(frame):
    frame.loc[1, "x"] = 20.0  # 1 of 40 (2.5 %), and within 5 × IQR
    return frame


def near_many_classes(frame):
    frame["label"] = [f"k{i % 20}" for i in range(len(frame))]  # 20 classes in 40 rows: exactly half
    return frame


def mostly_one_value(frame):
    frame["count"] = [0] * (len(frame) - 3) + [1, 5, 9]  # IQR 0: no outlier finding
    return frame


def duplicate_features_other_label(frame):
    frame.loc[1, ["x", "count", "colour", "flag"]] = frame.loc[0, ["x", "count", "colour", "flag"]].to_numpy()
    return frame


def excluded_column_with_gaps(frame):
    frame["customer"] = [f"C-{i:04d}" for i in range(len(frame))]
    return frame


@pytest.mark.parametrize(
    ("make", "kwargs", "absent"),
    [
        (near_class_size, {}, "too_few_rows_per_class"),
        (with_small_class, {"cv_folds": 4}, "too_few_rows_per_class"),
        (near_imbalance, {}, "class_imbalance"),
        (near_outliers, {}, "outliers"),
        (near_many_classes, {"cv_folds": 1, "test_size": 0.5}, "class_per_row"),
        (mostly_one_value, {}, "outliers"),
        (duplicate_features_other_label, {}, "duplicate_rows"),
        (excluded_column_with_gaps, {}, "missing_values"),
    ],
)
def test_near_misses_are_not_reported(make, kwargs, absent):
    assert absent not in {f.check for f in validate(make(clean()), **kwargs)}


def test_missing_values_in_an_excluded_column_are_not_reported():
    frame = clean()
    frame["customer"] = [f"C-{i:04d}" for i in range(len(frame))]
    frame.loc[3, "customer"] = None  # no longer unique in every row → categorical with gaps…
    roles = {**infer_roles(frame, "label"), "customer": "id"}  # …but the analyst keeps it excluded
    assert checks(validate_training_data(frame, "label", roles)) == {("id_column", "warning")}


def test_the_target_is_checked_only_by_the_target_checks():
    frame = clean()
    frame["label"] = frame["label"].astype(object)
    frame.loc[[0, 1], "label"] = [None, 7]  # missing and mixed types: only the target check speaks
    found = checks(validate(frame))
    assert ("missing_target", "error") in found
    assert "mixed_types" not in {c for c, _ in found}
    assert "missing_values" not in {c for c, _ in found}


def test_unknown_target():
    findings = validate_training_data(clean(), "nope", {})
    assert [(f.check, f.severity) for f in findings] == [("unknown_target", "error")]
    assert "'nope'" in findings[0].message


def test_a_column_marked_constant_by_hand_is_not_called_single_valued():
    finding = only(validate(clean(), {"colour": "constant"}), "constant_column")
    assert "'colour' is marked constant by hand" in finding.message


def test_columns_without_a_role_get_one_inferred():
    frame = with_id(clean())
    assert "id_column" in {f.check for f in validate_training_data(frame, "label", {})}


def test_a_test_share_too_small_for_every_class():
    frame = clean()
    frame["label"] = [f"k{i % 5}" for i in range(len(frame))]  # 5 classes, 8 rows each
    finding = only(validate(frame, test_size=0.1, cv_folds=2), "test_too_small")
    assert finding.severity == "error"
    assert "5 classes" in finding.message


def test_an_empty_column_is_excluded_by_default_and_does_not_block():
    frame = with_all_missing_feature(clean())
    assert infer_roles(frame, "label")["empty"] == "constant"  # excluded by default: a warning only
    assert checks(validate(frame)) == {("constant_column", "warning")}


def test_numeric_text_column_gets_numeric_checks():
    frame = clean()
    frame["amount"] = [str(v) for v in np.linspace(1, 2, len(frame))]
    frame.loc[5, "amount"] = "inf"
    finding = only(validate(frame), "infinite_values")
    assert finding.column == "amount"
    assert finding.rows == (5,)


def test_messages_quote_column_names_as_plain_text():
    frame = clean().rename(columns={"x": "<b>weight</b>\nkg"})
    frame.loc[0, "<b>weight</b>\nkg"] = np.nan
    finding = only(validate(frame), "missing_values")
    assert "'<b>weight</b> kg'" in finding.message
    assert "\n" not in finding.message
    assert finding.column == "<b>weight</b>\nkg"


def test_many_rows_are_summarised():
    frame = pd.concat([clean()] * 25, ignore_index=True)  # 1000 rows, 960 duplicates
    finding = only(validate(frame), "duplicate_rows")
    assert finding.rows == tuple(range(40, 50))
    assert "960 rows repeat" in finding.message
    assert "e.g. rows 41, 42, 43, 44, 45" in finding.message


def test_findings_are_frozen():
    finding = Finding("x", "info", "m")
    with pytest.raises(AttributeError):
        finding.message = "changed"  # type: ignore[misc]


# --- schema spec and batches ------------------------------------------------------------------------------------


def training() -> tuple[pd.DataFrame, dict]:
    frame = clean()
    frame["code"] = [float(i % 3) for i in range(len(frame))]
    frame["note"] = [f"A free-text remark number {i} about this row" for i in range(len(frame))]
    roles = {**infer_roles(frame, "label"), "code": "categorical"}
    return frame, infer_schema(frame, feature_columns_for(roles, "label"), roles)


def test_infer_schema_records_types_ranges_and_categories():
    frame, spec = training()
    assert spec["version"] == 1
    assert spec["columns"] == ["x", "count", "colour", "flag", "code"]  # text and target are not features
    features = spec["features"]
    assert features["x"] == {"role": "numeric", "dtype": "float", "nullable": False, "min": 0.0, "max": 10.0}
    assert features["count"]["dtype"] == "int"
    assert features["count"]["max"] == 8.0
    assert features["colour"]["categories"] == ["blue", "green", "red"]
    assert features["colour"]["dtype"] == "str"
    assert features["flag"]["role"] == "boolean"
    assert features["flag"]["categories"] == ["no", "yes"]
    assert features["code"]["categories"] == ["0", "1", "2"]  # integral floats written as integers
    assert features["code"]["categories_complete"] is True


def test_infer_schema_nullable_and_bool_dtype():
    frame = clean()
    frame.loc[0, "x"] = np.nan
    frame["on"] = [True, False] * (len(frame) // 2)
    spec = infer_schema(frame, ["x", "on"], {"x": "numeric", "on": "boolean"})
    assert spec["features"]["x"]["nullable"] is True
    assert spec["features"]["on"] == {
        "role": "boolean",
        "dtype": "bool",
        "nullable": False,
        "categories": ["False", "True"],
        "categories_complete": True,
    }


def test_infer_schema_caps_categories():
    frame = pd.DataFrame({"c": [f"v{i:05d}" for i in range(1500)]})
    entry = infer_schema(frame, ["c"], {"c": "categorical"})["features"]["c"]
    assert len(entry["categories"]) == 1000
    assert entry["categories_complete"] is False
    batch = pd.DataFrame({"c": ["never-seen"]})
    assert check_batch(batch, {"version": 1, "columns": ["c"], "features": {"c": entry}}) == []


def test_spec_survives_a_json_round_trip():
    frame, spec = training()
    copy = json.loads(json.dumps(spec))
    assert copy == spec
    assert list(check_spec(copy)) == spec["columns"]
    assert check_batch(frame.drop(columns=["label", "note"]), copy) == []


@pytest.mark.parametrize(
    "spec",
    [
        {"version": 2, "columns": [], "features": {}},
        {"columns": ["a"], "features": {"a": {}}},
        {"version": 1, "columns": ["a"], "features": {}},
        {"version": 1, "features": {}},
        "not a spec",
    ],
)
def test_unusable_specs_are_refused(spec):
    with pytest.raises(SpecError):
        check_spec(spec)
    with pytest.raises(ValueError):
        check_batch(pd.DataFrame({"a": [1]}), spec)


def batch() -> pd.DataFrame:
    frame, _ = training()
    return frame.drop(columns=["label", "note"]).iloc[:10].reset_index(drop=True)


def missing_column(frame):
    return frame.drop(columns=["colour", "x"])


def text_in_numeric(frame):
    frame["x"] = frame["x"].astype(object)
    frame.loc[[2, 7], "x"] = ["abc", "12,5"]
    return frame


def unseen_category(frame):
    frame.loc[[1, 4], "colour"] = ["purple", "purple"]
    frame.loc[5, "code"] = 7.0
    return frame


def out_of_range(frame):
    frame.loc[[0, 3], "x"] = [-1.0, 11.5]
    return frame


def extra_column(frame):
    frame["comment"] = "ok"
    return frame


def missing_values(frame):
    frame.loc[[2, 3], "x"] = np.nan
    return frame


def infinite(frame):
    frame.loc[6, "x"] = np.inf
    return frame


@pytest.mark.parametrize(
    ("make", "expected", "fragments", "rows"),
    [
        (
            missing_column,
            [("missing_column", "error", "colour"), ("missing_column", "error", "x")],
            ["'x' is missing", "trained with it"],
            (),
        ),
        (
            text_in_numeric,
            [("not_numeric", "error", "x")],
            ["'x' must hold numbers", "2 values", "'abc'", "'12,5'", "rows 3, 8"],
            (2, 7),
        ),
        (
            unseen_category,
            [("unseen_categories", "warning", "colour"), ("unseen_categories", "warning", "code")],
            ["'colour' has 1 value never seen in training ('purple') in 2 rows", "rows 2, 5"],
            (1, 4),
        ),
        (out_of_range, [("out_of_range", "warning", "x")], ["2 values outside the training range 0 to 10"], (0, 3)),
        (extra_column, [("extra_columns", "info", None)], ["'comment' is not used", "ignored"], ()),
        (missing_values, [("missing_values", "warning", "x")], ["2 missing values", "none in training"], (2, 3)),
        (infinite, [("infinite_values", "error", "x")], ["1 infinite value", "row 7"], (6,)),
    ],
)
def test_check_batch(make, expected, fragments, rows):
    _, spec = training()
    findings = check_batch(make(batch()), spec)
    assert sorted((f.check, f.severity, f.column) for f in findings) == sorted(expected)
    assert all(fragment in findings[0].message for fragment in fragments)
    assert findings[0].rows == rows


def test_rows_without_any_feature_value_are_refused_by_row_number():
    _, spec = training()
    frame = batch()
    frame.loc[[3, 8], :] = None  # the file's rows 4 and 9 are empty in every feature
    findings = check_batch(frame, spec)
    empty = next(f for f in findings if f.check == "empty_rows")
    assert empty.severity == "error" and empty.rows == (3, 8)
    assert "2 rows (rows 4, 9) have no value in any of the model's features" in empty.message
    frame = batch()
    frame.loc[5, :] = None
    assert "1 row (row 6) has no value" in next(f for f in check_batch(frame, spec) if f.check == "empty_rows").message


def test_a_row_with_one_value_is_scored_with_a_warning_only():
    _, spec = training()
    frame = batch()
    frame.loc[3, [c for c in frame.columns if c != "x"]] = None
    assert all(f.severity != "error" for f in check_batch(frame, spec))


def test_a_clean_batch_has_no_findings():
    _, spec = training()
    assert check_batch(batch(), spec) == []


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.assign(count=f["count"].astype(float)),  # ints as floats
        lambda f: f.assign(x=f["x"].astype(str)),  # numbers as text (a CSV read without types)
        lambda f: f[list(reversed(f.columns))],  # another column order
        lambda f: f.assign(code=f["code"].astype(int)),  # categories as ints instead of floats
        lambda f: f.set_axis(range(100, 110)),  # another index
    ],
)
def test_harmless_batch_differences_pass(change):
    _, spec = training()
    assert check_batch(change(batch()), spec) == []


def test_batch_rows_are_positions_even_with_another_index():
    _, spec = training()
    frame = out_of_range(batch()).set_axis(list("abcdefghij"))
    assert only(check_batch(frame, spec), "out_of_range").rows == (0, 3)


def test_empty_batch():
    _, spec = training()
    assert [f.check for f in check_batch(batch().iloc[:0], spec)] == ["empty_batch"]


def test_batch_findings_are_errors_first():
    _, spec = training()
    findings = check_batch(text_in_numeric(extra_column(unseen_category(batch().drop(columns="flag")))), spec)
    severities = [f.severity for f in findings]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    assert {f.check for f in blocking(findings)} == {"missing_column", "not_numeric"}
    assert {f.check for f in findings} == {"missing_column", "not_numeric", "unseen_categories", "extra_columns"}


def test_a_large_frame_is_validated_quickly():
    """100,000 × 20 in about a second or less; loose, since CI machines vary (the timing is printed, not asserted)."""
    rng = np.random.default_rng(0)
    rows = 100_000
    frame = pd.DataFrame(
        {
            **{f"x{i}": rng.normal(size=rows) for i in range(14)},
            **{f"c{i}": rng.choice(["a", "b", "c", "d", "e"], rows) for i in range(5)},
            "label": rng.choice(["p", "q", "r"], rows),
        }
    )
    roles = infer_roles(frame, "label")
    started = time.perf_counter()
    findings = validate_training_data(frame, "label", roles)
    spec = infer_schema(frame, feature_columns_for(roles, "label"), roles)
    batch_findings = check_batch(frame.drop(columns="label"), spec)
    elapsed = time.perf_counter() - started
    print(f"validate + schema + check_batch on 100,000 × 20: {elapsed:.2f} s")
    assert not blocking(findings)
    assert batch_findings == []
    assert elapsed < 30  # only catches a pathological slowdown


def test_missing_values_in_two_feature_columns_are_each_reported():
    """A column with gaps before another feature column (the count per column must not be overwritten by the
    first column's mask)."""
    frame = pd.DataFrame(
        {
            "a": [1.0, None, 3.0, 4.0, 5.0, 6.0] * 5,
            "b": [1.0, 2.0, None, 4.0, 5.0, 6.0] * 5,
            "c": [float(i) for i in range(30)],
            "label": ["x", "y"] * 15,
        }
    )
    findings = [
        f for f in validate_training_data(frame, "label", infer_roles(frame, "label")) if f.check == "missing_values"
    ]
    assert [(f.column, f.rows[:2]) for f in findings] == [("a", (1, 7)), ("b", (2, 8))]
