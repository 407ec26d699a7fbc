"""Fault tolerance: a problem the unit put in its improvement plan before the inspection (or
before the tip that led to it) is verified like any other, but published as self-identified."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from citizenvoice.accounts.models import Role
from citizenvoice.casework import services as casework
from citizenvoice.core.db import utcnow
from citizenvoice.extensions import db
from citizenvoice.inspections import services
from citizenvoice.inspections.models import VisitKind
from citizenvoice.scoring import services as scoring
from tests.inspections.conftest import City, add_tip


def _visit(city: City) -> Any:
    plan = services.create_plan(city.cycle, "Q3 plan", 0, 10, "all", city.manager.id)
    target = next(t for t in plan.targets if t.unit_id == city.bureau.id)
    visit = services.create_visit(plan, target, VisitKind.OPEN, date(2026, 8, 20), city.inspector)
    db.session.commit()
    return visit


def _plan_of_the_unit(city: City, make_user: Any, node: Any = None, **kw: Any) -> Any:
    official = make_user(Role.UNIT_OFFICIAL, city.bureau)
    plan = casework.create_plan(
        official, city.bureau.id, city.cycle.id, (node or city.node).id,
        "Our on-time figure counts reopened cases as closed", "Recount from the case register",
        "Head of office", date(2026, 12, 31), **kw,
    )  # fmt: skip
    db.session.commit()
    return plan


def _published(city: City) -> None:
    scoring.compute_cycle(city.cycle.id)
    scoring.publish(city.cycle.id)
    db.session.commit()


def test_a_problem_the_unit_listed_first_is_published_as_self_identified(
    city: City, make_user: Any
) -> None:
    _published(city)
    _plan_of_the_unit(city, make_user, self_identified=True)
    result = services.verify_figure(_visit(city), city.figure.id, 80.0, "Register", city.inspector)
    db.session.commit()
    verification = result.verification
    assert verification.is_falsified and verification.is_self_identified
    # The figure is still corrected: the verified value replaces the reported one ...
    assert services.verified_values(city.cycle.id) == [(city.bureau.id, city.node.id, 80.0)]
    assert result.correction is not None
    # ... but the public note says the unit had named the problem itself.
    assert "self-identified problem" in result.correction.reason
    assert f"had listed {city.node.name} in its improvement plan" in result.correction.reason


def test_a_problem_found_against_the_unit_keeps_the_ordinary_note(
    city: City, make_user: Any, make_node: Any
) -> None:
    _published(city)
    _plan_of_the_unit(city, make_user)  # a plan, but not marked as found by the unit itself
    other = make_node(city.cycle, code="other-indicator")
    _plan_of_the_unit(city, make_user, node=other, self_identified=True)  # another indicator
    result = services.verify_figure(_visit(city), city.figure.id, 80.0, "Register", city.inspector)
    db.session.commit()
    assert result.verification.is_falsified and not result.verification.is_self_identified
    assert result.correction is not None
    assert result.correction.reason.startswith("Inspection verification: ")
    assert "self-identified" not in result.correction.reason


def test_a_plan_written_after_the_tip_arrived_is_not_self_identified(
    city: City, make_user: Any
) -> None:
    tip = add_tip(city.bureau, ref="TIP0077")
    tip.submitted_on = utcnow().date() - timedelta(days=3)
    db.session.commit()
    _plan_of_the_unit(city, make_user, self_identified=True)  # today: after the tip
    result = services.verify_figure(
        _visit(city), city.figure.id, 80.0, "Register", city.inspector, tip_ref="TIP0077"
    )
    assert not result.verification.is_self_identified


def test_a_plan_written_before_the_tip_is_self_identified(city: City, make_user: Any) -> None:
    plan = _plan_of_the_unit(city, make_user, self_identified=True)
    plan.created_at = datetime(2026, 7, 15, 9, 0)
    tip = add_tip(city.bureau, ref="TIP0078")  # sent on 2026-08-01
    db.session.commit()
    result = services.verify_figure(
        _visit(city), city.figure.id, 80.0, "Register", city.inspector, tip_ref=tip.ref
    )
    assert result.verification.is_self_identified


def test_the_visit_page_shows_the_self_identified_mark(
    city: City, make_user: Any, client: Any
) -> None:
    from tests.conftest import login

    _plan_of_the_unit(city, make_user, self_identified=True)
    visit = _visit(city)
    services.verify_figure(visit, city.figure.id, 80.0, "Register", city.inspector)
    db.session.commit()
    login(client, city.inspector)
    page = client.get(f"/manage/inspections/visits/{visit.id}")
    assert page.status_code == 200
    assert "self-identified by the unit in its improvement plan" in page.text
