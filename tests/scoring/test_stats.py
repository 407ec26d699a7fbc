"""Worked examples and properties of the scoring statistics."""

from collections import Counter
from statistics import fmean

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citizenvoice.scoring.stats import (
    SATISFACTION_LEVELS,
    Z_95,
    Z_998,
    FunnelUnit,
    combine_internal_evaluations,
    count_levels,
    funnel_limits,
    funnel_plot,
    is_difference_significant,
    satisfaction_index,
    standard_error_from_interval,
    subject_score,
    wilson_interval,
    z_value,
)

PROPERTY = settings(max_examples=60, deadline=None, database=None)

#: Written out again here so that the property test recomputes the index independently.
POINTS = {
    "very_satisfied": 100,
    "satisfied": 75,
    "basically_satisfied": 50,
    "dissatisfied": 25,
    "very_dissatisfied": 0,
}


def counts(vs: int = 0, s: int = 0, bs: int = 0, d: int = 0, vd: int = 0) -> dict[str, int]:
    return dict(zip(SATISFACTION_LEVELS, (vs, s, bs, d, vd), strict=True))


# ---------------------------------------------------------------- satisfaction index


def test_z_values_are_the_usual_quantiles():
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert pytest.approx(1.959964, abs=1e-6) == Z_95
    assert pytest.approx(3.090232, abs=1e-6) == Z_998
    with pytest.raises(ValueError, match="confidence"):
        z_value(1.0)


def test_satisfaction_index_worked_example():
    # 20×100 + 10×75 + 6×50 + 3×25 + 1×0 = 3125 over n = 40 ratings -> 78.125.
    # Wilson on p = 0.78125, n = 40, z = 1.96: z²/n = 0.09604,
    # centre = (0.78125 + 0.04802) / 1.09604 = 0.75661,
    # half = 1.96 / 1.09604 × sqrt(0.78125 × 0.21875 / 40 + 3.8415 / 6400) = 0.12483
    # -> [63.178, 88.143].
    index = satisfaction_index(counts(20, 10, 6, 3, 1))
    assert index.n == 40
    assert index.value == 78.125
    assert index.lower == pytest.approx(63.178, abs=1e-3)
    assert index.upper == pytest.approx(88.143, abs=1e-3)
    assert index.is_sufficient
    assert dict(index.counts) == counts(20, 10, 6, 3, 1)


def test_all_very_satisfied_keeps_a_real_interval():
    # p = 1: Wilson lower bound = n / (n + z²) = 30 / 33.8415 = 0.88649; upper stays 100.
    index = satisfaction_index(counts(vs=30))
    assert index.value == 100.0
    assert index.lower == pytest.approx(88.649, abs=1e-3)
    assert index.upper == 100.0


def test_all_very_dissatisfied_keeps_a_real_interval():
    # p = 0: lower 0; upper = z² / (n + z²) = 3.8415 / 33.8415 = 0.11351.
    index = satisfaction_index(counts(vd=30))
    assert index.value == 0.0
    assert index.lower == 0.0
    assert index.upper == pytest.approx(11.351, abs=1e-3)


def test_below_the_minimum_sample_is_insufficient_data():
    index = satisfaction_index(counts(vs=29))
    assert index.value is None
    assert index.lower is None
    assert index.upper is None
    assert index.n == 29
    assert not index.is_sufficient
    assert satisfaction_index(counts(vs=30)).value == 100.0


def test_minimum_sample_is_a_parameter():
    # 3×100 + 2×50 = 400 over 5 -> 80.
    assert satisfaction_index(counts(vs=3, bs=2), min_sample=5).value == 80.0
    assert satisfaction_index(counts(vs=3, bs=2), min_sample=6).value is None
    assert satisfaction_index({}, min_sample=1).value is None


def test_satisfaction_index_rejects_bad_counts():
    with pytest.raises(ValueError, match="unknown satisfaction levels: delighted"):
        satisfaction_index({"delighted": 40})
    with pytest.raises(ValueError, match="non-negative integers"):
        satisfaction_index({"satisfied": -1, "very_satisfied": 40})


def test_as_estimate_carries_value_and_interval():
    index = satisfaction_index(counts(20, 10, 6, 3, 1))
    estimate = index.as_estimate()
    assert (estimate.value, estimate.lower, estimate.upper) == (
        index.value,
        index.lower,
        index.upper,
    )


def test_count_levels():
    answers = ["satisfied", "very_satisfied", "satisfied", "very_dissatisfied"]
    assert count_levels(answers) == counts(vs=1, s=2, vd=1)
    with pytest.raises(ValueError, match="meh"):
        count_levels(["meh"])


def test_wilson_interval_at_one_half():
    # p = 0.5, n = 100: centre 0.5, half = 1.96 / 1.03841 × sqrt(0.0025 + 0.000096) = 0.096168.
    lower, upper = wilson_interval(0.5, 100)
    assert lower == pytest.approx(0.403832, abs=1e-6)
    assert upper == pytest.approx(0.596168, abs=1e-6)


answer_lists = st.lists(st.sampled_from(sorted(POINTS)), min_size=1, max_size=150)


@PROPERTY
@given(answers=answer_lists)
def test_index_equals_recomputation_from_individual_answers(answers):
    index = satisfaction_index(Counter(answers), min_sample=1)
    assert index.n == len(answers)
    assert index.value == pytest.approx(fmean(POINTS[a] for a in answers), abs=1e-9)


@PROPERTY
@given(
    level_counts=st.lists(st.integers(0, 400), min_size=5, max_size=5).filter(any),
    confidence=st.sampled_from([0.8, 0.95, 0.998]),
)
def test_interval_contains_the_estimate_and_stays_in_range(level_counts, confidence):
    index = satisfaction_index(counts(*level_counts), min_sample=1, confidence=confidence)
    assert index.value is not None
    assert index.lower is not None
    assert index.upper is not None
    assert 0 <= index.lower <= index.value <= index.upper <= 100


# ---------------------------------------------------------------- internal evaluations


def test_four_evaluators_are_not_trimmed():
    # (60 + 70 + 80 + 100) / 4 = 77.5
    score = subject_score("experts", [100, 60, 80, 70])
    assert score.value == 77.5
    assert score.evaluators == 4
    assert not score.is_trimmed


def test_five_evaluators_drop_highest_and_lowest():
    # drop 40 and 100: (70 + 80 + 90) / 3 = 80
    score = subject_score("experts", [90, 40, 100, 70, 80])
    assert score.value == 80.0
    assert score.evaluators == 5
    assert score.is_trimmed


def test_subject_without_scores_has_no_value():
    assert subject_score("peers", []).value is None
    with pytest.raises(ValueError, match="within"):
        subject_score("peers", [101])


def test_combine_renormalises_over_subjects_with_scores():
    # superiors (80 + 90) / 2 = 85; experts trimmed (70 + 80 + 90) / 3 = 80; self 100; peers none.
    # Weights 40/30/20/10; peers missing -> renormalise over 80: 0.5, 0.375, 0.125.
    # 0.5 × 85 + 0.375 × 80 + 0.125 × 100 = 42.5 + 30 + 12.5 = 85.
    result = combine_internal_evaluations(
        {"superiors": [80, 90], "experts": [40, 70, 80, 90, 100], "self": [100]},
        {"superiors": 40, "experts": 30, "peers": 20, "self": 10},
    )
    assert result.value == pytest.approx(85.0)
    assert result.missing_subjects == ("peers",)
    assert result.evaluators == 8
    effective = {s.subject: s.effective_weight for s in result.subjects}
    assert effective == pytest.approx(
        {"experts": 0.375, "peers": 0.0, "self": 0.125, "superiors": 0.5}
    )


def test_combine_with_no_scores_is_insufficient():
    result = combine_internal_evaluations({}, {"superiors": 60, "experts": 40})
    assert result.value is None
    assert result.missing_subjects == ("experts", "superiors")


def test_combine_rejects_scores_without_a_weight():
    with pytest.raises(ValueError, match="without a weight: deputies"):
        combine_internal_evaluations({"deputies": [80]}, {"experts": 100})


@PROPERTY
@given(
    data=st.dictionaries(
        st.sampled_from(["superiors", "deputies", "experts", "peers", "self"]),
        st.tuples(st.integers(0, 100), st.lists(st.floats(0, 100), max_size=7)),
        min_size=1,
    )
)
def test_combined_value_is_the_weighted_mean_of_subject_means(data):
    weights = {subject: weight for subject, (weight, _) in data.items()}
    scores = {subject: evaluator_scores for subject, (_, evaluator_scores) in data.items()}
    result = combine_internal_evaluations(scores, weights)
    present = [s for s in result.subjects if s.value is not None and s.weight > 0]
    if not present:
        assert result.value is None
        return
    expected = sum(s.weight * s.value for s in present) / sum(s.weight for s in present)
    assert result.value == pytest.approx(expected, abs=1e-9)
    assert 0 <= result.value <= 100
    assert sum(s.effective_weight for s in result.subjects) == pytest.approx(1.0)


# ---------------------------------------------------------------- intervals and z-test


def test_standard_error_and_significance():
    # A 95% interval 70..80 has half-width 5, so se = 5 / 1.96 = 2.551.
    se = standard_error_from_interval(70, 80)
    assert se == pytest.approx(2.551, abs=1e-3)
    # 1.96 × 2.551 = 5: a difference of 5.1 is significant, 4.9 is not.
    assert is_difference_significant(5.1, se)
    assert not is_difference_significant(-4.9, se)
    assert is_difference_significant(0.1, 0.0)


# ---------------------------------------------------------------- funnel plot


def test_funnel_limits_for_a_known_case():
    # mean 80, n 100: p = 0.8, sd = 100 × sqrt(0.8 × 0.2) = 40, se = 40 / 10 = 4.
    # 95%: 80 ± 1.96 × 4 = 72.160..87.840; 99.8%: 80 ± 3.0902 × 4 = 67.639..92.361.
    limits = funnel_limits(80, 100)
    assert limits.lower_95 == pytest.approx(72.160, abs=1e-3)
    assert limits.upper_95 == pytest.approx(87.840, abs=1e-3)
    assert limits.lower_998 == pytest.approx(67.639, abs=1e-3)
    assert limits.upper_998 == pytest.approx(92.361, abs=1e-3)


def test_funnel_limits_with_a_given_spread_and_clamping():
    # sd 20, n 16: se 5; 95%: 90 ± 9.8 -> 80.2..99.8; 99.8%: 90 ± 15.45 -> 74.55..100 (clamped).
    limits = funnel_limits(90, 16, sd=20)
    assert limits.lower_95 == pytest.approx(80.2, abs=1e-2)
    assert limits.upper_95 == pytest.approx(99.8, abs=1e-2)
    assert limits.lower_998 == pytest.approx(74.549, abs=1e-3)
    assert limits.upper_998 == 100.0


def test_funnel_plot_classifies_against_each_units_own_limits():
    plot = funnel_plot(
        [
            FunnelUnit("d-small", 90, 25),  # se 8: 95% limits 64.32..95.68 -> within
            FunnelUnit("a-large", 90, 100),  # 95% upper 87.84 < 90 <= 92.36 (99.8%)
            FunnelUnit("b-low", 60, 100),  # below 67.64: below both limits
            FunnelUnit("c-typical", 85, 100),
            FunnelUnit("e-new", None, 0),
        ],
        mean=80,
    )
    assert plot.mean == 80
    by_key = {p.key: (p.classification, p.outer_classification) for p in plot.points}
    assert by_key == {
        "a-large": ("above", "within"),
        "b-low": ("below", "below"),
        "c-typical": ("within", "within"),
        "d-small": ("within", "within"),
        "e-new": ("insufficient", "insufficient"),
    }
    # sorted by key, not by value: no league table
    assert [p.key for p in plot.points] == ["a-large", "b-low", "c-typical", "d-small", "e-new"]
    assert plot.curve[0].n == 25
    assert plot.curve[-1].n == 100
    assert plot.curve[0].upper_95 == pytest.approx(95.680, abs=1e-3)


def test_funnel_mean_defaults_to_the_rating_weighted_mean():
    # (100 × 90 + 300 × 60) / 400 = 67.5
    plot = funnel_plot([FunnelUnit("a", 90, 100), FunnelUnit("b", 60, 300)])
    assert plot.mean == 67.5


def test_funnel_plot_without_data():
    plot = funnel_plot([FunnelUnit("a", None, 0)])
    assert plot.mean is None
    assert plot.curve == ()
    assert plot.points[0].classification == "insufficient"
