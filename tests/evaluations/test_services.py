"""Assignments, the conflict-of-interest rule, scoring, locking, reopening, completion."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from citizenvoice.accounts.models import Role
from citizenvoice.audit.models import AuditEntry
from citizenvoice.core.errors import Forbidden, InvalidTransition, NotFound
from citizenvoice.evaluations import services
from citizenvoice.evaluations.models import EvaluationState
from citizenvoice.extensions import db
from citizenvoice.indicators.models import CycleState, DataSource, Subject

WHY = "Visited twice; the queue system works and complaints were answered."


@pytest.fixture
def setting(make_unit, make_user, make_cycle, make_node):
    a, b = make_unit("unit-a"), make_unit("unit-b")
    sub_a = make_unit("unit-a-sub", parent=a)
    cycle = make_cycle(state=CycleState.EVALUATING, units=[a, b, sub_a])
    node = make_node(cycle, code="rule-of-law")
    return {
        "cycle": cycle, "a": a, "b": b, "sub": sub_a, "node": node,
        "evaluator_b": make_user(Role.EVALUATOR, b), "evaluator_a": make_user(Role.EVALUATOR, a),
        "manager": make_user(Role.MANAGER),
    }  # fmt: skip


def test_an_evaluator_never_scores_their_own_unit_or_its_sub_units(setting) -> None:
    cycle, node, evaluator = setting["cycle"], setting["node"], setting["evaluator_a"]
    for unit in (setting["a"], setting["sub"]):
        with pytest.raises(services.EvaluationError, match="Conflict of interest") as caught:
            services.assign(cycle, evaluator, Subject.SUPERIORS, unit.id, node)
        assert caught.value.field == "evaluator_id"
    assert services.for_cycle(cycle) == []
    # …except under the subject "self"
    assert services.assign(cycle, evaluator, Subject.SELF, setting["a"].id, node).unit_id
    assert services.assign(cycle, evaluator, Subject.SUPERIORS, setting["b"].id, node)


def test_self_evaluation_comes_from_the_unit_itself(setting) -> None:
    with pytest.raises(services.EvaluationError, match="Self-evaluation"):
        services.assign(
            setting["cycle"], setting["evaluator_b"], Subject.SELF, setting["a"].id, setting["node"]
        )


def test_assignments_need_a_weighted_subject_and_an_internal_indicator(
    setting, make_node, make_user
) -> None:
    cycle, a = setting["cycle"], setting["a"]
    with pytest.raises(services.EvaluationError, match="no weight"):
        services.assign(cycle, setting["evaluator_b"], Subject.PUBLIC, a.id, setting["node"])
    figures = make_node(cycle, code="figures", source=DataSource.SELF_REPORTED)
    with pytest.raises(services.EvaluationError, match="internally evaluated"):
        services.assign(cycle, setting["evaluator_b"], Subject.SUPERIORS, a.id, figures)
    with pytest.raises(services.EvaluationError, match="cannot evaluate"):
        services.assign(cycle, make_user(Role.INSPECTOR), Subject.SUPERIORS, a.id, setting["node"])
    services.assign(cycle, setting["evaluator_b"], Subject.SUPERIORS, a.id, setting["node"])
    with pytest.raises(services.EvaluationError, match="already assigned"):
        services.assign(cycle, setting["evaluator_b"], Subject.EXPERTS, a.id, setting["node"])


def _assignment(setting):
    return services.assign(
        setting["cycle"], setting["evaluator_b"], Subject.SUPERIORS, setting["a"].id,
        setting["node"],
    )  # fmt: skip


def test_scores_need_a_justification_and_a_range(setting) -> None:
    assignment, evaluator = _assignment(setting), setting["evaluator_b"]
    with pytest.raises(services.EvaluationError, match="at least 20") as caught:
        services.score(assignment, evaluator, 80, "fine", submit=True)
    assert caught.value.field == "justification"
    for bad in (-1, 100.5, float("nan")):
        with pytest.raises(services.EvaluationError, match="between 0 and 100"):
            services.score(assignment, evaluator, bad, WHY, submit=False)
    assert assignment.state is EvaluationState.DUE and assignment.score is None


def test_only_the_assigned_evaluator_scores(setting) -> None:
    assignment = _assignment(setting)
    with pytest.raises(NotFound):
        services.score(assignment, setting["manager"], 80, WHY, submit=False)


def test_submit_locks_and_a_manager_reopens_with_a_reason(setting) -> None:
    assignment, evaluator, manager = (
        _assignment(setting),
        setting["evaluator_b"],
        setting["manager"],
    )
    services.score(assignment, evaluator, 70, WHY, submit=False)
    assert assignment.state is EvaluationState.DRAFT
    services.score(assignment, evaluator, 82, WHY, submit=True)
    assert assignment.state is EvaluationState.SUBMITTED and assignment.submitted_at
    with pytest.raises(InvalidTransition, match="locked"):
        services.score(assignment, evaluator, 99, WHY, submit=True)
    assert assignment.score == 82
    with pytest.raises(Forbidden):
        services.reopen(assignment, evaluator, "I changed my mind")
    with pytest.raises(services.EvaluationError, match="reason"):
        services.reopen(assignment, manager, "")
    services.reopen(assignment, manager, "Evidence of a second visit arrived")
    db.session.commit()
    assert assignment.state is EvaluationState.DRAFT
    assert assignment.reopen_reason == "Evidence of a second visit arrived"
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "evaluation.reopen" in actions and "evaluation.submit" in actions
    with pytest.raises(InvalidTransition):
        services.reopen(assignment, manager, "Evidence of a second visit arrived")
    services.score(assignment, evaluator, 90, WHY, submit=True)
    assert assignment.score == 90


def test_evaluation_state_machine(setting) -> None:
    assignment = _assignment(setting)
    with pytest.raises(InvalidTransition):
        assignment.submit()  # nothing saved yet
    with pytest.raises(InvalidTransition):
        assignment.reopen("why")
    assignment.save_draft(50, WHY)
    with pytest.raises(InvalidTransition):
        assignment.reopen("why")
    assignment.submit()
    with pytest.raises(InvalidTransition):
        assignment.submit()
    with pytest.raises(InvalidTransition):
        assignment.save_draft(60, WHY)


@pytest.mark.parametrize("state", [CycleState.PLANNING, CycleState.REVIEWING])
def test_scores_only_while_collecting_or_evaluating(setting, state) -> None:
    assignment = _assignment(setting)
    setting["cycle"].state = state
    with pytest.raises(InvalidTransition):
        services.score(assignment, setting["evaluator_b"], 80, WHY, submit=False)


def test_completion_and_lateness(setting) -> None:
    cycle = setting["cycle"]
    first = _assignment(setting)
    services.assign(cycle, setting["evaluator_a"], Subject.SELF, setting["a"].id, setting["node"])
    services.score(first, setting["evaluator_b"], 75, WHY, submit=True)
    tables = services.completion(cycle)
    assert tables["subject"].rows() == [("self", 0, 1), ("superiors", 1, 1)]
    assert tables["unit"].rows() == [("Unit 1", 1, 2)] or tables["unit"].rows()[0][1:] == (1, 2)
    assert services.late(cycle, datetime.now()) == []
    later = cycle.evaluation_deadline + timedelta(days=1)
    [late] = services.late(cycle, later)
    assert late.evaluator_id == setting["evaluator_a"].id
