"""Worked examples and properties of the scoring engine."""

import ast
import json
import random
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from citizenvoice.scoring import engine, stats
from citizenvoice.scoring.engine import (
    Category,
    GradeBand,
    Indicator,
    IndicatorOutcome,
    InputCounts,
    NodeResult,
    apply_criteria,
    build_feedback,
    compose_tree,
    divergence_alert,
    grade,
    normalise_weights,
    sensitivity,
    validate_criteria,
    validate_grade_bands,
    vertical_comparison,
)
from citizenvoice.scoring.stats import Estimate

PROPERTY = settings(max_examples=60, deadline=None, database=None)

ON_TIME = {"kind": "linear", "target": 95, "floor": 80, "step": 5, "per": 1}
WAITING = {"kind": "linear", "target": 10, "floor": 40, "step": 2, "per": 1}
GRADE_BANDS_HIGHER = {"kind": "bands", "bands": [[90, 100], [80, 85], [60, 70]]}
COMPLAINTS_LOWER = {"kind": "bands", "bands": [[1, 100], [3, 80], [5, 60]]}


def test_scoring_core_imports_neither_flask_nor_the_database():
    for module in (engine, stats):
        tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        imported |= {
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        }
        for name in imported:
            assert not name.startswith(("flask", "sqlalchemy", "werkzeug")), name
            if name.startswith("citizenvoice"):
                assert name.startswith("citizenvoice.scoring"), name


# ---------------------------------------------------------------- criteria


@pytest.mark.parametrize("direction", ["higher", "lower"])
@pytest.mark.parametrize(("value", "score"), [(72.5, 72.5), (105, 100.0), (-3, 0.0)])
def test_direct_criteria_clamp_the_value(direction, value, score):
    assert apply_criteria({"kind": "direct"}, direction, value) == score


@pytest.mark.parametrize(
    ("value", "score"),
    [
        (97, 100.0),  # above the target
        (95, 100.0),  # at the target
        (93, 90.0),  # 2 below × 5 points = -10
        (92.5, 87.5),  # 2.5 below × 5 = -12.5
        (80, 25.0),  # at the floor: 15 below × 5 = -75
        (79.9, 0.0),  # below the floor
    ],
)
def test_linear_criteria_higher_is_better(value, score):
    assert apply_criteria(ON_TIME, "higher", value) == pytest.approx(score)


@pytest.mark.parametrize(
    ("value", "score"),
    [
        (8, 100.0),  # faster than the 10-minute target
        (10, 100.0),
        (15, 90.0),  # 5 minutes over × 2 points = -10
        (40, 40.0),  # at the floor: 30 over × 2 = -60
        (40.5, 0.0),  # beyond the floor
    ],
)
def test_linear_criteria_lower_is_better(value, score):
    assert apply_criteria(WAITING, "lower", value) == pytest.approx(score)


def test_linear_criteria_never_go_below_zero_before_the_floor():
    # 4 points per minute: 35 minutes is 25 over -> 100 - 100 = 0, 30 minutes -> 100 - 80 = 20.
    steep = {**WAITING, "step": 4}
    assert apply_criteria(steep, "lower", 30) == pytest.approx(20.0)
    assert apply_criteria(steep, "lower", 38) == 0.0


def test_stepwise_linear_criteria_count_whole_units_only():
    stepwise = {**ON_TIME, "stepwise": True}
    assert apply_criteria(stepwise, "higher", 92.5) == 90.0  # 2 whole points below
    assert apply_criteria(stepwise, "higher", 93) == 90.0
    # 0.3 - 0.1 = 0.19999… in floating point still counts as two whole steps of 0.1
    tenths = {
        "kind": "linear",
        "target": 0.3,
        "floor": 0.0,
        "step": 10,
        "per": 0.1,
        "stepwise": True,
    }
    assert apply_criteria(tenths, "higher", 0.1) == 80.0


@pytest.mark.parametrize(
    ("value", "score"), [(95, 100.0), (90, 100.0), (89.9, 85.0), (60, 70.0), (59, 0.0)]
)
def test_band_criteria_higher_is_better(value, score):
    assert apply_criteria(GRADE_BANDS_HIGHER, "higher", value) == score
    shuffled = {"kind": "bands", "bands": [[60, 70], [90, 100], [80, 85]]}
    assert apply_criteria(shuffled, "higher", value) == score


@pytest.mark.parametrize(
    ("value", "score"), [(0.5, 100.0), (1, 100.0), (2, 80.0), (5, 60.0), (6, 0.0)]
)
def test_band_criteria_lower_is_better(value, score):
    assert apply_criteria(COMPLAINTS_LOWER, "lower", value) == score


def test_valid_criteria_have_no_errors_and_survive_json():
    for criteria, direction in [
        ({"kind": "direct"}, "higher"),
        (ON_TIME, "higher"),
        (WAITING, "lower"),
        (GRADE_BANDS_HIGHER, "higher"),
        (COMPLAINTS_LOWER, "lower"),
    ]:
        stored = json.loads(json.dumps(criteria))
        assert stored == criteria
        assert validate_criteria(stored, direction) == []


@pytest.mark.parametrize(
    ("criteria", "direction", "message"),
    [
        ([1, 2], None, "Criteria must be a JSON object."),
        (
            {"kind": "magic"},
            None,
            "Unknown criteria kind 'magic'; use one of: direct, linear, bands.",
        ),
        ({"kind": []}, None, "Unknown criteria kind []; use one of: direct, linear, bands."),
        ({"kind": "direct", "traget": 1}, None, "Unexpected key 'traget' in direct criteria."),
        ({"kind": "linear", "target": 95}, None, "Linear criteria need a number for 'floor'."),
        ({**ON_TIME, "per": 0}, None, "'per' must be greater than 0."),
        ({**ON_TIME, "step": True}, None, "Linear criteria need a number for 'step'."),
        ({**ON_TIME, "stepwise": "yes"}, None, "'stepwise' must be true or false."),
        (ON_TIME, "lower", "When lower is better, the floor must not be below the target."),
        (WAITING, "higher", "When higher is better, the floor must not be above the target."),
        (
            {"kind": "bands", "bands": []},
            None,
            "Band criteria need a non-empty list 'bands' of [threshold, score] pairs.",
        ),
        (
            {"kind": "bands", "bands": [[90, 100], [80]]},
            None,
            "Band 2 must be a pair [threshold, score] of numbers.",
        ),
        (
            {"kind": "bands", "bands": [[90, 100], [80, 120]]},
            None,
            "Band 2 has a score outside 0 to 100.",
        ),
        (
            {"kind": "bands", "bands": [[80, 100], [80, 90]]},
            None,
            "Threshold 80 appears in more than one band.",
        ),
        (
            GRADE_BANDS_HIGHER,
            "lower",
            "A band for worse values must not score more than one for better values.",
        ),
        ({"kind": "direct"}, "sideways", "Unknown direction 'sideways'; use 'higher' or 'lower'."),
    ],
)
def test_validate_criteria_explains_what_is_wrong(criteria, direction, message):
    assert message in validate_criteria(criteria, direction)


def test_apply_criteria_refuses_invalid_input():
    with pytest.raises(ValueError, match="'per' must be greater than 0"):
        apply_criteria({**ON_TIME, "per": 0}, "higher", 90)
    with pytest.raises(ValueError, match="Unknown direction"):
        apply_criteria({"kind": "direct"}, "up", 90)
    with pytest.raises(ValueError, match="finite"):
        apply_criteria({"kind": "direct"}, "higher", float("nan"))


finite = st.floats(-1e6, 1e6)


@st.composite
def criteria_for(draw, direction):
    kind = draw(st.sampled_from(["direct", "linear", "bands"]))
    if kind == "direct":
        return {"kind": "direct"}
    if kind == "linear":
        target, distance = draw(finite), draw(st.floats(0, 1e4))
        floor = target - distance if direction == "higher" else target + distance
        step, per = draw(st.floats(0.01, 100)), draw(st.floats(0.01, 1e3))
        return {
            "kind": "linear",
            "target": target,
            "floor": floor,
            "step": step,
            "per": per,
            "stepwise": draw(st.booleans()),
        }
    thresholds = draw(st.lists(finite, min_size=1, max_size=5, unique=True))
    scores = sorted(
        draw(st.lists(st.floats(0, 100), min_size=len(thresholds), max_size=len(thresholds)))
    )
    ordered = sorted(thresholds, reverse=direction == "lower")  # worst value first
    return {"kind": "bands", "bands": [[t, s] for t, s in zip(ordered, scores, strict=True)]}


@PROPERTY
@given(data=st.data(), direction=st.sampled_from(["higher", "lower"]), value=finite, other=finite)
def test_criteria_scores_stay_in_range_and_reward_better_values(data, direction, value, other):
    criteria = data.draw(criteria_for(direction))
    assert validate_criteria(criteria, direction) == []
    score = apply_criteria(criteria, direction, value)
    assert 0 <= score <= 100
    if criteria["kind"] != "direct":  # a direct value already is a score, whatever the direction
        better = max(value, other) if direction == "higher" else min(value, other)
        assert apply_criteria(criteria, direction, better) >= score


# ---------------------------------------------------------------- the weighted tree


def example_tree() -> Category:
    return Category("total", 100, (
        Category("service", 60, (
            Indicator("satisfaction", 50, 80, InputCounts(ratings_used=120, ratings_flagged=4)),
            Indicator("waiting", 30, 90),
            Indicator("complaints", 20, None),
        )),
        Category("internal", 40, (
            Indicator("superiors", 70, 70, InputCounts(evaluators=3)),
            Indicator("experts", 30, 90, InputCounts(evaluators=5)),
        )),
    ))  # fmt: skip


def node(result: NodeResult, *path: str) -> NodeResult:
    for key in path:
        result = next(child for child in result.children if child.key == key)
    return result


def test_tree_worked_example_with_redistribution():
    # service: "complaints" is insufficient, so its 20 goes to its siblings pro rata:
    #   50 / 80 = 0.625 and 30 / 80 = 0.375 -> 0.625 × 80 + 0.375 × 90 = 50 + 33.75 = 83.75
    # internal: 0.7 × 70 + 0.3 × 90 = 49 + 27 = 76
    # total: 0.6 × 83.75 + 0.4 × 76 = 50.25 + 30.4 = 80.65 -> good
    result = compose_tree(example_tree())
    assert result.score == pytest.approx(80.65)
    assert grade(result.score) == "good"
    assert node(result, "service").score == pytest.approx(83.75)
    assert node(result, "internal").score == pytest.approx(76.0)
    satisfaction = node(result, "service", "satisfaction")
    assert satisfaction.effective_weight == pytest.approx(0.625)
    assert satisfaction.global_weight == pytest.approx(0.375)
    assert satisfaction.weight == 50
    complaints = node(result, "service", "complaints")
    assert (complaints.score, complaints.effective_weight, complaints.global_weight) == (
        None, 0.0, 0.0,
    )  # fmt: skip
    assert result.effective_weight == 1.0
    assert result.counts == InputCounts(ratings_used=120, ratings_flagged=4, evaluators=8)
    assert node(result, "internal").counts == InputCounts(evaluators=8)


def test_category_with_only_insufficient_children_is_insufficient():
    # internal has no scores at all; its 40 goes to service, so the total is service's 83.75.
    tree = example_tree()
    internal = Category(
        "internal", 40, (Indicator("superiors", 70, None), Indicator("experts", 30, None))
    )
    result = compose_tree(Category("total", 100, (tree.children[0], internal)))
    assert node(result, "internal").score is None
    assert not node(result, "internal").is_sufficient
    assert node(result, "service").effective_weight == 1.0
    assert result.score == pytest.approx(83.75)


def test_tree_without_any_score_is_insufficient():
    result = compose_tree(
        Category("total", 100, (Indicator("a", 50, None), Indicator("b", 50, None)))
    )
    assert result.score is None
    assert grade(result.score) is None


def test_three_levels_deep():
    # a: 0.5 × 100 + 0.5 × 60 = 80 (a1 is a category of one indicator at 100)
    # total: 0.25 × 80 + 0.75 × 40 = 20 + 30 = 50
    tree = Category("t", 100, (
        Category("a", 25, (Category("a1", 10, (Indicator("x", 1, 100),)), Indicator("a2", 10, 60))),
        Indicator("b", 75, 40),
    ))  # fmt: skip
    result = compose_tree(tree)
    assert result.score == pytest.approx(50.0)
    assert node(result, "a", "a1", "x").global_weight == pytest.approx(0.125)


def test_tree_rejects_bad_input():
    with pytest.raises(ValueError, match="same key"):
        compose_tree(Category("t", 1, (Indicator("a", 1, 50), Indicator("a", 1, 60))))
    with pytest.raises(ValueError, match="no children"):
        compose_tree(Category("t", 1, ()))
    with pytest.raises(ValueError, match="within"):
        compose_tree(Category("t", 1, (Indicator("a", 1, 101),)))
    with pytest.raises(ValueError, match="negative"):
        compose_tree(Category("t", 1, (Indicator("a", -1, 50),)))


def test_normalise_weights():
    assert normalise_weights([60, 30, 10]) == pytest.approx((0.6, 0.3, 0.1))
    for bad in ([], [0, 0], [-1, 2], [float("inf"), 1]):
        with pytest.raises(ValueError):
            normalise_weights(bad)


@PROPERTY
@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=12).filter(lambda w: sum(w) > 0))
def test_normalised_weights_sum_to_one(weights):
    shares = normalise_weights(weights)
    assert sum(shares) == pytest.approx(1.0, abs=1e-12)
    assert all(0 <= share <= 1 for share in shares)


leaf_specs = st.tuples(st.floats(0, 100), st.one_of(st.none(), st.floats(0, 100)))
tree_specs = st.recursive(
    leaf_specs,
    lambda children: st.tuples(st.floats(0, 100), st.lists(children, min_size=1, max_size=4)),
    max_leaves=12,
)


def build(spec, key: str = "root"):
    weight, content = spec
    if isinstance(content, list):
        return Category(key, weight, tuple(build(c, f"{key}.{i}") for i, c in enumerate(content)))
    return Indicator(key, weight, content)


trees = st.lists(tree_specs, min_size=1, max_size=4).map(lambda c: build((100.0, c)))


def all_results(result: NodeResult):
    yield result
    for child in result.children:
        yield from all_results(child)


def permuted(tree, rng: random.Random):
    if isinstance(tree, Indicator):
        return tree
    children = [permuted(child, rng) for child in tree.children]
    rng.shuffle(children)
    return Category(tree.key, tree.weight, tuple(children))


def with_leaf_score(tree, key: str, score: float):
    if isinstance(tree, Indicator):
        return Indicator(tree.key, tree.weight, score) if tree.key == key else tree
    return Category(
        tree.key, tree.weight, tuple(with_leaf_score(child, key, score) for child in tree.children)
    )


@PROPERTY
@given(tree=trees)
def test_every_node_score_is_in_range_and_shares_sum_to_one(tree):
    for result in all_results(compose_tree(tree)):
        assert result.score is None or 0 <= result.score <= 100
        shares = [child.effective_weight for child in result.children]
        if result.children and result.is_sufficient:
            assert sum(shares) == pytest.approx(1.0)
        assert all(
            child.effective_weight == 0 for child in result.children if not child.is_sufficient
        )


@PROPERTY
@given(tree=trees, rng=st.randoms(use_true_random=False))
def test_sibling_order_does_not_matter(tree, rng):
    assert compose_tree(permuted(tree, rng)).score == compose_tree(tree).score


@PROPERTY
@given(tree=trees, data=st.data())
def test_raising_a_leaf_never_lowers_the_total(tree, data):
    scored = [r for r in all_results(compose_tree(tree)) if r.is_indicator and r.is_sufficient]
    assume(scored)
    leaf = data.draw(st.sampled_from(scored))
    raised = data.draw(st.floats(leaf.score, 100))
    before = compose_tree(tree).score
    after = compose_tree(with_leaf_score(tree, leaf.key, raised)).score
    if before is None:  # only zero weights carry scores: raising one changes nothing
        assert after is None
    else:
        assert after is not None
        assert after >= before


# ---------------------------------------------------------------- grades


@pytest.mark.parametrize(
    ("score", "code"),
    [
        (100, "excellent"),
        (90, "excellent"),
        (89.99, "good"),
        (80, "good"),
        (79.999, "satisfactory"),
        (60, "satisfactory"),
        (59.9, "needs_improvement"),
        (0, "needs_improvement"),
        (None, None),
    ],
)
def test_default_grade_band_edges(score, code):
    assert grade(score) == code


def test_configurable_grade_bands():
    bands = (GradeBand("pass", 0), GradeBand("distinction", 85))
    assert grade(85, bands) == "distinction"
    assert grade(84.9, bands) == "pass"
    assert validate_grade_bands([GradeBand("a", 50)]) == [
        "One grade band must start at 0 so that every score gets a grade."
    ]
    assert validate_grade_bands([GradeBand("a", 0), GradeBand("a", 50)]) == [
        "Each grade band needs its own non-empty code."
    ]
    with pytest.raises(ValueError, match="start at 0"):
        grade(70, [GradeBand("a", 50)])


# ---------------------------------------------------------------- vertical comparison


def test_vertical_change_is_significant():
    # Both intervals ±4 -> se = 4 / 1.96 = 2.041 each; se of the difference = 2.041 × √2 = 2.886;
    # 1.96 × 2.886 = 5.66 < 12 -> significant.
    comparison = vertical_comparison(Estimate(82, 78, 86), [Estimate(70, 66, 74)])
    change = comparison.against_previous
    assert change is not None
    assert change.difference == 12
    assert change.standard_error == pytest.approx(2.886, abs=1e-3)
    assert change.is_significant is True


def test_vertical_change_against_previous_and_average():
    # Intervals ±6 -> se = 6 / 1.96 = 3.061 each.
    # Previous (72): difference 8, se = 3.061 × √2 = 4.329; 1.96 × 4.329 = 8.49 > 8
    # -> not significant.
    # Average of the last four (70, 74, 68, 72) = 71: difference 9; se of the average
    # = sqrt(4 × 3.061²) / 4 = 1.531; se = sqrt(3.061² + 1.531²) = 3.423; 1.96 × 3.423 = 6.71 < 9
    # -> significant. The oldest cycle (60) is outside the window.
    history = [Estimate(v, v - 6, v + 6) for v in (60, 70, 74, 68, 72)]
    comparison = vertical_comparison(Estimate(80, 74, 86), history)
    previous, average = comparison.against_previous, comparison.against_average
    assert previous is not None
    assert average is not None
    assert (previous.reference, previous.difference, previous.is_significant) == (72, 8, False)
    assert previous.standard_error == pytest.approx(4.329, abs=1e-3)
    assert (average.reference, average.difference, average.cycles) == (71, 9, 4)
    assert average.standard_error == pytest.approx(3.423, abs=1e-3)
    assert average.is_significant is True


def test_vertical_comparison_without_intervals_or_history():
    comparison = vertical_comparison(Estimate(80), [Estimate(70), Estimate(None)])
    assert comparison.against_previous is None  # the previous cycle had no value
    average = comparison.against_average
    assert average is not None
    assert (average.reference, average.cycles, average.is_significant) == (70, 1, None)
    empty = vertical_comparison(Estimate(80, 75, 85), [])
    assert empty.against_previous is None
    assert empty.against_average is None


# ---------------------------------------------------------------- divergence


def test_divergence_alert():
    assert divergence_alert(90, 70).is_alert  # 20 > 15
    assert divergence_alert(90, 70).gap == 20
    assert not divergence_alert(85, 70).is_alert  # exactly 15 is not more than 15
    assert not divergence_alert(60, 90).is_alert  # citizens kinder than insiders: no alert
    assert divergence_alert(85, 70, margin=10).is_alert
    missing = divergence_alert(None, 70)
    assert (missing.is_alert, missing.gap) == (False, None)


# ---------------------------------------------------------------- sensitivity


def test_sensitivity_shows_a_grade_flip():
    # Base: 0.5 × 70 + 0.5 × 92 = 81 -> good.
    # a +10%: 0.55 × 70 + 0.45 × 92 = 38.5 + 41.4 = 79.9 -> satisfactory
    # a -10%: 0.45 × 70 + 0.55 × 92 = 31.5 + 50.6 = 82.1 -> good
    tree = Category("t", 100, (Indicator("a", 50, 70), Indicator("b", 50, 92)))
    report = sensitivity(tree)
    assert report.total == pytest.approx(81.0)
    assert report.grade == "good"
    rows = [
        (
            c.key,
            c.relative_change,
            round(c.weight_after, 6),
            round(c.total or 0, 6),
            c.grade,
            c.is_grade_changed,
        )
        for c in report.cases
    ]
    assert rows == [
        ("a", 0.1, 0.55, 79.9, "satisfactory", True),
        ("a", -0.1, 0.45, 82.1, "good", False),
        ("b", 0.1, 0.55, 82.1, "good", False),
        ("b", -0.1, 0.45, 79.9, "satisfactory", True),
    ]
    assert report.cases[0].total_change == pytest.approx(-1.1)


def test_sensitivity_renormalises_the_other_weights():
    # a 60% -> 66%; b and c share the remaining 34% as 3 : 1 -> 25.5% and 8.5%.
    # total = 0.66 × 100 + 0.255 × 50 + 0.085 × 0 = 66 + 12.75 = 78.75
    tree = Category(
        "t", 100, (Indicator("a", 60, 100), Indicator("b", 30, 50), Indicator("c", 10, 0))
    )
    case = sensitivity(tree).cases[0]
    assert (case.weight_before, case.weight_after) == pytest.approx((0.6, 0.66))
    assert case.total == pytest.approx(78.75)


# ---------------------------------------------------------------- feedback


def outcomes() -> list[IndicatorOutcome]:
    return [
        IndicatorOutcome("on_time", "Cases closed on time", "Share closed within the deadline",
                         "higher", 97, 100, ON_TIME),
        IndicatorOutcome("waiting", "Waiting time", "Median minutes in the queue", "lower",
                         25, 70, WAITING),
        IndicatorOutcome("complaints", "Complaints", "Complaints per 1,000 services", "lower",
                         4, 60, COMPLAINTS_LOWER),
        IndicatorOutcome("satisfaction", "Satisfaction", "Citizen satisfaction index", "higher",
                         92, 92, {"kind": "direct"}, target=90),
        IndicatorOutcome("transparency", "Transparency", "Open data published", "higher",
                         85, 85, {"kind": "direct"}),
        IndicatorOutcome("deputies", "Deputies' view", "People's congress evaluation", "higher",
                         None, None, {"kind": "direct"}),
    ]  # fmt: skip


def test_feedback_strengths_weaknesses_and_suggestions():
    feedback = build_feedback(outcomes())
    assert [(i.indicator, i.score, i.target_gap) for i in feedback.strengths] == [
        ("on_time", 100, 2),  # 97 against a target of 95
        ("satisfaction", 92, 2),
    ]
    assert [(i.indicator, i.score, i.target_gap) for i in feedback.weaknesses] == [
        ("complaints", 60, -3),  # 4 complaints against the best band's 1
        ("waiting", 70, -15),  # 25 minutes against a target of 10
    ]
    assert [(i.indicator, i.message_id) for i in feedback.suggestions] == [
        ("complaints", "feedback.suggestion.next_band"),
        ("waiting", "feedback.suggestion.reach_target"),
        ("deputies", "feedback.suggestion.collect_data"),
    ]
    complaints, waiting, deputies = feedback.suggestions
    assert complaints.params["next_threshold"] == 3
    assert complaints.params["next_score"] == 80
    assert waiting.params == {
        "name": "Waiting time",
        "definition": "Median minutes in the queue",
        "value": 25,
        "target": 10,
        "step": 2,
        "per": 1,
        "points_to_gain": 30,
    }
    assert deputies.params == {
        "name": "Deputies' view",
        "definition": "People's congress evaluation",
    }


def test_feedback_is_plain_json_ready_data_with_a_limit():
    feedback = build_feedback(outcomes(), limit=1)
    data = json.loads(json.dumps(feedback.to_dict()))
    assert [item["indicator"] for item in data["strengths"]] == ["on_time"]
    assert [item["indicator"] for item in data["weaknesses"]] == ["complaints"]
    assert [item["indicator"] for item in data["suggestions"]] == ["complaints", "deputies"]
    assert data["strengths"][0]["message_id"] == "feedback.strength"
    assert data["weaknesses"][0]["params"]["target"] == 1.0


def test_feedback_refuses_invalid_criteria():
    bad = IndicatorOutcome("x", "X", "", "higher", 1, 1, {"kind": "magic"})
    with pytest.raises(ValueError, match="indicator 'x'"):
        build_feedback([bad])
