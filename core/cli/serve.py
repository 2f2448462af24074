"""Predict — ``predict``: a file, or a folder or glob of parts larger than memory, through ``models:/MODEL@ALIAS``."""

from __future__ import annotations

import sys
from pathlib import Path

from core.cli.common import CLIError, add_model, choose_cluster


def register(sub) -> None:
    """Add this group's commands to the CLI's subparsers."""
    predict = sub.add_parser(
        "predict",
        help="predict a file, or a folder or glob of CSV/Parquet parts, with models:/MODEL@ALIAS",
        description="A file of at most a few tens of MB is read at once. A larger one, a folder of CSV or Parquet "
        "parts, a glob such as 'data/part-*.parquet', or Parquet output is read and scored in partitions (Dask "
        "DataFrame) by worker processes, on the Dask cluster when one is configured, and need not fit in memory.",
    )
    add_model(predict)
    predict.add_argument("--input", required=True, help="a CSV, Parquet or Excel file, a folder of parts, or a glob")
    predict.add_argument(
        "--output",
        type=Path,
        help="a .csv file to write one CSV, or a new folder for Parquet parts (default: CSV on stdout)",
    )
    predict.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="score the partitions on this Dask cluster, e.g. tcp://host:8786 (default: $QUA3CK_DASK_SCHEDULER; "
        "'local' for this machine's processes); the workers must reach the store, the input and the output",
    )


def cmd_predict(args) -> int:
    from core.registry.model_registry import resolve_alias
    from core.serve.predict import load_served_model

    if not _in_parts(args) and not Path(args.input).is_file():
        raise CLIError(f"Input file '{args.input}' does not exist.")
    address = choose_cluster(args.dask_scheduler) if _in_parts(args) else None
    version = resolve_alias(args.model, args.alias)
    model = load_served_model(args.model, version.version)
    if _in_parts(args):
        return _predict_in_parts(args, model, address)
    return _predict_at_once(args, model)


def _in_parts(args) -> bool:
    """Whether the batch is read in partitions: parts, a file too large to read at once, or Parquet output."""
    from core.data.loading import CSV_SUFFIXES
    from core.serve import batch

    source = Path(args.input).expanduser()
    if batch.is_batch_path(args.input) or args.dask_scheduler not in (None, "local"):
        return True
    if args.output is not None and args.output.suffix.lower() not in CSV_SUFFIXES:
        return True
    return source.is_file() and source.suffix.lower() != ".xlsx" and source.stat().st_size > batch.PART_BYTES


def _predict_at_once(args, model) -> int:
    from core.serve.predict import predict_frame, read_prediction_csv

    notes: list = []
    rows = read_prediction_csv(Path(args.input).read_bytes(), model, Path(args.input).name, notes)
    for note in notes:  # e.g. a model without column names fed by position: said, on stderr, not in the output
        print(f"note: {note.message}", file=sys.stderr)
    result = predict_frame(model, rows)
    if args.output:
        result.to_csv(args.output, index=False)
    else:
        result.to_csv(sys.stdout, index=False)
    return 0


def _predict_in_parts(args, model, address: str | None) -> int:
    from core.serve import batch

    source = batch.find_source(args.input)
    shown = [0]

    def progress(done: int, total: int, rows: int) -> None:
        if sys.stderr.isatty() or done == total or done * 10 // total > shown[0]:  # a line per tenth in a log
            shown[0] = done * 10 // total
            print(f"scored part {done} of {total} ({rows:,} rows)", file=sys.stderr, flush=True)

    result = batch.predict_files(
        model, source, args.output, stream=sys.stdout, on_progress=progress, address=address, replace_csv=True
    )
    for finding in result.findings:
        print(f"note: {finding.message}", file=sys.stderr)
    where = f"the Dask cluster {address}" if address else "this machine"
    workers = f"{len(result.workers)} worker{'s' if len(result.workers) != 1 else ''}"
    print(
        f"predicted {result.rows:,} rows in {result.parts} parts in {result.seconds:.1f} s "
        f"({result.rows_per_second:,.0f} rows/s) on {workers} of {where}"
        + (f" → {args.output}" if args.output else ""),
        file=sys.stderr,
    )
    return 0
