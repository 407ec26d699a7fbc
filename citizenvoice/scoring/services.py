"""Computing, publishing and reading a cycle's results.

:func:`compute_cycle` gathers every input of a cycle with a handful of set-based queries (one
GROUP BY over the rating rollups, one over flagged ratings, one read each of evaluations,
figures, the tree and the units) and hands each unit's share to the pure core
(``scoring.assembly`` → ``engine``/``stats``). No query runs per unit or per indicator, and
raw ratings are never scanned for the index (only flagged ones are counted, through the flags).

Publishing freezes the computed rows into an immutable snapshot (canonical JSON + SHA-256,
recorded in the audit chain); corrections recompute and add version N+1 with a reason.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, Table, delete, func, insert, select, type_coerce

from citizenvoice.audit.models import AuditEntry
from citizenvoice.audit.services import record_event
from citizenvoice.core.db import utcnow
from citizenvoice.core.errors import DomainError, InvalidTransition, NotFound
from citizenvoice.evaluations.models import Assignment, EvaluationState
from citizenvoice.extensions import db
from citizenvoice.indicators.models import (
    Cycle,
    CycleState,
    CycleUnit,
    DataSource,
    IndicatorNode,
    NodeKind,
    SelfReportedFigure,
    Subject,
    TargetOverride,
)
from citizenvoice.org.models import Service, ServicePoint, Unit
from citizenvoice.scoring.assembly import (
    INTERNAL_SOURCES,
    NOTE_DIMENSION_UNAVAILABLE,
    NOTE_NO_EVALUATIONS,
    NOTE_NO_FIGURE,
    NOTE_SMALL_SAMPLE,
    LeafInput,
    NodeSpec,
    UnitInputs,
    UnitOutcome,
    canonical_json,
    evaluate_unit,
    sha256_hex,
    weighted_score,
)
from citizenvoice.scoring.engine import DEFAULT_GRADE_BANDS, GradeBand, InputCounts
from citizenvoice.scoring.models import Computation, IndicatorResult, Publication, UnitResult
from citizenvoice.scoring.stats import (
    DEFAULT_MIN_SAMPLE,
    SATISFACTION_LEVELS,
    Estimate,
    FunnelPlot,
    FunnelUnit,
    combine_internal_evaluations,
    funnel_plot,
    satisfaction_index,
)
from citizenvoice.surveys.models import (
    AnswerRollup,
    FlagStatus,
    Question,
    QuestionKind,
    Rating,
    RatingFlag,
    RatingRollup,
)

#: States in which a cycle's results may be published for the first time.
PUBLISHABLE_STATES = frozenset({CycleState.EVALUATING, CycleState.REVIEWING, CycleState.PUBLISHED})
#: States in which results can be computed (there is something to compute from).
COMPUTABLE_STATES = frozenset(
    {CycleState.COLLECTING, CycleState.EVALUATING, CycleState.REVIEWING, CycleState.PUBLISHED}
)
MIN_REASON = 5
#: Stored enum names of evaluation subjects → their codes (as in indicators' subject weights).
SUBJECT_CODES = {subject.name: subject.value for subject in Subject}
#: Rollup counters per level, best level first (the order of ``stats.SATISFACTION_LEVELS``).
_LEVEL_COLUMNS = ("level_5", "level_4", "level_3", "level_2", "level_1")

#: Extension point for inspection-verified figures, until the inspections domain has a model.
#: Each source is called with a cycle id and returns (unit id, indicator id, value) rows (ideally
#: from one SELECT). A verified value replaces the self-reported one; indicators whose data
#: source is "inspection_verified" only ever use verified values.
VerifiedSource = Callable[[int], Iterable[tuple[int, int, float]]]
VERIFIED_FIGURE_SOURCES: list[VerifiedSource] = []


class ScoringError(DomainError):
    """A request about results that cannot be accepted; ``field`` names the form field."""

    def __init__(self, message: object, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ScoringSettings:
    """Configurable parts of the computation (``from_config`` reads the app's settings)."""

    min_sample: int = DEFAULT_MIN_SAMPLE
    margin: float = 15.0
    bands: tuple[GradeBand, ...] = DEFAULT_GRADE_BANDS
    relative_change: float = 0.10

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ScoringSettings:
        """``MIN_SAMPLE``, ``DIVERGENCE_MARGIN``, ``SENSITIVITY_CHANGE`` and ``GRADE_BANDS``
        (a mapping or pairs of grade code → minimum score)."""
        raw = config.get("GRADE_BANDS")
        bands = DEFAULT_GRADE_BANDS
        if raw:
            pairs = raw.items() if isinstance(raw, Mapping) else raw
            bands = tuple(GradeBand(str(code), float(minimum)) for code, minimum in pairs)
        return cls(
            min_sample=int(config.get("MIN_SAMPLE", DEFAULT_MIN_SAMPLE)),
            margin=float(config.get("DIVERGENCE_MARGIN", 15.0)),
            bands=bands,
            relative_change=float(config.get("SENSITIVITY_CHANGE", 0.10)),
        )


def get_cycle(cycle_id: int) -> Cycle:
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        raise NotFound()
    return cycle


def cycle_by_code(code: str) -> Cycle | None:
    return db.session.scalar(select(Cycle).where(Cycle.code == code))


# ---------------------------------------------------------------- gathering inputs


@dataclass
class CycleData:
    """Everything a cycle's computation reads, already aggregated by the database."""

    cycle: Cycle
    participants: list[int]
    nodes: list[IndicatorNode]
    #: unit id → its service points and those of every unit below it
    unit_points: dict[int, list[int]]
    #: (point, service key) → counted ratings per level, best first
    levels: dict[tuple[int, int], list[int]]
    #: (point, service key) → ratings held out by an open or confirmed flag
    flagged: dict[tuple[int, int], int]
    service_keys: dict[str, int]
    #: (unit, indicator) → subject → submitted scores
    evaluations: dict[tuple[int, int], dict[str, list[float]]]
    #: unit → distinct evaluators
    evaluators: dict[int, set[int]]
    figures: dict[tuple[int, int], float]
    verified: dict[tuple[int, int], float]
    targets: dict[tuple[int, int], float]
    #: unit → earlier totals of cycles of the same kind, oldest first
    history: dict[int, list[Estimate]] = field(default_factory=dict)
    #: indicator → evaluation subject → weight (parsed once)
    subject_weights: dict[int, dict[str, float]] = field(default_factory=dict)
    #: (point, service key, question code) → counted answers per level, best first
    dimensions: dict[tuple[int, int, str], list[int]] = field(default_factory=dict)


def _tree_order(nodes: Sequence[IndicatorNode]) -> list[IndicatorNode]:
    by_parent: dict[int | None, list[IndicatorNode]] = defaultdict(list)
    for node in sorted(nodes, key=lambda n: (n.position, n.code)):
        by_parent[node.parent_id].append(node)
    ordered: list[IndicatorNode] = []
    stack = list(reversed(by_parent.get(None, [])))
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(by_parent.get(node.id, [])))
    return ordered


def _unit_points(participants: Sequence[int]) -> dict[int, list[int]]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for unit_id, parent_id in db.session.execute(select(Unit.id, Unit.parent_id)):
        children[parent_id].append(unit_id)
    points: dict[int, list[int]] = defaultdict(list)
    for point_id, unit_id in db.session.execute(select(ServicePoint.id, ServicePoint.unit_id)):
        points[unit_id].append(point_id)
    result: dict[int, list[int]] = {}
    for unit_id in participants:
        found: list[int] = []
        stack, seen = [unit_id], set()
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            found.extend(points.get(current, []))
            stack.extend(children.get(current, []))
        result[unit_id] = sorted(found)
    return result


def _period_bounds(cycle: Cycle) -> tuple[datetime, datetime]:
    start = datetime.combine(cycle.period_start, time.min)
    return start, datetime.combine(cycle.period_end + timedelta(days=1), time.min)


def _rollup_levels(cycle: Cycle) -> dict[tuple[int, int], list[int]]:
    """One GROUP BY over the rollups of the cycle's period: counted ratings per level."""
    columns = [func.sum(RatingRollup.__table__.c[name]) for name in _LEVEL_COLUMNS]
    query = (
        select(RatingRollup.service_point_id, RatingRollup.service_key, *columns)
        .where(RatingRollup.day >= cycle.period_start, RatingRollup.day <= cycle.period_end)
        .group_by(RatingRollup.service_point_id, RatingRollup.service_key)
    )
    return {(row[0], row[1]): [int(v or 0) for v in row[2:]] for row in db.session.execute(query)}


def _rollup_dimensions(cycle: Cycle) -> dict[tuple[int, int, str], list[int]]:
    """One GROUP BY over the answer rollups: counted answers per survey question and level.

    Scale questions keep their five levels (5 = best); a yes/no question counts "yes" at the
    top level and "no" at the bottom, so its index is the share of "yes" on 0–100.
    """
    query = (
        select(
            AnswerRollup.service_point_id,
            AnswerRollup.service_key,
            Question.code,
            Question.kind,
            AnswerRollup.value,
            func.sum(AnswerRollup.answers),
        )
        .join(Question, Question.id == AnswerRollup.question_id)
        .where(AnswerRollup.day >= cycle.period_start, AnswerRollup.day <= cycle.period_end)
        .group_by(
            AnswerRollup.service_point_id,
            AnswerRollup.service_key,
            Question.code,
            Question.kind,
            AnswerRollup.value,
        )
    )
    result: dict[tuple[int, int, str], list[int]] = defaultdict(lambda: [0] * 5)
    for point, service_key, code, kind, value, answers in db.session.execute(query):
        if kind is QuestionKind.SCALE and 1 <= value <= 5:
            level = 5 - int(value)
        elif kind is QuestionKind.YES_NO and value in (0, 1):
            level = 0 if value == 1 else 4
        else:
            continue
        result[(point, service_key, str(code))][level] += int(answers or 0)
    return dict(result)


def _flagged_counts(cycle: Cycle) -> dict[tuple[int, int], int]:
    """Ratings of the period kept out by a blocking flag, reached through the flags."""
    start, end = _period_bounds(cycle)
    blocked = (
        select(RatingFlag.rating_id)
        .where(RatingFlag.status.in_((FlagStatus.OPEN, FlagStatus.CONFIRMED)))
        .distinct()
        .subquery()
    )
    key = func.coalesce(Rating.service_id, 0)
    query = (
        select(Rating.service_point_id, key, func.count(Rating.id))
        .join(blocked, blocked.c.rating_id == Rating.id)
        .where(Rating.created_at >= start, Rating.created_at < end, Rating.is_counted.is_(False))
        .group_by(Rating.service_point_id, key)
    )
    return {(row[0], row[1]): int(row[2]) for row in db.session.execute(query)}


def _evaluations(
    cycle: Cycle,
) -> tuple[dict[tuple[int, int], dict[str, list[float]]], dict[int, set[int]]]:
    query = select(
        Assignment.unit_id,
        Assignment.indicator_id,
        # the stored enum name, read without converting every row to an enum member
        type_coerce(Assignment.subject, String),
        Assignment.score,
        Assignment.evaluator_id,
    ).where(
        Assignment.cycle_id == cycle.id,
        Assignment.state == EvaluationState.SUBMITTED,
        Assignment.score.is_not(None),
    )
    scores: dict[tuple[int, int], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    evaluators: dict[int, set[int]] = defaultdict(set)
    for unit_id, indicator_id, subject, score, evaluator_id in db.session.execute(query):
        code = SUBJECT_CODES.get(str(subject), str(subject))
        scores[(unit_id, indicator_id)][code].append(float(score))
        evaluators[unit_id].add(evaluator_id)
    return scores, evaluators


def _figures(cycle: Cycle) -> dict[tuple[int, int], float]:
    query = select(
        SelfReportedFigure.unit_id, SelfReportedFigure.indicator_id, SelfReportedFigure.value
    ).where(SelfReportedFigure.cycle_id == cycle.id, SelfReportedFigure.is_superseded.is_(False))
    return {(u, i): float(v) for u, i, v in db.session.execute(query)}


def _verified(cycle: Cycle) -> dict[tuple[int, int], float]:
    verified: dict[tuple[int, int], float] = {}
    for source in VERIFIED_FIGURE_SOURCES:
        for unit_id, indicator_id, value in source(cycle.id):
            verified[(unit_id, indicator_id)] = float(value)
    return verified


def _targets(cycle: Cycle) -> dict[tuple[int, int], float]:
    query = (
        select(TargetOverride.indicator_id, TargetOverride.unit_id, TargetOverride.target_value)
        .join(IndicatorNode, IndicatorNode.id == TargetOverride.indicator_id)
        .where(IndicatorNode.cycle_id == cycle.id)
    )
    return {(u, i): float(t) for i, u, t in db.session.execute(query)}


def _history(cycle: Cycle) -> dict[int, list[Estimate]]:
    """Each participant's totals in earlier cycles of the same kind, oldest first (one query)."""
    query = (
        select(UnitResult.unit_id, UnitResult.total, UnitResult.total_lower, UnitResult.total_upper)
        .join(Cycle, Cycle.id == UnitResult.cycle_id)
        .join(
            CycleUnit,
            (CycleUnit.cycle_id == cycle.id) & (CycleUnit.unit_id == UnitResult.unit_id),
        )
        .where(Cycle.kind == cycle.kind, Cycle.period_start < cycle.period_start)
        .order_by(Cycle.period_start, Cycle.id)
    )
    history: dict[int, list[Estimate]] = defaultdict(list)
    for unit_id, total, lower, upper in db.session.execute(query):
        history[unit_id].append(Estimate(total, lower, upper))
    return history


def gather(cycle: Cycle) -> CycleData:
    """Read and aggregate every input of ``cycle`` (a fixed number of queries)."""
    participants = sorted(
        db.session.scalars(select(CycleUnit.unit_id).where(CycleUnit.cycle_id == cycle.id))
    )
    nodes = _tree_order(
        list(db.session.scalars(select(IndicatorNode).where(IndicatorNode.cycle_id == cycle.id)))
    )
    evaluations, evaluators = _evaluations(cycle)
    services = {
        str(row[0]): int(row[1]) for row in db.session.execute(select(Service.code, Service.id))
    }
    return CycleData(
        cycle=cycle,
        participants=participants,
        nodes=nodes,
        unit_points=_unit_points(participants),
        levels=_rollup_levels(cycle),
        flagged=_flagged_counts(cycle),
        service_keys=services,
        evaluations=evaluations,
        evaluators=evaluators,
        figures=_figures(cycle),
        verified=_verified(cycle),
        targets=_targets(cycle),
        history=_history(cycle),
        subject_weights={
            n.id: {k: float(v) for k, v in n.subject_weights.items() if v} for n in nodes
        },
        dimensions=_rollup_dimensions(cycle),
    )


# ---------------------------------------------------------------- per unit (no queries)


class _CitizenCounts:
    """Sums of level counts over a unit's service points, cached per filter."""

    def __init__(self, data: CycleData):
        self.data = data
        self.by_point: dict[int, list[int]] = defaultdict(lambda: [0] * 5)
        self.by_point_service: dict[tuple[int, int], list[int]] = data.levels
        self.flagged_by_point: dict[int, int] = defaultdict(int)
        self.dim_by_point: dict[tuple[str, int], list[int]] = {}
        for (point, _service), levels in data.levels.items():
            self.by_point[point] = [
                a + b for a, b in zip(self.by_point[point], levels, strict=True)
            ]
        for (point, _service), count in data.flagged.items():
            self.flagged_by_point[point] += count

    def dimension_counts(
        self, unit_id: int, code: str, service_key: int | None = None, point_id: int | None = None
    ) -> list[int]:
        """Answers to one survey question over the unit's points, best level first."""
        if not self.dim_by_point and self.data.dimensions:
            for (point, _key, question), row in self.data.dimensions.items():
                total = self.dim_by_point.setdefault((question, point), [0] * 5)
                self.dim_by_point[(question, point)] = [
                    a + b for a, b in zip(total, row, strict=True)
                ]
        levels = [0] * 5
        for point in self.data.unit_points.get(unit_id, []):
            if point_id is not None and point != point_id:
                continue
            found = (
                self.dim_by_point.get((code, point))
                if service_key is None
                else self.data.dimensions.get((point, service_key, code))
            )
            if found:
                levels = [a + b for a, b in zip(levels, found, strict=True)]
        return levels

    def counts(
        self, unit_id: int, service_key: int | None = None, point_id: int | None = None
    ) -> tuple[list[int], int]:
        points = self.data.unit_points.get(unit_id, [])
        if point_id is not None:
            points = [p for p in points if p == point_id]
        levels = [0] * 5
        flagged = 0
        for point in points:
            if service_key is None:
                row = self.by_point.get(point)
                flagged += self.flagged_by_point.get(point, 0)
            else:
                row = self.by_point_service.get((point, service_key))
                flagged += self.data.flagged.get((point, service_key), 0)
            if row:
                levels = [a + b for a, b in zip(levels, row, strict=True)]
        return levels, flagged


def _index(levels: Sequence[int], min_sample: int) -> Any:
    return satisfaction_index(
        dict(zip(SATISFACTION_LEVELS, levels, strict=True)), min_sample=min_sample
    )


def _citizen_leaf(
    node: IndicatorNode, unit_id: int, data: CycleData, counter: _CitizenCounts, min_sample: int
) -> LeafInput:
    service_key = None
    if node.service_code:
        service_key = data.service_keys.get(node.service_code, -1)
    levels, flagged = counter.counts(unit_id, service_key, node.service_point_id)
    if node.survey_dimension:
        levels = counter.dimension_counts(
            unit_id, node.survey_dimension, service_key, node.service_point_id
        )
        if not any(levels):
            return LeafInput(None, note=NOTE_DIMENSION_UNAVAILABLE)
    index = _index(levels, min_sample)
    return LeafInput(
        index.value,
        index.lower,
        index.upper,
        InputCounts(ratings_used=index.n, ratings_flagged=flagged),
        note="" if index.is_sufficient else NOTE_SMALL_SAMPLE,
        extra={"counts": dict(index.counts), "n": index.n},
    )


def _internal_leaf(node: IndicatorNode, unit_id: int, data: CycleData) -> LeafInput:
    given = data.evaluations.get((unit_id, node.id), {})
    weights = data.subject_weights.get(node.id, {})
    if not weights:
        weights = dict.fromkeys(given, 1.0)
    scores = {s: v for s, v in given.items() if s in weights}
    combined = combine_internal_evaluations(scores, weights)
    subjects = [
        {
            "subject": s.subject,
            "value": s.value,
            "evaluators": s.evaluators,
            "is_trimmed": s.is_trimmed,
            "effective_weight": s.effective_weight,
        }
        for s in combined.subjects
    ]
    return LeafInput(
        combined.value,
        counts=InputCounts(evaluators=combined.evaluators),
        note="" if combined.value is not None else NOTE_NO_EVALUATIONS,
        extra={"subjects": subjects},
    )


def _figure_leaf(node: IndicatorNode, unit_id: int, data: CycleData) -> LeafInput:
    key = (unit_id, node.id)
    verified = data.verified.get(key)
    reported = data.figures.get(key)
    if verified is not None:
        extra = {"source": "verified", "self_reported": reported, "verified": verified}
        return LeafInput(verified, extra=extra)
    if node.data_source is DataSource.SELF_REPORTED and reported is not None:
        return LeafInput(reported, extra={"source": "self_reported", "self_reported": reported})
    return LeafInput(None, note=NOTE_NO_FIGURE)


def node_specs(nodes: Sequence[IndicatorNode]) -> dict[int, NodeSpec]:
    """Each node as the pure core sees it, built once per cycle (criteria parsed once)."""
    codes = {n.id: n.code for n in nodes}
    return {
        node.id: NodeSpec(
            key=node.code,
            parent=codes.get(node.parent_id) if node.parent_id else None,
            weight=float(node.weight or 0),
            is_indicator=node.kind is NodeKind.INDICATOR,
            source=node.data_source.value if node.data_source else None,
            name=node.name,
            definition=node.definition,
            direction=node.direction.value,
            criteria=node.criteria,
            target=node.target_value,
        )
        for node in nodes
    }


def unit_inputs(
    unit_id: int,
    data: CycleData,
    counter: _CitizenCounts,
    settings: ScoringSettings,
    specs_by_id: Mapping[int, NodeSpec] | None = None,
) -> UnitInputs:
    """One unit's share of the cycle's inputs, as plain data for ``assembly.evaluate_unit``."""
    base = specs_by_id if specs_by_id is not None else node_specs(data.nodes)
    specs: list[NodeSpec] = []
    leaves: dict[str, LeafInput] = {}
    for node in data.nodes:
        if node.unit_id is not None and node.unit_id != unit_id:
            continue
        spec = base[node.id]
        override = data.targets.get((unit_id, node.id))
        if override is not None:
            spec = replace(spec, target=override)
        specs.append(spec)
        if not spec.is_indicator:
            continue
        if node.data_source is DataSource.CITIZEN_RATING:
            leaves[node.code] = _citizen_leaf(node, unit_id, data, counter, settings.min_sample)
        elif node.data_source is DataSource.INTERNAL_EVALUATION:
            leaves[node.code] = _internal_leaf(node, unit_id, data)
        else:
            leaves[node.code] = _figure_leaf(node, unit_id, data)
    levels, _flagged = counter.counts(unit_id)
    return UnitInputs(
        nodes=specs,
        leaves=leaves,
        citizen=_index(levels, settings.min_sample),
        history=data.history.get(unit_id, []),
    )


# ---------------------------------------------------------------- computing and storing


def _indicator_rows(
    cycle_id: int, unit_id: int, outcome: UnitOutcome, node_ids: Mapping[str, int]
) -> list[dict[str, Any]]:
    return [
        {
            "cycle_id": cycle_id,
            "unit_id": unit_id,
            "node_id": node_ids[n.key],
            "value": n.value,
            "score": n.score,
            "lower": n.lower,
            "upper": n.upper,
            "effective_weight": n.effective_weight,
            "global_weight": n.global_weight,
            "ratings_used": n.counts.ratings_used,
            "ratings_flagged": n.counts.ratings_flagged,
            "evaluators": n.counts.evaluators,
            "note": n.note,
            "inputs_json": canonical_json(dict(n.extra)) if n.extra else "{}",
        }
        for n in outcome.nodes
    ]


def _fingerprint(*tables: Sequence[dict[str, Any]]) -> str:
    """SHA-256 over every written value in order (rows have a fixed key order; ``repr`` of
    numbers, text and None is exact and stable), so equal inputs give an equal fingerprint."""
    digest = hashlib.sha256()
    for rows in tables:
        digest.update(repr([tuple(row.values()) for row in rows]).encode("utf-8"))
    return digest.hexdigest()


def _insert_rows(table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk-insert result rows in the session's transaction: COPY on PostgreSQL (one stream
    instead of one statement per row), executemany on SQLite (already fast in-process)."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    columns = ", ".join(table.c[name].name for name in names)  # our own column names
    driver = connection.connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([row[name] for name in names])


@dataclass(frozen=True)
class ComputeReport:
    """What a computation did, for the CLI and the flash message."""

    cycle_id: int
    units: int
    indicator_rows: int
    ratings_used: int
    ratings_flagged: int
    fingerprint: str


def compute_cycle(
    cycle_id: int,
    settings: ScoringSettings | None = None,
    progress: Callable[[int], None] | None = None,
) -> ComputeReport:
    """Compute every participating unit's results in ``cycle_id`` and store them (flushes).

    Deterministic and idempotent: the rows are replaced by rows computed from the same inputs
    in the same order, so recomputing without new inputs writes identical rows and the same
    fingerprint. ``progress`` is called with the number of units done since the last call.
    """
    settings = settings or ScoringSettings()
    cycle = get_cycle(cycle_id)
    if cycle.state not in COMPUTABLE_STATES:
        raise InvalidTransition(_l("Results can be computed once the cycle is collecting."))
    data = gather(cycle)
    counter = _CitizenCounts(data)
    node_ids = {n.code: n.id for n in data.nodes}
    specs_by_id = node_specs(data.nodes)
    point_sets = {u: set(p) for u, p in data.unit_points.items()}
    flagged_by_point: dict[int, int] = defaultdict(int)
    for (point, _service), count in data.flagged.items():
        flagged_by_point[point] += count
    unit_rows: list[dict[str, Any]] = []
    indicator_rows: list[dict[str, Any]] = []
    for number, unit_id in enumerate(data.participants, start=1):
        inputs = unit_inputs(unit_id, data, counter, settings, specs_by_id)
        outcome = evaluate_unit(
            inputs,
            bands=settings.bands,
            margin=settings.margin,
            relative_change=settings.relative_change,
        )
        row = _result_row(cycle.id, unit_id, outcome, data)
        row["ratings_flagged"] = sum(flagged_by_point.get(p, 0) for p in point_sets[unit_id])
        unit_rows.append(row)
        indicator_rows.extend(_indicator_rows(cycle.id, unit_id, outcome, node_ids))
        if progress is not None and (number % 50 == 0 or number == len(data.participants)):
            progress(50 if number % 50 == 0 else number % 50)
    db.session.execute(delete(IndicatorResult).where(IndicatorResult.cycle_id == cycle.id))
    db.session.execute(delete(UnitResult).where(UnitResult.cycle_id == cycle.id))
    _insert_rows(cast(Table, UnitResult.__table__), unit_rows)
    _insert_rows(cast(Table, IndicatorResult.__table__), indicator_rows)
    fingerprint = _fingerprint(unit_rows, indicator_rows)
    computation = db.session.get(Computation, cycle.id) or Computation(cycle_id=cycle.id)
    computation.computed_at, computation.units = utcnow(), len(unit_rows)
    computation.fingerprint = fingerprint
    db.session.add(computation)
    db.session.flush()
    db.session.expire_all()
    record_event(
        "results.computed", "cycles", cycle.id, None,
        units=len(unit_rows), fingerprint=fingerprint,
    )  # fmt: skip
    return ComputeReport(
        cycle_id=cycle.id,
        units=len(unit_rows),
        indicator_rows=len(indicator_rows),
        ratings_used=sum(r["ratings_used"] for r in unit_rows),
        ratings_flagged=sum(r["ratings_flagged"] for r in unit_rows),
        fingerprint=fingerprint,
    )


def _result_row(
    cycle_id: int, unit_id: int, outcome: UnitOutcome, data: CycleData
) -> dict[str, Any]:
    citizen = outcome.citizen
    return {
        "cycle_id": cycle_id,
        "unit_id": unit_id,
        "total": outcome.total,
        "total_lower": outcome.lower,
        "total_upper": outcome.upper,
        "grade": outcome.grade,
        "citizen_index": citizen.value,
        "citizen_lower": citizen.lower,
        "citizen_upper": citizen.upper,
        "internal_score": weighted_score(outcome.nodes, INTERNAL_SOURCES),
        "ratings_used": citizen.n,
        "ratings_flagged": 0,
        "evaluators": len(data.evaluators.get(unit_id, ())),
        "is_divergent": outcome.divergence.is_alert,
        "details_json": canonical_json(outcome.details()),
    }


# ---------------------------------------------------------------- reading computed results


def computation(cycle_id: int) -> Computation | None:
    return db.session.get(Computation, cycle_id)


def unit_results(cycle_id: int, scope: set[int] | None = None) -> list[tuple[UnitResult, Unit]]:
    """The cycle's computed unit results with their units, by unit name (never by score)."""
    query = (
        select(UnitResult, Unit)
        .join(Unit, Unit.id == UnitResult.unit_id)
        .where(UnitResult.cycle_id == cycle_id)
        .order_by(Unit.name, Unit.id)
    )
    if scope is not None:
        query = query.where(UnitResult.unit_id.in_(scope))
    return [(row[0], row[1]) for row in db.session.execute(query)]


@dataclass(frozen=True)
class NodeLine:
    """A node of the tree with a unit's result for it, for display."""

    node: IndicatorNode
    depth: int
    result: IndicatorResult
    inputs: dict[str, Any]


@dataclass(frozen=True)
class UnitView:
    """A unit's computed result in a cycle with its tree lines and details."""

    cycle: Cycle
    unit: Unit
    result: UnitResult
    details: dict[str, Any]
    lines: list[NodeLine]

    @property
    def nodes_by_code(self) -> dict[str, IndicatorNode]:
        return {line.node.code: line.node for line in self.lines}


def unit_view(cycle_id: int, unit_id: int) -> UnitView:
    """A unit's computed result; NotFound when it has none in the cycle."""
    cycle = get_cycle(cycle_id)
    result = db.session.get(UnitResult, (cycle_id, unit_id))
    unit = db.session.get(Unit, unit_id)
    if result is None or unit is None:
        raise NotFound()
    rows = {
        r.node_id: r
        for r in db.session.scalars(
            select(IndicatorResult).where(
                IndicatorResult.cycle_id == cycle_id, IndicatorResult.unit_id == unit_id
            )
        )
    }
    nodes = _tree_order(
        list(db.session.scalars(select(IndicatorNode).where(IndicatorNode.cycle_id == cycle_id)))
    )
    depth: dict[int, int] = {}
    lines = []
    for node in nodes:
        depth[node.id] = depth.get(node.parent_id, -1) + 1 if node.parent_id else 0
        if node.id in rows:
            inputs = json.loads(rows[node.id].inputs_json or "{}")
            lines.append(NodeLine(node, depth[node.id], rows[node.id], inputs))
    return UnitView(cycle, unit, result, json.loads(result.details_json or "{}"), lines)


def funnel(cycle_id: int, scope: set[int] | None = None) -> FunnelPlot:
    """Funnel-plot data of the units' citizen index against the number of ratings (no ranks)."""
    units = [
        FunnelUnit(unit.code, result.citizen_index, result.ratings_used)
        for result, unit in unit_results(cycle_id)
    ]
    plot = funnel_plot(units)
    if scope is None:
        return plot
    codes = {unit.code for result, unit in unit_results(cycle_id, scope)}
    return FunnelPlot(plot.mean, tuple(p for p in plot.points if p.key in codes), plot.curve)


# ---------------------------------------------------------------- publishing


def snapshot_data(cycle: Cycle, version: int, reason: str) -> dict[str, Any]:
    """Every computed result of the cycle as plain data: what a publication freezes."""
    nodes = _tree_order(
        list(db.session.scalars(select(IndicatorNode).where(IndicatorNode.cycle_id == cycle.id)))
    )
    codes = {n.id: n.code for n in nodes}
    by_unit: dict[int, dict[str, Any]] = defaultdict(dict)
    query = select(IndicatorResult).where(IndicatorResult.cycle_id == cycle.id)
    for r in db.session.scalars(query):
        by_unit[r.unit_id][codes[r.node_id]] = {
            "value": r.value, "score": r.score, "lower": r.lower, "upper": r.upper,
            "effective_weight": r.effective_weight, "global_weight": r.global_weight,
            "ratings_used": r.ratings_used, "ratings_flagged": r.ratings_flagged,
            "evaluators": r.evaluators, "note": r.note, "inputs": json.loads(r.inputs_json),
        }  # fmt: skip
    units = []
    for result, unit in unit_results(cycle.id):
        units.append(
            {
                "code": unit.code, "name": unit.name, "name_zh": unit.name_zh,
                "total": result.total, "lower": result.total_lower, "upper": result.total_upper,
                "grade": result.grade, "citizen_index": result.citizen_index,
                "citizen_lower": result.citizen_lower, "citizen_upper": result.citizen_upper,
                "internal_score": result.internal_score, "ratings_used": result.ratings_used,
                "ratings_flagged": result.ratings_flagged, "evaluators": result.evaluators,
                "is_divergent": result.is_divergent,
                "details": json.loads(result.details_json),
                "indicators": by_unit.get(result.unit_id, {}),
            }
        )  # fmt: skip
    units.sort(key=lambda u: u["code"])
    return {
        "cycle": {
            "code": cycle.code, "name": cycle.name, "name_zh": cycle.name_zh,
            "kind": cycle.kind.value, "period_start": cycle.period_start.isoformat(),
            "period_end": cycle.period_end.isoformat(),
        },
        "version": version,
        "reason": reason,
        "nodes": [
            {
                "code": n.code, "parent": codes.get(n.parent_id) if n.parent_id else None,
                "kind": n.kind.value, "name": n.name, "name_zh": n.name_zh, "weight": n.weight,
                "data_source": n.data_source.value if n.data_source else None,
                "unit": n.unit_id is not None,
            }
            for n in nodes
        ],
        "units": units,
    }  # fmt: skip


def publications(cycle_id: int) -> list[Publication]:
    query = select(Publication).where(Publication.cycle_id == cycle_id)
    return list(db.session.scalars(query.order_by(Publication.version)))


def _latest(cycle_id: int) -> Publication | None:
    query = select(Publication).where(Publication.cycle_id == cycle_id)
    return db.session.scalar(query.order_by(Publication.version.desc()).limit(1))


def _freeze(cycle: Cycle, version: int, reason: str, actor_id: int | None) -> Publication:
    if db.session.get(Computation, cycle.id) is None:
        raise InvalidTransition(_l("Compute the results before publishing them."))
    payload = canonical_json(snapshot_data(cycle, version, reason))
    digest = sha256_hex(payload)
    publication = Publication(
        cycle_id=cycle.id, version=version, payload=payload, sha256=digest, reason=reason,
        published_by_id=actor_id, published_at=utcnow(),
    )  # fmt: skip
    db.session.add(publication)
    db.session.flush()
    record_event(
        "results.published", "result_publications", publication.id, None,
        cycle=cycle.code, cycle_id=cycle.id, version=version, sha256=digest, reason=reason,
    )  # fmt: skip
    return publication


def publish(cycle_id: int, actor_id: int | None = None) -> Publication:
    """Freeze the computed results as version 1 (later changes go through a correction)."""
    cycle = get_cycle(cycle_id)
    if cycle.state not in PUBLISHABLE_STATES:
        raise InvalidTransition(_l("Results are published once evaluation has started."))
    if _latest(cycle.id) is not None:
        raise InvalidTransition(
            _l("These results are already published; publish a correction with a reason.")
        )
    return _freeze(cycle, 1, "", actor_id)


def publish_correction(
    cycle_id: int,
    reason: str,
    actor_id: int | None = None,
    settings: ScoringSettings | None = None,
) -> Publication:
    """Recompute the cycle (after an appeal or an inspection) and publish version N+1."""
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise ScoringError(_l("Please give the reason for the correction."), "reason")
    cycle = get_cycle(cycle_id)
    latest = _latest(cycle.id)
    if latest is None:
        raise InvalidTransition(_l("Only published results can be corrected."))
    compute_cycle(cycle.id, settings)
    return _freeze(cycle, latest.version + 1, reason, actor_id)


def correct_if_published(
    cycle_id: int, reason: str, actor_id: int | None = None
) -> Publication | None:
    """A corrected figure or an excluded rating: publish version N+1 when the cycle's results
    are published (None when they are not yet: the first publication includes the change)."""
    if _latest(cycle_id) is None:
        return None
    return publish_correction(cycle_id, reason, actor_id)


@dataclass(frozen=True)
class PublishedResults:
    """One published version of a cycle's results, with where its hash sits in the audit chain."""

    cycle_id: int
    version: int
    sha256: str
    reason: str
    published_at: datetime
    data: dict[str, Any]
    #: Sequence number and hash of the "results.published" audit entry.
    audit_seq: int | None
    audit_hash: str | None
    versions: tuple[int, ...]

    def unit(self, code: str) -> dict[str, Any] | None:
        return next((u for u in self.data["units"] if u["code"] == code), None)


def publication_entry(publication: Publication) -> AuditEntry | None:
    """The audit entry that recorded the publication (it holds the snapshot's SHA-256)."""
    query = select(AuditEntry).where(
        AuditEntry.action == "results.published",
        AuditEntry.entity_type == "result_publications",
        AuditEntry.entity_id == str(publication.id),
    )
    return db.session.scalar(query.order_by(AuditEntry.seq).limit(1))


def published_results(cycle_id: int, version: int | None = None) -> PublishedResults:
    """A published version of the cycle's results (the latest by default); NotFound if none."""
    query = select(Publication).where(Publication.cycle_id == cycle_id)
    if version is not None:
        query = query.where(Publication.version == version)
    publication = db.session.scalar(query.order_by(Publication.version.desc()).limit(1))
    if publication is None:
        raise NotFound()
    entry = publication_entry(publication)
    versions = db.session.scalars(
        select(Publication.version)
        .where(Publication.cycle_id == cycle_id)
        .order_by(Publication.version)
    )
    return PublishedResults(
        cycle_id=cycle_id,
        version=publication.version,
        sha256=publication.sha256,
        reason=publication.reason,
        published_at=publication.published_at,
        data=json.loads(publication.payload),
        audit_seq=entry.seq if entry else None,
        audit_hash=entry.hash if entry else None,
        versions=tuple(versions),
    )


@dataclass(frozen=True)
class UnitPublication:
    """A unit's result in the latest published version of its most recent published cycle."""

    cycle_id: int
    cycle_code: str
    version: int
    sha256: str
    published_at: datetime
    result: dict[str, Any]


def latest_publication(unit_id: int) -> UnitPublication | None:
    """The unit's latest published result, or None when no published cycle includes it."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        return None
    query = (
        select(Cycle)
        .join(Publication, Publication.cycle_id == Cycle.id)
        .join(CycleUnit, (CycleUnit.cycle_id == Cycle.id) & (CycleUnit.unit_id == unit_id))
        .order_by(Cycle.period_start.desc(), Cycle.id.desc())
        .limit(1)
    )
    cycle = db.session.scalar(query)
    if cycle is None:
        return None
    published = published_results(cycle.id)
    result = published.unit(unit.code)
    if result is None:
        return None
    return UnitPublication(
        cycle.id, cycle.code, published.version, published.sha256, published.published_at, result
    )


def cycles_with_results() -> list[tuple[Cycle, Computation | None, list[Publication]]]:
    """Every cycle, newest first, with its computation and publications (for the staff page)."""
    cycles = list(db.session.scalars(select(Cycle).order_by(Cycle.period_start.desc(), Cycle.id)))
    computations = {c.cycle_id: c for c in db.session.scalars(select(Computation))}
    published: dict[int, list[Publication]] = defaultdict(list)
    for p in db.session.scalars(select(Publication).order_by(Publication.version)):
        published[p.cycle_id].append(p)
    return [(c, computations.get(c.id), published.get(c.id, [])) for c in cycles]


def period_of(cycle: Cycle) -> tuple[date, date]:
    return cycle.period_start, cycle.period_end
