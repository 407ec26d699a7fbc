"""The integrity scan over stored ratings and figures: flags, candidates, idempotence."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from citizenvoice.extensions import db
from citizenvoice.integrity import services
from citizenvoice.integrity.models import FindingSubject, StoredFinding
from citizenvoice.surveys.models import FlagKind, Rating, RatingFlag
from tests.indicators import conftest as indicator_fixtures

#: A Monday; ratings are stored in UTC and the city is UTC+8.
START = datetime(2026, 7, 6)
NOW = START + timedelta(days=42)

#: The cycle and indicator factories of the indicators tests.
make_cycle = indicator_fixtures.make_cycle
make_node = indicator_fixtures.make_node


def _rate(point: Any, when: datetime, overall: int = 4, **kw: Any) -> Rating:
    from citizenvoice.surveys import services as surveys

    version = surveys.version_for_point(point)
    return surveys.submit_rating(point, version, surveys.Submission(overall, created_at=when, **kw))


@pytest.fixture
def abused_point(app: Any, make_point: Any) -> Any:
    """Five weeks of a few ratings each weekday, then 30 ratings in one hour (the planted abuse)."""
    from citizenvoice.surveys import services as surveys

    surveys.default_survey()
    point = make_point(opening_hours="mon-fri 08:30-17:30")
    for day in range(35):
        moment = START + timedelta(days=day)
        if moment.weekday() < 5:
            for hour, overall in ((2, 3), (6, 4), (8, 5)):  # 10:00, 14:00, 16:00 local
                _rate(point, moment + timedelta(hours=hour, minutes=7 * day % 50), overall)
    burst = START + timedelta(days=37, hours=3)  # a Wednesday, 11:00 local
    burst_ids = [_rate(point, burst + timedelta(minutes=m), 5).id for m in range(30)]
    db.session.commit()
    return point, burst_ids


def test_the_scan_flags_the_planted_burst_and_stores_it_once(abused_point: Any) -> None:
    point, burst_ids = abused_point
    report = services.scan(days=60, now=NOW)
    db.session.commit()
    burst = db.session.scalars(select(StoredFinding).where(StoredFinding.kind == "burst")).one()
    assert burst.service_point_id == point.id and burst.unit_id == point.unit_id
    assert burst.subject is FindingSubject.RATINGS
    assert set(burst.record_ids) == set(burst_ids)
    assert burst.window_start == START + timedelta(days=37, hours=3)  # back in UTC
    flagged = set(
        db.session.scalars(select(RatingFlag.rating_id).where(RatingFlag.kind == FlagKind.BURST))
    )
    assert flagged == set(burst_ids)
    assert report.flags_added >= 30 and report.findings_added >= 1
    counted = db.session.scalar(
        select(func.count(Rating.id)).where(Rating.id.in_(burst_ids), Rating.is_counted)
    )
    assert counted == 0  # flagged ratings leave the scores until a person clears them


def test_running_the_scan_twice_adds_nothing(abused_point: Any) -> None:
    services.scan(days=60, now=NOW)
    db.session.commit()
    findings = db.session.scalar(select(func.count(StoredFinding.id)))
    flags = db.session.scalar(select(func.count(RatingFlag.id)))
    again = services.scan(days=60, now=NOW)
    db.session.commit()
    assert again.findings_added == 0 and again.flags_added == 0
    assert again.findings_seen >= 1
    assert db.session.scalar(select(func.count(StoredFinding.id))) == findings
    assert db.session.scalar(select(func.count(RatingFlag.id))) == flags


def test_the_scan_never_removes_a_decided_flag(abused_point: Any) -> None:
    from citizenvoice.surveys import services as surveys

    _point, burst_ids = abused_point
    services.scan(days=60, now=NOW)
    flag = db.session.scalars(
        select(RatingFlag).where(RatingFlag.rating_id == burst_ids[0])
    ).first()
    assert flag is not None
    surveys.decide_flag(flag, False, "Queue day after a holiday", None)
    db.session.commit()
    services.scan(days=60, now=NOW)
    db.session.commit()
    flags = list(db.session.scalars(select(RatingFlag).where(RatingFlag.rating_id == burst_ids[0])))
    assert [f.status.value for f in flags] == ["cleared"]  # not flagged again, not deleted


def test_a_quiet_point_gives_no_finding(app: Any, make_point: Any) -> None:
    from citizenvoice.surveys import services as surveys

    surveys.default_survey()
    point = make_point()
    weekdays = [d for d in range(28) if (START + timedelta(days=d)).weekday() < 5]
    for day in weekdays:
        _rate(point, START + timedelta(days=day, hours=2))  # 10:00 local, open
    db.session.commit()
    report = services.scan(days=60, now=NOW)
    assert report.ratings_scanned == 20 and report.findings_added == 0


def test_ratings_outside_opening_hours_are_found_but_not_flagged(app: Any, make_point: Any) -> None:
    from citizenvoice.surveys import services as surveys

    surveys.default_survey()
    point = make_point(opening_hours="mon-fri 08:30-17:30")
    sunday = START + timedelta(days=6)
    ids = [_rate(point, sunday + timedelta(hours=3, minutes=m)).id for m in range(0, 60, 5)]
    db.session.commit()
    services.scan(days=60, now=NOW)
    found = db.session.scalars(select(StoredFinding).where(StoredFinding.kind == "off_hours")).all()
    assert found and set(ids) <= {i for f in found for i in f.record_ids}
    assert all(f.flags_created == 0 for f in found)  # no flag kind matches: a person reviews


def test_a_figure_jump_becomes_an_inspection_candidate(
    app: Any, make_unit: Any, make_cycle: Any, make_node: Any
) -> None:
    from datetime import date

    from citizenvoice.indicators.models import CycleState, DataSource, SelfReportedFigure

    unit = make_unit()
    figures = {}
    values = [61.0, 62.5, 61.8, 63.0, 62.2, 63.4, 62.9, 97.0]
    for quarter, value in enumerate(values):
        start = date(2024 + quarter // 4, 1 + 3 * (quarter % 4), 1)
        cycle = make_cycle(f"q{quarter}", CycleState.EVALUATING, units=[unit], period_start=start)
        node = make_node(cycle, source=DataSource.SELF_REPORTED, code="on-time")
        figure = SelfReportedFigure(
            cycle_id=cycle.id, unit_id=unit.id, indicator_id=node.id, value=value
        )
        db.session.add(figure)
        db.session.commit()
        figures[quarter] = (cycle, node, figure)
    report = services.scan(days=30, now=NOW)
    db.session.commit()
    jump = db.session.scalars(
        select(StoredFinding).where(StoredFinding.kind == "figure_jump")
    ).one()
    cycle, node, figure = figures[7]
    assert jump.is_inspection_candidate and jump.subject is FindingSubject.FIGURES
    assert (jump.unit_id, jump.cycle_id, jump.indicator_id) == (unit.id, cycle.id, node.id)
    assert jump.record_ids == [figure.id]
    assert report.candidates_added == 1
    assert services.scan(days=30, now=NOW).findings_added == 0


def test_opening_hours_are_read_for_the_detectors() -> None:
    from datetime import time

    hours = services.opening_hours_of('{"mon": [["08:30", "12:00"], ["13:30", "24:00"]]}')
    assert hours[0] == [(time(8, 30), time(12, 0)), (time(13, 30), time(0, 0))]
    assert hours[6] == []
    assert services.opening_hours_of("not json") == {}


def test_the_command_stores_findings_once(abused_point: Any, runner: Any) -> None:
    first = runner.invoke(args=["integrity-scan", "--days", "3660"])
    assert first.exit_code == 0, first.output
    assert "ratings flagged" in first.output and " 0 new," not in first.output
    second = runner.invoke(args=["integrity-scan", "--days", "3660"])
    assert second.exit_code == 0 and " 0 new, 0 ratings flagged" in second.output
    assert runner.invoke(args=["integrity-scan", "--days", "0"]).exit_code != 0
