"""Cached loaders: frames and reports with cache_data, loaded models with cache_resource."""

from __future__ import annotations

import gc

import pandas as pd
import streamlit as st

from core import data, datastore, evaluation, evidence, loading, predict, profiling, runs


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
    model = predict.load_served_model(name, version)
    # Streamlit collects garbage after every script run; walking the ~400k long-lived objects of mlflow,
    # scikit-learn and the model took ~0.2 s per click. Frozen objects are skipped by the collector.
    gc.freeze()
    return model


@st.cache_data(show_spinner="Reading the runs from MLflow…", ttl=60, max_entries=16)
def runs_table(experiment_id: str, metric: str, fingerprint: tuple) -> pd.DataFrame:
    """The project's runs; ``fingerprint`` (runs.latest_change) renews it when a run starts or ends, the TTL
    when someone else tags a run, forget_runs when this app does."""
    return runs.training_runs(experiment_id, metric)


@st.cache_data(show_spinner="Reading the search trials from MLflow…", ttl=60, max_entries=16)
def search_children(experiment_id: str, metric: str, fingerprint: tuple) -> pd.DataFrame:
    return runs.search_children(experiment_id, metric)


@st.cache_data(show_spinner="Reading the trials of the search…", ttl=60, max_entries=16)
def search_insight(parent_run_id: str, metric: str, fingerprint: tuple) -> runs.SearchInsight:
    """A search's trials and which hyperparameters mattered (fANOVA takes a moment: computed once per search)."""
    return runs.search_insight(parent_run_id, metric)


@st.cache_resource(show_spinner=False, ttl=300, max_entries=64)
def stored_evaluation(run_id: str) -> evaluation.Evaluation | None:
    """A run's stored evaluation; not copied per rerun (it holds every held-out prediction), never mutated."""
    return evaluation.load_evaluation(run_id)


@st.cache_data(show_spinner=False, ttl=300, max_entries=64)
def run_metrics(run_ids: tuple[str, ...]) -> dict[str, dict[str, float]]:
    return evidence.run_metrics(list(run_ids))


@st.cache_data(show_spinner=False, max_entries=256)
def data_run_of(run_id: str) -> str | None:
    """The data run a model run was trained on: set once when the run is created."""
    return evidence.data_run_of(run_id)


@st.cache_data(show_spinner="Comparing with the current holder…", ttl=60, max_entries=16)
def promotion_comparison(candidate_run: str, current_run: str, metric: str) -> evidence.PromotionComparison:
    return evidence.promotion_comparison(candidate_run, current_run, metric)


@st.cache_data(show_spinner=False, ttl=30, max_entries=32)
def alias_story(name: str, alias: str, version: str, run_id: str | None) -> str:
    """Keyed by the version the alias resolves to now, so a move shows at once; the TTL covers a move back."""
    from core import governance

    return governance.alias_story(name, alias, run_id)


@st.cache_data(show_spinner=False, ttl=15, max_entries=32)
def prediction_log_enabled(name: str) -> bool:
    from core import prediction_log

    return prediction_log.enabled(name)


def set_prediction_log(name: str, on: bool) -> None:
    from core import prediction_log

    prediction_log.set_enabled(name, on)
    prediction_log_enabled.clear()


def forget_runs() -> None:
    """Forget what was read about runs, after this app evaluated or tagged one."""
    for cached in (runs_table, search_children, search_insight, stored_evaluation, run_metrics):
        cached.clear()


def clear() -> None:
    """Forget everything cached (used by tests and after the store changes)."""
    st.cache_data.clear()
    st.cache_resource.clear()
