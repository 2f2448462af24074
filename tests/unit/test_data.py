"""core.data.sets: built-in data sets, target checks, the split and summaries (file reading: test_loading.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data import sets as data
from core.data.sets import DataError


@pytest.mark.parametrize(
    ("name", "target", "rows", "classes"),
    [
        ("iris", "species", 150, {"setosa", "versicolor", "virginica"}),
        ("wine", "cultivar", 178, {"class_0", "class_1", "class_2"}),
        ("breast_cancer", "diagnosis", 569, {"malignant", "benign"}),
    ],
)
def test_load_builtin_has_string_class_labels(name, target, rows, classes):
    frame = data.load_builtin(name)
    assert data.BUILTIN_DATASETS[name][1] == target
    assert len(frame) == rows
    assert frame.columns[-1] == target
    assert "target" not in frame.columns
    assert set(frame[target]) == classes
    assert all(isinstance(v, str) for v in frame[target])
    assert all(pd.api.types.is_numeric_dtype(frame[c]) for c in data.feature_columns(frame, target))


def test_iris_labels_match_sklearn_order():
    frame = data.load_builtin("iris")
    assert frame["species"].iloc[0] == "setosa"
    assert frame["species"].iloc[-1] == "virginica"
    assert frame["species"].value_counts().to_dict() == {"setosa": 50, "versicolor": 50, "virginica": 50}


def test_load_builtin_unknown():
    with pytest.raises(DataError, match="Unknown built-in data set 'mnist'.*iris"):
        data.load_builtin("mnist")


def toy(labels: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(len(labels), dtype=float), "y": labels})


@pytest.mark.parametrize(
    ("frame", "target", "fragment"),
    [
        (toy(["a"] * 20), "y", "only one class ('a')"),
        (toy(["a"] * 10 + ["b"] * 9 + ["c"]), "y", "Classes 'c' of 'y' have a single row"),
        (toy([f"id{i}" for i in range(20)]), "y", "looks like an ID"),
        (toy(["a", None] * 10), "y", "10 missing values"),
        (toy(["a", "b"] * 10), "nope", "not in the data"),
        (toy(["a", "b"] * 10)[["y"]], "y", "no feature columns"),
        (toy(["a", "b", "c", "d", "e"] * 2), "y", "too few rows"),
    ],
)
def test_validate_target_refuses(frame, target, fragment):
    with pytest.raises(DataError) as info:
        data.validate_target(frame, target)
    assert fragment in str(info.value)


def test_validate_target_accepts_iris():
    data.validate_target(data.load_builtin("iris"), "species")
    data.validate_target(toy(["a", "b"] * 10), "y")


def test_numeric_id_column_is_refused_as_target():
    frame = pd.DataFrame({"id": range(30), "x": np.ones(30)})
    with pytest.raises(DataError, match="30 different values in 30 rows"):
        data.validate_target(frame, "id")


@pytest.fixture(scope="module")
def iris():
    return data.load_builtin("iris")


def test_make_split_is_stratified_disjoint_and_complete(iris):
    split = data.make_split(iris, "species", 0.2, 7)
    assert (split.test_size, split.seed) == (0.2, 7)
    assert len(split.test) == 30 and len(split.train) == 120
    assert set(split.train).isdisjoint(split.test)
    assert sorted(split.train + split.test) == list(range(150))
    assert split.train == sorted(split.train) and split.test == sorted(split.test)
    assert iris.iloc[split.test]["species"].value_counts().to_dict() == {
        "setosa": 10,
        "versicolor": 10,
        "virginica": 10,
    }


def test_make_split_is_deterministic_per_seed(iris):
    assert data.make_split(iris, "species", seed=1) == data.make_split(iris, "species", seed=1)
    assert data.make_split(iris, "species", seed=1).test != data.make_split(iris, "species", seed=2).test


def test_make_split_uses_positions_not_index_labels(iris):
    shuffled = iris.sample(frac=1, random_state=0)  # index no longer 0..n-1
    split = data.make_split(shuffled, "species")
    assert max(split.train + split.test) == 149
    assert shuffled.iloc[split.test]["species"].value_counts().nunique() == 1


@pytest.mark.parametrize("test_size", [0.01, 0.6])
def test_make_split_refuses_bad_test_share(iris, test_size):
    with pytest.raises(DataError, match="between 5 % and 50 %"):
        data.make_split(iris, "species", test_size)


def test_make_split_validates_the_target(iris):
    with pytest.raises(DataError, match="only one class"):
        data.make_split(iris.assign(species="setosa"), "species")


def test_column_summary():
    frame = pd.DataFrame(
        {
            "num": [1.0, 2.0, np.nan, 5.0],
            "cat": ["a", "b", "a", None],
            "flag": [True, False, True, True],
        }
    )
    summary = data.column_summary(frame).set_index("column")
    assert summary.loc["num", "type"] == "numeric"
    assert summary.loc["num", "missing"] == 1
    assert summary.loc["num", "distinct"] == 3
    assert (summary.loc["num", "min"], summary.loc["num", "max"]) == (1.0, 5.0)
    assert summary.loc["num", "mean"] == pytest.approx(8 / 3)
    assert summary.loc["cat", "type"] == "categorical"
    assert summary.loc["cat", "missing"] == 1
    assert summary.loc["cat", "distinct"] == 2
    assert pd.isna(summary.loc["cat", "min"])
    assert summary.loc["flag", "type"] == "categorical"  # booleans are not numbers here


def test_class_balance(iris):
    balance = data.class_balance(toy(["a"] * 6 + ["b"] * 3 + ["c"]), "y")
    assert balance["class"].tolist() == ["a", "b", "c"]
    assert balance["rows"].tolist() == [6, 3, 1]
    assert balance["share"].tolist() == pytest.approx([0.6, 0.3, 0.1])
    assert data.class_balance(iris, "species")["share"].sum() == pytest.approx(1.0)


def test_feature_stats():
    frame = pd.DataFrame(
        {
            "f": [1.5, 2.0, 10.0, np.nan],
            "i": [3, 1, 2, 9],
            "g": [3.0, 1.0, np.nan, 9.0],  # whole numbers with a gap: pandas reads them as floats
            "c": ["x", "y", "y", None],
            "t": ["a", "b", "a", "b"],
        }
    )
    stats = data.feature_stats(frame, "t")
    assert set(stats) == {"f", "i", "g", "c"}
    assert stats["f"] == {"kind": "numeric", "min": 1.5, "max": 10.0, "median": 2.0, "integer": False}
    assert stats["g"]["integer"] is True
    assert stats["i"] == {"kind": "numeric", "min": 1.0, "max": 9.0, "median": 2.5, "integer": True}
    assert stats["c"] == {"kind": "categorical", "categories": ["x", "y"], "mode": "y"}


def test_dataset_digest_is_stable_and_sensitive(iris):
    digest = data.dataset_digest(iris)
    assert len(digest) == 12
    assert digest == data.dataset_digest(iris.copy())
    assert digest == data.dataset_digest(data.load_builtin("iris"))
    changed = iris.copy()
    changed.iloc[3, 0] += 0.1
    assert data.dataset_digest(changed) != digest
    relabelled = iris.copy()
    relabelled.loc[0, "species"] = "versicolor"
    assert data.dataset_digest(relabelled) != digest
    assert data.dataset_digest(iris.rename(columns={"species": "kind"})) != digest
    assert data.dataset_digest(iris.head(149)) != digest
    assert data.dataset_digest(iris.set_index(iris.index + 100)) == digest  # the index is not content
