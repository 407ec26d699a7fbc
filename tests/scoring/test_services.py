"""Computing results through the database: a small tree worked out by hand."""

from __future__ import annotations

import json
import math

import pytest
from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.scoring import services
from citizenvoice.scoring.engine import GradeBand
from citizenvoice.scoring.models import Computation, IndicatorResult, UnitResult
from citizenvoice.scoring.stats import wilson_interval

# By hand (see the worked_example fixture):
# sat: 50 counted ratings = 30 × 100 + 10 × 75 + 5 × 50 + 5 × 25 → 4125 / 50 = 82.5
#      (the 7 flagged "very dissatisfied" ratings are left out)
# licence-sat: 10 ratings < 30 → insufficient; its 30% goes to "sat" → service = 82.5
# eval: experts 60 70 80 90 100 → trimmed 70 80 90 → 80; superiors 95 85 → 90;
#       0.6 × 80 + 0.4 × 90 = 84
# ontime: linear, target 98, 5 points per unit short: 95 → 100 - 3 × 5 = 85
# work = 0.5 × 84 + 0.5 × 85 = 84.5; total = 0.6 × 82.5 + 0.4 × 84.5 = 83.3 → good
SAT = 82.5
EVAL = 84.0
ONTIME = 85.0
TOTAL = 0.6 * SAT + 0.4 * (EVAL + ONTIME) / 2


def indicator_rows(cycle, unit) -> dict[str, IndicatorResult]:
    rows = db.session.scalars(
        select(IndicatorResult).where(
            IndicatorResult.cycle_id == cycle.id, IndicatorResult.unit_id == unit.id
        )
    )
    codes = {}
    for row in rows:
        from citizenvoice.indicators.models import IndicatorNode

        codes[db.session.get(IndicatorNode, row.node_id).code] = row
    return codes


def test_worked_example_through_the_database(worked_example) -> None:
    cycle, unit = worked_example["cycle"], worked_example["unit"]
    report = services.compute_cycle(cycle.id)
    db.session.commit()
    assert report.units == 1 and report.ratings_used == 50 and report.ratings_flagged == 7

    rows = indicator_rows(cycle, unit)
    assert rows["sat"].value == pytest.approx(SAT) and rows["sat"].score == pytest.approx(SAT)
    assert rows["sat"].ratings_used == 50 and rows["sat"].ratings_flagged == 7
    low, high = wilson_interval(SAT / 100, 50)
    assert rows["sat"].lower == pytest.approx(low * 100)
    assert rows["sat"].upper == pytest.approx(high * 100)
    assert rows["licence-sat"].score is None and rows["licence-sat"].note == "small_sample"
    assert rows["licence-sat"].ratings_used == 10
    assert rows["licence-sat"].effective_weight == 0
    assert rows["sat"].effective_weight == pytest.approx(1.0)  # 70% + the redistributed 30%
    assert rows["service"].score == pytest.approx(SAT)

    assert rows["eval"].value == pytest.approx(EVAL) and rows["eval"].evaluators == 7
    subjects = {s["subject"]: s for s in json.loads(rows["eval"].inputs_json)["subjects"]}
    assert subjects["experts"]["value"] == pytest.approx(80) and subjects["experts"]["is_trimmed"]
    assert subjects["superiors"]["value"] == pytest.approx(90)
    assert rows["ontime"].value == 95 and rows["ontime"].score == pytest.approx(ONTIME)
    assert rows["work"].score == pytest.approx(84.5)
    assert rows["ontime"].global_weight == pytest.approx(0.2)
    assert rows["sat"].global_weight == pytest.approx(0.6)

    result = db.session.get(UnitResult, (cycle.id, unit.id))
    assert result.total == pytest.approx(TOTAL) and round(TOTAL, 1) == 83.3
    assert result.grade == "good"
    assert result.ratings_used == 50 and result.ratings_flagged == 7 and result.evaluators == 7
    assert result.citizen_index == pytest.approx(SAT)
    # the total's interval: only the citizen indicator is sampled
    assert result.total_lower == pytest.approx(0.6 * low * 100 + 0.4 * 84.5)
    assert result.total_upper == pytest.approx(0.6 * high * 100 + 0.4 * 84.5)
    assert result.internal_score == pytest.approx(EVAL)
    details = json.loads(result.details_json)
    assert details["divergence"]["gap"] == pytest.approx(EVAL - SAT)
    assert not details["divergence"]["is_alert"] and not result.is_divergent
    cases = details["sensitivity"]["cases"]
    assert {(c["key"], c["relative_change"]) for c in cases} == {
        ("service", 0.1), ("service", -0.1), ("work", 0.1), ("work", -0.1)
    }  # fmt: skip
    service_up = next(c for c in cases if c["key"] == "service" and c["relative_change"] > 0)
    assert service_up["total"] == pytest.approx(0.66 * SAT + 0.34 * 84.5)
    assert details["vertical"]["against_previous"] is None  # no earlier cycle
    feedback = details["feedback"]
    assert [w["indicator"] for w in feedback["weaknesses"]] == []
    assert {s["indicator"] for s in feedback["suggestions"]} == {"licence-sat"}


def test_sub_units_points_count_and_flags_are_excluded(worked_example, add_ratings) -> None:
    cycle, unit = worked_example["cycle"], worked_example["unit"]
    add_ratings(worked_example["sub_point"], {1: 10}, flagged={5: 3})
    services.compute_cycle(cycle.id)
    rows = indicator_rows(cycle, unit)
    assert rows["sat"].ratings_used == 60 and rows["sat"].ratings_flagged == 10
    assert rows["sat"].value == pytest.approx(4125 / 60)


def test_ratings_outside_the_period_do_not_count(worked_example, add_ratings) -> None:
    from datetime import datetime

    cycle, unit = worked_example["cycle"], worked_example["unit"]
    add_ratings(worked_example["point"], {1: 40}, when=datetime(2026, 10, 1, 0, 0))
    add_ratings(worked_example["point"], {1: 40}, when=datetime(2026, 6, 30, 23, 59))
    services.compute_cycle(cycle.id)
    assert indicator_rows(cycle, unit)["sat"].value == pytest.approx(SAT)


def test_the_minimum_sample_and_grade_bands_are_configurable(worked_example) -> None:
    cycle, unit = worked_example["cycle"], worked_example["unit"]
    settings = services.ScoringSettings.from_config(
        {"MIN_SAMPLE": 5, "GRADE_BANDS": [("gold", 83), ("silver", 0)]}
    )
    services.compute_cycle(cycle.id, settings)
    rows = indicator_rows(cycle, unit)
    assert rows["licence-sat"].score == pytest.approx(100)
    result = db.session.get(UnitResult, (cycle.id, unit.id))
    expected = 0.6 * (0.7 * SAT + 0.3 * 100) + 0.4 * 84.5
    assert result.total == pytest.approx(expected) and result.grade == "gold"


def test_divergence_alert_when_insiders_are_far_kinder(worked_example) -> None:
    cycle, unit = worked_example["cycle"], worked_example["unit"]
    services.compute_cycle(cycle.id, services.ScoringSettings(margin=1.0))
    assert db.session.get(UnitResult, (cycle.id, unit.id)).is_divergent


def test_a_verified_figure_replaces_the_self_reported_one(worked_example) -> None:
    cycle, unit = worked_example["cycle"], worked_example["unit"]
    ontime = worked_example["nodes"]["ontime"]
    source = lambda cycle_id: [(unit.id, ontime.id, 90.0)]  # noqa: E731
    services.VERIFIED_FIGURE_SOURCES.append(source)
    try:
        services.compute_cycle(cycle.id)
    finally:
        services.VERIFIED_FIGURE_SOURCES.remove(source)
    row = indicator_rows(cycle, unit)["ontime"]
    assert row.value == 90 and row.score == pytest.approx(60)
    assert json.loads(row.inputs_json) == {
        "source": "verified", "self_reported": 95.0, "verified": 90.0
    }  # fmt: skip


def test_recomputing_is_deterministic_and_idempotent(worked_example) -> None:
    cycle = worked_example["cycle"]

    def snapshot() -> tuple[list, list, str]:
        units = db.session.execute(select(UnitResult.__table__)).all()
        nodes = db.session.execute(
            select(IndicatorResult.__table__).order_by(
                IndicatorResult.unit_id, IndicatorResult.node_id
            )
        ).all()
        return [tuple(r) for r in units], [tuple(r) for r in nodes], computation_fingerprint()

    def computation_fingerprint() -> str:
        return db.session.get(Computation, cycle.id).fingerprint

    first_report = services.compute_cycle(cycle.id)
    db.session.commit()
    first = snapshot()
    second_report = services.compute_cycle(cycle.id)
    db.session.commit()
    assert snapshot() == first
    assert first_report.fingerprint == second_report.fingerprint
    assert len(first[1]) == 6


def test_history_gives_a_vertical_comparison(worked_example, make_cycle) -> None:
    from datetime import date

    from citizenvoice.indicators.models import CycleState

    cycle, unit = worked_example["cycle"], worked_example["unit"]
    earlier = make_cycle(
        "2026-q2", CycleState.PUBLISHED, units=[unit],
        period_start=date(2026, 4, 1), period_end=date(2026, 6, 30),
    )  # fmt: skip
    db.session.add(UnitResult(cycle_id=earlier.id, unit_id=unit.id, total=70.0,
                              total_lower=68.0, total_upper=72.0))  # fmt: skip
    db.session.commit()
    services.compute_cycle(cycle.id)
    details = json.loads(db.session.get(UnitResult, (cycle.id, unit.id)).details_json)
    previous = details["vertical"]["against_previous"]
    assert previous["reference"] == 70 and previous["difference"] == pytest.approx(TOTAL - 70)
    assert previous["is_significant"] is True and previous["cycles"] == 1


def test_an_indicator_for_another_unit_and_empty_trees(worked_example, make_unit, make_node):
    from citizenvoice.indicators.models import CycleUnit, DataSource, Origin

    cycle = worked_example["cycle"]
    other = make_unit("other")
    db.session.add(CycleUnit(cycle_id=cycle.id, unit_id=other.id))
    db.session.commit()
    make_node(
        cycle, worked_example["nodes"]["work"], weight=10, source=DataSource.SELF_REPORTED,
        unit=worked_example["unit"], origin=Origin.EXPECTED, code="own",
    )  # fmt: skip
    services.compute_cycle(cycle.id)
    assert "own" in indicator_rows(cycle, worked_example["unit"])
    assert "own" not in indicator_rows(cycle, other)
    other_result = db.session.get(UnitResult, (cycle.id, other.id))
    # no ratings, no evaluations, no figures: every branch insufficient
    assert other_result.total is None and other_result.grade is None


def test_dimension_without_answers_is_reported_unavailable(worked_example, make_node) -> None:
    from citizenvoice.indicators.models import DataSource

    cycle = worked_example["cycle"]
    make_node(
        cycle, worked_example["nodes"]["service"], weight=10, source=DataSource.CITIZEN_RATING,
        code="waiting", survey_dimension="waiting",
    )  # fmt: skip
    services.compute_cycle(cycle.id)
    row = indicator_rows(cycle, worked_example["unit"])["waiting"]
    assert row.score is None and row.note == "dimension_unavailable"


def test_dimension_indicator_reads_the_answer_rollups(worked_example, make_node) -> None:
    """Waiting time answered 20 × very satisfied, 12 × basically, 8 × very dissatisfied:
    (20·100 + 12·50 + 8·0) / 40 = 65; a yes/no question scores its share of "yes"."""
    from datetime import date

    from citizenvoice.indicators.models import DataSource
    from citizenvoice.surveys import services as surveys
    from citizenvoice.surveys.models import AnswerRollup

    cycle, point = worked_example["cycle"], worked_example["point"]
    questions = {q.code: q for q in surveys.version_for_point(point).questions}
    day = date(2026, 8, 3)
    for code, value, answers in [
        ("waiting", 5, 20),
        ("waiting", 3, 12),
        ("waiting", 1, 8),
        ("resolved", 1, 30),
        ("resolved", 0, 10),
    ]:
        db.session.add(
            AnswerRollup(
                service_point_id=point.id,
                service_key=0,
                day=day,
                question_id=questions[code].id,
                value=value,
                answers=answers,
            )
        )
    # An answer outside the cycle's period is not counted.
    db.session.add(
        AnswerRollup(
            service_point_id=point.id,
            service_key=0,
            day=date(2025, 1, 1),
            question_id=questions["waiting"].id,
            value=1,
            answers=50,
        )
    )
    db.session.commit()
    for code in ("waiting", "resolved"):
        make_node(
            cycle, worked_example["nodes"]["service"], weight=10,
            source=DataSource.CITIZEN_RATING, code=code, survey_dimension=code,
        )  # fmt: skip
    services.compute_cycle(cycle.id)
    rows = indicator_rows(cycle, worked_example["unit"])
    assert rows["waiting"].value == pytest.approx(65.0)
    assert rows["waiting"].ratings_used == 40
    assert rows["resolved"].value == pytest.approx(75.0)


def test_funnel_plot_data_has_no_ranks(worked_example) -> None:
    services.compute_cycle(worked_example["cycle"].id)
    plot = services.funnel(worked_example["cycle"].id)
    assert [p.key for p in plot.points] == ["bureau"]
    assert plot.mean == pytest.approx(SAT) and plot.points[0].classification == "within"
    assert math.isclose(plot.points[0].value or 0, SAT)


def test_planning_cycles_cannot_be_computed(make_cycle) -> None:
    from citizenvoice.core.errors import InvalidTransition

    cycle = make_cycle()
    with pytest.raises(InvalidTransition):
        services.compute_cycle(cycle.id)


def test_grade_band_settings_are_checked() -> None:
    settings = services.ScoringSettings.from_config({"GRADE_BANDS": {"a": 50, "b": 0}})
    assert settings.bands == (GradeBand("a", 50.0), GradeBand("b", 0.0))


def test_the_number_of_queries_does_not_grow_with_units(worked_example, make_unit, make_point):
    """Set-based: a fixed number of statements per cycle, not one per unit or indicator."""
    from sqlalchemy import event

    from citizenvoice.indicators.models import CycleUnit

    cycle = worked_example["cycle"]

    def statements() -> int:
        seen: list[str] = []

        def count(_conn, _cursor, statement, *_args) -> None:
            seen.append(statement)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            services.compute_cycle(cycle.id)
            db.session.commit()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    statements()  # the first run also creates the computation row
    few = statements()
    for n in range(5):
        unit = make_unit(f"extra-{n}")
        make_point(unit)
        db.session.add(CycleUnit(cycle_id=cycle.id, unit_id=unit.id))
    db.session.commit()
    assert statements() == few
