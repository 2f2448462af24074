"""C phase evidence: per-class metrics, curves, mistakes and importances of a run's model on the held-out rows.

Pure functions of predictions, probabilities and frames; they load nothing and log nothing, so the compare page
(or the CLI) decides what to compute, cache and store. scikit-learn and Optuna are imported inside the functions
that need them, keeping `import core.compare.diagnostics` cheap.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pandas as pd

from core.common.errors import WorkbenchError
from core.common.i18n import tr
from core.train.search_space import Dimension

# Columns of core.train.tuning.trials_frame that are not hyperparameters.
TRIAL_META_COLUMNS = ("trial", "status", "± std", "best so far", "seconds", "error", "run", "worker")
# Below this many finished trials a forest of the search space says nothing; rank correlation is used instead.
MIN_TRIALS_FOR_FANOVA = 5
FANOVA_TREES = 32  # 64 (Optuna's default) costs twice the time for no visible change on searches of ≤ 200 trials
NO_PROBABILITIES = (  # stored with an evaluation, so English (core.compare.evaluation.stored_reason translates it)
    "This model gives no class probabilities (it has no predict_proba, or it is a pyfunc model without "
    "a scikit-learn model inside), so curves and confidences cannot be drawn for it."
)
TRUE_COLUMN, PREDICTED_COLUMN = "true class", "predicted class"
CONFIDENCE_COLUMN, TRUE_PROBABILITY_COLUMN = "confidence", "true class probability"


def per_class_report(y_true, y_pred, labels: list[str]) -> pd.DataFrame:
    """Precision, recall, F1 and support per class, then macro and weighted averages (zero_division=0)."""
    from sklearn.metrics import precision_recall_fscore_support

    y_true, y_pred = _text(y_true), _text(y_pred)
    labels = [str(label) for label in labels]
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    rows = [
        {"class": label, "precision": p, "recall": r, "f1": f, "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    ]
    total = int(support.sum())
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=average, zero_division=0)
        rows.append({"class": f"{average} avg", "precision": p, "recall": r, "f1": f, "support": total})
    frame = pd.DataFrame(rows, columns=["class", "precision", "recall", "f1", "support"])
    return frame.astype({"precision": float, "recall": float, "f1": float, "support": int})


def normalized_confusion(matrix: list[list[int]]) -> list[list[float]]:
    """Each row divided by its total (share of a true class given each prediction); an empty row stays zeros."""
    normalized = []
    for row in matrix:
        total = sum(row)
        normalized.append([value / total if total else 0.0 for value in row])
    return normalized


def one_vs_rest_curves(y_true, proba: np.ndarray, classes: list[str]) -> dict:
    """Per class, one-vs-rest ROC (fpr, tpr, auc) and precision-recall (precision, recall, average_precision).

    Returns ``{"curves": {class: {...}}, "macro_auc", "macro_average_precision", "notes"}``; a class with no
    test rows (or with every test row) has no curve and gets a note instead. A binary model's one column of
    positive-class probabilities is accepted too.
    """
    from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

    y = _text(y_true)
    classes = [str(c) for c in classes]
    proba = np.asarray(proba, dtype=float)
    if proba.ndim == 1 and len(classes) == 2:
        proba = np.column_stack([1.0 - proba, proba])
    if proba.shape != (len(y), len(classes)):
        raise WorkbenchError(tr("evaluation.diagnostics.shape", shape=proba.shape, rows=len(y), classes=len(classes)))
    curves: dict[str, dict] = {}
    notes: list[str] = []
    for i, cls in enumerate(classes):
        positive = y == cls
        count = int(positive.sum())
        if count == 0:
            notes.append(tr("evaluation.diagnostics.no_test_row", cls=cls))
            continue
        if count == len(y):
            notes.append(tr("evaluation.diagnostics.every_test_row", cls=cls))
            continue
        fpr, tpr, _ = roc_curve(positive, proba[:, i])
        precision, recall, _ = precision_recall_curve(positive, proba[:, i])
        curves[cls] = {
            "fpr": fpr.tolist(),
            "tpr": tpr.tolist(),
            "auc": float(roc_auc_score(positive, proba[:, i])),
            "precision": precision.tolist(),
            "recall": recall.tolist(),
            "average_precision": float(average_precision_score(positive, proba[:, i])),
            "positives": count,
        }
    unknown = sorted(set(y) - set(classes))
    if unknown:
        notes.append(tr("evaluation.diagnostics.unknown_classes", classes=", ".join(repr(u) for u in unknown)))
    aucs = [c["auc"] for c in curves.values()]
    aps = [c["average_precision"] for c in curves.values()]
    return {
        "curves": curves,
        "macro_auc": float(np.mean(aucs)) if aucs else None,
        "macro_average_precision": float(np.mean(aps)) if aps else None,
        "notes": notes,
    }


def wrong_rows(X_test: pd.DataFrame, y_true, y_pred, proba=None, classes=None) -> pd.DataFrame:
    """The misclassified rows: true and predicted class, confidences when probabilities are given, the features.

    The original row index is kept; with probabilities the most confident mistakes come first.
    """
    y_true, y_pred = _text(y_true), _text(y_pred)
    if not len(X_test) == len(y_true) == len(y_pred):
        raise WorkbenchError(tr("evaluation.diagnostics.lengths_differ"))
    wrong = np.flatnonzero(y_true != y_pred)
    out = X_test.iloc[wrong].copy()
    out.insert(0, TRUE_COLUMN, y_true[wrong])
    out.insert(1, PREDICTED_COLUMN, y_pred[wrong])
    if proba is None:
        return out
    if classes is None:
        raise WorkbenchError(tr("evaluation.diagnostics.classes_needed"))
    proba = np.asarray(proba, dtype=float)[wrong]
    column = {str(c): i for i, c in enumerate(classes)}

    def probability_of(labels: np.ndarray) -> np.ndarray:
        return np.array([proba[r, column[c]] if c in column else np.nan for r, c in enumerate(labels)], dtype=float)

    out.insert(2, CONFIDENCE_COLUMN, probability_of(y_pred[wrong]))
    out.insert(3, TRUE_PROBABILITY_COLUMN, probability_of(y_true[wrong]))
    return out.sort_values(CONFIDENCE_COLUMN, ascending=False, kind="stable")


def permutation_importance_frame(
    model, X_test: pd.DataFrame, y_test, scoring: str = "accuracy", repeats: int = 10, seed: int = 42
) -> pd.DataFrame:
    """How much the score drops when each raw feature column is shuffled: feature, mean, std, largest first.

    The workbench's metric names (accuracy, balanced_accuracy, f1_macro, precision_macro, recall_macro) compare
    labels as text, as the evaluation does; any other scikit-learn scoring name is passed on as is.
    """
    from sklearn.inspection import permutation_importance

    scorer = _label_scorer(scoring) or scoring
    result = permutation_importance(model, X_test, y_test, scoring=scorer, n_repeats=repeats, random_state=seed)
    frame = pd.DataFrame(
        {"feature": [str(c) for c in X_test.columns], "mean": result.importances_mean, "std": result.importances_std}
    )
    return frame.sort_values("mean", ascending=False, kind="stable").reset_index(drop=True)


def model_probabilities(model, X) -> tuple[np.ndarray, list[str]] | None:
    """Class probabilities and their classes (as text), or None when the model gives none (see NO_PROBABILITIES)."""
    estimator = _probabilistic(model)
    if estimator is None:
        return None
    try:
        proba = np.asarray(estimator.predict_proba(X), dtype=float)
    except (AttributeError, NotImplementedError):  # e.g. a wrapper that declares it but cannot
        return None
    return proba, [str(c) for c in estimator.classes_]


def no_probabilities_reason(model) -> str | None:
    """Why a model gives no class probabilities, or None when it does."""
    return None if _probabilistic(model) is not None else NO_PROBABILITIES


def comparison_table(run_metrics: dict[str, dict[str, float]], metrics: list[str]) -> pd.DataFrame:
    """Long table for metric_bars_with_cv: run, metric, test, cv_mean, cv_std from MLflow metric dicts.

    ``run_metrics`` maps a run label to its MLflow metrics (``test_<m>``, ``cv_<m>``, ``cv_<m>_std``);
    anything missing is NaN.
    """
    rows = [
        {
            "run": run,
            "metric": metric,
            "test": values.get(f"test_{metric}", math.nan),
            "cv_mean": values.get(f"cv_{metric}", math.nan),
            "cv_std": values.get(f"cv_{metric}_std", math.nan),
        }
        for run, values in run_metrics.items()
        for metric in metrics
    ]
    return pd.DataFrame(rows, columns=["run", "metric", "test", "cv_mean", "cv_std"])


def trial_params(trials: pd.DataFrame) -> list[str]:
    """The hyperparameter columns of a core.train.tuning.trials_frame table."""
    return [c for c in trials.columns if c not in TRIAL_META_COLUMNS and not str(c).startswith("CV ")]


def finished_trials(trials: pd.DataFrame, score: str) -> pd.DataFrame:
    """The trials that finished with a score."""
    finished = trials[trials["status"] == "FINISHED"] if "status" in trials.columns else trials
    return finished[pd.to_numeric(finished[score], errors="coerce").notna()]


def hyperparameter_importance_method(trials: pd.DataFrame, score: str) -> str:
    """Which estimate hyperparameter_importance uses for these trials, in words."""
    if len(finished_trials(trials, score)) >= MIN_TRIALS_FOR_FANOVA:
        return tr("evaluation.diagnostics.fanova")
    return tr("evaluation.diagnostics.spearman")


def hyperparameter_importance(
    trials: pd.DataFrame, params: list[str], score: str, space: tuple[Dimension, ...] = ()
) -> dict[str, float]:
    """Share of the score's variation due to each hyperparameter, summing to 1, largest first.

    fANOVA on an in-memory Optuna study rebuilt from the finished trials, each hyperparameter with the
    distribution its search ``space`` gave it (one it lacks, as a search logged by other code, is guessed from
    the values seen); with fewer than MIN_TRIALS_FOR_FANOVA of them, absolute Spearman correlation (a
    categorical ranked by its mean score). Fewer than two finished trials, or no parameters: an empty dict.
    """
    finished = finished_trials(trials, score)
    params = [p for p in params if p in finished.columns]
    if len(finished) < 2 or not params:
        return {}
    scores = pd.to_numeric(finished[score]).astype(float)
    columns = {p: _param_values(finished[p]) for p in params}
    if len(finished) >= MIN_TRIALS_FOR_FANOVA:
        searched = {d.name: d for d in space}
        raw = _fanova({p: _in_space(searched.get(p), finished[p]) or _guessed(columns[p]) for p in params}, scores)
    else:
        raw = {p: _abs_spearman(values, scores) for p, values in columns.items()}
    total = sum(raw.values())
    shares = {p: (v / total if total > 0 else 1.0 / len(raw)) for p, v in raw.items()}
    return dict(sorted(shares.items(), key=lambda item: item[1], reverse=True))


def _param_values(column: pd.Series) -> pd.Series:
    """Numbers when every value reads as one (the trials table holds them as text), else text categories."""
    if not pd.api.types.is_bool_dtype(column) and column.notna().all():
        numbers = pd.to_numeric(column, errors="coerce")
        if numbers.notna().all():
            return numbers.astype(float)
    return column.map(lambda v: "(none)" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))


def _in_space(dimension: Dimension | None, column: pd.Series) -> tuple[object, list] | None:
    """The dimension's Optuna distribution and the trials' values in it; None when a value does not fit it."""
    if dimension is None:
        return None
    distribution = dimension.distribution()
    try:
        if dimension.kind == "choice":
            values = [str(v) for v in column]
            fits = all(v in distribution.choices for v in values)
        else:
            numbers = [float(v) for v in column]
            values = [int(round(v)) for v in numbers] if dimension.kind == "int" else numbers
            fits = all(distribution.low <= v <= distribution.high for v in values)
    except (TypeError, ValueError):
        return None
    return (distribution, values) if fits else None


def _guessed(values: pd.Series) -> tuple[object, list]:
    """A distribution guessed from the values seen (numbers as floats over their range, else categories)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    if pd.api.types.is_float_dtype(values):
        return FloatDistribution(float(values.min()), float(values.max())), [_plain(v) for v in values]
    return CategoricalDistribution(sorted(values.unique())), [_plain(v) for v in values]


def _fanova(columns: dict[str, tuple[object, list]], scores: pd.Series) -> dict[str, float]:
    """fANOVA importance of each hyperparameter: ``columns`` maps it to its distribution and one value per trial."""
    import optuna
    from optuna.importance import FanovaImportanceEvaluator

    distributions = {name: distribution for name, (distribution, _) in columns.items()}
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # create_study announces itself at INFO
    try:
        study = optuna.create_study(direction="maximize")
        study.add_trials(
            [
                optuna.trial.create_trial(
                    params={name: values[i] for name, (_, values) in columns.items()},
                    distributions=distributions,
                    value=float(scores.iloc[i]),
                )
                for i in range(len(scores))
            ]
        )
        evaluator = FanovaImportanceEvaluator(n_trees=FANOVA_TREES, seed=0)
        raw = optuna.importance.get_param_importances(study, evaluator=evaluator, params=list(columns))
    finally:
        optuna.logging.set_verbosity(verbosity)
    return {name: max(float(raw.get(name, 0.0)), 0.0) for name in columns}


def _abs_spearman(values: pd.Series, scores: pd.Series) -> float:
    if not pd.api.types.is_float_dtype(values):  # categories ordered by their mean score
        order = scores.groupby(values.to_numpy()).mean().rank(method="dense")
        values = values.map(order).astype(float)
    if values.nunique() < 2 or scores.nunique() < 2:
        return 0.0
    corr = values.reset_index(drop=True).rank().corr(scores.reset_index(drop=True).rank())
    return 0.0 if corr is None or math.isnan(corr) else abs(float(corr))


def _plain(value):
    return float(value) if isinstance(value, (float, np.floating)) else value


def _text(values) -> np.ndarray:
    return np.asarray(values).astype(str)


def _label_scorer(scoring: str):
    """A scorer comparing labels as text for the workbench's metric names, else None."""

    from sklearn import metrics

    macro = {"average": "macro", "zero_division": 0}
    functions = {
        "accuracy": metrics.accuracy_score,
        "balanced_accuracy": metrics.balanced_accuracy_score,
        "f1_macro": partial(metrics.f1_score, **macro),
        "precision_macro": partial(metrics.precision_score, **macro),
        "recall_macro": partial(metrics.recall_score, **macro),
    }
    function = functions.get(scoring)
    if function is None:
        return None

    def scorer(estimator, X, y) -> float:
        return float(function(_text(y), _text(estimator.predict(X))))

    return scorer


def _probabilistic(model):
    """The scikit-learn model inside (a pyfunc model's raw model) when it has predict_proba and classes_."""
    estimator = model
    if hasattr(model, "get_raw_model"):  # an mlflow PyFuncModel
        try:
            estimator = model.get_raw_model()
        except (NotImplementedError, AttributeError, ValueError):
            return None
    if hasattr(estimator, "predict_proba") and hasattr(estimator, "classes_"):
        return estimator
    return None
