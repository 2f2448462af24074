"""Predict files larger than memory: read and scored in partitions (Dask DataFrame), on the Dask cluster when one
is configured, else in this machine's worker processes.

Dask DataFrame cuts the input (one CSV or Parquet file, a folder of parts, or a glob) into partitions; one task per
partition reads it, checks it against the training schema, scores it and writes its part of the output, in a
worker that loads the model once and keeps it for the next partitions, so no partition's rows pass through this
process. The output is written into a staging folder beside its final place and moved there only when every
partition was scored: a batch with a problem, or an interrupted one, leaves no half-written output.
"""

from __future__ import annotations

import contextlib
import glob
import math
import os
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.common.config import StoreConfig, activate_store, active_store
from core.common.errors import one_line
from core.common.i18n import DEFAULT_LANGUAGE, current_language, speaking, tr, translate
from core.common.workers import local_pool
from core.data.loading import (
    CSV_SUFFIXES,
    SAMPLE_BYTES,
    CsvSettings,
    detect_csv_settings,
    drop_empty_rows,
    typed_csv_part,
)
from core.data.validation import SEVERITIES, Finding, blocking, blocking_message, rows_from
from core.serve.predict import PredictError, ServedModel, check_rows, load_served_model, predict_frame
from core.train import cluster

PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")
PART_BYTES = 32 * 2**20  # one partition's share of a CSV file on disk: a few hundred MB as a frame in a worker
# Parquet row groups are combined up to this much data in memory (a row group is the least that can be read)
PARQUET_PART_BYTES = 32 * 2**20
SLICE_ROWS = 50_000  # rows checked, scored and written at a time within a partition
RECHECKED = 5  # partitions with problems that are checked again, to name their rows as rows of the whole batch
STAGING = ".qua3ck-partial-"  # the prefix of the staging folder written beside the output


class BatchError(PredictError):
    """A batch that was not predicted, with the findings that stopped it (rows numbered in the whole batch)."""

    def __init__(self, message: str, findings: list[Finding] | None = None) -> None:
        super().__init__(message)
        self.findings = findings or []


@dataclass(frozen=True)
class BatchSource:
    """The files of a batch, read in this order: CSV parts (read with ``settings``) or Parquet parts."""

    paths: tuple[str, ...]
    kind: str  # "csv" or "parquet"
    settings: CsvSettings | None = None

    @property
    def size(self) -> int:
        """The files' size on disk in bytes."""
        return sum(os.path.getsize(p) for p in self.paths)


@dataclass(frozen=True)
class ModelRef:
    """What a worker needs to load the model once: the store and the version."""

    store: StoreConfig
    name: str
    version: str


@dataclass(frozen=True)
class PartJob:
    """What every partition's task shares: the model, where and how its part is written, how to read its text."""

    model: ModelRef
    staging: str
    kind: str  # the output's: "csv" or "parquet"
    decimal: str | None  # a CSV input's decimal mark; None for Parquet input, whose columns have types
    language: str  # of the findings' messages
    slice_rows: int = 50_000
    files: tuple[str, ...] = ()  # the file each partition comes from, when known


@dataclass(frozen=True)
class PartOutcome:
    """What one partition's task reports back: never its rows, only their count and what was found."""

    index: int
    rows: int
    findings: tuple[tuple[int, Finding], ...] = ()  # (the first row of the slice it was found in, finding)
    written: bool = False
    predictions: dict[str, int] = field(default_factory=dict)  # label -> count
    seconds: float = 0.0
    worker: str = ""


@dataclass(frozen=True)
class BatchResult:
    """A finished batch: where its predictions went and how it went."""

    rows: int
    parts: int
    seconds: float
    output: Path | None  # None: written to a stream
    kind: str  # "csv" or "parquet"
    findings: list[Finding]  # warnings and notes, merged over the partitions
    predictions: dict[str, int]  # label -> count over the whole batch
    workers: tuple[str, ...]
    busy_seconds: float = 0.0  # the partitions' tasks' seconds added up: ÷ seconds ≈ how many worked at once

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


def is_batch_path(text: str) -> bool:
    """Whether ``text`` names a folder or a glob of parts rather than one file."""
    return Path(text).expanduser().is_dir() or glob.has_magic(text)


def find_source(spec: str | Path) -> BatchSource:
    """The parts a path names: one CSV or Parquet file, the CSV or Parquet files of a folder (sorted; files of
    other kinds, such as Spark's ``_SUCCESS``, are passed over), or the files a glob matches."""
    text = str(spec).strip()
    path = Path(text).expanduser()
    if path.is_dir():
        found = sorted(str(p) for p in path.iterdir() if p.is_file() and _kind(p) and not p.name.startswith("."))
    elif path.is_file():
        if not _kind(path):
            raise BatchError(tr("batch.unsupported", path=text, suffixes=", ".join(CSV_SUFFIXES + PARQUET_SUFFIXES)))
        found = [str(path)]
    elif glob.has_magic(text):
        matched = sorted(p for p in glob.glob(os.path.expanduser(text)) if os.path.isfile(p))
        found = [p for p in matched if _kind(Path(p))]
        if matched and not found:
            raise BatchError(tr("batch.unsupported", path=text, suffixes=", ".join(CSV_SUFFIXES + PARQUET_SUFFIXES)))
    else:
        raise BatchError(tr("batch.not_found", path=text))
    if not found:
        raise BatchError(tr("batch.no_parts", path=text))
    kinds = {_kind(Path(p)) for p in found}
    if len(kinds) > 1:
        raise BatchError(tr("batch.mixed_kinds", path=text))
    kind = kinds.pop()
    settings = None
    if kind == "csv":
        with open(found[0], "rb") as first:
            settings = detect_csv_settings(first.read(SAMPLE_BYTES))
    return BatchSource(tuple(found), kind, settings)


def server_files_refused(roots: list[Path], embedded: bool) -> str | None:
    """Why the app may not read files on its server for people, or None: with a shared store (a team's server)
    only inside the folders ``QUA3CK_BATCH_ROOTS`` names; on a person's own machine (the embedded store) anywhere."""
    return tr("batch.server_files_off") if not roots and not embedded else None


def check_within(paths: list[str | Path], roots: list[Path]) -> None:
    """Refuse any of ``paths`` (inputs found, the output) outside every one of ``roots`` (none: all allowed),
    links followed."""
    for path in paths:
        where = Path(path).expanduser().resolve()
        if roots and not any(where.is_relative_to(root) for root in roots):
            raise BatchError(tr("batch.outside_roots", path=path, roots=", ".join(map(str, roots))))


def _kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return "csv" if suffix in CSV_SUFFIXES else "parquet" if suffix in PARQUET_SUFFIXES else None


def partitions(source: BatchSource) -> tuple[list, list[str]]:
    """The batch's partitions (one Dask ``Delayed`` frame each, computed where it is scored) and its column names."""
    import dask
    import dask.dataframe as dd

    try:
        if source.kind == "parquet":
            with dask.config.set({"dataframe.convert-string": False}):  # text as object columns, as pandas reads it
                frame = dd.read_parquet(
                    list(source.paths), index=False, blocksize=PARQUET_PART_BYTES, split_row_groups="adaptive"
                )
        else:
            settings = source.settings
            frame = dd.read_csv(
                list(source.paths),
                blocksize=None if settings.encoding.startswith("utf-16") else PART_BYTES,
                sep=settings.separator,
                encoding="utf-8-sig" if settings.encoding == "utf-8" else settings.encoding,
                header=0 if settings.header else None,
                dtype="string[pyarrow]",  # typed per partition (typed_csv_part): a later part may hold text
                index_col=False,
            )
            if not settings.header:  # named as read_table names them
                frame.columns = [f"column_{i}" for i in range(1, len(frame.columns) + 1)]
    except Exception as exc:  # noqa: BLE001 — pyarrow, pandas and fsspec each raise their own
        raise BatchError(tr("batch.unreadable", path=source.paths[0], error=one_line(exc))) from None
    return frame.to_delayed(), [str(c).strip() for c in frame.columns]


def part_files(source: BatchSource, parts: int) -> tuple[str, ...]:
    """The file each partition of a CSV batch comes from (as Dask cuts files into blocks of PART_BYTES), or ()
    when that cannot be told."""
    if source.kind != "csv":
        return ()
    names = []
    whole = source.settings is not None and source.settings.encoding.startswith("utf-16")
    for path in source.paths:
        size = os.path.getsize(path)
        blocks = 1 if whole or size == 0 else math.ceil(size / PART_BYTES)
        names += [Path(path).name] * blocks
    return tuple(names) if len(names) == parts else ()


def predict_files(
    model: ServedModel,
    source: BatchSource,
    output: Path | None,
    stream: IO[str] | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
    address: str | None = None,
    replace_csv: bool = False,
) -> BatchResult:
    """Score every row of ``source`` with ``model`` into ``output`` (a ``.csv`` file, or a folder of Parquet parts
    for any other name) or, with no output, as CSV into ``stream``; ``on_progress(parts_done, parts, rows_done)``
    hears after each partition. On the Dask cluster at ``address`` (workers must reach the store and the files),
    else in this machine's worker processes. An existing CSV output is replaced only with ``replace_csv`` (the
    CLI's ``--output``, as shell redirection would); an existing folder never. Raises BatchError with the merged
    findings when a partition cannot be scored; nothing is written then."""
    started = time.perf_counter()
    kind = "csv" if output is None or output.suffix.lower() in CSV_SUFFIXES else "parquet"
    if output is None and stream is None:
        raise ValueError("predict_files needs an output path or a stream")
    if output is not None:
        _check_output(output, kind, replace_csv)
    if address is not None:
        if output is None:
            raise BatchError(tr("batch.cluster_needs_output"))
        executor = cluster.executor(address, active_store())
    else:
        executor = local_pool()
    parts, names = partitions(source)
    missing = [f for f in model.features if f not in names] if model.named_inputs else []
    if missing:  # every partition would say so: said once, before any work
        raise BatchError(tr("predict.file_lacks_inputs", columns=", ".join(missing)))
    staging = _staging(output)
    futures: list = []
    try:
        job = PartJob(
            ModelRef(active_store(), model.name, model.version),
            str(staging),
            kind,
            source.settings.decimal if source.settings else None,
            current_language(),
            SLICE_ROWS,
            part_files(source, len(parts)),
        )
        futures = [executor.submit(score_part, part, i, job) for i, part in enumerate(parts)]
        outcomes: dict[int, PartOutcome] = {}
        for future in as_completed(futures):
            outcome = _outcome(future)
            outcomes[outcome.index] = outcome
            if on_progress is not None:
                on_progress(len(outcomes), len(parts), sum(o.rows for o in outcomes.values()))
        ordered = [outcomes[i] for i in range(len(parts))]
        findings = _merged(_renumbered(executor, parts, ordered, job))
        if blocking(findings) or not any(o.rows for o in ordered):  # nothing is published then
            if not any(o.rows for o in ordered):
                findings = [Finding("empty_batch", "error", tr("batch.empty"))]
            raise BatchError(blocking_message(findings), findings)
        _publish(staging, output, stream, kind, len(parts))
    except BaseException:  # an interrupted batch (Stop, Ctrl-C) too: no part of it stays behind
        for future in futures:
            future.cancel()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    predictions = sum((Counter(o.predictions) for o in ordered), Counter())
    return BatchResult(
        rows=sum(o.rows for o in ordered),
        parts=len(parts),
        seconds=time.perf_counter() - started,
        output=output,
        kind=kind,
        findings=findings,
        predictions=dict(predictions.most_common()),
        workers=tuple(sorted({o.worker for o in ordered})),
        busy_seconds=sum(o.seconds for o in ordered),
    )


def _outcome(future) -> PartOutcome:
    """A partition's outcome; a worker that failed at it (out of memory, a folder it cannot write) as BatchError."""
    try:
        return future.result()
    except PredictError:
        raise  # already said for people (the model cannot predict these rows)
    except Exception as exc:  # noqa: BLE001 — KilledWorker, OSError of a worker, a broken pool: one line
        raise BatchError(tr("batch.worker_failed", error=f"{type(exc).__name__}: {one_line(exc)}")) from None


def _check_output(output: Path, kind: str, replace_csv: bool) -> None:
    if kind == "parquet" and output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise BatchError(tr("batch.output_exists", path=output))
    if kind == "csv" and output.is_dir():
        raise BatchError(tr("batch.output_is_folder", path=output))
    if kind == "csv" and output.exists() and not replace_csv:
        raise BatchError(tr("batch.output_file_exists", path=output))
    if not output.parent.is_dir():
        raise BatchError(tr("batch.output_folder_missing", path=output.parent))


def _staging(output: Path | None) -> Path:
    """A new folder for the parts: beside the output (one file system, so the output is moved, not copied)."""
    if output is None:
        return Path(tempfile.mkdtemp(prefix=STAGING))
    staging = output.parent / f"{STAGING}{output.name}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    return staging


def _part_path(staging: Path, index: int, kind: str) -> Path:
    return staging / f"part-{index:05d}.{kind}"


def score_part(part, index: int, job: PartJob, first_row: int | None = None) -> PartOutcome:
    """Read, check, score and write one partition (in a worker), ``job.slice_rows`` rows at a time so that a
    partition costs its own size and little more. With ``first_row`` only check it, numbering its rows from there."""
    started = time.perf_counter()
    with speaking(job.language):
        try:
            frame = part.compute(scheduler="sync")
        except Exception as exc:  # noqa: BLE001 — a ragged line, a broken file: this part's problem, named
            error = one_line(exc).removeprefix("Error tokenizing data. C error: ")  # pandas' words, not ours
            if index < len(job.files):
                text = tr("batch.unreadable_file_part", part=index + 1, file=job.files[index], error=error)
            else:
                text = tr("batch.unreadable_part", part=index + 1, error=error)
            problem = ((0, Finding("unreadable_part", "error", text)),)
            return PartOutcome(index, 0, problem, seconds=time.perf_counter() - started, worker=cluster.where())
        # ";;;" lines before or after the data (Excel's exports) carry nothing: passed over, as read_table does
        frame = drop_empty_rows(frame.reset_index(drop=True), inner=False).reset_index(drop=True)
        frame.columns = [str(c).strip() for c in frame.columns]
        model = _model(job.model)
        findings: list[tuple[int, Finding]] = []
        counts: Counter = Counter()
        target = _part_path(Path(job.staging), index, job.kind)
        writer = _PartWriter(target, job.kind)
        try:
            for start in range(0, len(frame), job.slice_rows):
                piece = frame.iloc[start : start + job.slice_rows].reset_index(drop=True)
                piece = _typed(piece, job.decimal, model)
                with rows_from((first_row or 0) + start):
                    found = check_rows(model, piece)
                findings.extend((start, f) for f in found)
                if first_row is not None or blocking([f for _, f in findings]):
                    continue  # the other slices are still checked, so that every problem is named
                scored = predict_frame(model, piece)
                writer.write(scored)
                counts.update(scored["prediction"].astype(str).value_counts().to_dict())
        finally:
            writer.close()
        written = writer.rows > 0 and not blocking([f for _, f in findings])
        if writer.rows and not written:  # a later slice was refused: the part is not kept (a check writes none)
            target.unlink(missing_ok=True)
        return PartOutcome(
            index,
            len(frame),
            tuple(findings),
            written,
            {str(k): int(v) for k, v in counts.items()},
            time.perf_counter() - started,
            cluster.where(),
        )


class _PartWriter:
    """One partition's output file, written slice by slice: Parquet (text columns that are empty in a slice
    written as text, not as Arrow's null type, so that every slice has the same schema) or CSV with a header."""

    def __init__(self, target: Path, kind: str) -> None:
        self.target, self.kind, self.rows = target, kind, 0
        self._parquet = None
        self._schema = None
        self._csv = None

    def write(self, scored: pd.DataFrame) -> None:
        if self.kind == "parquet":
            table = pa.Table.from_pandas(scored, preserve_index=False)
            for i, column in enumerate(table.schema):
                if pa.types.is_null(column.type):
                    table = table.set_column(i, column.name, pa.nulls(len(table), pa.string()))
            if self._parquet is None:
                self._schema = table.schema
                self._parquet = pq.ParquetWriter(self.target, self._schema)
            self._parquet.write_table(table.cast(self._schema))
        else:
            if self._csv is None:
                self._csv = open(self.target, "w", encoding="utf-8", newline="")  # noqa: SIM115 — see close()
            scored.to_csv(self._csv, index=False, header=self.rows == 0)  # every part has its header
        self.rows += len(scored)

    def close(self) -> None:
        for handle in (self._parquet, self._csv):
            if handle is not None:
                handle.close()
        self._parquet = self._csv = None


def _typed(piece: pd.DataFrame, decimal: str | None, model: ServedModel) -> pd.DataFrame:
    """A slice of a CSV partition (read as text) typed as read_table types a whole file: the model's inputs (all
    columns for a model fed by position); the other columns stay the file's text. Parquet slices have types."""
    if decimal is None:
        return piece
    inputs = [c for c in piece.columns if c in model.features] if model.named_inputs else list(piece.columns)
    typed = typed_csv_part(piece[inputs], decimal)
    out = piece.astype(object).where(piece.notna(), np.nan)
    for column in inputs:
        out[column] = typed[column]
    return out


_loaded: dict[ModelRef, ServedModel] = {}


def _model(ref: ModelRef) -> ServedModel:
    """The model, loaded once per worker process and kept for the next partitions (only the latest one)."""
    model = _loaded.get(ref)
    if model is None:
        activate_store(ref.store)
        model = load_served_model(ref.name, ref.version)
        _loaded.clear()
        _loaded[ref] = model
    return model


def _renumbered(executor, parts: list, outcomes: list[PartOutcome], job: PartJob):
    """The findings of every partition, those of the first few partitions with rows named checked again with their
    rows numbered as rows of the whole batch (a partition only knows its own rows). Yields ((partition, slice),
    finding)."""
    offsets, total = [], 0
    for outcome in outcomes:
        offsets.append(total)
        total += outcome.rows
    severity = "error" if any(f.severity == "error" for o in outcomes for _, f in o.findings) else "warning"
    again = [
        o.index
        for o in outcomes
        if offsets[o.index] > 0 and any(f.rows and f.severity == severity for _, f in o.findings)
    ][:RECHECKED]
    futures = {i: executor.submit(score_part, parts[i], i, job, offsets[i]) for i in again}
    rechecked = {i: _outcome(future).findings for i, future in futures.items()}
    for outcome in outcomes:
        for start, finding in rechecked.get(outcome.index, outcome.findings):
            yield (outcome.index, start), finding


def _merged(found: Iterator[tuple[tuple[int, int], Finding]]) -> list[Finding]:
    """One finding per check and column over the whole batch: the first part's (a slice of a partition), saying
    in how many more parts the same was found."""
    groups: dict[tuple, list[tuple[tuple[int, int], Finding]]] = {}
    for where, finding in found:
        groups.setdefault((finding.severity, finding.check, finding.column), []).append((where, finding))
    merged = []
    for hits in groups.values():
        first = hits[0][1]
        more = len({where for where, _ in hits}) - 1
        if more:
            also = tr("batch.also_in_parts", count=more)
            english = f"{first.english} {translate('batch.also_in_parts', DEFAULT_LANGUAGE, count=more)}"
            first = replace(first, message=f"{first.message} {also}", english=english if first.english else "")
        merged.append(first)
    return sorted(merged, key=lambda f: SEVERITIES.index(f.severity))


def _publish(staging: Path, output: Path | None, stream: IO[str] | None, kind: str, parts: int) -> None:
    """Move the finished parts to the output: the folder itself (Parquet), or one CSV file or stream with the
    header of the first part only."""
    written = [p for i in range(parts) if (p := _part_path(staging, i, kind)).exists()]
    if kind == "parquet":
        os.replace(staging, output)
        return
    joined = staging / "joined.csv"
    with contextlib.ExitStack() as stack:
        out = stream if output is None else stack.enter_context(open(joined, "w", encoding="utf-8", newline=""))
        for n, path in enumerate(written):
            with open(path, encoding="utf-8", newline="") as part:
                if n:
                    part.readline()  # the header, written once
                shutil.copyfileobj(part, out, length=2**20)
    if output is not None:
        os.replace(joined, output)
    shutil.rmtree(staging, ignore_errors=True)


def preview(result: BatchResult, rows: int = 500) -> pd.DataFrame:
    """The first rows of a finished batch's output."""
    if result.output is None:
        return pd.DataFrame()
    if result.kind == "csv":
        return pd.read_csv(result.output, nrows=rows, dtype=str)  # as written: codes keep their leading zeros
    first = sorted(result.output.glob("part-*.parquet"))[:1]
    with contextlib.suppress(OSError):
        return pd.read_parquet(first[0]).head(rows) if first else pd.DataFrame()
    return pd.DataFrame()
