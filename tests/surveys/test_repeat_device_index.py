"""The repeat-device check reads the device's own ratings at the point, however busy the point.

Every rating post asks whether its device gave a counted rating at the point since the start of
the repeat window. Read through the point's index, that question costs one row per rating the
point received in the window, so a busy point slows every post as the day goes on. The device
index ends with ``created_at``, so the planners answer it from the device's own rows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from citizenvoice.core.db import utcnow
from citizenvoice.extensions import db
from citizenvoice.surveys import intake, services
from tests.conftest import TEST_DB

DEVICES = 400
#: One of the phones that rated at the point today.
REPEATING = f"{7:032x}"


def _busy_day(point: Any) -> None:
    """Ratings of ``DEVICES`` phones at the point today.

    PostgreSQL's planner then reads the table's statistics, as autovacuum keeps them for a live
    table (left from earlier tests, they would describe other data); SQLite keeps none unless
    asked, and plans without them.
    """
    version = services.version_for_point(point)
    now = utcnow()
    rows = [
        {
            "point": point.id,
            "version": version.id,
            "at": now - timedelta(seconds=n),
            "device": f"{n:032x}",
            "nonce": f"nonce-{n}",
        }
        for n in range(DEVICES)
    ]
    db.session.execute(
        text(
            "INSERT INTO ratings (service_point_id, survey_version_id, overall, created_at,"
            " is_verified, is_counted, has_contact, device_hash, nonce)"
            " VALUES (:point, :version, 4, :at, false, true, false, :device, :nonce)"
        ),
        rows,
    )
    db.session.commit()
    if TEST_DB == "postgresql":
        db.session.execute(text("ANALYZE ratings"))
        db.session.commit()


#: The two forms of the question: a row (the session's path, SQLite's) or one value (inside the
#: one statement that stores a rating on PostgreSQL).
STATEMENTS = {"row": intake.REPEAT_DEVICE, "value": intake.DEVICE_REPEATS}


def _plan(point: Any, sql: str) -> str:
    since = utcnow() - timedelta(days=1)
    connection = db.session.connection()
    if TEST_DB == "sqlite":
        params = {"device_hash": REPEATING, "service_point_id": point.id, "since": since}
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
        return "\n".join(str(row[-1]) for row in rows)
    # PostgreSQL: the plan a prepared statement settles on (the rating intake's are prepared).
    connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
    numbered = (
        sql.replace(":device_hash", "$1").replace(":service_point_id", "$2").replace(":since", "$3")
    )
    connection.exec_driver_sql("PREPARE repeat_device (varchar, integer, timestamp) AS " + numbered)
    rows = connection.exec_driver_sql(
        f"EXPLAIN EXECUTE repeat_device ('{REPEATING}', {int(point.id)}, '{since.isoformat()}')"
    ).all()
    connection.exec_driver_sql("DEALLOCATE repeat_device")
    return "\n".join(str(row[0]) for row in rows)


@pytest.mark.parametrize("form", sorted(STATEMENTS))
def test_the_repeat_device_check_searches_the_device_s_ratings_at_the_point(
    point: Any, form: str
) -> None:
    _busy_day(point)
    plan = _plan(point, STATEMENTS[form])
    db.session.rollback()
    assert "ix_ratings_device_point_created" in plan, plan
    if TEST_DB == "sqlite":
        assert "device_hash=? AND service_point_id=? AND created_at>?" in plan, plan
    else:
        condition = next(line for line in plan.splitlines() if "Index Cond" in line)
        for column in ("device_hash", "service_point_id", "created_at"):
            assert column in condition, plan


def test_a_repeating_phone_is_still_found_among_a_busy_day(point: Any) -> None:
    _busy_day(point)
    since = utcnow() - timedelta(days=1)
    with db.session.no_autoflush:
        cursor = intake.Cursor()
        assert intake.is_repeat_device(point.id, REPEATING, since, cursor)
        assert not intake.is_repeat_device(point.id, f"{DEVICES + 1:032x}", since, cursor)
        # Outside the window the earlier rating does not count against the phone.
        later = utcnow() + timedelta(minutes=1)
        assert not intake.is_repeat_device(point.id, REPEATING, later, cursor)
    db.session.rollback()
