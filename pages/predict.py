"""Predict — load models:/<name>@<alias> and predict one row by sliders or a whole CSV file."""

import pandas as pd
import streamlit as st

from core import charts, loading, predict, prediction_log, registry
from core.ui import cache, keys
from core.ui.common import error_message, inert_chart, phase_header, plain
from core.ui.data_widgets import show_findings
from core.ui.widgets import feature_input, served_alias_picker

phase_header(
    "🔮 Predict",
    "Applications load a model by alias, `models:/<name>@<alias>`, never by a file path. This page does "
    "exactly that: it asks the registry which version the alias points at and serves that version, so "
    "moving the alias on the registry page changes what answers here, without a restart.",
)
name, alias, version = served_alias_picker("predict")
try:
    model = cache.served_model(name, version.version)
except ValueError as exc:
    st.error(plain(error_message(exc)))
    st.stop()
st.caption(
    f"`models:/{name}@{alias}` → version **{version.version}** · source run `{version.run_id}` · "
    f"{len(model.features)} inputs" + ("" if model.stats else " · training ranges unknown")
)
st.caption(plain(cache.alias_story(name, alias, version.version, version.run_id)))
logging_on = cache.prediction_log_enabled(name)
st.toggle(
    "Log predictions for monitoring",
    value=logging_on,
    key=f"predict_log_{name}",
    on_change=lambda: cache.set_prediction_log(name, st.session_state[f"predict_log_{name}"]),
    help="Inputs, prediction, version and time of every prediction go to the store for the monitoring phase. "
    "A setting of the registered model, so it holds for everyone.",
)


@st.fragment
def one_row(model: predict.ServedModel) -> None:
    """The one-row form and its result. A submit reruns only this fragment: no sidebar, no registry listing."""
    with st.form("predict_form"):
        values = {}
        columns = st.columns(2)
        for i, feature in enumerate(model.features):
            with columns[i % 2]:
                values[feature] = feature_input(feature, model.stats.get(feature, {}), f"predict_input_{i}")
        submitted = st.form_submit_button("Predict", type="primary")
    if submitted:
        try:
            served = registry.resolve_alias(name, alias).version  # the alias may have moved since the page ran
            answering = model if served == model.version else cache.served_model(name, served)
            if answering.features != model.features:
                st.session_state[keys.PREDICT_NOTICE] = (
                    f"'{alias}' moved to version {served}, which takes other inputs: check them and predict again."
                )
                st.rerun(scope="app")
            one = predict.predict_one(answering, values)
            st.session_state[keys.PREDICT_RESULT] = (answering.uri, one, predict.out_of_range(answering, values))
            if logging_on:
                scored = prediction_log.scored_one(one.label, one.probabilities)
                prediction_log.log_predictions(answering, pd.DataFrame([values]), scored, "one row", one.latency_ms)
            if answering is not model:
                st.rerun(scope="app")  # the captions above name the version that answered
        except ValueError as exc:
            st.session_state.pop(keys.PREDICT_RESULT, None)
            st.error(plain(error_message(exc)))
    result = st.session_state.get(keys.PREDICT_RESULT)
    if result and result[0] == model.uri:
        _, prediction, warnings = result
        st.success(
            f"Predicted class: **{plain(prediction.label)}** (version {model.version}, {prediction.latency_ms:.1f} ms)"
        )
        for warning in warnings:
            st.warning(plain(warning))
        if prediction.probabilities:
            inert_chart(st, charts.probability_bar(prediction.probabilities), key="predict_proba_chart")


if notice := st.session_state.pop(keys.PREDICT_NOTICE, None):
    st.info(plain(notice))
single, batch = st.tabs(["One row", "A whole CSV file"])
with single:
    one_row(model)

with batch:
    upload = st.file_uploader(
        "CSV, Parquet or Excel file with the model's input columns",
        type=[s.lstrip(".") for s in loading.SUPPORTED_SUFFIXES],
        key="predict_upload",
    )
    if upload is not None:
        try:
            rows, findings = predict.read_batch(upload.getvalue(), upload.name, model)
            if findings:
                show_findings(findings)
            if any(f.severity == "error" for f in findings):
                st.error("Fix the errors above and upload the file again; nothing was predicted.")
            else:
                batch_key = (upload.file_id, model.uri)  # a rerun shows the same batch again: predict and log once
                kept = st.session_state.get(keys.PREDICT_BATCH)
                if kept and kept[0] == batch_key:
                    scored = kept[1]
                else:
                    bar = st.progress(0.0, text=f"Predicting {len(rows):,} rows…")
                    scored = predict.predict_frame(
                        model,
                        rows,
                        lambda done, total: bar.progress(done / total, text=f"Predicted {done:,} of {total:,}"),
                    )
                    bar.empty()
                    st.session_state[keys.PREDICT_BATCH] = (batch_key, scored)
                    if logging_on:
                        prediction_log.log_predictions(model, rows, scored, "batch")
                st.success(f"Predicted {len(scored):,} rows with version {version.version}.")
                inert_chart(st, charts.prediction_counts_bar(scored["prediction"]), key="predict_counts_chart")
                st.dataframe(scored.head(500), width="stretch")
                st.download_button(
                    "⬇️ Download predictions (CSV)",
                    scored.to_csv(index=False).encode(),
                    file_name=f"predictions-{name}-v{version.version}.csv",
                    mime="text/csv",
                    key="predict_download",
                )
        except ValueError as exc:
            st.error(plain(error_message(exc)))
