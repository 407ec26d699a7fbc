"""Detectors of implausible self-reported figures.

Each detector takes plain :class:`FigureValue` records (or :class:`ScoreComparison` records)
and returns :class:`FigureFinding` records in a stable order.

Minimum sample sizes (a test on fewer values says nothing and is not run):

- jumps: 6 earlier values of the same unit and indicator;
- round-number heaping: 30 distinct values (a series repeating one value counts it once) with
  at least two significant digits;
- Benford first digit: 50 positive values spanning at least two orders of magnitude
  (largest / smallest >= 100);
- Benford second digit: 100 positive values with at least two significant digits, spanning at
  least two orders of magnitude;
- score divergence: 30 citizen ratings behind the citizen index.

Benford's law only holds for amounts and counts that span orders of magnitude (cases handled,
budgets, people served), never for percentages or scores: name the amount-like indicators to
:func:`run_figure_detectors`. The values of one test must also be roughly independent: one
indicator across units in one period, or one unit's many line items in one period — not one
quantity repeated over periods, whose values share their digits and would fail any test. The
Benford tests require both a significant chi-square statistic and a mean absolute deviation above
Nigrini's nonconformity bounds (0.015 first digit, 0.012 second digit), so that large samples are
not flagged for trivial deviations.
"""

from __future__ import annotations

import enum
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from statistics import median

from citizenvoice.integrity.detectors import (
    FigureFinding,
    FindingKind,
    binomial_sf,
    chi_square_sf,
    chi_square_statistic,
)

#: Scale factor that turns a median absolute deviation into a normal standard deviation.
MAD_TO_SIGMA = 1.4826

BENFORD_FIRST = tuple(math.log10(1 + 1 / d) for d in range(1, 10))
BENFORD_SECOND = tuple(
    sum(math.log10(1 + 1 / (10 * first + second)) for first in range(1, 10)) for second in range(10)
)


@dataclass(frozen=True)
class FigureValue:
    """One self-reported figure: a unit's value for an indicator in a period."""

    id: int
    unit_id: int
    indicator_id: int
    period: date
    value: float


@dataclass(frozen=True)
class ScoreComparison:
    """A unit's self-reported or internal score beside its citizen rating index (both 0–100)."""

    unit_id: int
    reported_score: float
    citizen_index: float
    citizen_ratings: int
    #: standard error of the citizen index, when known
    citizen_se: float | None = None
    #: where the reported score comes from, e.g. "self" or "internal"
    source: str = "self"


class FigureGrouping(enum.Enum):
    """Which figures one distribution test looks at together."""

    #: all figures of one unit, across indicators and periods
    UNIT = "unit"
    #: all units' figures for one indicator, across periods
    INDICATOR = "indicator"
    #: one unit's figures for one period, across its indicators (its report)
    UNIT_PERIOD = "unit_period"
    #: all units' figures for one indicator in one period
    INDICATOR_PERIOD = "indicator_period"
    #: everything given
    ALL = "all"


_GroupKey = tuple[int | None, int | None, date | None]


@dataclass(frozen=True)
class FigureDetectorConfig:
    """Thresholds of the figure detectors."""

    jump_min_history: int = 6
    jump_lookback: int = 8
    jump_z: float = 6.0
    #: the spread of a history is never taken below this share of its level
    jump_relative_floor: float = 0.02
    heaping_min_values: int = 30
    heaping_alpha: float = 1e-4
    #: the share ending in 0 or 5 must exceed the expected 20% by this much
    heaping_min_excess: float = 0.15
    benford_first_min_values: int = 50
    benford_second_min_values: int = 100
    benford_min_span: float = 100.0
    benford_alpha: float = 1e-3
    benford_first_min_mad: float = 0.015
    benford_second_min_mad: float = 0.012
    divergence_margin: float = 15.0
    divergence_min_ratings: int = 30


DEFAULT_FIGURE_CONFIG = FigureDetectorConfig()


def run_figure_detectors(
    figures: Iterable[FigureValue],
    comparisons: Iterable[ScoreComparison] = (),
    *,
    amount_indicators: Collection[int] = (),
    config: FigureDetectorConfig = DEFAULT_FIGURE_CONFIG,
) -> list[FigureFinding]:
    """Run every figure detector; deterministic and independent of input order.

    Jumps are sought in every series and heaping in each unit's figures; the Benford tests run
    only over the ``amount_indicators``, per indicator and period and per unit and period.
    """
    ordered = _canonical(figures)
    amounts = [f for f in ordered if f.indicator_id in amount_indicators]
    findings = [
        *find_figure_jumps(ordered, config=config),
        *find_round_heaping(ordered, grouping=FigureGrouping.UNIT, config=config),
        *find_benford_deviations(amounts, grouping=FigureGrouping.INDICATOR_PERIOD, config=config),
        *find_benford_deviations(amounts, grouping=FigureGrouping.UNIT_PERIOD, config=config),
        *find_score_divergences(comparisons, config=config),
    ]
    return _sorted(findings)


def find_figure_jumps(
    figures: Iterable[FigureValue], *, config: FigureDetectorConfig = DEFAULT_FIGURE_CONFIG
) -> list[FigureFinding]:
    """Values far from what a unit's own recent history predicts (robust z-score).

    The prediction is a Theil–Sen line through the previous ``jump_lookback`` values, so a
    steady trend is not a jump; see :func:`robust_prediction` for the spread, which is never
    taken below ``jump_relative_floor`` of the predicted level.
    """
    series: dict[tuple[int, int], list[FigureValue]] = defaultdict(list)
    for figure in _canonical(figures):
        series[(figure.unit_id, figure.indicator_id)].append(figure)
    findings = []
    for history in series.values():
        for index in range(config.jump_min_history, len(history)):
            window = history[max(0, index - config.jump_lookback) : index]
            current = history[index]
            prediction, spread = robust_prediction([f.value for f in window])
            spread = max(spread, config.jump_relative_floor * abs(prediction), 1e-9)
            z = (current.value - prediction) / spread
            if abs(z) >= config.jump_z:
                findings.append(
                    FigureFinding(
                        kind=FindingKind.FIGURE_JUMP,
                        unit_id=current.unit_id,
                        indicator_id=current.indicator_id,
                        period=current.period,
                        figure_ids=(current.id,),
                        statistic=round(z, 3),
                        p_value=None,
                        params={
                            "value": current.value,
                            "expected": round(prediction, 3),
                            "z": round(z, 1),
                            "period": current.period.isoformat(),
                        },
                    )
                )
    return _sorted(findings)


def robust_prediction(values: Sequence[float]) -> tuple[float, float]:
    """Next value of a series by a Theil–Sen line, and the robust spread around that line.

    The spread is the larger of two scaled median absolute deviations, of the line's residuals
    and of the successive changes (divided by √2), inflated by 1 + 1/(n − 2): a handful of
    values easily understates its own noise, and an understated spread is a false jump.
    """
    n = len(values)
    if n < 3:
        raise ValueError("a prediction needs at least three values")
    slope = median((values[j] - values[i]) / (j - i) for i in range(n) for j in range(i + 1, n))
    intercept = median(value - slope * i for i, value in enumerate(values))
    residuals = [abs(value - intercept - slope * i) for i, value in enumerate(values)]
    changes = [later - earlier for earlier, later in pairwise(values)]
    typical_change = median(changes)
    change_spread = median(abs(c - typical_change) for c in changes) / math.sqrt(2)
    spread = MAD_TO_SIGMA * max(median(residuals), change_spread) * (1 + 1 / (n - 2))
    return intercept + slope * n, spread


def find_round_heaping(
    figures: Iterable[FigureValue],
    *,
    grouping: FigureGrouping = FigureGrouping.UNIT,
    config: FigureDetectorConfig = DEFAULT_FIGURE_CONFIG,
) -> list[FigureFinding]:
    """Sets in which far more values end in 0 or 5 than the 20% that honest figures show.

    Only values with at least two significant digits count (a lone 7 has no "last digit");
    the last digit is that of the value as written (98.5 ends in 5, 120 in 0). A series that
    repeats a value counts it once: an unchanged "100%" is not heaping.
    """
    findings = []
    for (unit_id, indicator_id, period), group in _groups(figures, grouping).items():
        usable = [f for f in _first_of_each_value(group) if len(significant_digits(f.value)) >= 2]
        if len(usable) < config.heaping_min_values:
            continue
        heaped = [f for f in usable if significant_digits(f.value)[-1] in "05"]
        share = len(heaped) / len(usable)
        p_value = binomial_sf(len(heaped), len(usable), 0.2)
        if p_value < config.heaping_alpha and share >= 0.2 + config.heaping_min_excess:
            findings.append(
                FigureFinding(
                    kind=FindingKind.ROUND_HEAPING,
                    unit_id=unit_id,
                    indicator_id=indicator_id,
                    period=period,
                    figure_ids=_ids(heaped),
                    statistic=round(share, 4),
                    p_value=p_value,
                    params={"share": round(share, 3), "expected": 0.2, "values": len(usable)},
                )
            )
    return _sorted(findings)


def find_benford_deviations(
    figures: Iterable[FigureValue],
    *,
    grouping: FigureGrouping = FigureGrouping.INDICATOR_PERIOD,
    config: FigureDetectorConfig = DEFAULT_FIGURE_CONFIG,
) -> list[FigureFinding]:
    """Sets whose first or second significant digits depart from Benford's law.

    Give amount-like figures only, grouped so that the values of a set are independent.
    """
    findings = []
    for (unit_id, indicator_id, period), group in _groups(figures, grouping).items():
        for test in (benford_first_digit_test, benford_second_digit_test):
            result = test([f.value for f in group], config)
            if result is not None and result.is_deviating:
                findings.append(
                    FigureFinding(
                        kind=result.kind,
                        unit_id=unit_id,
                        indicator_id=indicator_id,
                        period=period,
                        figure_ids=_ids(group),
                        statistic=round(result.chi_square, 3),
                        p_value=result.p_value,
                        params={"values": result.n, "mad": round(result.mad, 4)},
                    )
                )
    return _sorted(findings)


@dataclass(frozen=True)
class BenfordResult:
    """Outcome of one Benford test: chi-square, its p-value and the mean absolute deviation."""

    kind: FindingKind
    n: int
    chi_square: float
    p_value: float
    mad: float
    is_deviating: bool


def benford_first_digit_test(
    values: Sequence[float], config: FigureDetectorConfig = DEFAULT_FIGURE_CONFIG
) -> BenfordResult | None:
    """First-digit test, or ``None`` when the sample is too small or too narrow to judge."""
    digits = [significant_digits(v) for v in values]
    usable = [v for v, d in zip(values, digits, strict=True) if d]
    if len(usable) < config.benford_first_min_values or not _spans(usable, config):
        return None
    counts = Counter(int(d[0]) for d in digits if d)
    observed = [float(counts[d]) for d in range(1, 10)]
    return _benford_result(
        FindingKind.BENFORD_FIRST_DIGIT,
        observed,
        BENFORD_FIRST,
        config.benford_first_min_mad,
        config,
    )


def benford_second_digit_test(
    values: Sequence[float], config: FigureDetectorConfig = DEFAULT_FIGURE_CONFIG
) -> BenfordResult | None:
    """Second-digit test, or ``None`` when the sample is too small or too narrow to judge."""
    digits = [significant_digits(v) for v in values]
    usable = [v for v, d in zip(values, digits, strict=True) if len(d) >= 2]
    if len(usable) < config.benford_second_min_values or not _spans(usable, config):
        return None
    counts = Counter(int(d[1]) for d in digits if len(d) >= 2)
    observed = [float(counts[d]) for d in range(10)]
    return _benford_result(
        FindingKind.BENFORD_SECOND_DIGIT,
        observed,
        BENFORD_SECOND,
        config.benford_second_min_mad,
        config,
    )


def find_score_divergences(
    comparisons: Iterable[ScoreComparison],
    *,
    config: FigureDetectorConfig = DEFAULT_FIGURE_CONFIG,
) -> list[FigureFinding]:
    """Units whose reported score and citizen index differ by more than the margin.

    The margin widens by two standard errors of the citizen index when that is known; units
    with fewer than ``divergence_min_ratings`` citizen ratings are not judged.
    """
    findings = []
    for comparison in comparisons:
        if comparison.citizen_ratings < config.divergence_min_ratings:
            continue
        difference = comparison.reported_score - comparison.citizen_index
        margin = config.divergence_margin + 2.0 * (comparison.citizen_se or 0.0)
        if abs(difference) > margin:
            findings.append(
                FigureFinding(
                    kind=FindingKind.SCORE_DIVERGENCE,
                    unit_id=comparison.unit_id,
                    indicator_id=None,
                    figure_ids=(),
                    statistic=round(difference, 3),
                    p_value=None,
                    params={
                        "source": comparison.source,
                        "reported": round(comparison.reported_score, 1),
                        "citizen": round(comparison.citizen_index, 1),
                        "difference": round(difference, 1),
                        "margin": round(margin, 1),
                    },
                )
            )
    return _sorted(findings)


def significant_digits(value: float) -> str:
    """The significant digits of a positive value as written: 300 → "300", 0.035 → "35".

    Integers keep their trailing zeros (they are digits of the count); fractions lose the
    zeros that float formatting adds. Zero, negative and non-finite values give "".
    """
    if not math.isfinite(value) or value <= 0:
        return ""
    if float(value).is_integer() and value < 1e15:
        return str(int(value))
    mantissa = f"{value:.15g}".split("e")[0].replace(".", "")
    return mantissa.lstrip("0").rstrip("0")


def _benford_result(
    kind: FindingKind,
    observed: list[float],
    law: Sequence[float],
    min_mad: float,
    config: FigureDetectorConfig,
) -> BenfordResult:
    n = int(sum(observed))
    expected = [n * p for p in law]
    statistic = chi_square_statistic(observed, expected)
    p_value = chi_square_sf(statistic, len(law) - 1)
    mad = sum(abs(o / n - p) for o, p in zip(observed, law, strict=True)) / len(law)
    return BenfordResult(
        kind=kind,
        n=n,
        chi_square=statistic,
        p_value=p_value,
        mad=mad,
        is_deviating=p_value < config.benford_alpha and mad > min_mad,
    )


def _spans(values: Sequence[float], config: FigureDetectorConfig) -> bool:
    return max(values) / min(values) >= config.benford_min_span


_GROUP_KEYS: dict[FigureGrouping, Callable[[FigureValue], _GroupKey]] = {
    FigureGrouping.UNIT: lambda f: (f.unit_id, None, None),
    FigureGrouping.INDICATOR: lambda f: (None, f.indicator_id, None),
    FigureGrouping.UNIT_PERIOD: lambda f: (f.unit_id, None, f.period),
    FigureGrouping.INDICATOR_PERIOD: lambda f: (None, f.indicator_id, f.period),
    FigureGrouping.ALL: lambda f: (None, None, None),
}


def _groups(
    figures: Iterable[FigureValue], grouping: FigureGrouping
) -> dict[_GroupKey, list[FigureValue]]:
    key = _GROUP_KEYS[grouping]
    groups: dict[_GroupKey, list[FigureValue]] = defaultdict(list)
    for figure in _canonical(figures):
        groups[key(figure)].append(figure)
    return dict(groups)


def _first_of_each_value(figures: Iterable[FigureValue]) -> list[FigureValue]:
    """The figures minus those repeating an earlier value of the same unit and indicator."""
    seen: set[tuple[int, int, float]] = set()
    kept = []
    for figure in figures:
        key = (figure.unit_id, figure.indicator_id, figure.value)
        if key not in seen:
            seen.add(key)
            kept.append(figure)
    return kept


def _canonical(figures: Iterable[FigureValue]) -> list[FigureValue]:
    return sorted(figures, key=lambda f: (f.unit_id, f.indicator_id, f.period, f.id))


def _ids(figures: Iterable[FigureValue]) -> tuple[int, ...]:
    return tuple(sorted(f.id for f in figures))


def _sorted(findings: Iterable[FigureFinding]) -> list[FigureFinding]:
    return sorted(findings, key=FigureFinding.sort_key)
