"""core.common.errors: one WorkbenchError base; our messages as they are, the store's with their type, anything else
an internal error logged with its traceback under a reference."""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path

import pytest
from mlflow.exceptions import MlflowException

from core.common.errors import WorkbenchError, describe, describe_in_document
from core.data.sets import DataError
from core.question.kpis import KPIError

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"reference ([0-9a-f]{8})")


def test_our_errors_are_shown_as_they_are():
    assert describe(DataError("The target column 'x' is missing.")) == "The target column 'x' is missing."
    assert describe(KPIError("bad  KPI\ntext")) == "bad KPI text"


def test_the_stores_refusals_keep_their_type():
    assert describe(MlflowException("Run 'abc' not found")) == "MlflowException: Run 'abc' not found"
    assert describe(ConnectionRefusedError("connection refused")) == "ConnectionRefusedError: connection refused"


@pytest.mark.parametrize(
    "exc",
    [ValueError("operands could not be broadcast together with shapes (3,) (4,)"), KeyError("oops"), TypeError("x")],
)
def test_anything_else_is_an_internal_error_logged_under_a_reference(exc, caplog):
    try:
        raise exc
    except Exception as raised:  # noqa: BLE001 — the traceback must be the one logged
        with caplog.at_level(logging.ERROR, logger="qua3ck"):
            said = describe(raised)
    assert said.startswith("Something went wrong inside the workbench")
    assert str(exc) not in said  # numpy's or pandas' words are not a message for people
    (reference,) = REFERENCE.findall(said)
    (record,) = [r for r in caplog.records if reference in r.getMessage()]
    assert record.exc_info is not None and record.exc_info[1] is exc  # logged with its traceback


def test_a_document_names_the_defect_and_logs_it(caplog):
    with caplog.at_level(logging.ERROR, logger="qua3ck"):
        assert describe_in_document(KeyError("oops")) == "KeyError: 'oops'"
    assert caplog.records and describe_in_document(DataError("no rows")) == "no rows"


def _error_classes() -> list[tuple[str, str, list[str]]]:
    """(file, class, bases) of every class in core whose name ends in Error."""
    found = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Error"):
                bases = [ast.unparse(b) for b in node.bases]
                found.append((str(path.relative_to(ROOT)), node.name, bases))
    return found


def test_every_error_of_core_is_a_workbench_error():
    import importlib

    classes = _error_classes()
    assert len(classes) >= 16
    for file, name, _ in classes:
        module = importlib.import_module(file.removesuffix(".py").replace("/", "."))
        cls = getattr(module, name)
        assert issubclass(cls, WorkbenchError), f"{file}: {name} does not derive from WorkbenchError"


def test_the_cli_says_one_line_and_logs_the_traceback_to_a_file(store, monkeypatch, tmp_path, capsys):
    from core import cli

    def broken(args):
        return {}["missing"]

    from core.common.errors import LOGGER

    monkeypatch.setattr(LOGGER, "handlers", [])  # restored afterwards: main() points the log at a file
    monkeypatch.setattr(LOGGER, "propagate", True)
    monkeypatch.setitem(cli.COMMANDS, "audit", broken)
    monkeypatch.setattr(cli.tempfile, "gettempdir", lambda: str(tmp_path))
    assert cli.main(["audit", "--model", "m"]) == cli.EXIT_ERROR
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Something went wrong inside the workbench")
    (reference,) = REFERENCE.findall(lines[0])
    log = tmp_path / cli.LOG_FILE
    assert str(log) in lines[0]
    logged = log.read_text(encoding="utf-8")
    assert reference in logged and "Traceback" in logged and "KeyError: 'missing'" in logged
