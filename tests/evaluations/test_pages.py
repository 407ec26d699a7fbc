"""Evaluator pages: conflict of interest shown beside the field, locking, reopening, lateness."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from citizenvoice.evaluations.models import Assignment, EvaluationState
from citizenvoice.extensions import db
from citizenvoice.indicators.models import CycleState
from tests.conftest import login
from tests.indicators.test_flow import fresh
from tests.test_role_matrix import build_world

WHY = "Observed the hall twice; the queue system works and replies were on time."


def _client(app, user):
    client = app.test_client()
    login(fresh(client), user)
    return client


def test_conflict_of_interest_is_shown_and_nothing_is_saved(
    app, make_unit, make_point, make_user
) -> None:
    world = build_world(make_unit, make_point, make_user)
    manager = _client(app, world.users["manager"])
    x = world.extra
    before = db.session.scalar(select(db.func.count(Assignment.id)))
    response = fresh(manager).post(
        f"/manage/evaluations/cycles/{x['cycle'].id}/assignments",
        data={
            "evaluator_id": world.users["evaluator"].id,  # works in unit B
            "subject": "superiors",
            "unit_id": world.unit_b.id,
            "indicator_id": x["shared"].id,
        },
    )
    assert response.status_code == 200
    assert "Conflict of interest" in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(Assignment.id))) == before


def test_submit_locks_reopen_unlocks_and_late_is_shown(
    app, make_unit, make_point, make_user
) -> None:
    world = build_world(make_unit, make_point, make_user)
    x = world.extra
    x["cycle"].state = CycleState.EVALUATING
    db.session.commit()
    evaluator = _client(app, world.users["evaluator"])
    url = f"/manage/evaluations/assignments/{x['assignment'].id}"
    fresh(evaluator).post(url, data={"score": "71", "justification": WHY, "action": "submit"})
    page = fresh(evaluator).get(url).get_data(as_text=True)
    assert "Submitted on" in page and "<textarea" not in page  # locked: no form any more
    fresh(evaluator).post(url, data={"score": "99", "justification": WHY, "action": "submit"})
    db.session.expire_all()
    assert db.session.get(Assignment, x["assignment"].id).score == 71

    manager = _client(app, world.users["manager"])
    fresh(manager).post(f"{url}/reopen", data={"reason": "The unit sent new evidence"})
    db.session.expire_all()
    assignment = db.session.get(Assignment, x["assignment"].id)
    assert assignment.state is EvaluationState.DRAFT
    assert assignment.reopen_reason == "The unit sent new evidence"
    page = fresh(evaluator).get(url).get_data(as_text=True)
    assert "The unit sent new evidence" in page and "<textarea" in page

    x["cycle"].evaluation_deadline = x["cycle"].evaluation_deadline - timedelta(days=30)
    db.session.commit()
    overview = fresh(manager).get(f"/manage/evaluations/cycles/{x['cycle'].id}/assignments")
    html = overview.get_data(as_text=True)
    assert '<span class="tag">late</span>' in html
    assert "late" in fresh(evaluator).get("/manage/evaluations/").get_data(as_text=True)


def test_pages_in_chinese(app, make_unit, make_point, make_user) -> None:
    world = build_world(make_unit, make_point, make_user)
    official = _client(app, world.users["official_a"])
    x = world.extra
    html = fresh(official).get(f"/manage/indicators/cycles/{x['cycle'].id}?lang=zh")
    assert "指标体系" in html.get_data(as_text=True)
    rights = fresh(official).get(
        f"/manage/indicators/cycles/{x['cycle'].id}/units/{world.unit_a.id}/rights"
    )
    assert "贵单位有权" in rights.get_data(as_text=True)
