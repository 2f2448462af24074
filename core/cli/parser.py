"""The command line's parser: one subcommand group per lifecycle phase, each added by its module."""

from __future__ import annotations

import argparse

from core.cli import codegen, compare, monitor, question, registry, serve, train
from core.cli.common import EXIT_CODES, EXIT_ERROR

DESCRIPTION = """Headless lifecycle for CI/CT pipelines: ``python -m core COMMAND``.

Commands: kpis, train, evaluate, promote, rollback, audit, request, approve, reject, withdraw, requests, predict,
monitor, retrain, export."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line on stderr."""

    def error(self, message: str):
        self.exit(EXIT_ERROR, f"error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """``python -m core``'s parser with every command, in the order of the lifecycle."""
    parser = _Parser(
        prog="python -m core",
        description=DESCRIPTION,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for group in (question, train, compare, registry, serve, monitor, codegen):
        group.register(sub)
    return parser
