"""What every command shares: the exit codes, the errors that end a command with one line on stderr, output, and
who acts."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

from core.common.errors import WorkbenchError

EXIT_KPI_FAILED = 1
EXIT_ERROR = 2
EXIT_REFUSED = 3
EXIT_CODES = f"""exit codes:
  0  done
  {EXIT_KPI_FAILED}  evaluate: a KPI fails
  {EXIT_ERROR}  usage or input error, or the store refused (one line on stderr)
  {EXIT_REFUSED}  promote: the promotion gate refused (one line on stderr); nothing was registered or moved"""


class CLIError(WorkbenchError):
    """A usage or input problem reported as one line on stderr."""


class GateRefused(CLIError):
    """The promotion gate refused a move: one line on stderr and exit code 3."""


def command(sub, name: str, help: str, description: str | None = None, epilog: str | None = None):
    """A subcommand whose description and epilog keep their line breaks."""
    return sub.add_parser(
        name, help=help, description=description, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def add_model(
    parser, alias_required: bool = True, alias_help: str | None = None, alias_default: str | None = None
) -> None:
    """The --model NAME and --alias ALIAS options of a command about one registered model."""
    parser.add_argument("--model", required=True)
    parser.add_argument("--alias", required=alias_required, default=alias_default, help=alias_help)


def add_who(parser, does: str) -> None:
    """The --by NAME option of a command that records who did it."""
    parser.add_argument("--by", metavar="NAME", help=f"who {does} (default: $QUA3CK_USER, else the login name)")


def emit(args, payload: dict, text: str) -> None:
    """Print the payload as JSON with --json, else the text for people."""
    print(json.dumps(payload, default=str) if getattr(args, "json", False) else text)


def choose_cluster(address: str | None) -> str | None:
    """Point the command's work at the Dask cluster named on the command line (``local``: this machine's processes)
    or in the environment, checked now, before anything is written; the scheduler's address, or None."""
    from core.common.config import active_store
    from core.train import cluster

    if address is not None:
        if address.strip().lower() == "local":
            os.environ.pop(cluster.SCHEDULER_ENV, None)
        else:
            os.environ[cluster.SCHEDULER_ENV] = address.strip()
    chosen = cluster.scheduler_address()
    if chosen is not None:
        cluster.executor(chosen, active_store())
    return chosen


def progress_stream(args):
    """Where progress lines go: stdout for people, stderr with --json (stdout holds only the JSON object)."""
    return sys.stderr if args.json else sys.stdout


def who_acts(args):
    """Who acts: --by, else $QUA3CK_USER, else the login name; checked before anything is written."""

    from core.registry import governance

    name = args.by
    if name is None:
        try:
            name = os.environ.get("QUA3CK_USER") or getpass.getuser()
        except (KeyError, OSError):  # no login name in a bare container
            name = ""
    name = name.strip()
    if not name:
        raise CLIError("Say who you are with --by NAME (or set QUA3CK_USER): every alias change records a name.")
    if len(name) > governance.MAX_NAME:
        raise CLIError(f"--by: keep the name under {governance.MAX_NAME} characters.")
    return governance.Actor(name)


def enforce_gate(decision, force: bool) -> None:
    """Refuse (exit 3) what the gate refuses; --force (with its reason, checked earlier) overrides a verdict."""
    if not decision.approver_ok or (not decision.verdict_ok and not force):
        if decision.request_instead:
            hint = " Ask for it with 'request' (--alias, --version, --reason); an approver decides."
        else:
            hint = "" if not decision.approver_ok else " (CLI: --force --reason TEXT)"
        raise GateRefused(decision.message + hint)
