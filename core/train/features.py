"""A2 — adapting features: the preprocessing steps of the one scikit-learn Pipeline every model is trained in.

Raw rows go in; the ColumnTransformer imputes, scales and one-hot encodes by column type, then optional
polynomial features, univariate selection and PCA shape what the classifier sees. Because it is all one
Pipeline, the logged model takes raw rows and needs no preprocessing code at predict time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from core.common.errors import WorkbenchError
from core.common.i18n import DEFAULT_LANGUAGE, tr, translate

IMPUTERS = {"median": "median of the column", "mean": "mean of the column", "most_frequent": "most common value"}
SCALERS = {
    "auto": "standard scaling where the algorithm needs it, none for trees and naive Bayes",
    "standard": "standard (mean 0, standard deviation 1)",
    "minmax": "min-max (0 to 1)",
    "robust": "robust (median and quartiles; resists outliers)",
    "none": "none",
}
PARAM_PREFIX = "prep."
MAX_POLY_DEGREE = 3


class FeatureError(WorkbenchError):
    """A feature step setting that cannot be used."""


@dataclass(frozen=True)
class FeatureSteps:
    """The A2 settings of a pipeline. 0 switches PCA and selection off; degree 1 switches polynomials off."""

    impute: str = "median"
    scaling: str = "auto"
    poly_degree: int = 1
    select_k: int = 0  # keep the k features with the highest ANOVA F score
    pca: int = 0  # project onto this many principal components

    def __post_init__(self):
        if self.impute not in IMPUTERS:
            raise FeatureError(tr("algorithms.features.bad_impute", choices=", ".join(IMPUTERS), value=self.impute))
        if self.scaling not in SCALERS:
            raise FeatureError(tr("algorithms.features.bad_scaling", choices=", ".join(SCALERS), value=self.scaling))
        for name, value, low in (("poly_degree", self.poly_degree, 1), ("select_k", self.select_k, 0)):
            if not isinstance(value, int) or value < low:
                what = tr(f"algorithms.features.{name}")
                raise FeatureError(tr("algorithms.features.too_small", name=what, low=low, value=value))
        if self.poly_degree > MAX_POLY_DEGREE:
            raise FeatureError(tr("algorithms.features.poly_too_high", high=MAX_POLY_DEGREE, value=self.poly_degree))
        if not isinstance(self.pca, int) or self.pca < 0:
            raise FeatureError(tr("algorithms.features.bad_pca", value=self.pca))

    def as_params(self) -> dict[str, object]:
        """MLflow params of these steps (``prep.scaling`` …), read back by ``from_params``."""
        return {PARAM_PREFIX + k: v for k, v in asdict(self).items()}

    @classmethod
    def from_params(cls, params: dict[str, object]) -> FeatureSteps:
        """The steps recorded in a run's params; runs from before A2 get the defaults they were trained with."""
        kwargs = {}
        for name, default in asdict(cls()).items():
            value = params.get(PARAM_PREFIX + name, default)
            kwargs[name] = int(value) if isinstance(default, int) else str(value)
        return cls(**kwargs)

    def describe(self, needs_scaling: bool | None = None, language: str = DEFAULT_LANGUAGE) -> str:
        """One plain sentence of what happens to the features (``needs_scaling`` None: for any algorithm).

        English unless a ``language`` is asked for: the sentence also goes into model cards and exported scripts.
        """

        def text(key: str, **fields: object) -> str:
            return translate(f"algorithms.features.{key}", language, **fields)

        parts = [text("describe_impute", imputer=text(f"impute_{self.impute}"))]
        if self.scaling == "auto" and needs_scaling is None:
            parts.append(text("describe_auto"))
        else:
            scaling = self.effective_scaling(bool(needs_scaling))
            scaled = text("describe_scaled", scaler=text(f"scaling_{scaling}"))
            parts.append(text("describe_not_scaled") if scaling == "none" else scaled)
        parts.append(text("describe_onehot"))
        if self.poly_degree > 1:
            parts.append(text("describe_poly", degree=self.poly_degree))
        if self.select_k:
            parts.append(text("describe_select", k=self.select_k))
        if self.pca:
            parts.append(text("describe_pca", components=self.pca))
        return "; ".join(parts) + "."

    def effective_scaling(self, needs_scaling: bool) -> str:
        if self.scaling == "auto":
            return "standard" if needs_scaling else "none"
        return self.scaling


def column_kinds(X: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
    """Numeric, boolean and categorical feature columns, by dtype."""
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])]
    boolean = [c for c in X.columns if pd.api.types.is_bool_dtype(X[c])]
    categorical = [c for c in X.columns if c not in numeric and c not in boolean]
    return numeric, boolean, categorical


def _scaler(kind: str):
    from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

    return {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}[kind]()


def build_preprocessing(X: pd.DataFrame, steps: FeatureSteps, needs_scaling: bool, seed: int = 42) -> list[tuple]:
    """The Pipeline steps before the classifier: prepare (by column type), then poly, select and PCA as set.

    Selection and PCA sizes larger than the prepared width are capped to it, so a setting chosen on one data
    set does not fail on a narrower one; the cap is what the fitted pipeline reports.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.decomposition import PCA
    from sklearn.feature_selection import SelectKBest, f_classif
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures

    numeric, boolean, categorical = column_kinds(X)
    numeric_steps = [("impute", SimpleImputer(strategy=steps.impute))]
    scaling = steps.effective_scaling(needs_scaling)
    if scaling != "none":
        numeric_steps.append(("scale", _scaler(scaling)))
    transformers = []

    def onehot(columns: list[str], impute: bool) -> OneHotEncoder:
        categories = "auto"
        if steps.pca:
            # PCA needs the same width in every CV fold, and a fold may lack a rare category: name them all
            values = SimpleImputer(strategy="most_frequent").fit_transform(X[columns]) if impute else X[columns]
            categories = OneHotEncoder().fit(values).categories_
        return OneHotEncoder(categories=categories, handle_unknown="ignore", sparse_output=False)

    if numeric:
        transformers.append(("numeric", Pipeline(numeric_steps), numeric))
    if boolean:  # a bool column has no missing values, and scikit-learn's imputers refuse the dtype
        transformers.append(("boolean", onehot(boolean, impute=False), boolean))
    if categorical:
        encode = [("impute", SimpleImputer(strategy="most_frequent")), ("onehot", onehot(categorical, impute=True))]
        transformers.append(("categorical", Pipeline(encode), categorical))
    result: list[tuple] = [("prepare", ColumnTransformer(transformers))]
    if steps.poly_degree > 1:
        result.append(("poly", PolynomialFeatures(degree=steps.poly_degree, include_bias=False)))
    if steps.select_k or steps.pca:
        width = prepared_width(X, result)
        if steps.select_k:
            width = min(steps.select_k, width)
            result.append(("select", SelectKBest(f_classif, k=width)))
        if steps.pca:
            # PCA cannot have more components than the rows of the smallest CV training fold
            components = max(1, min(steps.pca, width, len(X) // 2))
            result.append(("pca", PCA(n_components=components, random_state=seed)))
    return result


def prepared_width(X: pd.DataFrame, steps: list[tuple]) -> int:
    """How many columns these (unfitted) steps produce for X."""
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    return int(Pipeline([(name, clone(step)) for name, step in steps]).fit_transform(X).shape[1])
