from datetime import date, datetime

from tests.access import Rule, allow

READERS = allow("admin", "manager", "official_a", "official_b", "inspector")
MANAGERS = allow("admin", "manager")


def _cycle(w):
    return {"cycle_id": w.extra["scoring_cycle"].id}


RULES = {
    "scoring_manage.index": Rule(READERS),
    "scoring_manage.cycle": Rule(READERS, params=_cycle),
    "scoring_manage.compute": Rule(MANAGERS, params=_cycle),
    "scoring_manage.publish": Rule(MANAGERS, params=_cycle),
    "scoring_manage.correct": Rule(
        MANAGERS, params=_cycle, data=lambda w: {"reason": "Role matrix correction"}
    ),
    "scoring_manage.unit": Rule(
        allow("admin", "manager", "official_a", "inspector"),
        params=lambda w: {**_cycle(w), "unit_id": w.unit_a.id},
    ),
    "scoring_manage.version": Rule(READERS, params=lambda w: {**_cycle(w), "version": 1}),
}


def extend_world(world):
    """A cycle being evaluated, with computed and published results for units A and B."""
    from citizenvoice.extensions import db
    from citizenvoice.indicators.models import (
        Cycle,
        CycleKind,
        CycleState,
        CycleUnit,
        DataSource,
        IndicatorNode,
        NodeKind,
    )
    from citizenvoice.scoring import services

    cycle = Cycle(
        code="scoring-world", name="Scoring world", kind=CycleKind.QUARTER,
        period_start=date(2026, 7, 1), period_end=date(2026, 9, 30),
        self_report_deadline=datetime(2026, 10, 5), evaluation_deadline=datetime(2026, 10, 10),
        review_opens_on=date(2026, 10, 15), review_closes_on=date(2026, 10, 31),
        state=CycleState.EVALUATING,
    )  # fmt: skip
    db.session.add(cycle)
    db.session.flush()
    for unit in (world.unit_a, world.sub_a, world.unit_b):
        db.session.add(CycleUnit(cycle_id=cycle.id, unit_id=unit.id))
    db.session.add(
        IndicatorNode(
            cycle_id=cycle.id, kind=NodeKind.INDICATOR, code="satisfaction",
            name="Citizen satisfaction", weight=100, data_source=DataSource.CITIZEN_RATING,
        )
    )  # fmt: skip
    db.session.flush()
    services.compute_cycle(cycle.id)
    services.publish(cycle.id)
    world.extra["scoring_cycle"] = cycle
