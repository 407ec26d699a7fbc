"""Process monitoring: a citizen-rated indicator's progress toward its target during a cycle.

Pure: plain data in, plain data out. The value so far is the satisfaction index of the counted
ratings from the cycle start to today. The projection assumes ratings keep arriving at the rate
seen so far and that the weekly index keeps its recent linear trend (a least-squares line
through the weekly indexes, weighted by their number of ratings); the projected value at the
cycle end is the index of everything so far plus the projected remainder.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from citizenvoice.scoring.stats import (
    DEFAULT_MIN_SAMPLE,
    LEVEL_POINTS,
    SATISFACTION_LEVELS,
    clamp_score,
    satisfaction_index,
)

ON_TRACK = "on_track"
AT_RISK = "at_risk"
BELOW = "below"
INSUFFICIENT = "insufficient"
NO_TARGET = "no_target"

_POINTS = tuple(LEVEL_POINTS[level] for level in SATISFACTION_LEVELS)


@dataclass(frozen=True)
class Week:
    start: date
    n: int
    #: the index of the week's own ratings (None without ratings)
    index: float | None
    #: the index of every rating from the cycle start to the week's end
    cumulative: float | None


@dataclass(frozen=True)
class Progress:
    n: int
    value: float | None
    lower: float | None
    upper: float | None
    target: float | None
    #: share of the cycle's days elapsed, 0..1
    elapsed: float
    projected_n: int | None
    projected_value: float | None
    status: str
    weeks: tuple[Week, ...]


def _mean(levels: Sequence[int]) -> float | None:
    n = sum(levels)
    if not n:
        return None
    return math.fsum(p * c for p, c in zip(_POINTS, levels, strict=True)) / n


def weekly(days: Sequence[tuple[date, Sequence[int]]], start: date, today: date) -> list[Week]:
    """Weeks from ``start`` to ``today`` with their own and cumulative index."""
    if today < start:
        return []
    count = (today - start).days // 7 + 1
    buckets = [[0] * 5 for _ in range(count)]
    for day, levels in days:
        if start <= day <= today:
            bucket = buckets[(day - start).days // 7]
            for i, c in enumerate(levels):
                bucket[i] += int(c)
    weeks, running = [], [0] * 5
    for i, bucket in enumerate(buckets):
        running = [a + b for a, b in zip(running, bucket, strict=True)]
        weeks.append(
            Week(start + timedelta(days=7 * i), sum(bucket), _mean(bucket), _mean(running))
        )
    return weeks


def _trend(weeks: Sequence[Week]) -> tuple[float, float] | None:
    """Weighted least squares (intercept, slope per week) of the weekly indexes."""
    pts = [(float(i), w.index, w.n) for i, w in enumerate(weeks) if w.index is not None]
    total = sum(n for _, _, n in pts)
    if len(pts) < 2 or not total:
        return None
    mx = sum(x * n for x, _, n in pts) / total
    my = sum((y or 0.0) * n for _, y, n in pts) / total
    sxx = sum(n * (x - mx) ** 2 for x, _, n in pts)
    if sxx == 0:
        return None
    slope = sum(n * (x - mx) * ((y or 0.0) - my) for x, y, n in pts) / sxx
    return my - slope * mx, slope


def _status(
    value: float | None,
    upper: float | None,
    projected: float | None,
    target: float | None,
    higher_is_better: bool,
) -> str:
    if target is None:
        return NO_TARGET
    if value is None:
        return INSUFFICIENT
    sign = 1 if higher_is_better else -1
    if upper is not None and higher_is_better and upper < target:
        return BELOW
    if projected is not None and sign * (projected - target) < 0:
        return AT_RISK
    if sign * (value - target) < 0:
        return AT_RISK
    return ON_TRACK


def project(
    days: Sequence[tuple[date, Sequence[int]]],
    period_start: date,
    period_end: date,
    today: date,
    target: float | None,
    *,
    higher_is_better: bool = True,
    min_sample: int = DEFAULT_MIN_SAMPLE,
) -> Progress:
    """Progress so far and the projection to ``period_end`` (see the module docstring)."""
    if period_end < period_start:
        raise ValueError("the period ends before it starts")
    last = min(max(today, period_start), period_end)
    used = [(d, lv) for d, lv in days if period_start <= d <= last]
    levels = [0] * 5
    for _day, counts in used:
        levels = [a + int(b) for a, b in zip(levels, counts, strict=True)]
    index = satisfaction_index(
        dict(zip(SATISFACTION_LEVELS, levels, strict=True)), min_sample=min_sample
    )
    total_days = (period_end - period_start).days + 1
    elapsed_days = (last - period_start).days + 1 if today >= period_start else 0
    elapsed = elapsed_days / total_days
    weeks = weekly(used, period_start, last) if today >= period_start else []
    projected_n: int | None = None
    projected: float | None = None
    if index.value is not None and elapsed_days:
        rate = index.n / elapsed_days
        remaining = total_days - elapsed_days
        future_n = rate * remaining
        projected_n = round(index.n + future_n)
        trend = _trend(weeks)
        future_index = index.value
        if trend is not None and remaining:
            intercept, slope = trend
            mid_week = (len(weeks) - 1) + (remaining / 7) / 2
            future_index = clamp_score(intercept + slope * mid_week)
        projected = clamp_score(
            (index.value * index.n + future_index * future_n) / (index.n + future_n)
        )
    status = _status(index.value, index.upper, projected, target, higher_is_better)
    return Progress(
        n=index.n,
        value=index.value,
        lower=index.lower,
        upper=index.upper,
        target=target,
        elapsed=elapsed,
        projected_n=projected_n,
        projected_value=projected,
        status=status,
        weeks=tuple(weeks),
    )
