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
