"""core.data.profiling: reports built with ydata-profiling and kept in MLflow per data digest."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.data import datastore, profiling
from core.data import sets as data


def test_profile_html_is_a_full_page():
    frame = data.load_builtin("iris")
    html = profiling.profile_html(frame, "Profile of iris")
    assert html.lstrip().lower().startswith("<!doctype html") and "Profile of iris" in html
    assert not profiling.uses_minimal_mode(frame)
    assert profiling.uses_minimal_mode(pd.DataFrame({"a": range(100_000), "b": 0, "c": 0, "d": 0, "e": 0, "f": 0}))


def test_a_profile_given_with_the_data_is_stored_and_found_by_digest(store):
    from core.question import projects

    project = projects.create_project("Profiled")
    frame = data.load_builtin("iris")
    assert profiling.stored_profile("raw-digest") is None
    record = datastore.record_dataset(
        project.experiment_id, frame, "iris", "species", profile_html="<html>report</html>", profile_digest="raw-digest"
    )
    assert profiling.stored_profile("raw-digest") == "<html>report</html>"
    assert profiling.stored_profile("other") is None
    assert record.run_id


def test_a_profile_built_after_confirming_is_stored_on_the_same_data_run(store):
    from core.question import projects

    project = projects.create_project("Later")
    frame = data.load_builtin("wine")
    first = datastore.record_dataset(project.experiment_id, frame, "wine", "cultivar")
    again = datastore.record_dataset(
        project.experiment_id, frame, "wine", "cultivar", profile_html="<p>wine</p>", profile_digest="d1"
    )
    assert again.run_id == first.run_id
    assert profiling.stored_profile("d1") == "<p>wine</p>"


def test_the_report_carries_no_markup_from_the_data():
    """ydata-profiling writes names and values raw in places: they reach it with inert look-alikes."""
    frame = pd.DataFrame(
        {
            "<img src=x onerror=alert(1)>": np.arange(40.0),
            "species": ["<script>alert(2)</script>", "<b>bee</b>"] * 20,
            "kind": pd.Categorical(["<i>c</i>", "d"] * 20),
        }
    )
    html = profiling.profile_html(frame, "Profile of <i>data</i>")
    for markup in ("<img src=x", "<script>alert(2)", "<b>bee</b>", "<i>c</i>", "<i>data</i>"):
        assert markup not in html
    assert "＜img src=x onerror=alert(1)＞" in html  # still there to read
    assert list(frame.columns)[0] == "<img src=x onerror=alert(1)>"  # the caller's frame is untouched
