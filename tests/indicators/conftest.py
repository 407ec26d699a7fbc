"""Factories for cycles and indicator trees (also used by tests/evaluations)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from citizenvoice.extensions import db

SUBJECTS = {"superiors": 50, "experts": 30, "self": 20}


def cycle_fields(code: str, **kw: Any) -> Any:
    from citizenvoice.indicators.models import CycleKind
    from citizenvoice.indicators.services import CycleFields

    now = datetime.now().replace(microsecond=0)
    values: dict[str, Any] = {
        "code": code,
        "name": f"Cycle {code}",
        "name_zh": f"周期 {code}",
        "kind": CycleKind.QUARTER,
        "period_start": date(2026, 7, 1),
        "period_end": date(2026, 9, 30),
        "self_report_deadline": now + timedelta(days=10),
        "evaluation_deadline": now + timedelta(days=20),
        "review_opens_on": date(2026, 10, 15),
        "review_closes_on": date(2026, 10, 31),
    }
    values.update(kw)
    return CycleFields(**values)


@pytest.fixture
def make_cycle(app: Flask) -> Callable[..., Any]:
    from citizenvoice.indicators import services
    from citizenvoice.indicators.models import CycleState

    counter = iter(range(1, 10_000))

    def make(
        code: str | None = None,
        state: CycleState = CycleState.PLANNING,
        units: list[Any] | None = None,
        **kw: Any,
    ) -> Any:
        unit_ids = [u.id for u in units] if units is not None else None
        cycle = services.create_cycle(cycle_fields(code or f"c-{next(counter)}", **kw), unit_ids)
        cycle.state = state  # set directly: a fixture, not a transition under test
        db.session.commit()
        return cycle

    return make


@pytest.fixture
def make_node(app: Flask) -> Callable[..., Any]:
    from citizenvoice.indicators import services
    from citizenvoice.indicators.models import DataSource, Direction, NodeKind, Origin

    counter = iter(range(1, 10_000))

    def make(
        cycle: Any,
        parent: Any = None,
        kind: NodeKind = NodeKind.INDICATOR,
        weight: float = 100,
        source: DataSource = DataSource.INTERNAL_EVALUATION,
        unit: Any = None,
        origin: Origin = Origin.CONSTRAINED,
        user: Any = None,
        code: str | None = None,
        **kw: Any,
    ) -> Any:
        n = next(counter)
        was = cycle.state
        cycle.state = type(cycle.state).PLANNING
        fields = services.NodeFields(
            code=code or f"node-{n}",
            name=kw.pop("name", f"Node {n}"),
            weight=weight,
            parent_id=parent.id if parent is not None else None,
            direction=kw.pop("direction", Direction.HIGHER),
            target_value=kw.pop("target_value", 95.0),
            criteria=kw.pop("criteria", {"kind": "direct"}),
            data_source=source if kind is NodeKind.INDICATOR else None,
            subject_weights=kw.pop("subject_weights", dict(SUBJECTS)),
            **kw,
        )
        node = services.create_node(
            cycle, kind, fields, user.id if user else None, origin, unit.id if unit else None
        )
        cycle.state = was
        db.session.commit()
        return node

    return make
