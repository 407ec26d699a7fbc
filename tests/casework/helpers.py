"""Shared helpers of the casework tests: ratings that open cases, a cycle with results."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from citizenvoice.extensions import db


def rate(point: Any, overall: int = 1, comment: str = "", contact: str = "", **kw: Any) -> Any:
    from citizenvoice.surveys import services

    services.default_survey()
    version = services.version_for_point(point)
    answers = {}
    if kw.pop("gifts", False):
        question = next(q for q in version.questions if q.code == "gifts")
        answers[question.id] = 1
    return services.submit_rating(
        point,
        version,
        services.Submission(
            overall=overall,
            comment=comment,
            contact_details=contact,
            answers=answers,
            answered_seconds=30.0,
            **kw,
        ),
    )


def cycle_with_results(units: list[Any], code: str = "cw-cycle") -> Any:
    """An evaluating cycle (review window 2026-10-15..31) with one citizen indicator."""
    from citizenvoice.indicators.models import (
        Cycle,
        CycleKind,
        CycleState,
        CycleUnit,
        DataSource,
        IndicatorNode,
        NodeKind,
    )

    cycle = Cycle(
        code=code, name="Casework cycle", kind=CycleKind.QUARTER,
        period_start=date(2026, 7, 1), period_end=date(2026, 9, 30),
        self_report_deadline=datetime(2026, 10, 5), evaluation_deadline=datetime(2026, 10, 10),
        review_opens_on=date(2026, 10, 15), review_closes_on=date(2026, 10, 31),
        state=CycleState.EVALUATING,
    )  # fmt: skip
    db.session.add(cycle)
    db.session.flush()
    for unit in units:
        db.session.add(CycleUnit(cycle_id=cycle.id, unit_id=unit.id))
    db.session.add(
        IndicatorNode(
            cycle_id=cycle.id, kind=NodeKind.INDICATOR, code="satisfaction",
            name="Citizen satisfaction", weight=100, data_source=DataSource.CITIZEN_RATING,
        )
    )  # fmt: skip
    db.session.flush()
    return cycle


def add_figure_indicator(cycle: Any, unit: Any, value: float, code: str = "on-time") -> Any:
    """A self-reported indicator (its value is its score) beside the citizen one, half weight
    each, and the unit's figure for it; returns the indicator."""
    from citizenvoice.indicators.models import (
        DataSource,
        IndicatorNode,
        NodeKind,
        SelfReportedFigure,
    )

    for node in cycle_nodes(cycle):
        node.weight = 50
    node = IndicatorNode(
        cycle_id=cycle.id, kind=NodeKind.INDICATOR, code=code, name="Cases closed on time",
        weight=50, data_source=DataSource.SELF_REPORTED, unit_of_measure="%",
    )  # fmt: skip
    db.session.add(node)
    db.session.flush()
    db.session.add(
        SelfReportedFigure(
            cycle_id=cycle.id, unit_id=unit.id, indicator_id=node.id, value=value,
            note="Case register at quarter end",
        )
    )  # fmt: skip
    db.session.flush()
    return node


def cycle_nodes(cycle: Any) -> list[Any]:
    from sqlalchemy import select

    from citizenvoice.indicators.models import IndicatorNode

    return list(db.session.scalars(select(IndicatorNode).where(IndicatorNode.cycle_id == cycle.id)))
