from datetime import date, datetime

from tests.access import Rule, allow

MANAGERS = allow("admin", "manager")
INSPECTING = allow("admin", "manager", "inspector")
#: Everyone with a staff area of inspections: officials see only disclosed visits of their units.
READERS = allow("admin", "manager", "inspector", "official_a", "official_b")


def _visit(w):
    return {"visit_id": w.extra["inspection_visit"].id}


def _sample(w):
    return {"sample_id": w.extra["inspection_sample"].id}


RULES = {
    "inspections_manage.index": Rule(READERS),
    "inspections_manage.new_plan": Rule(
        MANAGERS,
        data=lambda w: {
            "cycle_id": w.extra["inspection_cycle"].id,
            "name": "Matrix plan",
            "risk_count": 1,
            "random_count": 1,
            "seed": "matrix",
        },
    ),
    "inspections_manage.plan": Rule(
        INSPECTING, params=lambda w: {"plan_id": w.extra["inspection_plan"].id}
    ),
    "inspections_manage.add_visit": Rule(
        MANAGERS,
        params=lambda w: {"plan_id": w.extra["inspection_plan"].id},
        data=lambda w: {
            "target_id": w.extra["inspection_target"].id,
            "kind": "open",
            "scheduled_on": "2026-08-10",
            "inspector_id": w.users["inspector"].id,
        },
    ),
    # The world's visit is unannounced and in the future: both units' officials get 404.
    "inspections_manage.visit": Rule(INSPECTING, params=_visit),
    "inspections_manage.check": Rule(
        INSPECTING,
        params=lambda w: {**_visit(w), "item_id": w.extra["inspection_visit"].checks[0].id},
        data=lambda w: {"result": "met", "evidence_note": "Register seen"},
    ),
    "inspections_manage.finding": Rule(
        INSPECTING, params=_visit, data=lambda w: {"text": "Queue numbers reused"}
    ),
    # Without a summary the form is shown again: the visit stays open for the other routes.
    "inspections_manage.complete": Rule(INSPECTING, params=_visit),
    "inspections_manage.verify": Rule(
        INSPECTING,
        params=_visit,
        data=lambda w: {
            "figure_id": w.extra["inspection_figure"].id,
            "verified_value": "90",
            "evidence_note": "Case register counted",
        },
    ),
    "inspections_manage.sample": Rule(
        INSPECTING, params=_visit, data=lambda w: {"size": 1, "seed": "matrix"}
    ),
    "inspections_manage.sample_page": Rule(INSPECTING, params=_sample),
    "inspections_manage.contact": Rule(
        INSPECTING,
        params=lambda w: {**_sample(w), "contact_id": w.extra["inspection_sample"].contacts[0].id},
        data=lambda w: {"outcome": "confirmed", "channel": "phone"},
    ),
}


def extend_world(world):
    """A cycle with a self-reported figure of unit A, a plan, an unannounced future visit to
    unit A assigned to the world's inspector (attached to unit B) and a drawn sample survey."""
    from citizenvoice.extensions import db
    from citizenvoice.indicators.models import (
        Cycle,
        CycleKind,
        CycleState,
        CycleUnit,
        DataSource,
        IndicatorNode,
        NodeKind,
        SelfReportedFigure,
    )
    from citizenvoice.inspections import services
    from citizenvoice.inspections.models import VisitKind
    from citizenvoice.surveys import services as surveys

    cycle = Cycle(
        code="inspection-world", name="Inspection world", kind=CycleKind.QUARTER,
        period_start=date(2026, 7, 1), period_end=date(2026, 9, 30),
        self_report_deadline=datetime(2026, 10, 5), evaluation_deadline=datetime(2026, 10, 10),
        review_opens_on=date(2026, 10, 15), review_closes_on=date(2026, 10, 31),
        state=CycleState.EVALUATING,
    )  # fmt: skip
    db.session.add(cycle)
    db.session.flush()
    for unit in (world.unit_a, world.sub_a, world.unit_b):
        db.session.add(CycleUnit(cycle_id=cycle.id, unit_id=unit.id))
    indicator = IndicatorNode(
        cycle_id=cycle.id, kind=NodeKind.INDICATOR, code="cases-on-time",
        name="Cases closed on time", weight=100, data_source=DataSource.SELF_REPORTED,
        unit_of_measure="%",
    )  # fmt: skip
    db.session.add(indicator)
    db.session.flush()
    figure = SelfReportedFigure(
        cycle_id=cycle.id, unit_id=world.unit_a.id, indicator_id=indicator.id, value=98.0
    )
    db.session.add(figure)
    surveys.default_survey()
    version = surveys.version_for_point(world.point_a)
    surveys.submit_rating(
        world.point_a, version,
        surveys.Submission(overall=5, contact_details="13800000000",
                           created_at=datetime(2026, 8, 3, 10, 0)),
    )  # fmt: skip
    plan = services.create_plan(cycle, "World plan", 0, 10, seed="world")
    target = next(t for t in plan.targets if t.unit_id == world.unit_a.id)
    visit = services.create_visit(
        plan, target, VisitKind.UNANNOUNCED, date(2099, 1, 1), world.users["inspector"]
    )
    sample = services.draw_sample_survey(visit, 5, seed="world")
    db.session.flush()
    world.extra.update(
        inspection_cycle=cycle, inspection_plan=plan, inspection_target=target,
        inspection_visit=visit, inspection_figure=figure, inspection_sample=sample,
    )  # fmt: skip
