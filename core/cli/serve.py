"""Predict — ``predict``: a CSV through ``models:/MODEL@ALIAS``."""

from __future__ import annotations

import sys
from pathlib import Path

from core.cli.common import CLIError, add_model


def register(sub) -> None:
    """Add this group's commands to the CLI's subparsers."""
    predict = sub.add_parser("predict", help="predict a CSV with models:/MODEL@ALIAS")
    add_model(predict)
    predict.add_argument("--input", required=True, type=Path)
    predict.add_argument("--output", type=Path, help="CSV to write (default: stdout)")


def cmd_predict(args) -> int:
    from core.registry.model_registry import resolve_alias
    from core.serve.predict import load_served_model, predict_frame, read_prediction_csv

    if not args.input.is_file():
        raise CLIError(f"Input file '{args.input}' does not exist.")
    version = resolve_alias(args.model, args.alias)
    model = load_served_model(args.model, version.version)
    notes: list = []
    rows = read_prediction_csv(args.input.read_bytes(), model, args.input.name, notes)
    for note in notes:  # e.g. a model without column names fed by position: said, on stderr, not in the output
        print(f"note: {note.message}", file=sys.stderr)
    result = predict_frame(model, rows)
    if args.output:
        result.to_csv(args.output, index=False)
    else:
        result.to_csv(sys.stdout, index=False)
    return 0
