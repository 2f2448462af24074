"""Cached loaders: frames and reports with cache_data, loaded models with cache_resource."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import data, datastore, predict, profiling


@st.cache_data(show_spinner=False, max_entries=8)
def builtin_frame(name: str) -> pd.DataFrame:
    return data.load_builtin(name)


@st.cache_data(show_spinner=False, max_entries=8)
def uploaded_frame(content: bytes, name: str) -> pd.DataFrame:
    return data.read_csv(content, name)


@st.cache_data(show_spinner="Loading the project's data from MLflow…", max_entries=16)
def dataset(run_id: str) -> datastore.DatasetRecord:
    """A data run never changes once written, so its id is a safe cache key."""
    return datastore.load_dataset(run_id)


@st.cache_data(show_spinner="Profiling the data with ydata-profiling…", max_entries=8)
def profile_report(_frame: pd.DataFrame, digest: str, title: str) -> str:
    """Profile HTML, computed once per data digest (the frame itself is not hashed)."""
    return profiling.profile_html(_frame, title)


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def served_model(name: str, version: str) -> predict.ServedModel:
    """Keyed by version, not alias: when an alias moves, the next run loads the new version."""
    return predict.load_served_model(name, version)


def clear() -> None:
    """Forget everything cached (used by tests and after the store changes)."""
    st.cache_data.clear()
    st.cache_resource.clear()
