"""Scoring engine: evaluation criteria, the weighted indicator tree, grades, comparisons, feedback.

Plain data in, plain data out: nothing here imports Flask or the database. Scores are on 0-100.
Statistics (satisfaction index, intervals, funnel plots) live in ``citizenvoice.scoring.stats``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from citizenvoice.scoring.stats import (
    Estimate,
    clamp_score,
    is_difference_significant,
    standard_error_from_interval,
)

#: "higher": a higher value is better (e.g. cases closed on time); "lower": lower is better.
DIRECTIONS: tuple[str, ...] = ("higher", "lower")
CRITERIA_KINDS: tuple[str, ...] = ("direct", "linear", "bands")
_CRITERIA_KEYS: Mapping[str, frozenset[str]] = {
    "direct": frozenset({"kind"}),
    "linear": frozenset({"kind", "target", "floor", "step", "per", "stepwise"}),
    "bands": frozenset({"kind", "bands"}),
}
#: Slack so that a value exactly on a step (0.3 - 0.1 = 0.19999…) counts as a whole step.
_STEP_EPSILON = 1e-9


# ---------------------------------------------------------------- criteria


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _validate_linear(criteria: Mapping[str, Any], direction: str | None) -> list[str]:
    errors = [
        f"Linear criteria need a number for '{key}'."
        for key in ("target", "floor", "step", "per")
        if not _is_number(criteria.get(key))
    ]
    if "stepwise" in criteria and not isinstance(criteria["stepwise"], bool):
        errors.append("'stepwise' must be true or false.")
    if errors:
        return errors
    if criteria["per"] <= 0:
        errors.append("'per' must be greater than 0.")
    if not 0 < criteria["step"] <= 100:
        errors.append("'step' must be greater than 0 and at most 100.")
    target, floor = criteria["target"], criteria["floor"]
    if direction == "higher" and floor > target:
        errors.append("When higher is better, the floor must not be above the target.")
    if direction == "lower" and floor < target:
        errors.append("When lower is better, the floor must not be below the target.")
    return errors


def _validate_bands(criteria: Mapping[str, Any], direction: str | None) -> list[str]:
    bands = criteria.get("bands")
    if not isinstance(bands, list | tuple) or not bands:
        return ["Band criteria need a non-empty list 'bands' of [threshold, score] pairs."]
    errors: list[str] = []
    for number, band in enumerate(bands, start=1):
        if not isinstance(band, list | tuple) or len(band) != 2 or not all(map(_is_number, band)):
            errors.append(f"Band {number} must be a pair [threshold, score] of numbers.")
        elif not 0 <= band[1] <= 100:
            errors.append(f"Band {number} has a score outside 0 to 100.")
    if errors:
        return errors
    thresholds = [band[0] for band in bands]
    for threshold in sorted({t for t in thresholds if thresholds.count(t) > 1}):
        errors.append(f"Threshold {threshold} appears in more than one band.")
    if direction in DIRECTIONS and not errors:
        best_first = sorted(bands, key=lambda band: band[0], reverse=direction == "higher")
        scores = [band[1] for band in best_first]
        if any(worse > better for better, worse in itertools.pairwise(scores)):
            errors.append("A band for worse values must not score more than one for better values.")
    return errors


def validate_criteria(criteria: object, direction: str | None = None) -> list[str]:
    """Check criteria as a manager entered them; return English error messages, empty when valid.

    ``direction`` is optional: with it, checks that depend on it (the floor lies on the worse
    side of the target; scores do not rise as values get worse) are made as well.
    """
    if not isinstance(criteria, Mapping):
        return ["Criteria must be a JSON object."]
    kind = criteria.get("kind")
    if not isinstance(kind, str) or kind not in _CRITERIA_KEYS:
        return [f"Unknown criteria kind {kind!r}; use one of: {', '.join(CRITERIA_KINDS)}."]
    errors = [
        f"Unexpected key '{key}' in {kind} criteria."
        for key in sorted(map(str, criteria))
        if key not in _CRITERIA_KEYS[kind]
    ]
    if direction is not None and direction not in DIRECTIONS:
        errors.append(f"Unknown direction {direction!r}; use 'higher' or 'lower'.")
        direction = None
    if kind == "linear":
        errors += _validate_linear(criteria, direction)
    elif kind == "bands":
        errors += _validate_bands(criteria, direction)
    return errors


def _apply_linear(criteria: Mapping[str, Any], is_higher: bool, value: float) -> float:
    target, floor = criteria["target"], criteria["floor"]
    shortfall = target - value if is_higher else value - target
    if shortfall <= 0:
        return 100.0
    if (value < floor) if is_higher else (value > floor):
        return 0.0
    steps = shortfall / criteria["per"]
    if criteria.get("stepwise", False):
        steps = math.floor(steps + _STEP_EPSILON)
    return clamp_score(100 - criteria["step"] * steps)


def _apply_bands(bands: Sequence[Sequence[float]], is_higher: bool, value: float) -> float:
    if is_higher:
        reached = [(t, s) for t, s in bands if value >= t]
        return float(max(reached)[1]) if reached else 0.0
    reached = [(-t, s) for t, s in bands if value <= t]
    return float(max(reached)[1]) if reached else 0.0


def apply_criteria(criteria: Mapping[str, Any], direction: str, value: float) -> float:
    """Turn an indicator's raw value into a score in [0, 100].

    - ``{"kind": "direct"}``: the value already is a score; it is clamped (direction is ignored).
    - ``{"kind": "linear", "target": T, "floor": F, "step": S, "per": P}``: higher is better:
      value >= T scores 100, each P units below T take S points off (proportionally; whole units
      only with ``"stepwise": true``), a value below F scores 0. Lower is better mirrors it:
      value <= T scores 100, each P above T takes S off, above F scores 0.
    - ``{"kind": "bands", "bands": [[threshold, score], ...]}``: higher is better: the band with
      the highest threshold <= value gives the score; lower is better: the band with the lowest
      threshold >= value. Bands may be listed in any order; a value no band reaches scores 0.

    Invalid criteria, an unknown direction or a non-finite value raise ValueError.
    """
    errors = validate_criteria(criteria, direction)
    if direction not in DIRECTIONS:
        errors.append(f"Unknown direction {direction!r}.")
    if errors:
        raise ValueError(" ".join(errors))
    if not _is_number(value):
        raise ValueError(f"value must be a finite number, got {value!r}")
    if criteria["kind"] == "linear":
        return _apply_linear(criteria, direction == "higher", value)
    if criteria["kind"] == "bands":
        return _apply_bands(criteria["bands"], direction == "higher", value)
    return clamp_score(value)


# ---------------------------------------------------------------- the weighted tree


@dataclass(frozen=True)
class InputCounts:
    """How many inputs stand behind a score, so that published numbers can be traced."""

    ratings_used: int = 0
    ratings_flagged: int = 0
    evaluators: int = 0

    def __add__(self, other: InputCounts) -> InputCounts:
        return InputCounts(
            self.ratings_used + other.ratings_used,
            self.ratings_flagged + other.ratings_flagged,
            self.evaluators + other.evaluators,
        )


@dataclass(frozen=True)
class Indicator:
    """A leaf of the tree: its weight among siblings (a percentage) and its score or None."""

    key: str
    weight: float
    score: float | None
    counts: InputCounts = field(default_factory=InputCounts)


@dataclass(frozen=True)
class Category:
    """An inner node of the tree: its weight among siblings and its children."""

    key: str
    weight: float
    children: tuple[Indicator | Category, ...]


@dataclass(frozen=True)
class NodeResult:
    """The computed score of a node, with the weights actually used and the counts behind it.

    ``effective_weight`` is the node's share among its siblings after normalising and after
    redistributing the weight of insufficient siblings (0 when itself insufficient; 1 at the
    root). ``global_weight`` multiplies the shares from the root down: the node's share of the
    total. ``counts`` of a category add up the counts of all indicators beneath it.
    """

    key: str
    score: float | None
    weight: float
    effective_weight: float
    global_weight: float
    counts: InputCounts
    is_indicator: bool
    children: tuple[NodeResult, ...] = ()

    @property
    def is_sufficient(self) -> bool:
        """True when the node has a score."""
        return self.score is not None


def normalise_weights(weights: Sequence[float]) -> tuple[float, ...]:
    """Scale non-negative weights (e.g. percentages) so that they sum to 1.

    Uses an exactly rounded sum, so the result does not depend on the order of the weights.
    """
    if not weights:
        raise ValueError("there are no weights to normalise")
    if any(not math.isfinite(w) or w < 0 for w in weights):
        raise ValueError("weights must be finite and not negative")
    total = math.fsum(weights)
    if total == 0:
        raise ValueError("weights must not all be zero")
    return tuple(w / total for w in weights)


def _sibling_shares(children: Sequence[NodeResult]) -> tuple[float, ...]:
    """Shares among siblings; an insufficient sibling's weight goes to the others pro rata."""
    weights = [c.weight if c.is_sufficient else 0.0 for c in children]
    if math.fsum(weights) == 0:
        return tuple(0.0 for _ in children)
    return normalise_weights(weights)


def _check_node(node: Indicator | Category) -> None:
    if not math.isfinite(node.weight) or node.weight < 0:
        raise ValueError(f"weight of {node.key!r} must be finite and not negative")
    if isinstance(node, Indicator):
        if node.score is not None and not (math.isfinite(node.score) and 0 <= node.score <= 100):
            raise ValueError(f"score of {node.key!r} must be within [0, 100]")
        return
    if not node.children:
        raise ValueError(f"category {node.key!r} has no children")
    keys = [child.key for child in node.children]
    if len(set(keys)) != len(keys):
        raise ValueError(f"category {node.key!r} has children with the same key")


def _score_node(node: Indicator | Category) -> NodeResult:
    """Score a subtree bottom-up; weights used are filled in later by ``_assign_weights``."""
    _check_node(node)
    if isinstance(node, Indicator):
        return NodeResult(node.key, node.score, node.weight, 0.0, 0.0, node.counts, True)
    children = tuple(_score_node(child) for child in node.children)
    shares = _sibling_shares(children)
    score = None
    if any(shares):
        score = clamp_score(
            math.fsum(s * (c.score or 0.0) for s, c in zip(shares, children, strict=True))
        )
    counts = sum((c.counts for c in children), InputCounts())
    return NodeResult(node.key, score, node.weight, 0.0, 0.0, counts, False, children)


def _assign_weights(result: NodeResult, share: float, global_share: float) -> NodeResult:
    shares = _sibling_shares(result.children)
    children = tuple(
        _assign_weights(child, s, global_share * s)
        for child, s in zip(result.children, shares, strict=True)
    )
    return replace(result, effective_weight=share, global_weight=global_share, children=children)


def compose_tree(root: Category) -> NodeResult:
    """Compose a weighted tree of categories and indicators (any depth) into a total 0-100.

    Sibling weights are percentages and are normalised. An insufficient indicator's weight is
    redistributed among its siblings that have scores, in proportion to their own weights (as
    if it had not been part of the plan); a category whose children are all insufficient (or
    whose scored children all weigh 0) is insufficient itself. Sibling order does not matter.
    """
    return _assign_weights(_score_node(root), 1.0, 1.0)


# ---------------------------------------------------------------- grades


@dataclass(frozen=True)
class GradeBand:
    """A grade and the lowest score that earns it."""

    code: str
    min_score: float


DEFAULT_GRADE_BANDS: tuple[GradeBand, ...] = (
    GradeBand("excellent", 90.0),
    GradeBand("good", 80.0),
    GradeBand("satisfactory", 60.0),
    GradeBand("needs_improvement", 0.0),
)


def validate_grade_bands(bands: Sequence[GradeBand]) -> list[str]:
    """Check configured grade bands; return English error messages, empty when valid."""
    if not bands:
        return ["At least one grade band is needed."]
    errors: list[str] = []
    codes = [band.code for band in bands]
    if len(set(codes)) != len(codes) or not all(codes):
        errors.append("Each grade band needs its own non-empty code.")
    minimums = [band.min_score for band in bands]
    if not all(_is_number(m) and 0 <= m <= 100 for m in minimums):
        errors.append("Each grade band's minimum score must be between 0 and 100.")
    elif len(set(minimums)) != len(minimums):
        errors.append("Two grade bands have the same minimum score.")
    elif min(minimums) != 0:
        errors.append("One grade band must start at 0 so that every score gets a grade.")
    return errors


def grade(score: float | None, bands: Sequence[GradeBand] = DEFAULT_GRADE_BANDS) -> str | None:
    """The code of the best band whose minimum the score reaches; None for insufficient data.

    Band edges belong to the higher grade (90 is excellent). Grade the score you publish: if it
    is shown rounded, pass the rounded score so that the page never contradicts itself.
    """
    errors = validate_grade_bands(bands)
    if errors:
        raise ValueError(" ".join(errors))
    if score is None:
        return None
    for band in sorted(bands, key=lambda b: b.min_score, reverse=True):
        if score >= band.min_score:
            return band.code
    return sorted(bands, key=lambda b: b.min_score)[0].code


# ---------------------------------------------------------------- vertical comparison


@dataclass(frozen=True)
class Change:
    """A unit's current score against a reference from its own past."""

    reference: float
    difference: float
    standard_error: float | None
    is_significant: bool | None  # None when an interval is missing
    cycles: int


@dataclass(frozen=True)
class VerticalComparison:
    """A unit compared with itself: against the previous cycle and its recent average."""

    current: Estimate
    against_previous: Change | None
    against_average: Change | None


def _standard_error(estimate: Estimate, confidence: float) -> float | None:
    if estimate.lower is None or estimate.upper is None:
        return None
    return standard_error_from_interval(estimate.lower, estimate.upper, confidence)


def _change(current: Estimate, past: Sequence[Estimate], confidence: float) -> Change | None:
    """Change against the mean of ``past`` (estimates that have values), with its z-test."""
    if current.value is None or not past:
        return None
    reference = math.fsum(e.value or 0.0 for e in past) / len(past)
    difference = current.value - reference
    standard_errors = [_standard_error(e, confidence) for e in (current, *past)]
    if any(se is None for se in standard_errors):
        return Change(reference, difference, None, None, len(past))
    current_se, *past_se = (se or 0.0 for se in standard_errors)
    reference_se = math.sqrt(math.fsum(se * se for se in past_se)) / len(past)
    se = math.sqrt(current_se**2 + reference_se**2)
    significant = is_difference_significant(difference, se, confidence)
    return Change(reference, difference, se, significant, len(past))


def vertical_comparison(
    current: Estimate,
    history: Sequence[Estimate],
    *,
    window: int = 4,
    confidence: float = 0.95,
) -> VerticalComparison:
    """Compare a unit's score with its previous cycle and with its average of recent cycles.

    ``history`` holds the earlier cycles, oldest first, without the current one. The average is
    over those of the last ``window`` earlier cycles that have a value. Rule: a change is
    significant when a two-sided z-test at ``confidence`` rejects "no change", using standard
    errors taken from the interval half-widths (``(upper - lower) / (2 z)``; for an average of k
    cycles ``sqrt(sum of se²) / k``). This is less strict than "the intervals do not overlap",
    which would miss real changes. Without intervals significance is None (cannot tell).
    """
    previous = history[-1:] if history and history[-1].value is not None else []
    recent = [e for e in history[-window:] if e.value is not None] if window > 0 else []
    return VerticalComparison(
        current=current,
        against_previous=_change(current, previous, confidence),
        against_average=_change(current, recent, confidence),
    )


# ---------------------------------------------------------------- divergence alert


@dataclass(frozen=True)
class DivergenceAlert:
    """Internal evaluations against citizen ratings; an alert when insiders are far kinder."""

    internal: float | None
    citizen: float | None
    gap: float | None
    margin: float
    is_alert: bool


def divergence_alert(
    internal: float | None, citizen: float | None, *, margin: float = 15.0
) -> DivergenceAlert:
    """Alert when the internal score exceeds the citizens' score by more than ``margin`` points.

    Only this direction raises an alert: insiders rating a unit far above the people it serves
    is the sign of a cosy evaluation. Missing either score gives no alert and no gap.
    """
    if internal is None or citizen is None:
        return DivergenceAlert(internal, citizen, None, margin, is_alert=False)
    gap = internal - citizen
    return DivergenceAlert(internal, citizen, gap, margin, is_alert=gap > margin)


# ---------------------------------------------------------------- sensitivity


@dataclass(frozen=True)
class SensitivityCase:
    """The total and grade when one top-level weight is moved by ``relative_change``."""

    key: str
    relative_change: float
    weight_before: float
    weight_after: float
    total: float | None
    grade: str | None
    total_change: float | None
    is_grade_changed: bool


@dataclass(frozen=True)
class SensitivityReport:
    """The tree's total and grade, and how they move with each top-level weight."""

    total: float | None
    grade: str | None
    cases: tuple[SensitivityCase, ...]


def _shifted_shares(shares: Sequence[float], index: int, factor: float) -> list[float]:
    moved = min(1.0, shares[index] * factor)
    rest = 1.0 - shares[index]
    scale = (1.0 - moved) / rest if rest > 0 else 0.0
    return [moved if i == index else s * scale for i, s in enumerate(shares)]


def _sensitivity_case(
    root: Category, base: NodeResult, index: int, change: float, bands: Sequence[GradeBand]
) -> SensitivityCase:
    shares = normalise_weights([child.weight for child in root.children])
    new_shares = _shifted_shares(shares, index, 1 + change)
    children = tuple(replace(c, weight=w) for c, w in zip(root.children, new_shares, strict=True))
    total = compose_tree(replace(root, children=children)).score
    new_grade = grade(total, bands)
    return SensitivityCase(
        key=root.children[index].key,
        relative_change=change,
        weight_before=shares[index],
        weight_after=new_shares[index],
        total=total,
        grade=new_grade,
        total_change=None if total is None or base.score is None else total - base.score,
        is_grade_changed=new_grade != grade(base.score, bands),
    )


def sensitivity(
    root: Category,
    *,
    relative_change: float = 0.10,
    bands: Sequence[GradeBand] = DEFAULT_GRADE_BANDS,
) -> SensitivityReport:
    """How the total and grade change when each top-level weight moves up and down.

    Each top-level share is multiplied by ``1 ± relative_change`` (30% becomes 33% and 27%)
    and the other top-level shares are rescaled to fill the rest, keeping their proportions.
    Insufficient branches are then handled as in ``compose_tree``.
    """
    if not 0 < relative_change < 1:
        raise ValueError("relative_change must be between 0 and 1")
    base = compose_tree(root)
    cases = tuple(
        _sensitivity_case(root, base, index, change, bands)
        for index in range(len(root.children))
        for change in (relative_change, -relative_change)
    )
    return SensitivityReport(base.score, grade(base.score, bands), cases)


# ---------------------------------------------------------------- feedback


@dataclass(frozen=True)
class IndicatorOutcome:
    """An indicator's definition and result in a cycle, as input to feedback."""

    key: str
    name: str
    definition: str
    direction: str
    value: float | None
    score: float | None
    criteria: Mapping[str, Any]
    target: float | None = None


@dataclass(frozen=True)
class FeedbackItem:
    """One feedback line: a message id and parameters for the UI to translate."""

    indicator: str
    score: float | None
    target_gap: float | None
    message_id: str
    params: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The item as JSON-ready plain data."""
        return {
            "indicator": self.indicator,
            "score": self.score,
            "target_gap": self.target_gap,
            "message_id": self.message_id,
            "params": dict(self.params),
        }


@dataclass(frozen=True)
class Feedback:
    """Feedback for a unit: strengths, weaknesses and suggestions."""

    strengths: tuple[FeedbackItem, ...]
    weaknesses: tuple[FeedbackItem, ...]
    suggestions: tuple[FeedbackItem, ...]

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        """The feedback as JSON-ready plain data."""
        return {
            "strengths": [item.to_dict() for item in self.strengths],
            "weaknesses": [item.to_dict() for item in self.weaknesses],
            "suggestions": [item.to_dict() for item in self.suggestions],
        }


def _target(outcome: IndicatorOutcome) -> float | None:
    """The indicator's target, else the one its criteria imply (linear target, best band)."""
    if outcome.target is not None:
        return outcome.target
    criteria = outcome.criteria
    if criteria.get("kind") == "linear":
        return float(criteria["target"])
    if criteria.get("kind") == "bands":
        top_score = max(score for _, score in criteria["bands"])
        reaching = [threshold for threshold, score in criteria["bands"] if score == top_score]
        return float(min(reaching) if outcome.direction == "higher" else max(reaching))
    return None


def target_gap(outcome: IndicatorOutcome) -> float | None:
    """How far the value is beyond its target, positive when better, in the value's units."""
    target = _target(outcome)
    if outcome.value is None or target is None:
        return None
    gap = outcome.value - target
    return gap if outcome.direction == "higher" else -gap


def _next_band(outcome: IndicatorOutcome) -> tuple[float, float] | None:
    """The nearest band that would score more than now: (threshold, score)."""
    if outcome.value is None or outcome.score is None:
        return None
    value, is_higher = outcome.value, outcome.direction == "higher"
    better = [
        (t, s)
        for t, s in outcome.criteria["bands"]
        if s > outcome.score and (t > value if is_higher else t < value)
    ]
    if not better:
        return None
    return min(better, key=lambda band: (abs(band[0] - value), -band[1]))


def _suggestion(outcome: IndicatorOutcome) -> FeedbackItem:
    params: dict[str, Any] = {"name": outcome.name, "definition": outcome.definition}
    gap = target_gap(outcome)
    kind = outcome.criteria.get("kind")
    message_id = "feedback.suggestion.improve_score"
    if outcome.score is None:
        message_id = "feedback.suggestion.collect_data"
    elif kind == "linear":
        message_id = "feedback.suggestion.reach_target"
        criteria = outcome.criteria
        params |= {"value": outcome.value, "target": _target(outcome)}
        params |= {"step": criteria["step"], "per": criteria["per"]}
        params["points_to_gain"] = 100 - outcome.score
    elif kind == "bands" and (band := _next_band(outcome)) is not None:
        message_id = "feedback.suggestion.next_band"
        params |= {"value": outcome.value, "next_threshold": band[0], "next_score": band[1]}
    else:
        params |= {"score": outcome.score, "target": _target(outcome)}
    return FeedbackItem(outcome.key, outcome.score, gap, message_id, params)


def _remark(outcome: IndicatorOutcome, message_id: str) -> FeedbackItem:
    gap = target_gap(outcome)
    params = {
        "name": outcome.name,
        "score": outcome.score,
        "value": outcome.value,
        "target": _target(outcome),
        "target_gap": gap,
    }
    return FeedbackItem(outcome.key, outcome.score, gap, message_id, params)


def build_feedback(
    outcomes: Sequence[IndicatorOutcome],
    *,
    limit: int = 3,
    strength_min: float = 90.0,
    weakness_below: float = 80.0,
) -> Feedback:
    """Strengths, weaknesses and suggestions for a unit, as message ids with parameters.

    Strengths: up to ``limit`` indicators scoring at least ``strength_min``, best first.
    Weaknesses: up to ``limit`` indicators scoring below ``weakness_below``, worst first.
    Suggestions: one per weakness, built from the indicator's name, definition and criteria
    (the value to reach for linear criteria, the next band for band criteria), then one per
    indicator without enough data. Ties are broken by key so the output is stable.

    Message ids and their params, for the UI to translate:
    ``feedback.strength`` / ``feedback.weakness``: name, score, value, target, target_gap;
    ``feedback.suggestion.reach_target``: name, definition, value, target, step, per,
    points_to_gain; ``feedback.suggestion.next_band``: name, definition, value,
    next_threshold, next_score; ``feedback.suggestion.improve_score``: name, definition,
    score, target; ``feedback.suggestion.collect_data``: name, definition.
    """
    for outcome in outcomes:
        errors = validate_criteria(outcome.criteria, outcome.direction)
        if errors or outcome.direction not in DIRECTIONS:
            raise ValueError(f"indicator {outcome.key!r}: {' '.join(errors) or 'bad direction'}")
    scored = [o for o in outcomes if o.score is not None]
    best = sorted(scored, key=lambda o: (-(o.score or 0.0), o.key))
    worst = sorted(scored, key=lambda o: (o.score or 0.0, o.key))
    strengths = [o for o in best if (o.score or 0.0) >= strength_min][:limit]
    weaknesses = [o for o in worst if (o.score or 0.0) < weakness_below][:limit]
    insufficient = sorted((o for o in outcomes if o.score is None), key=lambda o: o.key)
    return Feedback(
        strengths=tuple(_remark(o, "feedback.strength") for o in strengths),
        weaknesses=tuple(_remark(o, "feedback.weakness") for o in weaknesses),
        suggestions=tuple(_suggestion(o) for o in (*weaknesses, *insufficient)),
    )
