"""core.compare.stats: McNemar's test, the Nadeau–Bengio corrected paired t-test and the verdict in plain words."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from core.compare.stats import (
    CHI2,
    CORRECTED_T,
    EXACT,
    Comparison,
    McNemarResult,
    PairedTestResult,
    compare_in_words,
    corrected_paired_t_test,
    format_p,
    mcnemar,
)


def table(a_only: int, b_only: int, both: int = 0, neither: int = 0, labels=(0, 1)):
    """Labels and predictions with exactly these counts of (A right only, B right only, both right, both wrong)."""
    right, wrong = labels
    y, pa, pb = [], [], []
    for count, a_ok, b_ok in (
        (a_only, True, False),
        (b_only, False, True),
        (both, True, True),
        (neither, False, False),
    ):
        y += [right] * count
        pa += [right if a_ok else wrong] * count
        pb += [right if b_ok else wrong] * count
    return y, pa, pb


# --- McNemar ---------------------------------------------------------------------------------------------------


def test_exact_binomial_hand_computed():
    # b = 1 (A right only), c = 6 (B right only): 7 discordant rows < 25, so exact.
    # Two-sided p = 2 * P(X <= 1; n=7, 1/2) = 2 * (C(7,0) + C(7,1)) / 2^7 = 2 * (1 + 7) / 128 = 0.125
    y, pa, pb = table(1, 6, both=20, neither=3)
    result = mcnemar(y, pa, pb)
    assert result == McNemarResult(1, 6, 20, 3, None, pytest.approx(0.125), EXACT)
    assert result.p_value == pytest.approx(2 * (1 + 7) / 128)
    assert result.rows == 30


def test_chi_squared_hand_computed():
    # b = 10, c = 30: 40 discordant rows >= 25, so chi-squared with continuity correction.
    # statistic = (|10 - 30| - 1)^2 / (10 + 30) = 19^2 / 40 = 361 / 40 = 9.025
    # For 1 df, P(chi2 > x) = P(|Z| > sqrt(x)) = erfc(sqrt(x / 2)) ≈ 0.00266
    y, pa, pb = table(10, 30, both=50, neither=10)
    result = mcnemar(y, pa, pb)
    assert (result.a_only_correct, result.b_only_correct, result.both_correct, result.both_wrong) == (10, 30, 50, 10)
    assert result.method == CHI2
    assert result.statistic == pytest.approx(9.025)
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(9.025 / 2)))
    assert result.p_value == pytest.approx(0.00266, abs=5e-6)
    assert result.p_value == pytest.approx(1 - sps.chi2.cdf(9.025, 1))


def test_identical_predictions_give_p_one():
    y = [0, 1, 1, 0, 1, 2]
    preds = [0, 1, 0, 0, 2, 2]
    result = mcnemar(y, preds, list(preds))
    assert result == McNemarResult(0, 0, 4, 2, None, 1.0, EXACT)


def test_identical_predictions_with_chi_squared_forced_still_give_p_one():
    # Even when the chi-squared branch is forced (its statistic would be 0 / 0), no discordant rows give p = 1.
    y, pa, pb = table(0, 0, both=5)
    result = mcnemar(y, pa, pb, exact_below=0)
    assert result.p_value == 1.0


def test_all_discordant_exact():
    # A right on every row, B wrong on every row, 10 rows: b = 10, c = 0.
    # p = 2 * P(X <= 0; n=10, 1/2) = 2 / 1024 = 0.001953125
    y, pa, pb = table(10, 0)
    result = mcnemar(y, pa, pb)
    assert (result.a_only_correct, result.b_only_correct, result.both_correct, result.both_wrong) == (10, 0, 0, 0)
    assert result.p_value == pytest.approx(2 / 1024)
    assert result.method == EXACT


def test_all_discordant_chi_squared():
    # 30 rows, B right on all, A on none: statistic = (30 - 1)^2 / 30 = 841 / 30
    y, pa, pb = table(0, 30)
    result = mcnemar(y, pa, pb)
    assert result.method == CHI2
    assert result.statistic == pytest.approx(841 / 30)
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(841 / 60)))


def test_tie_in_chi_squared_branch_gives_p_one():
    # b = c = 15: |b - c| - 1 would be -1; the correction is clamped at 0, so statistic 0 and p = 1.
    y, pa, pb = table(15, 15, both=10)
    result = mcnemar(y, pa, pb)
    assert result.method == CHI2
    assert result.statistic == 0.0
    assert result.p_value == 1.0


def test_exact_below_threshold_is_strict():
    y, pa, pb = table(10, 14)  # 24 discordant < 25
    assert mcnemar(y, pa, pb).method == EXACT
    y, pa, pb = table(10, 15)  # 25 discordant, not below 25
    assert mcnemar(y, pa, pb).method == CHI2
    assert mcnemar(y, pa, pb, exact_below=26).method == EXACT


def test_string_labels():
    y = ["cat", "dog", "bird", "cat", "dog", "bird", "cat"]
    pa = ["cat", "dog", "cat", "cat", "cat", "bird", "dog"]  # right on rows 0, 1, 3, 5
    pb = ["cat", "cat", "bird", "dog", "dog", "bird", "cat"]  # right on rows 0, 2, 4, 5, 6
    # A only: rows 1, 3 -> 2; B only: rows 2, 4, 6 -> 3; both: rows 0, 5 -> 2; neither: 0.
    # p = 2 * P(X <= 2; n=5) = 2 * (1 + 5 + 10) / 32 = 1.0
    result = mcnemar(y, pa, pb)
    assert result == McNemarResult(2, 3, 2, 0, None, 1.0, EXACT)


def test_numpy_arrays_lists_and_series_agree():
    y, pa, pb = table(3, 9, both=12, neither=2, labels=("yes", "no"))
    expected = mcnemar(y, pa, pb)
    assert mcnemar(np.array(y), np.array(pa), np.array(pb)) == expected
    assert mcnemar(pd.Series(y), np.array(pa), pb) == expected
    assert mcnemar(tuple(y), pd.Series(pa), np.array(pb, dtype=object)) == expected


def test_integer_truth_and_float_predictions_compare_by_value():
    result = mcnemar(np.array([0, 1, 2, 1]), np.array([0.0, 1.0, 2.0, 0.0]), [0, 1, 1, 1])
    assert (result.a_only_correct, result.b_only_correct, result.both_correct, result.both_wrong) == (1, 1, 2, 0)


def test_mismatched_lengths_raise_a_clear_error():
    with pytest.raises(ValueError, match="same rows; got 3 true labels, 3 predictions from A and 2 from B"):
        mcnemar([0, 1, 1], [0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="2 predictions from A"):
        mcnemar([0, 1, 1], [0, 1], [0, 1, 1])


def test_no_rows_and_non_flat_input_raise():
    with pytest.raises(ValueError, match="no rows"):
        mcnemar([], [], [])
    with pytest.raises(ValueError, match="flat list"):
        mcnemar([[0, 1], [1, 0]], [[0, 1], [1, 0]], [[0, 1], [1, 0]])


@pytest.mark.parametrize("a_only, b_only", [(1, 6), (0, 3), (5, 5), (7, 2), (12, 0)])
def test_exact_matches_scipy_binomtest(a_only, b_only):
    y, pa, pb = table(a_only, b_only, both=4)
    expected = sps.binomtest(a_only, a_only + b_only, 0.5, alternative="two-sided").pvalue
    assert mcnemar(y, pa, pb).p_value == pytest.approx(expected)


@pytest.mark.parametrize("a_only, b_only, exact", [(1, 6, True), (4, 11, True), (10, 30, False), (40, 22, False)])
def test_matches_statsmodels(a_only, b_only, exact):
    contingency = pytest.importorskip("statsmodels.stats.contingency_tables")
    y, pa, pb = table(a_only, b_only, both=20, neither=5)
    ours = mcnemar(y, pa, pb)
    # statsmodels' table: rows = A right / wrong, columns = B right / wrong.
    theirs = contingency.mcnemar([[20, a_only], [b_only, 5]], exact=exact, correction=True)
    assert ours.method == (EXACT if exact else CHI2)
    assert ours.p_value == pytest.approx(theirs.pvalue)
    if not exact:
        assert ours.statistic == pytest.approx(theirs.statistic)


# --- Corrected paired t-test -------------------------------------------------------------------------------------

SCORES_A = [0.90, 0.85, 0.88, 0.92, 0.87]
SCORES_B = [0.86, 0.84, 0.85, 0.88, 0.85]


def test_corrected_t_test_hand_computed_five_folds():
    # d = A - B = [0.04, 0.01, 0.03, 0.04, 0.02]; mean = 0.14 / 5 = 0.028
    # deviations = [0.012, -0.018, 0.002, 0.012, -0.008]
    # squares = [0.000144, 0.000324, 0.000004, 0.000144, 0.000064], sum = 0.00068
    # s^2 (ddof=1) = 0.00068 / 4 = 0.00017
    # 5-fold: n_test / n_train = 1 / 4; corrected variance = (1/5 + 1/4) * 0.00017 = 0.45 * 0.00017 = 0.0000765
    # t = 0.028 / sqrt(0.0000765) ≈ 3.2013; p = 2 * P(T_4 > |t|)
    mean = 0.028
    corrected = (1 / 5 + 1 / 4) * 0.00017
    t = mean / math.sqrt(corrected)
    p = 2 * sps.t.sf(abs(t), 4)
    result = corrected_paired_t_test(SCORES_A, SCORES_B, test_fraction=1 / 4)
    assert result.mean_difference == pytest.approx(mean)
    assert result.t_statistic == pytest.approx(t)
    assert result.t_statistic == pytest.approx(3.2013, abs=1e-4)
    assert result.p_value == pytest.approx(p)
    assert 0.03 < result.p_value < 0.04
    assert result.folds == 5
    assert result.method == CORRECTED_T


def test_corrected_t_test_is_symmetric_and_accepts_arrays():
    forward = corrected_paired_t_test(np.array(SCORES_A), np.array(SCORES_B), 0.25)
    backward = corrected_paired_t_test(SCORES_B, SCORES_A, 0.25)
    assert backward.mean_difference == pytest.approx(-forward.mean_difference)
    assert backward.t_statistic == pytest.approx(-forward.t_statistic)
    assert backward.p_value == pytest.approx(forward.p_value)


def test_correction_makes_the_test_more_cautious_than_the_plain_paired_t_test():
    # With test_fraction = 0 the correction vanishes and the test is the ordinary paired t-test.
    plain = corrected_paired_t_test(SCORES_A, SCORES_B, test_fraction=0.0)
    reference = sps.ttest_rel(SCORES_A, SCORES_B)
    assert plain.t_statistic == pytest.approx(reference.statistic)
    assert plain.p_value == pytest.approx(reference.pvalue)
    assert corrected_paired_t_test(SCORES_A, SCORES_B, 0.25).p_value > plain.p_value


def test_identical_fold_scores_give_p_one():
    result = corrected_paired_t_test(SCORES_A, list(SCORES_A), 0.25)
    assert result == PairedTestResult(0.0, None, 1.0, 5, CORRECTED_T)


def test_constant_non_zero_difference_gives_p_zero():
    result = corrected_paired_t_test([0.9, 0.8, 0.7], [0.8, 0.7, 0.6], 0.5)  # d = 0.1 on every fold (up to rounding)
    assert result.t_statistic is None
    assert result.p_value == 0.0
    assert result.mean_difference == pytest.approx(0.1)


@pytest.mark.parametrize(
    "a, b, fraction, message",
    [
        ([0.9], [0.8], 0.25, "at least 2 folds"),
        ([], [], 0.25, "at least 2 folds"),
        ([0.9, 0.8, 0.7], [0.8, 0.7], 0.25, "3 fold scores for A and 2 for B"),
        ([0.9, float("nan")], [0.8, 0.7], 0.25, "scores_a contains missing"),
        ([0.9, 0.8], [0.8, float("inf")], 0.25, "scores_b contains missing"),
        ([0.9, 0.8], [0.8, 0.7], -0.1, "test_fraction"),
        ([0.9, 0.8], [0.8, 0.7], float("nan"), "test_fraction"),
        ([[0.9, 0.8]], [[0.8, 0.7]], 0.25, "flat list"),
    ],
)
def test_corrected_t_test_errors(a, b, fraction, message):
    with pytest.raises(ValueError, match=message):
        corrected_paired_t_test(a, b, fraction)


# --- In words ----------------------------------------------------------------------------------------------------


def test_b_significantly_better_on_held_out_rows():
    # The exact case b = 1, c = 6 (p = 0.125) with alpha = 0.2, so that it counts as significant.
    y, pa, pb = table(1, 6, both=20, neither=3)  # A right on 21/30 = 0.700, B on 26/30 = 0.867
    result = mcnemar(y, pa, pb)
    verdict = compare_in_words("Random forest", "Gradient boosting", 21 / 30, 26 / 30, result, alpha=0.2)
    assert verdict == Comparison(
        "Gradient boosting",
        pytest.approx(0.125),
        True,
        "Gradient boosting is more accurate than Random forest on the same 30 held-out rows (0.867 vs 0.700); "
        "the difference is significant at p = 0.12.",
    )


def test_a_significantly_better_with_tiny_p():
    y, pa, pb = table(30, 10, both=50, neither=10)  # A right on 80/100, B on 60/100; p ≈ 0.00266
    result = mcnemar(y, pa, pb)
    verdict = compare_in_words("A", "B", 0.80, 0.60, result)
    assert verdict.better == "A"
    assert verdict.significant
    assert verdict.sentence == (
        "A is more accurate than B on the same 100 held-out rows (0.800 vs 0.600); "
        "the difference is significant at p = 0.0027."
    )
    y, pa, pb = table(0, 40, both=60)
    tiny = compare_in_words("A", "B", 0.60, 1.0, mcnemar(y, pa, pb))
    assert tiny.better == "B"
    assert tiny.sentence.endswith("the difference is significant at p < 0.001.")


def test_not_significant():
    y, pa, pb = table(6, 4, both=18, neither=2)
    result = mcnemar(y, pa, pb)
    verdict = compare_in_words("Logistic regression", "SVM", 24 / 30, 22 / 30, result)
    assert verdict.better is None
    assert not verdict.significant
    assert verdict.p_value == pytest.approx(result.p_value)
    assert verdict.sentence == (
        f"No significant difference between Logistic regression and SVM (p = {result.p_value:.2g}): "
        "prefer the simpler or faster model."
    )
    # p = 2 * (1 + 10 + 45 + 120 + 210) / 1024 = 772 / 1024 ≈ 0.754 -> "0.75"
    assert "(p = 0.75)" in verdict.sentence


def test_paired_wording_and_what():
    result = corrected_paired_t_test(SCORES_A, SCORES_B, 0.25)  # A ahead, p ≈ 0.033
    mean_a, mean_b = float(np.mean(SCORES_A)), float(np.mean(SCORES_B))
    verdict = compare_in_words("A", "B", mean_a, mean_b, result, what="balanced")
    assert verdict.better == "A"
    assert verdict.sentence == (
        "A is more balanced than B across the same 5 cross-validation folds (mean 0.884 vs 0.856); "
        f"the difference is significant at p = {result.p_value:.2g}."
    )
    assert "p = 0.033" in verdict.sentence


def test_zero_variance_verdicts():
    same = compare_in_words("A", "B", 0.9, 0.9, corrected_paired_t_test([0.9, 0.8], [0.9, 0.8], 0.5))
    assert same.sentence == "No significant difference between A and B (p = 1): prefer the simpler or faster model."
    gap = compare_in_words("A", "B", 0.75, 0.85, corrected_paired_t_test([0.8, 0.7], [0.9, 0.8], 0.5))
    assert gap.better == "B"
    assert gap.sentence.endswith("(mean 0.850 vs 0.750); the difference is significant at p < 0.001.")


def test_p_exactly_at_alpha_is_not_significant():
    result = PairedTestResult(0.02, 2.0, 0.05, 5, CORRECTED_T)
    assert not compare_in_words("A", "B", 0.9, 0.88, result).significant
    assert compare_in_words("A", "B", 0.9, 0.88, result, alpha=0.1).significant


def test_scores_contradicting_the_test_raise():
    y, pa, pb = table(0, 40, both=60)  # B clearly better
    with pytest.raises(ValueError, match="point the other way"):
        compare_in_words("A", "B", 1.0, 0.6, mcnemar(y, pa, pb))


@pytest.mark.parametrize("alpha", [0, 1, -0.5, 1.5])
def test_bad_alpha_raises(alpha):
    with pytest.raises(ValueError, match="significance level"):
        compare_in_words("A", "B", 0.9, 0.8, PairedTestResult(0.1, 3.0, 0.01, 5, CORRECTED_T), alpha=alpha)


@pytest.mark.parametrize(
    "p, text",
    [(0.0, "p < 0.001"), (0.00099, "p < 0.001"), (0.001, "p = 0.001"), (0.0312, "p = 0.031"), (0.03, "p = 0.03"),
     (0.41, "p = 0.41"), (0.4149, "p = 0.41"), (1.0, "p = 1")],
)  # fmt: skip
def test_format_p(p, text):
    assert format_p(p) == text
