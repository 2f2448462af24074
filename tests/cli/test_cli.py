"""The headless CLI (``python -m core``) in real subprocesses against the test's temporary store."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests import registry_setup

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 300
IRIS_CLASSES = ["setosa", "versicolor", "virginica"]


# --------------------------------------------------------------------------------------------------- helpers


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``python -m core ARGS`` in a subprocess that sees the same store as the test."""
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=cwd,
        env=os.environ.copy() if env is None else env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def describe(proc: subprocess.CompletedProcess) -> str:
    return f"exit {proc.returncode}\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"


def ok(proc: subprocess.CompletedProcess, code: int = 0) -> subprocess.CompletedProcess:
    """Assert the exit code and that nothing crashed."""
    assert proc.returncode == code, describe(proc)
    assert "Traceback" not in proc.stderr, describe(proc)
    return proc


def json_out(proc: subprocess.CompletedProcess) -> dict:
    """The single JSON object a ``--json`` command prints (and nothing else on stdout)."""
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, describe(proc)
    payload = json.loads(lines[0])
    assert isinstance(payload, dict), describe(proc)
    return payload


def assert_one_line_error(proc: subprocess.CompletedProcess) -> str:
    """A failed command: exit code 2, one non-empty line on stderr, no traceback."""
    assert proc.returncode == 2, describe(proc)
    assert "Traceback" not in proc.stderr, describe(proc)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, describe(proc)
    assert lines[0].strip(), describe(proc)
    return lines[0]


def client(tracking_uri: str | None = None):
    from mlflow import MlflowClient

    from core.common.config import active_store

    active_store()
    return MlflowClient(tracking_uri=tracking_uri) if tracking_uri else MlflowClient()


def all_runs(tracking_uri: str | None = None) -> list:
    from mlflow.entities import ViewType

    c = client(tracking_uri)
    ids = [e.experiment_id for e in c.search_experiments(view_type=ViewType.ALL)]
    return c.search_runs(ids, run_view_type=ViewType.ALL, max_results=1000) if ids else []


def registry_snapshot() -> tuple[list[str], list[tuple[str, str]]]:
    c = client()
    models = sorted(m.name for m in c.search_registered_models())
    versions = sorted((v.name, str(v.version)) for v in c.search_model_versions())
    return models, versions


def iris_features() -> pd.DataFrame:
    from core.data.sets import load_builtin

    return load_builtin("iris").drop(columns="species")


# --------------------------------------------------------------------------------------------------- happy path


def test_lifecycle_kpis_train_evaluate_promote_predict(store, tmp_path):
    from core.data.sets import load_builtin

    experiment = "CLI Iris"
    model = "cli-iris"

    kpis = json_out(
        ok(run_cli("kpis", "--experiment", experiment, "--set", "accuracy>=0.9", "--set", "latency_ms<500", "--json"))
    )
    assert kpis["kpis"] == [
        {"metric": "accuracy", "op": ">=", "threshold": 0.9},
        {"metric": "latency_ms", "op": "<", "threshold": 500.0},
    ]
    assert kpis["experiment"] == experiment

    trained = json_out(
        ok(run_cli("train", "--experiment", experiment, "--data", "iris", "--param", "n_estimators=30", "--json"))
    )
    assert {"run_id", "experiment_id", "metrics"} <= trained.keys()
    assert trained["experiment_id"] == kpis["experiment_id"]
    assert 0.8 <= trained["metrics"]["cv_accuracy"] <= 1.0
    run_id = trained["run_id"]
    run = client().get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["n_estimators"] == "30"

    evaluated = json_out(ok(run_cli("evaluate", "--run", run_id, "--json")))
    assert evaluated["run_id"] == run_id
    assert evaluated["kpis_passed"] is True
    assert evaluated["metrics"]["accuracy"] >= 0.9
    assert evaluated["metrics"]["latency_ms"] > 0
    assert [k["passed"] for k in evaluated["kpis"]] == [True, True]
    assert client().get_run(run_id).data.tags["qua3ck.kpi_verdict"] == "pass"

    promoted = json_out(ok(run_cli("promote", "--model", model, "--alias", "production", "--run", run_id, "--json")))
    assert promoted["model"] == model
    assert promoted["version"] == 1
    assert promoted["alias"] == "production"
    assert promoted["run_id"] == run_id
    assert (promoted["from_version"], promoted["override"], promoted["verdict"]) == (None, False, "pass")
    assert promoted["audit_key"].startswith("qua3ck.audit.")

    iris = load_builtin("iris")
    rows = iris.sample(12, random_state=0).reset_index(drop=True)
    features = rows.drop(columns="species")
    input_csv, output_csv = tmp_path / "in.csv", tmp_path / "out.csv"
    features.to_csv(input_csv, index=False)
    proc = ok(
        run_cli(
            "predict",
            "--model",
            model,
            "--alias",
            "production",
            "--input",
            str(input_csv),
            "--output",
            str(output_csv),
        )
    )
    assert proc.stdout.strip() == "", describe(proc)
    out = pd.read_csv(output_csv)
    proba_columns = [f"proba_{c}" for c in IRIS_CLASSES]
    assert list(out.columns) == [*features.columns, "prediction", *proba_columns]
    assert len(out) == len(features)
    pd.testing.assert_frame_equal(out[features.columns], features)
    assert set(out["prediction"]) <= set(IRIS_CLASSES)
    assert (out["prediction"] == rows["species"]).mean() >= 0.8
    np.testing.assert_allclose(out[proba_columns].sum(axis=1), 1.0, atol=1e-6)
    assert ((out[proba_columns] >= 0) & (out[proba_columns] <= 1)).all().all()

    second = json_out(ok(run_cli("promote", "--model", model, "--alias", "champion", "--version", "1", "--json")))
    assert (second["model"], second["version"], second["alias"]) == (model, 1, "champion")
    aliases = client().get_registered_model(model).aliases
    assert {alias: str(version) for alias, version in aliases.items()} == {"production": "1", "champion": "1"}
    assert len(client().search_model_versions(f"name = '{model}'")) == 1

    assert not [r.info.run_id for r in all_runs() if r.info.status == "RUNNING"]


def test_evaluate_exits_1_when_a_kpi_fails(store):
    """Wine with logistic regression, judged by a latency KPI no model can meet."""
    experiment = "CLI Wine"
    shown = ok(run_cli("kpis", "--experiment", experiment, "--set", "accuracy>=0.5", "--set", "latency_ms<0.0001"))
    assert shown.stdout.splitlines() == ["accuracy >= 0.5", "latency_ms < 0.0001"]

    wine = json_out(
        ok(
            run_cli(
                "train", "--experiment", experiment, "--data", "wine", "--algorithm", "logistic_regression", "--json"
            )
        )
    )
    wine_run = client().get_run(wine["run_id"])
    assert wine_run.info.status == "FINISHED"
    assert wine_run.data.tags["qua3ck.algorithm"] == "logistic_regression"
    assert wine_run.data.params["algorithm"] == "logistic_regression"
    assert wine["metrics"]["cv_accuracy"] >= 0.8

    result = json_out(ok(run_cli("evaluate", "--run", wine["run_id"], "--json"), code=1))
    assert result["kpis_passed"] is False
    assert [k["passed"] for k in result["kpis"]] == [True, False]
    assert result["metrics"]["accuracy"] >= 0.5
    assert client().get_run(wine["run_id"]).data.tags["qua3ck.kpi_verdict"] == "fail"


# --------------------------------------------------------------------------------------------------- compare and search


def child_runs(parent_id: str) -> list:
    c = client()
    experiment_id = c.get_run(parent_id).info.experiment_id
    return c.search_runs([experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parent_id}'")


def test_quick_compare_ranks_three_algorithms_with_feature_steps(store):
    """Several --algorithm: one run each, ranked by the primary KPI metric; feature flags reach every run."""
    ok(run_cli("kpis", "--experiment", "Compare", "--set", "f1_macro>=0.8"))
    argv = ["train", "--experiment", "Compare", "--data", "iris", "--json"]
    for algorithm in ("logistic_regression", "gaussian_nb", "decision_tree"):
        argv += ["--algorithm", algorithm]
    argv += ["--param", "max_depth=3", "--impute", "mean", "--scaling", "minmax", "--poly-degree", "2"]
    argv += ["--select-k", "6", "--cv-folds", "4"]
    proc = ok(run_cli(*argv))

    payload = json_out(proc)
    assert payload["metric"] == "f1_macro"  # the project's first score KPI, not accuracy
    runs = payload["runs"]
    assert sorted(r["algorithm"] for r in runs) == ["decision_tree", "gaussian_nb", "logistic_regression"]
    scores = [r["metrics"]["cv_f1_macro"] for r in runs]
    assert scores == sorted(scores, reverse=True)
    assert [r["rank"] for r in runs] == [1, 2, 3]
    assert payload["best"] == runs[0]
    assert len(proc.stderr.strip().splitlines()) == 3  # one progress line per algorithm, on stderr with --json
    for entry in runs:
        run = client().get_run(entry["run_id"])
        assert run.info.status == "FINISHED"
        assert run.data.params["algorithm"] == entry["algorithm"]
        assert run.data.params["prep.impute"] == "mean"
        assert run.data.params["prep.scaling"] == "minmax"
        assert run.data.params["prep.poly_degree"] == "2"
        assert run.data.params["prep.select_k"] == "6"
        assert run.data.params["cv_folds"] == "4"
        assert entry["model_uri"]
    for entry in runs:  # --param max_depth goes to the one algorithm that has it
        params = client().get_run(entry["run_id"]).data.params
        assert params.get("max_depth") == ("3" if entry["algorithm"] == "decision_tree" else None)


def test_random_search_logs_a_parent_with_child_runs_and_a_loadable_model(store):
    import mlflow

    argv = ["train", "--experiment", "Search", "--data", "iris", "--search", "random", "--trials", "4"]
    argv += ["--param", "n_estimators=20", "--space", "max_depth=2:6", "--scaling", "robust", "--json"]
    proc = ok(run_cli(*argv))

    payload = json_out(proc)
    assert (payload["status"], payload["trials"], payload["failed_trials"]) == ("finished", 4, 0)
    assert payload["metric"] == "accuracy"
    parent_id = payload["run_id"]
    parent = client().get_run(parent_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.params["prep.scaling"] == "robust"
    assert parent.data.params["n_estimators"] == "20"
    assert parent.data.tags["qua3ck.search_status"] == "finished"
    assert parent.data.metrics["cv_accuracy"] == pytest.approx(payload["best"]["metrics"]["cv_accuracy"])
    children = child_runs(parent_id)
    assert len(children) == 4
    assert {c.info.status for c in children} == {"FINISHED"}
    for child in children:
        assert child.data.params["n_estimators"] == "20"  # fixed by --param, not searched
        assert 2 <= int(child.data.params["max_depth"]) <= 6  # the --space override
    assert payload["best"]["run_id"] in {c.info.run_id for c in children}
    assert set(payload["best"]["values"]) == {"max_depth", "min_samples_leaf"}
    trial_lines = [line for line in proc.stderr.splitlines() if line.startswith("trial ")]
    assert len(trial_lines) == 4  # progress on stderr, the JSON object alone on stdout

    model = mlflow.pyfunc.load_model(payload["model_uri"])
    predicted = model.predict(iris_features().head(5))
    assert set(predicted) <= set(IRIS_CLASSES)
    assert not [r.info.run_id for r in all_runs() if r.info.status == "RUNNING"]


SUMMARY = re.compile(r"^search run (\w{32}): best CV accuracy (0\.\d{4}|1\.0000) \(trial (\d+)\), model (\S+)$")


@pytest.mark.parametrize(
    ("method", "algorithm", "trials"),
    [pytest.param("optuna", "knn", 3, id="optuna"), pytest.param("grid", "logistic_regression", 2, id="grid")],
)
def test_search_text_output(store, method, algorithm, trials):
    """Text mode: one line per trial as it finishes, a summary, and the final line naming run and model."""
    argv = ["train", "--experiment", "Search", "--data", "iris", "--algorithm", algorithm, "--search", method]
    proc = ok(run_cli(*argv, "--trials", str(trials)))

    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("search run "), describe(proc)
    assert len([line for line in lines if line.startswith("trial ")]) == trials, describe(proc)
    match = SUMMARY.match(lines[-1])
    assert match, describe(proc)
    parent_id, _, best_trial, model_uri = match.groups()
    assert int(best_trial) < trials
    parent = client().get_run(parent_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.params["search.method"] == method
    assert parent.data.tags["qua3ck.model_uri"] == model_uri
    assert len(child_runs(parent_id)) == trials
    assert proc.stderr.strip() == "", describe(proc)


def test_export_round_trip(store, tmp_path):
    """``export`` writes a run's script to a file or stdout; the script reproduces the run's CV score."""
    if not (ROOT / "core" / "export.py").is_file():
        pytest.skip("core/codegen/export.py is not there yet")

    argv = ["train", "--experiment", "Export", "--data", "iris", "--algorithm", "decision_tree", "--json"]
    run_id = json_out(ok(run_cli(*argv, "--param", "max_depth=3", "--scaling", "standard")))["run_id"]
    target = tmp_path / "retrain.py"
    ok(run_cli("export", "--run", run_id, "--output", str(target)))
    script = target.read_text(encoding="utf-8")
    assert run_id in script
    assert ok(run_cli("export", "--run", run_id)).stdout == script

    proc = subprocess.run(
        [sys.executable, str(target)], cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert proc.returncode == 0, describe(proc)
    assert "does NOT reproduce" not in proc.stdout and "reproduces" in proc.stdout, describe(proc)
    assert_one_line_error(run_cli("export", "--run", "0123456789abcdef0123456789abcdef"))


# --------------------------------------------------------------------------------------------------- bad input


def _write_files(folder: Path) -> None:
    (folder / "empty.csv").write_bytes(b"")
    (folder / "binary.csv").write_bytes(bytes(range(256)) * 8)
    rows = [f"{i},{i * 2},same" for i in range(20)]
    (folder / "one_class.csv").write_text("a,b,label\n" + "\n".join(rows) + "\n")
    iris = iris_features()
    iris.assign(species="x").to_csv(folder / "no_target.csv", index=False)
    iris.drop(columns=iris.columns[0]).head(5).to_csv(folder / "missing_column.csv", index=False)
    iris.head(5).to_csv(folder / "good.csv", index=False)


def _setup_data() -> dict[str, str]:
    """A project whose iris data is recorded (a data run, no model)."""
    from core.data import datastore
    from core.data import sets as data
    from core.question import projects

    project = projects.create_project("Bad Input")
    datastore.record_dataset(project.experiment_id, data.load_builtin("iris"), "iris", "species")
    (run,) = client().search_runs([project.experiment_id], filter_string="tags.`qua3ck.kind` = 'data'")
    return {"data_run": run.info.run_id}


def _setup_model() -> dict[str, str]:
    """A trained run whose model is registered as served-model@production."""
    from core.data import datastore
    from core.data import sets as data
    from core.question import projects
    from core.train import training

    project = projects.create_project("Bad Input")
    dataset = datastore.record_dataset(project.experiment_id, data.load_builtin("iris"), "iris", "species")
    run_id = training.train_model(project.experiment_id, dataset, "random_forest", {"n_estimators": 10}).run_id
    registry_setup.promote("served-model", "production", run_id=run_id)
    return {"run": run_id}


SETUPS = {"none": dict, "data": _setup_data, "model": _setup_model}

BAD_INPUT = [
    # kpis
    pytest.param("none", ["kpis", "--experiment", "K", "--set", "accuracy>=1.5"], id="kpi-score-above-1"),
    pytest.param("none", ["kpis", "--experiment", "K", "--set", "latency_ms<0"], id="kpi-latency-zero-or-less"),
    pytest.param("none", ["kpis", "--experiment", "K", "--set", "speed>=0.5"], id="kpi-unknown-metric"),
    pytest.param("none", ["kpis", "--experiment", "K", "--set", "accuracy is high"], id="kpi-unreadable"),
    # train
    pytest.param("none", ["train", "--experiment", "T", "--data", "{tmp}/nope.csv"], id="train-missing-file"),
    pytest.param(
        "none", ["train", "--experiment", "T", "--data", "{tmp}/empty.csv", "--target", "x"], id="train-empty"
    ),
    pytest.param(
        "none", ["train", "--experiment", "T", "--data", "{tmp}/binary.csv", "--target", "x"], id="train-binary"
    ),
    pytest.param(
        "none",
        ["train", "--experiment", "T", "--data", "{tmp}/one_class.csv", "--target", "label"],
        id="train-one-class",
    ),
    pytest.param("none", ["train", "--experiment", "T", "--data", "{tmp}/no_target.csv"], id="train-csv-no-target"),
    pytest.param(
        "none", ["train", "--experiment", "T", "--data", "iris", "--param", "n_estimators=many"], id="train-bad-param"
    ),
    pytest.param(
        "none",
        [
            "train",
            "--experiment",
            "T",
            "--data",
            "iris",
            "--algorithm",
            "knn",
            "--algorithm",
            "svc",
            "--search",
            "random",
        ],
        id="search-two-algorithms",
    ),
    pytest.param(
        "none",
        ["train", "--experiment", "T", "--data", "iris", "--search", "random", "--trials", "0"],
        id="search-0-trials",
    ),
    pytest.param(
        "none",
        ["train", "--experiment", "T", "--data", "iris", "--search", "grid", "--space", "max_depth=9:3"],
        id="search-space-min-above-max",
    ),
    pytest.param(
        "none",
        ["train", "--experiment", "T", "--data", "iris", "--search", "optuna", "--space", "depth=2:9"],
        id="search-space-unknown-name",
    ),
    # evaluate
    pytest.param("none", ["evaluate", "--run", "0123456789abcdef0123456789abcdef"], id="evaluate-unknown-run"),
    # promote
    pytest.param(
        "none",
        ["promote", "--model", "ghost", "--alias", "production", "--run", "0123456789abcdef0123456789abcdef"],
        id="promote-unknown-run",
    ),
    pytest.param(
        "data", ["promote", "--model", "ghost", "--alias", "production", "--run", "{data_run}"], id="promote-data-run"
    ),
    pytest.param(
        "none",
        [
            "promote",
            "--model",
            "ghost",
            "--alias",
            "production",
            "--run",
            "0123456789abcdef0123456789abcdef",
            "--force",
        ],
        id="promote-force-without-reason",
    ),
    # rollback and audit
    pytest.param("none", ["rollback", "--model", "ghost", "--alias", "production", "--by", "ana"], id="rollback-ghost"),
    pytest.param("model", ["rollback", "--model", "served-model", "--alias", "production"], id="rollback-no-trail"),
    pytest.param("none", ["audit", "--model", "ghost"], id="audit-ghost"),
    # predict
    pytest.param(
        "model",
        ["predict", "--model", "served-model", "--alias", "staging", "--input", "{tmp}/good.csv"],
        id="predict-unknown-alias",
    ),
    pytest.param(
        "model",
        ["predict", "--model", "served-model", "--alias", "production", "--input", "{tmp}/missing_column.csv"],
        id="predict-missing-column",
    ),
    pytest.param(
        "model",
        ["predict", "--model", "served-model", "--alias", "production", "--input", "{tmp}/nope.csv"],
        id="predict-missing-file",
    ),
    pytest.param(
        "model",
        ["predict", "--model", "served-model", "--alias", "production", "--input", "{tmp}/missing_*.csv"],
        id="predict-parts-missing-column",
    ),
    pytest.param(
        "model",
        ["predict", "--model", "served-model", "--alias", "production", "--input", "{tmp}/ghost-*.parquet"],
        id="predict-parts-none-match",
    ),
    pytest.param(
        "model",
        [
            "predict",
            "--model",
            "served-model",
            "--alias",
            "production",
            "--input",
            "{tmp}/good.csv",
            "--output",
            "{tmp}",
        ],
        id="predict-parts-output-exists",
    ),
]


@pytest.mark.parametrize(("setup", "argv"), BAD_INPUT)
def test_bad_input_is_one_line_on_stderr(store, tmp_path, setup, argv):
    from core.question import projects

    _write_files(tmp_path)
    values = {"tmp": str(tmp_path), **SETUPS[setup]()}
    registry_before = registry_snapshot()
    runs_before = {r.info.run_id for r in all_runs()}

    proc = run_cli(*[arg.format(**values) for arg in argv])

    message = assert_one_line_error(proc)
    assert message.startswith("error: "), describe(proc)
    assert proc.stdout.strip() == "", describe(proc)
    runs = all_runs()
    assert not [r.info.run_id for r in runs if r.info.status == "RUNNING"]
    assert registry_snapshot() == registry_before  # no half-created model or version
    if argv[0] == "kpis":
        assert projects.find_project("K") is None  # a rejected KPI creates no project
    if argv[0] in ("evaluate", "promote", "predict"):
        assert {r.info.run_id for r in runs} == runs_before
    if argv[0] == "promote":
        assert registry_snapshot() == ([], [])  # no registered model "ghost", no version


def test_predict_reads_a_folder_of_parts_and_writes_parquet_parts_or_one_csv(store, tmp_path):
    """Parts larger than memory are read and scored in partitions by worker processes: a folder in, a folder of
    Parquet parts out; a glob of CSV parts in, one CSV on stdout; progress and a summary on stderr."""
    _setup_model()
    rows = pd.concat([iris_features()] * 4, ignore_index=True).assign(id=range(600))
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, start in enumerate(range(0, 600, 200)):
        rows.iloc[start : start + 200].to_parquet(parts / f"part-{i}.parquet", index=False)
        rows.iloc[start : start + 200].to_csv(tmp_path / f"rows-{i}.csv", index=False)
    model = ["--model", "served-model", "--alias", "production"]

    proc = ok(run_cli("predict", *model, "--input", str(parts), "--output", str(tmp_path / "scored")))

    scored = pd.read_parquet(tmp_path / "scored")
    assert scored["id"].tolist() == list(range(600)) and set(scored["prediction"]) <= set(IRIS_CLASSES)
    assert proc.stdout == ""
    assert "scored part 3 of 3 (600 rows)" in proc.stderr
    assert re.search(
        r"predicted 600 rows in 3 parts in [\d.]+ s \([\d,]+ rows/s\) on \d workers? of this machine", proc.stderr
    )

    proc = ok(run_cli("predict", *model, "--input", str(tmp_path / "rows-*.csv")))

    streamed = pd.read_csv(io.StringIO(proc.stdout))
    assert streamed["id"].tolist() == list(range(600))
    assert streamed["prediction"].tolist() == scored["prediction"].tolist()


def test_rejected_train_creates_no_project(store):
    from core.question import projects

    proc = run_cli("train", "--experiment", "Never Trained", "--data", "iris", "--test-size", "0.9")

    assert_one_line_error(proc)
    assert not all_runs()
    assert projects.find_project("Never Trained") is None


# --------------------------------------------------------------------------------------------------- promotion gate


def _trained_runs(*verdicts: str | None) -> list[str]:
    """One trained run (with a model) per verdict, tagged as ``evaluate`` tags it; None: not evaluated."""
    from core.compare.evaluation import TAG_VERDICT
    from core.data import datastore
    from core.data import sets as data
    from core.question import projects
    from core.train import training

    project = projects.create_project("Gate")
    dataset = datastore.record_dataset(project.experiment_id, data.load_builtin("iris"), "iris", "species")
    run_ids = []
    for verdict in verdicts:
        run_id = training.train_model(project.experiment_id, dataset, "random_forest", {"n_estimators": 10}).run_id
        if verdict is not None:
            client().set_tag(run_id, TAG_VERDICT, verdict)
        run_ids.append(run_id)
    return run_ids


def registry_state(model: str) -> tuple[list[int], dict[str, str], dict[str, str]]:
    """A model's versions, aliases and audit tags: what a refused command must leave as it was."""
    c = client()
    registered = c.get_registered_model(model)
    versions = sorted(int(v.version) for v in c.search_model_versions(f"name = '{model}'"))
    aliases = {alias: str(version) for alias, version in registered.aliases.items()}
    audit = {k: v for k, v in registered.tags.items() if k.startswith("qua3ck.audit.")}
    return versions, aliases, audit


def trail(model: str, alias: str | None = None) -> list:
    from core.registry import governance

    return governance.history(model, alias)


def assert_refused(proc: subprocess.CompletedProcess) -> str:
    """The gate refused: exit code 3, one line on stderr, nothing on stdout."""
    assert proc.returncode == 3, describe(proc)
    assert "Traceback" not in proc.stderr, describe(proc)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), describe(proc)
    assert proc.stdout.strip() == "", describe(proc)
    return lines[0]


def test_promote_applies_the_gate_and_records_who_moved_what(store):
    model = "gate-iris"
    passing, failing, unevaluated = _trained_runs("pass", "fail", None)

    # a passing run to a protected alias: registered, moved, one audit entry naming who
    first = json_out(
        ok(run_cli("promote", "--model", model, "--alias", "production", "--run", passing, "--by", "ana", "--json"))
    )
    assert (first["version"], first["from_version"], first["override"], first["who"]) == (1, None, False, "ana")
    (entry,) = trail(model)
    assert (entry.key, entry.who, entry.action, entry.alias) == (first["audit_key"], "ana", "set", "production")
    assert (entry.from_version, entry.to_version, entry.override, entry.verdict) == (None, "1", False, "pass")

    # a failing or not evaluated run to a protected alias: exit 3, and no version, alias or audit change
    before = registry_state(model)
    for run_id, verdict in ((failing, "fail"), (unevaluated, "not evaluated")):
        line = assert_refused(run_cli("promote", "--model", model, "--alias", "production", "--run", run_id))
        assert "@production is protected" in line and f"'{verdict}'" in line, line
        assert registry_state(model) == before
    assert before[0] == [1]

    # a not-evaluated run to an unprotected alias is fine
    challenger = json_out(
        ok(run_cli("promote", "--model", model, "--alias", "challenger", "--run", unevaluated, "--by", "bo", "--json"))
    )
    assert (challenger["version"], challenger["override"], challenger["verdict"]) == (2, False, "not evaluated")
    assert trail(model, "challenger")[0].to_version == "2"

    # an existing version that does not pass, to a protected alias: exit 3 as well
    before = registry_state(model)
    line = assert_refused(run_cli("promote", "--model", model, "--alias", "champion", "--version", "2"))
    assert "@champion is protected" in line and "--force --reason" in line, line
    assert registry_state(model) == before

    # --force needs a reason (usage error, exit 2), and one of at least 10 characters
    usage = assert_one_line_error(
        run_cli("promote", "--model", model, "--alias", "production", "--version", "2", "--force")
    )
    assert "--reason" in usage, usage
    short = assert_one_line_error(
        run_cli("promote", "--model", model, "--alias", "production", "--version", "2", "--force", "--reason", "hotfix")
    )
    assert "10 characters" in short, short
    assert registry_state(model) == before

    # --force --reason overrides the gate; who defaults to $QUA3CK_USER
    reason = "hotfix: v1 leaks memory under load"
    env = {**os.environ, "QUA3CK_USER": "carol"}
    argv = ["promote", "--model", model, "--alias", "production", "--version", "2", "--force", "--reason", reason]
    forced = json_out(ok(run_cli(*argv, "--json", env=env)))
    assert (forced["version"], forced["from_version"], forced["override"], forced["who"]) == (2, 1, True, "carol")
    newest = trail(model, "production")[0]
    assert newest.key == forced["audit_key"]
    assert (newest.who, newest.from_version, newest.to_version) == ("carol", "1", "2")
    assert (newest.override, newest.reason, newest.verdict, newest.applied) == (True, reason, "not evaluated", True)
    assert registry_state(model)[1] == {"production": "2", "challenger": "2"}
    assert len(trail(model)) == 3


def test_rollback_moves_back_and_audit_lists_the_trail(store):
    from core.registry import governance

    model = "rollback-iris"
    first, second = _trained_runs("pass", "pass")
    for run_id in (first, second):
        ok(run_cli("promote", "--model", model, "--alias", "production", "--run", run_id, "--by", "ana"))
    assert registry_state(model)[1] == {"production": "2"}

    reason = "v2 misbehaves in production"
    back = json_out(
        ok(run_cli("rollback", "--model", model, "--alias", "production", "--by", "dave", "--reason", reason, "--json"))
    )
    assert (back["from_version"], back["to_version"], back["who"], back["reason"]) == (2, 1, "dave", reason)
    assert registry_state(model)[1] == {"production": "1"}
    newest = trail(model, "production")[0]
    assert (newest.key, newest.action, newest.who, newest.reason) == (back["audit_key"], "rollback", "dave", reason)
    assert (newest.from_version, newest.to_version) == ("2", "1")

    # rolling back the rollback restores v2; text mode is one line
    again = ok(run_cli("rollback", "--model", model, "--alias", "production", "--by", "dave"))
    assert again.stdout.strip() == "@production: v1 → v2 (rolled back)", describe(again)
    assert registry_state(model)[1] == {"production": "2"}

    listed = json.loads(ok(run_cli("audit", "--model", model, "--json")).stdout)
    assert [(e["action"], e["from_version"], e["to_version"]) for e in listed] == [
        ("rollback", "1", "2"),
        ("rollback", "2", "1"),
        ("set", "1", "2"),
        ("set", None, "1"),
    ]
    assert [e["who"] for e in listed] == ["dave", "dave", "ana", "ana"]
    text = ok(run_cli("audit", "--model", model)).stdout.strip().splitlines()
    assert text == [governance.describe_entry(e) for e in trail(model)]
    none = ok(run_cli("audit", "--model", model, "--alias", "champion"))
    assert none.stdout.strip() == f"no recorded alias changes for @champion of {model}", describe(none)


def test_kpis_that_judged_runs_change_only_with_a_reason_and_audit_lists_the_change(store):
    from core.question import projects

    model = "rules-iris"
    (run_id,) = _trained_runs("fail")
    ok(run_cli("promote", "--model", model, "--alias", "staging", "--run", run_id, "--by", "ana"))
    before = [str(k) for k in projects.find_project("Gate").kpis]
    line = assert_one_line_error(run_cli("kpis", "--experiment", "Gate", "--set", "accuracy>=0.1", "--by", "ben"))
    assert "needs a written reason of at least 10 characters" in line
    assert [str(k) for k in projects.find_project("Gate").kpis] == before  # the bar is where it was

    reason = "the pilot only needs a rough answer"
    ok(run_cli("kpis", "--experiment", "Gate", "--set", "accuracy>=0.1", "--by", "ben", "--reason", reason))
    assert [str(k) for k in projects.find_project("Gate").kpis] == ["accuracy >= 0.1"]
    listed = json.loads(ok(run_cli("audit", "--model", model, "--json")).stdout)
    assert [(e["action"], e["who"], e["reason"], e["after"]) for e in listed[:1]] == [
        ("kpis", "ben", reason, "accuracy >= 0.1")
    ]
    assert [e["action"] for e in listed[1:]] == ["set"]
    text = ok(run_cli("audit", "--model", model)).stdout
    assert f"ben changed the KPIs: {', '.join(before)} → accuracy >= 0.1: {reason}" in text


def test_a_ci_job_requests_a_promotion_and_people_approve_or_reject_it(store):
    from core.registry import requests

    model = "asked-iris"
    passing, other = _trained_runs("pass", "pass")
    ok(run_cli("promote", "--model", model, "--alias", "staging", "--run", passing, "--by", "ci"))
    ok(run_cli("promote", "--model", model, "--alias", "staging", "--run", other, "--by", "ci"))
    requests.set_rule(model, "production", 2, [], requests.Actor("ana"), "two people decide what is served")

    # promote is refused with the way to ask; the request is stored, listed and waits
    line = assert_refused(run_cli("promote", "--model", model, "--alias", "production", "--version", "1"))
    assert "only through a promotion request" in line and "'request'" in line, line
    ask = ["request", "--model", model, "--alias", "production", "--by", "ci", "--json"]
    asked = json_out(ok(run_cli(*ask, "--version", "1", "--reason", "nightly retrain beats the holder")))
    assert (asked["state"], asked["who"], asked["needed"], asked["version"]) == ("open", "ci", 2, "1")
    listed = ok(run_cli("requests")).stdout
    assert asked["id"] in listed and "asked-iris@production — → v1  open  asked by ci" in listed, listed

    # the requester cannot approve; a short reason or rejection comment is a usage error; an unknown id too
    own = assert_refused(run_cli("approve", "--model", model, "--request", asked["id"], "--by", "ci"))
    assert "someone else must decide" in own
    short = assert_one_line_error(run_cli("reject", "--model", model, "--request", asked["id"], "--by", "ana"))
    assert "--comment needs at least 10 characters" in short
    unknown = assert_one_line_error(run_cli("approve", "--model", model, "--request", "nope", "--by", "ana"))
    assert "no promotion request 'nope'" in unknown

    # two approvals move the alias; the trail names the request
    ok(run_cli("approve", "--model", model, "--request", asked["id"], "--by", "ana"))
    assert registry_state(model)[1] == {"staging": "2"}
    done = json_out(
        ok(run_cli("approve", "--model", model, "--request", asked["id"], "--by", "ben", "--comment", "ok", "--json"))
    )
    assert done["state"] == "approved" and done["approved_by"] == ["ana", "ben"]
    assert registry_state(model)[1] == {"staging": "2", "production": "1"}
    audit = ok(run_cli("audit", "--model", model)).stdout
    assert f"ben moved @production — → v1 (request {asked['id']})" in audit, audit
    assert "no open promotion requests" in ok(run_cli("requests", "--model", model)).stdout

    # a second request is rejected with a comment: nothing moves
    second = json_out(ok(run_cli(*ask, "--version", "2", "--reason", "the newer run is better on recall")))
    comment = "recall is within noise, keep v1"
    rejected = json_out(
        ok(
            run_cli(
                "reject", "--model", model, "--request", second["id"], "--by", "ana", "--comment", comment, "--json"
            )
        )
    )
    assert (rejected["state"], rejected["comment"]) == ("rejected", comment)
    assert registry_state(model)[1] == {"staging": "2", "production": "1"}
    everything = json.loads(ok(run_cli("requests", "--model", model, "--all", "--json")).stdout)
    assert [r["state"] for r in everything] == ["rejected", "approved"]


# --------------------------------------------------------------------------------------------------- environment


def test_train_honours_mlflow_tracking_uri(store, store_template, tmp_path):
    """A team server in MLFLOW_TRACKING_URI wins over the embedded store."""
    from mlflow.exceptions import MlflowException

    from core.data.sets import load_builtin

    other_db = tmp_path / "other" / "other.db"
    other_db.parent.mkdir()
    shutil.copy(store_template, other_db)
    other_uri = f"sqlite:///{other_db}"
    elsewhere = tmp_path / "elsewhere"
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    env = os.environ.copy()
    env.pop("MLFLOW_REGISTRY_URI", None)
    env["MLFLOW_TRACKING_URI"] = other_uri
    env["QUA3CK_DATA_DIR"] = str(elsewhere)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)

    # a CSV file with a named target column, as a CI job would pass its own data
    csv_path = tmp_path / "flowers.csv"
    load_builtin("iris").rename(columns={"species": "kind"}).to_csv(csv_path, index=False)
    argv = ["train", "--experiment", "Team", "--data", str(csv_path), "--target", "kind", "--param", "n_estimators=30"]
    trained = json_out(ok(run_cli(*argv, "--json", env=env, cwd=workdir)))
    run_id = trained["run_id"]
    assert trained["metrics"]["cv_accuracy"] >= 0.8

    remote = client(other_uri).get_run(run_id)
    assert remote.info.status == "FINISHED"
    data_run = client(other_uri).get_run(remote.data.tags["qua3ck.data_run"])
    assert (data_run.data.params["dataset"], data_run.data.params["target"]) == ("flowers", "kind")
    assert client(other_uri).get_experiment_by_name("Team") is not None
    with pytest.raises(MlflowException):
        client().get_run(run_id)
    assert client().get_experiment_by_name("Team") is None
    assert not all_runs()  # the fixture store is untouched
    assert not elsewhere.exists()

    # the model's artifacts are readable from the team store (exit 1 when the default KPIs are missed)
    proc = run_cli("evaluate", "--run", run_id, "--json", env=env, cwd=workdir)
    assert proc.returncode in (0, 1), describe(proc)
    assert "Traceback" not in proc.stderr, describe(proc)
    evaluated = json_out(proc)
    assert evaluated["metrics"]["accuracy"] > 0.8
    assert evaluated["kpis_passed"] is (proc.returncode == 0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _mlflow_server(store_template, folder: Path):
    """A real ``mlflow server`` (HTTP) on a copy of the migrated store; yields (url, process)."""
    folder.mkdir()
    shutil.copy(store_template, folder / "server.db")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (folder / "server.log").open("w")
    command = [
        str(Path(sys.executable).parent / "mlflow"),
        "server",
        "--backend-store-uri",
        f"sqlite:///{folder / 'server.db'}",
        "--artifacts-destination",
        str(folder / "mlartifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    server = subprocess.Popen(command, cwd=folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mlflow server did not start:\n{(folder / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield url, server
    finally:
        _stop_server(server)
        log.close()


def _stop_server(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)  # the server and the uvicorn/job workers it started
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


@pytest.fixture
def tracking_server(store_template, tmp_path):
    """A real ``mlflow server`` (HTTP) on a copy of the migrated store, as a team would run it."""
    with _mlflow_server(store_template, tmp_path / "server") as (url, _):
        yield url


def test_a_search_ends_with_one_clear_line_when_the_tracking_server_goes_away(store, store_template, tmp_path):
    with _mlflow_server(store_template, tmp_path / "server") as (url, server):
        env = os.environ.copy()
        env.pop("MLFLOW_REGISTRY_URI", None)
        env.update(
            MLFLOW_TRACKING_URI=url,
            MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",  # fail fast instead of MLflow's minutes of retries
            MLFLOW_HTTP_REQUEST_TIMEOUT="10",
            QUA3CK_DATA_DIR=str(tmp_path / "unused"),
            PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
        )
        argv = ["train", "--experiment", "Team", "--data", "iris", "--search", "random", "--trials", "500"]
        search = subprocess.Popen(
            [sys.executable, "-m", "core", *argv],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            seen = []
            for line in search.stdout:  # wait until trials are being logged to the server
                seen.append(line)
                if line.startswith("trial "):
                    break
            assert any(line.startswith("trial ") for line in seen), "".join(seen) + search.stderr.read()
            _stop_server(server)  # the store goes away mid-search
            _, stderr = search.communicate(timeout=TIMEOUT)
        finally:
            if search.poll() is None:
                search.kill()
    assert search.returncode == 2, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: The MLflow store stopped answering"), stderr


def test_train_json_is_the_only_stdout_with_a_tracking_server(store, tmp_path, tracking_server):
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    env = os.environ.copy()
    env.pop("MLFLOW_REGISTRY_URI", None)
    env["MLFLOW_TRACKING_URI"] = tracking_server
    env["QUA3CK_DATA_DIR"] = str(tmp_path / "unused")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)

    argv = ["train", "--experiment", "Team", "--data", "iris", "--param", "n_estimators=10", "--json"]
    proc = ok(run_cli(*argv, env=env, cwd=workdir))

    last = json.loads(proc.stdout.strip().splitlines()[-1])
    assert client(tracking_server).get_run(last["run_id"]).info.status == "FINISHED"
    assert not all_runs()  # nothing went to the embedded store
    assert json_out(proc) == last  # a CI job pipes this into jq: it must be the only output


# --------------------------------------------------------------------------------------------------- handout flow

# The handout's train.py (plain mlflow, bare numpy arrays, no signature), then its registry steps done in code.
# Version 1 is the handout's own artifact: ``log_model`` with defaults (skops, no trusted types). MLflow 3.17
# refuses to save that (it checks the skops file at save time); earlier 3.x releases saved it and only failed
# at load time. When this MLflow refuses, the script writes that same artifact: skops with the trust list
# removed from MLmodel. Version 2 is what the handout produced under MLflow 2.x: a cloudpickle file.
HANDOUT_TRAIN = textwrap.dedent(
    """
    import json
    from pathlib import Path

    import mlflow
    import yaml
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import train_test_split

    mlflow.set_experiment("Iris Classification Experiment")
    iris = load_iris()
    X, y = iris.data, iris.target
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    with mlflow.start_run() as run:
        params = {"n_estimators": 100, "max_depth": 5, "random_state": 42}
        mlflow.log_params(params)
        rf = RandomForestClassifier(**params)
        rf.fit(X_train, y_train)
        acc = accuracy_score(y_test, rf.predict(X_test))
        mlflow.log_metric("accuracy", acc)
        verbatim_error = None
        try:
            mlflow.sklearn.log_model(rf, "random-forest-model")
        except MlflowException as exc:
            verbatim_error = str(exc).splitlines()[0]
            info = mlflow.sklearn.log_model(
                rf,
                name="random-forest-model",
                skops_trusted_types=["sklearn.tree._tree.Tree"],
                pip_requirements=["scikit-learn", "skops"],  # skip the slow inference; irrelevant to serving
            )
            mlmodel = Path(MlflowClient().get_logged_model(info.model_id).artifact_location) / "MLmodel"
            spec = yaml.safe_load(mlmodel.read_text())
            del spec["flavors"]["sklearn"]["skops_trusted_types"]
            mlmodel.write_text(yaml.safe_dump(spec))
    run_id = run.info.run_id
    version = mlflow.register_model(f"runs:/{run_id}/random-forest-model", "iris-classifier").version
    MlflowClient().set_registered_model_alias("iris-classifier", "production-candidate", version)

    with mlflow.start_run() as pickled_run:
        mlflow.sklearn.log_model(
            rf, name="random-forest-model", serialization_format="cloudpickle", pip_requirements=["scikit-learn"]
        )
    pickled = mlflow.register_model(f"runs:/{pickled_run.info.run_id}/random-forest-model", "iris-classifier")
    result = {
        "run_id": run_id,
        "versions": [str(version), str(pickled.version)],
        "verbatim_error": verbatim_error,
        "predictions": rf.predict(X).tolist(),
    }
    print("RESULT " + json.dumps(result))
    """
)


def test_handout_train_script_model_is_served(store, tmp_path):
    """Models logged the handout's way (bare arrays, no signature, no input names) are served by the CLI."""
    from sklearn.datasets import load_iris

    from core.common.config import resolve_store
    from core.serve.predict import load_served_model, predict_frame, predict_one

    workdir = tmp_path / "handout"
    workdir.mkdir()
    script = workdir / "train.py"
    script.write_text(HANDOUT_TRAIN)
    env = os.environ.copy()
    env["MLFLOW_TRACKING_URI"] = resolve_store().tracking_uri
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=workdir, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert proc.returncode == 0, describe(proc)
    (line,) = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    result = json.loads(line.removeprefix("RESULT "))
    assert result["versions"] == ["1", "2"]
    assert result["verbatim_error"] is None or "untrusted types" in result["verbatim_error"]
    expected = result["predictions"]

    X = load_iris().data
    columns = [f"feature_{i}" for i in range(X.shape[1])]  # a bare-array model's inputs, in order
    frame = pd.DataFrame(X, columns=columns)
    input_csv = tmp_path / "in.csv"
    frame.to_csv(input_csv, index=False)
    proc = ok(
        run_cli("predict", "--model", "iris-classifier", "--alias", "production-candidate", "--input", str(input_csv))
    )
    out = pd.read_csv(io.StringIO(proc.stdout))
    assert list(out.columns) == [*columns, "prediction", "proba_0", "proba_1", "proba_2"]
    assert out["prediction"].tolist() == expected
    assert set(out["prediction"]) == {0, 1, 2}
    np.testing.assert_allclose(out[["proba_0", "proba_1", "proba_2"]].sum(axis=1), 1.0, atol=1e-6)

    # the iris file as people have it (named columns, the species beside them): matched by position, and said so
    iris = load_iris(as_frame=True)
    named = iris.frame.drop(columns="target").assign(species=iris.target_names[iris.target])
    named_csv = tmp_path / "iris.csv"
    named.to_csv(named_csv, index=False)
    proc = ok(
        run_cli("predict", "--model", "iris-classifier", "--alias", "production-candidate", "--input", str(named_csv))
    )
    assert pd.read_csv(io.StringIO(proc.stdout))["prediction"].tolist() == expected
    assert "note: The model was logged without column names" in proc.stderr
    assert "sepal length (cm) → feature_0" in proc.stderr and "species" not in proc.stderr.split("→")[-1]

    for version in result["versions"]:
        model = load_served_model("iris-classifier", version)
        assert model.features == columns
        assert model.named_inputs is False
        assert model.classes == ["0", "1", "2"]
        assert model.run_id is not None
        prediction = predict_one(model, dict(zip(columns, X[0].tolist(), strict=True)))
        assert prediction.label == str(expected[0])
        assert sum(prediction.probabilities.values()) == pytest.approx(1.0)
        assert predict_frame(model, frame)["prediction"].tolist() == expected


def test_messy_german_export_trains_and_predicts_from_the_cli(store, tmp_path):
    """Semicolons, decimal commas, Latin-1, gaps, text categories and an ID column, end to end in the CLI."""
    rng = np.random.default_rng(5)
    rows = 160
    frame = pd.DataFrame(
        {
            "Kunden-Nr": np.arange(5000, 5000 + rows),
            "Länge": rng.normal(5, 1, rows).round(2),
            "Farbe": rng.choice(["rot", "grün", "blau"], rows),
        }
    )
    frame["Sorte"] = np.where(frame["Länge"] + (frame["Farbe"] == "rot") * 1.5 > 5.6, "Süß", "Sauer")
    frame.loc[::9, "Länge"] = np.nan
    frame.loc[::11, "Farbe"] = np.nan
    export = tmp_path / "obst.csv"
    export.write_bytes(frame.to_csv(sep=";", decimal=",", index=False).encode("cp1252"))

    proc = ok(run_cli("train", "--experiment", "Obst", "--data", str(export), "--target", "Sorte", "--json"))
    payload = json.loads(proc.stdout)
    assert payload["features"] == ["Länge", "Farbe"]  # the ID column is left out
    assert any("Kunden-Nr" in w for w in payload["warnings"])
    # not evaluated, so a protected alias would refuse it; @challenger is not protected
    ok(run_cli("promote", "--model", "obst", "--alias", "challenger", "--run", payload["run_id"]))

    batch = tmp_path / "neu.csv"
    frame.drop(columns="Sorte").head(11).to_csv(batch, sep=";", decimal=",", index=False, encoding="cp1252")
    out = tmp_path / "out.csv"
    # its first row has gaps in both features (only the ID, which the model does not use): refused by number
    refused = run_cli(
        "predict", "--model", "obst", "--alias", "challenger", "--input", str(batch), "--output", str(out)
    )
    assert refused.returncode == 2 and "1 row (row 1) has no value in any of the model's features" in refused.stderr
    assert not out.exists()
    frame.drop(columns="Sorte").iloc[1:11].to_csv(batch, sep=";", decimal=",", index=False, encoding="cp1252")
    ok(run_cli("predict", "--model", "obst", "--alias", "challenger", "--input", str(batch), "--output", str(out)))
    predicted = pd.read_csv(out)
    assert set(predicted["prediction"]) <= {"Süß", "Sauer"} and len(predicted) == 10
    assert {"proba_Süß", "proba_Sauer"} <= set(predicted.columns)

    broken = tmp_path / "kaputt.csv"
    broken.write_bytes(b"x;y;Sorte\n" + b"".join(f"{i};{'inf' if i == 3 else i};a\n".encode() for i in range(30)))
    proc = run_cli("train", "--experiment", "Obst", "--data", str(broken), "--target", "Sorte")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
