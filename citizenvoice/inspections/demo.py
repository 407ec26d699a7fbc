"""Demo inspections: the integrity scan over the demo ratings, a plan for the last published
cycle whose visit finds a falsified figure (correcting the published results), an unannounced
visit still to come, and a sample survey of citizens who left contact details."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from citizenvoice.core.db import utcnow
from citizenvoice.extensions import db
from citizenvoice.indicators.models import Cycle, CycleState, SelfReportedFigure
from citizenvoice.inspections import services
from citizenvoice.inspections.models import CheckResult, ContactOutcome, PlanTarget, VisitKind
from citizenvoice.integrity import services as integrity
from citizenvoice.org.services import descendant_ids

log = logging.getLogger(__name__)
SEED = "riverside-2026"
#: The verified value as a share of the reported one: well beyond the 5% threshold.
FOUND_SHARE = 0.78


def _latest(states: set[CycleState]) -> Cycle | None:
    query = select(Cycle).where(Cycle.state.in_(states)).order_by(Cycle.period_start.desc())
    return db.session.scalars(query.limit(1)).first()


def _target_with_figure(plan: Any, inspector: Any) -> tuple[PlanTarget, SelfReportedFigure] | None:
    for target in plan.targets:
        if services.is_conflicted(inspector, target.unit_id):
            continue
        figure = db.session.scalars(
            select(SelfReportedFigure)
            .where(
                SelfReportedFigure.cycle_id == plan.cycle_id,
                SelfReportedFigure.unit_id.in_(descendant_ids(target.unit_id)),
                SelfReportedFigure.is_superseded.is_(False),
                SelfReportedFigure.value > 0,
            )
            .order_by(SelfReportedFigure.id)
            .limit(1)
        ).first()
        if figure is not None:
            return target, figure
    return None


def _falsified_figure_visit(cycle: Cycle, city: Any) -> None:
    inspector = city.staff["inspector"]
    plan = services.create_plan(
        cycle, "Quarterly verification of self-reported figures", 3, 4, SEED,
        city.staff["manager"].id,
    )  # fmt: skip
    found = _target_with_figure(plan, inspector)
    if found is None:
        log.info("demo: no figure to verify in cycle %s", cycle.code)
        return
    target, figure = found
    day = cycle.period_end + timedelta(days=12)
    visit = services.create_visit(plan, target, VisitKind.OPEN, day, inspector)
    first, second, *_rest = visit.checks
    services.record_check(visit, first.id, CheckResult.NOT_MET, "Case register shows fewer cases.")
    services.record_check(visit, second.id, CheckResult.MET, "Posted hours match the queue log.")
    services.add_finding(
        visit,
        "Cases returned for correction were entered again with a new date, restarting the clock.",
        "Correction log of the service window compared with the case register, 40 files.",
        inspector.id,
    )
    services.verify_figure(
        visit, figure.id, round(figure.value * FOUND_SHARE, 1),
        "Counted from the case register (40 files sampled, dates taken from the original "
        "submission, not the re-entry).",
        inspector,
    )  # fmt: skip
    services.complete_visit(visit, "The reported figure is overstated; the verified value counts.")


def _current_cycle_visits(cycle: Cycle, city: Any) -> None:
    inspector = city.staff["inspector"]
    plan = services.create_plan(
        cycle, "Current quarter: visits and call-backs", 3, 3, SEED + "-current",
        city.staff["manager"].id,
    )  # fmt: skip
    targets = [t for t in plan.targets if not services.is_conflicted(inspector, t.unit_id)]
    if not targets:
        return
    # The open visit goes where citizens left contact details this cycle, so that its sample
    # survey has someone to call whatever the date the demo is built on.
    targets.sort(key=lambda t: not _has_contacts(cycle, t))
    today = utcnow().date()
    services.create_visit(plan, targets[-1], VisitKind.UNANNOUNCED, today + timedelta(days=9),
                          inspector)  # fmt: skip
    visit = services.create_visit(plan, targets[0], VisitKind.OPEN, today, inspector)
    try:
        sample = services.draw_sample_survey(visit, 8, SEED + "-sample")
    except services.InspectionError:
        return
    outcomes = [ContactOutcome.CONFIRMED, ContactOutcome.CONFIRMED, ContactOutcome.NOT_REACHED,
                ContactOutcome.CONFIRMED, ContactOutcome.DENIED]  # fmt: skip
    for contact, outcome in zip(sample.contacts, outcomes, strict=False):
        channel = "" if outcome is ContactOutcome.NOT_REACHED else "phone call"
        services.record_contact(sample, contact.id, outcome, channel, "", inspector.id)


def _has_contacts(cycle: Cycle, target: PlanTarget) -> bool:
    """Whether a rating with contact details was left at the target during the cycle."""
    query = services.contacts_query(cycle, target.unit_id, target.service_point_id)
    return db.session.scalars(query.limit(1)).first() is not None


def build_demo(city: Any) -> None:
    """Scan the demo ratings, then inspect: a falsified figure and a sample survey."""
    report = integrity.scan(days=integrity.DEFAULT_DAYS)
    log.info("demo: integrity scan stored %s findings", report.findings_added)
    published = _latest({CycleState.PUBLISHED, CycleState.REVIEWING})
    if published is not None:
        _falsified_figure_visit(published, city)
    current = _latest({CycleState.COLLECTING, CycleState.EVALUATING})
    if current is not None:
        _current_cycle_visits(current, city)
    db.session.flush()
