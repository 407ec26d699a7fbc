"""Cycles: every allowed and refused transition, blockers, overrides, copying a tree."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import select

from citizenvoice.audit.models import AuditEntry
from citizenvoice.core.errors import InvalidTransition
from citizenvoice.extensions import db
from citizenvoice.indicators import services
from citizenvoice.indicators.models import (
    CycleState,
    CycleTransition,
    IndicatorStatus,
    NodeKind,
)
from citizenvoice.org.models import UnitKind
from tests.indicators.conftest import cycle_fields

ORDER = list(CycleState)
ALLOWED = {(a, b) for a, b in itertools.pairwise(ORDER)}


def _agree_all(cycle: Any) -> None:
    for node in services.indicators(cycle):
        node.status = IndicatorStatus.AGREED
    db.session.commit()


@pytest.mark.parametrize(("start", "target"), sorted(ALLOWED))
def test_each_forward_step_is_allowed_and_audited(make_cycle, make_node, start, target) -> None:
    cycle = make_cycle(state=start)
    make_node(cycle)
    _agree_all(cycle)
    step = services.transition_cycle(cycle, target, None)
    db.session.commit()
    assert cycle.state is target and step.from_state is start and not step.is_override
    events = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "cycle.transition")
    ).all()
    assert events[-1].entity_id == str(cycle.id)
    assert start.value in events[-1].payload and target.value in events[-1].payload


REFUSED = [(a, b) for a in ORDER for b in ORDER if (a, b) not in ALLOWED]


@pytest.mark.parametrize(("start", "target"), REFUSED)
def test_every_other_move_is_refused(make_cycle, make_node, start, target) -> None:
    cycle = make_cycle(state=start)
    make_node(cycle)
    _agree_all(cycle)
    with pytest.raises(InvalidTransition):
        services.transition_cycle(cycle, target, None, reason="forced, please")
    assert cycle.state is start


def test_collecting_needs_indicators_and_weights_that_total_100(make_cycle, make_node) -> None:
    cycle = make_cycle()
    with pytest.raises(InvalidTransition, match="no indicators"):
        services.transition_cycle(cycle, CycleState.COLLECTING, None)
    category = make_node(cycle, kind=NodeKind.CATEGORY, weight=60, name="Service quality")
    make_node(cycle, parent=category, weight=70)
    problems = services.weight_problems(cycle)
    assert sorted((p.parent.name if p.parent else "top", p.total) for p in problems) == [
        ("Service quality", 70.0),
        ("top", 60.0),
    ]
    assert "Service quality" in problems[0].message() + problems[1].message()
    # a reason does not force this one: weights are not a matter of opinion
    with pytest.raises(InvalidTransition, match="total 60"):
        services.transition_cycle(cycle, CycleState.COLLECTING, None, reason="we are in a hurry")
    assert cycle.state is CycleState.PLANNING


def test_evaluating_with_unagreed_indicators_needs_a_reason_and_keeps_it(
    make_cycle, make_node, make_user
) -> None:
    cycle = make_cycle(state=CycleState.COLLECTING)
    node = make_node(cycle, code="on-time")
    manager = make_user()
    with pytest.raises(InvalidTransition, match="on-time"):
        services.transition_cycle(cycle, CycleState.EVALUATING, manager.id)
    step = services.transition_cycle(
        cycle, CycleState.EVALUATING, manager.id, reason="Deadline set by the city council"
    )
    db.session.commit()
    assert cycle.state is CycleState.EVALUATING and node.status is IndicatorStatus.PROPOSED
    stored = db.session.scalar(select(CycleTransition).where(CycleTransition.id == step.id))
    assert stored.is_override and "on-time" in stored.overridden
    assert stored.reason == "Deadline set by the city council" and stored.actor_id == manager.id
    event = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "cycle.transition")
    ).all()[-1]
    assert "Deadline set by the city council" in event.payload


def test_publishing_with_missing_evaluations_needs_a_reason(
    make_cycle, make_node, make_unit, make_user
) -> None:
    from citizenvoice.accounts.models import Role
    from citizenvoice.evaluations import services as evaluations
    from citizenvoice.indicators.models import Subject

    unit, other = make_unit(), make_unit()
    cycle = make_cycle(state=CycleState.EVALUATING, units=[unit])
    node = make_node(cycle)
    _agree_all(cycle)
    evaluations.assign(cycle, make_user(Role.EVALUATOR, other), Subject.SUPERIORS, unit.id, node)
    services.transition_cycle(cycle, CycleState.REVIEWING, None)
    with pytest.raises(InvalidTransition, match="1 internal evaluations are missing"):
        services.transition_cycle(cycle, CycleState.PUBLISHED, None)
    services.transition_cycle(cycle, CycleState.PUBLISHED, None, reason="Evaluator fell ill")
    assert cycle.state is CycleState.PUBLISHED


def test_default_participants_are_active_units_below_the_top(make_unit, make_cycle) -> None:
    top = make_unit("city", kind=UnitKind.GOVERNMENT)
    a = make_unit("a", parent=top)
    b = make_unit("b", parent=top)
    gone = make_unit("gone", parent=top)
    gone.is_active = False
    db.session.commit()
    cycle = make_cycle()
    assert services.participant_ids(cycle) == {a.id, b.id}


def test_a_cycle_code_is_unique_and_periods_are_ordered(make_cycle) -> None:
    make_cycle("2026-q3")
    with pytest.raises(services.IndicatorError, match="already uses") as caught:
        services.create_cycle(cycle_fields("2026-q3"))
    assert caught.value.field == "code"
    from datetime import date

    with pytest.raises(services.IndicatorError, match="end after"):
        services.create_cycle(cycle_fields("x", period_end=date(2020, 1, 1)))


def test_a_new_cycle_starts_from_a_copy_of_the_last_tree(make_cycle, make_node, make_unit) -> None:
    unit = make_unit()
    old = make_cycle("2026-q2", units=[unit])
    category = make_node(old, kind=NodeKind.CATEGORY, code="service")
    make_node(old, parent=category, code="on-time", target_value=98.0, unit=unit)
    _agree_all(old)
    new = services.create_cycle(cycle_fields("2026-q3"), [unit.id], copy_from=old)
    db.session.commit()
    nodes = services.tree_nodes(new)
    assert [(n.code, n.parent.code if n.parent else None) for n in nodes] == [
        ("service", None),
        ("on-time", "service"),
    ]
    assert nodes[1].target_value == 98.0 and nodes[1].unit_id == unit.id
    assert nodes[1].status is IndicatorStatus.PROPOSED  # agreed again in the new cycle
    assert new.copied_from_id == old.id
    assert services.latest_cycle() in (old, new)


def test_participants_change_only_during_planning(make_cycle, make_unit) -> None:
    a, b = make_unit(), make_unit()
    cycle = make_cycle(units=[a])
    services.set_participants(cycle, [a.id, b.id, b.id])
    assert services.participant_ids(cycle) == {a.id, b.id}
    cycle.state = CycleState.COLLECTING
    with pytest.raises(InvalidTransition):
        services.set_participants(cycle, [a.id])
    assert services.participant_ids(cycle) == {a.id, b.id}
