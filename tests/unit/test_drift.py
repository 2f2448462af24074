"""core.monitor.drift: every statistic against known distributions — no drift on a resample, clear drift on a shift."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.monitor import drift
from core.monitor.drift import Thresholds


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def normal(rng, n, loc=0.0, scale=1.0, name="x") -> pd.Series:
    return pd.Series(rng.normal(loc, scale, n), name=name)


def categories(rng, n, weights, name="colour") -> pd.Series:
    return pd.Series(rng.choice(["red", "green", "blue"], size=n, p=weights), name=name)


# --- PSI ---------------------------------------------------------------------------------------------------------


def test_psi_of_known_shares():
    assert drift.psi_from_shares([0.5, 0.5], [0.5, 0.5]) == 0.0
    expected = 0.4 * math.log(0.9 / 0.5) + (-0.4) * math.log(0.1 / 0.5)
    assert drift.psi_from_shares([0.5, 0.5], [0.9, 0.1]) == pytest.approx(expected)  # ≈ 0.879
    # symmetric in its arguments, like the Jeffreys divergence it is
    assert drift.psi_from_shares([0.9, 0.1], [0.5, 0.5]) == pytest.approx(expected)


def test_psi_gives_an_empty_bin_epsilon_instead_of_infinity():
    value = drift.psi_from_shares([1.0, 0.0], [0.0, 1.0])
    eps = drift.EPSILON
    assert value == pytest.approx(2 * (1 - eps) * math.log(1 / eps))
    assert math.isfinite(value)
    with pytest.raises(ValueError):
        drift.psi_from_shares([0.5, 0.5], [1.0])


def test_numeric_psi_uses_the_reference_deciles():
    reference = pd.Series(np.arange(1000, dtype=float))
    assert drift.numeric_psi(reference, reference.sample(frac=1, random_state=0)) == pytest.approx(0.0)
    # every current value in the reference's lowest decile: shares [1, 0 × 9] against [0.1 × 10]
    current = pd.Series(np.linspace(0, 90, 500))
    eps = drift.EPSILON
    expected = (1 - 0.1) * math.log(1 / 0.1) + 9 * (eps - 0.1) * math.log(eps / 0.1)
    assert drift.numeric_psi(reference, current) == pytest.approx(expected, rel=1e-6)


def test_few_rows_get_fewer_bins():
    assert drift.effective_bins(1000, 1000, 10) == 10
    assert drift.effective_bins(120, 150, 10) == 6
    assert drift.effective_bins(30, 5000, 10) == 3


def test_categorical_psi_of_known_shares():
    reference = pd.Series(["a"] * 50 + ["b"] * 50)
    current = pd.Series(["a"] * 90 + ["b"] * 10)
    assert drift.categorical_psi(reference, current) == pytest.approx(drift.psi_from_shares([0.5, 0.5], [0.9, 0.1]))


# --- no drift on a resample, drift on a shifted copy -------------------------------------------------------------


@pytest.mark.parametrize("n", [60, 500, 5000])
def test_numeric_resample_of_the_same_distribution_is_not_drift(rng, n):
    reference = normal(rng, n)
    current = reference.sample(n, replace=True, random_state=1).reset_index(drop=True)
    result = drift.feature_drift("x", reference, current, "numeric")
    assert result.verdict == "ok", result
    assert result.test == "Kolmogorov–Smirnov" and result.p_value > 0.05 and result.psi < 0.1


def test_a_fresh_sample_of_the_same_distribution_is_not_drift(rng):
    result = drift.feature_drift("x", normal(rng, 2000), normal(rng, 1000), "numeric")
    assert result.verdict == "ok", result


@pytest.mark.parametrize("shift", [0.5, 1.0, 3.0])
def test_numeric_shifted_copy_is_drift(rng, shift):
    reference = normal(rng, 500)
    result = drift.feature_drift("x", reference, reference + shift, "numeric")
    assert result.verdict == "drift"
    assert result.p_value < 1e-6 and result.psi >= 0.2
    assert "PSI" in result.note and "KS p" in result.note


def test_a_wider_spread_with_the_same_mean_is_drift(rng):
    result = drift.feature_drift("x", normal(rng, 1000), normal(rng, 1000, scale=2.0), "numeric")
    assert result.verdict == "drift"


def test_categorical_resample_is_not_drift_and_reweighted_categories_are(rng):
    reference = categories(rng, 1000, [0.5, 0.3, 0.2])
    same = drift.feature_drift("colour", reference, categories(rng, 800, [0.5, 0.3, 0.2]), "categorical")
    assert same.verdict == "ok" and same.test == "chi-square" and same.p_value > 0.05 and same.psi < 0.1
    moved = drift.feature_drift("colour", reference, categories(rng, 800, [0.2, 0.3, 0.5]), "categorical")
    assert moved.verdict == "drift" and moved.p_value < 1e-6 and moved.psi > 0.2


def test_chi_square_matches_scipy_on_the_contingency_table():
    from scipy.stats import chi2_contingency

    reference = pd.Series(["a"] * 60 + ["b"] * 40)
    current = pd.Series(["a"] * 30 + ["b"] * 70)
    statistic, p_value = drift.chi_square_test(reference, current)
    expected = chi2_contingency([[60, 40], [30, 70]], correction=False)
    assert statistic == pytest.approx(expected.statistic) and p_value == pytest.approx(expected.pvalue)


def test_ks_matches_scipy(rng):
    from scipy.stats import ks_2samp

    a, b = normal(rng, 100), normal(rng, 80, loc=0.3)
    assert drift.ks_test(a, b) == pytest.approx(tuple(ks_2samp(a, b))[:2])


def test_moderate_psi_without_a_significant_test_is_a_warning():
    thresholds = Thresholds()
    assert drift.judge(0.15, 0.5, thresholds) == "moderate"
    assert drift.judge(0.25, 0.5, thresholds) == "drift"
    assert drift.judge(0.05, 0.001, thresholds) == "drift"
    assert drift.judge(0.05, 0.5, thresholds) == "ok"
    assert drift.judge(0.15, 0.5, Thresholds(psi_moderate=0.2, psi_drift=0.3)) == "ok"


# --- edge cases --------------------------------------------------------------------------------------------------


def test_constant_column_same_constant_is_ok_and_another_constant_is_drift():
    reference = pd.Series([5.0] * 100)
    same = drift.feature_drift("c", reference, pd.Series([5.0] * 50), "numeric")
    assert same.verdict == "ok" and same.psi == pytest.approx(0.0) and same.statistic == 0.0
    other = drift.feature_drift("c", reference, pd.Series([7.0] * 50), "numeric")
    assert other.verdict == "drift" and other.psi > 1


def test_missing_values_are_left_out_of_the_tests_and_a_jump_in_them_is_drift(rng):
    reference = normal(rng, 400)
    current = reference.sample(400, replace=True, random_state=3).reset_index(drop=True)
    current[:40] = np.nan  # 10 % missing where training had none
    result = drift.feature_drift("x", reference, current, "numeric")
    assert result.current_rows == 360 and result.current_missing == pytest.approx(0.1)
    assert result.reference_missing == 0.0
    # the missing bin alone: 10 % against EPSILON
    assert result.psi >= (0.1 - drift.EPSILON) * math.log(0.1 / drift.EPSILON) - 0.05
    assert result.p_value > 0.01
    heavy = current.copy()
    heavy[:200] = np.nan
    assert drift.feature_drift("x", reference, heavy, "numeric").verdict == "drift"


def test_a_category_unseen_in_training_is_drift(rng):
    reference = categories(rng, 500, [0.5, 0.3, 0.2])
    current = pd.concat([categories(rng, 300, [0.5, 0.3, 0.2]), pd.Series(["purple"] * 100)], ignore_index=True)
    result = drift.feature_drift("colour", reference, current, "categorical")
    assert result.verdict == "drift" and result.psi > 0.5
    counts = drift.category_counts(reference, current)
    assert counts.loc["purple", "reference"] == 0 and counts.loc["purple", "current"] == 100


def test_categories_compare_numbers_and_text_alike():
    reference = pd.Series([1, 2, 1, 2] * 20)
    current = pd.Series(["1", 2.0, 1.0, "2"] * 20, dtype=object)  # 1, 1.0 and '1' are one category, as in training
    result = drift.feature_drift("code", reference, current, "categorical")
    assert result.verdict == "ok" and result.psi == pytest.approx(0.0)


def test_too_few_values_are_skipped_with_the_reason(rng):
    result = drift.feature_drift("x", normal(rng, 200), normal(rng, 12), "numeric")
    assert result.verdict == "skipped" and result.psi is None and result.p_value is None
    assert "12 values" in result.note and "30" in result.note
    assert drift.feature_drift("x", normal(rng, 200), normal(rng, 12), "numeric", Thresholds(min_rows=10)).psi


def test_all_missing_current_values_are_skipped():
    result = drift.feature_drift("x", pd.Series(np.arange(100.0)), pd.Series([np.nan] * 50), "numeric")
    assert result.verdict == "skipped" and result.current_missing == 1.0


def test_single_category_on_both_sides_is_ok():
    result = drift.feature_drift("c", pd.Series(["a"] * 40), pd.Series(["a"] * 40), "categorical")
    assert (result.verdict, result.statistic, result.p_value) == ("ok", 0.0, 1.0)


def test_report_lists_drifted_features_first_and_the_table_has_every_column(rng):
    reference = pd.DataFrame({"a": normal(rng, 300), "b": normal(rng, 300), "c": categories(rng, 300, [0.4, 0.4, 0.2])})
    current = pd.DataFrame(
        {"a": normal(rng, 300), "b": normal(rng, 300, loc=2), "c": categories(rng, 300, [0.4, 0.4, 0.2])}
    )
    results = drift.drift_report(reference, current)
    assert results[0].feature == "b" and results[0].verdict == "drift"
    assert {r.kind for r in results} == {"numeric", "categorical"}
    assert drift.summary(results)["drift"] == 1 and sum(drift.summary(results).values()) == 3
    table = drift.results_frame(results)
    assert list(table.columns[:7]) == ["feature", "type", "test", "statistic", "p-value", "PSI", "verdict"]
    with pytest.raises(ValueError, match="columns"):
        drift.drift_report(reference, current.drop(columns="c"), {"a": "numeric", "c": "categorical"})


def test_thresholds_are_checked():
    with pytest.raises(ValueError):
        Thresholds(psi_moderate=0.3, psi_drift=0.2)
    with pytest.raises(ValueError):
        Thresholds(alpha=1.5)
    with pytest.raises(ValueError):
        Thresholds(min_rows=1)


def test_results_serialise_without_nan():
    import json

    result = drift.feature_drift("x", pd.Series(np.arange(100.0)), pd.Series([np.nan] * 50), "numeric")
    json.dumps(result.as_dict(), allow_nan=False)
