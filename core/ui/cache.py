"""Cached loaders: frames and reports with cache_data, loaded models with cache_resource."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import data, datastore, loading, predict, profiling


@st.cache_data(show_spinner=False, max_entries=8)
def builtin_frame(name: str) -> pd.DataFrame:
    return data.load_builtin(name)


@st.cache_data(show_spinner="Reading the file…", max_entries=8)
def uploaded_table(content: bytes, filename: str, settings: loading.CsvSettings | None) -> pd.DataFrame:
    return loading.read_table(content, filename, settings, min_rows=data.MIN_ROWS, min_columns=2).frame


@st.cache_data(show_spinner="Validating…", max_entries=32)
def dataset_check(
    _frame: pd.DataFrame, digest: str, target: str, roles: dict[str, str], excluded: tuple[str, ...], test_size: float
):
    """Roles, features and findings; keyed by the data digest so rerenders of big frames stay instant."""
    return datastore.check_dataset(_frame, target, roles, set(excluded), test_size)


@st.cache_data(show_spinner="Loading the project's data from MLflow…", max_entries=16)
def dataset(run_id: str) -> datastore.DatasetRecord:
    """A data run never changes once written, so its id is a safe cache key."""
    return datastore.load_dataset(run_id)


@st.cache_data(show_spinner=False, max_entries=8, persist="disk")
def profile_report(_frame: pd.DataFrame, digest: str, title: str) -> str:
    """Profile HTML: the one stored in MLflow for this digest, else built now (the frame is not hashed)."""
    return profiling.stored_profile(digest) or profiling.profile_html(_frame, title)


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def served_model(name: str, version: str) -> predict.ServedModel:
    """Keyed by version, not alias: when an alias moves, the next run loads the new version."""
    return predict.load_served_model(name, version)


def clear() -> None:
    """Forget everything cached (used by tests and after the store changes)."""
    st.cache_data.clear()
    st.cache_resource.clear()
