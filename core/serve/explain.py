"""Why this prediction: each original column's SHAP value for the predicted class, with SHAP's fast exact paths
where the fitted pipeline has one and its permutation explainer (model-agnostic, on the original columns) else.

The pipelines the workbench fits are ``prepare`` (a ColumnTransformer: impute and scale numbers, one-hot
categories), optional ``poly``/``select``/``pca`` steps, then the classifier. When the steps keep each output
column tied to one original column (no ``poly``, no ``pca``), a tree classifier is explained by
``shap.TreeExplainer`` and a linear one by ``shap.LinearExplainer`` on the prepared columns, and the values of
the columns an original column became (its one-hot categories) are summed: SHAP values add, so the sum is that
column's share (trees are measured against their own training rows, their cover). Everything else — k-NN, SVC,
naive Bayes, MLP, pipelines with ``poly``/``pca`` and models registered by other code — gets SHAP's
permutation method on the original columns (``permutation_values``, categories as codes), in numpy here.

Every explanation is additive: ``base + sum(contributions) == output`` for the explained class, where output is
the class probability (decision trees, forests, permutation) or its raw score (linear and boosted models: SHAP
explains their margin exactly). The reference rows are a seeded sample of the model's training rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.common.errors import WorkbenchError
from core.common.i18n import significant, tr
from core.compare.evidence import data_run_of
from core.data import datastore
from core.serve.predict import ServedModel, as_trained

REFERENCE_ROWS = 100  # training rows the contributions are measured against
SAMPLED_ROWS = 20  # a sampled explanation's reference rows
BUDGET_S = 2.0  # longer than this (estimated): fewer column orderings, then a sampled explanation is offered
PERMUTATIONS = 10  # orderings of the columns the permutation explainer averages over
MIN_PERMUTATIONS = 2  # one ordering and its reverse
HEADROOM = 0.8  # of the budget for the orderings: the estimate itself and the set-up take the rest
SEED = 42
TREES = ("DecisionTreeClassifier", "RandomForestClassifier", "ExtraTreesClassifier")  # their raw output: probabilities
RAW_TREES = ("GradientBoostingClassifier", "HistGradientBoostingClassifier")  # raw output: a margin (shap #1028)
LINEAR = ("LogisticRegression", "RidgeClassifier", "LinearSVC", "SGDClassifier")


class ExplainError(WorkbenchError):
    """The model cannot be explained here (no reference rows, an output SHAP cannot read), said for people."""


@dataclass(frozen=True)
class TooLong(ExplainError):
    """An exact explanation would take longer than the budget: ``seconds`` estimated, ``sampled`` with fewer
    reference rows."""

    seconds: float
    sampled: float

    def __str__(self) -> str:
        return tr("explain.too_long", seconds=self.seconds, sampled=self.sampled)


@dataclass(frozen=True)
class Explanation:
    """One row's explanation for the class it was given."""

    label: str
    base: float  # the model's average output for ``label`` over the reference rows
    output: float  # the model's output for ``label`` on this row
    scale: str  # "probability" or "score" (a raw margin)
    contributions: pd.DataFrame  # feature, value (the row's), contribution; largest |contribution| first
    method: str  # "tree", "linear" or "permutation"
    reference_rows: int | None  # None: a tree model, measured against its own training rows (the trees' cover)
    sampled: bool
    seconds: float
    permutations: int | None = None  # the permutation explainer's orderings of the columns (None: exact)

    def strongest(self, count: int = 3) -> pd.DataFrame:
        return self.contributions.head(count)


def reference_rows(frame: pd.DataFrame, rows: int = REFERENCE_ROWS, seed: int = SEED) -> pd.DataFrame:
    """A seeded sample of at most ``rows`` training rows: what every contribution is measured against."""
    if len(frame) <= rows:
        return frame.reset_index(drop=True)
    return frame.sample(n=rows, random_state=seed).reset_index(drop=True)


def _parts(estimator):
    """(prepared-column steps, classifier, each prepared column's original column or None) of a pipeline."""
    from sklearn.pipeline import Pipeline

    if not isinstance(estimator, Pipeline) or len(estimator.steps) < 2:
        return None, estimator, None
    steps, classifier = estimator[:-1], estimator[-1]
    names = [name for name, _ in steps.steps]
    if names[0] != "prepare" or {"poly", "pca"} & set(names):
        return steps, classifier, None
    owners = _owners(steps.named_steps["prepare"])
    if "select" in names:
        owners = [o for o, keep in zip(owners, steps.named_steps["select"].get_support(), strict=True) if keep]
    return steps, classifier, owners


def _owners(prepare) -> list[str]:
    """The original column of each column the fitted ColumnTransformer writes, in its order."""
    owners: list[str] = []
    for name, transformer, columns in prepare.transformers_:
        if name == "remainder" or transformer == "drop":
            continue
        last = transformer.steps[-1][1] if hasattr(transformer, "steps") else transformer
        categories = getattr(last, "categories_", None)
        if categories is not None:
            for column, values in zip(columns, categories, strict=True):
                owners += [column] * len(values)
        else:
            owners += list(columns)
    return owners


def method_for(estimator) -> str:
    """Which SHAP explainer a fitted model gets: tree, linear or permutation."""
    _, classifier, owners = _parts(estimator)
    kind = type(classifier).__name__
    if owners is not None and kind in TREES + RAW_TREES:
        return "tree"
    if owners is not None and kind in LINEAR and hasattr(classifier, "coef_"):
        return "linear"
    return "permutation"


def _dense(matrix) -> np.ndarray:
    return np.asarray(matrix.toarray() if hasattr(matrix, "toarray") else matrix, dtype=float)


def _per_class(values, expected, classes: int) -> tuple[list[np.ndarray], np.ndarray]:
    """SHAP's values and base values as one (rows, columns) array and one base per class, whichever shape its
    explainer returns; a binary model explained by one margin gives the first class the margin's negative."""
    bases = np.atleast_1d(np.asarray(expected, dtype=float))
    if isinstance(values, list):
        return [np.asarray(v) for v in values], bases
    values = np.asarray(values)
    if values.ndim == 3:
        return [values[:, :, k] for k in range(values.shape[2])], bases
    if classes == 2 and bases.size == 1:
        return [-values, values], np.array([-bases[0], bases[0]])
    return [values], bases


def _by_column(values: np.ndarray, owners: list[str], features: list[str]) -> np.ndarray:
    """Sum prepared columns' values into their original columns (rows, features)."""
    summed = np.zeros((values.shape[0], len(features)))
    index = {f: i for i, f in enumerate(features)}
    for j, owner in enumerate(owners):
        summed[:, index[owner]] += values[:, j]
    return summed


def _codes(frame: pd.DataFrame, reference: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, dict[str, list]]:
    """Both frames as numbers for SHAP's masker: text columns become codes into the values seen in either."""
    categories = {}
    encoded = []
    for source in (frame, reference):
        encoded.append(source.copy())
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]) and pd.api.types.is_numeric_dtype(reference[column]):
            continue
        values = list(dict.fromkeys([*reference[column].tolist(), *frame[column].tolist()]))
        categories[column] = values
        lookup = {v if v == v else None: i for i, v in enumerate(values)}  # NaN != NaN: one code for missing
        for target in encoded:
            target[column] = [lookup[v if v == v else None] for v in target[column]]
    return encoded[0].to_numpy(dtype=float), encoded[1].to_numpy(dtype=float), categories


def _decoder(columns: list[str], categories: dict[str, list], dtypes):
    def decode(matrix: np.ndarray) -> pd.DataFrame:
        frame = pd.DataFrame(matrix, columns=columns)
        for column, values in categories.items():
            frame[column] = [values[int(round(c))] for c in frame[column]]
        return frame.astype({c: dtypes[c] for c in columns if c not in categories}, errors="ignore")

    return decode


def _orderings(columns: int, count: int, seed: int = SEED) -> list[np.ndarray]:
    """``count`` orderings of the columns, each followed by its reverse (antithetic pairs: the estimate's
    variance falls faster), the same for any ``count`` with one seed."""
    rng = np.random.default_rng(seed)
    found: list[np.ndarray] = []
    while len(found) < count:
        order = rng.permutation(columns)
        found += [order, order[::-1]]
    return found[:count]


def _per_ordering(output, row: np.ndarray, reference: np.ndarray, base: np.ndarray) -> float:
    """Seconds one ordering of one row takes, timed on the row with one ordering and its reverse."""
    started = time.perf_counter()
    permutation_values(output, row, reference, _orderings(row.shape[0], 2), base)
    return (time.perf_counter() - started) / 2


def permutation_values(
    output, row: np.ndarray, reference: np.ndarray, orderings: list[np.ndarray], base: np.ndarray
) -> np.ndarray:
    """Shapley values of one row for every output column, by SHAP's permutation method: along each ordering the
    row's values replace the reference rows' one column at a time and each column gets the change of the mean
    output it makes. Each ordering's changes add up to output(row) - mean output(reference) (``base``), so their
    average does too. ``output`` maps an (n, columns) array to (n, outputs); returns (columns, outputs)."""
    columns, rows = row.shape[0], len(reference)
    masks = np.zeros((len(orderings), columns - 1, columns), dtype=bool)
    for i, order in enumerate(orderings):
        for step in range(1, columns):
            masks[i, step - 1, order[:step]] = True
    mixed = np.where(masks[:, :, None, :], row[None, None, None, :], reference[None, None, :, :])
    means = output(mixed.reshape(-1, columns)).reshape(len(orderings), columns - 1, rows, -1).mean(axis=2)
    own = output(row[None, :])[0]
    curve = np.concatenate(
        [
            np.broadcast_to(base, (len(orderings), 1, base.size)),
            means,
            np.broadcast_to(own, (len(orderings), 1, own.size)),
        ],
        axis=1,
    )
    changes = np.diff(curve, axis=1)  # (orderings, columns, outputs), in each ordering's order
    values = np.zeros((columns, base.size))
    for i, order in enumerate(orderings):
        values[order] += changes[i]
    return values / len(orderings)


def explain(
    estimator,
    rows: pd.DataFrame,
    reference: pd.DataFrame,
    budget_s: float | None = BUDGET_S,
    sampled: bool = False,
) -> list[Explanation]:
    """Explain each row's prediction (its predicted class). Raises TooLong when the estimate exceeds
    ``budget_s`` (None: no limit); ``sampled`` measures against SAMPLED_ROWS reference rows instead."""
    if reference is None or reference.empty:
        raise ExplainError(tr("explain.no_reference"))
    features = list(rows.columns)
    reference = reference[features]
    if sampled:
        reference = reference_rows(reference, SAMPLED_ROWS)
    started = time.perf_counter()
    probabilities = np.asarray(estimator.predict_proba(rows))
    classes = [str(c) for c in estimator.classes_]
    chosen = probabilities.argmax(axis=1)
    method = method_for(estimator)
    steps, classifier, owners = _parts(estimator)
    permutations = None
    if method == "tree":
        # path-dependent: the trees' own training cover is the reference, exact for bagged forests too (the
        # interventional variant misses a bootstrapped forest's output by ~1e-3); raw is a probability for
        # scikit-learn's decision trees and forests, a margin for the boosted ones
        import shap

        prepared = _dense(steps.transform(rows))
        explainer = shap.TreeExplainer(classifier, model_output="raw", feature_perturbation="tree_path_dependent")
        values, bases = _per_class(
            explainer.shap_values(prepared, check_additivity=False), explainer.expected_value, len(classes)
        )
        per_class = [_by_column(v, owners, features) for v in values]
        raw = type(classifier).__name__ in RAW_TREES
        scale = "score" if raw else "probability"
        outputs = _raw_scores(classifier, prepared) if raw else probabilities
        reference = None
    elif method == "linear":
        import shap

        prepared, base_rows = _dense(steps.transform(rows)), _dense(steps.transform(reference))
        explainer = shap.LinearExplainer(classifier, base_rows)
        values, bases = _per_class(explainer.shap_values(prepared), explainer.expected_value, len(classes))
        per_class = [_by_column(v, owners, features) for v in values]
        scale = "score"
        outputs = _raw_scores(classifier, prepared)
    else:
        # our own loop rather than shap.PermutationExplainer: the same method, but SHAP's masking code is
        # compiled by numba on first use (~5 s per process), more than the whole budget
        coded, coded_reference, categories = _codes(rows, reference)
        decode = _decoder(features, categories, rows.dtypes)

        def output(matrix: np.ndarray) -> np.ndarray:
            return np.asarray(estimator.predict_proba(decode(matrix)), dtype=float)

        base = output(coded_reference).mean(axis=0)
        permutations = PERMUTATIONS
        if budget_s is not None:
            each = _per_ordering(output, coded[0], coded_reference, base)  # the probe itself took two of these
            seconds = each * PERMUTATIONS * len(rows)
            allowed = HEADROOM * budget_s - 2 * each
            if seconds > allowed:  # fewer orderings first: the values stay additive, only rougher
                permutations = int(allowed / (each * len(rows)))
                if permutations < MIN_PERMUTATIONS:
                    share = min(1.0, SAMPLED_ROWS / len(reference))
                    raise TooLong(seconds, seconds * share * MIN_PERMUTATIONS / PERMUTATIONS)
        orderings = _orderings(len(features), permutations)
        values = np.stack(
            [permutation_values(output, coded[i], coded_reference, orderings, base) for i in range(len(rows))]
        )  # (rows, columns, classes)
        per_class = {k: values[:, :, k] for k in range(len(classes))}
        bases = {k: np.full(len(rows), base[k]) for k in range(len(classes))}
        scale = "probability"
        outputs = probabilities
    seconds = (time.perf_counter() - started) / max(len(rows), 1)
    explained = []
    for i, k in enumerate(chosen):
        values = per_class[k][i]
        base = float(np.atleast_1d(bases[k])[i] if method == "permutation" else bases[k])
        frame = pd.DataFrame({"feature": features, "value": rows.iloc[i].tolist(), "contribution": values})
        frame = frame.reindex(frame["contribution"].abs().sort_values(ascending=False).index).reset_index(drop=True)
        explained.append(
            Explanation(
                classes[k],
                base,
                float(outputs[i, k]),
                scale,
                frame,
                method,
                len(reference) if reference is not None else None,
                sampled,
                seconds,
                permutations if method == "permutation" else None,
            )
        )
    return explained


def _raw_scores(classifier, prepared: np.ndarray) -> np.ndarray:
    """The classifier's margin per class, (rows, classes): what SHAP explains for linear and boosted models."""
    scores = np.asarray(classifier.decision_function(prepared), dtype=float)
    if scores.ndim == 1:  # binary: one margin, for the second class; the first class's is its negative
        scores = np.column_stack([-scores, scores])
    return scores


def sentence(explanation: Explanation, unit: dict[str, str] | None = None) -> str:
    """The strongest push in words: 'petal length (cm) = 5.1 pushed it most toward virginica (+0.42)'."""
    top = explanation.contributions.iloc[0]
    toward = top["contribution"] >= 0
    key = "explain.pushed_toward" if toward else "explain.pushed_away"
    return tr(
        key,
        feature=top["feature"],
        value=value_text(top["value"]),
        label=explanation.label,
        amount=("+" if top["contribution"] >= 0 else "") + significant(float(top["contribution"]), 3),
    )


def value_text(value: object, language: str | None = None) -> str:
    """A row's value as the reader writes it (a number to four significant digits, a gap as a dash)."""
    if isinstance(value, float | np.floating):
        return "—" if value != value else significant(float(value), 4, language)
    return "—" if value is None else str(value)


def summary(explanations: list[Explanation]) -> pd.DataFrame:
    """The features that matter most across explained rows: mean |contribution|, largest first."""
    if not explanations:
        return pd.DataFrame(columns=["feature", "mean_abs"])
    frames = [e.contributions[["feature", "contribution"]] for e in explanations]
    both = pd.concat(frames)
    table = both.assign(mean_abs=both["contribution"].abs()).groupby("feature", sort=False)["mean_abs"].mean()
    return table.sort_values(ascending=False).reset_index()


def training_reference(model: ServedModel) -> pd.DataFrame | None:
    """A seeded sample of the served version's training rows (None: the workbench does not know them)."""
    from mlflow.exceptions import MlflowException

    if not model.run_id or not model.named_inputs:
        return None
    try:
        data_run = data_run_of(model.run_id)
        record = datastore.load_dataset(data_run) if data_run else None
    except (MlflowException, ValueError, OSError):
        return None
    if record is None or any(f not in record.frame.columns for f in model.features):
        return None
    return reference_rows(record.frame.iloc[record.split.train][model.features])


def explain_served(
    model: ServedModel,
    rows: pd.DataFrame,
    reference: pd.DataFrame | None,
    budget_s: float | None = BUDGET_S,
    sampled: bool = False,
) -> list[Explanation]:
    """Explain a served version's predictions for ``rows`` (typed as its training rows were)."""
    estimator = model.estimator
    if estimator is None or not hasattr(estimator, "predict_proba") or not model.named_inputs:
        raise ExplainError(tr("explain.not_explainable"))
    if reference is None:
        raise ExplainError(tr("explain.no_reference"))
    typed = as_trained(model, rows[model.features].reset_index(drop=True))
    return explain(estimator, typed, as_trained(model, reference), budget_s, sampled)


def short(explanation: Explanation) -> str:
    """The strongest push in a few words, for a column: 'petal length (cm) = 5.1 → virginica (+0.42)'."""
    top = explanation.contributions.iloc[0]
    arrow = "→" if top["contribution"] >= 0 else "↛"
    value = value_text(top["value"], "en")  # a column of a file: one notation for every reader
    return f"{top['feature']} = {value} {arrow} {explanation.label} ({top['contribution']:+.3g})"
