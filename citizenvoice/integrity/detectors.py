"""Shared vocabulary and statistics of the integrity detectors.

The detectors are pure: plain data in, plain data out, no Flask and no database.

- :mod:`citizenvoice.integrity.detectors_ratings` looks at citizens' ratings and returns
  :class:`Finding` records;
- :mod:`citizenvoice.integrity.detectors_figures` looks at self-reported figures and returns
  :class:`FigureFinding` records.

A finding never says "fraud": it names a pattern, the records involved, the statistic behind it
and a message id with parameters that the template layer translates. People decide.

The tail probabilities below are written with the standard library only: the regularised
incomplete gamma function (series for small ``x``, Lentz's continued fraction for large ``x``)
gives both the chi-square survival function and the Poisson upper tail.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

#: A translation parameter: the template layer formats numbers itself.
ParamValue = str | int | float

_EPSILON = 1e-15
_TINY = 1e-300
_MAX_ITERATIONS = 10_000


class FindingKind(enum.StrEnum):
    """What a detector saw; the value is the stable code stored with a flag."""

    BURST = "burst"
    DEVICE_CLUSTER = "device_cluster"
    IP_CLUSTER = "ip_cluster"
    OFF_HOURS = "off_hours"
    TOO_FAST = "too_fast"
    DISTRIBUTION_SHIFT = "distribution_shift"
    COPIED_COMMENT = "copied_comment"
    IDENTICAL_BURST = "identical_burst"
    FIGURE_JUMP = "figure_jump"
    ROUND_HEAPING = "round_heaping"
    BENFORD_FIRST_DIGIT = "benford_first_digit"
    BENFORD_SECOND_DIGIT = "benford_second_digit"
    SCORE_DIVERGENCE = "score_divergence"

    @property
    def message_id(self) -> str:
        """The id of the human-readable explanation, e.g. ``integrity.finding.burst``."""
        return f"integrity.finding.{self.value}"


@dataclass(frozen=True)
class Finding:
    """A pattern among the ratings of one service point.

    ``rating_ids`` are the ratings involved (sorted); ``statistic`` is the detector's main figure
    (a count, a distance…) and ``p_value`` its tail probability where the detector has one.
    """

    kind: FindingKind
    point_id: int
    rating_ids: tuple[int, ...]
    window_start: datetime
    window_end: datetime
    statistic: float
    p_value: float | None
    params: Mapping[str, ParamValue] = field(default_factory=dict)

    @property
    def message_id(self) -> str:
        """The id of the explanation to show a manager."""
        return self.kind.message_id

    def sort_key(self) -> tuple[str, int, datetime, tuple[int, ...]]:
        """A total order so that a batch's findings come out the same whatever its input order."""
        return (self.kind.value, self.point_id, self.window_start, self.rating_ids)


@dataclass(frozen=True)
class FigureFinding:
    """A pattern among self-reported figures.

    ``unit_id``, ``indicator_id`` or ``period`` is ``None`` when the examined set spans units,
    indicators or periods.
    """

    kind: FindingKind
    unit_id: int | None
    indicator_id: int | None
    figure_ids: tuple[int, ...]
    statistic: float
    p_value: float | None
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    period: date | None = None

    @property
    def message_id(self) -> str:
        """The id of the explanation to show a manager."""
        return self.kind.message_id

    def sort_key(self) -> tuple[str, int, int, date, tuple[int, ...], str]:
        """A total order; ``None`` sorts first."""
        unit = -1 if self.unit_id is None else self.unit_id
        indicator = -1 if self.indicator_id is None else self.indicator_id
        period = self.period or date.min
        params = repr(sorted(self.params.items()))
        return (self.kind.value, unit, indicator, period, self.figure_ids, params)


def regularized_gamma_p(a: float, x: float) -> float:
    """Lower regularised incomplete gamma function P(a, x) for a > 0, x >= 0."""
    _check_gamma_arguments(a, x)
    if x == 0.0:
        return 0.0
    if x < a + 1.0:
        return _gamma_series(a, x)
    return 1.0 - _gamma_continued_fraction(a, x)


def regularized_gamma_q(a: float, x: float) -> float:
    """Upper regularised incomplete gamma function Q(a, x) = 1 - P(a, x), accurate in the tail."""
    _check_gamma_arguments(a, x)
    if x == 0.0:
        return 1.0
    if x < a + 1.0:
        return 1.0 - _gamma_series(a, x)
    return _gamma_continued_fraction(a, x)


def chi_square_sf(statistic: float, df: int) -> float:
    """P(X >= statistic) for X chi-square distributed with ``df`` degrees of freedom."""
    if df < 1:
        raise ValueError("a chi-square distribution needs at least one degree of freedom")
    if statistic <= 0.0:
        return 1.0
    return regularized_gamma_q(df / 2.0, statistic / 2.0)


def poisson_sf(count: int, mean: float) -> float:
    """P(X >= count) for X Poisson distributed with the given mean."""
    if mean < 0.0:
        raise ValueError("a Poisson mean cannot be negative")
    if count <= 0:
        return 1.0
    if mean == 0.0:
        return 0.0
    # P(X >= k) = P(k, mean): the waiting time for the k-th event is gamma distributed.
    return regularized_gamma_p(float(count), mean)


def binomial_sf(successes: int, trials: int, probability: float) -> float:
    """P(X >= successes) for X binomially distributed (exact sum of the upper tail)."""
    if not 0.0 <= probability <= 1.0:
        raise ValueError("a probability lies between 0 and 1")
    if successes <= 0:
        return 1.0
    if successes > trials:
        return 0.0
    if probability == 0.0:
        return 0.0
    if probability == 1.0:
        return 1.0
    log_p, log_q = math.log(probability), math.log1p(-probability)
    log_terms = [
        math.lgamma(trials + 1)
        - math.lgamma(k + 1)
        - math.lgamma(trials - k + 1)
        + k * log_p
        + (trials - k) * log_q
        for k in range(successes, trials + 1)
    ]
    peak = max(log_terms)
    total = sum(math.exp(term - peak) for term in log_terms)
    return min(1.0, math.exp(peak) * total)


def chi_square_statistic(observed: list[float], expected: list[float]) -> float:
    """Pearson's statistic over the cells with a positive expectation."""
    return sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True) if e > 0)


def _check_gamma_arguments(a: float, x: float) -> None:
    if a <= 0.0 or x < 0.0 or math.isnan(a) or math.isnan(x):
        raise ValueError("the incomplete gamma function needs a > 0 and x >= 0")


def _gamma_prefactor(a: float, x: float) -> float:
    """x^a e^-x / Gamma(a), computed in logarithms to survive large arguments."""
    return math.exp(a * math.log(x) - x - math.lgamma(a))


def _gamma_series(a: float, x: float) -> float:
    """P(a, x) by its power series; converges quickly for x < a + 1."""
    term = 1.0 / a
    total = term
    denominator = a
    for _ in range(_MAX_ITERATIONS):
        denominator += 1.0
        term *= x / denominator
        total += term
        if abs(term) < abs(total) * _EPSILON:
            break
    return min(1.0, total * _gamma_prefactor(a, x))


def _gamma_continued_fraction(a: float, x: float) -> float:
    """Q(a, x) by its continued fraction (modified Lentz); converges quickly for x >= a + 1."""
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    fraction = d
    for i in range(1, _MAX_ITERATIONS):
        a_i = -i * (i - a)
        b += 2.0
        d = a_i * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + a_i / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        step = d * c
        fraction *= step
        if abs(step - 1.0) < _EPSILON:
            break
    return min(1.0, fraction * _gamma_prefactor(a, x))
