"""Plans, the conflict rule, visits, figure verification and sample surveys."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from citizenvoice.accounts.models import Role
from citizenvoice.core.errors import Forbidden, InvalidTransition, NotFound
from citizenvoice.extensions import db
from citizenvoice.inspections import sampling, services
from citizenvoice.inspections.models import (
    ContactOutcome,
    FigureVerification,
    VisitFinding,
    VisitKind,
)
from citizenvoice.scoring import services as scoring
from citizenvoice.scoring.models import IndicatorResult, Publication
from tests.inspections.conftest import City, add_tip


def _plan(city: City, risk: int = 2, random_count: int = 2, seed: str = "s1") -> Any:
    plan = services.create_plan(city.cycle, "Q3 plan", risk, random_count, seed, city.manager.id)
    db.session.commit()
    return plan


def _visit(city: City, kind: VisitKind = VisitKind.OPEN, day: date = date(2026, 8, 20)) -> Any:
    plan = services.create_plan(city.cycle, "Q3 plan", 0, 10, "all", city.manager.id)
    target = next(t for t in plan.targets if t.unit_id == city.bureau.id)
    visit = services.create_visit(plan, target, kind, day, city.inspector)
    db.session.commit()
    return visit


def _keys(plan: Any) -> list[tuple[int, int, bool]]:
    return [(t.unit_id, t.service_point_id or 0, t.is_risk_based) for t in plan.targets]


# ---- plans -----------------------------------------------------------------------------------


def test_a_plan_records_its_seed_and_the_same_seed_redraws_it(city: City) -> None:
    first, second = _plan(city, seed="repeat"), _plan(city, seed="repeat")
    assert first.seed == second.seed == "repeat"
    assert _keys(first) == _keys(second)
    fresh = services.create_plan(city.cycle, "Fresh", 0, 2, None)
    assert len(fresh.seed) == 16  # a new random seed is recorded when none is given


def test_the_plan_mixes_risk_based_and_random_picks(city: City) -> None:
    from citizenvoice.integrity.models import FindingSubject, StoredFinding
    from citizenvoice.scoring.models import UnitResult

    add_tip(city.bureau, city.points[0])
    db.session.add(
        StoredFinding(
            fingerprint="f" * 64, kind="burst", subject=FindingSubject.RATINGS,
            unit_id=city.district.id, service_point_id=city.points[3].id, statistic=9.0,
            window_start=datetime(2026, 8, 2, 9), window_end=datetime(2026, 8, 2, 10),
        )
    )  # fmt: skip
    db.session.add(UnitResult(cycle_id=city.cycle.id, unit_id=city.office.id, is_divergent=True))
    db.session.commit()
    plan = _plan(city, risk=3, random_count=2, seed="mix")
    risk = [(t.unit_id, t.service_point_id, t.reasons) for t in plan.targets if t.is_risk_based]
    assert risk == [
        (city.bureau.id, city.points[0].id, "tip"),
        (city.office.id, None, "divergence"),
        (city.district.id, city.points[3].id, "anomaly"),
    ]
    random_targets = [t for t in plan.targets if not t.is_risk_based]
    assert len(random_targets) == 2
    population = services.plan_population(city.cycle)
    expected = sampling.draw_plan(population, services.risk_signals(city.cycle), 3, 2, "mix")
    assert [(t.unit_id, t.service_point_id or 0) for t in plan.targets] == [p.key for p in expected]


def test_a_plan_needs_picks(city: City) -> None:
    with pytest.raises(services.InspectionError):
        services.create_plan(city.cycle, "Empty", 0, 0)


# ---- the conflict rule -----------------------------------------------------------------------


def test_an_inspector_of_the_inspected_unit_or_its_sub_unit_cannot_be_assigned(
    city: City, make_user: Any
) -> None:
    plan = _plan(city, risk=0, random_count=10, seed="all")
    target = next(t for t in plan.targets if t.unit_id == city.bureau.id)
    for unit in (city.bureau, city.office):
        insider = make_user(Role.INSPECTOR, unit)
        with pytest.raises(Forbidden):
            services.create_visit(plan, target, VisitKind.OPEN, date(2026, 8, 1), insider)
        assert insider not in services.inspectors_for(city.bureau.id)
    db.session.rollback()
    visit = services.create_visit(plan, target, VisitKind.OPEN, date(2026, 8, 1), city.inspector)
    assert visit.inspector_id == city.inspector.id
    assert city.inspector in services.inspectors_for(city.bureau.id)
    with pytest.raises(services.InspectionError):
        services.create_visit(plan, target, VisitKind.OPEN, date(2026, 8, 1), city.manager)


def test_an_inspector_of_the_unit_does_not_see_its_visits(city: City, make_user: Any) -> None:
    visit = _visit(city)
    insider = make_user(Role.INSPECTOR, city.office)
    with pytest.raises(NotFound):
        services.get_visit_for(insider, visit.id, date(2026, 8, 1))
    assert services.get_visit_for(city.inspector, visit.id, date(2026, 8, 1)) is visit


# ---- unannounced visits ----------------------------------------------------------------------


def test_officials_never_see_an_unannounced_visit_before_its_day(
    city: City, make_user: Any
) -> None:
    visit = _visit(city, VisitKind.UNANNOUNCED, date(2026, 8, 20))
    official = make_user(Role.UNIT_OFFICIAL, city.office)
    head = make_user(Role.UNIT_OFFICIAL, city.bureau)
    for user in (official, head):
        with pytest.raises(NotFound):
            services.get_visit_for(user, visit.id, date(2026, 8, 19))
        assert services.visible_visits(user, date(2026, 8, 19)) == []
    assert services.visible_visits(head, date(2026, 8, 20)) == [visit]
    assert services.get_visit_for(head, visit.id, date(2026, 8, 20)) is visit
    # the office is a sub-unit of the bureau: its officials never see the bureau's visits
    with pytest.raises(NotFound):
        services.get_visit_for(official, visit.id, date(2026, 8, 21))
    assert visit.audit_unit_id() is None


def test_officials_see_open_visits_at_once(city: City, make_user: Any) -> None:
    visit = _visit(city, VisitKind.OPEN, date(2026, 8, 20))
    head = make_user(Role.UNIT_OFFICIAL, city.bureau)
    assert services.get_visit_for(head, visit.id, date(2026, 8, 1)) is visit
    other = make_user(Role.UNIT_OFFICIAL, city.district)
    with pytest.raises(NotFound):
        services.get_visit_for(other, visit.id, date(2026, 8, 21))


# ---- checklist and findings ------------------------------------------------------------------


def test_findings_are_added_and_a_completed_visit_no_longer_changes(city: City) -> None:
    visit = _visit(city)
    services.add_finding(visit, "Queue numbers reused", "Ticket roll photographed", None)
    services.record_check(visit, visit.checks[0].id, services.CheckResult.NOT_MET, "3 gaps")
    services.complete_visit(visit, "Records incomplete")
    db.session.commit()
    with pytest.raises(InvalidTransition):
        services.add_finding(visit, "Late addition", "", None) and services.complete_visit(
            visit, "x"
        )
    with pytest.raises(InvalidTransition):
        services.record_check(visit, visit.checks[0].id, services.CheckResult.MET, "")
    assert db.session.scalar(select(func.count(VisitFinding.id))) >= 1
    assert visit.checks[0].evidence_note == "3 gaps"


# ---- figure verification ---------------------------------------------------------------------


def test_a_verification_within_the_threshold_confirms_the_figure(city: City) -> None:
    visit = _visit(city)
    result = services.verify_figure(visit, city.figure.id, 96.0, "Register counted", city.inspector)
    db.session.commit()
    assert not result.verification.is_falsified
    assert result.verification.relative_difference == pytest.approx(2 / 96, rel=1e-4)
    assert not services.is_falsified(city.figure)
    assert services.verified_values(city.cycle.id) == []  # the reported figure stands
    assert result.correction is None


def test_a_material_discrepancy_marks_the_figure_falsified_and_scoring_uses_the_verified_value(
    city: City,
) -> None:
    tip = add_tip(city.bureau, ref="TIP0042")
    visit = _visit(city)
    result = services.verify_figure(
        visit, city.figure.id, 72.0, "Case register: 72 of 100 on time", city.inspector,
        tip_ref="TIP0042",
    )  # fmt: skip
    db.session.commit()
    assert result.verification.is_falsified and result.verification.tip_id == tip.id
    assert services.is_falsified(city.figure)
    assert services.verified_values(city.cycle.id) == [(city.bureau.id, city.node.id, 72.0)]
    assert city.figure.value == 98.0  # the reported figure is kept as it was
    scoring.compute_cycle(city.cycle.id)
    row = db.session.get(IndicatorResult, (city.cycle.id, city.bureau.id, city.node.id))
    assert row is not None and row.value == 72.0


def test_a_falsified_figure_corrects_published_results_with_a_public_note(city: City) -> None:
    scoring.compute_cycle(city.cycle.id)
    scoring.publish(city.cycle.id)
    db.session.commit()
    visit = _visit(city)
    result = services.verify_figure(visit, city.figure.id, 80.0, "Register", city.inspector)
    db.session.commit()
    assert result.correction is not None and result.correction.version == 2
    assert "verified 80" in result.correction.reason
    assert result.verification.correction_version == 2
    versions = db.session.scalars(select(Publication.version).order_by(Publication.version))
    assert list(versions) == [1, 2]  # version 1 is kept
    row = db.session.get(IndicatorResult, (city.cycle.id, city.bureau.id, city.node.id))
    assert row is not None and row.value == 80.0


def test_a_verification_needs_a_figure_of_the_visited_unit_and_a_known_tip(
    city: City, make_node: Any
) -> None:
    from citizenvoice.indicators.models import DataSource, SelfReportedFigure

    other = SelfReportedFigure(
        cycle_id=city.cycle.id, unit_id=city.district.id, indicator_id=city.node.id, value=90.0
    )
    db.session.add(other)
    db.session.commit()
    visit = _visit(city)
    with pytest.raises(services.InspectionError) as error:
        services.verify_figure(visit, other.id, 10.0, "x", city.inspector)
    assert error.value.field == "figure_id"
    with pytest.raises(services.InspectionError) as error:
        services.verify_figure(visit, city.figure.id, 10.0, "x", city.inspector, tip_ref="NOPE")
    assert error.value.field == "tip_ref"
    assert db.session.scalar(select(func.count(FigureVerification.id))) == 0
    assert DataSource.SELF_REPORTED  # the figure's indicator is self-reported


def test_the_threshold_is_configurable(city: City) -> None:
    visit = _visit(city)
    result = services.verify_figure(
        visit, city.figure.id, 96.0, "Register", city.inspector, threshold=0.01
    )
    assert result.verification.is_falsified and result.verification.threshold == 0.01


# ---- sample surveys --------------------------------------------------------------------------


def _rate(
    point: Any, n: int, contact: bool = True, when: datetime = datetime(2026, 8, 3, 9)
) -> None:
    from citizenvoice.surveys import services as surveys

    surveys.default_survey()
    version = surveys.version_for_point(point)
    for i in range(n):
        surveys.submit_rating(
            point, version,
            surveys.Submission(overall=5, contact_name=f"Citizen {i}",
                               contact_details=f"1380000{i:04d}" if contact else "",
                               created_at=when),
        )  # fmt: skip
    db.session.commit()


def test_a_sample_survey_draws_reproducibly_from_ratings_with_contact_details(city: City) -> None:
    _rate(city.points[0], 12)
    _rate(city.points[1], 3)  # the bureau's other service point: another place
    _rate(city.points[0], 5, contact=False)
    _rate(city.points[3], 4)  # another unit
    _rate(city.points[0], 4, when=datetime(2026, 11, 3, 9))  # after the cycle
    visit = _visit(city)
    assert visit.service_point_id == city.points[0].id
    first = services.draw_sample_survey(visit, 6, "call-back")
    second = services.draw_sample_survey(visit, 6, "call-back")
    assert first.population == 12 and first.size == 6
    assert [c.rating_id for c in first.contacts] == [c.rating_id for c in second.contacts]
    details = services.contact_details(first)
    assert all(details[c.rating_id].details.startswith("1380000") for c in first.contacts)


def test_sample_answers_are_recorded_and_summarised(city: City) -> None:
    _rate(city.points[0], 5)
    visit = _visit(city)
    sample = services.draw_sample_survey(visit, 5, "s")
    c1, c2, c3, c4, _c5 = sample.contacts
    services.record_contact(sample, c1.id, ContactOutcome.CONFIRMED, "phone", "", None)
    services.record_contact(sample, c2.id, ContactOutcome.CONFIRMED, "phone", "", None)
    services.record_contact(sample, c3.id, ContactOutcome.DENIED, "phone", "never there", None)
    services.record_contact(sample, c4.id, ContactOutcome.NOT_REACHED, "", "", None)
    summary = services.summarise(sample)
    assert (summary.confirmed, summary.denied, summary.not_reached, summary.pending) == (2, 1, 1, 1)
    assert summary.denial_rate == pytest.approx(1 / 3)
    with pytest.raises(services.InspectionError):
        services.record_contact(sample, c1.id, ContactOutcome.DENIED, "", "", None)


def test_a_sample_without_contact_details_is_refused(city: City) -> None:
    visit = _visit(city)
    with pytest.raises(services.InspectionError):
        services.draw_sample_survey(visit, 5, "s")


def test_a_destroyed_tip_leaves_the_verification_in_place(city: City) -> None:
    from sqlalchemy import delete

    from citizenvoice.tips.models import Tip

    tip = add_tip(city.bureau, ref="TIP0099")
    visit = _visit(city)
    result = services.verify_figure(
        visit, city.figure.id, 50.0, "Register", city.inspector, tip_ref="TIP0099"
    )
    db.session.commit()
    db.session.execute(delete(Tip).where(Tip.id == tip.id))  # the tip box's retention purge
    db.session.commit()
    db.session.refresh(result.verification)
    assert result.verification.tip_id is None and result.verification.is_falsified
