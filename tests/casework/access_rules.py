"""Routes of the casework domain in the role matrix."""

from __future__ import annotations

from datetime import date

from tests.access import Rule, allow

CASES = allow("admin", "manager", "official_a", "official_b", "inspector")
UNIT_A = allow("admin", "manager", "official_a")
MANAGERS = allow("admin", "manager")
PLAN_READERS = allow("admin", "manager", "official_a", "official_b", "expert", "inspector")
UNIT_A_WRITERS = allow("admin", "manager", "official_a", "official_b")
APPEAL_READERS = allow("admin", "manager", "official_a", "official_b", "expert", "inspector")


def extend_world(world):
    """A case and an appeal of unit A (filed in the review window), and one holiday."""
    from citizenvoice.casework import appeals, services
    from citizenvoice.casework.models import AppealKind
    from citizenvoice.extensions import db
    from tests.casework.helpers import cycle_with_results, rate

    rating = rate(world.point_a, 1, "The queue was far too long", "citizen@example.org")
    case = services.case_for_rating(rating)
    cycle = cycle_with_results([world.unit_a, world.unit_b], code="casework-world")
    appeal = appeals.file_appeal(
        world.users["official_a"],
        cycle.id,
        AppealKind.RATING,
        "This rating was mistaken",
        rating.id,
        on=date(2026, 10, 20),
    )
    services.add_holiday(date(2026, 10, 1), "National Day")
    from sqlalchemy import select

    from citizenvoice.indicators.models import IndicatorNode

    node_id = db.session.scalars(
        select(IndicatorNode.id).where(IndicatorNode.cycle_id == cycle.id)
    ).one()
    plan = services.create_plan(
        world.users["official_a"], world.unit_a.id, cycle.id, node_id,
        "Queues are too long", "Open a second window", "Head of office", date(2026, 12, 31),
    )  # fmt: skip
    db.session.flush()
    world.extra.update(case=case, appeal=appeal, casework_cycle=cycle, plan=plan)


def _case(w):
    return {"case_id": w.extra["case"].id}


def _plan(w):
    return {"plan_id": w.extra["plan"].id}


def _appeal(w):
    return {"appeal_id": w.extra["appeal"].id}


RULES = {
    "casework_manage.cases": Rule(CASES),
    "casework_manage.case": Rule(UNIT_A, params=_case),
    "casework_manage.acknowledge": Rule(UNIT_A, params=_case),
    # From "open" investigating or replying is refused with 409 (not a denial).
    "casework_manage.investigate": Rule(UNIT_A, params=_case),
    "casework_manage.reply": Rule(
        UNIT_A,
        params=_case,
        data=lambda w: {"what_changed": "We opened a second window", "public_reply": ""},
    ),
    "casework_manage.notifications": Rule(CASES),
    "casework_manage.calendar": Rule(
        MANAGERS, data=lambda w: {"day": "2026-12-25", "name": "Extra day"}
    ),
    "casework_manage.remove_holiday": Rule(MANAGERS, params=lambda w: {"day": "2026-10-01"}),
    "casework_manage.policy": Rule(
        MANAGERS,
        params=lambda w: {"unit_id": w.unit_a.id},
        data=lambda w: {"acknowledge_days": "1", "resolve_days": "5"},
    ),
    "casework_manage.appeals": Rule(APPEAL_READERS),
    # Outside the review window the appeal is refused with 400 (the form re-renders).
    "casework_manage.file_appeal": Rule(
        allow("official_a", "official_b"),
        data=lambda w: {
            "cycle_id": w.extra["casework_cycle"].id,
            "kind": "result",
            "reasons": "The result ignores our new office",
        },
    ),
    "casework_manage.appeal": Rule(
        allow("admin", "manager", "official_a", "expert", "inspector"), params=_appeal
    ),
    "casework_manage.decide": Rule(
        allow("admin", "manager", "expert", "inspector"),
        params=_appeal,
        data=lambda w: {"decision": "reject", "reasons": "The rating looks genuine"},
    ),
    "casework_manage.plans": Rule(PLAN_READERS),
    "casework_manage.new_plan": Rule(
        UNIT_A_WRITERS,
        data=lambda w: {"unit_id": w.unit_a.id, "cycle_id": w.extra["casework_cycle"].id},
    ),
    "casework_manage.plan": Rule(
        allow("admin", "manager", "official_a", "expert", "inspector"), params=_plan
    ),
    "casework_manage.plan_progress": Rule(
        UNIT_A, params=_plan, data=lambda w: {"progress": "40", "evidence": "Window ordered"}
    ),
    # No later cycle in the world: an allowed writer gets the form back with a message (400).
    "casework_manage.plan_carry": Rule(
        UNIT_A, params=_plan, data=lambda w: {"cycle_id": "0", "due_on": "2027-03-31"}
    ),
    "casework_manage.plan_comment": Rule(
        allow("admin", "manager", "expert"), params=_plan, data=lambda w: {"body": "Good plan"}
    ),
}
