"""Continuous training (core.monitor.retrain): a labelled batch retrains the champion's recipe, the challenger is
compared with the champion on the same held-out rows, and only the gate promotes it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.question.kpis import KPI
from core.registry import governance
from core.registry import model_registry as registry
from core.registry.governance import Actor
from core.train.algorithms import ALGORITHMS

MODEL = "ct-iris"
ACTOR = Actor("ci-bot")
# a latency bound no loaded CI machine misses, so the verdicts here depend on accuracy alone
KPIS = [KPI("accuracy", ">=", 0.85), KPI("latency_ms", "<", 2000)]
FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]


# --------------------------------------------------------------------------------------------------- helpers


def make_champion(search: bool = False, name: str = MODEL):
    """The iris project with KPIs, a small model (a 2-trial search, or one training run) evaluated, registered
    and set as @champion through the gate. Returns (project, dataset, champion run id)."""
    from core.compare.evaluation import evaluate_run
    from core.data import datastore
    from core.data.sets import load_builtin
    from core.question import projects

    project = projects.create_project("CT iris", kpis=KPIS)
    dataset = datastore.record_dataset(project.experiment_id, load_builtin("iris"), "iris", "species")
    if search:
        from core.train.search_space import Dimension
        from core.train.tuning import SearchConfig, run_search

        space = (Dimension("max_depth", "int", 2, 6),)
        config = SearchConfig("random_forest", "random", space, {"n_estimators": 10}, max_trials=2, cv_folds=3)
        run_id = run_search(project.experiment_id, dataset, config).run_id
    else:
        from core.train.training import train_model

        run_id = train_model(project.experiment_id, dataset, "random_forest", {"n_estimators": 10}, cv_folds=3).run_id
    evaluate_run(run_id, KPIS)
    version = registry.register(run_id, name).version
    governance.move_alias(name, "champion", version, ACTOR)
    return project, dataset, run_id


def iris() -> pd.DataFrame:
    from core.data.sets import load_builtin

    return load_builtin("iris")


def shifted_batch() -> pd.DataFrame:
    """The same flowers measured on a new instrument: every feature 10 cm larger. The champion has never seen
    such values (its trees answer one class for all of them); a model trained with them has no trouble."""
    batch = iris()
    batch[FEATURES] = batch[FEATURES] + 10
    return batch


def store_counts() -> tuple[int, int]:
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    client = MlflowClient()
    ids = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    runs = client.search_runs(ids, run_view_type=ViewType.ALL, max_results=1000) if ids else []
    return len(runs), len(client.search_model_versions())


# --------------------------------------------------------------------------------------------------- the CT loop


def test_shifted_batch_gives_a_better_challenger_that_the_gate_promotes(store):
    from core.compare.evaluation import load_evaluation
    from core.data.datastore import load_dataset
    from core.monitor import retrain
    from core.question import projects

    project, dataset, champion_run = make_champion(search=True)
    stored_before = load_evaluation(champion_run).metrics

    plan = retrain.plan_retrain(MODEL, shifted_batch(), combine="append", batch_name="shifted.csv")
    assert plan.recipe.kind == "search" and plan.recipe.search.max_trials == 2
    assert plan.batch_rows == 150 and len(plan.frame) == 300
    assert any("outside the training range" in w for w in plan.warnings)
    steps = []
    result = retrain.run_retrain(plan, ACTOR, on_progress=lambda f, text: steps.append((f, text)))
    assert steps[-1][0] == 1.0

    # the challenger is a new version of the same model, at @challenger, recorded in the audit trail
    assert result.champion_version == "1" and result.challenger_version == "2"
    assert registry.get_model(MODEL).aliases == {"champion": "1", "challenger": "2"}
    (moved,) = governance.history(MODEL, "challenger")
    assert moved.reason == "retrained with new data: 150 rows" and moved.who == "ci-bot"

    # provenance: a new data run of the combined rows; the challenger trained on its training split by the same
    # search configuration; the project still points at the data the person chose
    combined = load_dataset(result.data_run_id)
    assert len(combined.frame) == 300 and combined.split.seed == dataset.split.seed
    assert projects.get_project(project.experiment_id).data_run_id == dataset.run_id
    run = registry._client().get_run(result.challenger_run_id)
    assert run.data.tags["qua3ck.data_run"] == result.data_run_id
    import mlflow

    rerun = retrain.search_config_from_dict(mlflow.artifacts.load_dict(f"runs:/{result.challenger_run_id}/search.json"))
    assert rerun == plan.recipe.search

    # one shared held-out set: rows neither model was trained on
    comparison = retrain.load_comparison(MODEL, "2")
    held_out = set(comparison["held_out_positions"])
    assert len(held_out) == result.held_out_rows > 0
    assert not held_out & set(combined.split.train)  # the challenger never saw them
    assert not held_out & set(dataset.split.train)  # the champion's training rows keep their positions 0..149
    assert len(result.champion.predictions) == len(result.challenger.predictions) == len(held_out)

    # the challenger clearly beats the champion on them and passes the KPIs
    assert result.better
    assert result.challenger.metrics["accuracy"] >= 0.9 > 0.7 > result.champion.metrics["accuracy"]
    assert result.challenger.verdict == "pass" and result.champion.verdict == "fail"
    assert "significant" in result.difference
    table = result.table()
    assert list(table["metric"])[0] == "accuracy (primary)"
    json.dumps(result.as_dict(), default=str)
    assert load_evaluation(champion_run).metrics == stored_before  # the champion's own evaluation is untouched

    # the gate promotes it
    check = retrain.check_promotion(MODEL, ACTOR, "champion")
    assert check.allowed and check.beats_holder, check.message
    entry = retrain.promote_challenger(MODEL, ACTOR, "champion")
    assert (entry.from_version, entry.to_version, entry.override) == ("1", "2", False)
    assert "beats v1" in entry.reason
    assert registry.get_model(MODEL).aliases == {"champion": "2", "challenger": "2"}


def test_noisy_batch_gives_a_challenger_that_fails_the_kpi_and_the_gate_refuses(store):
    from core.monitor import retrain

    make_champion()
    batch = iris()
    batch["species"] = np.random.default_rng(0).permutation(batch["species"].to_numpy())  # labels are noise
    result = retrain.retrain(MODEL, batch, ACTOR, combine="replace", batch_name="noise.csv")
    assert result.challenger.verdict == "fail"
    assert result.gate is not None and not result.gate.allowed
    assert registry.get_model(MODEL).aliases == {"champion": "1", "challenger": "2"}

    check = retrain.check_promotion(MODEL, ACTOR, "champion")
    assert not check.allowed and check.overridable
    with pytest.raises(governance.GovernanceError, match="not a pass"):
        retrain.promote_challenger(MODEL, ACTOR, "champion")
    assert registry.get_model(MODEL).aliases["champion"] == "1"
    (only,) = governance.history(MODEL, "champion")  # the champion's first promotion, nothing since
    assert only.to_version == "1"


def test_a_challenger_that_does_not_beat_the_champion_is_refused_unless_forced_with_a_reason(store):
    import mlflow

    from core.monitor import retrain

    make_champion()
    rows = iris()
    model = mlflow.pyfunc.load_model(f"models:/{MODEL}@champion")
    batch = rows[model.predict(rows[FEATURES]) == rows["species"]]  # rows the champion gets right, every one
    result = retrain.retrain(MODEL, batch, ACTOR, combine="replace")
    assert result.champion.metrics["accuracy"] == 1.0
    assert not result.better and result.challenger.verdict == "pass"

    check = retrain.check_promotion(MODEL, ACTOR, "champion")
    assert check.gate.allowed and check.beats_holder is False and not check.allowed
    assert "does not beat v1" in check.message
    with pytest.raises(retrain.NotBetter, match="does not beat v1"):
        retrain.promote_challenger(MODEL, ACTOR, "champion")
    with pytest.raises(governance.GovernanceError, match="reason"):
        retrain.promote_challenger(MODEL, ACTOR, "champion", force=True)
    assert registry.get_model(MODEL).aliases["champion"] == "1"
    assert len(governance.history(MODEL, "champion")) == 1

    entry = retrain.promote_challenger(
        MODEL, ACTOR, "champion", reason="the new sensor is the only one left", force=True
    )
    assert entry.to_version == "2"
    assert entry.reason.startswith("[promoted although it does not beat v1]")
    assert entry.reason.endswith("the new sensor is the only one left")


# --------------------------------------------------------------------------------------------------- bad input


def test_bad_batches_get_a_clear_message_and_nothing_is_written(store):
    from core.monitor import retrain
    from core.registry.model_registry import RegistryError

    make_champion()
    before = store_counts()
    good = iris()

    def refused(batch, match, **kw):
        with pytest.raises(retrain.RetrainError, match=match) as info:
            retrain.plan_retrain(MODEL, batch, **kw)
        return str(info.value)

    other = good.rename(columns={"petal width (cm)": "petal_width"}).assign(flower_id=range(len(good)))
    message = refused(other, "columns do not match")
    assert "missing 'petal width (cm)'" in message
    assert "not in the training data: 'petal_width', 'flower_id'" in message
    assert "target 'species'" in message
    assert "missing 'species'" in refused(good.drop(columns="species"), "columns do not match")

    assert "5 labelled rows" in refused(good.sample(5, random_state=0), "at least 20")
    novel = good.head(30).assign(species=["setosa"] * 29 + ["iris-nova"])
    assert "'iris-nova'" in refused(novel, "never saw in training")
    unlabelled = good.sample(30, random_state=1).reset_index(drop=True)
    unlabelled.loc[[3, 7], "species"] = None
    assert "rows 4, 8" in refused(unlabelled, "target 'species' is missing in 2 rows")
    text = good.sample(30, random_state=2).reset_index(drop=True).astype({"sepal width (cm)": object})
    text.loc[0, "sepal width (cm)"] = "wide"
    refused(text, "must hold numbers")
    # replace: the batch alone must be trainable (every class needs rows for the split)
    lopsided = pd.concat([good[good.species == "setosa"].head(25), good[good.species == "virginica"].head(1)])
    refused(lopsided, "batch cannot be used for training", combine="replace")
    refused(good, "Combine must be one of", combine="merge")

    with pytest.raises(RegistryError, match="no alias 'production'"):
        retrain.plan_retrain(MODEL, good, alias="production")
    with pytest.raises(RegistryError, match="no registered model"):
        retrain.plan_retrain("no-such-model", good)
    with pytest.raises(retrain.RetrainError, match="who you are"):
        retrain.run_retrain(retrain.plan_retrain(MODEL, shifted_batch()), Actor(" "))
    assert store_counts() == before


# --------------------------------------------------------------------------------------------------- recipes


@pytest.mark.parametrize("key", list(ALGORITHMS))
def test_a_logged_search_configuration_reads_back_as_the_same_config(key):
    from core.monitor.retrain import search_config_from_dict
    from core.train.algorithms import default_params
    from core.train.features import FeatureSteps
    from core.train.search_space import default_space
    from core.train.tuning import SearchConfig

    space = default_space(key)
    base = {k: v for k, v in default_params(key).items() if k not in {d.name for d in space}}
    config = SearchConfig(
        key, "optuna", space, base, FeatureSteps(scaling="robust", pca=2), 7, 30.0, 3, "f1_macro", 5, 1
    )
    logged = json.loads(json.dumps(config.as_dict()))  # what search.json holds
    assert search_config_from_dict(logged) == config


def test_an_unusable_search_configuration_is_refused_with_a_message():
    from core.monitor.retrain import RetrainError, search_config_from_dict

    with pytest.raises(RetrainError, match="cannot be used again"):
        search_config_from_dict({"algorithm": "random_forest", "space": [{"name": "no_such_param", "kind": "int"}]})
