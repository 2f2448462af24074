"""What changed between two versions of a registered model: their data, recipe, code and results, from MLflow.

Everything is read from the versions' source runs and their data runs, so it works for any two versions a
workbench run registered: the data (digest, rows, columns added or dropped, how far each feature's training
distribution moved), the recipe (algorithm, every parameter and feature step that differs), the code (commit,
package versions), the held-out and CV metrics with both paired tests (core.compare.evidence), the confusion
matrices, and the held-out rows one version gets right and the other wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.common.i18n import tr
from core.common.provenance import TAG_COMMIT, TAG_VERSIONS
from core.compare.evaluation import Evaluation
from core.compare.evidence import PromotionComparison, data_run_of, promotion_comparison
from core.data import datastore
from core.data.datastore import DatasetRecord
from core.registry.model_registry import RegistryError, VersionInfo, get_version

SHIFT_NOTABLE = 0.1  # a Kolmogorov–Smirnov statistic or total variation distance from here on is worth a look
SHIFT_LARGE = 0.25
MAX_DISAGREEMENTS = 200


@dataclass(frozen=True)
class VersionDiff:
    """Two versions side by side: ``a`` (e.g. the one an alias serves) and ``b`` (e.g. the candidate)."""

    a: VersionInfo
    b: VersionInfo
    data: pd.DataFrame  # aspect, a, b
    columns_added: list[str]  # in b's data, not in a's
    columns_dropped: list[str]  # in a's data, not in b's
    shift: pd.DataFrame  # feature, kind, statistic, a, b, verdict — empty when both used the same data
    recipe: pd.DataFrame  # setting, a, b — only the settings that differ
    code: pd.DataFrame  # what, a, b — only what differs
    comparison: PromotionComparison  # test metrics with their change, McNemar and the CV folds' paired t-test
    disagreements: pd.DataFrame | str  # the held-out rows one gets right and the other wrong, or why not told

    @property
    def same_data(self) -> bool:
        return self.shift.empty and not self.columns_added and not self.columns_dropped


def version_diff(name: str, version_a: str, version_b: str, metric: str = "accuracy") -> VersionDiff:
    """The difference between versions ``version_a`` and ``version_b`` of model ``name``."""
    from mlflow import MlflowClient

    a, b = get_version(name, version_a), get_version(name, version_b)
    if not a.run_id or not b.run_id:
        raise RegistryError(tr("diff.no_run", name=name))
    client = MlflowClient()
    run_a, run_b = client.get_run(a.run_id), client.get_run(b.run_id)
    data_a, data_b = data_run_of(a.run_id), data_run_of(b.run_id)
    set_a = datastore.load_dataset(data_a) if data_a else None
    set_b = set_a if data_b == data_a else (datastore.load_dataset(data_b) if data_b else None)
    comparison = promotion_comparison(b.run_id, a.run_id, metric)
    added, dropped = _columns(set_a, set_b)
    return VersionDiff(
        a,
        b,
        _data_rows(run_a.data.tags, run_b.data.tags, set_a, set_b),
        added,
        dropped,
        feature_shift(set_a, set_b) if set_a is not None and set_b is not None and set_a is not set_b else _no_shift(),
        _differing({k: v for k, v in run_a.data.params.items()}, dict(run_b.data.params), "setting"),
        _code(run_a.data.tags, run_b.data.tags),
        comparison,
        disagreements(comparison.current, comparison.candidate, set_a if data_a == data_b else None),
    )


def _data_rows(tags_a: dict, tags_b: dict, set_a: DatasetRecord | None, set_b: DatasetRecord | None) -> pd.DataFrame:
    def facts(tags: dict, record: DatasetRecord | None) -> dict[str, object]:
        if record is None:
            return {"digest": tags.get("qua3ck.data_digest", "")[:12], "source": "", "rows": None}
        return {
            "digest": record.digest[:12],
            "source": record.name,
            "rows": len(record.frame),
            "training rows": len(record.split.train),
            "held-out rows": len(record.split.test),
            "columns": len(record.features),
            "target": record.target,
        }

    left, right = facts(tags_a, set_a), facts(tags_b, set_b)
    return pd.DataFrame([{"aspect": k, "a": left.get(k), "b": right.get(k)} for k in dict.fromkeys([*left, *right])])


def _columns(set_a: DatasetRecord | None, set_b: DatasetRecord | None) -> tuple[list[str], list[str]]:
    if set_a is None or set_b is None:
        return [], []
    a, b = set(set_a.features), set(set_b.features)
    return [c for c in set_b.features if c not in a], [c for c in set_a.features if c not in b]


def _no_shift() -> pd.DataFrame:
    return pd.DataFrame(columns=["feature", "kind", "statistic", "a", "b", "verdict"])


def feature_shift(set_a: DatasetRecord, set_b: DatasetRecord) -> pd.DataFrame:
    """How far each shared feature's training distribution moved from ``set_a`` to ``set_b``: the Kolmogorov–
    Smirnov statistic for numbers (with both medians), the total variation distance of the category shares
    otherwise (with both most frequent values); largest first."""
    from scipy.stats import ks_2samp

    train_a = set_a.frame.iloc[set_a.split.train]
    train_b = set_b.frame.iloc[set_b.split.train]
    rows = []
    for feature in [f for f in set_a.features if f in set_b.features]:
        x, y = train_a[feature], train_b[feature]
        numeric = pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y)
        if numeric:
            x, y = x.dropna().astype(float), y.dropna().astype(float)
            statistic = float(ks_2samp(x, y).statistic) if len(x) and len(y) else float("nan")
            shown_a, shown_b = float(np.median(x)) if len(x) else None, float(np.median(y)) if len(y) else None
        else:
            shares_a = x.astype(str).value_counts(normalize=True)
            shares_b = y.astype(str).value_counts(normalize=True)
            both = shares_a.index.union(shares_b.index)
            statistic = float(
                0.5 * (shares_a.reindex(both, fill_value=0) - shares_b.reindex(both, fill_value=0)).abs().sum()
            )
            shown_a = shares_a.index[0] if len(shares_a) else None
            shown_b = shares_b.index[0] if len(shares_b) else None
        verdict = "large" if statistic >= SHIFT_LARGE else "notable" if statistic >= SHIFT_NOTABLE else "small"
        rows.append(
            {
                "feature": feature,
                "kind": "numeric" if numeric else "categorical",
                "statistic": round(statistic, 4),
                "a": shown_a,
                "b": shown_b,
                "verdict": verdict,
            }
        )
    frame = pd.DataFrame(rows, columns=_no_shift().columns)
    return frame.sort_values("statistic", ascending=False, ignore_index=True)


def _differing(a: dict[str, str], b: dict[str, str], label: str) -> pd.DataFrame:
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return pd.DataFrame([{label: k, "a": a.get(k), "b": b.get(k)} for k in keys], columns=[label, "a", "b"])


def _code(tags_a: dict[str, str], tags_b: dict[str, str]) -> pd.DataFrame:
    def versions(tags: dict[str, str]) -> dict[str, str]:
        return dict(p.split("=", 1) for p in tags.get(TAG_VERSIONS, "").split() if "=" in p)

    rows = _differing({"commit": tags_a.get(TAG_COMMIT)}, {"commit": tags_b.get(TAG_COMMIT)}, "what")
    packages = _differing(versions(tags_a), versions(tags_b), "what")
    return pd.concat([rows, packages], ignore_index=True)


def disagreements(a: Evaluation | None, b: Evaluation | None, dataset: DatasetRecord | None) -> pd.DataFrame | str:
    """The held-out rows exactly one of the two versions predicts right (``a``'s and ``b``'s evaluations on the
    same held-out rows of ``dataset``): the row, its true class, each prediction and which one was right; or why
    it cannot be told."""
    if a is None or b is None:
        return tr("diff.not_both_evaluated")
    if dataset is None:
        return tr("diff.different_data")
    X_test, y_test = dataset.test_xy()
    truth = y_test.astype(str).to_numpy()
    if len(a.predictions) != len(truth) or len(b.predictions) != len(truth):
        return tr("diff.evaluate_again")
    pred_a, pred_b = np.asarray(a.predictions), np.asarray(b.predictions)
    right_a, right_b = pred_a == truth, pred_b == truth
    differ = right_a != right_b
    frame = X_test.reset_index(drop=True)[differ].copy()
    frame.insert(0, "row", np.flatnonzero(differ) + 1)
    frame["true"] = truth[differ]
    frame["a predicts"] = pred_a[differ]
    frame["b predicts"] = pred_b[differ]
    frame["right"] = np.where(right_a[differ], "a", "b")
    return frame.head(MAX_DISAGREEMENTS).reset_index(drop=True)
