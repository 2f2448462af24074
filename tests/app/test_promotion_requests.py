"""Promotion requests through the pages, with sign-in configured as Streamlit's OIDC settings configure it: a
person who may not move @production asks on K, an approver sees "waiting for you" on the home board and decides."""

from __future__ import annotations

from mlflow import MlflowClient

from core.compare import evaluation
from core.registry import governance, requests
from core.registry import model_registry as registry
from tests.app.conftest import goto, no_exception, texts
from tests.app.test_compare_evidence import _train
from tests.app.test_pages import example

MODEL = "iris-classifier"
GUEST, ANA, BEN = "guest@example.org", "ana@example.org", "ben@example.org"
AUTH = {  # what .streamlit/secrets.toml holds for OIDC sign-in; AppTest never calls the provider
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-long-random-secret-for-the-cookie",
    "client_id": "workbench",
    "client_secret": "secret",
    "server_metadata_url": "http://localhost:9400/.well-known/openid-configuration",
}


def _signed_in(app, email: str):
    app.user = {"is_logged_in": True, "email": email, "name": email.split("@")[0]}
    return app


def _versions(app, count: int = 2) -> None:
    """Versions 1..count of MODEL from runs that pass their KPIs, and sign-in with ana and ben as approvers."""
    project = example(app)
    for algorithm in ("logistic_regression", "gaussian_nb")[:count]:
        run = _train(project, algorithm)
        evaluation.evaluate_run(run.run_id, project.kpis)
        MlflowClient().set_tag(run.run_id, evaluation.TAG_VERDICT, "pass")
        registry.register(run.run_id, MODEL)
    app.secrets["auth"] = AUTH
    app.secrets["qua3ck"] = {"approvers": [ANA, BEN]}


def _ask(app, version: str, reason: str):
    app.selectbox(key="registry_alias").set_value("production")
    app.selectbox(key="registry_version").set_value(version).run()
    no_exception(app)
    app.text_input(key="registry_request_reason").input(reason).run()
    app.button(key="registry_request_ask").click().run()
    no_exception(app)
    return app


def test_a_request_is_asked_on_k_waits_for_an_approver_on_home_and_approved_moves_the_alias(app):
    _versions(app)
    goto(_signed_in(app, GUEST), "registry")
    assert "not an approver" in texts(app.caption)
    app.selectbox(key="registry_alias").set_value("production")
    app.selectbox(key="registry_version").set_value("1").run()
    assert "You may not move @production yourself: ask for the move" in texts(app.info)
    assert not [b for b in app.button if b.key == "registry_set_alias"]  # no move button, a request instead
    assert app.button(key="registry_request_ask").disabled is False
    app.button(key="registry_request_ask").click().run()
    assert "needs a written reason" in texts(app.error) and requests.requests_of(MODEL) == []
    _ask(app, "1", "logistic regression passes all KPIs")
    (asked,) = requests.requests_of(MODEL)
    assert f"Asked for @production → v1 (request {asked.id})" in texts(app.success)
    assert "Promotion requests (1)" in texts(app.subheader)
    assert [b for b in app.button if b.key == f"registry_request_{asked.id}_withdraw"]  # the asker may withdraw
    assert not [b for b in app.button if b.key == f"registry_request_{asked.id}_approve"]

    # the guest's own home board has nothing waiting for them; ana's has the request
    goto(app, "home")
    assert "Waiting for you" not in texts(app.markdown)
    goto(_signed_in(app, ANA), "home")
    assert "Waiting for you (1)" in texts(app.markdown)
    assert "guest@example.org asks" in texts(app.markdown)
    app.button(key=f"home_request_{MODEL}_{asked.id}").click().run()
    no_exception(app)
    assert "Promotion requests (1)" in texts(app.subheader)  # switched to K, on the model of the request
    app.switch_page("pages/registry.py")  # AppTest reruns its main script next unless told where the browser is
    evidence = [df.value for df in app.dataframe if "v1 (candidate)" in df.value.columns]
    assert evidence and "accuracy" in evidence[0].iloc[:, 0].tolist()
    app.button(key=f"registry_request_{asked.id}_approve").click().run()
    no_exception(app)
    assert "Approved: @production now points at v1." in texts(app.success)
    assert registry.get_model(MODEL).aliases == {"production": "1"}
    trail = next(df.value for df in app.dataframe if "who" in df.value.columns)
    assert trail["who"].tolist()[:3] == [ANA, ANA, GUEST]
    assert requests.requests_of(MODEL)[0].state == "approved"
    # the guest finds how their request ended on their own home board
    goto(_signed_in(app, GUEST), "home")
    board = texts(app.markdown)
    assert "Your promotion requests (1)" in board and "@production → v1: approved, moved by ana" in board


def test_a_rejection_needs_a_comment_and_a_second_approval_is_asked_for_by_the_rule(app):
    _versions(app)
    goto(_signed_in(app, ANA), "registry")
    assert "an approver" in texts(app.caption)
    app.selectbox(key="registry_rule_alias").set_value("production").run()
    app.number_input(key="registry_rule_approvals_production").set_value(2)
    app.text_input(key="registry_rule_reason").input("two people decide what is served").run()
    app.button(key="registry_rule_save").click().run()
    no_exception(app)
    assert "Saved: how @production moves — 2 approvals on a request." in texts(app.success)
    assert governance.rule_for(MODEL, "production").approvals == 2
    # now even an approver asks
    _ask(app, "2", "gaussian nb is ten times faster")
    (asked,) = requests.requests_of(MODEL)
    assert "it waits for 2 approvals" in texts(app.success)

    goto(_signed_in(app, BEN), "registry")
    key = f"registry_request_{asked.id}"
    assert "Approvals: 0 of 2" in texts(app.caption)
    app.button(key=f"{key}_reject").click().run()
    assert "needs a written comment" in texts(app.error)
    app.text_input(key=f"{key}_comment").input("latency is not a KPI of this project").run()
    app.button(key=f"{key}_reject").click().run()
    no_exception(app)
    assert f"Request {asked.id} rejected: nothing moved." in texts(app.success)
    assert registry.get_model(MODEL).aliases == {} and requests.requests_of(MODEL)[0].state == "rejected"
    assert "No request waits for a decision." in texts(app.caption)
    goto(_signed_in(app, ANA), "home")
    assert "@production → v2: rejected by ben" in texts(app.markdown)
    assert "latency is not a KPI of this project" in texts(app.markdown)


def test_without_sign_in_the_page_says_that_anyone_can_act_as_anyone(app):
    _versions(app, 1)
    del app.secrets["auth"]
    goto(app, "registry")
    assert "anyone can act as anyone" in texts(app.caption)
    app.text_input(key="identity_name").input("Ana").run()
    requests.set_rule(MODEL, "production", 1, [], governance.Actor("Ana"), "one other person decides")
    goto(app, "registry")
    _ask(app, "1", "logistic regression passes all KPIs")
    (asked,) = requests.requests_of(MODEL)
    app.text_input(key="identity_name").input("Ben").run()  # nothing stops a person from typing another name
    app.button(key=f"registry_request_{asked.id}_approve").click().run()
    no_exception(app)
    assert registry.get_model(MODEL).aliases == {"production": "1"}
