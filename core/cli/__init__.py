"""Headless lifecycle for CI/CT pipelines: ``python -m core COMMAND``.

One module per phase's commands — question (kpis), train, compare (evaluate), registry (promote, rollback,
audit, request, approve, reject, withdraw, requests), serve (predict), monitor (monitor, retrain), codegen
(export) — each adding its arguments to the parser (parser) and importing what it runs only when it runs, so
that ``--help`` and a usage error answer without loading MLflow or scikit-learn. Errors end a command with one
line on stderr (common)."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import warnings
from pathlib import Path

from core.cli import codegen, compare, monitor, question, registry, serve, train
from core.cli.common import EXIT_ERROR, EXIT_REFUSED, CLIError, GateRefused
from core.cli.parser import build_parser
from core.common import run_recovery
from core.common.errors import LOGGER, describe

COMMANDS = {
    "kpis": question.cmd_kpis,
    "train": train.cmd_train,
    "evaluate": compare.cmd_evaluate,
    "promote": registry.cmd_promote,
    "rollback": registry.cmd_rollback,
    "audit": registry.cmd_audit,
    "request": registry.cmd_request,
    "approve": registry.cmd_approve,
    "reject": registry.cmd_reject,
    "withdraw": registry.cmd_withdraw,
    "requests": registry.cmd_requests,
    "predict": serve.cmd_predict,
    "monitor": monitor.cmd_monitor,
    "retrain": monitor.cmd_retrain,
    "export": codegen.cmd_export,
}


LOG_FILE = "qua3ck-cli.log"


def _log_to(path: Path) -> None:
    """Send the workbench's log (internal errors with their traceback) to ``path``, once per process."""
    if not any(isinstance(h, logging.FileHandler) and h.baseFilename == str(path) for h in LOGGER.handlers):
        LOGGER.addHandler(logging.FileHandler(path, delay=True, encoding="utf-8"))
    LOGGER.propagate = False


def main(argv: list[str] | None = None) -> int:
    """Run one CLI command; errors become one line on stderr and exit code 2 (a gate refusal: 3)."""
    args = build_parser().parse_args(argv)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")  # stdout is for --json only
    import mlflow  # noqa: F401 — mlflow sets its own log level on import; quieten it afterwards

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    # an internal error's traceback goes to a file (stderr keeps its one line); the file exists only once one happened
    _log_to(Path(tempfile.gettempdir()) / LOG_FILE)
    with contextlib.suppress(Exception):  # runs an earlier process could not end while the store was down
        run_recovery.end_remembered()
    try:
        return COMMANDS[args.command](args)
    except GateRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except CLIError as exc:
        message = str(exc)
    except Exception as exc:  # noqa: BLE001 — our errors and the store's alike: one line, no traceback
        message = describe(exc)
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR
