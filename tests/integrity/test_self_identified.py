"""Fault tolerance in the scan: a figure finding on an indicator whose problem the unit had put
in its improvement plan first is marked self-identified and is no risk signal for inspections."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from citizenvoice.accounts.models import Role
from citizenvoice.casework import services as casework
from citizenvoice.extensions import db
from citizenvoice.inspections import services as inspections
from citizenvoice.integrity import services
from citizenvoice.integrity.models import StoredFinding
from tests.indicators import conftest as indicator_fixtures

make_cycle = indicator_fixtures.make_cycle
make_node = indicator_fixtures.make_node
NOW = datetime(2026, 8, 17)


def _jumping_figures(unit: Any, make_cycle: Any, make_node: Any) -> tuple[Any, Any]:
    """Eight quarters of a steady figure, then a jump (the cycle and indicator of the jump)."""
    from citizenvoice.indicators.models import CycleState, DataSource, SelfReportedFigure

    values = [61.0, 62.5, 61.8, 63.0, 62.2, 63.4, 62.9, 97.0]
    for quarter, value in enumerate(values):
        start = date(2024 + quarter // 4, 1 + 3 * (quarter % 4), 1)
        cycle = make_cycle(f"q{quarter}", CycleState.EVALUATING, units=[unit], period_start=start)
        node = make_node(cycle, source=DataSource.SELF_REPORTED, code="on-time")
        db.session.add(
            SelfReportedFigure(
                cycle_id=cycle.id, unit_id=unit.id, indicator_id=node.id, value=value
            )
        )
        db.session.commit()
    return cycle, node


@pytest.mark.parametrize("marked", [True, False])
def test_a_figure_jump_the_unit_had_planned_for_is_self_identified(
    app: Any, make_unit: Any, make_user: Any, make_cycle: Any, make_node: Any, marked: bool
) -> None:
    unit = make_unit()
    cycle, node = _jumping_figures(unit, make_cycle, make_node)
    official = make_user(Role.UNIT_OFFICIAL, unit)
    casework.create_plan(
        official, unit.id, cycle.id, node.id, "The new counting method inflates the figure",
        "Recount with the old method and report both", "Head of office", date(2026, 12, 31),
        self_identified=marked,
    )  # fmt: skip
    db.session.commit()
    services.scan(days=30, now=NOW)
    db.session.commit()
    jump = db.session.scalars(
        select(StoredFinding).where(StoredFinding.kind == "figure_jump")
    ).one()
    assert jump.is_self_identified is marked
    assert jump.is_inspection_candidate  # it is still looked at ...
    signals = inspections.risk_signals(cycle)
    # ... but a problem the unit named itself is no risk signal against it.
    assert (((unit.id, 0), "anomaly") in signals) is not marked


def test_a_plan_written_after_the_scan_changes_nothing(
    app: Any, make_unit: Any, make_user: Any, make_cycle: Any, make_node: Any
) -> None:
    unit = make_unit()
    cycle, node = _jumping_figures(unit, make_cycle, make_node)
    services.scan(days=30, now=NOW)
    db.session.commit()
    official = make_user(Role.UNIT_OFFICIAL, unit)
    plan = casework.create_plan(
        official, unit.id, cycle.id, node.id, "The new counting method inflates the figure",
        "Recount with the old method", "Head of office", date(2026, 12, 31), self_identified=True,
    )  # fmt: skip
    db.session.commit()
    jump = db.session.scalars(select(StoredFinding)).one()
    assert plan.self_identified and not jump.is_self_identified
    assert not casework.was_self_identified(unit.id, cycle.id, node.id, jump.created_at)
