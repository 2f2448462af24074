"""core.codegen.export: every kind of model run becomes a standalone script that reproduces its pipeline and CV score.

Running a script costs a fresh interpreter importing mlflow (~5 s), so one module-scoped store holds every
run (one per algorithm, a search with its trials, a data set with categories, flags and missing values), each
exported script runs once as ``python script.py`` (two at a time), and the tests read the results.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.codegen import export
from core.codegen.export import ExportError
from core.common import config
from core.question.kpis import SCORE_METRICS
from core.train.algorithms import ALGORITHMS, build_pipeline, clean_params
from core.train.features import FeatureSteps

ROOT = Path(__file__).resolve().parents[2]
RUFF = ROOT / ".venv" / "bin" / "ruff"
STANDALONE_IMPORTS = {"__future__", "argparse", "json", "os", "sys", "tempfile", "pathlib"}
LIBRARIES = {"mlflow", "pandas", "numpy", "sklearn", "skops"}
RESULT = re.compile(r"^cv_accuracy = (\S+) (reproduces|does NOT reproduce) the recorded (\S+) ", re.MULTILINE)

# Every algorithm with quick hyperparameters; some with non-default feature steps.
CASES: dict[str, tuple[str, dict, FeatureSteps]] = {
    "logistic_regression": ("logistic_regression", {"C": 0.5, "max_iter": 200}, FeatureSteps(scaling="robust")),
    "knn": ("knn", {"n_neighbors": 7, "weights": "distance"}, FeatureSteps(scaling="minmax")),
    "svc": ("svc", {"C": 2.0, "kernel": "poly"}, FeatureSteps(pca=2)),
    "decision_tree": (
        "decision_tree",
        {"max_depth": 0, "min_samples_leaf": 2},
        FeatureSteps(poly_degree=2, select_k=3),
    ),
    "random_forest": (
        "random_forest",
        {"n_estimators": 15, "max_depth": 3},
        FeatureSteps(scaling="minmax", poly_degree=2, select_k=3, pca=2),
    ),
    "extra_trees": ("extra_trees", {"n_estimators": 10}, FeatureSteps(select_k=3, impute="mean")),
    "hist_gradient_boosting": ("hist_gradient_boosting", {"max_iter": 20, "max_leaf_nodes": 8}, FeatureSteps()),
    "gaussian_nb": ("gaussian_nb", {"var_smoothing": 1e-8}, FeatureSteps(pca=9)),  # capped to the 4 columns
    "mlp": ("mlp", {"hidden_layer_sizes": (50, 50), "max_iter": 100}, FeatureSteps()),
}
MESSY_CASES = {
    "messy": (
        "logistic_regression",
        {"C": 2.0},
        FeatureSteps(impute="most_frequent", scaling="robust", select_k=4, pca=3),
    ),
}
LOGGED = "random_forest"  # the case whose script also runs with --log


def test_every_algorithm_has_a_case():
    assert set(ALGORITHMS) == {algorithm for algorithm, _, _ in CASES.values()}


@dataclass
class Exported:
    """One exported run: its id, the script file, and what running the script printed."""

    run_id: str
    algorithm: str
    params: dict
    steps: FeatureSteps
    record: object
    model_uri: str | None
    path: Path
    returncode: int = -1
    stdout: str = ""
    stderr: str = ""


def messy_frame(rows: int = 90) -> pd.DataFrame:
    """Numbers with gaps, a category with gaps, an int count, a bool flag and a two-class target."""
    rng = np.random.default_rng(0)
    label = np.array(["yes", "no"])[rng.integers(0, 2, rows)]
    x1 = rng.normal(size=rows) + (label == "yes") * 1.5
    x1[rng.choice(rows, 8, replace=False)] = np.nan
    colour = rng.choice(["red", "green", "blue"], rows).astype(object)
    colour[rng.choice(rows, 10, replace=False)] = np.nan
    return pd.DataFrame(
        {
            "x1": x1,
            "count": rng.integers(0, 5, rows),
            "colour": colour,
            "flag": rng.integers(0, 2, rows).astype(bool),
            "label": label,
        }
    )


def run_script(path: Path, uri: str, *args: str) -> subprocess.CompletedProcess:
    """Run a script as a person would: a fresh interpreter, outside the repository, pointed at the store."""
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [sys.executable, str(path), *args], env=env, cwd=path.parent, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def shared(tmp_path_factory, store_template):
    """One store with a run per case, a search (parent and trials) and the messy data's runs, all exported and
    their scripts run once."""
    from core.data import datastore
    from core.data.sets import load_builtin
    from core.question import projects
    from core.train import training
    from core.train.search_space import default_space
    from core.train.tuning import SearchConfig, run_search

    data_dir = tmp_path_factory.mktemp("export-store")
    shutil.copy(store_template, data_dir / "mlflow.db")
    scripts = tmp_path_factory.mktemp("scripts")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.delenv("MLFLOW_REGISTRY_URI", raising=False)
        mp.setenv(config.DATA_DIR_ENV, str(data_dir))
        mp.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        config._active = None
        store = config.activate_store(config.resolve_store({config.DATA_DIR_ENV: str(data_dir)}))
        project = projects.ensure_example_project()
        iris = datastore.record_dataset(project.experiment_id, load_builtin("iris"), "iris", "species")
        runs: dict[str, Exported] = {}
        for name, (algorithm, params, steps) in CASES.items():
            result = training.train_model(project.experiment_id, iris, algorithm, params, steps=steps)
            runs[name] = Exported(result.run_id, algorithm, result.params, steps, iris, result.model_uri, Path())

        # a search whose seed differs from the split's: the script must use the search's
        space = default_space("random_forest")
        search = run_search(
            project.experiment_id, iris, SearchConfig("random_forest", "random", space, max_trials=3, seed=7)
        )
        assert search.status == "finished" and search.best is not None
        trial = next(t for t in search.trials if t.run_id != search.best.run_id)
        runs["search"] = Exported(
            search.run_id, "random_forest", search.best.params, FeatureSteps(), iris, None, Path()
        )
        runs["trial"] = Exported(trial.run_id, "random_forest", trial.params, FeatureSteps(), iris, None, Path())

        # categories, flags and gaps, split with another seed; trained on the data as the app reads it back
        messy_project = projects.create_project("messy")
        recorded = datastore.record_dataset(messy_project.experiment_id, messy_frame(), "messy", "label", 0.2, 7)
        messy = datastore.load_dataset(recorded.run_id)
        for name, (algorithm, params, steps) in MESSY_CASES.items():
            result = training.train_model(messy_project.experiment_id, messy, algorithm, params, steps=steps)
            runs[name] = Exported(result.run_id, algorithm, result.params, steps, messy, result.model_uri, Path())

        for item in runs.values():
            item.path = scripts / export.script_filename(item.run_id)
            item.path.write_text(export.export_script(item.run_id), encoding="utf-8")

        def execute(name: str) -> tuple[str, subprocess.CompletedProcess]:
            return name, run_script(runs[name].path, store.tracking_uri, *(["--log"] if name == LOGGED else []))

        with ThreadPoolExecutor(max_workers=2) as pool:
            for name, done in pool.map(execute, list(runs)):
                runs[name].returncode, runs[name].stdout, runs[name].stderr = done.returncode, done.stdout, done.stderr
        yield store, project, runs
        import mlflow

        while mlflow.active_run():
            mlflow.end_run()
        config._active = None


@pytest.fixture
def exported(shared):
    """The shared store, active for this test, and the exported runs by case name."""
    store, project, runs = shared
    config._active = None
    config.activate_store(store)
    yield project, runs
    config._active = None


def client():
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=config.active_store().tracking_uri)


@pytest.mark.parametrize("case", [*CASES, "search", "trial", *MESSY_CASES])
def test_script_reproduces_the_recorded_cv_score(exported, case):
    _, runs = exported
    item = runs[case]
    assert item.returncode == 0, item.stderr[-3000:] + item.stdout
    match = RESULT.search(item.stdout)
    assert match, item.stdout
    printed, verdict, printed_recorded = float(match[1]), match[2], float(match[3])
    recorded = client().get_run(item.run_id).data.metrics
    assert verdict == "reproduces"
    assert printed_recorded == recorded["cv_accuracy"]
    assert abs(printed - recorded["cv_accuracy"]) <= 1e-9
    for metric in SCORE_METRICS:  # every score is printed next to the recorded one, and agrees
        line = next(x for x in item.stdout.splitlines() if x.startswith(f"{metric} "))
        assert line.rstrip().endswith("same"), line


@pytest.mark.parametrize("case", [*CASES, "search", "trial", *MESSY_CASES])
def test_script_builds_the_workbench_pipeline(exported, case):
    """The pipeline written out as code has every setting of the one build_pipeline makes (fast, in-process)."""
    import runpy

    _, runs = exported
    item = runs[case]
    spec = export.export_spec(item.run_id)
    namespace = runpy.run_path(str(item.path), run_name="exported_script")
    X, _ = item.record.train_xy()
    ours = build_pipeline(item.algorithm, item.params, X, seed=spec.seed, steps=spec.steps)
    assert describe(namespace["build_pipeline"]()) == describe(ours)
    assert namespace["SEED"] == spec.seed
    assert spec.steps == item.steps


def describe(value):
    """Every parameter of an estimator, recursively, as comparable plain values."""
    if hasattr(value, "get_params") and not isinstance(value, type):
        return type(value).__name__, {k: describe(v) for k, v in value.get_params(deep=False).items()}
    if isinstance(value, np.ndarray):  # categories the workbench fixed: arrays there, lists in the script
        value = value.tolist()
    if isinstance(value, list | tuple):
        return type(value).__name__, [describe(v) for v in value]
    return value


def test_search_and_trial_use_the_search_seed_and_the_parents_settings(exported):
    _, runs = exported
    parent, trial = export.export_spec(runs["search"].run_id), export.export_spec(runs["trial"].run_id)
    assert (parent.kind, trial.kind) == ("search", "trial")
    assert parent.seed == trial.seed == 7  # the split's seed is 42
    assert parent.folds == trial.folds == 5
    assert trial.params == clean_params("random_forest", runs["trial"].params)
    assert parent.params == clean_params("random_forest", runs["search"].params)
    source = export.export_script(runs["trial"].run_id)
    assert f"a trial of the search run {runs['search'].run_id}" in source
    assert "SEED = 7" in source


def test_messy_data_keeps_categories_flags_and_gaps(exported):
    _, runs = exported
    spec = export.export_spec(runs["messy"].run_id)
    # the workbench stores flags as text by role, so they are one-hot encoded with the categories
    assert (spec.numeric, spec.boolean, spec.categorical) == (["x1", "count"], [], ["colour", "flag"])
    assert spec.select_k == 4 and spec.seed == 7
    source = export.export_script(runs["messy"].run_id)
    assert 'CATEGORICAL = ["colour", "flag"]' in source
    assert 'SimpleImputer(strategy="most_frequent")' in source
    if spec.categories.get("categorical") is not None:  # fixed by the workbench for PCA: written out as literals
        assert "categories=CATEGORICAL_CATEGORIES" in source
        assert "CATEGORICAL_CATEGORIES = [" in source


def test_log_adds_a_run_whose_model_predicts_like_the_original(exported):
    import mlflow

    project, runs = exported
    item = runs[LOGGED]
    assert "Logged run" in item.stdout, item.stderr[-3000:]
    found = client().search_runs(
        [project.experiment_id], filter_string=f"tags.`{export.TAG_REPRODUCES}` = '{item.run_id}'"
    )
    assert len(found) == 1
    new, original = found[0], client().get_run(item.run_id)
    assert new.data.params == original.data.params  # a training run's params, exactly as the workbench logs them
    assert new.data.metrics["cv_accuracy"] == original.data.metrics["cv_accuracy"]
    tags = new.data.tags
    assert tags["qua3ck.kind"] == "train" and tags["qua3ck.algorithm"] == item.algorithm
    assert tags["qua3ck.data_run"] == original.data.tags["qua3ck.data_run"]
    names = {a.path for a in client().list_artifacts(new.info.run_id)}
    assert {"feature_stats.json", "schema.json"} <= names

    X_test, _ = item.record.test_xy()
    reproduced = mlflow.pyfunc.load_model(tags["qua3ck.model_uri"]).predict(X_test)
    expected = mlflow.pyfunc.load_model(item.model_uri).predict(X_test)
    assert list(reproduced) == list(expected)
    # the reproduced run is a workbench training run in its own right, so it exports too
    assert export.export_spec(new.info.run_id).params == export.export_spec(item.run_id).params


def test_scripts_are_standalone_and_readable(exported):
    _, runs = exported
    for item in runs.values():
        source = item.path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add((node.module or "").split(".")[0])
        assert imported <= STANDALONE_IMPORTS | LIBRARIES, item.path.name
        assert "core" not in imported
        doc = ast.get_docstring(tree)
        assert item.run_id in doc and ALGORITHMS[item.algorithm].label in doc
        assert "MLFLOW_TRACKING_URI=" in doc and "--log" in doc
        assert "accuracy" in doc and config.active_store().tracking_uri in doc
        assert f"DATA_RUN_ID = {item.record.run_id!r}".replace("'", '"') in source
        assert "mlflow.artifacts.download_artifacts(run_id=DATA_RUN_ID" in source
        assert "StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=SEED)" in source


@pytest.mark.skipif(not RUFF.exists(), reason="ruff is not installed in the virtual environment")
def test_scripts_pass_ruff_with_the_project_settings(exported):
    _, runs = exported
    paths = [str(item.path) for item in runs.values()]
    config_file = str(ROOT / "pyproject.toml")
    check = subprocess.run(
        [str(RUFF), "check", "--no-cache", "--config", config_file, *paths], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    formatted = subprocess.run(
        [str(RUFF), "format", "--check", "--no-cache", "--config", config_file, *paths], capture_output=True, text=True
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_script_filename(exported):
    _, runs = exported
    item = runs["random_forest"]
    assert export.script_filename(item.run_id) == f"train_random_forest_{item.run_id[:8]}.py"
    assert re.fullmatch(r"train_mlp_[0-9a-f]{8}\.py", export.script_filename(runs["mlp"].run_id))


def test_a_changed_score_fails_the_script(exported, tmp_path, capsys):
    """Exit status 1 when the recorded accuracy is not reproduced (here: a tampered recorded value).

    Run in-process through the script's own main(): a subprocess would only repeat the mlflow import.
    """
    import runpy

    _, runs = exported
    source = export.export_script(runs["gaussian_nb"].run_id)
    recorded = client().get_run(runs["gaussian_nb"].run_id).data.metrics["cv_accuracy"]
    tampered = source.replace(f'"cv_accuracy": {recorded!r},', f'"cv_accuracy": {recorded - 0.01!r},')
    assert tampered != source
    path = tmp_path / "tampered.py"
    path.write_text(tampered, encoding="utf-8")
    assert runpy.run_path(str(path), run_name="tampered")["main"]([]) == 1
    out = capsys.readouterr().out
    assert "does NOT reproduce" in out
    assert re.search(r"^accuracy .*DIFFERENT$", out, re.MULTILINE), out


def test_export_errors(exported):
    """Runs that hold no workbench model are refused with one clear sentence."""
    import mlflow

    project, runs = exported
    iris_data_run = runs["random_forest"].record.run_id
    experiment = project.experiment_id

    def plain_run(params: dict, tags: dict) -> str:
        with mlflow.start_run(experiment_id=experiment, tags=tags) as run:
            mlflow.log_params(params)
        return run.info.run_id

    handout = plain_run({"n_estimators": 100, "max_depth": 5}, {})
    foreign = plain_run({"algorithm": "xgboost"}, {"qua3ck.data_run": iris_data_run})
    orphan = plain_run({"algorithm": "random_forest"}, {"qua3ck.data_run": "0" * 32})
    untied = plain_run({"algorithm": "random_forest"}, {})
    cases = [
        ("f" * 32, "no run"),
        ("", "Choose a run"),
        (iris_data_run, "holds a data set"),
        (handout, "no 'algorithm' param"),
        (foreign, "'xgboost'"),
        (orphan, "data run 0+ of run .* no longer exists"),
        (untied, "does not name its data run"),
    ]
    for run_id, message in cases:
        with pytest.raises(ExportError, match=message) as info:
            export.export_script(run_id)
        text = str(info.value)
        assert text.endswith(".") and "\n" not in text, text
        assert isinstance(info.value, ValueError)
    with pytest.raises(ExportError, match="holds a data set"):
        export.script_filename(iris_data_run)


def test_failed_trial_and_empty_search_are_refused(exported):
    from mlflow.entities import Param

    project, runs = exported
    c = client()
    parent = c.get_run(runs["search"].run_id)
    failed = c.create_run(
        project.experiment_id,
        tags={
            **{k: v for k, v in parent.data.tags.items() if k.startswith("qua3ck.")},
            "qua3ck.kind": "trial",
            "mlflow.parentRunId": parent.info.run_id,
        },
    )
    c.log_batch(failed.info.run_id, params=[Param("n_estimators", "50")])
    c.set_terminated(failed.info.run_id, status="FAILED")
    with pytest.raises(ExportError, match="failed"):
        export.export_script(failed.info.run_id)
    empty = c.create_run(project.experiment_id, tags={"qua3ck.search": "1", "qua3ck.kind": "train"})
    with pytest.raises(ExportError, match="no finished trial"):
        export.export_script(empty.info.run_id)


def test_tracking_uri_passwords_stay_out_of_the_script():
    assert export.shareable_uri("postgresql://ml:secret@db:5432/mlflow") == "postgresql://ml@db:5432/mlflow"
    assert export.shareable_uri("http://user:pw@mlflow.example:5000") == "http://user@mlflow.example:5000"
    assert export.shareable_uri("sqlite:////tmp/x/mlflow.db") == "sqlite:////tmp/x/mlflow.db"
    assert export.shareable_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert export.shareable_uri("https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@mlflow.example") == (
        "https://mlflow.example"
    )
    assert export.shareable_uri("https://mlflow.example/?token=s3cret&x=1") == "https://mlflow.example/?x=1"


@pytest.mark.skipif(not RUFF.exists(), reason="ruff is not installed in the virtual environment")
def test_long_names_and_values_still_pass_ruff(exported, tmp_path):
    """Long column names, run names, URIs and sampled floats wrap as ruff format would and never break lint."""
    from dataclasses import replace

    _, runs = exported
    spec = export.export_spec(runs["hist_gradient_boosting"].run_id)
    long = replace(
        spec,
        params={"learning_rate": 0.012345678901234567, "max_iter": 123, "max_leaf_nodes": 64},
        numeric=[f"a rather long column name number {i} (with units)" for i in range(6)],
        categorical=['a "quoted" column', "it's"],
        run_name="r" * 200,
        experiment_name='an experiment """ with \\ odd characters\tand "quotes"',
        tracking_uri="postgresql://someone@db.example.org:5432/" + "d" * 150,
        steps=FeatureSteps(select_k=40, pca=30, poly_degree=2),
        select_k=12,
        pca=7,
        categories={"categorical": [[f"a long category name, number {i}" for i in range(9)], ["no", "yes", None]]},
    )
    path = tmp_path / "long.py"
    path.write_text(export.render_script(long), encoding="utf-8")
    assert "categories=CATEGORICAL_CATEGORIES" in path.read_text(encoding="utf-8")
    compile(path.read_text(encoding="utf-8"), str(path), "exec")
    config_file = str(ROOT / "pyproject.toml")
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        done = subprocess.run([str(RUFF), *command, "--config", config_file, str(path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_bool_columns_and_fixed_categories_are_written_out(exported, tmp_path):
    """Data runs from before column roles keep bool columns as bools: the script encodes them as the workbench."""
    from dataclasses import replace

    from core.train.features import column_kinds

    _, runs = exported
    spec = export.export_spec(runs["svc"].run_id)  # PCA: the workbench fixes the one-hot categories
    X = pd.DataFrame(
        {
            "x": np.linspace(0, 1, 20),
            "flag": [True, False] * 10,
            "colour": ["red", "green", "blue", None] * 5,
        }
    )
    pipeline = build_pipeline("svc", spec.raw_params, X, seed=spec.seed, steps=spec.steps)
    numeric, boolean, categorical = column_kinds(X)
    assert boolean == ["flag"]
    local = replace(
        spec,
        numeric=numeric,
        boolean=boolean,
        categorical=categorical,
        pca=int(pipeline.named_steps["pca"].n_components),
        categories=export._onehot_categories(pipeline),
        pipeline=pipeline,
    )
    source = export.render_script(local)
    export.check_script(source, local)  # the script's pipeline has every setting of the workbench's
    assert '("boolean", boolean, BOOLEAN)' in source
    if local.categories.get("boolean") is not None:
        assert "BOOLEAN_CATEGORIES = [[False, True]]" in source
    if RUFF.exists():
        path = tmp_path / "bools.py"
        path.write_text(source, encoding="utf-8")
        config_file = str(ROOT / "pyproject.toml")
        for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
            done = subprocess.run(
                [str(RUFF), *command, "--config", config_file, str(path)], capture_output=True, text=True
            )
            assert done.returncode == 0, done.stdout + done.stderr

    # and a script that would build anything else is refused, not handed out
    wrong = export.render_script(replace(local, params={**local.params, "C": 3.0}))
    with pytest.raises(RuntimeError, match="differs from the workbench's"):
        export.check_script(wrong, local)
