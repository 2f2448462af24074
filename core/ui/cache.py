"""Cached loaders: frames and reports with cache_data, loaded models with cache_resource."""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Iterator

import pandas as pd
import streamlit as st

from core.common import i18n
from core.compare import evaluation, evidence, runs
from core.data import datastore, loading, profiling, sets
from core.registry import governance, model_registry, requests
from core.registry.governance import Rule
from core.registry.version_diff import VersionDiff
from core.registry.version_diff import version_diff as diff_versions
from core.serve import explain, predict, prediction_log
from core.train import orphans
from core.ui.i18n import language


class Later(str):
    """A spinner text for ``st.cache_data``/``st.cache_resource``, looked up in the session's language when shown.

    Decorators run once, at import, in nobody's language. Streamlit turns ``show_spinner`` into text (``str(...)``)
    only when a cache miss shows the spinner, in the script run of the session being served; that is when this
    text is looked up. Anywhere else it reads as the English text."""

    message: i18n.Message

    def __new__(cls, key: str) -> Later:
        message = i18n.Message(key)
        text = super().__new__(cls, message.render(i18n.DEFAULT_LANGUAGE))
        text.message = message
        return text

    def __str__(self) -> str:
        return self.message.render()  # the session's language once the UI installed its resolver, else English


def in_language(cached):
    """Call a cached function with the session's language as its last argument: what it returns holds texts in
    that language, so the language is part of the cache key."""

    @functools.wraps(cached)
    def call(*args):

        return cached(*args, language())

    call.clear = cached.clear
    return call


@st.cache_data(show_spinner=False, max_entries=8)
def builtin_frame(name: str) -> pd.DataFrame:
    return sets.load_builtin(name)


@st.cache_data(show_spinner=Later("widgets.spinner_file"), max_entries=8)
def uploaded_table(content: bytes, filename: str, settings: loading.CsvSettings | None) -> pd.DataFrame:
    return loading.read_table(content, filename, settings, min_rows=sets.MIN_ROWS, min_columns=2).frame


@in_language
@st.cache_data(show_spinner=Later("widgets.spinner_validating"), max_entries=32)
def dataset_check(
    _frame: pd.DataFrame,
    digest: str,
    target: str,
    roles: dict[str, str],
    excluded: tuple[str, ...],
    test_size: float,
    language: str,
):
    """Roles, features and findings; keyed by the data digest so rerenders of big frames stay instant."""
    return datastore.check_dataset(_frame, target, roles, set(excluded), test_size)


@st.cache_data(show_spinner=Later("widgets.spinner_dataset"), max_entries=16)
def dataset(run_id: str) -> datastore.DatasetRecord:
    """A data run never changes once written, so its id is a safe cache key."""
    return datastore.load_dataset(run_id)


@st.cache_data(show_spinner=False, max_entries=8, persist="disk")
def profile_report(_frame: pd.DataFrame, digest: str, title: str) -> str:
    """Profile HTML: the one stored in MLflow for this digest, else built now (the frame is not hashed)."""
    return profiling.stored_profile(digest) or profiling.profile_html(_frame, title)


@st.cache_resource(show_spinner=Later("widgets.spinner_model"), max_entries=8)
def served_model(name: str, version: str) -> predict.ServedModel:
    """Keyed by version, not alias: when an alias moves, the next run loads the new version."""
    model = predict.load_served_model(name, version)
    freeze_long_lived()
    return model


@st.cache_data(show_spinner=False, max_entries=8)
def explain_reference(name: str, version: str, _model: predict.ServedModel) -> pd.DataFrame | None:
    """The training rows a version's explanations are measured against (a version never changes: safe key)."""
    return explain.training_reference(_model)


def freeze_long_lived() -> None:
    """Move every object alive now (the libraries, a loaded model) out of the collector's reach: Streamlit collects
    garbage after every script run, and walking the ~400k long-lived objects of mlflow, scikit-learn and a model
    took ~0.2 s per click. A process-wide choice, so it is made here, at the app's edge, not inside core."""
    gc.freeze()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic collector paused for the block. Listing runs builds tens of thousands of short-lived ORM
    objects (tags, params, metrics) that set off collections over the heap: the compare page's first render with
    500 runs took 0.67 s paused, 0.92 s without and 0.75 s with the heap frozen instead (bench/bench_compare.py,
    docs/benchmarks.md). Nothing cyclic is made meanwhile. Process-wide, so used here, at the app's edge."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@in_language
@st.cache_data(show_spinner=Later("widgets.spinner_runs"), ttl=60, max_entries=16)
def runs_table(experiment_id: str, metric: str, fingerprint: tuple, language: str) -> pd.DataFrame:
    """The project's runs; ``fingerprint`` (runs.latest_change) renews it when a run starts or ends, the TTL
    when someone else tags a run, forget_runs when this app does."""
    with collector_paused():
        return runs.training_runs(experiment_id, metric)


@in_language
@st.cache_data(show_spinner=Later("widgets.spinner_search_trials"), ttl=60, max_entries=16)
def search_children(experiment_id: str, metric: str, fingerprint: tuple, language: str) -> pd.DataFrame:
    with collector_paused():
        return runs.search_children(experiment_id, metric)


@in_language
@st.cache_data(show_spinner=Later("widgets.spinner_search_insight"), ttl=60, max_entries=16)
def search_insight(parent_run_id: str, metric: str, fingerprint: tuple, language: str) -> runs.SearchInsight:
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


@in_language
@st.cache_data(show_spinner=Later("widgets.spinner_comparison"), ttl=60, max_entries=16)
def promotion_comparison(
    candidate_run: str, current_run: str, metric: str, language: str
) -> evidence.PromotionComparison:
    return evidence.promotion_comparison(candidate_run, current_run, metric)


@in_language
@st.cache_data(show_spinner=Later("widgets.spinner_comparison"), ttl=60, max_entries=16)
def version_diff(name: str, version_a: str, version_b: str, metric: str, language: str) -> VersionDiff:
    return diff_versions(name, version_a, version_b, metric)


@in_language
@st.cache_data(show_spinner=False, ttl=30, max_entries=32)
def alias_story(name: str, alias: str, version: str, run_id: str | None, language: str) -> str:
    """Keyed by the version the alias resolves to now, so a move shows at once; the TTL covers a move back."""

    return governance.alias_story(name, alias, run_id)


@st.cache_data(show_spinner=False, ttl=30, max_entries=32)
def project_models(experiment_id: str) -> list[model_registry.ModelSummary]:
    """The models built from a project's runs; forget_models renews it after this app registers or moves an
    alias, the TTL after another session or other code does."""
    return model_registry.project_models(experiment_id)


def forget_models() -> None:
    project_models.clear()
    store_requests.clear()


@st.cache_data(show_spinner=False, ttl=10, max_entries=4)
def store_requests() -> tuple[list[requests.Request], dict[str, dict[str, Rule]]]:
    """Every promotion request in the store and the rules of the models with an open one: the home board's
    "waiting for you" and "your requests"."""
    found = requests.store_requests()
    return found, requests.rules_of({r.model for r in found if r.state == requests.OPEN})


@st.cache_data(show_spinner=False, ttl=15, max_entries=32)
def prediction_log_enabled(name: str) -> bool:

    return prediction_log.enabled(name)


def set_prediction_log(name: str, on: bool) -> None:

    prediction_log.set_enabled(name, on)
    prediction_log_enabled.clear()


@st.cache_resource(show_spinner=False, max_entries=8)
def orphans_swept(tracking_uri: str) -> int:
    """End the runs a killed server left RUNNING, once per server process and store: at the app's start, before
    anyone looks at a project. How many were ended."""
    return orphans.end_orphaned_runs()


@st.cache_data(show_spinner=False, ttl=30, max_entries=32)
def lost_searches(experiment_id: str) -> list[orphans.LostSearch]:
    return orphans.lost_searches(experiment_id)


def forget_runs() -> None:
    """Forget what was read about runs, after this app evaluated or tagged one."""
    for cached in (runs_table, search_children, search_insight, stored_evaluation, run_metrics, lost_searches):
        cached.clear()


def clear() -> None:
    """Forget everything cached (used by tests and after the store changes)."""
    st.cache_data.clear()
    st.cache_resource.clear()
