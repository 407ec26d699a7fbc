"""Demo results: compute and publish the demo city's past cycles, compute the current one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.indicators.models import Cycle, CycleState
from citizenvoice.scoring import services

#: States of cycles whose results the demo publishes.
PAST_STATES = frozenset({CycleState.REVIEWING, CycleState.PUBLISHED})


def build_demo(city: Any) -> None:
    """Oldest first, so each cycle is compared with the results of the ones before it.

    Every cycle past planning is computed; those already in review or published (the past
    ones) are also published as version 1. The current cycle (collecting or evaluating) is left
    computed for a manager to review and publish. Cycles still in planning are left alone.
    """
    cycles = db.session.scalars(select(Cycle).order_by(Cycle.period_start, Cycle.id))
    for cycle in list(cycles):
        if cycle.state not in services.COMPUTABLE_STATES:
            continue
        services.compute_cycle(cycle.id)
        if cycle.state in PAST_STATES and not services.publications(cycle.id):
            services.publish(cycle.id)
