"""Bad input at every upload point: a specific message (or a specific acceptance) and an unchanged store.

Each bad file goes through the path its page or command takes: the data phase (read_table, check_dataset and
the refusal of record_dataset), a prediction batch (read_prediction_csv, predict_frame), a monitoring batch
(monitor_file) and a retraining batch (read_table, plan_retrain). A refusal is one of our ValueError subclasses
whose one-line, bounded message names the problem; nothing else may leak (KeyError, UnicodeDecodeError, …).
Before and after every case the store is counted: runs of every experiment in every lifecycle stage, registered
versions, aliases and tags. One model is trained per module, in a module-scoped temporary store.
"""

from __future__ import annotations

import contextlib
import random
import shutil

import numpy as np
import pandas as pd
import pytest

from tests import registry_setup

FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
TARGET = "species"
CLASSES = ["setosa", "versicolor", "virginica"]
HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "**md** [l](http://x)"]
MODEL = "bad-input-model"
ALIAS = "champion"
MAX_MESSAGE = 1500  # a message is for people: one line, never a 100 kB cell echoed back


# ------------------------------------------------------------------------------------------- the catalogue


def _iris() -> pd.DataFrame:
    from core.data.sets import load_builtin

    return load_builtin("iris")


def _csv(frame: pd.DataFrame, encoding: str = "utf-8") -> bytes:
    return frame.to_csv(index=False).encode(encoding)


def _catalogue() -> dict[str, tuple[str, bytes]]:
    """name -> (filename, bytes): iris-shaped where the columns matter, so each file fails for its own reason."""
    iris = _iris()
    lines = _csv(iris).splitlines()
    rng = random.Random(0)
    ragged = b"\n".join([*lines[:40], lines[40] + b",7.7", *lines[41:]]) + b"\n"
    umlauts = {"setosa": "sétosa", "versicolor": "versicölor", "virginica": "virginicä"}
    # "set(osa" with an invalid UTF-8 pair and 0x81, which Windows-1252 does not define either
    invalid = _csv(iris).replace(b"setosa", b"set\xc3\x28osa\x81", 1)
    duplicate = b"\n".join([lines[0].replace(b"sepal width (cm)", b"sepal length (cm)"), *lines[1:]]) + b"\n"
    inf = iris.copy()
    inf.loc[[3, 7], FEATURES[0]] = [np.inf, -np.inf]
    empty_rows = iris.copy()
    empty_rows.loc[[4, 11], FEATURES] = np.nan  # the file's rows 5 and 12: a class, no feature
    numbers = np.random.default_rng(0).normal(loc=4, size=(6000, 4)).round(3)
    many = pd.DataFrame(numbers, columns=FEATURES).assign(species=[f"class_{i % 3000}" for i in range(6000)])
    long_cell = iris.astype({TARGET: object})
    long_cell.loc[5, TARGET] = "x" * 100_000
    hostile = iris.assign(species=iris[TARGET].map(dict(zip(CLASSES, HOSTILE, strict=True))))
    for i, name in enumerate(HOSTILE):
        hostile[name] = [HOSTILE[(i + j) % 3] for j in range(len(iris))]
    return {
        "empty": ("empty.csv", b""),
        "blank": ("blank.csv", b"\n \n\t\n"),
        "header_only": ("header.csv", lines[0] + b"\n"),
        "binary": ("binary.csv", bytes(rng.randrange(256) for _ in range(4096)) + b"\x00\x00"),
        "ragged": ("ragged.csv", ragged),
        "latin1": ("latin1.csv", _csv(iris.assign(species=iris[TARGET].map(umlauts)), "latin-1")),
        "invalid_utf8": ("invalid.csv", invalid),
        "utf16_no_bom": ("utf16.csv", _csv(iris, "utf-16-le")),
        "utf16_be_no_bom": ("utf16be.csv", _csv(iris, "utf-16-be")),
        "duplicate_headers": ("duplicate.csv", duplicate),
        "one_row": ("one.csv", b"\n".join(lines[:2]) + b"\n"),
        "one_class": ("one_class.csv", _csv(iris[iris[TARGET] == "setosa"])),
        "all_nan": ("all_nan.csv", _csv(iris.assign(**{FEATURES[3]: np.nan}))),
        "inf": ("inf.csv", _csv(inf)),
        "empty_rows": ("empty_rows.csv", _csv(empty_rows)),
        # an empty line of separators inside the data (the file's data row 6) and two after it
        "empty_lines": ("empty_lines.csv", b"\n".join([*lines[:6], b",,,,", *lines[6:], b",,,,", b",,,,"]) + b"\n"),
        "many_classes": ("many.csv", _csv(many)),
        "long_cell": ("long_cell.csv", _csv(long_cell)),
        "long_name": ("long_name.csv", _csv(iris.assign(**{"n" * 10_000: 1.0}))),
        "hostile": ("hostile.csv", _csv(hostile)),
    }


BAD = _catalogue()


# ---------------------------------------------------------------------------------------- store and model


def store_snapshot() -> dict:
    """What a refusal must not change: experiments (with tags), runs in every stage, versions, aliases, tags."""
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    from core.common.config import active_store

    active_store()
    client = MlflowClient()
    experiments = client.search_experiments(view_type=ViewType.ALL)
    runs = {
        e.experiment_id: len(client.search_runs([e.experiment_id], run_view_type=ViewType.ALL, max_results=5000))
        for e in experiments
    }
    models = {}
    for found in client.search_registered_models():
        model = client.get_registered_model(found.name)
        escaped = model.name.replace("'", "\\'")
        versions = client.search_model_versions(f"name = '{escaped}'")
        models[model.name] = {"versions": len(versions), "aliases": dict(model.aliases), "tags": dict(model.tags)}
    return {
        "experiments": {e.experiment_id: (e.name, e.lifecycle_stage, dict(e.tags)) for e in experiments},
        "runs": runs,
        "models": models,
    }


@contextlib.contextmanager
def module_store(folder, template):
    """A temporary store for a whole module (the conftest ``store`` is per test), active until the block ends."""
    from core.common import config

    data_dir = folder / "store"
    data_dir.mkdir()
    shutil.copy(template, data_dir / "mlflow.db")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        patch.delenv("MLFLOW_REGISTRY_URI", raising=False)
        patch.setenv(config.DATA_DIR_ENV, str(data_dir))
        patch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        config._active = None
        config.activate_store()
        try:
            yield data_dir
        finally:
            import mlflow

            while mlflow.active_run():
                mlflow.end_run()
            config._active = None  # the next test activates its own store


def train_iris_model():
    """The example project with iris recorded and a 10-tree random forest registered as MODEL@ALIAS."""
    from core.data import datastore
    from core.data import sets as data
    from core.question import projects
    from core.train import training

    project = projects.ensure_example_project()
    record = datastore.record_dataset(project.experiment_id, data.load_builtin("iris"), "iris", TARGET)
    result = training.train_model(project.experiment_id, record, "random_forest", {"n_estimators": 10})
    registry_setup.promote(MODEL, ALIAS, run_id=result.run_id)
    return project, result


@pytest.fixture(scope="module")
def served(tmp_path_factory, store_template):
    """(project, served model) in a store shared by this module's tests; each test checks it is left unchanged."""
    from core.serve import predict

    with module_store(tmp_path_factory.mktemp("bad-input"), store_template):
        project, _ = train_iris_model()
        yield project, predict.load_served_model(MODEL, "1")


@pytest.fixture
def unchanged(served):
    """Fails the test when the store differs after it from before it."""
    before = store_snapshot()
    yield
    assert store_snapshot() == before


def _specific(message: str, *keywords: str) -> None:
    """One line, bounded, and naming the problem with every keyword (case-insensitive)."""
    assert "\n" not in message and len(message) <= MAX_MESSAGE, message[:2000]
    assert "Traceback" not in message
    for keyword in keywords:
        assert keyword.lower() in message.lower(), f"{keyword!r} not in: {message[:2000]}"


# What every upload point says when the file itself cannot be read as a table
READ_ERRORS = {
    "empty": ("empty",),
    "blank": ("empty",),
    "header_only": ("header row", "no data rows"),
    "binary": ("binary data", "NUL byte"),
    "ragged": ("line 41 has 6 fields", "5"),
    "invalid_utf8": ("cannot be read as", "byte 0x81", "line 2"),
    "duplicate_headers": ("duplicate column names", "'sepal length (cm)' (columns 1 and 2)"),
}


# ----------------------------------------------------------------------------------------------- data phase


def _data_phase(name: str):
    """The Data page's path: read the upload, check it, and (when the check finds errors) try to record it."""
    from core.data import datastore, loading
    from core.data import sets as data
    from core.data.validation import blocking

    filename, content = BAD[name]
    frame = loading.read_table(content, filename, min_rows=data.MIN_ROWS, min_columns=2).frame
    roles, features, findings = datastore.check_dataset(frame, TARGET)
    return frame, features, findings, blocking(findings)


DATA_FINDINGS = {  # checks with severity "error" the data phase reports, and the words their messages use
    "one_class": ("single_class", ("only one class", "'setosa'")),
    "inf": ("infinite_values", ("2 infinite values", "rows 4, 8", "'sepal length (cm)'")),
    "many_classes": ("too_many_classes", ("3,000 classes", "at most 100")),
    "long_cell": ("too_few_rows_per_class", ("single row", "xxxx…")),
}


@pytest.mark.parametrize("name", [*READ_ERRORS, "one_row"])
def test_data_phase_refuses_unreadable_files(served, unchanged, name):
    from core.data.sets import DataError

    with pytest.raises(DataError) as caught:
        _data_phase(name)
    keywords = READ_ERRORS.get(name) or ("1 data row", "at least 10")
    _specific(str(caught.value), *keywords)


@pytest.mark.parametrize("name", list(DATA_FINDINGS))
def test_data_phase_reports_blocking_findings_and_records_nothing(served, unchanged, name):
    from core.data import datastore
    from core.data.sets import DataError

    frame, _, _, errors = _data_phase(name)
    check, keywords = DATA_FINDINGS[name]
    assert [f.check for f in errors] == [check]
    _specific(errors[0].message, *keywords)
    project, _ = served
    with pytest.raises(DataError) as caught:  # the button is disabled; the library refuses as well
        datastore.record_dataset(project.experiment_id, frame, name, TARGET)
    _specific(str(caught.value), *keywords)


def test_data_phase_reads_latin1_with_its_umlauts(served, unchanged):
    frame, _, _, errors = _data_phase("latin1")
    assert not errors
    assert sorted(frame[TARGET].unique()) == ["sétosa", "versicölor", "virginicä"]


def test_data_phase_drops_lines_without_any_value(served, unchanged):
    frame, _, _, errors = _data_phase("empty_lines")
    assert not errors and len(frame) == 150


def test_data_phase_excludes_an_all_missing_feature_with_a_warning(served, unchanged):
    _, features, findings, errors = _data_phase("all_nan")
    assert not errors
    assert features == FEATURES[:3]
    (finding,) = [f for f in findings if f.column == FEATURES[3]]
    assert finding.severity == "warning"
    _specific(finding.message, "entirely empty", "excluded")


def test_data_phase_keeps_a_long_column_name_but_quotes_it_shortly(served, unchanged):
    frame, features, findings, errors = _data_phase("long_name")
    assert not errors
    assert "n" * 10_000 in frame.columns and "n" * 10_000 not in features  # one value: constant
    for finding in findings:
        _specific(finding.message)


def test_data_phase_treats_hostile_names_and_values_as_plain_text(served, unchanged):
    frame, features, findings, errors = _data_phase("hostile")
    assert not errors
    assert sorted(frame[TARGET].unique()) == sorted(HOSTILE)
    assert set(HOSTILE) <= set(frame.columns)
    assert set(FEATURES) <= set(features)


# --------------------------------------------------------------------------------------- prediction batch


def _predict(model, name: str) -> pd.DataFrame:
    from core.serve import predict

    filename, content = BAD[name]
    return predict.predict_frame(model, predict.read_prediction_csv(content, model, filename))


EMPTY_ROWS = ("2 rows (rows 5, 12) have no value in any of the model's features",)
# a batch keeps its rows where the file has them, so an empty line inside it is refused by its number (the lines
# after the last row are no rows); training data drops it
EMPTY_LINES = ("1 row (row 6) has no value in any of the model's features",)
PREDICT_ERRORS = {
    **READ_ERRORS,
    "inf": ("2 infinite values", "rows 4, 8", "cannot score"),
    "empty_rows": EMPTY_ROWS,
    "empty_lines": EMPTY_LINES,
}


@pytest.mark.parametrize("name", list(PREDICT_ERRORS))
def test_prediction_batch_refusals_are_specific(served, unchanged, name):
    from core.serve.predict import PredictError

    with pytest.raises(PredictError) as caught:
        _predict(served[1], name)
    _specific(str(caught.value), *PREDICT_ERRORS[name])


# A batch needs the model's input columns; labels, extra columns and odd values elsewhere are not its business
PREDICT_ACCEPTS = {
    "latin1": 150,
    "one_row": 1,
    "one_class": 50,
    "all_nan": 150,
    "many_classes": 6000,
    "long_cell": 150,
    "long_name": 150,
    "hostile": 150,
}


@pytest.mark.parametrize("name", list(PREDICT_ACCEPTS))
def test_prediction_batch_accepts_what_the_model_can_score(served, unchanged, name):
    out = _predict(served[1], name)
    assert len(out) == PREDICT_ACCEPTS[name]
    assert set(out["prediction"]) <= set(CLASSES)


def test_prediction_batch_warns_about_an_all_missing_feature(served, unchanged):
    from core.serve import predict

    _, model = served
    filename, content = BAD["all_nan"]
    _, findings = predict.read_batch(content, filename, model)
    messages = [f.message for f in findings if f.column == FEATURES[3]]
    assert messages and all(f.severity != "error" for f in findings)
    _specific(messages[0], "150 missing values")


def test_prediction_batch_keeps_hostile_values_verbatim(served, unchanged):
    out = _predict(served[1], "hostile")
    assert list(out[HOSTILE[0]][:3]) == HOSTILE


# --------------------------------------------------------------------------------------- monitoring batch


MONITOR_ERRORS = {
    **READ_ERRORS,
    "one_row": ("1 row", "at least 30"),
    "inf": ("does not fit", "2 infinite values", "rows 4, 8"),
    "empty_rows": EMPTY_ROWS,
    "empty_lines": EMPTY_LINES,
}
MONITOR_ACCEPTS = {name: rows for name, rows in PREDICT_ACCEPTS.items() if name != "one_row"}


@pytest.mark.parametrize("name", list(MONITOR_ERRORS))
def test_monitoring_batch_refusals_are_specific(served, unchanged, name):
    from core.monitor import monitoring

    filename, content = BAD[name]
    with pytest.raises(monitoring.MonitorError) as caught:
        monitoring.monitor_file(MODEL, ALIAS, content, filename)
    _specific(str(caught.value), *MONITOR_ERRORS[name])


@pytest.mark.parametrize("name", list(MONITOR_ACCEPTS))
def test_monitoring_batch_compares_what_it_can_read(served, unchanged, name):
    from core.monitor import monitoring

    filename, content = BAD[name]
    report = monitoring.monitor_file(MODEL, ALIAS, content, filename)
    assert report.current_rows == MONITOR_ACCEPTS[name]
    assert {d.feature for d in report.drift} == set(FEATURES)


# --------------------------------------------------------------------------------------- retraining batch


def _plan(name: str, combine: str = "append"):
    """The Retrain page's and the CLI's path: read the batch (at least one row), then plan."""
    from core.data import loading
    from core.monitor import retrain

    filename, content = BAD[name]
    batch = loading.read_table(content, filename, min_rows=1, batch=True).frame
    return retrain.plan_retrain(MODEL, batch, ALIAS, combine, filename)


RETRAIN_ERRORS = {
    **READ_ERRORS,
    "latin1": ("never saw", "'sétosa'", "'versicölor'"),
    "one_row": ("1 labelled row", "at least 20"),
    "inf": ("2 infinite values", "rows 4, 8"),
    "empty_rows": EMPTY_ROWS,
    "empty_lines": EMPTY_LINES,
    "many_classes": ("never saw", "2,990 more"),
    "long_cell": ("never saw", "xxxx…"),
    "long_name": ("not in the training data", "nnnn…"),
    "hostile": ("not in the training data", *(f"'{h}'" for h in HOSTILE)),
}


@pytest.mark.parametrize("name", list(RETRAIN_ERRORS))
def test_retraining_batch_refusals_are_specific(served, unchanged, name):
    from core.data.sets import DataError
    from core.monitor.retrain import RetrainError

    with pytest.raises((DataError, RetrainError)) as caught:
        _plan(name)
    expected = DataError if name in READ_ERRORS else RetrainError
    assert type(caught.value) is expected
    _specific(str(caught.value), *RETRAIN_ERRORS[name])


def test_retraining_appends_a_one_class_batch_but_refuses_it_alone(served, unchanged):
    from core.monitor.retrain import RetrainError

    plan = _plan("one_class")
    assert len(plan.frame) == 150 + 50
    with pytest.raises(RetrainError) as caught:
        _plan("one_class", combine="replace")
    _specific(str(caught.value), "The batch cannot be used", "only one class")


def test_retraining_appends_an_all_missing_feature_with_a_warning(served, unchanged):
    plan = _plan("all_nan")
    assert any("150 missing values" in w and FEATURES[3] in w for w in plan.warnings)
