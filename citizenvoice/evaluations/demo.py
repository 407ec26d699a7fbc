"""Demo data: evaluators' scores for the two past quarters (which are then published) and the
current quarter's assignments, some submitted, some drafts, some still due."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from citizenvoice.accounts.models import User
from citizenvoice.evaluations import services
from citizenvoice.evaluations.models import Assignment, EvaluationState
from citizenvoice.extensions import db
from citizenvoice.indicators import services as indicators
from citizenvoice.indicators.models import Cycle, CycleState, Subject

#: Who evaluates as which subject (demo accounts).
EVALUATORS = [
    ("evaluator", Subject.PEOPLES_CONGRESS),
    ("expert", Subject.EXPERTS),
    ("manager", Subject.SUPERIORS),
]
JUSTIFICATIONS = [
    "Visited the service hall twice; procedures are posted and staff followed them.",
    "Documents reviewed are complete and decisions cite their legal basis.",
    "Good progress on last quarter's weaknesses, but the online channel still lags.",
    "Meetings with residents show real follow-up; a few replies came late.",
    "Plans exist on paper; implementation evidence is thin for this quarter.",
]


def _assign_all(cycle: Cycle, city: Any) -> list[Assignment]:
    made = []
    for node in services.indicators_to_evaluate(cycle):
        weights = node.subject_weights
        for username, subject in EVALUATORS:
            if not weights.get(subject.value):
                continue
            user: User = city.staff[username]
            for unit_id in sorted(indicators.participant_ids(cycle)):
                if not indicators.applies_to(node, unit_id):
                    continue
                try:
                    made.append(services.assign(cycle, user, subject, unit_id, node))
                except services.EvaluationError:
                    continue  # e.g. the deputy's own unit: never scored by them
        if weights.get(Subject.SELF.value):
            for username in ("official", "official-east"):
                official = city.staff[username]
                made.append(services.assign(cycle, official, Subject.SELF, official.unit_id, node))
    return made


def _score(assignment: Assignment, city: Any, submitted: bool) -> None:
    rng = city.rng
    base = 88 if assignment.subject is Subject.SELF else 76
    assignment.score = float(max(40, min(100, round(rng.gauss(base, 8)))))
    assignment.justification = rng.choice(JUSTIFICATIONS)
    assignment.state = EvaluationState.SUBMITTED if submitted else EvaluationState.DRAFT
    if submitted:
        assignment.submitted_at = assignment.cycle.evaluation_deadline - timedelta(
            days=rng.randint(1, 9), hours=rng.randint(0, 8)
        )


def build_demo(city: Any) -> None:
    """Add this domain's demo data to the city."""
    cycles = list(db.session.scalars(select(Cycle).order_by(Cycle.period_start)))
    manager = city.staff["manager"].id
    for cycle in cycles:
        made = _assign_all(cycle, city)
        if cycle.state is CycleState.REVIEWING:
            for assignment in made:
                _score(assignment, city, submitted=True)
            db.session.flush()
            step = indicators.transition_cycle(cycle, CycleState.PUBLISHED, manager)
            step.created_at = cycle.evaluation_deadline + timedelta(days=30)
        else:
            for assignment in made:
                roll = city.rng.random()
                if roll < 0.25:
                    _score(assignment, city, submitted=True)
                elif roll < 0.4:
                    _score(assignment, city, submitted=False)
    db.session.flush()
