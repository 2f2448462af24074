"""Promotion gate, audit trail and rollback against a temporary registry."""

from __future__ import annotations

import threading

import pytest
from mlflow import MlflowClient

from core.question import projects
from core.question.kpis import KPI
from core.registry import governance, model_card
from core.registry import model_registry as registry
from core.registry.governance import Actor, GovernanceError
from core.train import training

MODEL = "iris-classifier"
ANA = Actor("ana")


def _aliases() -> dict[str, str]:
    return registry.get_model(MODEL).aliases


def test_a_passing_version_is_promoted_and_the_move_is_audited(versions):
    entry = governance.move_alias(MODEL, "production", "1", ANA, expected_from=None)
    assert _aliases() == {"production": "1"}
    trail = governance.history(MODEL)
    assert trail == [entry]
    assert (entry.who, entry.action, entry.alias, entry.from_version, entry.to_version) == (
        "ana", "set", "production", None, "1",
    )  # fmt: skip
    assert entry.verdict == "pass" and not entry.override and entry.applied
    tags = MlflowClient().get_registered_model(MODEL).tags
    assert entry.key in tags and entry.key.startswith(governance.AUDIT_PREFIX)  # visible to any MLflow client


@pytest.mark.parametrize("version", ["2", "3"])
def test_the_gate_refuses_a_protected_alias_for_a_version_that_does_not_pass(versions, version):
    governance.move_alias(MODEL, "production", "1", ANA)
    with pytest.raises(GovernanceError, match="not a pass: override with a written reason"):
        governance.move_alias(MODEL, "production", version, ANA)
    assert _aliases() == {"production": "1"} and len(governance.history(MODEL)) == 1


def test_an_override_needs_a_reason_and_is_recorded_as_one(versions):
    with pytest.raises(GovernanceError, match="at least 10 characters"):
        governance.move_alias(MODEL, "champion", "3", ANA, reason="because", override=True)
    assert _aliases() == {} and governance.history(MODEL) == []
    entry = governance.move_alias(MODEL, "champion", "3", ANA, reason="Hotfix approved by the board", override=True)
    assert entry.override and entry.reason == "Hotfix approved by the board" and entry.verdict == "fail"
    assert _aliases() == {"champion": "3"}
    assert "(gate overridden)" in governance.describe_entry(governance.history(MODEL)[0])


def test_unprotected_aliases_move_freely_and_protection_is_configurable(versions):
    governance.move_alias(MODEL, "challenger", "2", ANA)
    assert _aliases() == {"challenger": "2"}
    governance.set_protected_aliases(MODEL, ["production", "challenger"], ANA, "challenger feeds the shop")
    assert governance.protected_aliases(MODEL) == ("production", "challenger")
    with pytest.raises(GovernanceError, match="protected"):
        governance.move_alias(MODEL, "challenger", "3", ANA)
    governance.move_alias(MODEL, "champion", "3", ANA)  # no longer protected
    with pytest.raises(registry.RegistryError, match="may only contain"):
        governance.set_protected_aliases(MODEL, ["prod uction"], ANA)


def test_changing_the_protection_needs_a_reason_and_each_change_is_in_the_trail(versions):
    with pytest.raises(GovernanceError, match="at least 10 characters"):
        governance.set_protected_aliases(MODEL, [], ANA)  # switching the gate off, without a word
    assert governance.protected_aliases(MODEL) == ("production", "champion") and governance.history(MODEL) == []
    governance.set_protected_aliases(MODEL, ["production", "shop"], ANA, "champion is only a label now")
    trail = governance.history(MODEL)
    assert sorted((e.action, e.alias, e.who) for e in trail) == [
        ("protect", "shop", "ana"),
        ("unprotect", "champion", "ana"),
    ]
    assert all(e.reason == "champion is only a label now" and e.applied for e in trail)
    assert "ana unprotected @champion: champion is only a label now" in governance.describe_entry(
        next(e for e in trail if e.action == "unprotect")
    )
    governance.set_protected_aliases(MODEL, ["production", "shop"], ANA)  # no change: nothing asked, nothing written
    assert len(governance.history(MODEL)) == 2
    card = model_card.build_card(MODEL, "3", [e.as_dict() for e in governance.history(MODEL)]).markdown()
    assert "unprotect" in card and "champion is only a label now" in card  # the card shows the release too
    governance.move_alias(MODEL, "champion", "3", ANA)  # a failing version, now allowed: the trail says why
    with pytest.raises(GovernanceError, match="no recorded change to roll back"):
        governance.rollback_target(MODEL, "shop")  # protecting is not a move to undo


def test_only_approvers_change_the_protection_when_sign_in_is_configured(versions):
    guest = Actor("guest", authenticated=True, approvers=("ana",))
    with pytest.raises(GovernanceError, match="Only approvers"):
        governance.set_protected_aliases(MODEL, [], guest, "nobody needs a gate")
    assert governance.protected_aliases(MODEL) == ("production", "champion") and governance.history(MODEL) == []


def _project_of(name: str) -> str:
    return registry.experiment_of_model(name)


def test_kpis_nothing_was_judged_by_yet_are_saved_without_a_reason(iris_project):
    project, _ = iris_project
    saved = governance.save_question_and_kpis(project.experiment_id, "Which?", [KPI("accuracy", ">=", 0.5)], Actor(""))
    assert [str(k) for k in saved.kpis] == ["accuracy >= 0.5"]
    assert governance.kpi_changes(project.experiment_id) == []  # still being defined: nothing judged, nothing audited


def test_changing_kpis_that_judged_runs_needs_who_and_why_and_is_in_the_trail_and_the_card(versions):
    experiment_id = _project_of(MODEL)
    before = projects.get_project(experiment_id)
    weaker = [KPI("accuracy", ">=", 0.3)]
    with pytest.raises(GovernanceError, match="Say who you are"):
        governance.save_question_and_kpis(experiment_id, before.question, weaker, Actor(""), "lowering the bar")
    with pytest.raises(GovernanceError, match="needs a written reason"):
        governance.save_question_and_kpis(experiment_id, before.question, weaker, ANA)  # lowering the bar silently
    assert projects.get_project(experiment_id).kpis == before.kpis and governance.kpi_changes(experiment_id) == []

    governance.save_question_and_kpis(experiment_id, "A new question", before.kpis, ANA)  # the question alone: free
    governance.save_question_and_kpis(experiment_id, "A new question", list(reversed(before.kpis)), ANA)  # same rules
    assert governance.kpi_changes(experiment_id) == []

    governance.save_question_and_kpis(experiment_id, "A new question", weaker, ANA, "the pilot accepts 30 %")
    assert [str(k) for k in projects.get_project(experiment_id).kpis] == ["accuracy >= 0.3"]
    (entry,) = governance.kpi_changes(experiment_id)
    assert (entry.action, entry.who, entry.reason, entry.after) == (
        "kpis",
        "ana",
        "the pilot accepts 30 %",
        "accuracy >= 0.3",
    )
    assert entry.before == "latency_ms < 500, accuracy > 0.95"  # as stored: the reordered list saved just before
    assert entry.key in MlflowClient().get_experiment(experiment_id).tags  # on the project, for any MLflow client
    assert governance.trail(MODEL)[0] == entry and governance.history(MODEL) == []  # the model's own trail: moves only
    line = governance.describe_entry(entry)
    assert (
        "ana changed the KPIs: latency_ms < 500, accuracy > 0.95" in line
        and "→ accuracy >= 0.3: the pilot accepts 30 %" in line
    )
    card = model_card.build_card(MODEL, "1", [e.as_dict() for e in governance.trail(MODEL)]).markdown()
    assert "change KPIs" in card and "→ accuracy >= 0.3" in card and "the pilot accepts 30 %" in card


def test_only_approvers_change_kpis_that_judged_runs_when_sign_in_is_configured(versions):
    experiment_id = _project_of(MODEL)
    before = projects.get_project(experiment_id)
    guest = Actor("guest", authenticated=True, approvers=("ana",))
    with pytest.raises(GovernanceError, match="only approvers may change them"):
        governance.save_question_and_kpis(experiment_id, before.question, [], guest, "no KPIs, no trouble")
    assert projects.get_project(experiment_id).kpis == before.kpis and governance.kpi_changes(experiment_id) == []
    ana = Actor("ana", authenticated=True, approvers=("ana",))
    governance.save_question_and_kpis(experiment_id, before.question, [], ana, "judged by hand from now on")
    assert projects.get_project(experiment_id).kpis == [] and len(governance.kpi_changes(experiment_id)) == 1


def test_a_kpi_change_the_store_refuses_leaves_no_entry(versions, monkeypatch):
    experiment_id = _project_of(MODEL)
    before = projects.get_project(experiment_id)

    def refuse(*args):
        raise OSError("disk full")

    monkeypatch.setattr(projects, "save_question_and_kpis", refuse)
    with pytest.raises(GovernanceError, match="refused the change, so nothing changed: disk full"):
        governance.save_question_and_kpis(experiment_id, before.question, [], ANA, "judged by hand from now on")
    assert governance.kpi_changes(experiment_id) == []


def test_rollback_restores_the_previous_holder_and_is_audited(versions):
    governance.move_alias(MODEL, "production", "1", ANA)
    governance.move_alias(MODEL, "production", "2", ANA, reason="Trying the simpler model", override=True)
    last, target = governance.rollback_target(MODEL, "production")
    assert (last.to_version, target) == ("2", "1")
    entry = governance.rollback(MODEL, "production", Actor("ben"))
    assert _aliases() == {"production": "1"}
    assert (entry.action, entry.who, entry.from_version, entry.to_version) == ("rollback", "ben", "2", "1")
    assert [e.action for e in governance.history(MODEL)] == ["rollback", "set", "set"]
    # rolling back the very first move removes the alias again
    governance.move_alias(MODEL, "challenger", "2", ANA)
    governance.rollback(MODEL, "challenger", ANA)
    assert "challenger" not in _aliases()


def test_nothing_to_roll_back_and_a_deleted_previous_holder_are_refused(versions):
    with pytest.raises(GovernanceError, match="no recorded change"):
        governance.rollback(MODEL, "production", ANA)
    governance.move_alias(MODEL, "challenger", "2", ANA)
    governance.move_alias(MODEL, "challenger", "3", ANA)
    MlflowClient().delete_model_version(MODEL, "2")
    with pytest.raises(registry.RegistryError, match="no version 2"):
        governance.rollback(MODEL, "challenger", ANA)
    assert _aliases() == {"challenger": "3"} and len(governance.history(MODEL)) == 2


def test_bad_input_changes_nothing(versions):
    for call, fragment in [
        (lambda: governance.move_alias(MODEL, "latest", "1", ANA), "reserved"),
        (lambda: governance.move_alias(MODEL, "production", "9", ANA), "no version 9"),
        (lambda: governance.move_alias(MODEL, "production", "1", Actor("  ")), "Say who you are"),
        (lambda: governance.move_alias("no-such-model", "production", "1", ANA), "no registered model"),
        (lambda: governance.remove_alias(MODEL, "production", ANA), "has no alias"),
    ]:
        with pytest.raises(registry.RegistryError, match=fragment):
            call()
    assert _aliases() == {} and governance.history(MODEL) == []


def test_a_move_decided_on_a_stale_view_is_refused(versions):
    governance.move_alias(MODEL, "challenger", "1", ANA, expected_from=None)
    governance.move_alias(MODEL, "challenger", "2", Actor("ben"), expected_from="1")
    with pytest.raises(GovernanceError, match="changed while you were deciding: you saw it on version 1"):
        governance.move_alias(MODEL, "challenger", "3", ANA, expected_from="1")
    assert _aliases() == {"challenger": "2"}


def test_two_sessions_moving_the_same_alias_at_once_leave_one_consistent_trail(versions):
    results: list[object] = []

    def move(version: str, who: str) -> None:
        try:
            results.append(governance.move_alias(MODEL, "challenger", version, Actor(who), expected_from=None))
        except GovernanceError as exc:
            results.append(exc)

    threads = [threading.Thread(target=move, args=(v, w)) for v, w in (("2", "ana"), ("3", "ben"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    moved = [r for r in results if isinstance(r, governance.AuditEntry)]
    refused = [r for r in results if isinstance(r, GovernanceError)]
    assert len(moved) == 1 and len(refused) == 1  # the second saw the alias already taken
    assert _aliases() == {"challenger": moved[0].to_version}
    assert governance.history(MODEL) == moved


def test_approvers_guard_protected_aliases_when_authentication_is_configured(versions):
    approvers = ("Ana@Example.org",)
    outsider = Actor("ben@example.org", authenticated=True, approvers=approvers)
    approver = Actor("ana@example.org", authenticated=True, approvers=approvers)
    decision = governance.check_gate(MODEL, "production", "1", outsider)
    assert not decision.allowed and "only approvers" in decision.message
    with pytest.raises(GovernanceError, match="only approvers"):
        governance.move_alias(MODEL, "production", "1", outsider)
    governance.move_alias(MODEL, "challenger", "1", outsider)  # unprotected aliases stay open to everyone
    governance.move_alias(MODEL, "production", "1", approver)
    with pytest.raises(GovernanceError, match="only approvers"):
        governance.rollback(MODEL, "production", outsider)
    assert not Actor("ana@example.org", authenticated=False, approvers=approvers).may_approve()
    assert ANA.may_approve() and not ANA.guarded  # without authentication promotions are unguarded


def test_a_registry_that_refuses_the_move_leaves_no_entry(versions, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(MlflowClient, "set_registered_model_alias", refuse)
    with pytest.raises(GovernanceError, match="nothing changed: connection refused"):
        governance.move_alias(MODEL, "production", "1", ANA)
    monkeypatch.undo()
    assert _aliases() == {} and governance.history(MODEL) == []


def test_an_entry_whose_move_did_not_land_is_flagged(versions):
    governance.move_alias(MODEL, "challenger", "1", ANA)
    MlflowClient().set_registered_model_alias(MODEL, "challenger", "2")  # moved outside the workbench
    newest = governance.history(MODEL)[0]
    assert not newest.applied and "no longer matches" in governance.describe_entry(newest)
    with pytest.raises(GovernanceError, match="no recorded change"):
        governance.rollback(MODEL, "challenger", ANA)


def test_an_unreachable_registry_is_one_clear_line(versions, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    from core.common import config

    config.activate_store()
    with pytest.raises(GovernanceError, match="did not answer"):
        governance.history(MODEL)


def test_a_rollback_onto_a_version_that_does_not_pass_is_marked_as_overriding_the_gate(versions):
    governance.move_alias(MODEL, "production", "3", ANA, reason="Emergency fix while v1 is retrained", override=True)
    governance.move_alias(MODEL, "production", "1", ANA)
    entry = governance.rollback(MODEL, "production", ANA)
    assert (entry.to_version, entry.verdict, entry.override) == ("3", "fail", True)


def test_the_gate_for_a_run_not_registered_yet_uses_the_default_protection(iris_project):
    project, record = iris_project
    run = training.train_model(project.experiment_id, record, "gaussian_nb")
    decision = governance.check_run_gate("new-model", "production", run.run_id, ANA)
    assert decision.protected and not decision.allowed and "not evaluated" in decision.message
    assert governance.check_run_gate("new-model", "challenger", run.run_id, ANA).allowed


def test_the_alias_story_says_who_moved_it_when_and_the_verdict(versions):
    run_of = {v: registry.get_version(MODEL, v).run_id for v in ("1", "2")}
    MlflowClient().set_registered_model_alias(MODEL, "staging", "2")  # set by other code
    assert governance.alias_story(MODEL, "staging", run_of["2"]).endswith("set outside the workbench (no audit entry)")
    governance.move_alias(MODEL, "production", "1", ANA, reason="Passes both KPIs")
    story = governance.alias_story(MODEL, "production", run_of["1"])
    assert story.startswith("KPI verdict: pass · set by ana on ") and story.endswith("UTC (Passes both KPIs)")
    governance.move_alias(MODEL, "production", "2", Actor("ben"), reason="Testing the simpler model", override=True)
    governance.rollback(MODEL, "production", ANA)
    assert "rolled back by ana" in governance.alias_story(MODEL, "production", run_of["1"])
