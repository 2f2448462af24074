"""Export as code: any model run of the workbench as a standalone scikit-learn script that reproduces it.

The script is what a person would have written by hand in the handout's ``train.py`` world: it imports only
mlflow, pandas and scikit-learn, reads the run's data run from the same MLflow store, rebuilds the exact
pipeline (column lists, feature steps, hyperparameters and seeds written out as literals), cross-validates it
with the same folds and scores, prints each score next to the recorded one and fails when the primary score
differs; with ``--log`` it logs the refit model as a new run tagged with the run it reproduces.

Everything the workbench decided at training time (which columns are numbers, how far selection and PCA were
capped, how many folds the smallest class allowed, which seed a search used) is computed here with the same
core functions and written into the script, so the script needs no workbench code to agree with it. The
script's text is the template core/codegen/templates/train_script.py.j2, which writes every value as a Python
literal (core.codegen.render).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from core.codegen.render import Code, call, literal, render
from core.common.config import SECRET_PARAMS, active_store, looks_like_login
from core.common.errors import WorkbenchError
from core.common.i18n import tr
from core.data.datastore import TAG_DIGEST, TAG_KIND, DatasetRecord, load_dataset
from core.data.sets import DataError
from core.question.kpis import SCORE_METRICS
from core.train.algorithms import Algorithm, AlgorithmError, build_pipeline, choice_text, clean_params, get_algorithm
from core.train.features import FeatureError, FeatureSteps, column_kinds
from core.train.recipe import RecipeError, read_search_json, steps_of
from core.train.training import TAG_ALGORITHM, TAG_DATA_RUN, TAG_SEARCH, cv_folds_for

TAG_REPRODUCES = "qua3ck.reproduces"
TAG_PARENT = "mlflow.parentRunId"
PRIMARY_METRIC = "cv_accuracy"
TOLERANCE = 1e-9


class ExportError(WorkbenchError):
    """A run that cannot be exported as a script; the message says why in one sentence."""


@dataclass(frozen=True)
class ExportSpec:
    """Everything the script writes out: the run, its data, its pipeline settings and its recorded scores."""

    run_id: str
    run_name: str
    kind: str  # "train", "search" or "trial"
    experiment_id: str
    experiment_name: str
    algorithm: Algorithm
    raw_params: dict[str, object]  # as recorded (0 = unlimited depth, choices as text)
    params: dict[str, object]  # as the estimator takes them (clean_params)
    steps: FeatureSteps
    folds: int
    seed: int
    dataset: DatasetRecord
    numeric: list[str]
    boolean: list[str]
    categorical: list[str]
    select_k: int  # as capped for this data (0: no selection)
    pca: int  # as capped for this data (0: no PCA)
    recorded: dict[str, float]
    tracking_uri: str
    parent_id: str | None = None  # a trial's search run
    # the one-hot categories the workbench fixed per column group (None: learnt per fit, "auto")
    categories: dict[str, list | None] = field(default_factory=dict)
    pipeline: object = field(default=None, repr=False, compare=False)  # core's pipeline, to check the script

    @property
    def description(self) -> str:
        return {
            "train": "training run",
            "search": "search run (its best trial refit on the whole training split)",
            "trial": f"trial of the search run {self.parent_id}",
        }[self.kind]

    def log_params(self) -> dict[str, str]:
        """The params the workbench logs for a model run (``core.train.training.run_params``), as text."""
        hyper = {}
        for p in self.algorithm.params:
            value = self.params[p.name]
            hyper[p.name] = "0" if value is None and p.none_label else choice_text(value)
        return {
            "algorithm": self.algorithm.key,
            **hyper,
            **{k: str(v) for k, v in self.steps.as_params().items()},
            "cv_folds": str(self.folds),
            "random_seed": str(self.seed),
            "split_seed": str(self.dataset.split.seed),
            "test_size": str(self.dataset.split.test_size),
            "train_rows": str(len(self.dataset.split.train)),
            "features": str(len(self.dataset.features)),
        }


# ----------------------------------------------------------------------------------------------- public API


def export_script(run_id: str) -> str:
    """A standalone Python script that, run against the same MLflow store, rebuilds this run's pipeline, prints
    its cross-validated scores next to the recorded ones, and (with --log) logs the refit model as a new run."""
    spec = export_spec(run_id)
    source = render_script(spec)
    check_script(source, spec)
    return source


def check_script(source: str, spec: ExportSpec) -> None:
    """Refuse to hand out a script whose pipeline differs in any setting from the one the workbench builds.

    The script's own ``build_pipeline`` is run here (its module level only defines constants and functions)
    and compared parameter by parameter, so a change in ``core.train.features`` or the catalogue that this module
    does not write out yet fails loudly instead of exporting a script that silently trains something else.
    """
    namespace: dict = {"__name__": "exported_script"}
    exec(compile(source, "<exported script>", "exec"), namespace)  # our own generated code
    theirs, ours = _settings(namespace["build_pipeline"]()), _settings(spec.pipeline)
    if theirs != ours:
        raise RuntimeError(tr("compare.export.differs", run=spec.run_id, script=theirs, workbench=ours))


def _settings(value):
    """Every parameter of an estimator, recursively, as plain comparable values (arrays as lists)."""

    if hasattr(value, "get_params") and not isinstance(value, type):
        return type(value).__name__, {k: _settings(v) for k, v in value.get_params(deep=False).items()}
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return type(value).__name__, [_settings(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return value


def script_filename(run_id: str) -> str:
    """A file name for the exported script, e.g. ``train_random_forest_1a2b3c4d.py``."""
    run, _ = _model_run(run_id)
    key = _algorithm_key(run)
    return f"train_{key}_{re.sub(r'[^0-9A-Za-z]', '', run_id)[:8]}.py"


# --------------------------------------------------------------------------------- reading the run from MLflow


def _client():
    from mlflow import MlflowClient

    active_store()
    return MlflowClient()


def _get_run(client, run_id: str, what: str = "run"):
    from mlflow.exceptions import MlflowException

    try:
        return client.get_run(run_id)
    except MlflowException:
        key = "compare.export.no_search_run" if what == "search run" else "compare.export.no_run"
        raise ExportError(tr(key, run=run_id)) from None


def _model_run(run_id: str):
    """The run and, for a search trial, its parent search run; ExportError for a run that holds no model."""
    if not run_id or not str(run_id).strip():
        raise ExportError(tr("compare.export.choose_run"))
    client = _client()
    run = _get_run(client, str(run_id).strip())
    tags = run.data.tags
    kind = tags.get(TAG_KIND)
    if kind == "data":
        raise ExportError(tr("compare.export.data_run", run=run_id))
    parent = None
    if kind == "trial":
        if run.info.status == "FAILED":
            error = " ".join(tags.get("qua3ck.error", tr("compare.export.no_reason")).split())[:200]
            raise ExportError(tr("compare.export.trial_failed", run=run_id, error=error))
        parent_id = tags.get(TAG_PARENT)
        if not parent_id:
            raise ExportError(tr("compare.export.no_parent", run=run_id))
        parent = _get_run(client, parent_id, "search run")
    _algorithm_key(run)
    return run, parent


def _algorithm_key(run) -> str:
    """The catalogue key of the run's algorithm: its ``algorithm`` param (a trial's tag: trials log only
    hyperparameters)."""
    params, tags = run.data.params, run.data.tags
    key = params.get("algorithm")
    if key is None and tags.get(TAG_KIND) == "trial":
        key = tags.get(TAG_ALGORITHM)
    if not key:
        if tags.get(TAG_SEARCH):
            raise ExportError(tr("compare.export.no_finished_trial", run=run.info.run_id))
        raise ExportError(tr("compare.export.no_algorithm", run=run.info.run_id))
    try:
        get_algorithm(key)
    except AlgorithmError:
        raise ExportError(tr("compare.export.unknown_algorithm", run=run.info.run_id, algorithm=key)) from None
    return key


def _search_config(parent) -> dict:
    """The search.json a search run logged (steps, folds and seed asked for), or {} when it is missing."""
    if parent is None:
        return {}
    try:
        return read_search_json(parent.info.run_id)
    except RecipeError:
        return {}


def export_spec(run_id: str) -> ExportSpec:
    """Read a model run (training run, search run or trial) and everything its pipeline depended on."""
    import mlflow

    client = _client()
    run, parent = _model_run(run_id)
    key = _algorithm_key(run)
    algorithm = get_algorithm(key)
    params = run.data.params
    search_params = parent.data.params if parent is not None else params
    search = _search_config(parent)

    data_run_id = run.data.tags.get(TAG_DATA_RUN) or (parent.data.tags.get(TAG_DATA_RUN) if parent else None)
    if not data_run_id:
        raise ExportError(tr("compare.export.no_data_run", run=run.info.run_id))
    try:
        dataset = load_dataset(data_run_id)
    except DataError:
        raise ExportError(tr("compare.export.data_run_gone", data_run=data_run_id, run=run.info.run_id)) from None
    X, y = dataset.train_xy()

    raw = {p.name: params.get(p.name, p.default) for p in algorithm.params}
    try:
        cleaned = clean_params(key, raw)
    except AlgorithmError as exc:
        raise ExportError(tr("compare.export.bad_params", run=run.info.run_id, error=exc)) from None

    try:
        steps = steps_of(params, search_params, search=search)
    except (FeatureError, TypeError, ValueError) as exc:
        raise ExportError(tr("compare.export.bad_steps", run=run.info.run_id, error=exc)) from None

    # a search cross-validates with its own seed (search.seed), not the split's; a training run with the split's
    seed_text = search_params.get("search.seed") or params.get("random_seed") or search.get("seed")
    folds_text = params.get("cv_folds") or search_params.get("cv_folds")
    try:
        seed = int(seed_text) if seed_text not in (None, "", "None") else dataset.split.seed
        folds = int(folds_text) if folds_text else cv_folds_for(y, int(search.get("cv_folds") or 5))
    except ValueError:
        raise ExportError(tr("compare.export.bad_seed", run=run.info.run_id)) from None

    pipeline = build_pipeline(key, raw, X, seed=seed, steps=steps)
    named = pipeline.named_steps
    numeric, boolean, categorical = column_kinds(X)
    metrics = run.data.metrics
    recorded = {  # a NaN (a foreign run's) would not even be valid Python in the script
        name: float(metrics[name])
        for m in SCORE_METRICS
        for name in (f"cv_{m}", f"cv_{m}_std")
        if name in metrics and math.isfinite(metrics[name])
    }
    experiment = client.get_experiment(run.info.experiment_id)
    kind = "trial" if parent is not None else ("search" if "search.seed" in params else "train")
    return ExportSpec(
        run_id=run.info.run_id,
        run_name=run.info.run_name or run.info.run_id[:8],
        kind=kind,
        experiment_id=run.info.experiment_id,
        experiment_name=experiment.name if experiment else "",
        algorithm=algorithm,
        raw_params=raw,
        params=cleaned,
        steps=steps,
        folds=folds,
        seed=seed,
        dataset=dataset,
        numeric=numeric,
        boolean=boolean,
        categorical=categorical,
        select_k=int(named["select"].k) if "select" in named else 0,
        pca=int(named["pca"].n_components) if "pca" in named else 0,
        recorded=recorded,
        tracking_uri=shareable_uri(mlflow.get_tracking_uri()),
        parent_id=parent.info.run_id if parent is not None else None,
        categories=_onehot_categories(pipeline),
        pipeline=pipeline,
    )


def _onehot_categories(pipeline) -> dict[str, list | None]:
    """The categories of each group's one-hot encoder, where the workbench fixed them (e.g. for PCA)."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    found: dict[str, list | None] = {}
    for name, transformer, _ in pipeline.named_steps["prepare"].transformers:
        parts = [s for _, s in transformer.steps] if isinstance(transformer, Pipeline) else [transformer]
        for encoder in (p for p in parts if isinstance(p, OneHotEncoder)):
            cats = encoder.categories
            found[name] = None if isinstance(cats, str) else [list(_plain(c)) for c in cats]
    return found


def _plain(values) -> list:
    """Categories as plain Python values (numpy arrays of str/bool/float become lists of str/bool/float)."""

    return np.asarray(values, dtype=object).tolist() if not isinstance(values, list) else values


def shareable_uri(uri: str) -> str:
    """The tracking URI without credentials (a script gets shared; they come from the environment): no password,
    no token in the user part (``https://<token>@host``), no secret query values (``?token=…``)."""

    try:
        parts = urlsplit(uri)
    except ValueError:
        return uri
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}@{host}" if looks_like_login(user) else host
    query = "&".join(
        pair for pair in parts.query.split("&") if pair and not SECRET_PARAMS.search(pair.partition("=")[0])
    )
    if (netloc, query) == (parts.netloc, parts.query):
        return uri  # urlunsplit would turn sqlite:////abs/path into sqlite://abs/path
    return urlunsplit(parts._replace(netloc=netloc, query=query))


# ------------------------------------------------------------------------------------------- writing the code

_KIND_WORDS = {"train": "training", "search": "search", "trial": "trial"}
_SCALERS = {"standard": "StandardScaler", "minmax": "MinMaxScaler", "robust": "RobustScaler"}


def _sklearn_imports(spec: ExportSpec) -> list[tuple[str, list[str]]]:
    """The script's scikit-learn imports, modules and their members sorted as ruff's isort rules want them."""
    sklearn: dict[str, set[str]] = {
        "sklearn.compose": {"ColumnTransformer"},
        "sklearn.impute": {"SimpleImputer"},
        "sklearn.model_selection": {"StratifiedKFold", "cross_validate"},
        "sklearn.pipeline": {"Pipeline"},
    }

    def need(module: str, name: str) -> None:
        sklearn.setdefault(module, set()).add(name)

    if spec.boolean or spec.categorical:
        need("sklearn.preprocessing", "OneHotEncoder")
    scaling = spec.steps.effective_scaling(spec.algorithm.needs_scaling)
    if scaling != "none":
        need("sklearn.preprocessing", _SCALERS[scaling])
    if spec.steps.poly_degree > 1:
        need("sklearn.preprocessing", "PolynomialFeatures")
    if spec.select_k:
        need("sklearn.feature_selection", "SelectKBest")
        need("sklearn.feature_selection", "f_classif")
    if spec.pca:
        need("sklearn.decomposition", "PCA")
    module, _, name = spec.algorithm.estimator.rpartition(".")
    need(module, name)

    def member_order(member: str) -> tuple[int, str]:  # isort: CONSTANTS, Classes, functions
        rank = 0 if member.isupper() else 1 if member[:1].isupper() else 2
        return rank, member.lower()

    return [(module, sorted(sklearn[module], key=member_order)) for module in sorted(sklearn)]


def _pipeline_code(spec: ExportSpec) -> dict[str, object]:
    """The pieces of the script's build_pipeline that depend on the run, as code for the template."""
    steps = spec.steps
    scaling = steps.effective_scaling(spec.algorithm.needs_scaling)
    numeric_steps = [f'("impute", SimpleImputer(strategy={literal(steps.impute)}))']
    if scaling != "none":
        numeric_steps.append(f'("scale", {_SCALERS[scaling]}())')

    def onehot(group: str) -> Code:
        fixed = f"categories={group.upper()}_CATEGORIES, " if spec.categories.get(group) is not None else ""
        return Code(f'OneHotEncoder({fixed}handle_unknown="ignore", sparse_output=False)')

    groups = [("numeric", spec.numeric), ("boolean", spec.boolean), ("categorical", spec.categorical)]
    transformers = [Code(f'("{group}", {group}, {group.upper()})') for group, columns in groups if columns]

    kwargs = [f"{name}={literal(value)}" for name, value in spec.params.items()]
    kwargs += [f"{name}={literal(value)}" for name, value in spec.algorithm.fixed]
    if spec.algorithm.seeded:
        kwargs.append("random_state=SEED")
    classname = spec.algorithm.estimator.rpartition(".")[2]

    stages = ['("prepare", prepare)']
    if steps.poly_degree > 1:
        stages.append(f'("poly", PolynomialFeatures(degree={steps.poly_degree}, include_bias=False))')
    if spec.select_k:
        if spec.select_k != steps.select_k:
            stages.append(
                f"# {steps.select_k} features asked for, capped by the workbench to the {spec.select_k} prepared ones"
            )
        stages.append(f'("select", SelectKBest(f_classif, k={spec.select_k}))')
    if spec.pca:
        if spec.pca != steps.pca:
            stages.append(
                f"# {steps.pca} components asked for, capped by the workbench to {spec.pca} "
                "(columns left, half the training rows)"
            )
        stages.append(f'("pca", PCA(n_components={spec.pca}, random_state=SEED))')
    stages.append('("classifier", classifier)')
    summary = steps.describe(spec.algorithm.needs_scaling)
    return {
        "numeric": call("Pipeline", ["[" + ", ".join(numeric_steps) + "]"], 4, "numeric = ") if spec.numeric else None,
        "onehot": {"boolean": onehot("boolean"), "categorical": onehot("categorical")},
        "transformers": transformers,
        "classifier": call(classname, kwargs, 4, "classifier = "),
        "stages": [Code(s if s.startswith("#") else s + ",") for s in stages],
        "steps_described": summary[0].lower() + summary[1:],
    }


def render_script(spec: ExportSpec) -> str:
    """The script's source for an export spec (core/codegen/templates/train_script.py.j2)."""
    d = spec.dataset
    recorded_cv = [
        (m, spec.recorded[f"cv_{m}"], spec.recorded.get(f"cv_{m}_std", float("nan")))
        for m in SCORE_METRICS
        if f"cv_{m}" in spec.recorded
    ]
    return render(
        "train_script.py.j2",
        spec=spec,
        data=d,
        kind_word=_KIND_WORDS[spec.kind],
        features_described=spec.steps.describe(spec.algorithm.needs_scaling),
        recorded_cv=recorded_cv,
        tolerance=TOLERANCE,
        tag_reproduces=TAG_REPRODUCES,
        filename=f"train_{spec.algorithm.key}_{spec.run_id[:8]}.py",
        exported_at=time.strftime("%Y-%m-%d %H:%M"),
        sklearn_imports=_sklearn_imports(spec),
        category_groups=[
            (g, spec.categories[g]) for g in ("boolean", "categorical") if spec.categories.get(g) is not None
        ],
        scoring=list(SCORE_METRICS),
        primary=PRIMARY_METRIC,
        run_tags={
            TAG_KIND: "train",
            TAG_ALGORITHM: spec.algorithm.key,
            TAG_DIGEST: d.digest,
            TAG_DATA_RUN: d.run_id,
            TAG_REPRODUCES: spec.run_id,
        },
        **_pipeline_code(spec),
    )


__all__ = ["ExportError", "ExportSpec", "export_script", "export_spec", "render_script", "script_filename"]
