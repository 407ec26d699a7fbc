"""Property: the citizen index computed through the database (rollups, flags, sub-units, the
cycle's period) equals an independent recomputation over the unflagged ratings."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from citizenvoice.extensions import db
from citizenvoice.scoring import services
from citizenvoice.scoring.models import Computation, IndicatorResult, UnitResult

POINTS = {5: 100, 4: 75, 3: 50, 2: 25, 1: 0}
PERIOD = (date(2026, 7, 1), date(2026, 9, 30))

rating = st.tuples(
    st.integers(0, 2),  # which point: 0 the unit's, 1 its sub-unit's, 2 another unit's
    st.booleans(),  # with the service
    st.integers(1, 5),  # overall
    st.booleans(),  # flagged
    st.integers(-3, 94),  # day offset from the period's start (some fall outside)
    st.integers(0, 86399),  # second of the day
)


@pytest.fixture
def world(app, make_unit, make_point, make_cycle, make_node):
    from citizenvoice.indicators.models import CycleState, DataSource
    from citizenvoice.org import services as org

    unit = make_unit("unit")
    sub = make_unit("unit-sub", parent=unit)
    other = make_unit("other")
    service = org.create_service("permit", "Permit")
    db.session.commit()
    points = [make_point(u, service_ids=[service.id]) for u in (unit, sub, other)]
    cycle = make_cycle("prop", CycleState.EVALUATING, units=[unit, other])
    make_node(cycle, weight=50, source=DataSource.CITIZEN_RATING, code="sat")
    make_node(cycle, weight=50, source=DataSource.CITIZEN_RATING, code="svc", service_code="permit")
    return {"unit": unit, "other": other, "points": points, "cycle": cycle, "service": service}


def _store(world, ratings) -> None:
    from citizenvoice.surveys import services as surveys
    from citizenvoice.surveys.models import FlagKind, Rating, RatingFlag, RatingRollup
    from citizenvoice.surveys.rollups import recompute_rollups

    for model in (RatingFlag, Rating, RatingRollup, IndicatorResult, UnitResult, Computation):
        db.session.execute(delete(model))
    version = surveys.version_for_point(world["points"][0])
    start = datetime.combine(PERIOD[0], datetime.min.time())
    rows = []
    for point, with_service, overall, flagged, day, second in ratings:
        rows.append(
            Rating(
                service_point_id=world["points"][point].id,
                service_id=world["service"].id if with_service else None,
                survey_version_id=version.id,
                overall=overall,
                created_at=start + timedelta(days=day, seconds=second),
                is_counted=not flagged,
            )
        )
    db.session.add_all(rows)
    db.session.flush()
    for row in rows:
        if not row.is_counted:
            db.session.add(RatingFlag(rating_id=row.id, kind=FlagKind.DUPLICATE_DEVICE))
    recompute_rollups()
    db.session.commit()


def _expected(ratings, points: set[int], service_only: bool, min_sample: int):
    def chosen(flagged: bool):
        return [
            r for r in ratings
            if r[0] in points and (r[1] or not service_only) and r[3] is flagged
            and 0 <= r[4] <= (PERIOD[1] - PERIOD[0]).days
        ]  # fmt: skip

    used = chosen(False)
    value = None
    if len(used) >= min_sample:
        value = sum(POINTS[r[2]] for r in used) / len(used)
    return value, len(used), len(chosen(True))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ratings=st.lists(rating, max_size=80), min_sample=st.integers(1, 25))
def test_citizen_index_equals_an_independent_recomputation(world, ratings, min_sample) -> None:
    _store(world, ratings)
    settings_ = services.ScoringSettings(min_sample=min_sample)
    first = services.compute_cycle(world["cycle"].id, settings_)
    db.session.commit()
    assert services.compute_cycle(world["cycle"].id, settings_).fingerprint == first.fingerprint
    db.session.commit()
    codes = {}
    from citizenvoice.indicators.models import IndicatorNode

    for node in db.session.scalars(select(IndicatorNode)):
        codes[node.id] = node.code
    for unit, points in ((world["unit"], {0, 1}), (world["other"], {2})):
        rows = {
            codes[r.node_id]: r
            for r in db.session.scalars(
                select(IndicatorResult).where(IndicatorResult.unit_id == unit.id)
            )
        }
        for code, service_only in (("sat", False), ("svc", True)):
            value, used, flagged = _expected(ratings, points, service_only, min_sample)
            row = rows[code]
            assert (row.ratings_used, row.ratings_flagged) == (used, flagged)
            if value is None:
                assert row.value is None and row.note == "small_sample"
            else:
                assert row.value == pytest.approx(value)
                assert row.lower <= row.value <= row.upper
        result = db.session.get(UnitResult, (world["cycle"].id, unit.id))
        value, used, flagged = _expected(ratings, points, False, min_sample)
        assert (result.ratings_used, result.ratings_flagged) == (used, flagged)
        assert result.citizen_index == (pytest.approx(value) if value is not None else None)
