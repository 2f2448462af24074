"""Is the difference between two runs real? McNemar's test, the corrected paired t-test, and the verdict in words."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from core.common.i18n import Message, current_language, number, translate
from core.common.i18n import significant as significant_digits

EXACT = "exact binomial"
CHI2 = "chi-squared with continuity correction"
CORRECTED_T = "Nadeau–Bengio corrected paired t-test"

# Relative tolerance under which per-fold differences count as all equal: 0.9 - 0.8 and 0.8 - 0.7 differ in the
# last bits, and a "variance" of 1e-33 would otherwise turn into an absurd t statistic.
_ZERO_TOLERANCE = 1e-12


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's test on two models' predictions for the same rows: the 2×2 table and the p-value."""

    a_only_correct: int
    b_only_correct: int
    both_correct: int
    both_wrong: int
    statistic: float | None  # chi-squared statistic; None for the exact test
    p_value: float
    method: str  # EXACT or CHI2

    @property
    def rows(self) -> int:
        """How many rows were compared."""
        return self.a_only_correct + self.b_only_correct + self.both_correct + self.both_wrong


@dataclass(frozen=True)
class PairedTestResult:
    """A paired test on per-fold scores; mean_difference is A minus B (positive: A scores higher)."""

    mean_difference: float
    t_statistic: float | None  # None when the fold differences have no variance
    p_value: float
    folds: int
    method: str


@dataclass(frozen=True)
class Comparison:
    """The verdict for people: which run is better (None if no significant difference) and why.

    ``sentence`` is English, for what is written to the store, the CLI and logs; ``shown`` says the same in the
    language of whoever reads it now (pages), so a cached Comparison still reads in each person's language."""

    better: str | None
    p_value: float
    significant: bool
    sentence: str
    message: Message | None = field(default=None, compare=False, repr=False)  # the sentence, in any language

    @property
    def shown(self) -> str:
        """The sentence in the current language."""
        return self.sentence if self.message is None else self.message.render()

    def in_language(self, language: str) -> str:
        """The sentence in ``language`` ("en", "de")."""
        return self.sentence if self.message is None else self.message.render(language)


def _labels(values: Any, name: str) -> np.ndarray:
    """A 1-D object array of labels, so strings, numbers and mixtures compare element by element."""
    array = np.asarray(values, dtype=object)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a flat list of labels, got an array of shape {array.shape}.")
    return array


def mcnemar(
    y_true: Sequence[Any], pred_a: Sequence[Any], pred_b: Sequence[Any], exact_below: int = 25
) -> McNemarResult:
    """McNemar's test: exact binomial when fewer than ``exact_below`` rows are discordant, else chi-squared."""
    truth, a, b = _labels(y_true, "y_true"), _labels(pred_a, "pred_a"), _labels(pred_b, "pred_b")
    if not len(truth) == len(a) == len(b):
        raise ValueError(
            f"The true labels and both sets of predictions must cover the same rows; got {len(truth)} true labels, "
            f"{len(a)} predictions from A and {len(b)} from B."
        )
    if len(truth) == 0:
        raise ValueError("There are no rows to compare.")
    a_right = (a == truth).astype(bool)
    b_right = (b == truth).astype(bool)
    a_only = int(np.sum(a_right & ~b_right))
    b_only = int(np.sum(~a_right & b_right))
    both = int(np.sum(a_right & b_right))
    neither = int(np.sum(~a_right & ~b_right))
    discordant = a_only + b_only
    if discordant == 0:
        # The two models are right and wrong on the same rows: nothing tells them apart.
        return McNemarResult(a_only, b_only, both, neither, None, 1.0, EXACT)
    if discordant < exact_below:
        # Under H0 each discordant row is equally likely to favour A or B: X ~ Binomial(discordant, 1/2).
        from scipy import stats as sps  # here, not at the top: scipy.stats costs every page ~1 s to import

        p = 2.0 * float(sps.binom.cdf(min(a_only, b_only), discordant, 0.5))
        return McNemarResult(a_only, b_only, both, neither, None, min(1.0, p), EXACT)
    # Edwards' continuity correction, clamped at zero so that a tie (a_only == b_only) gives p = 1
    # instead of the correction overshooting past it.
    statistic = max(abs(a_only - b_only) - 1, 0) ** 2 / discordant
    from scipy import stats as sps

    p = float(sps.chi2.sf(statistic, df=1))
    return McNemarResult(a_only, b_only, both, neither, float(statistic), min(1.0, p), CHI2)


def _scores(values: Any, name: str) -> np.ndarray:
    """A 1-D float array of per-fold scores, all finite."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a flat list of per-fold scores, got an array of shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains missing or infinite scores.")
    return array


def corrected_paired_t_test(
    scores_a: Sequence[float], scores_b: Sequence[float], test_fraction: float
) -> PairedTestResult:
    """Nadeau–Bengio test on same-fold scores, test_fraction = 1/(k-1); zero variance: p = 1 if no gap, else 0."""
    # test_fraction is n_test / n_train within one fold: 1/(k-1) for k-fold CV, e.g. 0.25 for 5 folds.
    a, b = _scores(scores_a, "scores_a"), _scores(scores_b, "scores_b")
    if len(a) != len(b):
        raise ValueError(f"Both runs need scores on the same folds; got {len(a)} fold scores for A and {len(b)} for B.")
    k = len(a)
    if k < 2:
        raise ValueError(f"A paired test needs at least 2 folds; got {k}.")
    if not (math.isfinite(test_fraction) and test_fraction >= 0):
        raise ValueError(f"test_fraction (test rows / training rows per fold) must be 0 or more; got {test_fraction}.")
    d = a - b
    mean = float(np.mean(d))
    scale = max(1.0, float(np.max(np.abs(d))))
    if float(np.ptp(d)) <= _ZERO_TOLERANCE * scale:
        # Every fold shows the same difference: no variance, so no t statistic. Identical scores mean no evidence
        # of a difference (p = 1); a constant non-zero gap is as consistent as evidence gets (p = 0).
        p = 1.0 if abs(mean) <= _ZERO_TOLERANCE * scale else 0.0
        return PairedTestResult(mean, None, p, k, CORRECTED_T)
    # Folds share training rows, so their scores are correlated and the plain s²/k underestimates the variance of
    # the mean; Nadeau & Bengio (2003) replace 1/k by 1/k + n_test/n_train.
    variance = float(np.var(d, ddof=1))
    corrected = (1.0 / k + test_fraction) * variance
    t = mean / math.sqrt(corrected)
    from scipy import stats as sps

    p = 2.0 * float(sps.t.sf(abs(t), df=k - 1))
    return PairedTestResult(mean, t, min(1.0, p), k, CORRECTED_T)


def format_p(p: float) -> str:
    """A p-value for people: "p < 0.001" when tiny, else two significant digits ("p = 0.03")."""
    if p < 0.001:
        return "p < 0.001"
    return f"p = {significant_digits(p, 2)}"


def _direction(result: McNemarResult | PairedTestResult) -> int:
    """Which way the test leans: +1 towards B, -1 towards A, 0 neither."""
    if isinstance(result, McNemarResult):
        gap = result.b_only_correct - result.a_only_correct
    else:
        gap = -result.mean_difference  # mean_difference is A minus B
    return (gap > 0) - (gap < 0)


def compare_in_words(
    name_a: str,
    name_b: str,
    acc_a: float,
    acc_b: float,
    result: McNemarResult | PairedTestResult,
    alpha: float = 0.05,
    what: str = "accurate",
    comparative: str | None = None,
    metric: str | None = None,
) -> Comparison:
    """The verdict in one sentence; acc_a and acc_b are the scores the test compared (held-out or mean fold).

    The better model "is more {what} than" the other, unless ``comparative`` gives other words
    (e.g. "scores higher in macro F1 than") or ``metric`` names the score compared (a key of core.question.kpis.METRICS:
    "is more accurate than" for accuracy, else "scores higher in <metric> than", in every language)."""
    if not 0 < alpha < 1:
        raise ValueError(f"The significance level must be between 0 and 1; got {alpha}.")
    p = result.p_value
    significant = p < alpha
    direction = _direction(result)
    if not significant or direction == 0:
        said = Message("evaluation.stats.no_difference", {"name_a": name_a, "name_b": name_b, "p": format_p(p)})
        return Comparison(None, p, False, said.render("en"), said)
    if (acc_b - acc_a) * direction < 0:
        raise ValueError(
            f"The scores ({acc_a:.3f} for {name_a}, {acc_b:.3f} for {name_b}) point the other way from the test; "
            "pass the scores the test compared."
        )
    better, worse, acc_better, acc_worse = (
        (name_b, name_a, acc_b, acc_a) if direction > 0 else (name_a, name_b, acc_a, acc_b)
    )
    rows = isinstance(result, McNemarResult)
    where = Message(
        "evaluation.stats.on_rows" if rows else "evaluation.stats.across_folds",
        {
            "count": result.rows if rows else result.folds,
            "better": number(acc_better, 3),
            "worse": number(acc_worse, 3),
        },
    )
    if comparative is None and what != "accurate" and metric is None:
        comparative = f"is more {what} than"
    # words of the caller's own read the same in every language; a metric's phrase is each language's
    phrase = comparative if comparative is not None else partial(comparative_phrase, metric or "accuracy")
    said = Message(
        "evaluation.stats.significant",
        {"better": better, "comparative": phrase, "worse": worse, "where": where, "p": format_p(p)},
    )
    return Comparison(better, p, True, said.render("en"), said)


def comparative_phrase(metric: str, language: str | None = None) -> str:
    """The words between the two names in the verdict: "is more accurate than", "scores higher in macro F1 than"."""
    language = language or current_language()
    if metric == "accuracy":
        return translate("evaluation.stats.more_accurate", language)
    return translate("evaluation.stats.scores_higher", language, metric=metric_phrase(metric, language))


def metric_phrase(metric: str, language: str | None = None) -> str:
    """How a score reads inside a sentence: "accuracy", "macro F1", "balanced accuracy"."""
    return translate(f"evaluation.metric_phrase.{metric}", language or current_language())
