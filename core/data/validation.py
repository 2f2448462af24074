"""Data validation of the U phase: what is wrong with a training set, and whether a new batch fits its schema.

Two jobs share one module because they share one vocabulary (:class:`Finding`):

- :func:`validate_training_data` tells the analyst, before any training, what in the data set would break
  training (errors) or quietly hurt the model (warnings), with the column, example rows and what to do.
- :func:`infer_schema` records what the training data looked like as a JSON-serialisable spec (logged next to
  the data set); :func:`check_batch` checks a prediction or monitoring batch against it. Column presence and
  "can this be read as a number" are errors (the batch cannot be scored); drift-like symptoms (out of range,
  unseen categories, missing values) are warnings,
  because the pipeline copes with them (imputation, ``handle_unknown="ignore"``) and the batch should still
  be scored.

Everything is vectorised and text columns are parsed once per distinct value, because the U page runs this on
every upload: on a 100,000 × 20 frame (2-core machine) validate_training_data took ≈ 0.2 s and check_batch
≈ 0.3 s. Messages are plain text: column names are quoted with
'…' and never turned into HTML by us. A finding's message is in the reader's language (catalogue area
``validation``); its English text is kept as well, for what is stored in MLflow.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from core.common.errors import WorkbenchError
from core.common.i18n import (
    DEFAULT_LANGUAGE,
    Message,
    current_language,
    number,
    percent,
    plural_category,
    significant,
    tr,
)
from core.data import roles as roles_mod

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
    english: str = field(default="", repr=False, compare=False)  # the message in English ("" when it is)

    def as_stored(self) -> dict:
        """The finding as written to MLflow (validation.json): its message in English, whatever was shown."""
        stored = asdict(self)
        stored["message"] = stored.pop("english") or self.message
        return stored


class SpecError(WorkbenchError):
    """A schema spec that cannot be used (unknown version, malformed)."""


# --- small helpers ---------------------------------------------------------------------------------------------


def _name(column: object) -> str:
    """A column name as quoted plain text, on one line and of bounded length."""
    text = " ".join(str(column).split())
    return f"'{text if len(text) <= 60 else text[:59] + '…'}'"


def _value(value: object) -> str:
    text = " ".join(str(value).split())
    return f"'{text if len(text) <= 40 else text[:39] + '…'}'"


def _text(key: str, /, **values: object) -> Message:
    """A ``validation.<key>`` text, rendered in a language when the finding is made."""
    return Message(f"validation.{key}", values)


def _finding(
    check: str, severity: str, text: Message, column: str | None = None, rows: tuple[int, ...] = ()
) -> Finding:
    """A finding whose message is in the reader's language, with its English kept for the store."""
    english = text.render(DEFAULT_LANGUAGE)
    language = current_language()
    if language == DEFAULT_LANGUAGE:
        return Finding(check, severity, english, column, rows)
    return Finding(check, severity, text.render(language), column, rows, english)


def _positions(mask: pd.Series | np.ndarray) -> tuple[int, ...]:
    """The first example positions where ``mask`` is true (counted from ``rows_from``'s first row)."""
    hits = np.flatnonzero(np.asarray(mask, dtype=bool))[:MAX_EXAMPLE_ROWS]
    first = _first_row.get()
    return tuple(int(i) + first for i in hits)


_first_row: ContextVar[int] = ContextVar("qua3ck_first_row", default=0)


@contextmanager
def rows_from(first: int) -> Iterator[None]:
    """Findings inside this block number rows as if the frame began at row position ``first``: one partition of a
    batch too large to check at once, numbered as the rows of the whole batch."""
    token = _first_row.set(first)
    try:
        yield
    finally:
        _first_row.reset(token)


def _rows_finding(
    check: str,
    severity: str,
    key: str,
    unit: str,
    mask: pd.Series | np.ndarray,
    where: str | None,
    /,
    **fields: object,
) -> Finding:
    """A finding about the rows where ``mask`` holds: ``validation.<key>`` with their ``count`` (in ``unit``,
    see :func:`_count`) and the first of them as ``rows``, besides ``fields``."""
    example = _positions(mask)
    n = int(np.count_nonzero(np.asarray(mask, dtype=bool)))
    text = _text(key, count=_count(n, unit), rows=_rows_text(example, n), **fields)
    return _finding(check, severity, text, where, example)


def _rows_text(rows: Iterable[int], total: int | None = None) -> Message:
    """'row 3' / 'rows 3, 17, 40' (1-based, as in the file's data rows), with 'e.g.' when there are more."""
    rows = list(rows)
    shown = ", ".join(str(r + 1) for r in rows[:SHOWN_ROWS])
    text = _text(f"rows_{plural_category(len(rows))}", rows=shown)
    more = total is not None and total > len(rows[:SHOWN_ROWS])
    return _text("for_example", rows=text) if more else text


def _count(n: int, what: str) -> Message:
    """'1 row' / '3 rows': ``what`` names a pair of keys ``count.<what>_one`` and ``count.<what>_other``."""
    return _text(f"count.{what}_{plural_category(n)}", n=n)


def _and_more(shown: str, more: int) -> Message | str:
    """A shortened list and how many were left out ('a, b and 3 more')."""
    return _text("and_more", shown=shown, n=more) if more > 0 else shown


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


def with_severity(findings: list[Finding], severity: str) -> list[Finding]:
    """The findings of one severity: "error" (blocks), "warning" or "info"."""
    return [f for f in findings if f.severity == severity]


def blocking(findings: list[Finding]) -> list[Finding]:
    """The findings that block training (or scoring)."""
    return with_severity(findings, "error")


def blocking_message(findings: list[Finding], most: int = 3) -> str:
    """The first few blocking findings as one message (what the person must fix first)."""
    return " ".join(f.message for f in blocking(findings)[:most])


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
        return [_finding("unknown_target", "error", _text("unknown_target", column=_name(target)), target)]
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
        findings.append(_finding("no_features", "error", _text("no_features")))
    missing = frame[features].isna().sum()
    rows = len(frame)
    for column in features:
        role = roles.get(column)
        values = frame[column]
        n_missing = int(missing[column])
        name = _name(column)
        if role == "constant":
            if n_missing == rows:
                what, value = "constant_empty", ""
            elif values.nunique() == 1:
                what, value = "constant_one_value", _value(values.dropna().iloc[0])
            else:
                what, value = "constant_by_hand", ""
            findings.append(
                _finding(
                    "constant_column",
                    "warning",
                    _text("constant_column", column=name, what=_text(what, value=value)),
                    column,
                )
            )
            continue
        if role == "id":
            findings.append(
                _finding(
                    "id_column",
                    "warning",
                    _text("id_column", column=name, why=partial(roles_mod.role_reason, frame, column, "id")),
                    column,
                )
            )
            continue
        if role == "text":
            findings.append(_finding("text_column", "info", _text("text_column", column=name), column))
            continue
        if role not in roles_mod.USABLE_ROLES:
            continue
        if n_missing == rows:
            findings.append(_finding("all_missing_feature", "error", _text("all_missing_feature", column=name), column))
            continue
        if n_missing:
            fields = {"column": name, "share": percent(n_missing / rows, 1)}
            gaps = values.isna()
            findings.append(
                _rows_finding("missing_values", "warning", "missing_values", "missing_value", gaps, column, **fields)
            )
        if role == "numeric":
            findings.extend(_check_numeric(values, column))
        if role in ("numeric", "categorical") and not pd.api.types.is_numeric_dtype(values):  # text columns only
            findings.extend(_check_mixed(values, column, role))
    return findings


def _infinite(array: np.ndarray, column: str, consequence: str) -> list[Finding]:
    """An error naming the rows with infinite values, which scikit-learn refuses; none when there are none.

    ``consequence`` is the key of what they break: ``infinite_train`` or ``infinite_score``.
    """
    infinite = np.isinf(array)
    if not infinite.any():
        return []
    fields = {"column": _name(column), "consequence": _text(consequence)}
    return [_rows_finding("infinite_values", "error", "infinite_values", "infinite_value", infinite, column, **fields)]


def _check_numeric(values: pd.Series, column: str) -> list[Finding]:
    """Infinite values (which scikit-learn refuses) and outliers by the interquartile range."""
    findings: list[Finding] = []
    numbers = _as_numbers(values)
    array = numbers.to_numpy()
    findings.extend(_infinite(array, column, "infinite_train"))
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
    share = int(outside.sum()) / len(finite)
    if share > OUTLIER_SHARE:
        fields = {"column": _name(column), "share": percent(share, 1), "low": significant(low, 4)}
        fields["high"] = significant(high, 4)
        findings.append(_rows_finding("outliers", "warning", "outliers", "value", outside, column, **fields))
    elif far.any():
        findings.append(
            _rows_finding("outliers", "info", "far_outliers", "extreme_value", far, column, column=_name(column))
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
    return [
        _finding(
            "mixed_types",
            "warning",
            _text(
                "mixed_numeric" if role == "numeric" else "mixed_categorical",
                column=_name(column),
                numbers=number_examples,
                number_rows=_rows_text(number_rows, int(numbers.sum())),
                texts=text_examples,
                text_rows=_rows_text(text_rows, int(texts.sum())),
            ),
            column,
            tuple(sorted({*number_rows[:5], *text_rows[:5]})),
        )
    ]


def _check_duplicates(frame: pd.DataFrame) -> list[Finding]:
    duplicated = frame.duplicated(keep="first")
    n = int(duplicated.sum())
    if not n:
        return []
    return [_rows_finding("duplicate_rows", "warning", f"duplicate_rows_{plural_category(n)}", "row", duplicated, None)]


def _check_target(frame: pd.DataFrame, target: str, cv_folds: int, test_size: float) -> list[Finding]:
    findings: list[Finding] = []
    labels = frame[target]
    missing = labels.isna()
    n_missing = int(missing.sum())
    name = _name(target)
    if n_missing:
        findings.append(_rows_finding("missing_target", "error", "missing_target", "row", missing, target, column=name))
    present = labels[~missing].astype(str)
    counts = present.value_counts()
    if len(counts) < 2:
        only = _value(counts.index[0]) if len(counts) else ""
        findings.append(
            _finding(
                "single_class",
                "error",
                _text(
                    "single_class",
                    column=name,
                    which=_text("only_one_class", value=only) if only else _text("no_values"),
                ),
                target,
            )
        )
        return findings
    if len(counts) > len(present) / 2:
        findings.append(
            _finding(
                "class_per_row",
                "error",
                _text("class_per_row", column=name, classes=number(len(counts)), rows=number(len(present))),
                target,
            )
        )
        return findings
    if len(counts) > MAX_CLASSES:
        findings.append(
            _finding(
                "too_many_classes",
                "error",
                _text("too_many_classes", column=name, classes=number(len(counts)), limit=MAX_CLASSES),
                target,
            )
        )
        return findings
    findings.extend(_check_spellings(counts, target))
    concern = roles_mod.target_concern(labels)
    if concern in ("quantity", "dates"):
        findings.append(
            _finding(
                f"target_{concern}", "warning", _text(f"target_{concern}", column=name, classes=len(counts)), target
            )
        )
    findings.extend(_check_class_sizes(counts, target, cv_folds, test_size))
    smallest, largest = int(counts.iloc[-1]), int(counts.iloc[0])
    if smallest < IMBALANCE_RATIO * largest:
        findings.append(
            _finding(
                "class_imbalance",
                "warning",
                _text(
                    "class_imbalance",
                    column=name,
                    rare=_value(counts.index[-1]),
                    count=_count(smallest, "row"),
                    common=_value(counts.index[0]),
                    largest=number(largest),
                ),
                target,
            )
        )
    return findings


def _check_spellings(counts: pd.Series, target: str) -> list[Finding]:
    """Labels that differ only in capitals or spaces ('Setosa', ' setosa', 'SETOSA '): each counts as a class."""
    groups: dict[str, list[str]] = {}
    for label in counts.index:
        groups.setdefault(" ".join(str(label).split()).casefold(), []).append(str(label))
    alike = [spellings for spellings in groups.values() if len(spellings) > 1]
    if not alike:
        return []
    shown = "; ".join(", ".join(f"'{s}'" for s in spellings) for spellings in alike[:3])
    return [
        _finding(
            "class_spellings",
            "warning",
            _text(
                "class_spellings",
                column=_name(target),
                groups=_and_more(shown, len(alike) - 3),
                classes=number(len(counts)),
                meant=number(len(groups)),
            ),
            target,
        )
    ]


def _class_list(counts: pd.Series) -> Message | str:
    shown = ", ".join(f"{_value(c)} ({n})" for c, n in counts.iloc[:5].items())
    return _and_more(shown, len(counts) - 5)


def _check_class_sizes(counts: pd.Series, target: str, cv_folds: int, test_size: float) -> list[Finding]:
    """Enough rows per class for a stratified split and then stratified cross-validation on the training part."""
    name = _name(target)
    singles = counts[counts < 2]
    if len(singles):
        return [
            _finding(
                "too_few_rows_per_class",
                "error",
                _text(
                    f"single_row_class_{plural_category(len(singles))}",
                    classes=_class_list(singles),
                    column=name,
                ),
                target,
            )
        ]
    findings: list[Finding] = []
    rows = int(counts.sum())
    n_test = math.ceil(rows * test_size)
    if n_test < len(counts) or rows - n_test < len(counts):
        findings.append(
            _finding(
                "test_too_small",
                "error",
                _text(
                    "test_too_small",
                    share=percent(test_size, 0),
                    rows=number(rows),
                    classes=len(counts),
                    column=name,
                ),
                target,
            )
        )
    # The training split keeps about (1 - test_size) of each class; stratified k-fold needs k rows per class.
    in_training = (counts * (1 - test_size)).round().astype(int)
    short = in_training[in_training < cv_folds]
    if len(short):
        possible = int(short.min())
        # Training lowers the folds to what the smallest class allows; below 2 no cross-validation is possible.
        key = f"few_rows_{'fewer_folds' if possible >= 2 else 'no_cv'}_{'one' if len(short) == 1 else 'other'}"
        findings.append(
            _finding(
                "too_few_rows_per_class",
                "warning" if possible >= 2 else "error",
                _text(
                    key,
                    classes=_class_list(counts[short.index]),
                    column=name,
                    possible=possible,
                    folds=cv_folds,
                ),
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
    """What the training features looked like, as a JSON-serialisable spec for :func:`check_batch`.

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
        raise SpecError(tr("validation.spec_version", found=repr(found), version=SCHEMA_VERSION))
    try:
        return {name: spec["features"][name] for name in spec["columns"]}
    except (KeyError, TypeError):
        raise SpecError(tr("validation.spec_malformed")) from None


def check_spec(spec: dict) -> dict[str, dict]:
    """The spec's feature entries in column order; :class:`SpecError` when it is not a spec of this version."""
    return _entries(spec)


def _schema_findings(frame: pd.DataFrame, entries: dict[str, dict]) -> list[Finding]:
    """The errors that stop a batch from being scored: a feature column missing, text in a numeric column.

    (pandera did these two checks until 0.35 and cost ≈ 0.6 s to import on the Predict path; every other
    check here was ours already, so the spec — JSON, stored with the data run — is the one schema.)"""
    findings: list[Finding] = []
    present = {str(c): c for c in frame.columns}
    for column in entries:  # in the spec's order
        if column not in present:
            findings.append(_finding("missing_column", "error", _text("missing_column", column=_name(column)), column))
    for column, entry in entries.items():
        if entry.get("role") != "numeric" or column not in present:
            continue
        values = frame[present[column]]
        if _is_number_dtype(values) or values.dtype == bool:
            continue
        unreadable = values.notna() & ~_number_mask(values)
        if not unreadable.any():
            continue
        key = f"not_numeric_{plural_category(int(unreadable.sum()))}"
        fields = {"column": _name(column), "examples": ", ".join(_value(v) for v in values[unreadable].unique()[:3])}
        findings.append(_rows_finding("not_numeric", "error", key, "value", unreadable, column, **fields))
    return findings


def check_batch(frame: pd.DataFrame, spec: dict) -> list[Finding]:
    """A prediction or monitoring batch checked against the training schema, errors first.

    Errors (the batch cannot be scored): no rows, a missing column, text in a numeric column, infinite numbers,
    rows with no value in any feature.
    Warnings: missing values, numbers outside the training range, categories never seen in training.
    Info: extra columns, which the model ignores.
    """
    entries = _entries(spec)
    if len(frame) == 0:
        return [_finding("empty_batch", "error", _text("empty_batch"))]
    findings = _schema_findings(frame, entries)
    extra = [c for c in frame.columns if str(c) not in entries]
    if extra:
        names = ", ".join(_name(c) for c in extra[:10])
        findings.append(
            _finding(
                "extra_columns",
                "info",
                _text(
                    f"extra_columns_{plural_category(len(extra))}",
                    columns=_and_more(names, len(extra) - 10),
                ),
            )
        )
    rows = len(frame)
    present = [name for name in entries if name in frame.columns]
    if present and not any(f.severity == "error" for f in findings):
        empty = frame[present].isna().all(axis=1)
        if empty.any():  # a prediction for such a row would be the imputed defaults only: refused, row by row
            key = f"batch_empty_rows_{plural_category(int(empty.sum()))}"
            findings.append(_rows_finding("empty_rows", "error", key, "row", empty, None))
    for name, entry in entries.items():
        if name not in frame.columns:
            continue
        values = frame[name]
        missing = values.isna()
        n_missing = int(missing.sum())
        if n_missing:
            key = "batch_missing" if entry.get("nullable") else "batch_missing_new"
            fields = {"column": _name(name), "share": percent(n_missing / rows, 1)}
            findings.append(_rows_finding("missing_values", "warning", key, "missing_value", missing, name, **fields))
        if entry.get("role") == "numeric":
            findings.extend(_batch_numeric(values, name, entry))
        elif entry.get("role") in ("categorical", "boolean") and entry.get("categories_complete", True):
            findings.extend(_batch_categories(values, name, entry))
    return _sorted(findings)


def _batch_numeric(values: pd.Series, name: str, entry: dict) -> list[Finding]:
    findings: list[Finding] = []
    array = _as_numbers(values).to_numpy()
    findings.extend(_infinite(array, name, "infinite_score"))
    low, high = entry.get("min"), entry.get("max")
    if low is None or high is None:
        return findings
    outside = ((array < low) | (array > high)) & np.isfinite(array)
    if outside.any():
        fields = {"column": _name(name), "low": significant(low, 6), "high": significant(high, 6)}
        findings.append(_rows_finding("out_of_range", "warning", "out_of_range", "value", outside, name, **fields))
    return findings


def _batch_categories(values: pd.Series, name: str, entry: dict) -> list[Finding]:
    strings = _category_strings(values)
    unseen = sorted(set(strings.unique()) - set(entry.get("categories") or []))
    if not unseen:
        return []
    mask = values.index.isin(strings.index[strings.isin(unseen)])
    example = _positions(mask)
    n = int(mask.sum())
    shown = ", ".join(_value(v) for v in unseen[:5])
    return [
        _finding(
            "unseen_categories",
            "warning",
            _text(
                "unseen_categories",
                column=_name(name),
                count=_count(len(unseen), "value"),
                shown=_and_more(shown, len(unseen) - 5),
                in_rows=_count(n, "row"),
                rows=_rows_text(example, n),
            ),
            name,
            example,
        )
    ]
