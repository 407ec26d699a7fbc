"""The inspection pages as staff use them."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from citizenvoice.accounts.models import Role
from citizenvoice.extensions import db
from citizenvoice.inspections import services
from citizenvoice.inspections.models import FigureVerification, InspectionPlan, Visit, VisitKind
from tests.conftest import login
from tests.inspections.conftest import City


def test_a_manager_draws_a_plan_and_sees_why_each_place_was_picked(city: City, client: Any) -> None:
    login(client, city.manager)
    response = client.post(
        "/manage/inspections/plans/new",
        data={"cycle_id": city.cycle.id, "name": "Q3 checks", "risk_count": 1,
              "random_count": 2, "seed": "press-1"},
    )  # fmt: skip
    assert response.status_code == 302
    plan = db.session.scalars(select(InspectionPlan)).one()
    # no tip, alert or finding yet: the risk-based pick is left empty, the random ones stay
    assert plan.seed == "press-1" and len(plan.targets) == 2
    html = client.get(f"/manage/inspections/plans/{plan.id}").get_data(as_text=True)
    assert "press-1" in html and "random draw" in html


def test_scheduling_an_inspector_of_the_unit_is_refused_beside_the_field(
    city: City, client: Any, make_user: Any
) -> None:
    insider = make_user(Role.INSPECTOR, city.office, "insider")
    plan = services.create_plan(city.cycle, "Plan", 0, 10, "all")
    target = next(t for t in plan.targets if t.unit_id == city.bureau.id)
    db.session.commit()
    login(client, city.manager)
    response = client.post(
        f"/manage/inspections/plans/{plan.id}/visits",
        data={"target_id": target.id, "kind": "open", "scheduled_on": "2026-08-20",
              "inspector_id": insider.id},
    )  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="error"' in html and db.session.scalar(select(func.count(Visit.id))) == 0
    response = client.post(
        f"/manage/inspections/plans/{plan.id}/visits",
        data={"target_id": target.id, "kind": "unannounced", "scheduled_on": "2026-08-20",
              "inspector_id": city.inspector.id},
    )  # fmt: skip
    assert response.status_code == 302
    assert db.session.scalars(select(Visit)).one().inspector_id == city.inspector.id


def _visit(city: City, kind: VisitKind = VisitKind.OPEN, day: date = date(2026, 8, 20)) -> Visit:
    plan = services.create_plan(city.cycle, "Plan", 0, 10, "all")
    target = next(t for t in plan.targets if t.unit_id == city.bureau.id)
    visit = services.create_visit(plan, target, kind, day, city.inspector)
    db.session.commit()
    return visit


def test_the_inspector_records_a_verified_value_and_a_falsified_figure_is_shown(
    city: City, client: Any
) -> None:
    visit = _visit(city)
    login(client, city.inspector)
    response = client.post(
        f"/manage/inspections/visits/{visit.id}/verify",
        data={"figure_id": city.figure.id, "verified_value": "70",
              "evidence_note": "Case register counted: 70 of 100"},
    )  # fmt: skip
    assert response.status_code == 302
    verification = db.session.scalars(select(FigureVerification)).one()
    assert verification.is_falsified and verification.verified_by_id == city.inspector.id
    html = client.get(f"/manage/inspections/visits/{visit.id}").get_data(as_text=True)
    assert "falsified" in html


def test_bad_verification_input_writes_nothing(city: City, client: Any) -> None:
    visit = _visit(city)
    login(client, city.inspector)
    response = client.post(
        f"/manage/inspections/visits/{visit.id}/verify",
        data={"figure_id": city.figure.id, "verified_value": "seventy", "evidence_note": ""},
    )
    assert response.status_code == 200 and 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(FigureVerification.id))) == 0


def test_another_inspector_reads_but_cannot_record(city: City, client: Any, make_user: Any) -> None:
    visit = _visit(city)
    other = make_user(Role.INSPECTOR, None, "other-inspector")
    login(client, other)
    assert client.get(f"/manage/inspections/visits/{visit.id}").status_code == 200
    response = client.post(f"/manage/inspections/visits/{visit.id}/findings", data={"text": "Seen"})
    assert response.status_code == 403


def test_an_official_sees_an_unannounced_visit_only_from_its_day(
    city: City, client: Any, make_user: Any
) -> None:
    future = _visit(city, VisitKind.UNANNOUNCED, date(2099, 1, 1))
    past = _visit(city, VisitKind.UNANNOUNCED, date(2020, 1, 1))
    official = make_user(Role.UNIT_OFFICIAL, city.bureau, "bureau-official")
    login(client, official)
    assert client.get(f"/manage/inspections/visits/{future.id}").status_code == 404
    assert client.get(f"/manage/inspections/visits/{past.id}").status_code == 200
    index = client.get("/manage/inspections/").get_data(as_text=True)
    assert "2099-01-01" not in index and "2020-01-01" in index
    assert client.get(f"/manage/inspections/plans/{past.plan_id}").status_code == 403


def test_a_sample_survey_is_drawn_and_answers_recorded(city: City, client: Any) -> None:
    from datetime import datetime

    from citizenvoice.surveys import services as surveys

    surveys.default_survey()
    version = surveys.version_for_point(city.points[0])
    for i in range(4):
        surveys.submit_rating(
            city.points[0], version,
            surveys.Submission(5, contact_details=f"1390000{i}",
                               created_at=datetime(2026, 8, 4, 3)),
        )  # fmt: skip
    db.session.commit()
    visit = _visit(city)
    login(client, city.inspector)
    response = client.post(
        f"/manage/inspections/visits/{visit.id}/samples", data={"size": 3, "seed": "s"}
    )
    assert response.status_code == 302
    sample = visit.samples[0]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1390000" in page  # the inspector sees the contact details to call
    contact = sample.contacts[0]
    client.post(
        f"/manage/inspections/samples/{sample.id}/contacts/{contact.id}",
        data={"outcome": "denied", "channel": "phone call", "note": "Never went there"},
    )
    db.session.refresh(contact)
    assert contact.outcome.value == "denied" and contact.channel == "phone call"
    assert services.summarise(sample).denied == 1


def test_the_pages_read_in_chinese(city: City, client: Any) -> None:
    visit = _visit(city)
    login(client, city.manager)
    html = client.get(f"/manage/inspections/visits/{visit.id}?lang=zh").get_data(as_text=True)
    assert "检查清单" in html and "记录核实值" in html
    html = client.get(f"/manage/inspections/plans/{visit.plan_id}").get_data(as_text=True)
    assert "抽中的地点" in html and "随机抽取" in html
    assert "督查计划" in client.get("/manage/inspections/").get_data(as_text=True)
