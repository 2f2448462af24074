"""A³ — a run's recipe read back from MLflow: its algorithm, typed hyperparameters, feature steps and, for a search,
the search configuration it logged as ``search.json``. One home for retraining, export, the CLI, the compare page
and the model card."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.common.errors import WorkbenchError
from core.common.i18n import tr
from core.train.algorithms import AlgorithmError, Param, choice_value, clean_params, get_algorithm
from core.train.features import FeatureSteps
from core.train.search_space import Dimension, SearchSpaceError
from core.train.training import TAG_SEARCH
from core.train.tuning import SearchConfig

SEARCH_JSON = "search.json"  # the artifact a search run logs its SearchConfig as (SearchConfig.as_dict)


class RecipeError(WorkbenchError):
    """A run whose recipe cannot be read back: no search.json, or settings the catalogue does not know."""


@dataclass(frozen=True)
class Recipe:
    """How the champion was made, so it can be made again on new data."""

    kind: str  # "search" (rerun search.json) or "train" (one training run)
    source_run: str
    algorithm: str
    params: dict[str, object] = field(default_factory=dict)  # "train": the hyperparameters as logged
    steps: FeatureSteps = FeatureSteps()
    cv_folds: int = 5
    search: SearchConfig | None = None  # for "search"

    def describe(self) -> str:
        if self.kind == "search":
            config = self.search
            trials = (
                tr("retrain.trials", count=config.max_trials) if config.max_trials else tr("retrain.no_trial_limit")
            )
            return tr(
                "retrain.recipe_search",
                method=config.method,
                algorithm=self.algorithm,
                trials=trials,
                folds=config.cv_folds,
                metric=config.metric,
                run=self.source_run[:8],
            )
        return tr("retrain.recipe_train", algorithm=self.algorithm, run=self.source_run[:8])


def read_search_json(run_id: str) -> dict:
    """The search configuration a search run logged (``search.json``); RecipeError when it has none."""
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        data = mlflow.artifacts.load_dict(f"runs:/{run_id}/{SEARCH_JSON}")
    except (MlflowException, OSError, ValueError):
        raise RecipeError(tr("retrain.err_no_search_json", run=run_id[:8])) from None
    if not isinstance(data, dict):
        raise RecipeError(tr("retrain.err_no_search_json", run=run_id[:8]))
    return data


def typed_value(spec: Param, value: object) -> object:
    """One logged hyperparameter (text) as the catalogue's type; 0 stays 0 where it means 'unlimited'."""
    if spec.kind == "choice":
        return choice_value(spec, value)
    if value is None or str(value) == "None":
        return 0 if spec.none_label else spec.default
    number = float(value)
    return int(number) if spec.kind == "int" else number


def typed_params(algorithm: str, raw: dict[str, object]) -> dict[str, object]:
    """Logged or typed-in hyperparameters (text) as the catalogue's types, for the names ``raw`` gives."""
    specs = {p.name: p for p in get_algorithm(algorithm).params}
    return {name: typed_value(specs[name], value) for name, value in raw.items()}


def search_config_from_dict(data: dict) -> SearchConfig:
    """The SearchConfig a search logged as search.json (``SearchConfig.as_dict``), with choices as values again."""
    try:
        algorithm = data["algorithm"]
        specs = {p.name: p for p in get_algorithm(algorithm).params}
        space = []
        for d in data.get("space") or []:
            space.append(Dimension.from_dict(d, specs[d["name"]]))
        base = {name: typed_value(specs[name], value) for name, value in (data.get("base_params") or {}).items()}
        known = set(SearchConfig.__dataclass_fields__) - {"algorithm", "space", "base_params", "steps"}
        config = SearchConfig(
            algorithm=algorithm,
            space=tuple(space),
            base_params=base,
            steps=FeatureSteps(**(data.get("steps") or {})),
            **{k: v for k, v in data.items() if k in known},
        )
        config.validate()
    except (KeyError, TypeError, ValueError, AlgorithmError, SearchSpaceError) as exc:
        raise RecipeError(tr("retrain.err_search_config", error=exc)) from None
    return config


def steps_of(*params: dict[str, object], search: dict | None = None) -> FeatureSteps:
    """The feature steps of the first params that record them (``prep.*``), else of a search's search.json,
    else the defaults."""
    for given in params:
        if any(k.startswith("prep.") for k in given):
            return FeatureSteps.from_params(given)
    if search and isinstance(search.get("steps"), dict):
        return FeatureSteps(**search["steps"])
    return FeatureSteps()


def recipe_of(run) -> Recipe:
    """How a run's model was made: its search.json when it was a search, else its training run's params."""
    params, tags = run.data.params, run.data.tags
    run_id = run.info.run_id
    if tags.get(TAG_SEARCH):
        config = search_config_from_dict(read_search_json(run_id))
        return Recipe("search", run_id, config.algorithm, steps=config.steps, cv_folds=config.cv_folds, search=config)
    algorithm = params.get("algorithm")
    try:
        spec = get_algorithm(algorithm or "")
        raw = {p.name: params.get(p.name, p.default) for p in spec.params}
        clean_params(algorithm, raw)
        steps = FeatureSteps.from_params(params)
        folds = int(params.get("cv_folds") or 5)
        typed = typed_params(algorithm, raw)
    except (AlgorithmError, ValueError, TypeError) as exc:
        raise RecipeError(tr("retrain.err_no_recipe", run=run_id[:8], error=exc)) from None
    return Recipe("train", run_id, algorithm, typed, steps, max(2, folds))
