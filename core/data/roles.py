"""Feature roles of the U phase: what each column of a tabular data set is, and whether it feeds the model.

A role is inferred from the values alone, so that the analyst starts from a sensible default and only has to
correct the odd column: an ID or a constant would let a model memorise rows or learn nothing, free text would
explode a one-hot encoder, so those are excluded unless the analyst includes them on purpose. The target is
chosen separately and gets no role.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from core.common.i18n import current_language, number, percent, significant, translate

ROLES = ("numeric", "categorical", "boolean", "id", "constant", "text")
USABLE_ROLES = ("numeric", "categorical", "boolean")

# Two spellings of yes/no that CSV exports use; a string column holding exactly one of these pairs is a flag.
BOOLEAN_PAIRS = (frozenset({"true", "false"}), frozenset({"yes", "no"}), frozenset({"0", "1"}))
ID_MIN_ROWS = 20  # below this, "unique in every row" happens by chance (e.g. 12 distinct measurements)
NUMERIC_SHARE = 0.95  # a text column whose values read as numbers this often is a numeric column with typos
TEXT_DISTINCT_SHARE = 0.5
TEXT_MIN_DISTINCT = 20
TEXT_MEAN_LENGTH = 20
TEXT_SPACE_SHARE = 0.5


def _is_number_dtype(values: pd.Series) -> bool:
    """Numbers proper: bools are numeric to pandas but are flags to us."""
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _is_time_dtype(values: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(values) or pd.api.types.is_timedelta64_dtype(values)


def numeric_share(values: pd.Series) -> float:
    """The share of non-missing values of a text column that read as numbers.

    Parsing the distinct values (weighted by their counts) instead of every row keeps this cheap for the usual
    categorical column with a handful of levels.
    """
    counts = values.value_counts(dropna=True)
    if counts.empty:
        return 0.0
    parsed = pd.to_numeric(pd.Series(counts.index, dtype=object), errors="coerce")
    return float(counts.to_numpy()[parsed.notna().to_numpy()].sum() / counts.sum())


def _looks_like_id(numbers: pd.Series, rows: int) -> bool:
    """Integers unique in every row that count rows rather than measure something.

    A measured integer (an income, a price) can be unique too, so we also ask for the values to be sorted or to
    fill a range not much wider than the number of rows, as row numbers and database keys do.
    """
    if rows < ID_MIN_ROWS or len(numbers) != rows:
        return False
    values = numbers.to_numpy(dtype=float)
    # Cheap tests first: measured floats fail here without hashing every value.
    if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)) or numbers.nunique() != rows:
        return False
    span = values.max() - values.min() + 1
    return bool(span <= 2 * rows or numbers.is_monotonic_increasing or numbers.is_monotonic_decreasing)


def _looks_like_text(present: pd.Series) -> bool:
    """Long or multi-word strings: sentences, comments, addresses."""
    strings = present.astype(str)
    if strings.str.len().mean() > TEXT_MEAN_LENGTH:
        return True
    return bool(strings.str.contains(" ", regex=False).mean() > TEXT_SPACE_SHARE)


def infer_role(values: pd.Series) -> str:
    """The role of one column, from its values alone (see :func:`infer_roles`)."""
    rows = len(values)
    present = values.dropna()
    distinct = int(present.nunique())
    # Nothing to learn from a column without variation, whatever its type.
    if distinct <= 1:
        return "constant"
    if pd.api.types.is_bool_dtype(values):
        return "boolean"
    if _is_time_dtype(values):
        # Dates need feature engineering (year, weekday, …) the workbench does not do; one-hot dates overfit.
        return "text"
    if _is_number_dtype(values):
        # A numeric 0/1 column stays numeric: to the models a 0/1 number and a two-level category are the same.
        return "id" if _looks_like_id(present, rows) else "numeric"
    # From here on: object, string or category columns.
    if distinct == 2 and frozenset(str(v).strip().lower() for v in present.unique()) in BOOLEAN_PAIRS:
        return "boolean"
    if numeric_share(present) >= NUMERIC_SHARE:
        # Numbers with a few typos ('n/a', '12,5'); validation reports the stray text as mixed types.
        numbers = pd.to_numeric(present, errors="coerce")
        return "id" if _looks_like_id(numbers, rows) else "numeric"
    if distinct < ID_MIN_ROWS:
        return "categorical"  # too few distinct values for an ID (one per row, ≥ 20 rows) or for free text
    texty = _looks_like_text(present)
    if distinct == rows and rows >= ID_MIN_ROWS and not texty:
        return "id"  # codes such as 'C-00017': unique per row, short, no spaces
    if texty and distinct > TEXT_MIN_DISTINCT and distinct > TEXT_DISTINCT_SHARE * len(present):
        return "text"
    return "categorical"


def infer_roles(frame: pd.DataFrame, target: str | None = None) -> dict[str, str]:
    """A role for every column but the target, in frame order."""
    return {column: infer_role(frame[column]) for column in frame.columns if column != target}


def feature_columns_for(
    roles: dict[str, str],
    target: str,
    excluded: set[str] | frozenset[str] = frozenset(),
) -> list[str]:
    """The columns that feed the model: a usable role, not the target, not excluded by the analyst."""
    return [c for c, role in roles.items() if role in USABLE_ROLES and c != target and c not in excluded]


def _examples(values: pd.Series, limit: int = 3) -> str:
    return ", ".join(f"'{_short(v)}'" for v in values.dropna().astype(str).value_counts().index[:limit])


def _short(value: object, limit: int = 30) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _why(values: pd.Series, role: str, language: str) -> str:
    """The evidence for ``role``, phrased for the role the data suggests."""

    def say(key: str, **fields: object) -> str:
        return translate(f"data.why.{key}", language, **fields)

    rows = len(values)
    present = values.dropna()
    distinct = int(present.nunique())
    if role == "constant":
        if present.empty:
            return say("all_missing")
        return say("same_value", value=_short(present.iloc[0]))
    if role == "boolean":
        return say("two_values", examples=_examples(present, 2))
    if role == "id":
        return say("unique", distinct=distinct, rows=rows)
    if role == "text":
        if _is_time_dtype(values):
            return say("dates")
        mean = present.astype(str).str.len().mean()
        return say("free_text", distinct=distinct, mean=number(mean, 0))
    if role == "numeric":
        numbers = present if _is_number_dtype(values) else pd.to_numeric(present, errors="coerce")
        numbers = numbers[np.isfinite(numbers.to_numpy(dtype=float))]
        span = (
            say("span", low=significant(numbers.min(), 6), high=significant(numbers.max(), 6))
            if len(numbers)
            else say("no_finite")
        )
        if _is_number_dtype(values):
            return say("numbers", span=span)
        return say("numeric_text", share=percent(numeric_share(present), 0), span=span)
    return say("distinct", distinct=distinct, examples=_examples(present))


def role_reason(frame: pd.DataFrame, column: str, role: str, language: str | None = None) -> str:
    """One short phrase saying why ``column`` has ``role``; for a role set by hand, what the data suggested.

    In ``language`` (default: the reader's, see :func:`core.common.i18n.current_language`).
    """
    language = language or current_language()
    values = frame[column]
    inferred = infer_role(values)
    if role == inferred:
        return _why(values, role, language)
    return translate(
        "data.why.by_hand",
        language,
        role=translate(f"data.role.{inferred}", language),
        why=_why(values, inferred, language),
    )


def coerce_for_roles(frame: pd.DataFrame, roles: dict[str, str]) -> pd.DataFrame:
    """A copy in which numeric-role columns are floats (stray text becomes missing), categories and flags text.

    The training pipeline groups columns by dtype, so a numbers column that arrived as text because of a few
    typos must be turned into numbers before it gets there, or it would be one-hot encoded.
    """
    out = frame.copy()
    for column, role in roles.items():
        if column not in out.columns:
            continue
        if role == "numeric" and not _is_number_dtype(out[column]):
            out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
        elif role in ("boolean", "categorical"):
            # Every value as text, also in object columns mixing numbers and strings, which the one-hot
            # encoder refuses; missing values stay missing so the imputer, not the encoder, deals with them.
            # (None becomes NaN: scikit-learn's imputer only counts NaN as missing)
            out[column] = out[column].map(lambda v: np.nan if pd.isna(v) else category_string(v)).astype(object)
    return out


def category_string(value: object) -> str:
    """A category as text, with integral floats written as integers so that 1, 1.0 and '1' match."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


# ---- the target -------------------------------------------------------------------------------------------------

# Column names that say "this is the class": whole names, then the last word of a longer name (``target_class``,
# ``Klasse (A/B)``). English and German, as the files people upload are named.
TARGET_NAMES = frozenset(
    {
        "species",
        "class",
        "label",
        "target",
        "y",
        "outcome",
        "category",
        "diagnosis",
        "variety",
        "klasse",
        "art",
        "spezies",
        "sorte",
        "kategorie",
        "ziel",
        "zielvariable",
        "diagnose",
    }
)
TARGET_WORDS = frozenset({"class", "label", "target", "klasse", "kategorie", "zielvariable"})
LOW_CARDINALITY = 20  # at most this many distinct values reads as classes rather than a measurement
QUANTITY_DISTINCT = 20  # a number column with more distinct values than this is a quantity to estimate


def _name_words(column: object) -> list[str]:
    """The words of a column name without a trailing note in brackets (``Klasse (A/B)``, ``Gewicht [kg]``)."""
    name = re.sub(r"\s*[(\[].*$", "", str(column).lower()) or str(column).lower()
    return "".join(ch if ch.isalnum() else " " for ch in name).split()


def _named_like_target(column: object) -> int:
    """2 when the whole name says "class" (``species``, ``Art``), 1 when its last word does, else 0."""
    words = _name_words(column)
    if " ".join(words) in TARGET_NAMES:
        return 2
    return 1 if words and words[-1] in TARGET_WORDS else 0


def target_concern(values: pd.Series) -> str | None:
    """Why a column is a doubtful class target: ``id``, ``text``, ``dates``, ``constant`` or ``quantity`` (a
    number with many values: something to estimate, not classes); None when it reads as classes."""
    role = infer_role(values)
    if _is_time_dtype(values):
        return "dates"
    if role in ("id", "text", "constant"):
        return role
    if role == "numeric" and values.dropna().nunique() > QUANTITY_DISTINCT:
        return "quantity"
    return None


def infer_target(frame: pd.DataFrame) -> tuple[str, str]:
    """The column most likely to be the class to predict, and why (``named``, ``categorical`` or ``last``).

    A column named like the class wins (``species``, ``class``, ``label``, ``target``, ``y``, ``Art``, ``Klasse``,
    …) unless it is an ID, a date, free text or a constant; else the last categorical or boolean column with few
    values; else the last column with no concern at all; else the last column (validation then says why it is a
    doubtful target).
    """
    columns = list(frame.columns)
    if not columns:
        raise ValueError("a frame without columns has no target")
    concerns = {}

    def concern(column: object) -> str | None:
        if column not in concerns:
            concerns[column] = target_concern(frame[column])
        return concerns[column]

    named = sorted(
        (c for c in columns if _named_like_target(c)), key=lambda c: (_named_like_target(c), columns.index(c))
    )
    for column in reversed(named):  # strongest name first, later columns before earlier ones
        if concern(column) in (None, "quantity"):
            return column, "named"
    for column in reversed(columns):
        role = infer_role(frame[column])
        if role in ("categorical", "boolean") and frame[column].nunique() <= LOW_CARDINALITY:
            return column, "categorical"
    for column in reversed(columns):
        if concern(column) is None:
            return column, "last"
    return columns[-1], "last"
