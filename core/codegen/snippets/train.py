"""The A³ page's code: the training runs and the hyperparameter search it just did, as one scikit-learn Pipeline
per model (A2's feature steps feeding the classifier), cross-validated and logged to MLflow.

The code mirrors ``core.train.training.train_model`` (a run per algorithm: params, CV metrics, the model fitted on the
whole training split) and ``core.train.tuning.run_search`` (a parent run, a nested run per trial with its params and
CV metrics, the best configuration refit and logged on the parent), with the same folds, seeds and samplers, so
it gets the same scores. The workbench additionally logs per-fold scores, tags, the input data set's digest and
its serving files (feature ranges, schema); ``Export as code`` gives the complete reproduction of one run.
"""

from __future__ import annotations

import re

from core.codegen.export import _SCALERS, _onehot_categories
from core.codegen.render import call, literal
from core.codegen.snippets import join, tracking_lines
from core.data.datastore import ARTIFACT_DIR, DatasetRecord
from core.question.kpis import SCORE_METRICS
from core.train.algorithms import Algorithm, choice_text, clean_params, get_algorithm
from core.train.features import FeatureSteps, build_preprocessing, column_kinds
from core.train.search_space import Dimension
from core.train.training import MODEL_NAME, TrainResult, cv_folds_for
from core.train.tuning import SearchConfig

_INDENT = 4


def training(experiment_name: str, dataset: DatasetRecord, results: list[TrainResult]) -> str:
    """Code that trains and logs the runs of ``results`` (one per algorithm) as the page's Train button did."""
    first = results[0]
    steps, folds, seed = first.steps, first.cv_folds, dataset.split.seed
    algorithms = [get_algorithm(r.algorithm) for r in results]
    scalings = {a.key: steps.effective_scaling(a.needs_scaling) for a in algorithms}
    mixed = len(set(scalings.values())) > 1  # "auto" scaling: only some of the algorithms need it
    runs = []
    for result, algorithm in zip(results, algorithms, strict=True):
        logged = {name: choice_text(value) for name, value in result.params.items()}
        classifier = _classifier(algorithm, clean_params(algorithm.key, result.params), seed)
        runs += [
            f"    {literal(algorithm.key)}: (",
            f"        {literal(logged)},",
            f"        {classifier},",
            "    ),",
        ]
    prepare = "features(algorithm in scaled)" if mixed else "features()"
    return _with_imports(
        dataset,
        steps,
        algorithms,
        set(scalings.values()),
        _setup(experiment_name),
        "",
        _data(dataset),
        "",
        _features(dataset, steps, algorithms[0], seed, scalings, mixed),
        "",
        _cross_validation(folds, seed),
        "",
        "# A1 + A3: each algorithm with its hyperparameters (as logged, and as the classifier takes them)",
        "runs = {",
        *runs,
        "}",
        *(
            [f"scaled = {literal(sorted(k for k, s in scalings.items() if s != 'none'))}  # A2 scales for these"]
            if mixed
            else []
        ),
        f"settings = {literal(_settings(dataset, steps, folds, seed))}",
        "for algorithm, (hyperparameters, classifier) in runs.items():",
        f'    pipeline = Pipeline([*{prepare}, ("classifier", classifier)])',
        "    with mlflow.start_run(run_name=algorithm):",
        '        mlflow.log_params({"algorithm": algorithm, **hyperparameters, **settings})',
        f"        mlflow.log_input({_input(dataset)}, context={literal('training')})",
        "        mlflow.log_metrics(cross_validated(pipeline))",
        "        pipeline.fit(X, y)  # the model: the pipeline fitted on the whole training split",
        *_log_model("pipeline", 8),
    )


def search(experiment_name: str, dataset: DatasetRecord, config: SearchConfig) -> str:
    """Code that runs the search of ``config`` as the page's search did: a parent run with a nested run per trial
    (the same sampler, so the same proposals for grid and random search), then the best refit on the parent."""
    algorithm = get_algorithm(config.algorithm)
    _, y = dataset.train_xy()
    folds = cv_folds_for(y, config.cv_folds)
    seed = dataset.split.seed if config.seed is None else config.seed
    searched = {d.name for d in config.space}
    base = {k: v for k, v in clean_params(algorithm.key, config.base_params).items() if k not in searched}
    scaling = config.steps.effective_scaling(algorithm.needs_scaling)
    score = f"cv_{config.metric}"
    budget = config.planned_trials()
    search_params: dict[str, object] = {
        "search.method": config.method,
        "search.max_trials": config.max_trials,
        "search.metric": config.metric,
        "search.seed": seed,
    }
    if config.time_budget_s:
        search_params["search.time_budget_s"] = config.time_budget_s
    proposals, loop, values = _sampler(config, seed, budget)
    timed = config.time_budget_s is not None
    return _with_imports(
        dataset,
        config.steps,
        [algorithm],
        {scaling},
        _setup(experiment_name),
        "",
        _data(dataset),
        "",
        _features(dataset, config.steps, algorithm, seed, {algorithm.key: scaling}, False),
        "",
        _cross_validation(folds, seed),
        "",
        f"# A3: the {config.method} search over {'; '.join(d.describe() for d in config.space)}",
        *proposals,
        f"base = {literal(base)}  # the hyperparameters not searched",
        f"settings = {literal(_settings(dataset, config.steps, folds, seed))}",
        "",
        "",
        "def pipeline(hyperparameters: dict) -> Pipeline:",
        f'    return Pipeline([*features(), ("classifier", {_classifier(algorithm, None, seed)})])',
        "",
        "",
        f"with mlflow.start_run(run_name={literal(f'{config.method}-search-{algorithm.key}')}):",
        f"    mlflow.log_params({literal(search_params)})",
        f"    mlflow.log_input({_input(dataset)}, context={literal('training')})",
        "    trials = []",
        *(["    started = time.monotonic()"] if timed else []),
        f"    {loop}",
        *(
            [f"        if time.monotonic() - started >= {config.time_budget_s!r}:", "            break"]
            if timed
            else []
        ),
        *values,
        "        hyperparameters = {**base, **values}",
        "        metrics = cross_validated(pipeline(hyperparameters))",
        '        with mlflow.start_run(run_name=f"trial-{number:03d}", nested=True):  # every trial is a run',
        f'            mlflow.log_params({{"algorithm": {literal(algorithm.key)}, **settings, **hyperparameters}})',
        "            mlflow.log_metrics(metrics)",
        *([f"        study.tell(trial, metrics[{literal(score)}])"] if config.method == "optuna" else []),
        "        trials.append((metrics, hyperparameters))",
        "    # the best trial's configuration, refit on the whole training split, is the search's model",
        f"    metrics, best = max(trials, key=lambda trial: trial[0][{literal(score)}])",
        f'    mlflow.log_params({{"algorithm": {literal(algorithm.key)}, **settings, **best}})',
        "    mlflow.log_metrics(metrics)",
        "    model = pipeline(best).fit(X, y)",
        *_log_model("model", 4),
    )


# ------------------------------------------------------------------------------------------------ the blocks


def _with_imports(
    dataset: DatasetRecord,
    steps: FeatureSteps,
    algorithms: list[Algorithm],
    scalings: set[str],
    *blocks: list[str] | str,
) -> str:
    """The code of ``blocks`` under the imports it uses."""
    body = join(*blocks)
    sklearn: dict[str, set[str]] = {
        "sklearn.compose": {"ColumnTransformer"},
        "sklearn.impute": {"SimpleImputer"},
        "sklearn.model_selection": {"StratifiedKFold", "cross_validate"},
        "sklearn.pipeline": {"Pipeline"},
    }
    numeric, boolean, categorical = column_kinds(dataset.train_xy()[0])
    if boolean or categorical:
        sklearn.setdefault("sklearn.preprocessing", set()).add("OneHotEncoder")
    for scaling in scalings - {"none"}:
        sklearn.setdefault("sklearn.preprocessing", set()).add(_SCALERS[scaling])
    if steps.poly_degree > 1:
        sklearn.setdefault("sklearn.preprocessing", set()).add("PolynomialFeatures")
    if steps.select_k:
        sklearn.setdefault("sklearn.feature_selection", set()).update({"SelectKBest", "f_classif"})
    if steps.pca:
        sklearn.setdefault("sklearn.decomposition", set()).add("PCA")
    for algorithm in algorithms:
        module, _, name = algorithm.estimator.rpartition(".")
        sklearn.setdefault(module, set()).add(name)
    used = set(re.findall(r"\b(itertools|json|math|random|time|optuna)\.", body))
    lines = [f"import {name}" for name in sorted(used - {"optuna"})]
    lines += ["from pathlib import Path", "", "import mlflow", *(["import optuna"] if "optuna" in used else [])]
    lines += ["import pandas as pd", "import skops.io"]
    lines += [f"from {module} import {', '.join(sorted(names))}" for module, names in sorted(sklearn.items())]
    return join(lines, "", body)


def _setup(experiment_name: str) -> list[str]:
    return [
        *[line for line in tracking_lines() if line.startswith("mlflow.")],
        f"mlflow.set_experiment({literal(experiment_name)})",
    ]


def _data(dataset: DatasetRecord) -> list[str]:
    numeric, boolean, categorical = column_kinds(dataset.train_xy()[0])
    lines = [
        "# the project's training rows: the data run's stored table and its fixed split",
        f"folder = Path(mlflow.artifacts.download_artifacts(run_id={literal(dataset.run_id)}, "
        f"artifact_path={literal(ARTIFACT_DIR)}))",
        'frame = pd.read_parquet(folder / "data.parquet")',
    ]
    if categorical:
        lines += [
            'text = frame.select_dtypes("object").columns  # Parquet gives missing text back as None, not NaN',
            'frame[text] = frame[text].where(frame[text].notna(), float("nan"))',
        ]
    lines += [
        'train = frame.iloc[json.loads((folder / "split.json").read_text())["train"]]',
        f"X, y = train[{literal(list(dataset.features))}], train[{literal(dataset.target)}]",
    ]
    return lines


def _features(
    dataset: DatasetRecord,
    steps: FeatureSteps,
    algorithm: Algorithm,
    seed: int,
    scalings: dict[str, str],
    mixed: bool,
) -> list[str]:
    """``def features()``: A2's steps before the classifier, as core.train.features builds them for this data."""
    X = dataset.train_xy()[0]
    built = build_preprocessing(X, steps, algorithm.needs_scaling, seed)  # capped sizes, fixed categories
    named = dict(built)
    from sklearn.pipeline import Pipeline

    categories = _onehot_categories(Pipeline(built))
    numeric, boolean, categorical = column_kinds(X)
    scaling = next(iter(set(scalings.values())))
    if mixed:
        numeric_steps = '[("impute", SimpleImputer(strategy={})), *([("scale", StandardScaler())] if scale else [])]'
    elif scaling != "none":
        numeric_steps = '[("impute", SimpleImputer(strategy={})), ("scale", ' + _SCALERS[scaling] + "())]"
    else:
        numeric_steps = '[("impute", SimpleImputer(strategy={}))]'
    numeric_steps = numeric_steps.replace("{}", literal(steps.impute), 1)

    def onehot(group: str) -> str:
        fixed = f"categories={literal(categories[group])}, " if categories.get(group) is not None else ""
        return f'OneHotEncoder({fixed}handle_unknown="ignore", sparse_output=False)'

    transformers = []
    if numeric:
        transformers.append(f'("numeric", Pipeline({numeric_steps}), {literal(numeric)})')
    if boolean:
        transformers.append(f'("boolean", {onehot("boolean")}, {literal(boolean)})')
    if categorical:
        encode = f'[("impute", SimpleImputer(strategy="most_frequent")), ("onehot", {onehot("categorical")})]'
        transformers.append(f'("categorical", Pipeline({encode}), {literal(categorical)})')
    stages = ['("prepare", ColumnTransformer(transformers))']
    if "poly" in named:
        stages.append(f'("poly", PolynomialFeatures(degree={steps.poly_degree}, include_bias=False))')
    if "select" in named:
        stages.append(f'("select", SelectKBest(f_classif, k={named["select"].k}))')
    if "pca" in named:
        stages.append(f'("pca", PCA(n_components={named["pca"].n_components}, random_state={seed}))')
    describe = steps.describe(None if mixed else algorithm.needs_scaling)
    return [
        "",
        f"def features({'scale: bool' if mixed else ''}) -> list:",
        f'    """A2 — {describe[0].upper()}{describe[1:]} The model takes raw rows."""',
        "    transformers = [",
        *[f"        {t}," for t in transformers],
        "    ]",
        f"    return [{', '.join(stages)}]",
    ]


def _cross_validation(folds: int, seed: int) -> list[str]:
    return [
        "",
        "def cross_validated(pipeline: Pipeline) -> dict:",
        '    """Stratified k-fold CV on the training rows: mean and standard deviation of each score."""',
        f"    cv = StratifiedKFold(n_splits={folds}, shuffle=True, random_state={seed})",
        f"    scoring = {literal(list(SCORE_METRICS))}",
        "    scores = cross_validate(pipeline, X, y, cv=cv, scoring=scoring)",
        '    metrics = {f"cv_{m}": scores[f"test_{m}"].mean() for m in scoring}',
        '    metrics |= {f"cv_{m}_std": scores[f"test_{m}"].std() for m in scoring}',
        '    return metrics | {"cv_fit_seconds": scores["fit_time"].mean()}',
        "",
    ]


def _log_model(variable: str, indent: int) -> list[str]:
    """``mlflow.sklearn.log_model`` as the workbench calls it: the whole pipeline, an input example (MLflow infers
    the signature from it), in the skops format, which loads only the types it is told to trust."""
    pad = " " * indent
    return [
        f"{pad}mlflow.sklearn.log_model(",
        f"{pad}    {variable},",
        f"{pad}    name={literal(MODEL_NAME)},",
        f"{pad}    input_example=X.head(5),",
        f"{pad}    serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,",
        f"{pad}    skops_trusted_types=skops.io.get_untrusted_types(data=skops.io.dumps({variable})),",
        f"{pad})",
    ]


def _input(dataset: DatasetRecord) -> str:
    """The training rows as the run's input data set (the workbench names it and links its data run)."""
    name = f"{dataset.name} (train split)"
    return f"mlflow.data.from_pandas(train, targets={literal(dataset.target)}, name={literal(name)})"


def _settings(dataset: DatasetRecord, steps: FeatureSteps, folds: int, seed: int) -> dict[str, object]:
    """The params every model run logs beside its algorithm and hyperparameters (core.train.training.run_params)."""
    return {
        **steps.as_params(),
        "cv_folds": folds,
        "random_seed": seed,
        "split_seed": dataset.split.seed,
        "test_size": dataset.split.test_size,
        "train_rows": len(dataset.split.train),
        "features": len(dataset.features),
    }


def _classifier(algorithm: Algorithm, params: dict[str, object] | None, seed: int) -> str:
    """The estimator's constructor call: its hyperparameters (``None``: ``**hyperparameters``), fixed settings
    and seed."""
    args = [f"{name}={literal(value)}" for name, value in (params or {}).items()]
    if params is None:
        args.append("**hyperparameters")
    args += [f"{name}={literal(value)}" for name, value in algorithm.fixed]
    if algorithm.seeded:
        args.append(f"random_state={seed}")
    return call(algorithm.estimator.rpartition(".")[2], args, 8)


def _sampler(config: SearchConfig, seed: int, budget: int | None) -> tuple[list[str], str, list[str]]:
    """The lines before the trial loop, the loop's head and the lines that set ``values`` in it: the same
    proposals as core.train.search_space.Sampler (grid order, the random stream, Optuna's TPE)."""
    space = config.space
    inner = " " * (2 * _INDENT)
    if config.method == "grid":
        grid = {d.name: d.grid_values() for d in space}
        first = "" if budget is None else f"[:{budget}]"
        return (
            [
                f"grid = {literal(grid)}",
                f"proposals = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]{first}",
            ],
            "for number, values in enumerate(proposals):",
            [],
        )
    loop = f"for number in range({budget}):" if budget else "for number in itertools.count():"
    if config.method == "random":
        entries = [f"{inner}    {literal(d.name)}: {_random_value(d)}," for d in space]
        return [f"rng = random.Random({seed})"], loop, [f"{inner}values = {{", *entries, f"{inner}}}"]
    startup = min(10, max(3, len(space) * 2))
    entries = [f"{inner}    {literal(d.name)}: {_suggest(d)}," for d in space]
    return (
        [
            f"sampler = optuna.samplers.TPESampler(seed={seed}, n_startup_trials={startup})",
            'study = optuna.create_study(direction="maximize", sampler=sampler)',
        ],
        loop,
        [f"{inner}trial = study.ask()", f"{inner}values = {{", *entries, f"{inner}}}"],
    )


def _random_value(d: Dimension) -> str:
    if d.kind == "choice":
        return f"rng.choice({literal(list(d.choices))})"
    if d.log:
        value = f"math.exp(rng.uniform(math.log({d.low!r}), math.log({d.high!r})))"
    else:
        value = f"rng.uniform({d.low!r}, {d.high!r})"
    return f"round({value})" if d.kind == "int" else value


def _suggest(d: Dimension) -> str:
    if d.kind == "choice":
        texts = [choice_text(c) for c in d.choices]
        suggested = f"trial.suggest_categorical({literal(d.name)}, {literal(texts)})"
        if any(isinstance(c, tuple) for c in d.choices):  # Optuna stores text: "50,50" -> (50, 50)
            return f"tuple(int(n) for n in {suggested}.split(','))"
        return suggested
    if d.kind == "int":
        return f"trial.suggest_int({literal(d.name)}, {int(d.low)}, {int(d.high)}, log={d.log})"
    return f"trial.suggest_float({literal(d.name)}, {float(d.low)!r}, {float(d.high)!r}, log={d.log})"
