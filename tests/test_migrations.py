"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.conftest import (
    BASE_CONFIG,
    TEST_DB,
    create_pg_database,
    drop_pg_database,
    pg_url,
    postgres_reachable,
    require_service,
)


@pytest.fixture
def empty_database_url(tmp_path) -> Iterator[str]:
    if TEST_DB == "postgresql":
        require_service("PostgreSQL", postgres_reachable())
        name = create_pg_database("cv_migrate")
        yield pg_url(name)
        drop_pg_database(name)
    else:
        yield f"sqlite:///{tmp_path}/migrated.sqlite"


def test_upgrade_then_check_finds_no_difference(empty_database_url: str) -> None:
    from citizenvoice import create_app
    from citizenvoice.extensions import db

    app: Flask = create_app({**BASE_CONFIG, "DATABASE_URL": empty_database_url})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    # `db check` exits non-zero and lists the operations when models and migrations differ.
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()


def test_busy_hour_migration_backfills_and_its_triggers_keep_count(
    empty_database_url: str,
) -> None:
    """Ratings from before the migration are counted by its backfill, later ones by triggers."""
    from datetime import datetime

    from sqlalchemy import inspect

    from citizenvoice import create_app
    from citizenvoice.extensions import db
    from citizenvoice.org import services as org
    from citizenvoice.org.models import UnitKind
    from citizenvoice.surveys import services as surveys
    from citizenvoice.surveys.models import Rating
    from citizenvoice.surveys.rollups import hour_rollup_rows, recomputed_hour_rows

    app: Flask = create_app({**BASE_CONFIG, "DATABASE_URL": empty_database_url})
    runner = app.test_cli_runner()
    ids: dict[str, int] = {}

    def rate(when: datetime, is_counted: bool = True) -> None:
        rating = Rating(
            service_point_id=ids["point"],
            survey_version_id=ids["version"],
            overall=4,
            created_at=when,
            is_counted=is_counted,
        )
        db.session.add(rating)
        db.session.commit()

    assert runner.invoke(args=["db", "upgrade", "7e41a93c862b"]).exit_code == 0
    with app.app_context():
        unit = org.create_unit("old-unit", "Old unit", UnitKind.DEPARTMENT, None, "旧单位")
        point = org.create_point(unit.id, "old-window", org.PointFields(name="Window"))
        surveys.default_survey()
        ids.update(point=point.id, version=surveys.version_for_point(point).id)
        for when in (datetime(2026, 8, 3, 9, 5), datetime(2026, 8, 3, 9, 50)):
            rate(when)
        rate(datetime(2026, 8, 8, 14, 0))
        rate(datetime(2026, 8, 3, 9, 10), is_counted=False)
        db.session.remove()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert hour_rollup_rows() == {(ids["point"], 1, 9): 2, (ids["point"], 6, 14): 1}
        rate(datetime(2026, 8, 8, 14, 30))
        assert hour_rollup_rows() == {(ids["point"], 1, 9): 2, (ids["point"], 6, 14): 2}
        assert hour_rollup_rows() == recomputed_hour_rows()
        db.session.remove()
    result = runner.invoke(args=["db", "downgrade", "7e41a93c862b"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "rating_hour_rollups" not in inspect(db.engine).get_table_names()
        rate(datetime(2026, 8, 8, 15, 0))  # no trigger is left to write into a dropped table
        db.session.remove()
        db.engine.dispose()
