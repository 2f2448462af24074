"""Data drift statistics: does a feature in recent data look like it did in the training data?

Pure statistics on pandas Series; no MLflow, no Streamlit. Per feature, a test suited to its type:

- **numeric**: the two-sample Kolmogorov–Smirnov test (``scipy.stats.ks_2samp``) on the non-missing values, plus
  the Population Stability Index (PSI) over quantile bins of the reference;
- **categorical** (and boolean): Pearson's chi-square test of homogeneity on the 2 × k table of category counts
  (``scipy.stats.chi2_contingency``), plus the PSI over the categories.

The PSI is our own (a few lines, no library): bins are the reference's quantiles (at most ``bins``, fewer for
small samples so each bin expects about 20 reference values — the PSI of two samples of one distribution grows
like (bins − 1) × (1/n_ref + 1/n_cur), and too many bins would raise false alarms), an empty bin counts as
``EPSILON`` so the logarithm stays finite, and missing values get a bin of their own when either side has any,
so a jump in missing values is drift too. A category never seen in the reference is its own bin (reference share
``EPSILON``), which gives it a large PSI, as it should.

Verdict per feature (thresholds are parameters, :class:`Thresholds`):

- ``drift`` when PSI ≥ 0.2 (the usual rule of thumb for a significant shift) or the test's p-value < 0.01;
- ``moderate`` when 0.1 ≤ PSI < 0.2 and the test is not significant (shown as a warning);
- ``ok`` otherwise; ``skipped`` when either side has fewer than ``min_rows`` (30) non-missing values: the tests
  say little on fewer, and the PSI is mostly noise.

We use a plain alpha of 0.01 per feature, without a Bonferroni correction: with k features the chance of at
least one false alarm on undrifted data is about 1 − 0.99^k (4 % for 4 features, 18 % for 20). We prefer that to
missing real drift; raise ``alpha``'s strictness (e.g. 0.01 / k) when false alarms cost more than misses. Note
that with very large samples the tests flag tiny, harmless shifts: read the PSI for the size of a shift.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from core.common.errors import WorkbenchError
from core.common.i18n import percent, tr
from core.data.roles import category_string

EPSILON = 1e-4  # share given to an empty bin, so ln(actual / expected) stays finite
MISSING = "(missing)"
KINDS = ("numeric", "categorical")
VERDICTS = ("drift", "moderate", "ok", "skipped")  # the order the summary lists them in
ROWS_PER_BIN = 20


@dataclass(frozen=True)
class Thresholds:
    """When a feature counts as drifted (see the module docstring)."""

    psi_moderate: float = 0.1
    psi_drift: float = 0.2
    alpha: float = 0.01
    min_rows: int = 30
    bins: int = 10

    def __post_init__(self) -> None:
        if not 0 < self.psi_moderate <= self.psi_drift:
            raise WorkbenchError(tr("drift.psi_order"))
        if not 0 < self.alpha < 1:
            raise WorkbenchError(tr("drift.alpha_range", alpha=self.alpha))
        if self.min_rows < 2 or self.bins < 2:
            raise WorkbenchError(tr("drift.min_rows_bins"))


@dataclass(frozen=True)
class FeatureDrift:
    """The drift of one feature between reference and current data."""

    feature: str
    kind: str  # numeric | categorical
    test: str  # "Kolmogorov–Smirnov" | "chi-square"
    statistic: float | None  # KS D or chi-square statistic (None: skipped)
    p_value: float | None
    psi: float | None
    verdict: str  # drift | moderate | ok | skipped
    reference_rows: int  # non-missing values compared
    current_rows: int
    reference_missing: float  # share of missing values
    current_missing: float
    note: str = ""

    def as_dict(self) -> dict:
        """JSON-ready (NaN and infinities as None)."""
        return {k: _finite(v) for k, v in asdict(self).items()}


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --- the PSI ---------------------------------------------------------------------------------------------------


def psi_from_shares(expected: np.ndarray, actual: np.ndarray, epsilon: float = EPSILON) -> float:
    """PSI = Σ (actual − expected) · ln(actual / expected) over bins, shares clipped below at ``epsilon``."""
    expected = np.clip(np.asarray(expected, dtype=float), epsilon, None)
    actual = np.clip(np.asarray(actual, dtype=float), epsilon, None)
    if expected.shape != actual.shape or expected.size == 0:
        raise ValueError("PSI needs two share vectors of the same, non-zero length.")
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def _shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total else np.zeros_like(counts, dtype=float)


def quantile_cuts(reference: np.ndarray, bins: int) -> np.ndarray:
    """Interior cut points at the reference's quantiles (duplicates merged, e.g. for a constant column)."""
    inner = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    return np.unique(np.quantile(reference, inner))


def effective_bins(n_reference: int, n_current: int, bins: int) -> int:
    """Fewer bins for small samples: about ROWS_PER_BIN values of the smaller side per bin, 3 at least."""
    return int(min(bins, max(3, min(n_reference, n_current) // ROWS_PER_BIN)))


def numeric_psi(reference: pd.Series, current: pd.Series, bins: int = 10, epsilon: float = EPSILON) -> float:
    """PSI of a numeric feature over quantile bins of the reference (plus a missing-values bin when needed)."""
    ref, cur = _numbers(reference), _numbers(current)
    ref_values, cur_values = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    if not len(ref_values) or not len(cur_values):
        raise ValueError("PSI needs non-missing values on both sides.")
    cuts = quantile_cuts(ref_values, effective_bins(len(ref_values), len(cur_values), bins))
    # bin i holds values in (cuts[i-1], cuts[i]]; the outer bins are open, so values beyond the training range count
    n_bins = len(cuts) + 1
    ref_counts = np.bincount(np.searchsorted(cuts, ref_values, side="left"), minlength=n_bins).astype(float)
    cur_counts = np.bincount(np.searchsorted(cuts, cur_values, side="left"), minlength=n_bins).astype(float)
    ref_missing, cur_missing = float(np.isnan(ref).sum()), float(np.isnan(cur).sum())
    if ref_missing or cur_missing:
        ref_counts, cur_counts = np.append(ref_counts, ref_missing), np.append(cur_counts, cur_missing)
    return psi_from_shares(_shares(ref_counts), _shares(cur_counts), epsilon)


def category_counts(reference: pd.Series, current: pd.Series) -> pd.DataFrame:
    """Counts per category (rows) in reference and current (columns), missing values as MISSING when any."""
    ref, cur = _categories(reference), _categories(current)
    table = pd.concat([ref.value_counts(), cur.value_counts()], axis=1, keys=["reference", "current"]).fillna(0)
    return table.astype(float).sort_index(key=lambda index: index.map(lambda c: (c == MISSING, c)))


def categorical_psi(reference: pd.Series, current: pd.Series, epsilon: float = EPSILON) -> float:
    """PSI of a categorical feature over the union of its categories."""
    table = category_counts(reference, current)
    if table.empty or not table["reference"].sum() or not table["current"].sum():
        raise ValueError("PSI needs values on both sides.")
    return psi_from_shares(_shares(table["reference"].to_numpy()), _shares(table["current"].to_numpy()), epsilon)


# --- tests -----------------------------------------------------------------------------------------------------


def ks_test(reference: pd.Series, current: pd.Series) -> tuple[float, float]:
    """Kolmogorov–Smirnov D and p-value of the non-missing values (two-sided)."""
    from scipy.stats import ks_2samp

    ref, cur = _numbers(reference), _numbers(current)
    result = ks_2samp(ref[~np.isnan(ref)], cur[~np.isnan(cur)])
    return float(result.statistic), float(result.pvalue)


def chi_square_test(reference: pd.Series, current: pd.Series) -> tuple[float, float]:
    """Chi-square statistic and p-value of homogeneity of the category counts (missing values left out)."""
    from scipy.stats import chi2_contingency

    table = category_counts(reference.dropna(), current.dropna())
    table = table[table.sum(axis=1) > 0]
    if len(table) < 2:  # one category on both sides: nothing can differ
        return 0.0, 1.0
    # no Yates correction: it only applies to 2 × 2 tables and would make a two-category feature a special case
    result = chi2_contingency(table.to_numpy().T, correction=False)
    return float(result.statistic), float(result.pvalue)


# --- per feature and per frame -----------------------------------------------------------------------------------


def infer_kind(values: pd.Series) -> str:
    """numeric for number columns (not booleans), categorical for everything else."""
    is_number = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    return "numeric" if is_number else "categorical"


def kind_of_role(role: str | None) -> str | None:
    """The drift kind of a training-schema role (numeric, categorical, boolean); None for others."""
    return {"numeric": "numeric", "categorical": "categorical", "boolean": "categorical"}.get(role or "")


def feature_drift(
    feature: str,
    reference: pd.Series,
    current: pd.Series,
    kind: str | None = None,
    thresholds: Thresholds | None = None,
) -> FeatureDrift:
    """Test, PSI and verdict of one feature (``kind`` inferred from the reference when not given)."""
    thresholds = thresholds or Thresholds()
    kind = kind or infer_kind(reference)
    if kind not in KINDS:
        raise ValueError(f"Unknown feature kind '{kind}'; use one of {', '.join(KINDS)}.")
    if kind == "numeric":
        ref_n, cur_n = int(np.isfinite(_numbers(reference)).sum()), int(np.isfinite(_numbers(current)).sum())
        test = "Kolmogorov–Smirnov"
    else:
        ref_n, cur_n = int(reference.notna().sum()), int(current.notna().sum())
        test = "chi-square"
    ref_missing = float(reference.isna().mean()) if len(reference) else 0.0
    cur_missing = float(current.isna().mean()) if len(current) else 0.0
    common = dict(
        feature=str(feature),
        kind=kind,
        test=test,
        reference_rows=ref_n,
        current_rows=cur_n,
        reference_missing=ref_missing,
        current_missing=cur_missing,
    )
    if min(ref_n, cur_n) < thresholds.min_rows:
        key = "drift.skipped_recent" if cur_n < thresholds.min_rows else "drift.skipped_training"
        note = tr(key, values=min(ref_n, cur_n), min_rows=thresholds.min_rows)
        return FeatureDrift(statistic=None, p_value=None, psi=None, verdict="skipped", note=note, **common)
    if kind == "numeric":
        statistic, p_value = ks_test(reference, current)
        psi = numeric_psi(reference, current, thresholds.bins)
    else:
        statistic, p_value = chi_square_test(reference, current)
        psi = categorical_psi(reference, current)
    verdict = judge(psi, p_value, thresholds)
    return FeatureDrift(
        statistic=statistic,
        p_value=p_value,
        psi=psi,
        verdict=verdict,
        note=_note(kind, psi, p_value, thresholds),
        **common,
    )


def judge(psi: float, p_value: float, thresholds: Thresholds) -> str:
    """drift / moderate / ok from the PSI and the test's p-value (see the module docstring)."""
    if psi >= thresholds.psi_drift or p_value < thresholds.alpha:
        return "drift"
    if psi >= thresholds.psi_moderate:
        return "moderate"
    return "ok"


def _note(kind: str, psi: float, p_value: float, thresholds: Thresholds) -> str:
    reasons = []
    if psi >= thresholds.psi_drift:
        reasons.append(tr("drift.note_psi_drift", psi=psi, drift=thresholds.psi_drift))
    elif psi >= thresholds.psi_moderate:
        reasons.append(
            tr("drift.note_psi_moderate", psi=psi, moderate=thresholds.psi_moderate, drift=thresholds.psi_drift)
        )
    if p_value < thresholds.alpha:
        key = "drift.note_p_ks" if kind == "numeric" else "drift.note_p_chi_square"
        reasons.append(tr(key, p_value=p_value, alpha=thresholds.alpha))
    return "; ".join(reasons)


def drift_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    kinds: dict[str, str] | None = None,
    thresholds: Thresholds | None = None,
) -> list[FeatureDrift]:
    """Every feature of ``kinds`` (default: the columns both frames share), drifted first, then by PSI."""
    kinds = kinds or {c: infer_kind(reference[c]) for c in reference.columns if c in current.columns}
    missing = [c for c in kinds if c not in reference.columns or c not in current.columns]
    if missing:
        raise ValueError(f"Both frames need the columns {', '.join(map(str, missing))}.")
    results = [feature_drift(c, reference[c], current[c], kind, thresholds) for c, kind in kinds.items()]
    return sorted(results, key=lambda r: (VERDICTS.index(r.verdict), -(r.psi or 0.0)))


def summary(results: list[FeatureDrift]) -> dict[str, int]:
    """How many features per verdict (every verdict present, zeros included)."""
    return {v: sum(r.verdict == v for r in results) for v in VERDICTS}


def results_frame(results: list[FeatureDrift]) -> pd.DataFrame:
    """The drift summary table: feature, type, test, statistic, p-value, PSI, verdict, missing shares, note."""
    columns = ["feature", "type", "test", "statistic", "p-value", "PSI", "verdict", "missing (train → now)", "note"]
    rows = [
        {
            "feature": r.feature,
            "type": r.kind,
            "test": r.test,
            "statistic": r.statistic,
            "p-value": r.p_value,
            "PSI": r.psi,
            "verdict": r.verdict,
            "missing (train → now)": f"{percent(r.reference_missing)} → {percent(r.current_missing)}",
            "note": r.note,
        }
        for r in results
    ]
    return pd.DataFrame(rows, columns=columns)


# --- helpers ---------------------------------------------------------------------------------------------------


def _numbers(values: pd.Series) -> np.ndarray:
    """Floats, with anything unreadable or infinite as NaN."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    numbers[~np.isfinite(numbers)] = np.nan
    return numbers


def _categories(values: pd.Series) -> pd.Series:
    """Values as category strings (1, 1.0 and '1' alike, as in training), missing as MISSING."""

    present = values.notna()
    out = pd.Series(MISSING, index=values.index, dtype=object)
    out[present] = values[present].map(category_string)
    return out
