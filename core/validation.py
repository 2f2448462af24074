"""Data validation of the U phase: what is wrong with a training set, and whether a new batch fits its schema.

Two jobs share one module because they share one vocabulary (:class:`Finding`):

- :func:`validate_training_data` tells the analyst, before any training, what in the data set would break
  training (errors) or quietly hurt the model (warnings), with the column, example rows and what to do.
- :func:`infer_schema` records what the training data looked like as a JSON-serialisable spec (logged next to
  the data set); :func:`check_batch` checks a prediction or monitoring batch against it. Column presence and
  "can this be read as a number" are checked by a pandera schema built from the spec (:func:`build_schema`);
  drift-like symptoms (out of range, unseen categories, missing values) are warnings computed with pandas,
  because the pipeline copes with them (imputation, ``handle_unknown="ignore"``) and the batch should still
  be scored.

Everything is vectorised and text columns are parsed once per distinct value, because the U page runs this on
every upload: on a 100,000 × 20 frame (2-core machine) validate_training_data took ≈ 0.2 s and check_batch
≈ 0.3 s (plus ≈ 0.6 s to import pandera on first use). Messages are plain text: column names are quoted with
'…' and never turned into HTML by us.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core import roles as roles_mod

if TYPE_CHECKING:  # pandera costs ~0.6 s to import; only the functions that need it import it
    import pandera.pandas as pa

SEVERITIES = ("error", "warning", "info")
MAX_EXAMPLE_ROWS = 10  # kept in Finding.rows
SHOWN_ROWS = 5  # written into messages
MAX_CLASSES = 100
IMBALANCE_RATIO = 0.1
OUTLIER_SHARE = 0.05
FAR_OUTLIER_IQR = 5.0  # 5 × IQR is ~7 standard deviations: real data rarely goes there, codes like -999 do
MAX_CATEGORIES = 1000
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Finding:
    """One thing wrong (or worth knowing) about a data set or batch."""

    check: str  # machine name, e.g. "missing_values"
    severity: str  # "error" blocks training / scoring; "warning" and "info" do not
    message: str  # for people: what, where (1-based data row numbers), what to do
    column: str | None = None
    rows: tuple[int, ...] = ()  # up to 10 example row positions (0-based positions in the frame)


class SpecError(ValueError):
    """A schema spec that cannot be used (unknown version, malformed)."""


# --- small helpers ---------------------------------------------------------------------------------------------


def _name(column: object) -> str:
    """A column name as quoted plain text, on one line and of bounded length."""
    text = " ".join(str(column).split())
    return f"'{text if len(text) <= 60 else text[:59] + '…'}'"


def _value(value: object) -> str:
    text = " ".join(str(value).split())
    return f"'{text if len(text) <= 40 else text[:39] + '…'}'"


def _positions(mask: pd.Series | np.ndarray) -> tuple[int, ...]:
    """The first example positions where ``mask`` is true."""
    hits = np.flatnonzero(np.asarray(mask, dtype=bool))[:MAX_EXAMPLE_ROWS]
    return tuple(int(i) for i in hits)


def _rows_text(rows: Iterable[int], total: int | None = None) -> str:
    """'row 3' / 'rows 3, 17, 40' (1-based, as in the file's data rows), with 'e.g.' when there are more."""
    rows = list(rows)
    shown = ", ".join(str(r + 1) for r in rows[:SHOWN_ROWS])
    word = "row" if len(rows) == 1 else "rows"
    more = total is not None and total > len(rows[:SHOWN_ROWS])
    return f"{'e.g. ' if more else ''}{word} {shown}"


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def _sorted(findings: list[Finding]) -> list[Finding]:
    """Errors first, then warnings, then info; the order of discovery within each."""
    return sorted(findings, key=lambda f: SEVERITIES.index(f.severity))


def _is_number_dtype(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _as_numbers(values: pd.Series) -> pd.Series:
    """The column as floats; text that is not a number becomes missing."""
    if _is_number_dtype(values):
        return values.astype(float)
    return pd.to_numeric(values, errors="coerce").astype(float)


def _number_mask(values: pd.Series) -> pd.Series:
    """For a text column: which non-missing values read as numbers (parsing each distinct value once)."""
    uniques = pd.Series(values.dropna().unique(), dtype=object)
    readable = set(uniques[pd.to_numeric(uniques, errors="coerce").notna().to_numpy()])
    return values.isin(readable)


def blocking(findings: list[Finding]) -> list[Finding]:
    """The findings that block training (or scoring)."""
    return [f for f in findings if f.severity == "error"]


# --- training data ---------------------------------------------------------------------------------------------


def validate_training_data(
    frame: pd.DataFrame,
    target: str,
    roles: dict[str, str],
    cv_folds: int = 5,
    test_size: float = 0.2,
) -> list[Finding]:
    """Everything worth telling the analyst about a training set, errors first, then warnings, then info.

    Feature columns are checked according to their role (a column the analyst excluded cannot break training,
    so it only gets the note that explains why it is excluded); the target only by the target checks.
    Columns missing from ``roles`` get an inferred role.
    """
    if target not in frame.columns:
        return [Finding("unknown_target", "error", f"The target column {_name(target)} is not in the data.", target)]
    features = [c for c in frame.columns if c != target]
    unknown = [c for c in features if c not in roles]
    roles = {**roles, **roles_mod.infer_roles(frame[unknown])} if unknown else roles
    findings = [
        *_check_features(frame, features, roles),
        *_check_duplicates(frame),
        *_check_target(frame, target, cv_folds, test_size),
    ]
    return _sorted(findings)


def _check_features(frame: pd.DataFrame, features: list[str], roles: dict[str, str]) -> list[Finding]:
    findings: list[Finding] = []
    usable = [c for c in features if roles.get(c) in roles_mod.USABLE_ROLES]
    if features and not usable:
        findings.append(
            Finding(
                "no_features",
                "error",
                "No column is left to learn from: every column besides the target is excluded "
                "(constant, ID or text). Include a column or load data with more columns.",
            )
        )
    missing = frame[features].isna().sum()
    rows = len(frame)
    for column in features:
        role = roles.get(column)
        values = frame[column]
        n_missing = int(missing[column])
        if role == "constant":
            if n_missing == rows:
                what = "is entirely empty"
            elif values.nunique() == 1:
                what = f"has one value ({_value(values.dropna().iloc[0])})"
            else:
                what = "is marked constant by hand"
            findings.append(
                Finding(
                    "constant_column",
                    "warning",
                    f"Column {_name(column)} {what}; it is excluded from training because it cannot tell classes "
                    "apart.",
                    column,
                )
            )
            continue
        if role == "id":
            findings.append(
                Finding(
                    "id_column",
                    "warning",
                    f"Column {_name(column)} looks like an ID: {roles_mod.role_reason(frame, column, 'id')}. It is "
                    "excluded from training because a model would memorise rows instead of learning. Include it "
                    "only if it really measures something.",
                    column,
                )
            )
            continue
        if role == "text":
            findings.append(
                Finding(
                    "text_column",
                    "info",
                    f"Column {_name(column)} holds free text or dates; it is excluded from training.",
                    column,
                )
            )
            continue
        if role not in roles_mod.USABLE_ROLES:
            continue
        if n_missing == rows:
            findings.append(
                Finding(
                    "all_missing_feature",
                    "error",
                    f"Feature {_name(column)} is entirely empty; exclude it or fill it in.",
                    column,
                )
            )
            continue
        if n_missing:
            mask = values.isna()
            example = _positions(mask)
            findings.append(
                Finding(
                    "missing_values",
                    "warning",
                    f"Column {_name(column)} has {_count(n_missing, 'missing value')} ({n_missing / rows:.1%}, "
                    f"{_rows_text(example, n_missing)}). Training fills them in (median or most frequent value); "
                    "fix them in the file if you know the real values.",
                    column,
                    example,
                )
            )
        if role == "numeric":
            findings.extend(_check_numeric(values, column))
        if role in ("numeric", "categorical") and not pd.api.types.is_numeric_dtype(values):  # text columns only
            findings.extend(_check_mixed(values, column, role))
    return findings


def _infinite(array: np.ndarray, column: str, consequence: str) -> list[Finding]:
    """An error naming the rows with infinite values, which scikit-learn refuses; none when there are none."""
    infinite = np.isinf(array)
    if not infinite.any():
        return []
    example = _positions(infinite)
    n = int(infinite.sum())
    message = (
        f"Column {_name(column)} has {_count(n, 'infinite value')} ({_rows_text(example, n)}); {consequence}. "
        "Replace or remove them."
    )
    return [Finding("infinite_values", "error", message, column, example)]


def _check_numeric(values: pd.Series, column: str) -> list[Finding]:
    """Infinite values (which scikit-learn refuses) and outliers by the interquartile range."""
    findings: list[Finding] = []
    numbers = _as_numbers(values)
    array = numbers.to_numpy()
    findings.extend(_infinite(array, column, "the models cannot use them"))
    finite = numbers[np.isfinite(array)]
    if len(finite) < 4:
        return findings
    q1, q3 = np.quantile(finite.to_numpy(), [0.25, 0.75])
    iqr = q3 - q1
    if iqr <= 0:
        # Mostly one value (counts of rare events, sparse indicators): every other value would be an "outlier".
        return findings
    low, high = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    outside = ((array < low) | (array > high)) & np.isfinite(array)
    far = ((array < q1 - FAR_OUTLIER_IQR * iqr) | (array > q3 + FAR_OUTLIER_IQR * iqr)) & np.isfinite(array)
    n_out, n_far = int(outside.sum()), int(far.sum())
    share = n_out / len(finite)
    if share > OUTLIER_SHARE:
        example = _positions(outside)
        findings.append(
            Finding(
                "outliers",
                "warning",
                f"Column {_name(column)} has {_count(n_out, 'value')} ({share:.1%}) outside the usual range "
                f"{low:.4g} to {high:.4g} (1.5 × IQR; {_rows_text(example, n_out)}). Check they are real; a skewed "
                "column may work better log-transformed.",
                column,
                example,
            )
        )
    elif n_far:
        example = _positions(far)
        findings.append(
            Finding(
                "outliers",
                "info",
                f"Column {_name(column)} has {_count(n_far, 'extreme value')} far outside the rest "
                f"({_rows_text(example, n_far)}, beyond 5 × IQR); check they are not codes such as -999 for "
                "'unknown'.",
                column,
                example,
            )
        )
    return findings


def _check_mixed(values: pd.Series, column: str, role: str) -> list[Finding]:
    """Numbers and text in one text column: usually typos, units or codes for 'unknown'."""
    present = values.notna()
    numbers = _number_mask(values)
    texts = present & ~numbers
    if not numbers.any() or not texts.any():
        return []
    number_rows, text_rows = _positions(numbers), _positions(texts)
    number_examples = ", ".join(_value(v) for v in values[numbers].unique()[:3])
    text_examples = ", ".join(_value(v) for v in values[texts].unique()[:3])
    what = (
        "the text is treated as missing"
        if role == "numeric"
        else "every distinct value becomes its own category, numbers included"
    )
    return [
        Finding(
            "mixed_types",
            "warning",
            f"Column {_name(column)} mixes numbers ({number_examples}; {_rows_text(number_rows, int(numbers.sum()))}) "
            f"and text ({text_examples}; {_rows_text(text_rows, int(texts.sum()))}); as a {role} column {what}. "
            "Make the column consistent in the file.",
            column,
            tuple(sorted({*number_rows[:5], *text_rows[:5]})),
        )
    ]


def _check_duplicates(frame: pd.DataFrame) -> list[Finding]:
    duplicated = frame.duplicated(keep="first")
    n = int(duplicated.sum())
    if not n:
        return []
    example = _positions(duplicated)
    return [
        Finding(
            "duplicate_rows",
            "warning",
            f"{_count(n, 'row')} {'repeats' if n == 1 else 'repeat'} an earlier row exactly "
            f"({_rows_text(example, n)}). Copies can land in both the training and the test split and make the test "
            "score look better than it is; remove them unless they are genuine repeats.",
            None,
            example,
        )
    ]


def _check_target(frame: pd.DataFrame, target: str, cv_folds: int, test_size: float) -> list[Finding]:
    findings: list[Finding] = []
    labels = frame[target]
    missing = labels.isna()
    n_missing = int(missing.sum())
    if n_missing:
        example = _positions(missing)
        findings.append(
            Finding(
                "missing_target",
                "error",
                f"The target {_name(target)} is missing in {_count(n_missing, 'row')} "
                f"({_rows_text(example, n_missing)}); rows without a label cannot be used to train. Fill in the label "
                "or remove those rows.",
                target,
                example,
            )
        )
    present = labels[~missing].astype(str)
    counts = present.value_counts()
    if len(counts) < 2:
        which = f"only one class ({_value(counts.index[0])})" if len(counts) else "no values"
        findings.append(
            Finding(
                "single_class",
                "error",
                f"The target {_name(target)} has {which}; a classifier needs at least two classes. "
                "Pick another target or load data with more classes.",
                target,
            )
        )
        return findings
    if len(counts) > len(present) / 2:
        findings.append(
            Finding(
                "class_per_row",
                "error",
                f"The target {_name(target)} has {len(counts):,} different values in {len(present):,} rows, almost "
                "one per row; it looks like an ID or a quantity to predict (regression), not a class label. "
                "Pick another target.",
                target,
            )
        )
        return findings
    if len(counts) > MAX_CLASSES:
        findings.append(
            Finding(
                "too_many_classes",
                "error",
                f"The target {_name(target)} has {len(counts):,} classes; the workbench handles at most "
                f"{MAX_CLASSES}. Group rare classes or pick another target.",
                target,
            )
        )
        return findings
    findings.extend(_check_class_sizes(counts, target, cv_folds, test_size))
    smallest, largest = int(counts.iloc[-1]), int(counts.iloc[0])
    if smallest < IMBALANCE_RATIO * largest:
        findings.append(
            Finding(
                "class_imbalance",
                "warning",
                f"The classes of {_name(target)} are imbalanced: {_value(counts.index[-1])} has "
                f"{_count(smallest, 'row')}, {_value(counts.index[0])} {largest:,}. Accuracy will flatter the model; "
                "prefer balanced accuracy or macro F1 as the KPI, and collect more rows of the rare classes.",
                target,
            )
        )
    return findings


def _class_list(counts: pd.Series) -> str:
    shown = ", ".join(f"{_value(c)} ({n})" for c, n in counts.iloc[:5].items())
    return shown + (f" and {len(counts) - 5} more" if len(counts) > 5 else "")


def _check_class_sizes(counts: pd.Series, target: str, cv_folds: int, test_size: float) -> list[Finding]:
    """Enough rows per class for a stratified split and then stratified cross-validation on the training part."""
    singles = counts[counts < 2]
    if len(singles):
        return [
            Finding(
                "too_few_rows_per_class",
                "error",
                f"{'Class' if len(singles) == 1 else 'Classes'} {_class_list(singles)} of {_name(target)} "
                f"{'has' if len(singles) == 1 else 'have'} a single row; every class needs at least 2 rows, one for "
                "training and one for testing. Add rows of that class or remove it.",
                target,
            )
        ]
    findings: list[Finding] = []
    rows = int(counts.sum())
    n_test = math.ceil(rows * test_size)
    if n_test < len(counts) or rows - n_test < len(counts):
        findings.append(
            Finding(
                "test_too_small",
                "error",
                f"A test share of {test_size:.0%} of {rows:,} rows is too small to hold every one of the "
                f"{len(counts)} classes of {_name(target)}. Raise the test share or add rows.",
                target,
            )
        )
    # The training split keeps about (1 - test_size) of each class; stratified k-fold needs k rows per class.
    in_training = (counts * (1 - test_size)).round().astype(int)
    short = in_training[in_training < cv_folds]
    if len(short):
        possible = int(short.min())
        # Training lowers the folds to what the smallest class allows; below 2 no cross-validation is possible.
        consequence = (
            f"cross-validation will use {possible} folds instead of {cv_folds}; add rows of "
            if possible >= 2
            else "no cross-validation is possible; add rows of "
        )
        findings.append(
            Finding(
                "too_few_rows_per_class",
                "warning" if possible >= 2 else "error",
                f"{'Class' if len(short) == 1 else 'Classes'} {_class_list(counts[short.index])} of {_name(target)} "
                f"{'keeps' if len(short) == 1 else 'keep'} only about {possible} rows in the training split, fewer "
                f"than the {cv_folds} cross-validation folds: {consequence}"
                f"{'that class' if len(short) == 1 else 'those classes'} for steadier scores.",
                target,
            )
        )
    return findings


# --- schema of the training data, and batches checked against it ----------------------------------------------


def _dtype_name(values: pd.Series, role: str) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "bool"
    if role == "numeric" and not _is_number_dtype(values):
        return "float"  # text read as numbers
    if pd.api.types.is_integer_dtype(values):
        return "int"
    if pd.api.types.is_float_dtype(values):
        return "float"
    return "str"


def _category_strings(values: pd.Series) -> pd.Series:
    """Non-missing values as the strings categories are compared by (1, 1.0 and '1' are the same category)."""
    present = values.dropna()
    uniques = present.unique()
    mapping = {v: roles_mod.category_string(v) for v in uniques}
    return present.map(mapping)


def infer_schema(frame: pd.DataFrame, features: list[str], roles: dict[str, str]) -> dict:
    """What the training features looked like, as a JSON-serialisable spec for :func:`build_schema`.

    ``{"version": 1, "columns": [names in order], "features": {name: {"role", "dtype", "nullable", "min", "max"
    | "categories", "categories_complete"}}}``; per-feature entries are nested under "features" so that a column
    named "version" cannot collide with the envelope.
    """
    spec_features: dict[str, dict] = {}
    for column in features:
        values = frame[column]
        role = roles.get(column) or roles_mod.infer_role(values)
        entry: dict[str, object] = {
            "role": role,
            "dtype": _dtype_name(values, role),
            "nullable": bool(values.isna().any()),
        }
        if role == "numeric":
            numbers = _as_numbers(values).to_numpy()
            finite = numbers[np.isfinite(numbers)]
            entry["min"] = float(finite.min()) if len(finite) else None
            entry["max"] = float(finite.max()) if len(finite) else None
        elif role in ("categorical", "boolean"):
            categories = sorted(set(_category_strings(values)))
            entry["categories"] = categories[:MAX_CATEGORIES]
            entry["categories_complete"] = len(categories) <= MAX_CATEGORIES
        spec_features[str(column)] = entry
    return {"version": SCHEMA_VERSION, "columns": [str(c) for c in features], "features": spec_features}


def _entries(spec: dict) -> dict[str, dict]:
    if not isinstance(spec, dict) or spec.get("version") != SCHEMA_VERSION:
        found = spec.get("version") if isinstance(spec, dict) else type(spec).__name__
        raise SpecError(f"Unknown schema spec version {found!r}; this workbench reads version {SCHEMA_VERSION}.")
    try:
        return {name: spec["features"][name] for name in spec["columns"]}
    except (KeyError, TypeError):
        raise SpecError("The schema spec is malformed: every name in 'columns' needs an entry in 'features'.") from None


def build_schema(spec: dict) -> pa.DataFrameSchema:
    """The pandera schema of a spec: every feature required; numeric features must read as numbers.

    Numeric columns are coerced to float so that ints and floats both pass. Every column is nullable because
    the pipeline imputes; :func:`check_batch` reports missing values as warnings instead. Categories are not a
    pandera check either: an unseen category is a warning (the one-hot encoder ignores it), not an error.
    """
    import pandera.pandas as pa

    columns = {
        name: pa.Column(float, coerce=True, nullable=True, required=True)
        if entry.get("role") == "numeric"
        else pa.Column(nullable=True, required=True)
        for name, entry in _entries(spec).items()
    }
    # strict=False: extra columns are reported as info by check_batch and ignored by the model.
    return pa.DataFrameSchema(columns, strict=False, ordered=False)


def _schema_findings(frame: pd.DataFrame, spec: dict) -> list[Finding]:
    """Missing columns and unreadable numbers, from pandera's failure cases."""
    import pandera.pandas as pa

    try:
        build_schema(spec).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return []
    findings: list[Finding] = []
    absent = cases[cases["check"] == "column_in_dataframe"]
    named = set(absent["failure_case"].astype(str))
    for column in [c for c in spec["columns"] if c in named]:  # in the spec's order, not pandera's
        findings.append(
            Finding(
                "missing_column",
                "error",
                f"Column {_name(column)} is missing; the model was trained with it. Add it (it may be empty).",
                column,
            )
        )
    # pandera reports a failed coercion twice (coerce_dtype and dtype); the coercion case is the one we want.
    unreadable = cases[cases["check"].astype(str).str.startswith("coerce_dtype")]
    for column, group in unreadable.groupby("column", sort=False):
        positions = sorted(int(i) for i in group["index"].dropna().unique())
        examples = ", ".join(_value(v) for v in group["failure_case"].unique()[:3])
        example = tuple(positions[:MAX_EXAMPLE_ROWS])
        findings.append(
            Finding(
                "not_numeric",
                "error",
                f"Column {_name(column)} must hold numbers, but {_count(len(positions), 'value')} cannot be read as "
                f"one ({examples}; {_rows_text(example, len(positions))}). Fix those values.",
                str(column),
                example,
            )
        )
    handled = absent.index.union(cases[cases["check"].astype(str).str.contains("dtype")].index)
    for _, case in cases.drop(index=handled).iterrows():  # anything else pandera finds, said plainly
        findings.append(
            Finding(
                "schema",
                "error",
                f"Check {case['check']} failed for {_name(case['column'])}: {_value(case['failure_case'])}.",
                None if case["column"] is None else str(case["column"]),
            )
        )
    return findings


def check_batch(frame: pd.DataFrame, spec: dict) -> list[Finding]:
    """A prediction or monitoring batch checked against the training schema, errors first.

    Errors (the batch cannot be scored): no rows, a missing column, text in a numeric column, infinite numbers.
    Warnings: missing values, numbers outside the training range, categories never seen in training.
    Info: extra columns, which the model ignores.
    """
    entries = _entries(spec)
    if len(frame) == 0:
        return [Finding("empty_batch", "error", "The batch has no rows.")]
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0 or frame.index.step != 1:
        frame = frame.reset_index(drop=True)  # positions are what we report, and pandera reports index labels
    findings = _schema_findings(frame, spec)
    extra = [c for c in frame.columns if str(c) not in entries]
    if extra:
        findings.append(
            Finding(
                "extra_columns",
                "info",
                f"{'Column' if len(extra) == 1 else 'Columns'} {', '.join(_name(c) for c in extra[:10])}"
                f"{f' and {len(extra) - 10} more' if len(extra) > 10 else ''} "
                f"{'is' if len(extra) == 1 else 'are'} not used by the model and will be ignored.",
            )
        )
    rows = len(frame)
    for name, entry in entries.items():
        if name not in frame.columns:
            continue
        values = frame[name]
        missing = values.isna()
        n_missing = int(missing.sum())
        if n_missing:
            example = _positions(missing)
            findings.append(
                Finding(
                    "missing_values",
                    "warning",
                    f"Column {_name(name)} has {_count(n_missing, 'missing value')} ({n_missing / rows:.1%}, "
                    f"{_rows_text(example, n_missing)}){'' if entry.get('nullable') else ', none in training'}; "
                    "the model fills them in, which makes those predictions less reliable.",
                    name,
                    example,
                )
            )
        if entry.get("role") == "numeric":
            findings.extend(_batch_numeric(values, name, entry))
        elif entry.get("role") in ("categorical", "boolean") and entry.get("categories_complete", True):
            findings.extend(_batch_categories(values, name, entry))
    return _sorted(findings)


def _batch_numeric(values: pd.Series, name: str, entry: dict) -> list[Finding]:
    findings: list[Finding] = []
    array = _as_numbers(values).to_numpy()
    findings.extend(_infinite(array, name, "the model cannot score them"))
    low, high = entry.get("min"), entry.get("max")
    if low is None or high is None:
        return findings
    outside = ((array < low) | (array > high)) & np.isfinite(array)
    n = int(outside.sum())
    if n:
        example = _positions(outside)
        findings.append(
            Finding(
                "out_of_range",
                "warning",
                f"Column {_name(name)} has {_count(n, 'value')} outside the training range {low:g} to {high:g} "
                f"({_rows_text(example, n)}); predictions there are extrapolations.",
                name,
                example,
            )
        )
    return findings


def _batch_categories(values: pd.Series, name: str, entry: dict) -> list[Finding]:
    strings = _category_strings(values)
    unseen = sorted(set(strings.unique()) - set(entry.get("categories") or []))
    if not unseen:
        return []
    mask = values.index.isin(strings.index[strings.isin(unseen)])
    example = _positions(mask)
    n = int(mask.sum())
    shown = ", ".join(_value(v) for v in unseen[:5]) + (f" and {len(unseen) - 5} more" if len(unseen) > 5 else "")
    return [
        Finding(
            "unseen_categories",
            "warning",
            f"Column {_name(name)} has {_count(len(unseen), 'value')} never seen in training ({shown}) in "
            f"{_count(n, 'row')} ({_rows_text(example, n)}); the model treats them as unknown.",
            name,
            example,
        )
    ]
