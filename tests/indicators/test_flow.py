"""Through the HTTP client: a manager builds a small tree from scratch, a unit official proposes
an expected indicator, both agree, and an evaluator scores it."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import g
from flask.testing import FlaskClient
from sqlalchemy import select

from citizenvoice.accounts.models import Role
from citizenvoice.evaluations.models import Assignment, EvaluationState
from citizenvoice.extensions import db
from citizenvoice.indicators.models import Cycle, CycleState, IndicatorNode, IndicatorStatus
from tests.conftest import login

SUBJECTS = {"subject_superiors": "60", "subject_experts": "40"}


def fresh(client: FlaskClient) -> FlaskClient:
    """Forget the user cached on ``g``: the test's app context outlives each request."""
    g.pop("_login_user", None)
    return client


def _get(client: FlaskClient, url: str) -> str:
    response = fresh(client).get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _post(client: FlaskClient, url: str, data: dict, status: int = 302) -> str:
    response = fresh(client).post(url, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[:2000]
    return html


def fresh_login(client: FlaskClient, user: object) -> None:
    login(fresh(client), user)


def _node(code: str) -> IndicatorNode:
    db.session.expire_all()
    return db.session.scalar(select(IndicatorNode).where(IndicatorNode.code == code))


def test_build_agree_and_score(app, make_unit, make_user) -> None:
    city = make_unit("city")
    market = make_unit("market", parent=city, name="Market Regulation Bureau")
    health = make_unit("health", parent=city)
    manager = make_user(Role.MANAGER, username="boss")
    official = make_user(Role.UNIT_OFFICIAL, market, username="market-official")
    evaluator = make_user(Role.EVALUATOR, health, username="deputy")
    soon = datetime.now() + timedelta(days=3)

    manager_client = app.test_client()
    fresh_login(manager_client, manager)
    _post(
        manager_client,
        "/manage/indicators/cycles/new",
        {
            "code": "2026-q4", "name": "Fourth quarter 2026", "kind": "quarter",
            "period_start": "2026-10-01", "period_end": "2026-12-31",
            "self_report_deadline": soon.strftime("%Y-%m-%dT%H:%M"),
            "evaluation_deadline": soon.strftime("%Y-%m-%dT%H:%M"),
            "review_opens_on": "2027-01-10", "review_closes_on": "2027-01-31",
            "copy_from": "0", "unit_ids": [str(market.id), str(health.id)],
        },
    )  # fmt: skip
    cycle = db.session.scalar(select(Cycle))
    base = f"/manage/indicators/cycles/{cycle.id}"
    _post(
        manager_client, f"{base}/nodes/new?kind=category",
        {"code": "conduct", "name": "Conduct", "weight": "100", "parent_id": "0"},
    )  # fmt: skip
    category = _node("conduct")
    _post(
        manager_client, f"{base}/nodes/new",
        {
            "code": "rule-of-law", "name": "Lawful administration", "weight": "60",
            "parent_id": str(category.id), "direction": "higher", "data_source":
            "internal_evaluation", "criteria_text": '{"kind": "direct"}',
            "service_point_id": "0", **SUBJECTS,
        },
    )  # fmt: skip
    page = _get(manager_client, base)
    assert "The weights under Conduct total 60%, not 100%." in page

    official_client = app.test_client()
    fresh_login(official_client, official)
    _post(
        official_client, f"{base}/expected/new?unit={market.id}",
        {
            "code": "licence-days", "name": "Days to issue a licence", "weight": "40",
            "parent_id": str(category.id), "direction": "lower", "target_value": "3",
            "data_source": "internal_evaluation", "service_point_id": "0",
            "criteria_text": '{"kind": "linear", "target": 3, "floor": 10, "step": 10, "per": 1}',
            **SUBJECTS,
        },
    )  # fmt: skip
    expected = _node("licence-days")
    assert expected.unit_id == market.id and expected.origin.value == "expected"
    # the unit's own indicator adds to the shared ones; the manager fixes the shared weights
    _post(
        manager_client, f"/manage/indicators/nodes/{_node('rule-of-law').id}/edit",
        {
            "name": "Lawful administration", "weight": "100", "parent_id": str(category.id),
            "direction": "higher", "data_source": "internal_evaluation",
            "criteria_text": '{"kind": "direct"}', "service_point_id": "0", **SUBJECTS,
        },
    )  # fmt: skip
    assert "Every group of sibling weights totals 100%." in _get(manager_client, base)

    # a proposal from the manager, accepted by the unit, then both sides accept
    node_url = f"/manage/indicators/nodes/{expected.id}"
    _post(
        manager_client, f"{node_url}/comments",
        {"body": "Two days is feasible", "proposed_target": "2"},
    )  # fmt: skip
    comment_id = _get(official_client, node_url).split("/comments/")[1].split("/")[0]
    _post(
        official_client,
        f"/manage/indicators/comments/{comment_id}/decision",
        {"decision": "accept"},
    )
    assert _node("licence-days").target_value == 2
    _post(official_client, f"{node_url}/accept", {})
    _post(manager_client, f"{node_url}/accept", {})
    assert _node("licence-days").status is IndicatorStatus.AGREED
    page = _get(official_client, node_url)
    assert "locked for the cycle" in page and "Two days is feasible" in page
    # edits of an agreed indicator are refused
    response = fresh(manager_client).post(
        f"{node_url}/edit",
        data=
        {"name": "Changed", "weight": "40", "parent_id": str(category.id), "direction": "lower",
         "data_source": "internal_evaluation", "criteria_text": '{"kind": "direct"}',
         "service_point_id": "0", **SUBJECTS},
    )  # fmt: skip
    assert "agreed and locked" in response.get_data(as_text=True)
    assert _node("licence-days").name != "Changed"

    # the rights page explains the criteria in words
    rights = _get(official_client, f"{base}/units/{market.id}/rights")
    assert "≤ 3 → 100; each 1 above → −10; above 10 → 0" in rights
    assert "Days to issue a licence" in rights and "2 " in rights
    assert "28.57% of the total" in rights  # 40 beside the shared 100: 40 / 140

    # the shared indicator is agreed too (manager, then both units), then evaluation
    shared = _node("rule-of-law")
    health_official = make_user(Role.UNIT_OFFICIAL, health, username="health-official")
    health_client = app.test_client()
    fresh_login(health_client, health_official)
    for client in (manager_client, official_client, health_client):
        _post(client, f"/manage/indicators/nodes/{shared.id}/accept", {})
    assert _node("rule-of-law").status is IndicatorStatus.AGREED
    _post(manager_client, f"{base}/transition", {"reason": ""})
    _post(manager_client, f"{base}/transition", {"reason": ""})
    assert db.session.get(Cycle, cycle.id).state is CycleState.EVALUATING

    _post(
        manager_client, f"/manage/evaluations/cycles/{cycle.id}/assignments",
        {"evaluator_id": str(evaluator.id), "subject": "superiors", "unit_id": str(market.id),
         "indicator_id": str(expected.id)},
    )  # fmt: skip
    evaluator_client = app.test_client()
    fresh_login(evaluator_client, evaluator)
    mine = _get(evaluator_client, "/manage/evaluations/")
    assert "Days to issue a licence" in mine
    assignment = db.session.scalar(select(Assignment))
    url = f"/manage/evaluations/assignments/{assignment.id}"
    html = _post(
        evaluator_client, url, {"score": "85", "justification": "short", "action": "submit"}, 200
    )
    assert "at least 20 characters" in html
    _post(
        evaluator_client, url,
        {"score": "85", "justification": "Licences took 2.4 days on average in my visits.",
         "action": "submit"},
    )  # fmt: skip
    db.session.expire_all()
    assignment = db.session.get(Assignment, assignment.id)
    assert assignment.state is EvaluationState.SUBMITTED and assignment.score == 85
    completion = fresh(manager_client).get(f"/manage/evaluations/cycles/{cycle.id}/assignments")
    assert "Superiors (Party committee and government)" in completion.get_data(as_text=True)
