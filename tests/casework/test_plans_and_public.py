"""Improvement plans, the self-identified rule and the public figures (page and open data)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from citizenvoice.accounts.models import Role
from citizenvoice.casework import services
from citizenvoice.casework.models import Verdict
from citizenvoice.core.errors import Forbidden, NotFound
from citizenvoice.extensions import db
from citizenvoice.indicators.models import IndicatorNode
from tests.casework.helpers import cycle_with_results, rate


@pytest.fixture
def plan_setting(make_unit, make_user):
    unit, other = make_unit("plans-a"), make_unit("plans-b")
    cycle = cycle_with_results([unit, other], code="plans-cycle")
    node_id = db.session.scalar(select(IndicatorNode.id).where(IndicatorNode.cycle_id == cycle.id))
    official = make_user(Role.UNIT_OFFICIAL, unit)
    db.session.commit()
    return unit, other, cycle, node_id, official


def _plan(official, unit, cycle, node_id, **kw):
    return services.create_plan(
        official, unit.id, cycle.id, node_id, "Queues are too long", "Open a second window",
        "Head of office", date(2026, 12, 31), **kw,
    )  # fmt: skip


def test_plans_progress_comments_and_scope(plan_setting, make_user) -> None:
    unit, other, cycle, node_id, official = plan_setting
    plan = _plan(official, unit, cycle, node_id, self_identified=True)
    with pytest.raises(NotFound):
        _plan(official, other, cycle, node_id)
    with pytest.raises(services.CaseError):
        services.update_progress(plan, 120, "")
    services.update_progress(plan, 100, "Second window open since 1 Dec")
    assert plan.completed_at is not None
    with pytest.raises(Forbidden):
        services.comment_on_plan(plan, official, "Looks fine")
    services.comment_on_plan(plan, make_user(Role.EXPERT), "Measure the waiting time too")
    assert len(plan.comments) == 1
    outsider = make_user(Role.UNIT_OFFICIAL, other)
    with pytest.raises(NotFound):
        services.get_plan_for(outsider, plan.id)


def test_self_identified_rule(plan_setting) -> None:
    unit, _other, cycle, node_id, official = plan_setting
    _plan(official, unit, cycle, node_id, self_identified=True)
    db.session.commit()
    assert services.was_self_identified(unit.id, cycle.id, node_id, datetime(2099, 1, 1))
    assert not services.was_self_identified(unit.id, cycle.id, node_id, datetime(2000, 1, 1))


def test_public_unit_page_and_open_data_show_the_figures(client, make_point, make_user) -> None:
    point = make_point()
    official = make_user(Role.UNIT_OFFICIAL, point.unit)
    rating = rate(point, 1, "Waited two hours", "me@example.org")
    case = services.case_for_rating(rating)
    assert case is not None
    services.acknowledge(case, official)
    services.reply(case, official, "Added a clerk", "We added a clerk at the counter.", "")
    services.give_verdict(case, Verdict.SOLVED)
    db.session.commit()
    page = client.get(f"/units/{point.unit.code}").get_data(as_text=True)
    assert "We added a clerk at the counter." in page and "Waited two hours" in page
    data = client.get("/api/v1/closed-loop").get_json()["data"]
    row = next(r for r in data if r["unit_code"] == point.unit.code)
    assert row["cases_opened"] == 1 and row["cases_solved_in_citizens_view"] == 1
