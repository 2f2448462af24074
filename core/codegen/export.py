"""Export as code: any model run of the workbench as a standalone scikit-learn script that reproduces it.

The script is what a person would have written by hand in the handout's ``train.py`` world: it imports only
mlflow, pandas and scikit-learn, reads the run's data run from the same MLflow store, rebuilds the exact
pipeline (column lists, feature steps, hyperparameters and seeds written out as literals), cross-validates it
with the same folds and scores, prints each score next to the recorded one and fails when the primary score
differs; with ``--log`` it logs the refit model as a new run tagged with the run it reproduces.

Everything the workbench decided at training time (which columns are numbers, how far selection and PCA were
capped, how many folds the smallest class allowed, which seed a search used) is computed here with the same
core functions and written into the script, so the script needs no workbench code to agree with it.
"""

from __future__ import annotations

import math
import re
import textwrap
import time
from dataclasses import dataclass, field

from core.common.config import active_store
from core.common.errors import WorkbenchError
from core.common.i18n import tr
from core.data.datastore import TAG_DIGEST, TAG_KIND, DatasetRecord, load_dataset
from core.data.sets import DataError
from core.question.kpis import SCORE_METRICS
from core.train.algorithms import Algorithm, AlgorithmError, build_pipeline, choice_text, clean_params, get_algorithm
from core.train.features import FeatureError, FeatureSteps, column_kinds
from core.train.recipe import RecipeError, read_search_json, steps_of
from core.train.training import TAG_ALGORITHM, TAG_DATA_RUN, cv_folds_for

TAG_REPRODUCES = "qua3ck.reproduces"
TAG_PARENT = "mlflow.parentRunId"
PRIMARY_METRIC = "cv_accuracy"
TOLERANCE = 1e-9
LINE = 120  # the repository's ruff line length; the script passes ruff with the project's settings


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
    import numpy as np

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
        if tags.get("qua3ck.search"):
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
    import numpy as np

    return np.asarray(values, dtype=object).tolist() if not isinstance(values, list) else values


def shareable_uri(uri: str) -> str:
    """The tracking URI without credentials (a script gets shared; they come from the environment): no password,
    no token in the user part (``https://<token>@host``), no secret query values (``?token=…``)."""
    from urllib.parse import urlsplit, urlunsplit

    from core.common.config import SECRET_PARAMS, looks_like_login

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


def _literal(value: object) -> str:
    """Python source for a value, strings in double quotes as ruff format writes them."""
    if isinstance(value, str):
        text = repr(value)
        if text.startswith("'") and '"' not in value:
            text = '"' + text[1:-1].replace("\\'", "'") + '"'
        return text
    if isinstance(value, float):
        return repr(float(value))
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        inner = ", ".join(_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def _assign(name: str, values: list | dict) -> str:
    """``NAME = [...]`` laid out as ruff format would: on one line when it fits, else one item per line."""
    lines = _pretty(values, 0, f"{name} = ").split("\n")
    # a single string longer than a line cannot be split; say so rather than fail the lint
    return "\n".join(line + "  # noqa: E501" if len(line) > LINE else line for line in lines)


def _pretty(value: object, indent: int, prefix: str = "", suffix: str = "") -> str:
    """A literal at this indent: flat when it fits, else its brackets exploded, recursively (black's rule)."""
    flat = " " * indent + prefix + _literal(value) + suffix
    if len(flat) <= LINE or not isinstance(value, list | dict) or not value:
        return flat
    if isinstance(value, dict):
        items = [_pretty(v, indent + 4, f"{_literal(k)}: ", ",") for k, v in value.items()]
        opening, closing = "{", "}"
    else:
        items = [_pretty(v, indent + 4, "", ",") for v in value]
        opening, closing = "[", "]"
    pad = " " * indent
    return "\n".join([pad + prefix + opening, *items, pad + closing + suffix])


def _call(function: str, args: list[str], indent: int, prefix: str = "") -> str:
    """``prefix function(a, b=1)`` on one line when it fits at this indent, else one argument per line."""
    one_line = f"{prefix}{function}({', '.join(args)})"
    if indent + len(one_line) <= LINE:
        return one_line
    function = prefix + function
    pad = " " * (indent + 4)
    return f"{function}(\n" + "".join(f"{pad}{a},\n" for a in args) + " " * indent + ")"


def _doc(text: str, limit: int = 80) -> str:
    """A name as it may appear in the docstring: printable, short, no backslash or triple quote."""
    text = "".join(ch for ch in str(text) if ch.isprintable()).replace("\\", "/").replace('"""', "'''")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _wrap(line: str, indent: str = "") -> str:
    return textwrap.fill(line, LINE - 4, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)


def _docstring(spec: ExportSpec, filename: str) -> str:
    d = spec.dataset
    lines = [
        f'"""Reproduce the QUA³CK Workbench {_KIND_WORDS[spec.kind]} run "{_doc(spec.run_name, 40)}" '
        "with plain scikit-learn.",
        "",
        _wrap(f"Run:          {spec.run_id}, a {spec.description}", " " * 14),
        _wrap(f'Experiment:   "{_doc(spec.experiment_name, 60)}" (id {_doc(spec.experiment_id, 40)})', " " * 14),
        _wrap(f"Algorithm:    {spec.algorithm.label} ({spec.algorithm.estimator})", " " * 14),
        _wrap(f"Features:     {spec.steps.describe(spec.algorithm.needs_scaling)}", " " * 14),
        _wrap(
            f'Data:         "{_doc(d.name, 60)}" from data run {d.run_id}: {len(d.split.train)} training rows, '
            f'{len(d.features)} features, target "{_doc(d.target, 40)}"',
            " " * 14,
        ),
        f"Recorded CV:  {spec.folds}-fold stratified, seed {spec.seed}",
    ]
    for m in SCORE_METRICS:
        if f"cv_{m}" in spec.recorded:
            std = spec.recorded.get(f"cv_{m}_std", float("nan"))
            lines.append(f"    {m:<20}{spec.recorded[f'cv_{m}']:.4f} ± {std:.4f}")
    if not spec.recorded:
        lines.append("    (no CV scores were recorded)")
    lines += [
        "",
        _wrap(
            "The script downloads the data run's rows and split from MLflow, rebuilds the pipeline, cross-validates "
            "it, prints each score next to the recorded one (exit status 1 when accuracy differs by more than "
            f"{TOLERANCE:g}) and fits it on the whole training split. With --log it logs the refit model as a new "
            f"run in the same experiment, tagged {TAG_REPRODUCES}={spec.run_id}."
        ),
        "",
        f"    MLFLOW_TRACKING_URI=<tracking URI> python {filename} [--log]",
        "",
        "Without MLFLOW_TRACKING_URI it uses the store it was exported from:",
        "",
        f"    {_doc(spec.tracking_uri, 10_000)}",
        "",
        _wrap(
            f"Needs mlflow, pandas and scikit-learn (and skops for --log). Exported by the QUA³CK Workbench on "
            f"{time.strftime('%Y-%m-%d %H:%M')}."
        ),
        '"""',
    ]
    return "\n".join(lines)


def _imports(spec: ExportSpec) -> str:
    """The import block, sorted as ruff's isort rules want it."""
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

    lines = [
        "from __future__ import annotations",
        "",
        "import argparse",
        "import json",
        "import os",
        "import sys",
        "import tempfile",
        "from pathlib import Path",
        "",
        "import mlflow",
        "import pandas as pd",
        "from mlflow.models import infer_signature",
    ]
    for module in sorted(sklearn):
        lines.append(f"from {module} import {', '.join(sorted(sklearn[module], key=member_order))}")
    return "\n".join(lines)


_KIND_WORDS = {"train": "training", "search": "search", "trial": "trial"}
_SCALERS = {"standard": "StandardScaler", "minmax": "MinMaxScaler", "robust": "RobustScaler"}


def _constants(spec: ExportSpec) -> str:
    d = spec.dataset
    run_tags = {
        TAG_KIND: "train",
        TAG_ALGORITHM: spec.algorithm.key,
        TAG_DIGEST: d.digest,
        TAG_DATA_RUN: d.run_id,
        TAG_REPRODUCES: spec.run_id,
    }
    exported_from = f"EXPORTED_FROM = {_literal(spec.tracking_uri)}"
    if len(exported_from) > LINE:  # ruff format keeps a long string on one line; a URI is worth it
        exported_from += "  # noqa: E501"
    lines = [
        "# Where the runs live: the store this was exported from, unless MLFLOW_TRACKING_URI says otherwise.",
        exported_from,
        'TRACKING_URI = os.environ.get("MLFLOW_TRACKING_URI") or EXPORTED_FROM',
        f"EXPERIMENT_ID = {_literal(spec.experiment_id)}",
        f"SOURCE_RUN_ID = {_literal(spec.run_id)}  # the run this script reproduces",
        f"DATA_RUN_ID = {_literal(d.run_id)}  # the workbench's data run: rows, split, column roles",
        f"TARGET = {_literal(d.target)}",
        _assign("FEATURES", list(d.features)),
        "# The feature columns by dtype, as the workbench grouped them when it built the pipeline.",
        _assign("NUMERIC", spec.numeric),
        _assign("BOOLEAN", spec.boolean),
        _assign("CATEGORICAL", spec.categorical),
        *_category_constants(spec),
        f"SEED = {spec.seed}  # random_state of the CV folds, the classifier and PCA",
        f"CV_FOLDS = {spec.folds}",
        _assign("SCORING", list(SCORE_METRICS)),
        "# The CV scores the run recorded: mean and standard deviation over the folds.",
        _assign("RECORDED", spec.recorded),
        f"PRIMARY = {_literal(PRIMARY_METRIC)}",
        f"TOLERANCE = {TOLERANCE!r}",
        "# What the new run logs with --log: the params and tags of a workbench training run.",
        _assign("RUN_PARAMS", spec.log_params()),
        _assign("RUN_TAGS", run_tags),
    ]
    return "\n".join(lines)


_LOAD = '''
def column_kinds(X: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
    """Numeric, boolean and other (categorical) columns, by dtype, as the workbench groups them."""
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])]
    boolean = [c for c in X.columns if pd.api.types.is_bool_dtype(X[c])]
    categorical = [c for c in X.columns if c not in numeric and c not in boolean]
    return numeric, boolean, categorical


def download_data(folder: str) -> Path:
    """The data run's stored files: data.parquet, split.json, roles.json, feature_stats.json, schema.json."""
    return Path(mlflow.artifacts.download_artifacts(run_id=DATA_RUN_ID, artifact_path="dataset", dst_path=folder))


def training_split(data: Path) -> tuple[pd.DataFrame, pd.Series]:
    """The training rows of the stored split: feature columns and target, read as the workbench reads them.

    The stored frame already has the column types the workbench gave it by role (numbers as numbers,
    categories and flags as text); Parquet returns missing text as None, which the imputers only
    recognise as NaN.
    """
    frame = pd.read_parquet(data / "data.parquet")
    for column in frame.select_dtypes(include="object").columns:
        frame[column] = frame[column].where(frame[column].notna(), float("nan"))
    split = json.loads((data / "split.json").read_text())
    rows = frame.iloc[split["train"]]
    X, y = rows[FEATURES], rows[TARGET]
    if column_kinds(X) != (NUMERIC, BOOLEAN, CATEGORICAL):
        raise SystemExit(f"The columns of data run {DATA_RUN_ID} do not have the types the pipeline was built for.")
    return X, y
'''


def _category_constants(spec: ExportSpec) -> list[str]:
    lines = []
    for group in ("boolean", "categorical"):
        if spec.categories.get(group) is not None:
            lines.append(_assign(f"{group.upper()}_CATEGORIES", spec.categories[group]))
    if lines:
        lines.insert(
            0,
            "# Every category of each column, fixed from the whole training split: with PCA every CV fold must "
            "give\n# the same width, and a fold may lack a rare category.",
        )
    return lines


def _build_function(spec: ExportSpec) -> str:
    steps = spec.steps
    scaling = steps.effective_scaling(spec.algorithm.needs_scaling)
    numeric_steps = [f'("impute", SimpleImputer(strategy={_literal(steps.impute)}))']
    if scaling != "none":
        numeric_steps.append(f'("scale", {_SCALERS[scaling]}())')

    def onehot(group: str) -> str:
        fixed = f"categories={group.upper()}_CATEGORIES, " if spec.categories.get(group) is not None else ""
        return f'OneHotEncoder({fixed}handle_unknown="ignore", sparse_output=False)'

    body: list[str] = []
    transformers: list[str] = []
    if spec.numeric:
        body.append("    " + _call("Pipeline", ["[" + ", ".join(numeric_steps) + "]"], 4, "numeric = "))
        transformers.append('("numeric", numeric, NUMERIC)')
    if spec.boolean:
        body.append("    # a bool column has no missing values, and scikit-learn's imputers refuse the dtype")
        body.append(f"    boolean = {onehot('boolean')}")
        transformers.append('("boolean", boolean, BOOLEAN)')
    if spec.categorical:
        body += [
            "    categorical = Pipeline(",
            "        [",
            '            ("impute", SimpleImputer(strategy="most_frequent")),',
            f'            ("onehot", {onehot("categorical")}),',
            "        ]",
            "    )",
        ]
        transformers.append('("categorical", categorical, CATEGORICAL)')
    body += ["    prepare = ColumnTransformer(", "        ["]
    body += [f"            {t}," for t in transformers]
    body += ["        ]", "    )"]

    kwargs = [f"{name}={_literal(value)}" for name, value in spec.params.items()]
    kwargs += [f"{name}={_literal(value)}" for name, value in spec.algorithm.fixed]
    if spec.algorithm.seeded:
        kwargs.append("random_state=SEED")
    classname = spec.algorithm.estimator.rpartition(".")[2]
    body.append("    " + _call(classname, kwargs, 4, "classifier = "))

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
    body += ["    return Pipeline(", "        ["]
    body += [f"            {s}" if s.startswith("#") else f"            {s}," for s in stages]
    body += ["        ]", "    )"]

    summary = spec.steps.describe(spec.algorithm.needs_scaling)
    doc = _wrap(f'    """The run\'s pipeline, step by step: {summary[0].lower()}{summary[1:]}', "    ")
    header = [
        "def build_pipeline() -> Pipeline:",
        doc,
        "",
        "    It takes raw rows, like the model the workbench logged; nothing else is needed at predict time.",
        '    """',
    ]
    return "\n".join(header + body)


_MAIN = '''
def cross_validated(pipeline: Pipeline, X: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    """Stratified k-fold CV as the workbench runs it: each score's mean and standard deviation over the folds."""
    cv = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=SEED)
    scores = cross_validate(pipeline, X, y, cv=cv, scoring=SCORING, error_score="raise")
    metrics = {}
    for name in SCORING:
        metrics[f"cv_{name}"] = float(scores[f"test_{name}"].mean())
        metrics[f"cv_{name}_std"] = float(scores[f"test_{name}"].std())
    metrics["cv_fit_seconds"] = float(scores["fit_time"].mean())
    return metrics


def report(metrics: dict[str, float]) -> bool:
    """Print every CV score next to the recorded one; whether the primary score is reproduced."""
    print(f"{'score':<20}{'reproduced':>20}{'recorded':>20}")
    for name in SCORING:
        key = f"cv_{name}"
        mine = f"{metrics[key]:.4f} ± {metrics[key + '_std']:.4f}"
        if key in RECORDED:
            theirs = f"{RECORDED[key]:.4f} ± {RECORDED.get(key + '_std', float('nan')):.4f}"
            same = "same" if abs(metrics[key] - RECORDED[key]) <= TOLERANCE else "DIFFERENT"
        else:
            theirs, same = "not recorded", ""
        print(f"{name:<20}{mine:>20}{theirs:>20}  {same}")
    value, recorded = metrics[PRIMARY], RECORDED.get(PRIMARY)
    if recorded is None:
        print(f"{PRIMARY} = {value!r}; the run recorded none to compare with.")
        return True
    reproduced = abs(value - recorded) <= TOLERANCE
    verdict = "reproduces" if reproduced else "does NOT reproduce"
    print(f"{PRIMARY} = {value!r} {verdict} the recorded {recorded!r} (tolerance {TOLERANCE:g}).")
    return reproduced


def log_run(pipeline: Pipeline, X: pd.DataFrame, metrics: dict[str, float], data: Path) -> str:
    """Log the fitted pipeline as a new run of the experiment, with the workbench's params, tags and files."""
    import skops.io

    run_name = f"{RUN_PARAMS['algorithm']}-reproduces-{SOURCE_RUN_ID[:8]}"
    with mlflow.start_run(experiment_id=EXPERIMENT_ID, run_name=run_name, tags=RUN_TAGS) as run:
        mlflow.log_params(RUN_PARAMS)
        mlflow.log_metrics(metrics)
        for name in ("feature_stats.json", "schema.json"):  # what the workbench checks prediction inputs against
            if (data / name).exists():
                mlflow.log_artifact(str(data / name))
        info = mlflow.sklearn.log_model(
            pipeline,
            name="model",
            signature=infer_signature(X, pipeline.predict(X.head(50))),
            input_example=X.head(5),
            serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
            # skops loads only types it is told to trust; these all come from the pipeline built above
            skops_trusted_types=skops.io.get_untrusted_types(data=skops.io.dumps(pipeline)),
            # explicit requirements: MLflow's inference runs a slow subprocess
            pip_requirements=mlflow.sklearn.get_default_pip_requirements(include_skops=True),
        )
        mlflow.set_tag("qua3ck.model_uri", info.model_uri)
    print(f"Logged run {run.info.run_id} with the model {info.model_uri}.")
    return run.info.run_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=f"Reproduce the QUA³CK Workbench run {SOURCE_RUN_ID}.")
    parser.add_argument("--log", action="store_true", help="log the refit model as a new run in the experiment")
    args = parser.parse_args(argv)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # keep the output to the scores
    mlflow.set_tracking_uri(TRACKING_URI)
    with tempfile.TemporaryDirectory() as folder:
        data = download_data(folder)
        X, y = training_split(data)
        print(f"Run {SOURCE_RUN_ID}: {len(X)} training rows, {CV_FOLDS}-fold stratified CV, seed {SEED}")
        pipeline = build_pipeline()
        metrics = cross_validated(pipeline, X, y)
        reproduced = report(metrics)
        pipeline.fit(X, y)  # the model: the same pipeline fitted on the whole training split
        print(f"Fitted on all {len(X)} training rows.")
        if args.log:
            log_run(pipeline, X, metrics, data)
    return 0 if reproduced else 1


if __name__ == "__main__":
    sys.exit(main())
'''


def render_script(spec: ExportSpec) -> str:
    """The script's source for an export spec."""
    filename = f"train_{spec.algorithm.key}_{spec.run_id[:8]}.py"
    parts = [
        _docstring(spec, filename),
        "",
        _imports(spec),
        "",
        _constants(spec),
        "",
        _LOAD.rstrip("\n"),
        "",
        "",
        _build_function(spec),
        "",
        _MAIN.rstrip("\n"),
    ]
    return "\n".join(parts) + "\n"


__all__ = ["ExportError", "ExportSpec", "export_script", "export_spec", "render_script", "script_filename"]
