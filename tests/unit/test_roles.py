"""core.data.roles: inferring feature roles, choosing feature columns, explaining a role."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data import roles
from core.data.roles import ROLES, USABLE_ROLES, feature_columns_for, infer_role, infer_roles, role_reason

N = 30
SENTENCES = [f"Customer {i} wrote that the delivery number {i} arrived late again" for i in range(N)]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(np.linspace(0.5, 9.5, N), "numeric", id="floats"),
        pytest.param([(i * 7919) % 100_003 for i in range(N)], "numeric", id="unique-ints-wide-range"),
        pytest.param([i % 7 for i in range(N)], "numeric", id="repeating-ints"),
        pytest.param([i % 2 for i in range(N)], "numeric", id="numeric-0-1-stays-numeric"),
        pytest.param(list(range(1, N + 1)), "id", id="row-numbers"),
        pytest.param(list(range(N, 0, -1)), "id", id="descending-row-numbers"),
        pytest.param([(i * 7) % N + 100 for i in range(N)], "id", id="shuffled-consecutive-ints"),
        pytest.param([1000 * i**2 for i in range(N)], "id", id="sorted-unique-ints"),
        pytest.param([float(i) for i in range(N)], "id", id="integral-floats"),
        pytest.param([f"C-{i:05d}" for i in range(N)], "id", id="string-codes"),
        pytest.param([str(i) for i in range(N)], "id", id="numbers-as-text-row-numbers"),
        pytest.param([None] * N, "constant", id="all-missing"),
        pytest.param([np.nan] * N, "constant", id="all-nan"),
        pytest.param(["x"] * (N - 3) + [None] * 3, "constant", id="one-value-and-missing"),
        pytest.param([7] * N, "constant", id="one-number"),
        pytest.param([True] * N, "constant", id="bool-one-value"),
        pytest.param([i % 2 == 0 for i in range(N)], "boolean", id="bool-dtype"),
        pytest.param(["yes", "no"] * (N // 2), "boolean", id="yes-no"),
        pytest.param(["True", "False"] * (N // 2), "boolean", id="true-false-strings"),
        pytest.param([" TRUE", "false "] * (N // 2), "boolean", id="true-false-case-and-spaces"),
        pytest.param(["1", "0"] * (N // 2), "boolean", id="zero-one-strings"),
        pytest.param(["Y", "N"] * (N // 2), "categorical", id="y-n-is-two-categories"),
        pytest.param(["1.5", "2.5", "3.5"] * 10, "numeric", id="numbers-as-text"),
        pytest.param([f"{i}.5" for i in range(39)] + ["n/a"], "numeric", id="numbers-with-a-typo"),
        pytest.param([f"{i}.5" for i in range(17)] + ["n/a", "?"], "categorical", id="too-many-typos"),
        pytest.param(["red", "green", "blue"] * 10, "categorical", id="colours"),
        pytest.param([f"city {i % 10}" for i in range(N)], "categorical", id="multiword-but-repeating"),
        pytest.param(SENTENCES, "text", id="sentences"),
        pytest.param([s[:8] + " " + s[8:15] for s in SENTENCES] * 2, "categorical", id="short-repeating-text"),
        pytest.param(pd.date_range("2024-01-01", periods=N), "text", id="dates"),
        pytest.param(pd.Categorical(["s", "m", "l"] * 10), "categorical", id="category-dtype"),
        pytest.param(pd.array(["a", "b", None] * 10, dtype="string"), "categorical", id="string-dtype"),
    ],
)
def test_infer_role(values, expected):
    assert expected in ROLES
    assert infer_role(pd.Series(values)) == expected


@pytest.mark.parametrize("rows", [12, 19])
def test_few_unique_rows_are_not_an_id(rows):
    assert infer_role(pd.Series(range(rows))) == "numeric"
    assert infer_role(pd.Series([f"C-{i}" for i in range(rows)])) == "categorical"


def test_an_id_with_a_missing_value_is_not_unique_in_every_row():
    assert infer_role(pd.Series([*range(N - 1), None])) == "numeric"


def test_infer_roles_skips_the_target_and_keeps_frame_order():
    frame = pd.DataFrame({"b": np.linspace(0, 1, N), "label": ["a", "b"] * 15, "a": ["u", "v", "w"] * 10})
    found = infer_roles(frame, target="label")
    assert list(found) == ["b", "a"]
    assert found == {"b": "numeric", "a": "categorical"}
    assert infer_roles(frame) == {"b": "numeric", "label": "categorical", "a": "categorical"}


def test_infer_roles_on_iris_shaped_data():
    from core.data import sets as data

    frame = data.load_builtin("iris")
    assert infer_roles(frame, "species") == dict.fromkeys(frame.columns[:4], "numeric")


@pytest.mark.parametrize(
    ("excluded", "expected"),
    [
        (frozenset(), ["n", "c", "b"]),
        ({"c"}, ["n", "b"]),
        (frozenset({"n", "c", "b"}), []),
        ({"not-a-column"}, ["n", "c", "b"]),
    ],
)
def test_feature_columns_for(excluded, expected):
    found = {"id": "id", "n": "numeric", "y": "categorical", "c": "categorical", "k": "constant", "t": "text"}
    found["b"] = "boolean"
    assert feature_columns_for(found, "y", excluded) == expected
    assert set(USABLE_ROLES) == {"numeric", "categorical", "boolean"}


def test_feature_columns_for_default_is_not_shared_state():
    found = {"a": "numeric", "y": "categorical"}
    assert feature_columns_for(found, "y") == ["a"]
    assert feature_columns_for(found, "a") == ["y"]


FRAME = pd.DataFrame(
    {
        "row": range(1, 151),
        "width": np.linspace(2.0, 4.4, 150),
        "empty": [None] * 150,
        "same": ["x"] * 150,
        "flag": ["yes", "no"] * 75,
        "colour": ["red", "green", "blue"] * 50,
        "note": [f"A long free-text comment number {i} about this row" for i in range(150)],
        "mostly_numbers": [str(i / 2) for i in range(149)] + ["n/a"],
        "when": pd.date_range("2024-01-01", periods=150),
    }
)


@pytest.mark.parametrize(
    ("column", "role", "fragment"),
    [
        ("row", "id", "unique in every row (150 of 150 values)"),
        ("width", "numeric", "numbers from 2 to 4.4"),
        ("empty", "constant", "every value is missing"),
        ("same", "constant", "the same value ('x')"),
        ("flag", "boolean", "two values only ('yes', 'no')"),
        ("colour", "categorical", "3 distinct values, e.g. 'red', 'green', 'blue'"),
        ("note", "text", "free text (150 distinct values"),
        ("mostly_numbers", "numeric", "text that reads as numbers in 99% of the values, from 0 to 74"),
        ("when", "text", "dates or times"),
        ("row", "numeric", "set by hand; the data looks id: unique in every row"),
        ("colour", "id", "set by hand; the data looks categorical"),
    ],
)
def test_role_reason(column, role, fragment):
    if not fragment.startswith("set by hand"):
        assert infer_role(FRAME[column]) == role
    reason = role_reason(FRAME, column, role)
    assert fragment in reason
    assert "\n" not in reason


def test_role_reason_shortens_long_values():
    frame = pd.DataFrame({"c": ["word " * 40] * N})
    assert len(role_reason(frame, "c", "constant")) < 80


def test_coerce_for_roles_makes_numbers_and_category_strings():
    frame = pd.DataFrame(
        {
            "n": ["1.5", "2", "n/a"],
            "f": [True, False, True],
            "code": [1.0, 2.0, np.nan],
            "plain": [1, 2, 3],
        }
    )
    out = roles.coerce_for_roles(frame, {"n": "numeric", "f": "boolean", "code": "categorical", "plain": "numeric"})
    assert out["n"].dtype == float
    assert out["n"].tolist()[:2] == [1.5, 2.0]
    assert np.isnan(out["n"].iloc[2])
    assert out["f"].tolist() == ["True", "False", "True"]
    assert out["code"].tolist()[:2] == ["1", "2"]
    assert pd.isna(out["code"].iloc[2])
    assert out["plain"].tolist() == [1, 2, 3]
    assert frame["n"].tolist() == ["1.5", "2", "n/a"]  # the input is not changed


@pytest.mark.parametrize(
    ("value", "text"), [(1.0, "1"), (np.float64(2.0), "2"), (1.5, "1.5"), (3, "3"), (True, "True")]
)
def test_category_string(value, text):
    assert roles.category_string(value) == text


# ---- the target --------------------------------------------------------------------------------------------------


def test_infer_target_takes_the_class_named_column_even_when_it_comes_first():
    from tests.datasets import german_penguins, penguins

    assert roles.infer_target(penguins()) == ("species", "named")
    assert roles.infer_target(german_penguins()) == ("Art", "named")  # never 'Jahr', the year at the end


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        pytest.param({"x": np.arange(N) / 3, "label": ["a", "b", "c"] * 10}, ("label", "named"), id="label"),
        pytest.param({"Klasse (A/B)": ["A", "B"] * 15, "x": np.arange(N) / 3}, ("Klasse (A/B)", "named"), id="word"),
        pytest.param({"y": [0, 1] * 15, "x": np.arange(N) / 3}, ("y", "named"), id="y"),
        pytest.param({"target": np.arange(N) * 1.5, "x": [1, 2] * 15}, ("target", "named"), id="named-quantity"),
        pytest.param(
            {"x": np.arange(N) / 3, "grade": ["lo", "hi"] * 15, "n": np.arange(N) / 7},
            ("grade", "categorical"),
            id="last-categorical",
        ),
        pytest.param(
            # an ID named "class" is not a class; a free-text column is not either
            {"class": [f"C-{i:04d}" for i in range(N)], "kind": ["p", "q", "r"] * 10, "note": SENTENCES},
            ("kind", "categorical"),
            id="named-id-skipped",
        ),
        pytest.param({"a": np.arange(N) / 3, "b": np.arange(N) / 7}, ("b", "last"), id="numbers-only"),
    ],
)
def test_infer_target(columns, expected):
    assert roles.infer_target(pd.DataFrame(columns)) == expected


def test_target_concern_names_quantities_dates_and_ids():
    assert roles.target_concern(pd.Series(np.linspace(1, 100, N))) == "quantity"
    assert roles.target_concern(pd.Series(pd.date_range("2026-01-01", periods=N))) == "dates"
    assert roles.target_concern(pd.Series(range(N))) == "id"
    assert roles.target_concern(pd.Series([2007, 2008, 2009] * 10)) is None
    assert roles.target_concern(pd.Series(["a", "b"] * 15)) is None
