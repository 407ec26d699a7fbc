"""Assembling one unit's result from plain inputs: tree, interval, grade, comparisons, feedback.

Plain data in, plain data out: nothing here imports Flask or the database. The services gather
the inputs with a handful of set-based queries and hand each unit's share to
:func:`evaluate_unit`; everything numeric is done by ``engine`` and ``stats``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from citizenvoice.scoring.engine import (
    DEFAULT_GRADE_BANDS,
    Category,
    DivergenceAlert,
    Feedback,
    GradeBand,
    Indicator,
    IndicatorOutcome,
    InputCounts,
    NodeResult,
    SensitivityReport,
    VerticalComparison,
    apply_criteria,
    build_feedback,
    compose_tree,
    divergence_alert,
    grade,
    sensitivity,
    vertical_comparison,
)
from citizenvoice.scoring.stats import Estimate, SatisfactionIndex

#: The key of the synthetic root that holds the top-level nodes of a cycle's tree.
ROOT_KEY = "__total__"
#: Data sources whose indicator scores count as "internal" in the divergence alert.
INTERNAL_SOURCES = frozenset({"internal_evaluation"})

#: Why a leaf has no value (shown to managers next to "insufficient data").
NOTE_SMALL_SAMPLE = "small_sample"
NOTE_DIMENSION_UNAVAILABLE = "dimension_unavailable"
NOTE_NO_EVALUATIONS = "no_evaluations"
NOTE_NO_FIGURE = "no_figure"


@dataclass(frozen=True)
class NodeSpec:
    """A node of the indicator tree as the engine needs it (``key`` is the node's code)."""

    key: str
    parent: str | None
    weight: float
    is_indicator: bool
    source: str | None = None
    name: str = ""
    definition: str = ""
    direction: str = "higher"
    criteria: Mapping[str, Any] = field(default_factory=lambda: {"kind": "direct"})
    target: float | None = None


@dataclass(frozen=True)
class LeafInput:
    """An indicator's raw value for one unit, its interval if sampled, and the counts behind it.

    ``value`` None means insufficient data; ``note`` says why. ``extra`` holds JSON-ready
    details (level counts, subject means) kept with the result for traceability.
    """

    value: float | None
    lower: float | None = None
    upper: float | None = None
    counts: InputCounts = field(default_factory=InputCounts)
    note: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NodeOutcome:
    """A node's computed numbers for one unit (categories have no value, only a score)."""

    key: str
    parent: str | None
    is_indicator: bool
    source: str | None
    value: float | None
    score: float | None
    lower: float | None
    upper: float | None
    weight: float
    effective_weight: float
    global_weight: float
    counts: InputCounts
    note: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UnitOutcome:
    """Everything computed for one unit in one cycle."""

    total: float | None
    lower: float | None
    upper: float | None
    grade: str | None
    nodes: tuple[NodeOutcome, ...]
    citizen: SatisfactionIndex
    vertical: VerticalComparison
    divergence: DivergenceAlert
    sensitivity: SensitivityReport | None
    feedback: Feedback

    def details(self) -> dict[str, Any]:
        """The comparisons, alert, sensitivity, feedback and citizen index as plain data."""
        return {
            "citizen": satisfaction_dict(self.citizen),
            "vertical": plain(self.vertical),
            "divergence": plain(self.divergence),
            "sensitivity": plain(self.sensitivity),
            "feedback": self.feedback.to_dict(),
        }


def plain(value: Any) -> Any:
    """Dataclasses, tuples and mappings as JSON-ready plain data (like ``asdict``, but without
    deep-copying every number, which matters for thousands of units)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def satisfaction_dict(index: SatisfactionIndex) -> dict[str, Any]:
    """A satisfaction index as JSON-ready plain data."""
    return {
        "value": index.value,
        "lower": index.lower,
        "upper": index.upper,
        "n": index.n,
        "counts": dict(index.counts),
        "min_sample": index.min_sample,
    }


def score_interval(
    criteria: Mapping[str, Any], direction: str, lower: float, upper: float
) -> tuple[float, float]:
    """Map an interval of raw values through the criteria (monotone) into a score interval."""
    first = apply_criteria(criteria, direction, lower)
    second = apply_criteria(criteria, direction, upper)
    return min(first, second), max(first, second)


def _children(specs: Sequence[NodeSpec]) -> dict[str | None, list[NodeSpec]]:
    by_parent: dict[str | None, list[NodeSpec]] = {}
    for spec in specs:
        by_parent.setdefault(spec.parent, []).append(spec)
    return by_parent


def build_tree(
    specs: Sequence[NodeSpec], scores: Mapping[str, float | None], counts: Mapping[str, InputCounts]
) -> Category | None:
    """The engine's tree from node specs; categories without any indicator below are dropped.

    Returns None when no indicator applies at all.
    """
    by_parent = _children(specs)

    def build(spec: NodeSpec) -> Indicator | Category | None:
        if spec.is_indicator:
            return Indicator(spec.key, spec.weight, scores.get(spec.key), counts[spec.key])
        kids = [k for k in (build(c) for c in by_parent.get(spec.key, [])) if k is not None]
        return Category(spec.key, spec.weight, tuple(kids)) if kids else None

    top = [n for n in (build(s) for s in by_parent.get(None, [])) if n is not None]
    return Category(ROOT_KEY, 100.0, tuple(top)) if top else None


def collapse(root: Category, results: Mapping[str, NodeResult]) -> Category:
    """The root with each top-level branch replaced by a leaf holding the branch's score.

    Moving top-level weights leaves every branch's own score unchanged, so the engine's
    sensitivity analysis gives the same totals on this two-level tree, at a fraction of the cost.
    """
    leaves = tuple(
        Indicator(child.key, child.weight, results[child.key].score, results[child.key].counts)
        for child in root.children
    )
    return Category(root.key, root.weight, leaves)


def flatten(result: NodeResult) -> dict[str, NodeResult]:
    """Every node result of a composed tree by key (the root under ``ROOT_KEY``)."""
    found = {result.key: result}
    for child in result.children:
        found.update(flatten(child))
    return found


def tree_interval(
    result: NodeResult, leaf_bounds: Mapping[str, tuple[float, float]]
) -> dict[str, tuple[float | None, float | None]]:
    """Lower and upper bounds of every node's score from its indicators' bounds.

    A category's bounds are its children's bounds combined with the same shares as the scores
    (after redistribution). Treating the children's errors as fully correlated makes this the
    widest honest interval; indicators without sampling error (figures, evaluations) have a
    zero-width interval at their score.
    """
    bounds: dict[str, tuple[float | None, float | None]] = {}

    def walk(node: NodeResult) -> tuple[float | None, float | None]:
        if node.score is None:
            pair: tuple[float | None, float | None] = (None, None)
        elif node.is_indicator:
            pair = leaf_bounds.get(node.key, (node.score, node.score))
        else:
            low, high = [], []
            for child in node.children:
                child_low, child_high = walk(child)
                if child.score is not None and child.effective_weight > 0:
                    low.append(child.effective_weight * (child_low or 0.0))
                    high.append(child.effective_weight * (child_high or 0.0))
            pair = (min(node.score, math.fsum(low)), max(node.score, math.fsum(high)))
        if node.is_indicator or node.score is None:
            for child in node.children:
                walk(child)
        bounds[node.key] = pair
        return pair

    walk(result)
    return bounds


def weighted_score(nodes: Sequence[NodeOutcome], sources: frozenset[str]) -> float | None:
    """The global-weight mean of the scored indicators from ``sources``; None without any."""
    chosen = [n for n in nodes if n.is_indicator and n.source in sources and n.score is not None]
    total = math.fsum(n.global_weight for n in chosen)
    if total <= 0:
        return None
    return math.fsum(n.global_weight * (n.score or 0.0) for n in chosen) / total


@dataclass(frozen=True)
class UnitInputs:
    """One unit's inputs: the applicable tree, its leaves, the citizen index and its history."""

    nodes: Sequence[NodeSpec]
    leaves: Mapping[str, LeafInput]
    citizen: SatisfactionIndex
    #: The unit's earlier totals (oldest first), for the vertical comparison.
    history: Sequence[Estimate] = ()


def _leaf_scores(
    specs: Sequence[NodeSpec], leaves: Mapping[str, LeafInput]
) -> tuple[dict[str, float | None], dict[str, tuple[float, float]]]:
    scores: dict[str, float | None] = {}
    bounds: dict[str, tuple[float, float]] = {}
    for spec in specs:
        if not spec.is_indicator:
            continue
        leaf = leaves.get(spec.key, LeafInput(None))
        if leaf.value is None:
            scores[spec.key] = None
            continue
        score = apply_criteria(spec.criteria, spec.direction, leaf.value)
        scores[spec.key] = score
        if leaf.lower is not None and leaf.upper is not None:
            low, high = score_interval(spec.criteria, spec.direction, leaf.lower, leaf.upper)
            bounds[spec.key] = (min(low, score), max(high, score))
    return scores, bounds


def evaluate_unit(
    inputs: UnitInputs,
    *,
    bands: Sequence[GradeBand] = DEFAULT_GRADE_BANDS,
    margin: float = 15.0,
    relative_change: float = 0.10,
    window: int = 4,
) -> UnitOutcome:
    """Compose one unit's tree into its total, interval and grade, with comparisons and feedback.

    The grade is given to the total rounded to one decimal, the precision pages show.
    """
    specs = list(inputs.nodes)
    scores, bounds = _leaf_scores(specs, inputs.leaves)
    empty = InputCounts()
    counts = {s.key: inputs.leaves.get(s.key, LeafInput(None)).counts for s in specs}
    root = build_tree(specs, scores, counts)
    composed = compose_tree(root) if root is not None else None
    results = flatten(composed) if composed is not None else {}
    intervals = tree_interval(composed, bounds) if composed is not None else {}
    nodes = []
    for spec in specs:
        node = results.get(spec.key)
        if node is None:
            continue
        leaf = inputs.leaves.get(spec.key, LeafInput(None)) if spec.is_indicator else None
        low, high = intervals.get(spec.key, (None, None))
        nodes.append(
            NodeOutcome(
                key=spec.key,
                parent=spec.parent,
                is_indicator=spec.is_indicator,
                source=spec.source,
                value=leaf.value if leaf else None,
                score=node.score,
                lower=low,
                upper=high,
                weight=spec.weight,
                effective_weight=node.effective_weight,
                global_weight=node.global_weight,
                counts=node.counts if composed is not None else empty,
                note=leaf.note if leaf else "",
                extra=dict(leaf.extra) if leaf else {},
            )
        )
    total = composed.score if composed is not None else None
    total_low, total_high = intervals.get(ROOT_KEY, (None, None))
    shown = round(total, 1) if total is not None else None
    current = Estimate(total, total_low, total_high)
    outcomes = [
        IndicatorOutcome(
            key=s.key,
            name=s.name or s.key,
            definition=s.definition,
            direction=s.direction,
            value=inputs.leaves.get(s.key, LeafInput(None)).value,
            score=scores.get(s.key),
            criteria=s.criteria,
            target=s.target,
        )
        for s in specs
        if s.is_indicator and s.key in results
    ]
    internal = weighted_score(nodes, INTERNAL_SOURCES)
    return UnitOutcome(
        total=total,
        lower=total_low,
        upper=total_high,
        grade=grade(shown, bands),
        nodes=tuple(nodes),
        citizen=inputs.citizen,
        vertical=vertical_comparison(current, list(inputs.history), window=window),
        divergence=divergence_alert(internal, inputs.citizen.value, margin=margin),
        sensitivity=(
            sensitivity(collapse(root, results), relative_change=relative_change, bands=bands)
            if root is not None and math.fsum(c.weight for c in root.children) > 0
            else None
        ),
        feedback=build_feedback(outcomes),
    )


def canonical_json(data: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text, no NaN (the form snapshots hash)."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def sha256_hex(text: str) -> str:
    """SHA-256 of UTF-8 text, as 64 hex digits."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
