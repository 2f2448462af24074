"""A1 and A2: the classifier catalogue and the preprocessing pipeline every model is trained in."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Param:
    """A hyperparameter a person can set, with its widget range."""

    name: str
    label: str
    kind: str  # "int", "float", "choice"
    default: object
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple = ()
    help: str = ""
    none_label: str | None = None  # a value of 0 means None (e.g. unlimited depth)


@dataclass(frozen=True)
class Algorithm:
    """A classifier the workbench offers."""

    key: str
    label: str
    description: str
    params: tuple[Param, ...]
    factory: Callable[..., object]
    needs_scaling: bool


def _random_forest(**params):
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(**params, n_jobs=1)


def _logistic_regression(**params):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(**params)


ALGORITHMS: dict[str, Algorithm] = {
    "random_forest": Algorithm(
        key="random_forest",
        label="Random forest",
        description="Many decision trees vote on the class. Robust, needs little tuning, handles "
        "non-linear patterns; slower to predict with many deep trees.",
        params=(
            Param(
                "n_estimators",
                "Number of trees",
                "int",
                100,
                10,
                500,
                help="More trees: steadier, slower.",
            ),
            Param(
                "max_depth",
                "Maximum tree depth (0 = unlimited)",
                "int",
                5,
                0,
                30,
                none_label="unlimited",
            ),
            Param("min_samples_leaf", "Minimum rows per leaf", "int", 1, 1, 20),
        ),
        factory=_random_forest,
        needs_scaling=False,
    ),
    "logistic_regression": Algorithm(
        key="logistic_regression",
        label="Logistic regression",
        description="A linear model of class probabilities. Fast, easy to explain, a strong baseline "
        "when classes are separable by straight boundaries.",
        params=(
            Param(
                "C",
                "Inverse regularisation strength C",
                "float",
                1.0,
                0.001,
                100.0,
                log=True,
                help="Smaller C: simpler model, less overfitting.",
            ),
            Param("max_iter", "Maximum iterations", "int", 1000, 100, 5000),
        ),
        factory=_logistic_regression,
        needs_scaling=True,
    ),
}


class AlgorithmError(ValueError):
    """An algorithm or hyperparameter that cannot be used."""


def default_params(key: str) -> dict[str, object]:
    """The default hyperparameters of an algorithm."""
    return {p.name: p.default for p in get_algorithm(key).params}


def get_algorithm(key: str) -> Algorithm:
    """The catalogue entry for a key, or AlgorithmError naming the choices."""
    if key not in ALGORITHMS:
        raise AlgorithmError(f"Unknown algorithm '{key}'. Choose one of: {', '.join(ALGORITHMS)}.")
    return ALGORITHMS[key]


def clean_params(key: str, params: dict[str, object]) -> dict[str, object]:
    """Check and convert hyperparameters to the estimator's types; 0 means None where allowed."""
    algorithm = get_algorithm(key)
    known = {p.name: p for p in algorithm.params}
    unknown = set(params) - set(known)
    if unknown:
        raise AlgorithmError(f"{algorithm.label} has no hyperparameter {', '.join(sorted(unknown))}.")
    cleaned: dict[str, object] = {}
    for name, spec in known.items():
        value = params.get(name, spec.default)
        if spec.kind in ("int", "float"):
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise AlgorithmError(f"{spec.label} must be a number, not '{value}'.") from None
            if not math.isfinite(number):
                raise AlgorithmError(f"{spec.label} must be a finite number, not '{value}'.")
            if spec.kind == "int" and not number.is_integer():
                raise AlgorithmError(f"{spec.label} must be a whole number, not '{value}'.")
            value = int(number) if spec.kind == "int" else number
            if (spec.low is not None and value < spec.low) or (spec.high is not None and value > spec.high):
                raise AlgorithmError(f"{spec.label} must be between {spec.low:g} and {spec.high:g}, not {value:g}.")
            if spec.none_label and value == 0:
                value = None
        cleaned[name] = value
    return cleaned


def build_pipeline(key: str, params: dict[str, object], X: pd.DataFrame, seed: int = 42):
    """A Pipeline of imputation, scaling and one-hot encoding feeding the classifier; takes raw rows."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    algorithm = get_algorithm(key)
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])]
    boolean = [c for c in X.columns if pd.api.types.is_bool_dtype(X[c])]
    categorical = [c for c in X.columns if c not in numeric and c not in boolean]
    numeric_steps = [("impute", SimpleImputer(strategy="median"))]
    if algorithm.needs_scaling:
        numeric_steps.append(("scale", StandardScaler()))
    transformers = []
    if numeric:
        transformers.append(("numeric", Pipeline(numeric_steps), numeric))
    if boolean:  # a bool column has no missing values, and scikit-learn's imputers refuse the dtype
        transformers.append(("boolean", OneHotEncoder(handle_unknown="ignore", sparse_output=False), boolean))
    if categorical:
        transformers.append(
            (
                "categorical",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        (
                            "onehot",
                            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                        ),
                    ]
                ),
                categorical,
            )
        )
    estimator = algorithm.factory(**clean_params(key, params), random_state=seed)
    return Pipeline([("prepare", ColumnTransformer(transformers)), ("classifier", estimator)])
