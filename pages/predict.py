"""Predict — load models:/<name>@<alias> and predict one row by sliders, an uploaded file, or files on the server
larger than memory."""

import pandas as pd
import streamlit as st

from core.codegen.snippets import predict as snippets
from core.data import loading
from core.data.validation import blocking
from core.registry import model_registry
from core.serve import predict, prediction_log
from core.ui import cache, keys
from core.ui.charts import predict as predict_charts
from core.ui.common import error_message, inert_chart, show_code, show_table
from core.ui.i18n import t
from core.ui.shell import phase_header
from core.ui.text import plain
from core.ui.widgets.batch import server_files
from core.ui.widgets.data import show_findings
from core.ui.widgets.explain import explain_batch, explain_one
from core.ui.widgets.inputs import feature_input, open_served
from core.ui.widgets.tour import waits_for

phase_header("predict")
name, alias, version, model = open_served(
    "predict",
    cache.served_model,
    "predict.serving",
    lambda model: {"inputs": len(model.features)},
    lambda model: "" if model.stats else t("predict.ranges_unknown"),
)
st.caption(plain(cache.alias_story(name, alias, version.version, version.run_id)))
logging_on = cache.prediction_log_enabled(name)
st.toggle(
    t("predict.log_toggle"),
    value=logging_on,
    key=f"predict_log_{name}",
    on_change=lambda: cache.set_prediction_log(name, st.session_state[f"predict_log_{name}"]),
    help=t("predict.log_help"),
)


@st.fragment
def one_row(model: predict.ServedModel) -> None:
    """The one-row inputs, the Predict button and the result. A change or a click reruns only this fragment (no
    sidebar, no registry listing). The inputs are kept per model version for the session; a result is shown only
    under the very inputs it answers, and goes as soon as one of them changes."""
    values = st.session_state.setdefault(keys.PREDICT_INPUTS, {}).setdefault(model.uri, {})
    columns = st.columns(2)
    for i, feature in enumerate(model.features):
        with columns[i % 2]:
            feature_input(feature, predict.input_spec(model.stats.get(feature, {})), f"predict_input_{i}", values)
    if not model.stats:
        st.caption(t("predict.free_inputs", count=len(model.features)))
    if st.button(t("predict.predict"), type="primary", key="predict_submit"):
        try:
            served = model_registry.resolve_alias(name, alias).version  # the alias may have moved since the page ran
            answering = model if served == model.version else cache.served_model(name, served)
            if answering.features != model.features:
                st.session_state[keys.PREDICT_NOTICE] = t("predict.moved_notice", alias=alias, version=served)
                st.rerun(scope="app")
            asked = dict(values)
            one = predict.predict_one(answering, asked)
            st.session_state[keys.PREDICT_RESULT] = (answering.uri, one, predict.out_of_range(answering, asked), asked)
            # the inputs stay with the version that answered (after a move the page shows that version)
            st.session_state[keys.PREDICT_INPUTS][answering.uri] = dict(asked)
            if logging_on:
                scored = prediction_log.scored_one(one.label, one.probabilities)
                prediction_log.log_predictions(answering, pd.DataFrame([asked]), scored, "one row", one.latency_ms)
            if answering is not model:
                st.rerun(scope="app")  # the captions above name the version that answered
            if logging_on and waits_for("predict"):  # the guided tour looks for this prediction in the log
                prediction_log.flush()
                st.rerun(scope="app")
        except ValueError as exc:
            st.session_state.pop(keys.PREDICT_RESULT, None)
            st.error(plain(error_message(exc)))
    result = st.session_state.get(keys.PREDICT_RESULT)
    if not result or result[0] != model.uri:
        return
    _, prediction, warnings, inputs = result
    if inputs != values:
        st.caption(t("predict.inputs_changed"))
        return
    st.success(
        t("predict.predicted", label=plain(prediction.label), version=model.version, latency_ms=prediction.latency_ms)
    )
    for warning in warnings:
        st.warning(plain(warning))
    if prediction.probabilities:
        inert_chart(st, predict_charts.probability_bar(prediction.probabilities), key="predict_proba_chart")
        explain_one(model, inputs)
    show_code(snippets.one_row(name, alias, inputs, model.schema))


if notice := st.session_state.pop(keys.PREDICT_NOTICE, None):
    st.info(plain(notice))
single, batch, server = st.tabs([t("predict.tab_one"), t("predict.tab_batch"), t("predict.tab_server")])
with single:
    one_row(model)

with batch:
    upload = st.file_uploader(
        t("predict.upload"),
        type=[s.lstrip(".") for s in loading.SUPPORTED_SUFFIXES],
        key="predict_upload",
    )
    if upload is not None:
        try:
            rows, findings = predict.read_batch(upload.getvalue(), upload.name, model)
            if findings:
                show_findings(findings)
            if blocking(findings):
                st.error(t("predict.fix_errors"))
            else:
                batch_key = (upload.file_id, model.uri)  # a rerun shows the same batch again: predict and log once
                kept = st.session_state.get(keys.PREDICT_BATCH)
                if kept and kept[0] == batch_key:
                    scored = kept[1]
                else:
                    bar = st.progress(0.0, text=t("predict.predicting", rows=len(rows)))
                    scored = predict.predict_frame(
                        model,
                        rows,
                        lambda done, total: bar.progress(
                            done / total, text=t("predict.progress", done=done, total=total)
                        ),
                    )
                    bar.empty()
                    st.session_state[keys.PREDICT_BATCH] = (batch_key, scored)
                    if logging_on:
                        prediction_log.log_predictions(model, rows, scored, "batch")
                st.success(t("predict.batch_done", rows=len(scored), version=version.version))
                inert_chart(st, predict_charts.prediction_counts_bar(scored["prediction"]), key="predict_counts_chart")
                if model.classes:
                    scored = explain_batch(model, rows, scored, batch_key)
                show_table(scored.head(500), width="stretch")
                st.download_button(
                    t("predict.download"),
                    scored.to_csv(index=False).encode(),
                    file_name=f"predictions-{name}-v{version.version}.csv",
                    mime="text/csv",
                    key="predict_download",
                )
                show_code(snippets.batch(name, alias, upload.name, f"predictions-{name}-v{version.version}.csv"))
        except ValueError as exc:
            st.error(plain(error_message(exc)))

with server:
    server_files(model, alias)
