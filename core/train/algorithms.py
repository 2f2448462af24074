"""A1 and A2: the classifier catalogue and the preprocessing pipeline every model is trained in."""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, replace

import pandas as pd

from core.common.errors import WorkbenchError
from core.common.i18n import tr
from core.train.features import FeatureSteps, build_preprocessing


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
    search: tuple[float, float] | None = None  # default search range when narrower than the widget's
    tuned: bool = True  # part of the default search space
    text: str = ""  # its catalogue texts: algorithms.params.<text>.label/.help (default: its name)

    @property
    def search_range(self) -> tuple[float, float]:
        return self.search or (self.low, self.high)

    @property
    def shown_label(self) -> str:
        """The label in the current language (``label`` stays English: it goes into files and the store)."""
        return tr(f"algorithms.params.{self.text or self.name}.label")

    @property
    def shown_help(self) -> str:
        """The help text in the current language ("" when it has none)."""
        return tr(f"algorithms.params.{self.text or self.name}.help") if self.help else ""

    def shown(self) -> Param:
        """This hyperparameter with its label and help in the current language, for a widget."""
        return replace(self, label=self.shown_label, help=self.shown_help)


@dataclass(frozen=True)
class Algorithm:
    """A classifier the workbench offers."""

    key: str
    label: str
    description: str
    params: tuple[Param, ...]
    estimator: str  # import path of the scikit-learn class
    needs_scaling: bool
    fixed: tuple[tuple[str, object], ...] = ()  # settings people do not tune (e.g. probability=True)
    seeded: bool = True  # accepts random_state

    @property
    def shown_label(self) -> str:
        """The name in the current language (``label`` stays English: it goes into files and the store)."""
        return tr(f"algorithms.{self.key}.label")

    @property
    def shown_description(self) -> str:
        return tr(f"algorithms.{self.key}.description")

    def factory(self, random_state: int | None = None, **params):
        """A fresh estimator with these hyperparameters."""

        module, _, name = self.estimator.rpartition(".")
        cls = getattr(importlib.import_module(module), name)
        seed = {"random_state": random_state} if self.seeded else {}
        return cls(**params, **dict(self.fixed), **seed)


def _int(name, label, default, low, high, **kw) -> Param:
    return Param(name, label, "int", default, low, high, **kw)


def _log(name, label, default, low, high, **kw) -> Param:
    return Param(name, label, "float", default, low, high, log=True, **kw)


def _choice(name, label, default, choices, **kw) -> Param:
    return Param(name, label, "choice", default, choices=tuple(choices), **kw)


_DEPTH = _int("max_depth", "Maximum tree depth (0 = unlimited)", 5, 0, 30, none_label="unlimited", search=(2, 20))
_LEAF = _int(
    "min_samples_leaf", "Minimum rows per leaf", 1, 1, 20, help="Larger: smoother, less overfitting.", search=(1, 10)
)
_TREES = _int("n_estimators", "Number of trees", 100, 10, 500, help="More trees: steadier, slower.", search=(50, 300))


def _forest(key: str, label: str, description: str, estimator: str) -> Algorithm:
    """A tree ensemble: trees, depth and leaf size, no scaling, one core per fit (the search parallelises trials)."""
    return Algorithm(
        key, label, description, (_TREES, _DEPTH, _LEAF), estimator, needs_scaling=False, fixed=(("n_jobs", 1),)
    )


ALGORITHMS: dict[str, Algorithm] = {
    a.key: a
    for a in (
        Algorithm(
            "logistic_regression",
            "Logistic regression",
            "A linear model of class probabilities. Fast, easy to explain, a strong baseline when classes are "
            "separable by straight boundaries.",
            (
                _log(
                    "C",
                    "Inverse regularisation strength C",
                    1.0,
                    0.001,
                    100.0,
                    help="Smaller C: simpler model, less overfitting.",
                    text="C_inverse",
                ),
                _int("max_iter", "Maximum iterations", 1000, 100, 5000, tuned=False, text="max_iter_logistic"),
            ),
            "sklearn.linear_model.LogisticRegression",
            needs_scaling=True,
        ),
        Algorithm(
            "knn",
            "k-nearest neighbours",
            "Predicts the class most common among the k most similar training rows. No training, intuitive; "
            "slow to predict on large data and sensitive to scaling (done for you).",
            (
                _int(
                    "n_neighbors",
                    "Neighbours k",
                    5,
                    1,
                    50,
                    help="Small k: wiggly boundaries; large k: smooth.",
                    search=(1, 30),
                ),
                _choice("weights", "Vote weights", "uniform", ("uniform", "distance")),
            ),
            "sklearn.neighbors.KNeighborsClassifier",
            needs_scaling=True,
            seeded=False,
        ),
        Algorithm(
            "svc",
            "Support vector machine",
            "Finds the widest margin between classes, with a kernel for curved boundaries. Strong on small and "
            "medium data; slow beyond tens of thousands of rows.",
            (
                _log(
                    "C",
                    "Penalty C",
                    1.0,
                    0.01,
                    100.0,
                    help="Larger C: fits the training rows more closely.",
                    text="C_penalty",
                ),
                _choice("kernel", "Kernel", "rbf", ("rbf", "linear", "poly")),
                _choice("gamma", "Kernel width gamma", "scale", ("scale", "auto")),
            ),
            "sklearn.svm.SVC",
            needs_scaling=True,
            fixed=(("probability", True),),
        ),
        Algorithm(
            "decision_tree",
            "Decision tree",
            "A single tree of yes/no questions. Easy to read and explain; overfits unless its depth is limited.",
            (_DEPTH, _LEAF),
            "sklearn.tree.DecisionTreeClassifier",
            needs_scaling=False,
        ),
        _forest(
            "random_forest",
            "Random forest",
            "Many decision trees vote on the class. Robust, needs little tuning, handles non-linear patterns; "
            "slower to predict with many deep trees.",
            "sklearn.ensemble.RandomForestClassifier",
        ),
        _forest(
            "extra_trees",
            "Extra trees",
            "Like a random forest with more randomly chosen split points: often as accurate, faster to train.",
            "sklearn.ensemble.ExtraTreesClassifier",
        ),
        Algorithm(
            "hist_gradient_boosting",
            "Histogram gradient boosting",
            "Builds trees one after another, each fixing the previous ones' mistakes. Often the most accurate on "
            "tabular data; fast on large data.",
            (
                _log("learning_rate", "Learning rate", 0.1, 0.01, 1.0, help="Smaller: slower, often better."),
                _int("max_iter", "Boosting rounds", 100, 20, 500, search=(20, 300), text="max_iter_boosting"),
                _int("max_leaf_nodes", "Leaves per tree", 31, 4, 128, search=(4, 64)),
            ),
            "sklearn.ensemble.HistGradientBoostingClassifier",
            needs_scaling=False,
        ),
        Algorithm(
            "gaussian_nb",
            "Gaussian naive Bayes",
            "Assumes each feature is bell-shaped within a class and features are independent. Very fast, needs "
            "little data; a good sanity baseline.",
            (_log("var_smoothing", "Variance smoothing", 1e-9, 1e-12, 1e-3, help="Adds stability to tiny variances."),),
            "sklearn.naive_bayes.GaussianNB",
            needs_scaling=False,
            seeded=False,
        ),
        Algorithm(
            "mlp",
            "Neural network (MLP)",
            "A small fully connected neural network. Learns complex patterns given enough rows; needs scaling "
            "(done for you) and more tuning.",
            (
                _choice("hidden_layer_sizes", "Hidden layers", (100,), ((50,), (100,), (50, 50), (100, 50))),
                _log("alpha", "L2 penalty alpha", 1e-4, 1e-6, 1.0),
                _int("max_iter", "Maximum epochs", 500, 100, 2000, tuned=False, text="max_iter_mlp"),
            ),
            "sklearn.neural_network.MLPClassifier",
            needs_scaling=True,
        ),
    )
}


class AlgorithmError(WorkbenchError):
    """An algorithm or hyperparameter that cannot be used."""


def default_params(key: str) -> dict[str, object]:
    """The default hyperparameters of an algorithm."""
    return {p.name: p.default for p in get_algorithm(key).params}


def get_algorithm(key: str) -> Algorithm:
    """The catalogue entry for a key, or AlgorithmError naming the choices."""
    if key not in ALGORITHMS:
        raise AlgorithmError(tr("algorithms.unknown", key=key, choices=", ".join(ALGORITHMS)))
    return ALGORITHMS[key]


def clean_params(key: str, params: dict[str, object]) -> dict[str, object]:
    """Check and convert hyperparameters to the estimator's types; 0 means None where allowed."""
    algorithm = get_algorithm(key)
    known = {p.name: p for p in algorithm.params}
    unknown = set(params) - set(known)
    if unknown:
        raise AlgorithmError(
            tr("algorithms.no_such_params", algorithm=algorithm.shown_label, names=", ".join(sorted(unknown)))
        )
    cleaned: dict[str, object] = {}
    for name, spec in known.items():
        value = params.get(name, spec.default)
        if value is None and spec.none_label:  # already cleaned: None is what 0 stands for
            cleaned[name] = None
            continue
        if spec.kind in ("int", "float"):
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise AlgorithmError(tr("algorithms.not_a_number", label=spec.shown_label, value=value)) from None
            if not math.isfinite(number):
                raise AlgorithmError(tr("algorithms.not_finite", label=spec.shown_label, value=value))
            if spec.kind == "int" and not number.is_integer():
                raise AlgorithmError(tr("algorithms.not_whole", label=spec.shown_label, value=value))
            value = int(number) if spec.kind == "int" else number
            if (spec.low is not None and value < spec.low) or (spec.high is not None and value > spec.high):
                raise AlgorithmError(
                    tr("algorithms.out_of_range", label=spec.shown_label, low=spec.low, high=spec.high, value=value)
                )
            if spec.none_label and value == 0:
                value = None
        elif spec.kind == "choice":
            value = choice_value(spec, value)
        cleaned[name] = value
    return cleaned


def choice_text(value: object) -> str:
    """How a choice reads in the UI, the CLI and MLflow params: (50, 50) -> '50,50'."""
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def choice_value(spec: Param, value: object) -> object:
    """The catalogue's value for a choice given as itself or as its text (from the CLI or MLflow)."""
    for choice in spec.choices:
        if value == choice or str(value).replace(" ", "").strip("()[],") == choice_text(choice):
            return choice
    options = ", ".join(choice_text(c) for c in spec.choices)
    raise AlgorithmError(tr("algorithms.not_a_choice", label=spec.shown_label, options=options, value=value))


def build_pipeline(key: str, params: dict[str, object], X: pd.DataFrame, seed: int = 42, steps=None):
    """The whole model: A2's feature steps (default: impute, scale where needed, one-hot) feeding the classifier.

    It takes raw rows, so the logged model needs no preprocessing code at predict time.
    """
    from sklearn.pipeline import Pipeline

    algorithm = get_algorithm(key)
    steps = steps or FeatureSteps()
    estimator = algorithm.factory(**clean_params(key, params), random_state=seed)
    return Pipeline([*build_preprocessing(X, steps, algorithm.needs_scaling, seed), ("classifier", estimator)])
