"""U phase data handling: built-in sets, target checks, summaries and the split (files: core.data.loading)."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.common.errors import WorkbenchError
from core.common.i18n import percent, tr

BUILTIN_DATASETS = {
    "iris": ("Iris flowers (150 rows, 3 species)", "species"),
    "wine": ("Wine cultivars (178 rows, 3 classes)", "cultivar"),
    "breast_cancer": ("Breast cancer diagnosis (569 rows, 2 classes)", "diagnosis"),
}
MIN_ROWS = 10
MAX_CLASSES = 100
DEFAULT_TEST_SIZE = 0.2
DEFAULT_SEED = 42


class DataError(WorkbenchError):
    """Data that cannot be used, with a message that says what to do."""


def load_builtin(name: str) -> pd.DataFrame:
    """A built-in scikit-learn data set as a frame whose target column holds the class names."""
    from sklearn import datasets

    loaders = {
        "iris": datasets.load_iris,
        "wine": datasets.load_wine,
        "breast_cancer": datasets.load_breast_cancer,
    }
    if name not in loaders:
        raise DataError(tr("data.errors.unknown_builtin", name=name, names=", ".join(loaders)))
    bunch = loaders[name](as_frame=True)
    frame = bunch.frame.drop(columns="target")
    frame[BUILTIN_DATASETS[name][1]] = np.asarray(bunch.target_names)[bunch.target.to_numpy()]
    return frame


def validate_target(frame: pd.DataFrame, target: str, test_size: float = DEFAULT_TEST_SIZE) -> None:
    """Raise DataError when the target cannot drive a stratified classification split."""
    if target not in frame.columns:
        raise DataError(tr("data.errors.unknown_target", target=target))
    if frame.shape[1] < 2:
        raise DataError(tr("data.errors.no_features"))
    labels = frame[target]
    if labels.isna().any():
        raise DataError(tr("data.errors.target_missing", target=target, count=int(labels.isna().sum())))
    counts = labels.astype(str).value_counts()
    if len(counts) < 2:
        raise DataError(tr("data.errors.one_class", target=target, label=counts.index[0]))
    if len(counts) > MAX_CLASSES or len(counts) > len(frame) / 2:
        raise DataError(tr("data.errors.class_per_row", target=target, classes=len(counts), rows=len(frame)))
    if counts.min() < 2:
        rare = ", ".join(f"'{c}'" for c in counts[counts < 2].index[:5])
        raise DataError(tr("data.errors.single_row_classes", classes=rare, target=target))
    n_test = int(np.ceil(len(frame) * test_size))
    if n_test < len(counts) or len(frame) - n_test < len(counts):
        raise DataError(tr("data.errors.test_too_small", share=percent(test_size, 0), classes=len(counts)))


def feature_columns(frame: pd.DataFrame, target: str) -> list[str]:
    """The feature columns: every column but the target."""
    return [c for c in frame.columns if c != target]


@functools.cache
def _builtin_digest(name: str) -> str:
    return dataset_digest(load_builtin(name))


def is_builtin(name: str, digest: str) -> bool:
    """Whether a data set of this name and digest is the built-in one (an upload may share its name)."""
    return name in BUILTIN_DATASETS and _builtin_digest(name) == digest


def dataset_digest(frame: pd.DataFrame) -> str:
    """A short content hash of a frame (values, columns and dtypes) that identifies a data set version."""
    hasher = hashlib.sha256()
    hasher.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    hasher.update("|".join(f"{c}:{t}" for c, t in frame.dtypes.astype(str).items()).encode())
    return hasher.hexdigest()[:12]


@dataclass(frozen=True)
class Split:
    """Row positions of the stratified train/test split."""

    train: list[int]
    test: list[int]
    test_size: float
    seed: int


def make_split(
    frame: pd.DataFrame,
    target: str,
    test_size: float = DEFAULT_TEST_SIZE,
    seed: int = DEFAULT_SEED,
) -> Split:
    """A stratified train/test split with a fixed seed, as row positions."""
    from sklearn.model_selection import train_test_split

    if not 0.05 <= test_size <= 0.5:
        raise DataError(tr("data.errors.test_share_range", share=percent(test_size, 0)))
    validate_target(frame, target, test_size)
    positions = np.arange(len(frame))
    train, test = train_test_split(
        positions,
        test_size=test_size,
        random_state=seed,
        stratify=frame[target].astype(str),
    )
    return Split(sorted(int(i) for i in train), sorted(int(i) for i in test), test_size, seed)


def column_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per column: type, missing values, distinct values and numeric range."""
    rows = []
    for column in frame.columns:
        values = frame[column]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        rows.append(
            {
                "column": column,
                "type": "numeric" if numeric else "categorical",
                "missing": int(values.isna().sum()),
                "distinct": int(values.nunique(dropna=True)),
                "min": float(values.min()) if numeric and values.notna().any() else None,
                "mean": float(values.mean()) if numeric and values.notna().any() else None,
                "max": float(values.max()) if numeric and values.notna().any() else None,
            }
        )
    return pd.DataFrame(rows)


def class_balance(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """Rows and share per class of the target."""
    counts = frame[target].astype(str).value_counts().rename_axis("class").reset_index(name="rows")
    counts["share"] = counts["rows"] / counts["rows"].sum()
    return counts


def feature_stats(frame: pd.DataFrame, target: str) -> dict[str, dict]:
    """Per feature: numeric range and median, or the categories and mode; used for predict inputs."""
    stats: dict[str, dict] = {}
    for column in feature_columns(frame, target):
        values = frame[column].dropna()
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            stats[column] = {
                "kind": "numeric",
                "min": float(values.min()) if len(values) else 0.0,
                "max": float(values.max()) if len(values) else 1.0,
                "median": float(values.median()) if len(values) else 0.0,
                # whole numbers stored as floats (a column with gaps: pandas reads it as float) step by 1 too
                "integer": bool(
                    pd.api.types.is_integer_dtype(values)
                    or (len(values) and np.all(np.mod(values.to_numpy(dtype=float), 1) == 0))
                ),
            }
        else:
            categories = values.astype(str).value_counts()
            stats[column] = {
                "kind": "categorical",
                "categories": sorted(categories.index.tolist())[:200],
                "mode": str(categories.index[0]) if len(categories) else "",
            }
    return stats
