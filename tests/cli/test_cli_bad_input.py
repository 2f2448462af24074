"""Every CLI command with bad input: exit 2, exactly one ``error:`` line on stderr, no traceback, store unchanged.

The commands run in process (``core.cli.main``), against one module-scoped store with one trained and registered
iris model: subprocesses would cost each case the imports of mlflow and scikit-learn again. The bad files are
those of tests/unit/test_bad_input.py.
"""

from __future__ import annotations

import re

import pytest

from core import cli
from tests.unit.test_bad_input import (
    ALIAS,
    BAD,
    HOSTILE,
    MAX_MESSAGE,
    MODEL,
    MONITOR_ERRORS,
    PREDICT_ERRORS,
    READ_ERRORS,
    RETRAIN_ERRORS,
    module_store,
    store_snapshot,
    train_iris_model,
)

# The data phase refuses these (train --data FILE); the others are accepted there and would train a model
TRAIN_ERRORS = {
    **READ_ERRORS,
    "one_row": ("1 data row", "at least 10"),
    "one_class": ("only one class",),
    "inf": ("2 infinite values", "rows 4, 8"),
    "many_classes": ("3,000 classes",),
    "long_cell": ("single row", "xxxx…"),
}
LEAKED = re.compile(r"^error: \w*(Error|Exception): ")  # describe() names the type of an exception that is not ours


@pytest.fixture(scope="module")
def files(tmp_path_factory, store_template):
    """The bad files on disk, in a store with MODEL@ALIAS (v1), shared by this module's tests."""
    folder = tmp_path_factory.mktemp("bad-input-cli")
    with module_store(folder, store_template):
        project, result = train_iris_model()
        paths = {}
        for name, (filename, content) in BAD.items():
            path = folder / "files" / name / filename
            path.parent.mkdir(parents=True)
            path.write_bytes(content)
            paths[name] = str(path)
        yield {"paths": paths, "run_id": result.run_id, "project": project}


def refused(capsys, argv: list[str], *keywords: str, code: int = cli.EXIT_ERROR) -> str:
    """Run the command; assert its exit code, one 'error:' line naming the problem, and an unchanged store."""
    capsys.readouterr()
    before = store_snapshot()
    rc = cli.main(argv)
    out, err = capsys.readouterr()
    shown = f"argv {[a[:80] for a in argv]}\nexit {rc}\n--- stdout ---\n{out[:2000]}\n--- stderr ---\n{err[:2000]}"
    assert rc == code, shown
    assert "Traceback" not in err and "Traceback" not in out, shown
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), shown
    assert not LEAKED.match(lines[0]), shown
    assert len(lines[0]) <= MAX_MESSAGE + 100, shown
    for keyword in keywords:
        assert keyword.lower() in lines[0].lower(), f"{keyword!r}\n{shown}"
    assert store_snapshot() == before
    return lines[0]


# --------------------------------------------------------------------------------------------- file inputs


@pytest.mark.parametrize("name", list(TRAIN_ERRORS))
def test_train_refuses_bad_data_files_before_creating_anything(files, capsys, name):
    argv = ["train", "--experiment", "bad-input-train", "--data", files["paths"][name], "--target", "species"]
    refused(capsys, argv, *TRAIN_ERRORS[name])


@pytest.mark.parametrize("name", list(PREDICT_ERRORS))
def test_predict_refuses_bad_batches(files, capsys, name):
    argv = ["predict", "--model", MODEL, "--alias", ALIAS, "--input", files["paths"][name]]
    refused(capsys, argv, *PREDICT_ERRORS[name])


@pytest.mark.parametrize("name", list(MONITOR_ERRORS))
def test_monitor_refuses_bad_batches(files, capsys, name):
    argv = ["monitor", "--model", MODEL, "--alias", ALIAS, "--input", files["paths"][name], "--json"]
    refused(capsys, argv, *MONITOR_ERRORS[name])


@pytest.mark.parametrize("name", list(RETRAIN_ERRORS))
def test_retrain_refuses_bad_batches_and_writes_nothing(files, capsys, name):
    argv = ["retrain", "--model", MODEL, "--input", files["paths"][name], "--by", "ci"]
    refused(capsys, argv, *RETRAIN_ERRORS[name])


@pytest.mark.parametrize("command", ["predict", "monitor", "retrain"])
def test_a_missing_input_file_is_named(files, capsys, command, tmp_path):
    argv = [command, "--model", MODEL, "--input", str(tmp_path / "nope.csv")]
    argv += ["--alias", ALIAS] if command != "retrain" else ["--by", "ci"]
    refused(capsys, argv, "nope.csv", "does not exist")


def test_train_names_a_data_path_that_is_neither_a_file_nor_built_in(files, capsys, tmp_path):
    argv = ["train", "--experiment", "bad-input-train", "--data", str(tmp_path / "nope.csv"), "--target", "species"]
    refused(capsys, argv, "neither a built-in data set", "nor a file")


# ----------------------------------------------------------------------------------------------- KPI text


@pytest.mark.parametrize(
    "text",
    ["", "accuracy", "accuracy>=", "accuracy>=abc", "nonsense>=0.5", "accuracy>=2", "accuracy>=nan", *HOSTILE],
)
def test_kpis_refuses_bad_kpi_text(files, capsys, text):
    line = refused(capsys, ["kpis", "--experiment", "bad-input-kpis", "--set", text])
    assert line != "error: "


@pytest.mark.parametrize("experiment", ["bad-input-unknown", *HOSTILE])
def test_kpis_names_an_unknown_project(files, capsys, experiment):
    refused(capsys, ["kpis", "--experiment", experiment], "no project", experiment)


# ------------------------------------------------------------------------------- names, ids and versions


@pytest.mark.parametrize(
    ("argv", "keywords"),
    [
        (["promote", "--model", HOSTILE[0], "--alias", "production", "--version", "1"], ("model names",)),
        (["promote", "--model", HOSTILE[1], "--alias", "production", "--version", "1"], ()),
        (["promote", "--model", HOSTILE[2], "--alias", "production", "--version", "1"], ()),
        (["promote", "--model", MODEL, "--alias", HOSTILE[1], "--version", "1"], ("alias",)),
        (["promote", "--model", MODEL, "--alias", "**md**", "--version", "1"], ("alias",)),
        (["promote", "--model", MODEL, "--alias", "production", "--version", "99"], ("99",)),
        (["promote", "--model", MODEL, "--alias", "production", "--version", HOSTILE[0]], ()),
        (["promote", "--model", MODEL, "--alias", "production", "--run", "0" * 32], ("0" * 32,)),
        (["promote", "--model", MODEL, "--alias", "production", "--run", HOSTILE[1]], ()),
        (["rollback", "--model", "no-such-model", "--alias", ALIAS], ("no-such-model",)),
        (["rollback", "--model", HOSTILE[1], "--alias", ALIAS], ()),
        (["rollback", "--model", MODEL, "--alias", HOSTILE[1]], ()),
        (["audit", "--model", "no-such-model"], ("no-such-model",)),
        (["audit", "--model", HOSTILE[0]], ("model names",)),
        (["audit", "--model", HOSTILE[2]], ("model names",)),
        (["rollback", "--model", HOSTILE[0], "--alias", ALIAS], ("model names",)),
        (["evaluate", "--run", "0" * 32], ("no run",)),
        (["evaluate", "--run", HOSTILE[0]], ("no run",)),
        (["export", "--run", "0" * 32], ()),
        (["export", "--run", HOSTILE[1]], ()),
        (["predict", "--model", "no-such-model", "--alias", ALIAS, "--input", "README.md"], ("no-such-model",)),
        (["monitor", "--model", MODEL, "--alias", "no-such-alias", "--log"], ("no-such-alias",)),
        (["retrain", "--model", HOSTILE[1], "--input", "{one_class}", "--by", "ci"], ("no registered model",)),
        (["retrain", "--model", HOSTILE[0], "--input", "{one_class}", "--by", "ci"], ("model names",)),
        (["retrain", "--model", MODEL, "--alias", "nope", "--input", "{one_class}", "--by", "ci"], ("no alias",)),
        (["retrain", "--model", MODEL, "--input", "{one_class}", "--by", "ci", "--combine", "replace"], ("one class",)),
    ],
    ids=lambda value: value[0] if isinstance(value, list) and value else None,
)
def test_unknown_and_hostile_names_are_refused_in_one_line(files, capsys, argv, keywords):
    argv = [files["paths"]["one_class"] if a == "{one_class}" else a for a in argv]  # a batch retrain would accept
    refused(capsys, [*argv, "--by", "ci"] if argv[0] in ("promote", "rollback") else argv, *keywords)


# --------------------------------------------------------------------------------------------- --space


@pytest.mark.parametrize("method", ["grid", "random", "optuna"])
def test_a_value_list_for_a_number_is_refused_alike_by_every_method_and_help_says_so(files, capsys, method):
    argv = ["train", "--experiment", "space-list", "--data", "iris", "--algorithm", "knn", "--search", method]
    refused(capsys, [*argv, "--space", "n_neighbors=3,5,7"], "n_neighbors", "a list a,b,c is for a choice")
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "NAME=LOW:HIGH[:log|:linear][:POINTS] for a number" in shown
    assert "NAME=a,b,c for a choice" in shown
