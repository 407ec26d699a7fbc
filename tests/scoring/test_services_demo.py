"""The demo step: past cycles computed and published (oldest first), the current one computed."""

from __future__ import annotations

import json
from datetime import date

from citizenvoice.extensions import db
from citizenvoice.indicators.models import CycleState, DataSource
from citizenvoice.scoring import services
from citizenvoice.scoring.demo import build_demo
from citizenvoice.scoring.models import UnitResult


def test_demo_publishes_past_cycles_and_computes_the_current_one(
    worked_example, make_cycle, make_node, add_ratings
) -> None:
    from datetime import datetime

    unit, current = worked_example["unit"], worked_example["cycle"]
    past = make_cycle(
        "2026-q2", CycleState.PUBLISHED, units=[unit],
        period_start=date(2026, 4, 1), period_end=date(2026, 6, 30),
    )  # fmt: skip
    make_node(past, source=DataSource.CITIZEN_RATING, code="sat")
    add_ratings(worked_example["point"], {3: 40}, when=datetime(2026, 5, 5, 9))
    planning = make_cycle("2027-q1", period_start=date(2027, 1, 1), period_end=date(2027, 3, 31))
    build_demo(None)
    db.session.commit()
    assert [p.version for p in services.publications(past.id)] == [1]
    assert services.publications(current.id) == []
    assert services.computation(current.id) is not None
    assert services.computation(planning.id) is None
    details = json.loads(db.session.get(UnitResult, (current.id, unit.id)).details_json)
    assert details["vertical"]["against_previous"]["reference"] == 50.0
