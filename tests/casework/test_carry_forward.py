"""Plans roll forward: an unfinished plan continues in a later cycle's planning, once."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from citizenvoice.accounts.models import Role
from citizenvoice.casework import services
from citizenvoice.casework.models import ImprovementPlan
from citizenvoice.extensions import db
from citizenvoice.indicators.models import IndicatorNode
from tests.casework.helpers import cycle_with_results


def _next_cycle(units, code: str = "cw-next"):
    """The quarter after ``cycle_with_results``, with the same indicator code."""
    cycle = cycle_with_results(units, code=code)
    cycle.period_start, cycle.period_end = date(2026, 10, 1), date(2026, 12, 31)
    cycle.review_opens_on, cycle.review_closes_on = date(2027, 1, 15), date(2027, 1, 31)
    cycle.self_report_deadline = datetime(2027, 1, 5)
    cycle.evaluation_deadline = datetime(2027, 1, 10)
    db.session.commit()
    return cycle


def _node(cycle) -> int:
    return db.session.scalar(select(IndicatorNode.id).where(IndicatorNode.cycle_id == cycle.id))


@pytest.fixture
def carried_setting(make_unit, make_user):
    unit = make_unit("carry-a")
    first = cycle_with_results([unit], code="cw-first")
    later = _next_cycle([unit])
    official = make_user(Role.UNIT_OFFICIAL, unit)
    plan = services.create_plan(
        official, unit.id, first.id, _node(first), "Queues are too long",
        "Open a second window", "Head of office", date(2026, 9, 30), self_identified=True,
    )  # fmt: skip
    services.update_progress(plan, 60, "Second window furnished")
    db.session.commit()
    return unit, first, later, official, plan


def test_an_unfinished_plan_continues_in_the_next_cycle_once(carried_setting) -> None:
    _unit, first, later, official, plan = carried_setting
    assert services.later_cycles(plan) == [(later.id, later.code)]
    carried = services.carry_forward(plan, official, later.id, date(2026, 12, 31))
    db.session.commit()
    assert (carried.cycle_id, carried.node_id, carried.carried_from_id) == (
        later.id, _node(later), plan.id,
    )  # fmt: skip
    assert (carried.progress, carried.evidence, carried.self_identified) == (
        60, "Second window furnished", True,
    )  # fmt: skip
    assert services.carried_to(plan) == carried
    assert plan.cycle_id == first.id and plan.progress == 60  # the earlier plan is kept
    with pytest.raises(services.CaseError, match="already carried forward"):
        services.carry_forward(plan, official, later.id, date(2026, 12, 31))
    assert services.later_cycles(carried) == []  # nothing after the later cycle


def test_a_completed_plan_or_an_earlier_cycle_is_refused(carried_setting) -> None:
    _unit, first, later, official, plan = carried_setting
    with pytest.raises(services.CaseError, match="later cycle"):
        services.carry_forward(plan, official, first.id, date(2026, 12, 31))
    services.update_progress(plan, 100, "Done")
    with pytest.raises(services.CaseError, match="completed plan"):
        services.carry_forward(plan, official, later.id, date(2026, 12, 31))
    db.session.rollback()
    assert db.session.scalars(select(ImprovementPlan)).all() == [plan]


def test_the_plan_page_carries_the_plan(app, client, carried_setting, login_as, make_unit):
    app.config["WTF_CSRF_ENABLED"] = False
    unit, _first, later, _official, plan = carried_setting
    login_as(Role.UNIT_OFFICIAL, unit)
    page = client.get(f"/manage/casework/plans/{plan.id}")
    assert "Carry into a later cycle" in page.text and later.code in page.text
    bad = client.post(f"/manage/casework/plans/{plan.id}/carry", data={"cycle_id": later.id})
    assert bad.status_code == 400
    response = client.post(
        f"/manage/casework/plans/{plan.id}/carry",
        data={"cycle_id": later.id, "due_on": "2026-12-31"},
    )
    assert response.status_code == 302
    carried = services.carried_to(plan)
    assert carried is not None and response.location.endswith(f"/plans/{carried.id}")
    page = client.get(f"/manage/casework/plans/{carried.id}").text
    assert f"plan #{plan.id} of an earlier cycle" in page
    assert f"to plan #{carried.id}" in client.get(f"/manage/casework/plans/{plan.id}").text
    client.post("/logout")
    login_as(Role.UNIT_OFFICIAL, make_unit("carry-b"))  # another unit's official
    other = client.post(
        f"/manage/casework/plans/{plan.id}/carry",
        data={"cycle_id": later.id, "due_on": "2026-12-31"},
    )
    assert other.status_code == 404
