"""Evaluator assignments, scoring, locking and reopening, completion and lateness."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from citizenvoice.accounts.models import Role, User
from citizenvoice.audit.services import record_event
from citizenvoice.core.errors import DomainError, Forbidden, InvalidTransition, NotFound
from citizenvoice.evaluations.models import Assignment, EvaluationState
from citizenvoice.extensions import db
from citizenvoice.indicators.models import (
    Cycle,
    CycleState,
    DataSource,
    IndicatorNode,
    Subject,
)
from citizenvoice.indicators.services import applies_to
from citizenvoice.org.services import descendant_ids

#: Roles that can be given evaluations to do.
EVALUATOR_ROLES = (Role.EVALUATOR, Role.EXPERT, Role.UNIT_OFFICIAL, Role.MANAGER)
MIN_JUSTIFICATION = 20
#: Cycle states in which evaluators may work on their scores.
SCORING_STATES = frozenset({CycleState.COLLECTING, CycleState.EVALUATING})


class EvaluationError(DomainError):
    """An assignment or a score that cannot be accepted; ``field`` names the form field."""

    def __init__(self, message: object, field: str | None = None):
        super().__init__(message)
        self.field = field


def check_conflict(evaluator: User, unit_id: int, subject: Subject) -> None:
    """An evaluator never scores their own unit or its sub-units, except as "self"."""
    own = descendant_ids(evaluator.unit_id) if evaluator.unit_id else set()
    if subject is Subject.SELF:
        if unit_id not in own:
            raise EvaluationError(
                _l("Self-evaluation is done by someone from the evaluated unit."), "evaluator_id"
            )
        return
    if unit_id in own:
        raise EvaluationError(
            _l(
                "Conflict of interest: %(name)s belongs to the evaluated unit (or the unit above "
                "it) and may only evaluate it as self-evaluation.",
                name=evaluator.display_name,
            ),
            "evaluator_id",
        )


def assign(
    cycle: Cycle, evaluator: User, subject: Subject, unit_id: int, indicator: IndicatorNode
) -> Assignment:
    """Ask ``evaluator`` to score ``unit_id`` on ``indicator`` as ``subject``."""
    if cycle.state is CycleState.PUBLISHED:
        raise InvalidTransition(_l("The cycle is published."))
    if evaluator.role not in EVALUATOR_ROLES or not evaluator.is_active:
        raise EvaluationError(_l("This account cannot evaluate."), "evaluator_id")
    if (
        indicator.cycle_id != cycle.id
        or indicator.data_source is not DataSource.INTERNAL_EVALUATION
    ):
        raise EvaluationError(
            _l("Choose an internally evaluated indicator of this cycle."), "indicator_id"
        )
    if not applies_to(indicator, unit_id):
        raise EvaluationError(_l("This indicator does not apply to this unit."), "unit_id")
    if not indicator.subject_weights.get(subject.value):
        raise EvaluationError(
            _l("This subject has no weight in the indicator's evaluation."), "subject"
        )
    check_conflict(evaluator, unit_id, subject)
    duplicate = select(Assignment.id).where(
        Assignment.cycle_id == cycle.id, Assignment.evaluator_id == evaluator.id,
        Assignment.unit_id == unit_id, Assignment.indicator_id == indicator.id,
    )  # fmt: skip
    if db.session.scalar(duplicate):
        raise EvaluationError(_l("This evaluation is already assigned."), "evaluator_id")
    assignment = Assignment(
        cycle_id=cycle.id, evaluator_id=evaluator.id, subject=subject, unit_id=unit_id,
        indicator_id=indicator.id,
    )  # fmt: skip
    db.session.add(assignment)
    db.session.flush()
    return assignment


def get_assignment(assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound()
    return assignment


def for_evaluator(user: User) -> list[Assignment]:
    query = select(Assignment).where(Assignment.evaluator_id == user.id)
    return list(db.session.scalars(query.order_by(Assignment.cycle_id.desc(), Assignment.id)))


def for_cycle(cycle: Cycle) -> list[Assignment]:
    query = select(Assignment).where(Assignment.cycle_id == cycle.id).order_by(Assignment.id)
    return list(db.session.scalars(query))


def _check_score(score: float, justification: str) -> str:
    if not math.isfinite(score) or not 0 <= score <= 100:
        raise EvaluationError(_l("A score is between 0 and 100."), "score")
    justification = justification.strip()
    if len(justification) < MIN_JUSTIFICATION:
        raise EvaluationError(
            _l("Please justify the score in at least %(n)s characters.", n=MIN_JUSTIFICATION),
            "justification",
        )
    return justification


def score(
    assignment: Assignment, user: User, value: float, justification: str, submit: bool
) -> Assignment:
    """Save the evaluator's score; ``submit`` locks it."""
    if assignment.evaluator_id != user.id:
        raise NotFound()
    if assignment.cycle.state not in SCORING_STATES:
        raise InvalidTransition(_l("Scores are given while the cycle is collecting or evaluating."))
    assignment.save_draft(value, _check_score(value, justification))
    if submit:
        assignment.submit()
        db.session.flush()
        record_event(
            "evaluation.submit", "evaluator_assignments", assignment.id, assignment.unit_id,
            score=value,
        )  # fmt: skip
    db.session.flush()
    return assignment


def reopen(assignment: Assignment, manager: User, reason: str) -> Assignment:
    """A manager reopens a submitted evaluation; the reason is kept and audited."""
    if manager.role not in (Role.ADMIN, Role.MANAGER):
        raise Forbidden()
    reason = reason.strip()
    if len(reason) < 5:
        raise EvaluationError(_l("Please give the reason for reopening."), "reason")
    if assignment.cycle.state is CycleState.PUBLISHED:
        raise InvalidTransition(_l("The cycle is published."))
    assignment.reopen(reason)
    db.session.flush()
    record_event(
        "evaluation.reopen", "evaluator_assignments", assignment.id, assignment.unit_id,
        reason=reason,
    )  # fmt: skip
    return assignment


@dataclass
class Completion:
    """Assignments and submitted evaluations, counted by a key (subject, unit or evaluator)."""

    total: Counter[str] = field(default_factory=Counter)
    done: Counter[str] = field(default_factory=Counter)

    def rows(self) -> list[tuple[str, int, int]]:
        return [(key, self.done[key], self.total[key]) for key in sorted(self.total)]


def completion(cycle: Cycle) -> dict[str, Completion]:
    tables = {"subject": Completion(), "unit": Completion(), "evaluator": Completion()}
    for a in for_cycle(cycle):
        keys = {"subject": a.subject.value, "unit": a.unit.name, "evaluator": a.evaluator.username}
        for table, key in keys.items():
            tables[table].total[key] += 1
            if a.state is EvaluationState.SUBMITTED:
                tables[table].done[key] += 1
    return tables


def late(cycle: Cycle, now: datetime) -> list[Assignment]:
    return [a for a in for_cycle(cycle) if a.is_late(now)]


def evaluator_choices() -> list[User]:
    query = select(User).where(User.role.in_(EVALUATOR_ROLES), User.is_active.is_(True))
    return list(db.session.scalars(query.order_by(User.username)))


def indicators_to_evaluate(cycle: Cycle) -> list[IndicatorNode]:
    query = select(IndicatorNode).where(
        IndicatorNode.cycle_id == cycle.id,
        IndicatorNode.data_source == DataSource.INTERNAL_EVALUATION,
    )
    return list(db.session.scalars(query.order_by(IndicatorNode.code)))
