"""Rollups always equal a recomputation over unflagged ratings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from citizenvoice.extensions import db
from citizenvoice.surveys import services
from citizenvoice.surveys.models import (
    AnswerRollup,
    FlagKind,
    Rating,
    RatingAnswer,
    RatingFlag,
    RatingHourRollup,
    RatingRollup,
)
from citizenvoice.surveys.rollups import (
    answer_rollup_rows,
    hour_rollup_rows,
    recompute_rollups,
    recomputed_answer_rows,
    recomputed_hour_rows,
    recomputed_rows,
    rollup_rows,
)

START = datetime(2026, 3, 1, 8, 0)

add = st.tuples(
    st.just("add"),
    st.dictionaries(st.integers(0, 4), st.integers(0, 5), max_size=5),  # answers by position
    st.integers(0, 1),  # point
    st.booleans(),  # with the service
    st.integers(1, 5),  # overall
    st.integers(0, 72),  # hours after START
    st.booleans(),  # honeypot (stored flagged)
)
flag = st.tuples(st.just("flag"), st.integers(0, 1000), st.sampled_from(list(FlagKind)))
decide = st.tuples(st.just("decide"), st.integers(0, 1000), st.booleans())
operations = st.lists(st.one_of(add, flag, decide), min_size=1, max_size=40)


def _clear() -> None:
    for model in (RatingFlag, RatingAnswer, RatingRollup, AnswerRollup, RatingHourRollup, Rating):
        db.session.execute(delete(model))
    db.session.flush()


def _apply(operation: tuple[Any, ...], world: dict[str, Any]) -> None:
    ratings, flags = world["ratings"], world["flags"]
    if operation[0] == "add":
        _, answers, p, with_service, overall, hours, honeypot = operation
        point = world["points"][p]
        questions = world["version"].questions
        sub = services.Submission(
            overall=overall,
            answers={
                questions[i].id: (max(v, 1) if questions[i].kind.value == "scale" else v % 2)
                for i, v in answers.items()
            },
            service_id=world["service"].id if with_service and p == 0 else None,
            is_honeypot=honeypot,
            created_at=START + timedelta(hours=hours),
        )
        rating = services.submit_rating(point, world["version"], sub)
        ratings.append(rating)
        flags.extend(rating.flags)
    elif operation[0] == "flag" and ratings:
        rating = ratings[operation[1] % len(ratings)]
        flags.append(services.add_flag(rating, operation[2], "test", staff_id=None))
    elif operation[0] == "decide":
        open_flags = [f for f in flags if f.status.value == "open"]
        if open_flags:
            chosen = open_flags[operation[1] % len(open_flags)]
            services.decide_flag(chosen, operation[2], "checked", staff_id=None)


def test_rollups_equal_recomputation_property(app: Flask, make_point: Any) -> None:
    from citizenvoice.org import services as org

    service = org.create_service("svc-prop", "Service")
    points = [make_point(), make_point()]
    points[0].services = [service]
    services.default_survey()
    db.session.commit()
    version = services.version_for_point(points[0])

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(operations)
    def check(ops: list[tuple[Any, ...]]) -> None:
        db.session.rollback()
        _clear()
        world = {"points": points, "service": service, "version": version}
        world.update(ratings=[], flags=[])
        for operation in ops:
            _apply(operation, world)
        db.session.flush()
        assert rollup_rows() == recomputed_rows()
        assert answer_rollup_rows() == recomputed_answer_rows()
        assert hour_rollup_rows() == recomputed_hour_rows()
        counted = [r for r in world["ratings"] if r.is_counted]
        assert sum(v[0] for v in rollup_rows().values()) == len(counted)
        assert sum(hour_rollup_rows().values()) == len(counted)
        assert all(
            r.is_counted == all(f.status.value == "cleared" for f in r.flags)
            for r in world["ratings"]
        )
        db.session.rollback()

    check()


def test_recompute_rebuilds_the_same_rows(app: Flask, point: Any) -> None:
    version = services.version_for_point(point)
    for n in range(30):
        services.submit_rating(
            point,
            version,
            services.Submission(
                overall=1 + n % 5,
                answers={version.questions[0].id: 1 + n % 5, version.questions[3].id: n % 2},
                created_at=START + timedelta(hours=n * 5),
            ),
        )
    before, answers_before, hours_before = rollup_rows(), answer_rollup_rows(), hour_rollup_rows()
    db.session.execute(delete(RatingRollup))
    db.session.execute(delete(RatingHourRollup))
    assert rollup_rows() == {} and hour_rollup_rows() == {}
    written = recompute_rollups()
    assert written == len(before) and rollup_rows() == before
    assert answer_rollup_rows() == answers_before
    assert hour_rollup_rows() == hours_before and sum(hours_before.values()) == 30
    assert sum(v[0] for v in before.values()) == 30
    assert sum(v[2] for v in before.values()) == sum(1 + n % 5 for n in range(30))


def test_busy_hours_follow_flag_confirm_and_clear(app: Flask, point: Any) -> None:
    """Each decision is committed on its own, as the staff pages do, and the rows stay exact."""
    from citizenvoice.surveys.models import FlagStatus

    version = services.version_for_point(point)
    monday_nine, sunday_late = datetime(2026, 8, 3, 9, 15), datetime(2026, 8, 9, 23, 59)

    def rate(when: datetime, honeypot: bool = False) -> Rating:
        sub = services.Submission(overall=4, created_at=when, is_honeypot=honeypot)
        rating = services.submit_rating(point, version, sub)
        db.session.commit()
        return rating

    kept = [rate(monday_nine) for _ in range(3)]
    held = rate(sunday_late, honeypot=True)  # stored with an open flag, not counted
    assert hour_rollup_rows() == {(point.id, 1, 9): 3}

    services.decide_flag(held.flags[0], confirm=False, reason="a person", staff_id=None)
    db.session.commit()
    assert hour_rollup_rows() == {(point.id, 1, 9): 3, (point.id, 7, 23): 1}

    flag = services.add_flag(kept[0], FlagKind.MANUAL, "looks odd")
    db.session.commit()
    assert hour_rollup_rows() == {(point.id, 1, 9): 2, (point.id, 7, 23): 1}
    services.decide_flag(flag, confirm=True, reason="same device", staff_id=None)
    db.session.commit()
    assert flag.status is FlagStatus.CONFIRMED
    assert hour_rollup_rows() == {(point.id, 1, 9): 2, (point.id, 7, 23): 1}

    second = services.add_flag(kept[1], FlagKind.MANUAL, "also odd")
    db.session.commit()
    assert hour_rollup_rows() == {(point.id, 1, 9): 1, (point.id, 7, 23): 1}
    services.decide_flag(second, confirm=False, reason="fine", staff_id=None)
    db.session.commit()
    assert hour_rollup_rows() == {(point.id, 1, 9): 2, (point.id, 7, 23): 1}
    assert hour_rollup_rows() == recomputed_hour_rows()
