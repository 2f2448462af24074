"""Promotion requests: asked on a version with its evidence, approved or rejected by others, moved through the gate."""

from __future__ import annotations

import json

import pytest
from mlflow import MlflowClient

from core.compare import evaluation
from core.registry import governance, requests
from core.registry import model_registry as registry
from core.registry.governance import Actor, GovernanceError

MODEL = "iris-classifier"
ANA, BEN, CARA = Actor("ana"), Actor("ben"), Actor("cara")


def _aliases() -> dict[str, str]:
    return registry.get_model(MODEL).aliases


def _two_approvals(actor: Actor = ANA) -> None:
    requests.set_rule(MODEL, "production", 2, [], actor, "two people decide what is served")


def _pass(version: str) -> None:
    MlflowClient().set_tag(registry.get_version(MODEL, version).run_id, evaluation.TAG_VERDICT, "pass")


def test_an_alias_with_approvals_moves_only_through_a_request_that_others_approve(versions):
    governance.move_alias(MODEL, "production", "1", ANA)
    _pass("3")
    _two_approvals()
    decision = governance.check_gate(MODEL, "production", "3", ANA)
    assert not decision.approver_ok and decision.request_instead and decision.approvals == 2
    with pytest.raises(GovernanceError, match="only through a promotion request"):
        governance.move_alias(MODEL, "production", "3", ANA)

    asked = requests.ask(MODEL, "production", "3", ANA, "knn wins on the new held-out rows")
    assert (asked.state, asked.holder, asked.needed, asked.approved_by) == ("open", "1", 2, ())
    with pytest.raises(GovernanceError, match="someone else must decide"):
        requests.approve(MODEL, asked.id, ANA)
    once = requests.approve(MODEL, asked.id, BEN, "looks right")
    assert once.state == "open" and once.approved_by == ("ben",) and _aliases() == {"production": "1"}
    with pytest.raises(GovernanceError, match="approved this request already"):
        requests.approve(MODEL, asked.id, Actor("BEN"))
    done = requests.approve(MODEL, asked.id, CARA)
    assert done.state == "approved" and done.approved_by == ("ben", "cara")
    assert _aliases() == {"production": "3"}

    trail = governance.history(MODEL)  # newest first: the move, then the approvals, the request, the rule
    moved = trail[0]
    assert (moved.action, moved.who, moved.from_version, moved.to_version, moved.request) == (
        "set", "cara", "1", "3", asked.id,
    )  # fmt: skip
    assert "approved by ben, cara" in moved.reason and moved.applied
    assert [e.action for e in trail if e.request == asked.id] == ["set", "approve", "approve", "request"]
    assert [e.action for e in trail if e.action == "rule"] == ["rule"]
    with pytest.raises(GovernanceError, match="is approved"):
        requests.approve(MODEL, asked.id, Actor("dan"))


def test_the_request_and_its_evidence_are_plain_mlflow_tags(versions):
    governance.move_alias(MODEL, "production", "1", ANA)
    _pass("3")
    asked = requests.ask(MODEL, "production", "3", BEN, "knn wins on the new held-out rows")
    tags = MlflowClient().get_model_version(MODEL, "3").tags
    stored = json.loads(tags[requests.REQUEST_PREFIX + asked.id])
    assert stored["verdict"] == "pass" and stored["holder"] == "1" and stored["metric"] == "accuracy"
    assert stored["kpis"] == "accuracy > 0.95, latency_ms < 500"
    rows = {row["metric"]: row for row in stored["metrics"]}
    v1 = evaluation.load_evaluation(registry.get_version(MODEL, "1").run_id)
    assert rows["accuracy"]["current"] == pytest.approx(v1.metrics["accuracy"])
    assert rows["accuracy"]["candidate"] is None  # v3 was never evaluated: said, not invented
    assert stored["held_out"]  # why the paired test cannot be said (v3 has no evaluation)
    evidence = requests.evidence_of(asked)
    assert evidence.holder == "1" and evidence.said("held_out", "de")
    entry = next(e for e in governance.history(MODEL) if e.action == "request")
    assert (entry.who, entry.from_version, entry.to_version, entry.reason) == (
        "ben", "1", "3", "knn wins on the new held-out rows",
    )  # fmt: skip


def test_a_rejection_needs_a_comment_ends_the_request_and_moves_nothing(versions):
    _pass("3")
    asked = requests.ask(MODEL, "production", "3", BEN, "knn wins on the new held-out rows")
    with pytest.raises(GovernanceError, match="needs a written comment"):
        requests.reject(MODEL, asked.id, ANA, "no")
    rejected = requests.reject(MODEL, asked.id, ANA, "recall on setosa dropped, not now")
    assert rejected.state == "rejected" and rejected.decision.reason == "recall on setosa dropped, not now"
    assert _aliases() == {}
    with pytest.raises(GovernanceError, match="is rejected"):
        requests.approve(MODEL, asked.id, CARA)
    again = requests.ask(MODEL, "production", "3", BEN, "asked again after a new evaluation")  # a new request
    assert again.id != asked.id and again.state == "open"


def test_only_the_person_who_asked_withdraws_and_one_request_per_move_is_open(versions):
    asked = requests.ask(MODEL, "production", "1", BEN, "v1 passes all of its KPIs")
    with pytest.raises(GovernanceError, match="waits for a decision"):
        requests.ask(MODEL, "production", "1", CARA, "the same move asked twice")
    with pytest.raises(GovernanceError, match="Only ben"):
        requests.withdraw(MODEL, asked.id, ANA)
    assert requests.withdraw(MODEL, asked.id, Actor("Ben")).state == "withdrawn"
    assert requests.requests_of(MODEL, requests.OPEN) == []


def test_a_version_that_does_not_pass_is_asked_for_only_as_an_override_and_recorded_as_one(versions):
    with pytest.raises(GovernanceError, match="must ask to override"):
        requests.ask(MODEL, "production", "2", BEN, "gaussian nb is faster")
    asked = requests.ask(MODEL, "production", "2", BEN, "gaussian nb is faster", override=True)
    assert asked.override and asked.verdict == "not evaluated"
    requests.approve(MODEL, asked.id, ANA)
    moved = governance.history(MODEL)[0]
    assert _aliases() == {"production": "2"} and moved.override and moved.request == asked.id


def test_the_gate_is_checked_again_when_the_last_approval_moves_the_alias(versions):
    asked = requests.ask(MODEL, "production", "1", BEN, "v1 passes all of its KPIs")
    MlflowClient().set_tag(registry.get_version(MODEL, "1").run_id, evaluation.TAG_VERDICT, "fail")  # re-evaluated
    with pytest.raises(GovernanceError, match="not a pass"):
        requests.approve(MODEL, asked.id, ANA)
    assert _aliases() == {} and requests.requests_of(MODEL)[0].approved_by == ()  # the approval was taken back
    with pytest.raises(GovernanceError, match="changed while you were deciding"):
        _pass("1")
        requests.approve(MODEL, asked.id, ANA, expected_from="3")
    assert requests.requests_of(MODEL)[0].state == "open"


def test_with_sign_in_only_the_alias_approvers_decide_and_the_rest_ask(versions):
    approvers = ("ana@example.org", "ben@example.org")
    guest = Actor("guest@example.org", authenticated=True, approvers=approvers)
    ana = Actor("ana@example.org", authenticated=True, approvers=approvers)
    ben = Actor("Ben@Example.org", authenticated=True, approvers=approvers)
    decision = governance.check_gate(MODEL, "production", "1", guest)
    assert decision.request_instead and decision.approvals == 1
    asked = requests.ask(MODEL, "production", "1", guest, "v1 passes all of its KPIs")
    assert requests.why_not_decide(asked, guest) is not None
    requests.set_rule(MODEL, "production", 0, ["ben@example.org"], ana, "only ben decides production")
    rule = governance.rule_for(MODEL, "production")
    assert "not one" in requests.why_not_decide(requests.requests_of(MODEL)[0], ana, rule)
    assert not governance.check_gate(MODEL, "production", "1", ana).approver_ok  # ana no longer moves it directly
    with pytest.raises(GovernanceError, match="Only the approvers of @production"):
        requests.set_rule(MODEL, "production", 0, [], ana, "let all approvers decide again")
    requests.approve(MODEL, asked.id, ben)
    assert _aliases() == {"production": "1"}


def test_the_board_finds_every_open_request_in_the_store_and_who_it_waits_for(versions):
    _pass("3")
    first = requests.ask(MODEL, "production", "1", BEN, "v1 passes all of its KPIs")
    requests.ask(MODEL, "champion", "3", ANA, "knn for the champion slot")
    pending = requests.open_requests()
    assert [(r.alias, r.version) for r in pending] == [("champion", "3"), ("production", "1")]
    rules = requests.rules_of({MODEL})
    assert [r.id for r in requests.waiting_for(ANA, pending, rules)] == [first.id]  # not her own
    assert len(requests.waiting_for(CARA, pending, rules)) == 2
    assert requests.waiting_for(Actor(""), pending, rules) == []


def test_rules_are_audited_need_a_reason_and_stay_in_range(versions):
    with pytest.raises(GovernanceError, match="written reason"):
        requests.set_rule(MODEL, "production", 2, [], ANA, "")
    with pytest.raises(GovernanceError, match="0 to 5"):
        requests.set_rule(MODEL, "production", 9, [], ANA, "nine people decide")
    with pytest.raises(GovernanceError, match="not protected"):
        requests.set_rule(MODEL, "staging", 1, [], ANA, "staging is not protected")
    _two_approvals()
    entry = governance.history(MODEL)[0]
    assert (entry.action, entry.before, entry.after) == (
        "rule",
        "direct moves by an approver",
        "2 approvals on a request",
    )
    assert "changed how @production moves" in governance.describe_entry(entry)
    assert json.loads(MlflowClient().get_registered_model(MODEL).tags[governance.TAG_RULES]) == {
        "production": {"approvals": 2, "approvers": []}
    }


def test_the_model_card_lists_the_versions_requests_with_who_approved_and_how_they_ended(versions):
    from core.registry import model_card

    asked = requests.ask(MODEL, "production", "1", BEN, "v1 passes all of its KPIs")
    requests.approve(MODEL, asked.id, ANA, "checked the held-out rows")
    other = requests.ask(MODEL, "champion", "1", BEN, "v1 as the champion too")
    requests.reject(MODEL, other.id, CARA, "champion stays empty for now")
    history = [e.as_dict() for e in governance.trail(MODEL)]
    markdown = model_card.build_card(MODEL, "1", history).markdown()
    assert "Promotion requests for this version" in markdown
    assert f"| {asked.id} · @production | ben, " in markdown and "| approved | ana | — |" in markdown
    assert f"| {other.id} · @champion |" in markdown
    assert "| rejected | — | cara: champion stays empty for now |" in markdown
    assert "Promotion requests for this version" not in model_card.build_card(MODEL, "2", history).markdown()


def test_under_an_approvals_rule_a_rollback_is_asked_for_too_and_a_rule_no_one_can_meet_is_refused(versions):
    governance.move_alias(MODEL, "production", "1", ANA)
    _pass("3")
    governance.move_alias(MODEL, "production", "3", ANA)
    _two_approvals()
    with pytest.raises(GovernanceError, match="a rollback too: ask for v1 with a request"):
        governance.rollback(MODEL, "production", ANA)
    assert _aliases() == {"production": "3"}
    signed_in = Actor("ana@example.org", authenticated=True, approvers=("ana@example.org", "ben@example.org"))
    with pytest.raises(GovernanceError, match="can never be given: only 2 people may approve"):
        requests.set_rule(MODEL, "champion", 3, [], signed_in, "three people decide the champion")
    with pytest.raises(GovernanceError, match="only 1 person may approve"):
        requests.set_rule(MODEL, "champion", 2, ["ben@example.org"], signed_in, "ben and someone else decide")
