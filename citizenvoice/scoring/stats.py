"""Statistics of the scoring core: satisfaction index, internal evaluations, funnel plots.

Plain data in, plain data out: nothing here imports Flask or the database. Scores are on 0-100.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from statistics import NormalDist
from types import MappingProxyType

#: The five answer levels of the satisfaction question, best first, and the points each is worth.
LEVEL_POINTS: Mapping[str, int] = MappingProxyType(
    {
        "very_satisfied": 100,
        "satisfied": 75,
        "basically_satisfied": 50,
        "dissatisfied": 25,
        "very_dissatisfied": 0,
    }
)
SATISFACTION_LEVELS: tuple[str, ...] = tuple(LEVEL_POINTS)
DEFAULT_MIN_SAMPLE = 30


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile for a confidence level (0.95 -> 1.96, 0.998 -> 3.09)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def clamp_score(value: float) -> float:
    """Clamp a number into the score range [0, 100]."""
    return min(100.0, max(0.0, float(value)))


@dataclass(frozen=True)
class Estimate:
    """A score with an optional interval, all on 0-100; ``value`` None means insufficient data."""

    value: float | None
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True)
class SatisfactionIndex:
    """The citizen satisfaction index of some ratings; ``value`` is None below the min sample."""

    value: float | None
    lower: float | None
    upper: float | None
    n: int
    counts: Mapping[str, int]
    min_sample: int
    confidence: float

    @property
    def is_sufficient(self) -> bool:
        """True when enough ratings were given to publish a value."""
        return self.value is not None

    def as_estimate(self) -> Estimate:
        """The index as a plain estimate, for comparisons."""
        return Estimate(self.value, self.lower, self.upper)


def _check_levels(levels: Iterable[object]) -> None:
    unknown = sorted(map(str, set(levels) - set(SATISFACTION_LEVELS)))
    if unknown:
        raise ValueError(f"unknown satisfaction levels: {', '.join(unknown)}")


def count_levels(answers: Iterable[str]) -> dict[str, int]:
    """Count individual satisfaction answers by level; unknown levels raise ValueError."""
    counts = Counter(answers)
    _check_levels(counts)
    return {level: counts.get(level, 0) for level in SATISFACTION_LEVELS}


def wilson_interval(proportion: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion in [0, 1] observed over ``n`` trials.

    The bounds are nudged to contain ``proportion`` itself so that floating-point rounding at
    0 and 1 can never leave the point estimate outside its own interval.
    """
    if n < 1:
        raise ValueError("the Wilson interval needs at least one observation")
    if not 0 <= proportion <= 1:
        raise ValueError(f"proportion must be within [0, 1], got {proportion!r}")
    z = z_value(confidence)
    z2n = z * z / n
    centre = (proportion + z2n / 2) / (1 + z2n)
    half = z * math.sqrt(proportion * (1 - proportion) / n + z2n / (4 * n)) / (1 + z2n)
    lower = max(0.0, min(proportion, centre - half))
    upper = min(1.0, max(proportion, centre + half))
    return lower, upper


def satisfaction_index(
    counts: Mapping[str, int],
    *,
    min_sample: int = DEFAULT_MIN_SAMPLE,
    confidence: float = 0.95,
) -> SatisfactionIndex:
    """Satisfaction index 0-100 from counts per level, with a Wilson score interval.

    The index is the mean of the level points (100/75/50/25/0). The interval is the Wilson score
    interval of that mean rescaled to [0, 1], treating ``n`` as the number of ratings. Why Wilson:
    the textbook normal interval has zero width when every rating is 100 (or 0) and spills outside
    [0, 100] at small n; Wilson stays within range and keeps a sensible width at the extremes.

    Limits: it treats each rating as a success/failure trial with probability p = mean / 100. A
    five-level answer with that mean has a variance of at most p(1 - p), so the interval is
    conservative (wider than needed) when answers gather on the middle levels. It assumes
    independent ratings (repeat raters make it too narrow, which is why flagged ratings are left
    out before this point) and it says nothing about who chose not to rate.

    Below ``min_sample`` ratings the result is insufficient data: value, lower and upper are None.
    """
    if min_sample < 1:
        raise ValueError("min_sample must be at least 1")
    _check_levels(counts)
    full = {level: counts.get(level, 0) for level in SATISFACTION_LEVELS}
    if any(not isinstance(c, int) or isinstance(c, bool) or c < 0 for c in full.values()):
        raise ValueError("level counts must be non-negative integers")
    n = sum(full.values())
    frozen_counts = MappingProxyType(full)
    if n < min_sample:
        return SatisfactionIndex(None, None, None, n, frozen_counts, min_sample, confidence)
    mean = math.fsum(LEVEL_POINTS[level] * count for level, count in full.items()) / n
    low, high = wilson_interval(mean / 100, n, confidence)
    lower = clamp_score(min(low * 100, mean))
    upper = clamp_score(max(high * 100, mean))
    return SatisfactionIndex(mean, lower, upper, n, frozen_counts, min_sample, confidence)


def standard_error_from_interval(lower: float, upper: float, confidence: float = 0.95) -> float:
    """Approximate standard error from an interval: half its width over the normal quantile."""
    if upper < lower:
        raise ValueError("the interval's upper bound is below its lower bound")
    return (upper - lower) / (2 * z_value(confidence))


def is_difference_significant(
    difference: float, standard_error: float, confidence: float = 0.95
) -> bool:
    """Two-sided z-test: is ``difference`` beyond ``z * standard_error``?

    With a standard error of zero any non-zero difference is significant.
    """
    if standard_error < 0:
        raise ValueError("standard error must not be negative")
    return abs(difference) > z_value(confidence) * standard_error


# ---------------------------------------------------------------- internal evaluations


@dataclass(frozen=True)
class SubjectScore:
    """The mean score an evaluation subject's evaluators gave, and its weight once combined."""

    subject: str
    value: float | None
    evaluators: int
    is_trimmed: bool
    weight: float = 0.0
    effective_weight: float = 0.0


@dataclass(frozen=True)
class InternalEvaluation:
    """Internal evaluations combined across evaluation subjects; value None when none scored."""

    value: float | None
    subjects: tuple[SubjectScore, ...]
    missing_subjects: tuple[str, ...]
    evaluators: int


def _check_evaluator_scores(scores: Sequence[float]) -> None:
    for score in scores:
        if not math.isfinite(score) or not 0 <= score <= 100:
            raise ValueError(f"evaluator scores must be within [0, 100], got {score!r}")


def subject_score(subject: str, scores: Sequence[float], *, trim_from: int = 5) -> SubjectScore:
    """Mean of one subject's evaluator scores, trimmed when there are ``trim_from`` or more.

    Trimming drops the single highest and the single lowest score, so that one evaluator who is
    very generous or very harsh cannot move the result alone. With fewer evaluators all count.
    """
    if trim_from < 3:
        raise ValueError("trim_from must be at least 3 so that a trimmed mean keeps a score")
    _check_evaluator_scores(scores)
    if not scores:
        return SubjectScore(subject, None, 0, is_trimmed=False)
    ordered = sorted(scores)
    is_trimmed = len(ordered) >= trim_from
    kept = ordered[1:-1] if is_trimmed else ordered
    return SubjectScore(subject, math.fsum(kept) / len(kept), len(ordered), is_trimmed)


def combine_internal_evaluations(
    scores_by_subject: Mapping[str, Sequence[float]],
    weights: Mapping[str, float],
    *,
    trim_from: int = 5,
) -> InternalEvaluation:
    """Combine evaluation subjects' (trimmed) means by the subjects' weights.

    ``weights`` (any non-negative numbers, e.g. percentages) name every subject that should
    evaluate. Weights are renormalised over the subjects that have scores; subjects without scores
    are listed in ``missing_subjects``. Scores for a subject without a weight raise ValueError.
    """
    unknown = sorted(set(scores_by_subject) - set(weights))
    if unknown:
        raise ValueError(f"scores given for subjects without a weight: {', '.join(unknown)}")
    for subject, weight in weights.items():
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f"weight of {subject!r} must be a non-negative number")
    subjects = [
        replace(subject_score(s, scores_by_subject.get(s, ()), trim_from=trim_from), weight=w)
        for s, w in sorted(weights.items())
    ]
    total_weight = math.fsum(s.weight for s in subjects if s.value is not None)
    value = None
    if total_weight > 0:
        subjects = [
            replace(s, effective_weight=s.weight / total_weight) if s.value is not None else s
            for s in subjects
        ]
        value = clamp_score(math.fsum(s.effective_weight * (s.value or 0.0) for s in subjects))
    return InternalEvaluation(
        value=value,
        subjects=tuple(subjects),
        missing_subjects=tuple(s.subject for s in subjects if s.value is None),
        evaluators=sum(s.evaluators for s in subjects),
    )


# ---------------------------------------------------------------- funnel plot

Z_95 = z_value(0.95)
Z_998 = z_value(0.998)


@dataclass(frozen=True)
class FunnelUnit:
    """A unit's value (0-100) and the number of ratings behind it, as input to a funnel plot."""

    key: str
    value: float | None
    n: int


@dataclass(frozen=True)
class FunnelLimits:
    """Control limits around the overall mean for a sample of size ``n``."""

    n: int
    lower_95: float
    upper_95: float
    lower_998: float
    upper_998: float


@dataclass(frozen=True)
class FunnelPoint:
    """A unit on the funnel plot: within, above or below the limits for its own n (no rank)."""

    key: str
    value: float | None
    n: int
    limits: FunnelLimits | None
    #: against the 95% limits: "within", "above", "below" or "insufficient"
    classification: str
    #: the same against the 99.8% limits
    outer_classification: str


@dataclass(frozen=True)
class FunnelPlot:
    """Everything a funnel chart needs: the mean, the units and the limit curves."""

    mean: float | None
    points: tuple[FunnelPoint, ...]
    curve: tuple[FunnelLimits, ...]


def funnel_limits(mean: float, n: int, *, sd: float | None = None) -> FunnelLimits:
    """95% and 99.8% control limits, ``mean ± z * sd / sqrt(n)``, clamped to [0, 100].

    Without ``sd`` (the spread of single ratings, in points) the binomial bound
    ``100 * sqrt(p (1 - p))`` with ``p = mean / 100`` is used: the largest spread a 0-100 rating
    with that mean can have, so the limits are on the wide, cautious side.
    """
    if n < 1:
        raise ValueError("funnel limits need n of at least 1")
    if sd is None:
        p = clamp_score(mean) / 100
        sd = 100 * math.sqrt(p * (1 - p))
    se = sd / math.sqrt(n)
    return FunnelLimits(
        n=n,
        lower_95=clamp_score(mean - Z_95 * se),
        upper_95=clamp_score(mean + Z_95 * se),
        lower_998=clamp_score(mean - Z_998 * se),
        upper_998=clamp_score(mean + Z_998 * se),
    )


def _classify(value: float, lower: float, upper: float) -> str:
    if value > upper:
        return "above"
    if value < lower:
        return "below"
    return "within"


def _funnel_point(unit: FunnelUnit, mean: float | None, sd: float | None) -> FunnelPoint:
    if mean is None or unit.value is None or unit.n < 1:
        return FunnelPoint(unit.key, unit.value, unit.n, None, "insufficient", "insufficient")
    limits = funnel_limits(mean, unit.n, sd=sd)
    return FunnelPoint(
        unit.key,
        unit.value,
        unit.n,
        limits,
        _classify(unit.value, limits.lower_95, limits.upper_95),
        _classify(unit.value, limits.lower_998, limits.upper_998),
    )


def _curve_sizes(n_min: int, n_max: int, points: int) -> list[int]:
    """Sample sizes spread evenly on a log scale from n_min to n_max, for drawing the funnel."""
    if n_min == n_max or points < 2:
        return [n_min, n_max] if n_min != n_max else [n_min]
    ratio = math.log(n_max / n_min) / (points - 1)
    return sorted({round(n_min * math.exp(ratio * i)) for i in range(points)} | {n_min, n_max})


def funnel_plot(
    units: Sequence[FunnelUnit],
    *,
    mean: float | None = None,
    sd: float | None = None,
    curve_points: int = 40,
) -> FunnelPlot:
    """Funnel plot data comparing units with the overall mean, without ranking them.

    The mean defaults to the rating-weighted mean of the units that have a value and n >= 1.
    Each unit is classified against limits for its own n, so a small unit is not called out for
    noise. Points come back sorted by key, never by value: this is not a league table.
    """
    usable = [u for u in units if u.value is not None and u.n >= 1]
    if mean is None and usable:
        mean = math.fsum(u.n * (u.value or 0.0) for u in usable) / sum(u.n for u in usable)
    points = tuple(_funnel_point(unit, mean, sd) for unit in sorted(units, key=lambda u: u.key))
    curve: tuple[FunnelLimits, ...] = ()
    if mean is not None and usable:
        sizes = _curve_sizes(min(u.n for u in usable), max(u.n for u in usable), curve_points)
        curve = tuple(funnel_limits(mean, size, sd=sd) for size in sizes)
    return FunnelPlot(mean, points, curve)
