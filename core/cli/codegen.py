"""``export``: a standalone Python script that retrains a run's model."""

from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    """Add this group's commands to the CLI's subparsers."""
    export = sub.add_parser("export", help="a standalone Python script that retrains a run's model")
    export.add_argument("--run", required=True)
    export.add_argument("--output", type=Path, help="file or folder to write (default: stdout)")


def cmd_export(args) -> int:
    from core.codegen.export import export_script, script_filename
    from core.common.config import active_store

    active_store()
    script = export_script(args.run)
    if args.output is None:
        sys.stdout.write(script)
    else:
        target = args.output / script_filename(args.run) if args.output.is_dir() else args.output
        target.write_text(script, encoding="utf-8")
    return 0
