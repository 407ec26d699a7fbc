"""A small inspected city: two units (one with a sub-unit), a cycle, a self-reported figure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask

from citizenvoice.extensions import db
from tests.indicators import conftest as indicator_fixtures

#: The cycle and indicator factories of the indicators tests.
make_cycle = indicator_fixtures.make_cycle
make_node = indicator_fixtures.make_node


@dataclass
class City:
    bureau: Any
    office: Any
    district: Any
    points: list[Any]
    cycle: Any
    node: Any
    figure: Any
    inspector: Any
    manager: Any


def add_tip(unit: Any, point: Any = None, ref: str = "TIP0001") -> Any:
    """A tip stored directly (the tip box's crypto is not under test here)."""
    from citizenvoice.tips.models import Tip, TipStatus

    tip = Tip(
        ref=ref, receipt_hash=ref.ljust(64, "0"), unit_id=unit.id,
        service_point_id=point.id if point is not None else None, body_enc="sealed",
        status=TipStatus.NEW, score=50, submitted_on=date(2026, 8, 1),
        last_activity_on=date(2026, 8, 1),
    )  # fmt: skip
    db.session.add(tip)
    db.session.commit()
    return tip


@pytest.fixture
def city(
    app: Flask,
    make_unit: Callable[..., Any],
    make_point: Callable[..., Any],
    make_user: Callable[..., Any],
    make_cycle: Callable[..., Any],
    make_node: Callable[..., Any],
) -> City:
    from citizenvoice.accounts.models import Role
    from citizenvoice.indicators.models import CycleState, DataSource, SelfReportedFigure

    bureau = make_unit("bureau")
    office = make_unit("bureau-office", parent=bureau)
    district = make_unit("district")
    points = [make_point(bureau), make_point(bureau), make_point(office), make_point(district)]
    cycle = make_cycle("q3", CycleState.EVALUATING, units=[bureau, office, district])
    node = make_node(cycle, source=DataSource.SELF_REPORTED, code="on-time", unit_of_measure="%")
    figure = SelfReportedFigure(
        cycle_id=cycle.id, unit_id=bureau.id, indicator_id=node.id, value=98.0, note="register"
    )
    db.session.add(figure)
    db.session.commit()
    inspector = make_user(Role.INSPECTOR, district, "inspector-district")
    manager = make_user(Role.MANAGER, None, "manager-1")
    return City(bureau, office, district, points, cycle, node, figure, inspector, manager)
