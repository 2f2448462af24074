"""The A³ page's "Show the code": the generated training and search code, executed against the test's store,
logs runs with the workbench's params and the same cross-validated scores; and every text the page looks up by
a computed key (algorithm, hyperparameter, feature step, search method and ending) exists in both languages."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient

from core.codegen.snippets import train as snippets
from core.common import i18n
from core.compare import runs
from core.train.algorithms import ALGORITHMS
from core.train.features import IMPUTERS, SCALERS, FeatureSteps
from core.train.search_space import METHODS, Dimension
from core.train.training import train_model
from core.train.tuning import SearchConfig, run_search
from tests.unit.snippet_exec import run_snippet

FOREST = (Dimension("n_estimators", "int", 10, 20, points=2), Dimension("max_depth", "int", 2, 4, points=2))


def new_runs(experiment_id: str, before: set[str]) -> list:
    found = MlflowClient().search_runs([experiment_id], max_results=1000)
    return [r for r in found if r.info.run_id not in before]


def run_ids(experiment_id: str) -> set[str]:
    return {r.info.run_id for r in MlflowClient().search_runs([experiment_id], max_results=1000)}


def test_training_code_logs_the_same_runs_with_the_same_scores(iris_project):
    project, record = iris_project
    steps = FeatureSteps(poly_degree=2, select_k=3, pca=2)  # A2 with capped sizes; "auto" scales only LR
    results = [
        train_model(project.experiment_id, record, "random_forest", {"n_estimators": 20, "max_depth": 0}, 3, steps),
        train_model(project.experiment_id, record, "logistic_regression", {"C": 0.5}, 3, steps),
    ]
    code = snippets.training(project.name, record, results)
    assert "from core" not in code and "import core" not in code  # plain mlflow/sklearn/pandas
    before = run_ids(project.experiment_id)
    run_snippet(code)
    logged = {r.info.run_name: r for r in new_runs(project.experiment_id, before)}
    assert set(logged) == {"random_forest", "logistic_regression"}
    client = MlflowClient()
    for result in results:
        mine, theirs = logged[result.algorithm], client.get_run(result.run_id)
        assert mine.info.status == "FINISHED"
        for name in ("algorithm", "prep.poly_degree", "prep.select_k", "prep.pca", "cv_folds", "random_seed"):
            assert mine.data.params[name] == theirs.data.params[name], name
        assert mine.data.metrics["cv_accuracy"] == pytest.approx(result.cv_metrics["cv_accuracy"], abs=1e-12)
        assert mine.data.metrics["cv_f1_macro_std"] == pytest.approx(result.cv_metrics["cv_f1_macro_std"], abs=1e-12)
        assert client.search_logged_models(
            experiment_ids=[project.experiment_id], filter_string=f"source_run_id = '{mine.info.run_id}'"
        )
    assert logged["random_forest"].data.params["n_estimators"] == "20"
    assert logged["logistic_regression"].data.params["C"] == "0.5"


@pytest.mark.parametrize("method", ["grid", "random", "optuna"])
def test_search_code_runs_the_same_trials_as_nested_runs(iris_project, method):
    project, record = iris_project
    space = FOREST if method == "grid" else (FOREST[0], Dimension("max_depth", "int", 2, 6, log=True))
    config = SearchConfig("random_forest", method, space, {"min_samples_leaf": "2"}, FeatureSteps(), 3, None, 3)
    result = run_search(project.experiment_id, record, config)
    assert result.status == "finished" and len(result.trials) == 3
    code = snippets.search(project.name, record, config)
    before = run_ids(project.experiment_id)
    run_snippet(code)
    logged = new_runs(project.experiment_id, before)
    parents = [r for r in logged if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1
    parent = parents[0]
    trials = {r.info.run_name: r for r in logged if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id}
    assert sorted(trials) == ["trial-000", "trial-001", "trial-002"]
    assert parent.data.params["search.method"] == method
    best = max(sorted(trials.items()), key=lambda item: item[1].data.metrics["cv_accuracy"])[1]  # first of ties
    assert parent.data.metrics["cv_accuracy"] == best.data.metrics["cv_accuracy"]
    assert parent.data.params["max_depth"] == best.data.params["max_depth"]
    assert MlflowClient().search_logged_models(
        experiment_ids=[project.experiment_id], filter_string=f"source_run_id = '{parent.info.run_id}'"
    )
    for trial in result.trials:  # the same sampler: the same proposals and scores, trial by trial
        mine = trials[f"trial-{trial.number:03d}"]
        assert mine.data.params["min_samples_leaf"] == "2"
        assert {k: mine.data.params[k] for k in trial.values} == {k: str(v) for k, v in trial.values.items()}
        assert mine.data.metrics["cv_accuracy"] == pytest.approx(trial.metrics["cv_accuracy"], abs=1e-12)


def test_every_computed_key_exists_in_both_languages():
    keys = set()
    for algorithm in ALGORITHMS.values():
        keys |= {f"algorithms.{algorithm.key}.label", f"algorithms.{algorithm.key}.description"}
        for p in algorithm.params:
            keys.add(f"algorithms.params.{p.text or p.name}.label")
            if p.help:
                keys.add(f"algorithms.params.{p.text or p.name}.help")
    keys |= {f"algorithms.features.impute_{k}" for k in IMPUTERS}
    keys |= {f"algorithms.features.scaling_{k}" for k in SCALERS}
    for method in METHODS:
        keys |= {f"search.method_{method}", f"search.method_name_{method}", f"search.method_word_{method}"}
    keys |= {f"search.status_{s}" for s in ("finished", "time_up", "stopped", "aborted", "store_error", "failed")}
    keys |= {f"search.verdict_{v.replace(' ', '_')}" for v in runs.VERDICTS}
    keys |= {f"search.kind_{k}" for k in runs.KINDS} | {f"search.order_{o}" for o in runs.ORDERS}
    for language in i18n.LANGUAGES:
        assert sorted(keys - set(i18n.catalogue(language))) == [], language


def test_shown_texts_follow_the_language_and_the_catalogue_stays_english():
    forest, depth = ALGORITHMS["random_forest"], ALGORITHMS["random_forest"].params[1]
    try:
        i18n.set_language_resolver(lambda: "de")
        assert forest.shown_label == "Random Forest"
        assert depth.shown().label == "Maximale Baumtiefe (0 = unbegrenzt)"
        assert FeatureSteps().describe(language="de").startswith("fehlende Zahlen")
        assert FeatureSteps().describe().startswith("missing numbers get the median")  # model cards, exports
    finally:
        i18n.set_language_resolver(lambda: i18n.DEFAULT_LANGUAGE)
    assert depth.label == "Maximum tree depth (0 = unlimited)"
    assert ALGORITHMS["logistic_regression"].shown_label == "Logistic regression"
