"""Cycles and their indicator trees: create, copy, edit, validate weights, move through states."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from citizenvoice.audit.services import record_event
from citizenvoice.core.db import utcnow
from citizenvoice.core.errors import DomainError, InvalidTransition, NotFound
from citizenvoice.extensions import db
from citizenvoice.indicators.models import (
    Acceptance,
    Cycle,
    CycleKind,
    CycleState,
    CycleTransition,
    CycleUnit,
    DataSource,
    Direction,
    IndicatorNode,
    IndicatorStatus,
    NodeKind,
    Origin,
    Subject,
    TargetOverride,
)
from citizenvoice.org.models import Unit
from citizenvoice.org.services import check_code
from citizenvoice.scoring.engine import validate_criteria

#: Sibling weights must total 100 within this tolerance (rounding of thirds and the like).
WEIGHT_TOLERANCE = 0.01
#: States in which the tree may still change (until evaluation starts).
EDITABLE_STATES = frozenset({CycleState.PLANNING, CycleState.COLLECTING})


class IndicatorError(DomainError):
    """A cycle or an indicator cannot be saved as given; ``field`` names the form field."""

    def __init__(self, message: Any, field: str | None = None):
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------- cycles


@dataclass
class CycleFields:
    code: str
    name: str
    kind: CycleKind
    period_start: date
    period_end: date
    self_report_deadline: datetime
    evaluation_deadline: datetime
    review_opens_on: date
    review_closes_on: date
    name_zh: str | None = None


def get_cycle(cycle_id: int) -> Cycle:
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        raise NotFound()
    return cycle


def all_cycles() -> list[Cycle]:
    return list(db.session.scalars(select(Cycle).order_by(Cycle.period_start.desc())))


def latest_cycle() -> Cycle | None:
    return db.session.scalar(select(Cycle).order_by(Cycle.period_start.desc()).limit(1))


def default_participant_ids() -> list[int]:
    """Every active unit except the top of the tree (the government that evaluates)."""
    query = select(Unit.id).where(Unit.is_active.is_(True), Unit.parent_id.is_not(None))
    return list(db.session.scalars(query.order_by(Unit.name)))


def _check_cycle_fields(fields: CycleFields) -> None:
    if fields.period_end < fields.period_start:
        raise IndicatorError(_l("The period must end after it starts."), "period_end")
    if fields.review_closes_on < fields.review_opens_on:
        raise IndicatorError(_l("The review window must close after it opens."), "review_closes_on")
    if db.session.scalar(select(Cycle.id).where(Cycle.code == fields.code)):
        raise IndicatorError(_l("Another cycle already uses this code."), "code")


def create_cycle(
    fields: CycleFields,
    unit_ids: list[int] | None = None,
    copy_from: Cycle | None = None,
) -> Cycle:
    """A new cycle in planning; with ``copy_from`` its indicator tree starts as a copy."""
    try:
        fields.code = check_code(fields.code)
    except DomainError as exc:
        raise IndicatorError(str(exc), "code") from exc
    _check_cycle_fields(fields)
    cycle = Cycle(
        code=fields.code,
        name=fields.name.strip(),
        name_zh=(fields.name_zh or "").strip() or None,
        kind=fields.kind,
        period_start=fields.period_start,
        period_end=fields.period_end,
        self_report_deadline=fields.self_report_deadline,
        evaluation_deadline=fields.evaluation_deadline,
        review_opens_on=fields.review_opens_on,
        review_closes_on=fields.review_closes_on,
        copied_from_id=copy_from.id if copy_from else None,
    )
    ids = default_participant_ids() if unit_ids is None else unit_ids
    cycle.participants = [CycleUnit(unit_id=unit_id) for unit_id in dict.fromkeys(ids)]
    db.session.add(cycle)
    db.session.flush()
    if copy_from is not None:
        copy_tree(copy_from, cycle)
    record_event(
        "cycle.create", "cycles", cycle.id, copied_from=copy_from.code if copy_from else None
    )
    return cycle


def copy_tree(source: Cycle, target: Cycle) -> int:
    """Copy every category and indicator (as proposed again); returns how many nodes."""
    mapping: dict[int, IndicatorNode] = {}
    copied_columns = [
        "kind", "code", "name", "name_zh", "weight", "position", "definition", "unit_of_measure",
        "direction", "target_value", "criteria_json", "data_source", "survey_dimension",
        "service_code", "service_point_id", "subject_weights_json", "origin", "unit_id",
        "proposed_by_id",
    ]  # fmt: skip
    for node in tree_nodes(source):
        copy = IndicatorNode(cycle_id=target.id, status=IndicatorStatus.PROPOSED)
        for name in copied_columns:
            setattr(copy, name, getattr(node, name))
        copy.parent_id = mapping[node.parent_id].id if node.parent_id else None
        db.session.add(copy)
        db.session.flush()
        mapping[node.id] = copy
    return len(mapping)


def participant_ids(cycle: Cycle) -> set[int]:
    return {p.unit_id for p in cycle.participants}


def set_participants(cycle: Cycle, unit_ids: list[int]) -> None:
    if cycle.state is not CycleState.PLANNING:
        raise InvalidTransition(_l("Participating units can only change during planning."))
    wanted = set(unit_ids)
    cycle.participants = [p for p in cycle.participants if p.unit_id in wanted]
    present = {p.unit_id for p in cycle.participants}
    cycle.participants.extend(
        CycleUnit(unit_id=i) for i in dict.fromkeys(unit_ids) if i not in present
    )
    db.session.flush()


# ---------------------------------------------------------------- transitions


def unagreed_indicators(cycle: Cycle) -> list[IndicatorNode]:
    return [n for n in indicators(cycle) if n.status is not IndicatorStatus.AGREED]


def missing_evaluation_count(cycle: Cycle) -> int:
    from citizenvoice.evaluations.models import Assignment, EvaluationState

    query = select(func.count(Assignment.id)).where(
        Assignment.cycle_id == cycle.id, Assignment.state != EvaluationState.SUBMITTED
    )
    return db.session.scalar(query) or 0


def cycle_blockers(cycle: Cycle, target: CycleState) -> list[str]:
    """What stands in the way of moving ``cycle`` to ``target`` (translated sentences)."""
    problems: list[str] = []
    if target is CycleState.COLLECTING:
        if not indicators(cycle):
            problems.append(str(_l("The tree has no indicators.")))
        for problem in weight_problems(cycle):
            problems.append(problem.message())
    if target in (CycleState.EVALUATING, CycleState.PUBLISHED):
        waiting = unagreed_indicators(cycle)
        if waiting:
            codes = ", ".join(n.code for n in waiting[:10])
            problems.append(
                str(
                    _l(
                        "%(count)s indicators are not agreed (%(codes)s).",
                        count=len(waiting),
                        codes=codes,
                    )
                )
            )
    if target is CycleState.PUBLISHED:
        missing = missing_evaluation_count(cycle)
        if missing:
            problems.append(str(_l("%(count)s internal evaluations are missing.", count=missing)))
    return problems


def transition_cycle(
    cycle: Cycle, target: CycleState, actor_id: int | None, reason: str = ""
) -> CycleTransition:
    """Move the cycle one step forward; audited, and the override reason is kept."""
    before = cycle.state
    blockers = cycle_blockers(cycle, target) if cycle.next_state is target else []
    cycle.advance(target, blockers, reason)
    step = CycleTransition(
        cycle_id=cycle.id,
        from_state=before,
        to_state=target,
        overridden=" ".join(blockers),
        reason=reason.strip(),
        actor_id=actor_id,
    )
    db.session.add(step)
    db.session.flush()
    record_event(
        "cycle.transition",
        "cycles",
        cycle.id,
        from_state=before.value,
        to_state=target.value,
        overridden=blockers,
        reason=reason.strip(),
    )
    return step


# ---------------------------------------------------------------- the tree


def tree_nodes(cycle: Cycle) -> list[IndicatorNode]:
    """Every node of the cycle, parents before children, siblings in order."""
    nodes = list(
        db.session.scalars(
            select(IndicatorNode)
            .where(IndicatorNode.cycle_id == cycle.id)
            .order_by(IndicatorNode.position, IndicatorNode.code)
        )
    )
    by_parent: dict[int | None, list[IndicatorNode]] = {}
    for node in nodes:
        by_parent.setdefault(node.parent_id, []).append(node)
    ordered: list[IndicatorNode] = []

    def walk(parent_id: int | None) -> None:
        for node in by_parent.get(parent_id, []):
            ordered.append(node)
            walk(node.id)

    walk(None)
    return ordered


def indicators(cycle: Cycle) -> list[IndicatorNode]:
    return [n for n in tree_nodes(cycle) if n.is_indicator]


def get_node(node_id: int) -> IndicatorNode:
    node = db.session.get(IndicatorNode, node_id)
    if node is None:
        raise NotFound()
    return node


def applies_to(node: IndicatorNode, unit_id: int) -> bool:
    if node.unit_id is not None:
        return node.unit_id == unit_id
    return unit_id in participant_ids(node.cycle)


def indicators_for_unit(cycle: Cycle, unit_id: int) -> list[IndicatorNode]:
    return [n for n in indicators(cycle) if applies_to(n, unit_id)]


def is_visible(node: IndicatorNode, scope: set[int] | None) -> bool:
    """Officials (``scope`` = their units) see shared nodes and their own units' nodes."""
    return scope is None or node.unit_id is None or node.unit_id in scope


def target_for(node: IndicatorNode, unit_id: int) -> float | None:
    override = db.session.get(TargetOverride, (node.id, unit_id))
    return override.target_value if override else node.target_value


@dataclass
class WeightProblem:
    parent: IndicatorNode | None
    total: float
    #: The unit whose own (expected) indicators do not total 100%, if that is the problem.
    unit: Unit | None = None

    def message(self) -> str:
        where = self.parent.name if self.parent else str(_l("the top level"))
        if self.unit is not None:
            return str(
                _l(
                    "The indicators of %(unit)s under %(where)s total %(total)s%%, not 100%%.",
                    unit=self.unit.name,
                    where=where,
                    total=f"{self.total:g}",
                )
            )
        return str(
            _l(
                "The weights under %(where)s total %(total)s%%, not 100%%.",
                where=where,
                total=f"{self.total:g}",
            )
        )


def weight_problems(cycle: Cycle) -> list[WeightProblem]:
    """Every sibling group whose weights do not total 100%.

    The rule: in each group the shared nodes (those for every unit) total 100%. A unit's own
    expected indicators placed beside shared ones add to them, and that unit's group is
    rescaled to 100% when scored (see :func:`effective_shares`); in a group holding no shared
    node, each unit's own indicators total 100%.
    """
    nodes = tree_nodes(cycle)
    by_id = {n.id: n for n in nodes}
    shared: dict[int | None, float] = {}
    own: dict[tuple[int | None, int], float] = {}
    for node in nodes:
        if node.unit_id is None:
            shared[node.parent_id] = shared.get(node.parent_id, 0.0) + node.weight
        else:
            key = (node.parent_id, node.unit_id)
            own[key] = own.get(key, 0.0) + node.weight
    problems = [
        WeightProblem(by_id.get(parent_id) if parent_id else None, round(total, 4))
        for parent_id, total in shared.items()
        if not math.isclose(total, 100.0, abs_tol=WEIGHT_TOLERANCE)
    ]
    for (parent_id, unit_id), total in own.items():
        if parent_id not in shared and not math.isclose(total, 100.0, abs_tol=WEIGHT_TOLERANCE):
            parent = by_id.get(parent_id) if parent_id else None
            problems.append(WeightProblem(parent, round(total, 4), db.session.get(Unit, unit_id)))
    return problems


def effective_shares(cycle: Cycle, unit_id: int) -> dict[int, float]:
    """Each node's share of the whole tree for one unit, in percent, with its siblings that
    apply to the unit rescaled to 100% (so a unit's own additions are counted fairly)."""
    nodes = [n for n in tree_nodes(cycle) if n.unit_id in (None, unit_id)]
    totals: dict[int | None, float] = {}
    for node in nodes:
        totals[node.parent_id] = totals.get(node.parent_id, 0.0) + node.weight
    shares: dict[int, float] = {}
    for node in nodes:  # parents come before their children
        above = shares.get(node.parent_id, 100.0) if node.parent_id else 100.0
        total = totals[node.parent_id] or 1.0
        shares[node.id] = above * node.weight / total
    return {k: round(v, 2) for k, v in shares.items()}


@dataclass
class NodeFields:
    code: str
    name: str
    weight: float
    name_zh: str | None = None
    parent_id: int | None = None
    position: int = 0
    definition: str = ""
    unit_of_measure: str = ""
    direction: Direction = Direction.HIGHER
    target_value: float | None = None
    criteria: dict[str, Any] = field(default_factory=lambda: {"kind": "direct"})
    data_source: DataSource | None = None
    survey_dimension: str = ""
    service_code: str = ""
    service_point_id: int | None = None
    subject_weights: dict[str, float] = field(default_factory=dict)


def check_subject_weights(weights: dict[str, float]) -> dict[str, float]:
    known = {s.value for s in Subject}
    unknown = sorted(set(weights) - known)
    if unknown:
        raise IndicatorError(
            _l("Unknown evaluation subjects: %(names)s.", names=", ".join(unknown)), "subjects"
        )
    clean = {k: float(v) for k, v in weights.items() if v}
    if any(v < 0 or not math.isfinite(v) for v in clean.values()):
        raise IndicatorError(_l("Subject weights cannot be negative."), "subjects")
    if not math.isclose(sum(clean.values()), 100.0, abs_tol=WEIGHT_TOLERANCE):
        raise IndicatorError(
            _l("The subject weights total %(total)s, not 100.", total=f"{sum(clean.values()):g}"),
            "subjects",
        )
    return clean


def _check_node_fields(cycle: Cycle, fields: NodeFields, kind: NodeKind) -> None:
    if not (0 <= fields.weight <= 100):
        raise IndicatorError(_l("A weight is a percentage between 0 and 100."), "weight")
    if fields.parent_id is not None:
        parent = db.session.get(IndicatorNode, fields.parent_id)
        if parent is None or parent.cycle_id != cycle.id or parent.is_indicator:
            raise IndicatorError(_l("Choose a category of this cycle as the parent."), "parent_id")
    if kind is NodeKind.CATEGORY:
        return
    if fields.data_source is None:
        raise IndicatorError(_l("Choose where the indicator's data come from."), "data_source")
    errors = validate_criteria(fields.criteria, fields.direction.value)
    if errors:
        raise IndicatorError(" ".join(errors), "criteria")
    fields.subject_weights = check_subject_weights(fields.subject_weights)


def _apply_fields(node: IndicatorNode, fields: NodeFields) -> None:
    node.name = fields.name.strip()
    node.name_zh = (fields.name_zh or "").strip() or None
    node.weight, node.parent_id, node.position = fields.weight, fields.parent_id, fields.position
    if node.is_indicator:
        node.definition = fields.definition.strip()
        node.unit_of_measure = fields.unit_of_measure.strip()
        node.direction, node.target_value = fields.direction, fields.target_value
        node.criteria_json = json.dumps(fields.criteria, sort_keys=True)
        node.data_source = fields.data_source
        node.survey_dimension = fields.survey_dimension.strip()
        node.service_code = fields.service_code.strip()
        node.service_point_id = fields.service_point_id
        node.subject_weights_json = json.dumps(fields.subject_weights, sort_keys=True)


def check_tree_editable(cycle: Cycle) -> None:
    if cycle.state not in EDITABLE_STATES:
        raise InvalidTransition(_l("The indicator tree is frozen once evaluation has started."))


def create_node(
    cycle: Cycle,
    kind: NodeKind,
    fields: NodeFields,
    proposed_by_id: int | None,
    origin: Origin = Origin.CONSTRAINED,
    unit_id: int | None = None,
) -> IndicatorNode:
    """Add a category or a proposed indicator (expected ones belong to ``unit_id``)."""
    check_tree_editable(cycle)
    try:
        code = check_code(fields.code)
    except DomainError as exc:
        raise IndicatorError(str(exc), "code") from exc
    taken = select(IndicatorNode.id).where(
        IndicatorNode.cycle_id == cycle.id, IndicatorNode.code == code
    )
    if db.session.scalar(taken):
        raise IndicatorError(_l("Another node of this cycle already uses this code."), "code")
    if origin is Origin.EXPECTED and unit_id is None:
        raise IndicatorError(_l("An expected indicator belongs to one unit."))
    _check_node_fields(cycle, fields, kind)
    node = IndicatorNode(
        cycle_id=cycle.id, kind=kind, code=code, origin=origin, unit_id=unit_id,
        proposed_by_id=proposed_by_id,
    )  # fmt: skip
    _apply_fields(node, fields)
    db.session.add(node)
    db.session.flush()
    return node


def update_node(node: IndicatorNode, fields: NodeFields) -> IndicatorNode:
    """Change a node; refused once agreed; any change withdraws the acceptances so far."""
    check_tree_editable(node.cycle)
    node.check_editable()
    if fields.parent_id == node.id:
        raise IndicatorError(_l("A node cannot be its own parent."), "parent_id")
    _check_node_fields(node.cycle, fields, node.kind)
    _apply_fields(node, fields)
    if node.is_indicator and db.session.is_modified(node):
        reset_acceptances(node)
    db.session.flush()
    return node


def reset_acceptances(node: IndicatorNode) -> int:
    """Withdraw every current acceptance of ``node`` (they stay in the history)."""
    now = utcnow()
    current = db.session.scalars(
        select(Acceptance).where(
            Acceptance.indicator_id == node.id, Acceptance.withdrawn_at.is_(None)
        )
    ).all()
    for acceptance in current:
        acceptance.withdrawn_at = now
    db.session.flush()
    return len(current)
