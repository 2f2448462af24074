"""The Predict page's "Files on the server": a file, folder or glob larger than memory, predicted in partitions."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from core.codegen.snippets import predict as snippets
from core.common.config import active_store, batch_roots
from core.serve import batch
from core.serve.predict import ServedModel
from core.train import cluster
from core.ui import keys
from core.ui.charts import predict as predict_charts
from core.ui.common import error_message, inert_chart, show_code, show_table
from core.ui.i18n import t
from core.ui.text import plain
from core.ui.widgets.data import show_findings


def server_files(model: ServedModel, alias: str) -> None:
    """Where the batch is read and written, the button, its progress, and the last batch's result."""
    roots = batch_roots()
    refused = batch.server_files_refused(roots, active_store().embedded)
    if refused:
        st.info(plain(refused))
        return
    address = cluster.scheduler_address()
    where = (
        t("predict.parts_on_cluster", address=address)
        if address
        else t("predict.parts_on_machine", count=os.cpu_count() or 1)
    )
    st.caption(plain(t("predict.parts_intro", where=where)))
    if roots:
        st.caption(plain(t("predict.parts_roots", roots=", ".join(map(str, roots)))))
    with st.form("predict_parts_form", border=False):
        source = st.text_input(
            t("predict.parts_source"), placeholder="/data/scores/part-*.parquet", key="predict_parts_source"
        )
        output = st.text_input(
            t("predict.parts_output"),
            placeholder="/data/scores/predictions",
            help=t("predict.parts_output_help"),
            key="predict_parts_output",
        )
        go = st.form_submit_button(t("predict.parts_go"), type="primary", key="predict_parts_go")
    if go:
        _run(model, source, output, roots, address)
    kept = st.session_state.get(keys.PREDICT_PARTS)
    if kept and kept[0] == model.uri:
        _show(model, alias, *kept[1:])


def _run(model: ServedModel, source: str, output: str, roots: list[Path], address: str | None) -> None:
    st.session_state.pop(keys.PREDICT_PARTS, None)
    if not source.strip() or not output.strip():
        st.error(t("predict.parts_needs_both"))
        return
    bar = st.empty()  # the progress while the batch runs, gone once it has ended either way
    try:
        found = batch.find_source(source)
        target = Path(output.strip()).expanduser()
        batch.check_within([*found.paths, target], roots)
        bar.progress(0.0, text=t("predict.parts_starting", parts=len(found.paths)))

        def progress(done: int, total: int, rows: int) -> None:
            bar.progress(done / total, text=t("predict.parts_progress", done=done, total=total, rows=rows))

        result = batch.predict_files(model, found, target, on_progress=progress, address=address)
        bar.empty()
        st.session_state[keys.PREDICT_PARTS] = (model.uri, result, source.strip(), found.kind)
    except batch.BatchError as exc:
        bar.empty()
        if exc.findings:
            show_findings(exc.findings)
        st.error(plain(t("predict.parts_refused", error=error_message(exc))))
    except ValueError as exc:  # the cluster refused, the model could not predict, …
        bar.empty()
        st.error(plain(error_message(exc)))


def _show(model: ServedModel, alias: str, result: batch.BatchResult, source: str, kind: str) -> None:
    st.success(
        plain(
            t(
                "predict.parts_done",
                rows=result.rows,
                parts=result.parts,
                seconds=result.seconds,
                rate=result.rows_per_second,
                workers=len(result.workers),
                version=model.version,
                output=str(result.output),
            )
        )
    )
    if result.findings:
        show_findings(result.findings)
    if result.predictions:
        inert_chart(st, predict_charts.prediction_counts_bar(result.predictions), key="predict_parts_chart")
    st.caption(t("predict.parts_preview"))
    show_table(batch.preview(result), width="stretch")
    show_code(snippets.batch_in_parts(model.name, alias, source, kind, str(result.output)))
