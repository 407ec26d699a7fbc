"""The demo data of cycles, indicators, figures and evaluations."""

from __future__ import annotations

from sqlalchemy import func, select

from citizenvoice.demo import build_demo
from citizenvoice.evaluations.models import Assignment, EvaluationState
from citizenvoice.extensions import db
from citizenvoice.indicators import services
from citizenvoice.indicators.models import (
    Comment,
    CycleState,
    DataSource,
    IndicatorStatus,
    SelfReportedFigure,
)

STEPS = ["citizenvoice.indicators.demo:build_demo", "citizenvoice.evaluations.demo:build_demo"]


def test_demo_cycles_trees_consultations_scores_and_figures(app) -> None:
    build_demo(steps=STEPS)
    db.session.commit()
    cycles = sorted(services.all_cycles(), key=lambda c: c.period_start)
    assert [c.state for c in cycles] == [
        CycleState.PUBLISHED,
        CycleState.PUBLISHED,
        CycleState.COLLECTING,
    ]
    current = cycles[-1]
    nodes = services.indicators(current)
    assert len(nodes) == 30 and len(services.tree_nodes(current)) == 35
    assert {n.data_source for n in nodes} == set(DataSource)
    assert services.weight_problems(current) == []
    assert {n.status for n in nodes} == {IndicatorStatus.AGREED, IndicatorStatus.IN_CONSULTATION}
    assert db.session.scalar(select(func.count(Comment.id))) >= 5
    for past in cycles[:2]:
        states = db.session.scalars(
            select(Assignment.state).where(Assignment.cycle_id == past.id)
        ).all()
        assert states and set(states) == {EvaluationState.SUBMITTED}
    figures = db.session.scalars(select(SelfReportedFigure)).all()
    assert any(f.is_late for f in figures) and any(f.is_changed for f in figures)
    assert all(f.note for f in figures)
    assert any(f.evidence for f in figures if f.cycle_id == current.id)
