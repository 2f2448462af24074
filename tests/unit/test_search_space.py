"""core.train.search_space: editable search spaces, their checks, and the grid, random and Optuna samplers."""

from __future__ import annotations

import itertools
import math
import random
import re
import statistics

import numpy as np
import pytest

from core.train.algorithms import ALGORITHMS, AlgorithmError, choice_text, get_algorithm
from core.train.search_space import (
    DEFAULT_GRID_POINTS,
    MAX_GRID_POINTS,
    METHODS,
    SPACE_COLUMNS,
    Dimension,
    Sampler,
    SearchSpaceError,
    default_space,
    grid_size,
    space_from_table,
    space_table,
    space_with_overrides,
    trial_params,
    validate_space,
)

RF = "random_forest"


def edited(key: str, row_name: str, /, **changes):
    """The default space table of an algorithm with one row's cells changed."""
    table = space_table(key)
    row = table.index[table["name"] == row_name][0]
    for column, value in changes.items():
        table.loc[row, column.replace("_", " ")] = value
    return table


def numeric_part(dim: Dimension) -> tuple:
    """What a dimension means, ignoring grid points of choices (a grid tries every choice)."""
    return (dim.name, dim.kind, dim.low, dim.high, dim.log, dim.choices, None if dim.kind == "choice" else dim.points)


# --- default spaces -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(ALGORITHMS))
def test_default_space_of_every_algorithm_validates(key):
    space = default_space(key)
    assert space
    validate_space(key, space)
    tuned = [p.name for p in get_algorithm(key).params if p.tuned]
    assert [d.name for d in space] == tuned
    for dim in space:
        p = {q.name: q for q in get_algorithm(key).params}[dim.name]
        assert dim.kind == p.kind
        if dim.kind == "choice":
            assert dim.choices == p.choices
        else:
            assert (dim.low, dim.high) == p.search_range
            assert dim.log == p.log
            assert dim.points == DEFAULT_GRID_POINTS
    assert grid_size(space) >= 1


def test_default_space_leaves_out_untuned_params():
    assert [d.name for d in default_space("logistic_regression")] == ["C"]
    assert [d.name for d in default_space("mlp")] == ["hidden_layer_sizes", "alpha"]
    assert default_space(RF)[0] == Dimension("n_estimators", "int", 50, 300)


def test_default_space_of_an_unknown_algorithm():
    with pytest.raises(AlgorithmError, match="Unknown algorithm 'xgb'"):
        default_space("xgb")


# --- grid values --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dim", "values"),
    [
        (Dimension("C", "float", 1.0, 3.0), [1.0, 2.0, 3.0]),
        (Dimension("C", "float", 0.0, 1.0, points=5), [0.0, 0.25, 0.5, 0.75, 1.0]),
        (Dimension("C", "float", 0.01, 100.0, log=True, points=5), [0.01, 0.1, 1.0, 10.0, 100.0]),
        (Dimension("C", "float", 0.001, 100.0, log=True), [0.001, 0.3162, 100.0]),
        (Dimension("C", "float", 1.0 / 3, 2.0 / 3, points=2), [0.3333, 0.6667]),  # four significant digits
        (Dimension("n", "int", 10, 20), [10, 15, 20]),
        (Dimension("n", "int", 1, 3, points=5), [1, 2, 3]),  # 1, 1.5, 2, 2.5, 3 rounded and deduplicated
        (Dimension("n", "int", 1, 2, points=20), [1, 2]),
        (Dimension("n", "int", 1, 100, log=True, points=3), [1, 10, 100]),
        (Dimension("n", "int", 10, 500, points=1), [10]),
        (Dimension("C", "float", 0.5, 2.0, points=1), [0.5]),
        (Dimension("C", "float", 2.0, 2.0, points=7), [2.0]),
        (Dimension("n", "int", 7, 7, log=True, points=4), [7]),
        (Dimension("k", "choice", choices=("rbf", "linear")), ["rbf", "linear"]),
        (Dimension("h", "choice", choices=((50,), (50, 50))), [(50,), (50, 50)]),
    ],
)
def test_grid_values(dim, values):
    got = dim.grid_values()
    assert got == values
    if dim.kind == "int":
        assert all(isinstance(v, int) for v in got)
    if dim.kind == "float":
        assert all(isinstance(v, float) for v in got)


def test_grid_values_stay_within_the_bounds():
    for low, high, log in [(0.001, 100.0, True), (1e-12, 1e-3, True), (0.01, 1.0, False), (1e-6, 1.0, True)]:
        values = Dimension("x", "float", low, high, log=log, points=MAX_GRID_POINTS).grid_values()
        assert len(values) == MAX_GRID_POINTS
        assert values == sorted(values)
        assert low <= min(values) and max(values) <= high


# --- random samples -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dim",
    [
        Dimension("C", "float", 0.01, 100.0, log=True),
        Dimension("C", "float", -1.0, 1.0),
        Dimension("n", "int", 10, 20),
        Dimension("n", "int", 1, 1000, log=True),
        Dimension("n", "int", 5, 5),
    ],
)
def test_sample_stays_within_the_range(dim):
    rng = random.Random(0)
    values = [dim.sample(rng) for _ in range(300)]
    assert all(dim.low <= v <= dim.high for v in values)
    if dim.kind == "int":
        assert all(isinstance(v, int) for v in values)
    else:
        assert all(isinstance(v, float) for v in values)


def test_int_sample_reaches_both_ends():
    rng = random.Random(1)
    assert {Dimension("n", "int", 10, 12).sample(rng) for _ in range(200)} == {10, 11, 12}


def test_log_sample_is_uniform_in_the_logarithm():
    rng = random.Random(3)
    log_values = [Dimension("C", "float", 0.001, 1000.0, log=True).sample(rng) for _ in range(2000)]
    linear_values = [Dimension("C", "float", 0.001, 1000.0).sample(rng) for _ in range(2000)]
    # uniform in the logarithm: the median is near the geometric middle (1), and each decade is about as likely
    assert 0.3 < statistics.median(log_values) < 3
    assert 0.1 < sum(v < 0.01 for v in log_values) / 2000 < 0.24
    assert statistics.median(linear_values) > 300
    assert all(0.001 <= v <= 1000 for v in log_values)


def test_choice_sample_picks_every_choice():
    rng = random.Random(0)
    dim = Dimension("h", "choice", choices=((50,), (100,), (50, 50)))
    assert {dim.sample(rng) for _ in range(100)} == {(50,), (100,), (50, 50)}


def test_sample_is_deterministic_with_a_seeded_rng():
    space = default_space("mlp") + default_space(RF)

    def samples(seed: int) -> list[list]:
        rng = random.Random(seed)
        return [[d.sample(rng) for d in space] for _ in range(10)]

    assert samples(11) == samples(11)
    assert samples(11) != samples(12)


def test_describe():
    assert Dimension("C", "float", 0.01, 100.0, log=True).describe() == "C ∈ [0.01, 100] (log)"
    assert Dimension("n", "int", 10, 20).describe() == "n ∈ [10, 20]"
    assert Dimension("h", "choice", choices=((50,), (50, 50))).describe() == "h ∈ {50, 50,50}"


# --- tables -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(ALGORITHMS))
def test_space_table_lists_every_hyperparameter(key):
    table = space_table(key)
    assert list(table.columns) == SPACE_COLUMNS
    assert table["name"].tolist() == [p.name for p in get_algorithm(key).params]
    assert table["hyperparameter"].tolist() == [p.label for p in get_algorithm(key).params]
    assert table["search"].tolist() == [p.tuned for p in get_algorithm(key).params]


@pytest.mark.parametrize("key", list(ALGORITHMS))
def test_space_table_round_trip_of_every_default_space(key):
    space = space_from_table(key, space_table(key))
    assert [numeric_part(d) for d in space] == [numeric_part(d) for d in default_space(key)]


def test_space_table_round_trip_of_an_edited_space():
    space = (
        Dimension("alpha", "float", 0.001, 0.1, log=True, points=4),
        Dimension("max_iter", "int", 100, 300, points=2),
        Dimension("hidden_layer_sizes", "choice", choices=((50,), (50, 50))),
    )
    table = space_table("mlp", space)
    assert table["search"].tolist() == [True, True, True]
    assert table.loc[0, "choices"] == "50; 50,50"
    assert table.loc[1, ["min", "max", "log", "grid points"]].tolist() == [0.001, 0.1, True, 4]
    back = space_from_table("mlp", table)
    # the table lists hyperparameters in catalogue order
    assert [numeric_part(d) for d in back] == [numeric_part(space[i]) for i in (2, 0, 1)]


def test_mlp_hidden_layer_choices_read_from_text():
    table = space_table("mlp")
    assert table.loc[0, "choices"] == "50; 100; 50,50; 100,50"
    table.loc[0, "choices"] = "50; 100; 50,50"
    space = space_from_table("mlp", table)
    assert space[0] == Dimension("hidden_layer_sizes", "choice", choices=((50,), (100,), (50, 50)), points=1)
    table.loc[0, "choices"] = " 100,50 ;50;; 50 ; (50, 50) "
    assert space_from_table("mlp", table)[0].choices == ((100, 50), (50,), (50, 50))  # duplicates dropped


def test_text_choices_read_from_text():
    table = edited("svc", "kernel", choices="linear,  rbf, linear")
    space = {d.name: d for d in space_from_table("svc", table)}
    assert space["kernel"].choices == ("linear", "rbf")


def test_a_row_taken_out_of_the_search_is_left_out():
    table = edited(RF, "max_depth", search=False)
    assert [d.name for d in space_from_table(RF, table)] == ["n_estimators", "min_samples_leaf"]


def test_a_row_put_into_the_search_comes_in_with_its_range():
    table = edited("logistic_regression", "max_iter", search=True, min=100, max=400, grid_points=2)
    space = space_from_table("logistic_regression", table)
    assert space[1] == Dimension("max_iter", "int", 100.0, 400.0, False, points=2)
    assert space[1].grid_values() == [100, 400]


def test_missing_grid_points_mean_the_default():
    table = edited(RF, "n_estimators", grid_points=np.nan)
    assert space_from_table(RF, table)[0].points == DEFAULT_GRID_POINTS


# --- refusals -----------------------------------------------------------------------------------------------------


def test_nothing_chosen_is_refused():
    table = space_table(RF)
    table["search"] = False
    with pytest.raises(SearchSpaceError, match="^Choose at least one hyperparameter of Random forest to search.$"):
        space_from_table(RF, table)
    with pytest.raises(SearchSpaceError, match="Choose at least one hyperparameter of Random forest"):
        validate_space(RF, ())


@pytest.mark.parametrize(
    ("key", "name", "changes", "message"),
    [
        (RF, "n_estimators", {"min": 300, "max": 50}, "Number of trees: min (300) is larger than max (50)."),
        (RF, "n_estimators", {"min": 5}, "Number of trees: the range must lie within 10 and 500."),
        (RF, "n_estimators", {"max": 501}, "Number of trees: the range must lie within 10 and 500."),
        ("svc", "C", {"min": 0.001}, "Penalty C: the range must lie within 0.01 and 100."),
        (RF, "n_estimators", {"min": 10.5}, "Number of trees: min and max must be whole numbers."),
        (RF, "min_samples_leaf", {"max": 2.2}, "Minimum rows per leaf: min and max must be whole numbers."),
        (
            RF,
            "max_depth",
            {"min": 0, "log": True},
            "Maximum tree depth (0 = unlimited): a log scale needs min above 0.",
        ),
        (RF, "n_estimators", {"grid_points": 0}, "Number of trees: grid points must be between 1 and 20."),
        (RF, "n_estimators", {"grid_points": 21}, "Number of trees: grid points must be between 1 and 20."),
        (RF, "n_estimators", {"grid_points": "many"}, "Number of trees: grid points must be a number, not 'many'."),
        (RF, "n_estimators", {"min": "ten"}, "Number of trees: min must be a number, not 'ten'."),
        (RF, "n_estimators", {"max": None}, "Number of trees: max is empty: give a number."),  # emptied
        (RF, "n_estimators", {"max": math.inf}, "Number of trees: max must be a finite number, not 'inf'."),
        ("svc", "kernel", {"choices": ""}, "Kernel: choose at least one value."),
        ("svc", "kernel", {"choices": " , ,"}, "Kernel: choose at least one value."),
        ("svc", "kernel", {"choices": "rbf, sigmoid"}, "Kernel must be one of rbf, linear, poly, not 'sigmoid'."),
        ("mlp", "hidden_layer_sizes", {"choices": "50; 7"}, "Hidden layers must be one of 50, 100, 50,50, 100,50"),
        (RF, "n_estimators", {"name": "n_trees"}, "Random forest has no hyperparameter 'n_trees'."),
    ],
)
def test_space_from_table_refuses_with_the_hyperparameter_named(key, name, changes, message):
    table = edited(key, name, **changes)
    with pytest.raises(SearchSpaceError, match=re.escape(message)):
        space_from_table(key, table)


def test_grid_points_of_a_choice_row_do_not_matter():
    table = edited("svc", "kernel", grid_points=99)
    assert {d.name for d in space_from_table("svc", table)} == {"C", "kernel", "gamma"}


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ((Dimension("n_trees", "int", 10, 20),), "Random forest has no hyperparameter 'n_trees'."),
        ((Dimension("n_estimators", "float", 10, 20),), "Number of trees is a int hyperparameter, not float."),
        ((Dimension("n_estimators", "int", None, 20),), "Number of trees: give both min and max."),
        ((Dimension("n_estimators", "int", 20, 10),), r"Number of trees: min \(20\) is larger than max \(10\)."),
        ((Dimension("n_estimators", "int", 10, 20, points=0),), "Number of trees: grid points must be between"),
        ((Dimension("max_depth", "int", 0, 5, log=True),), "a log scale needs min above 0"),
    ],
)
def test_validate_space_refuses(space, message):
    with pytest.raises(SearchSpaceError, match=message):
        validate_space(RF, space)


@pytest.mark.parametrize(
    ("dim", "message"),
    [
        (Dimension("kernel", "choice", choices=()), "^Kernel: choose at least one value.$"),
        (Dimension("kernel", "choice", choices=("rbf", "sigmoid")), "^Kernel: 'sigmoid' is not one of rbf, linear"),
    ],
)
def test_validate_space_refuses_choices(dim, message):
    with pytest.raises(SearchSpaceError, match=message):
        validate_space("svc", (dim,))


def test_search_space_error_is_a_value_error():
    assert issubclass(SearchSpaceError, ValueError)


# --- grid size and trial params -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("space", "size"),
    [
        (default_space(RF), 27),
        (default_space("svc"), 3 * 3 * 2),
        (default_space("mlp"), 4 * 3),
        ((Dimension("n_estimators", "int", 10, 11, points=5),), 2),
        ((Dimension("n_estimators", "int", 10, 20, points=1), Dimension("max_depth", "int", 2, 3, points=2)), 2),
    ],
)
def test_grid_size(space, size):
    assert grid_size(space) == size
    assert len(list(itertools.product(*(d.grid_values() for d in space)))) == size


def test_trial_params_fill_in_defaults_and_base_settings():
    params = trial_params(RF, {"min_samples_leaf": 4}, {"n_estimators": 20})
    assert params == {"n_estimators": 20, "max_depth": 5, "min_samples_leaf": 4}
    # a sampled value wins over the base settings
    assert trial_params(RF, {"n_estimators": 50}, {"n_estimators": 20})["n_estimators"] == 20


def test_trial_params_take_choices_as_text():
    params = trial_params("mlp", {"max_iter": 200}, {"hidden_layer_sizes": "50,50", "alpha": 0.01})
    assert params == {"hidden_layer_sizes": "50,50", "alpha": 0.01, "max_iter": 200}


@pytest.mark.parametrize(
    ("base", "values", "message"),
    [
        ({}, {"n_estimators": 5}, "Number of trees must be between 10 and 500"),
        ({"n_trees": 5}, {}, "Random forest has no hyperparameter n_trees"),
        ({}, {"max_depth": 2.5}, "Maximum tree depth .* must be a whole number"),
    ],
)
def test_trial_params_refuse_bad_combinations(base, values, message):
    with pytest.raises(AlgorithmError, match=message):
        trial_params(RF, base, values)


# --- samplers -----------------------------------------------------------------------------------------------------


def drain(sampler: Sampler, limit: int = 100) -> list[tuple[int, dict]]:
    proposals = []
    for _ in range(limit):
        proposal = sampler.ask()
        if proposal is None:
            break
        proposals.append(proposal)
    return proposals


def test_unknown_method_is_refused():
    with pytest.raises(SearchSpaceError, match="Search method must be one of grid, random, optuna, not 'bayes'."):
        Sampler("bayes", default_space(RF), 0)
    assert set(METHODS) == {"grid", "random", "optuna"}


def test_grid_sampler_covers_the_product_then_is_exhausted():
    space = (
        Dimension("n_estimators", "int", 10, 20, points=2),
        Dimension("max_depth", "int", 2, 4),
        Dimension("min_samples_leaf", "int", 1, 1, points=1),
    )
    sampler = Sampler("grid", space, seed=0)
    proposals = drain(sampler)
    assert [n for n, _ in proposals] == list(range(6))
    combos = [tuple(v.values()) for _, v in proposals]
    assert combos == list(itertools.product([10, 20], [2, 3, 4], [1]))
    assert sampler.ask() is None
    assert sampler.ask() is None
    sampler.tell(0, 0.9)  # telling a grid is harmless


def test_grid_sampler_with_choices():
    sampler = Sampler("grid", default_space("mlp"), seed=0)
    values = [v for _, v in drain(sampler)]
    assert len(values) == grid_size(default_space("mlp"))
    assert {v["hidden_layer_sizes"] for v in values} == {(50,), (100,), (50, 50), (100, 50)}
    for v in values:
        trial_params("mlp", {}, v)


def test_random_sampler_is_reproducible_with_its_seed():
    def proposals(seed: int) -> list:
        sampler = Sampler("random", default_space(RF), seed=seed)
        return [sampler.ask() for _ in range(8)]

    assert proposals(5) == proposals(5)
    assert proposals(5) != proposals(6)
    assert [n for n, _ in proposals(5)] == list(range(8))


def test_random_sampler_never_runs_out_and_stays_in_the_space():
    space = default_space("svc")
    sampler = Sampler("random", space, seed=1)
    for _ in range(50):
        number, values = sampler.ask()
        assert 0.01 <= values["C"] <= 100
        assert values["kernel"] in ("rbf", "linear", "poly")
        assert values["gamma"] in ("scale", "auto")
        trial_params("svc", {}, values)
        sampler.tell(number, None)


def optuna_run(seed: int, space, scores, trials: int = 8) -> list[dict]:
    sampler = Sampler("optuna", space, seed=seed)
    seen = []
    for i in range(trials):
        number, values = sampler.ask()
        assert number == i
        seen.append(values)
        sampler.tell(number, scores(values, i))
    return seen


def mlp_space():
    return (
        Dimension("hidden_layer_sizes", "choice", choices=((50,), (50, 50), (100, 50))),
        Dimension("alpha", "float", 1e-5, 1e-1, log=True),
        Dimension("max_iter", "int", 100, 300),
    )


def test_optuna_sampler_values_lie_in_the_space_and_choices_come_back_as_text():
    seen = optuna_run(0, mlp_space(), lambda v, i: v["alpha"] * 10, trials=12)
    for values in seen:
        assert values["hidden_layer_sizes"] in {"50", "50,50", "100,50"}
        assert 1e-5 <= values["alpha"] <= 1e-1
        assert isinstance(values["max_iter"], int) and 100 <= values["max_iter"] <= 300
        params = trial_params("mlp", {}, values)
        assert params["hidden_layer_sizes"] == values["hidden_layer_sizes"]
    assert {choice_text(c) for c in mlp_space()[0].choices} >= {v["hidden_layer_sizes"] for v in seen}


def test_optuna_sampler_is_reproducible_with_its_seed():
    def score(values, _):
        return 1 - abs(math.log10(values["alpha"]) + 3) / 10

    assert optuna_run(3, mlp_space(), score) == optuna_run(3, mlp_space(), score)
    assert optuna_run(3, mlp_space(), score) != optuna_run(4, mlp_space(), score)


def test_optuna_sampler_records_failed_trials():
    import optuna

    sampler = Sampler("optuna", default_space("knn"), seed=0)
    told = [0.5, None, math.nan, 0.7]
    for score in told:
        number, _ = sampler.ask()
        sampler.tell(number, score)
    states = [t.state for t in sampler._study.trials]
    State = optuna.trial.TrialState
    assert states == [State.COMPLETE, State.FAIL, State.FAIL, State.COMPLETE]
    assert sampler._study.best_value == 0.7
    sampler.tell(99, 0.1)  # an unknown trial number is ignored
    sampler.tell(0, 0.1)  # as is a trial told twice
    assert len(sampler._study.trials) == 4


def test_optuna_sampler_learns_where_to_look():
    # maximise -|log10(C)|: after the random start, TPE proposes C near 1 more often than at random
    space = (Dimension("C", "float", 0.001, 100.0, log=True),)
    seen = optuna_run(0, space, lambda v, i: -abs(math.log10(v["C"])), trials=30)
    late = [abs(math.log10(v["C"])) for v in seen[15:]]
    assert statistics.median(late) < 1.25  # uniform in the logarithm would give about 1.6


def test_optuna_direction_minimize():
    sampler = Sampler("optuna", default_space("knn"), seed=0, metric_direction="minimize")
    for score in (0.3, 0.1, 0.2):
        number, _ = sampler.ask()
        sampler.tell(number, score)
    assert sampler._study.best_value == 0.1


# ------------------------------------------------------------------------------- the command line's --space items


def test_overrides_change_the_default_space():
    space = {d.name: d for d in space_with_overrides("knn", set(), ["n_neighbors=2:30:log:4", "weights=distance"])}
    assert space["n_neighbors"] == Dimension("n_neighbors", "int", 2, 30, log=True, points=4)
    assert space["weights"].choices == ("distance",)
    assert set(space) == {d.name for d in default_space("knn")}


def test_overrides_leave_fixed_hyperparameters_out_and_refuse_to_search_them():
    assert "weights" not in {d.name for d in space_with_overrides("knn", {"weights"}, [])}
    with pytest.raises(SearchSpaceError, match="--param fixes"):
        space_with_overrides("knn", {"weights"}, ["weights=uniform"])


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ("n_neighbors", "must look like"),
        ("=3:5", "must look like"),
        ("depth=2:9", "no hyperparameter 'depth'"),
        ("n_neighbors=3", "give a range"),
        ("n_neighbors=3,5,7", "a list a,b,c is for a choice"),  # --help's NAME=a,b,c names choices only
        ("n_neighbors=3:9:cubic", "'cubic' is neither log, linear"),
        ("n_neighbors=9:3", "larger than max"),
        ("weights=uniform,median", "median"),
    ],
)
def test_overrides_refuse_what_cannot_be_searched(item, words):
    with pytest.raises(SearchSpaceError, match=re.escape(words)):
        space_with_overrides("knn", set(), [item])
