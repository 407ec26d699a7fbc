"""Figure detectors: jumps, round-number heaping, Benford and score divergence."""

from __future__ import annotations

import functools
import math
import random
from collections import Counter
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citizenvoice.integrity.detectors import FindingKind
from citizenvoice.integrity.detectors_figures import (
    BENFORD_FIRST,
    BENFORD_SECOND,
    FigureGrouping,
    FigureValue,
    ScoreComparison,
    benford_first_digit_test,
    benford_second_digit_test,
    find_benford_deviations,
    find_figure_jumps,
    find_round_heaping,
    find_score_divergences,
    robust_prediction,
    run_figure_detectors,
    significant_digits,
)

UNITS = 80
PERIODS = [date(2023 + q // 4, 1 + 3 * (q % 4), 1) for q in range(12)]
AMOUNT_INDICATORS = frozenset(range(1, 7))  # cases handled, budgets, people served…
RATE_INDICATORS = range(7, 13)  # on-time rates and other percentages


def _amount_series(rng: random.Random) -> list[float]:
    """A count growing slowly around a level drawn log-uniformly over four decades."""
    level = 10 ** rng.uniform(1, 5)
    growth = rng.uniform(-0.02, 0.04)
    return [
        float(max(1, round(level * (1 + growth) ** t * rng.gauss(1, 0.04))))
        for t in range(len(PERIODS))
    ]


def _rate_series(rng: random.Random) -> list[float]:
    """A percentage wandering a little around its level, reported to one decimal."""
    level = rng.uniform(70, 97)
    return [round(min(100.0, level + rng.gauss(0, 1.5)), 1) for _ in PERIODS]


@functools.cache
def clean_figures() -> tuple[FigureValue, ...]:
    """Three years of quarterly figures from UNITS honest units."""
    rng = random.Random(99)
    figures: list[FigureValue] = []
    for unit_id in range(1, UNITS + 1):
        for indicator_id in [*AMOUNT_INDICATORS, *RATE_INDICATORS]:
            maker = _amount_series if indicator_id in AMOUNT_INDICATORS else _rate_series
            for period, value in zip(PERIODS, maker(rng), strict=True):
                figures.append(FigureValue(len(figures) + 1, unit_id, indicator_id, period, value))
    return tuple(figures)


def test_clean_figures_raise_at_most_one_percent_false_flags() -> None:
    figures = clean_figures()
    findings = run_figure_detectors(figures, amount_indicators=AMOUNT_INDICATORS)
    flagged = {figure_id for f in findings for figure_id in f.figure_ids}
    assert len(flagged) / len(figures) <= 0.01, findings
    assert Counter(f.kind for f in findings)[FindingKind.BENFORD_FIRST_DIGIT] == 0


def test_clean_figures_conform_to_benford_per_indicator_and_period() -> None:
    amounts = [f for f in clean_figures() if f.indicator_id in AMOUNT_INDICATORS]
    assert find_benford_deviations(amounts, grouping=FigureGrouping.INDICATOR_PERIOD) == []


def test_planted_jump_is_caught() -> None:
    figures = list(clean_figures())
    target = next(
        f for f in figures if f.unit_id == 5 and f.indicator_id == 8 and f.period == PERIODS[9]
    )
    figures[figures.index(target)] = replace(target, value=100.0)
    history = [f.value for f in figures if (f.unit_id, f.indicator_id) == (5, 8)][:9]
    assert max(history) < 98  # the unit never came close before
    jumps = [f for f in find_figure_jumps(figures) if f.figure_ids == (target.id,)]
    assert [j.kind for j in jumps] == [FindingKind.FIGURE_JUMP]
    assert jumps[0].period == PERIODS[9]
    assert jumps[0].statistic > 6


def test_steady_trend_is_not_a_jump() -> None:
    figures = [
        FigureValue(t, 1, 1, PERIODS[t], 1000 * 1.08**t + (5 if t % 2 else -5))
        for t in range(len(PERIODS))
    ]
    assert find_figure_jumps(figures) == []


def test_jumps_need_six_earlier_values() -> None:
    figures = [FigureValue(t, 1, 1, PERIODS[t], 50.0) for t in range(5)]
    figures.append(FigureValue(5, 1, 1, PERIODS[5], 500.0))
    assert find_figure_jumps(figures) == []
    figures.insert(0, FigureValue(99, 1, 1, date(2022, 10, 1), 50.0))
    assert [f.figure_ids for f in find_figure_jumps(figures)] == [(5,)]


def test_robust_prediction_follows_a_line_and_ignores_an_outlier() -> None:
    prediction, spread = robust_prediction([10, 12, 14, 100, 18, 20])
    assert prediction == pytest.approx(22)
    assert spread == pytest.approx(0)
    _, noisy = robust_prediction([10, 13, 14, 15, 18, 19])
    assert 0 < noisy < 3
    with pytest.raises(ValueError, match="three values"):
        robust_prediction([1, 2])


def test_planted_heaping_is_caught() -> None:
    figures = list(clean_figures())
    heaped_unit = 12
    for i, figure in enumerate(figures):
        if figure.unit_id == heaped_unit and figure.value >= 10:
            step = 10 if figure.value < 1000 else 50
            figures[i] = replace(figure, value=float(round(figure.value / step) * step))
    findings = find_round_heaping(figures)
    assert [(f.kind, f.unit_id) for f in findings] == [(FindingKind.ROUND_HEAPING, heaped_unit)]
    assert float(findings[0].params["share"]) > 0.5


def test_heaping_counts_a_repeated_value_once_and_needs_enough_values() -> None:
    full_marks = [FigureValue(i, 1, 1, date(2020, 1, 1), 100.0) for i in range(60)]
    assert find_round_heaping(full_marks) == []
    few = [FigureValue(i, 1, i, date(2020, 1, 1), 10.0 * (i + 2)) for i in range(20)]
    assert find_round_heaping(few) == []


def test_last_digit_is_read_as_written() -> None:
    assert significant_digits(98.5) == "985"
    assert significant_digits(120.0) == "120"
    assert significant_digits(0.035) == "35"
    assert significant_digits(0.1 + 0.2) == "3"
    assert significant_digits(2.5e20) == "25"
    assert significant_digits(0.0) == significant_digits(-3.0) == significant_digits(math.nan) == ""


def _benford_sample(rng: random.Random, n: int) -> list[float]:
    return [round(10 ** rng.uniform(1, 6), 2) for _ in range(n)]


def test_benford_conforming_sample_passes_both_tests() -> None:
    values = _benford_sample(random.Random(5), 2000)
    first = benford_first_digit_test(values)
    second = benford_second_digit_test(values)
    assert first is not None and not first.is_deviating
    assert second is not None and not second.is_deviating


def test_invented_figures_fail_the_first_digit_test() -> None:
    rng = random.Random(6)
    invented = [float(rng.randint(10, 99_999)) for _ in range(200)]
    result = benford_first_digit_test(invented)
    assert result is not None and result.is_deviating
    assert result.p_value < 1e-6
    figures = [FigureValue(i, i, 1, date(2025, 1, 1), value) for i, value in enumerate(invented)]
    [finding] = [
        f for f in find_benford_deviations(figures) if f.kind is FindingKind.BENFORD_FIRST_DIGIT
    ]
    assert finding.indicator_id == 1 and finding.unit_id is None
    assert finding.period == date(2025, 1, 1)
    assert len(finding.figure_ids) == 200


def test_invented_second_digits_fail_the_second_digit_test() -> None:
    rng = random.Random(8)
    values = []
    for value in _benford_sample(rng, 400):
        digits = significant_digits(value)
        # keep the honest first digit, then a "natural-looking" 5–9 in second place
        scale = 10 ** (math.floor(math.log10(value)) - 1)
        values.append(float((int(digits[0]) * 10 + rng.randint(5, 9)) * scale))
    result = benford_second_digit_test(values)
    assert result is not None and result.is_deviating
    first = benford_first_digit_test(values)
    assert first is not None and not first.is_deviating


def test_benford_tests_refuse_small_or_narrow_samples() -> None:
    rng = random.Random(7)
    assert benford_first_digit_test(_benford_sample(rng, 49)) is None
    assert benford_first_digit_test([float(rng.randint(100, 999)) for _ in range(500)]) is None
    assert benford_second_digit_test(_benford_sample(rng, 99)) is None


def test_benford_probabilities_sum_to_one() -> None:
    assert sum(BENFORD_FIRST) == pytest.approx(1)
    assert sum(BENFORD_SECOND) == pytest.approx(1)
    assert BENFORD_FIRST[0] == pytest.approx(0.30103, abs=1e-5)
    assert BENFORD_SECOND[0] == pytest.approx(0.11968, abs=1e-5)


def test_score_divergence_beyond_the_margin() -> None:
    comparisons = [
        ScoreComparison(unit_id=1, reported_score=95, citizen_index=60, citizen_ratings=400),
        ScoreComparison(unit_id=2, reported_score=80, citizen_index=70, citizen_ratings=400),
        ScoreComparison(unit_id=3, reported_score=95, citizen_index=60, citizen_ratings=12),
        ScoreComparison(
            unit_id=4, reported_score=90, citizen_index=72, citizen_ratings=40, citizen_se=3
        ),
        ScoreComparison(
            unit_id=5, reported_score=50, citizen_index=80, citizen_ratings=90, source="internal"
        ),
    ]
    findings = find_score_divergences(comparisons)
    assert [(f.unit_id, f.statistic) for f in findings] == [(1, 35.0), (5, -30.0)]
    assert findings[1].params["source"] == "internal"
    assert findings[0].message_id == "integrity.finding.score_divergence"


def test_figure_findings_do_not_depend_on_input_order() -> None:
    figures = [f for f in clean_figures() if f.unit_id <= 20]
    shuffled = list(figures)
    random.Random(1).shuffle(shuffled)
    comparisons = [
        ScoreComparison(1, 95, 50, 100, source="self"),
        ScoreComparison(1, 90, 50, 100, source="internal"),
    ]
    assert run_figure_detectors(
        figures, comparisons, amount_indicators=AMOUNT_INDICATORS
    ) == run_figure_detectors(shuffled, comparisons[::-1], amount_indicators=AMOUNT_INDICATORS)


@given(st.floats(min_value=1e-6, max_value=1e12, allow_nan=False, allow_infinity=False))
def test_first_significant_digit_matches_the_logarithm(value: float) -> None:
    digits = significant_digits(value)
    assert digits[0] != "0"
    mantissa = 10 ** (math.log10(value) - math.floor(math.log10(value)))
    # the logarithm may round across a digit boundary; the written digits are the truth
    assert abs(int(digits[0]) - math.floor(mantissa + 1e-9)) <= 1
