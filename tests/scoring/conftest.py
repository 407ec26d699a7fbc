"""Factories for scoring tests: cycles and trees (from tests/indicators), ratings, evaluations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask

from citizenvoice.extensions import db
from tests.indicators import conftest as indicator_fixtures

#: The cycle and indicator factories of tests/indicators, shared here.
make_cycle = indicator_fixtures.make_cycle
make_node = indicator_fixtures.make_node

#: A moment inside the default test cycle's period (2026-07-01 .. 2026-09-30).
IN_PERIOD = datetime(2026, 8, 3, 10, 30)


@pytest.fixture
def add_ratings(app: Flask) -> Callable[..., Any]:
    """Insert ratings {level: count} at a point, some flagged, then rebuild the rollups."""
    from citizenvoice.surveys import services as surveys
    from citizenvoice.surveys.models import FlagKind, Rating, RatingFlag
    from citizenvoice.surveys.rollups import recompute_rollups

    def add(
        point: Any,
        counts: dict[int, int],
        when: datetime = IN_PERIOD,
        service: Any = None,
        flagged: dict[int, int] | None = None,
    ) -> None:
        version = surveys.version_for_point(point)
        ratings = []
        for is_counted, table in ((True, counts), (False, flagged or {})):
            for overall, n in table.items():
                ratings.extend(
                    Rating(
                        service_point_id=point.id,
                        service_id=service.id if service is not None else None,
                        survey_version_id=version.id,
                        overall=overall,
                        created_at=when,
                        is_counted=is_counted,
                    )
                    for _ in range(n)
                )
        db.session.add_all(ratings)
        db.session.flush()
        for rating in ratings:
            if not rating.is_counted:
                db.session.add(RatingFlag(rating_id=rating.id, kind=FlagKind.BURST))
        recompute_rollups()
        db.session.commit()

    return add


@pytest.fixture
def add_evaluations(app: Flask, make_user: Callable[..., Any]) -> Callable[..., Any]:
    """Submitted evaluations of ``unit`` on ``node``: {subject: [scores]}, one evaluator each."""
    from citizenvoice.accounts.models import Role
    from citizenvoice.evaluations.models import Assignment, EvaluationState
    from citizenvoice.indicators.models import Subject

    def add(cycle: Any, unit: Any, node: Any, scores: dict[str, list[float]]) -> None:
        for subject, values in scores.items():
            for value in values:
                evaluator = make_user(Role.EVALUATOR)
                db.session.add(
                    Assignment(
                        cycle_id=cycle.id, evaluator_id=evaluator.id, subject=Subject(subject),
                        unit_id=unit.id, indicator_id=node.id, score=value,
                        justification="Scored against the published criteria.",
                        state=EvaluationState.SUBMITTED, submitted_at=IN_PERIOD,
                    )
                )  # fmt: skip
        db.session.commit()

    return add


@pytest.fixture
def add_figure(app: Flask) -> Callable[..., Any]:
    from citizenvoice.indicators.models import SelfReportedFigure

    def add(cycle: Any, unit: Any, node: Any, value: float) -> Any:
        figure = SelfReportedFigure(
            cycle_id=cycle.id, unit_id=unit.id, indicator_id=node.id, value=value,
            note="From the case register", submitted_at=IN_PERIOD,
        )  # fmt: skip
        db.session.add(figure)
        db.session.commit()
        return figure

    return add


@pytest.fixture
def worked_example(
    app: Flask,
    make_unit: Callable[..., Any],
    make_point: Callable[..., Any],
    make_cycle: Callable[..., Any],
    make_node: Callable[..., Any],
    add_ratings: Callable[..., Any],
    add_evaluations: Callable[..., Any],
    add_figure: Callable[..., Any],
) -> dict[str, Any]:
    """The small tree computed by hand in tests/scoring/test_services.py."""
    from citizenvoice.indicators.models import CycleState, DataSource, NodeKind
    from citizenvoice.org import services as org

    unit = make_unit("bureau")
    sub = make_unit("bureau-office", parent=unit)
    licence = org.create_service("licence", "Business licence")
    db.session.commit()
    point = make_point(unit, service_ids=[licence.id])
    sub_point = make_point(sub)
    cycle = make_cycle("2026-q3", CycleState.EVALUATING, units=[unit])
    service = make_node(cycle, kind=NodeKind.CATEGORY, weight=60, code="service")
    sat = make_node(
        cycle, service, weight=70, source=DataSource.CITIZEN_RATING, code="sat",
        name="Citizen satisfaction",
    )  # fmt: skip
    lic = make_node(
        cycle, service, weight=30, source=DataSource.CITIZEN_RATING, code="licence-sat",
        service_code="licence",
    )  # fmt: skip
    work = make_node(cycle, kind=NodeKind.CATEGORY, weight=40, code="work")
    evaluation = make_node(
        cycle, work, weight=50, source=DataSource.INTERNAL_EVALUATION, code="eval",
        subject_weights={"experts": 60, "superiors": 40},
    )  # fmt: skip
    ontime = make_node(
        cycle, work, weight=50, source=DataSource.SELF_REPORTED, code="ontime",
        criteria={"kind": "linear", "target": 98, "floor": 80, "step": 5, "per": 1},
        target_value=98.0,
    )  # fmt: skip
    # 40 overall ratings at the unit's point and 10 for the licence service at its sub-unit's
    # point would leave the licence indicator below 30; the 7 flagged ones never count.
    add_ratings(point, {5: 20, 4: 10, 3: 5, 2: 5}, flagged={1: 7})
    add_ratings(point, {5: 10}, service=licence)
    add_ratings(sub_point, {}, flagged={})
    add_evaluations(
        cycle, unit, evaluation, {"experts": [70, 80, 90, 60, 100], "superiors": [95, 85]}
    )
    add_figure(cycle, unit, ontime, 95.0)
    return {
        "unit": unit, "sub": sub, "point": point, "sub_point": sub_point, "cycle": cycle,
        "licence": licence, "nodes": {n.code: n for n in (service, sat, lic, work, evaluation,
                                                          ontime)},
    }  # fmt: skip
