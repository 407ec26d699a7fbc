"""Fixtures: a fresh database per test on SQLite (default) or PostgreSQL (TEST_DB=postgresql).

PostgreSQL tests create a database of their own for the session and truncate it after each test,
so runs never collide and never rely on leftovers.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text

from citizenvoice import create_app
from citizenvoice.extensions import db

TEST_DB = os.environ.get("TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get(
    "CITIZENVOICE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("CITIZENVOICE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IS_CI = os.environ.get("CI") == "true"

# Property tests: no per-example time limit (timings belong to bench/, and a busy machine is
# not a failure); under CI the same examples every run, so that a red run can be replayed.
hypothesis_settings.register_profile("citizenvoice", deadline=None, derandomize=IS_CI)
hypothesis_settings.load_profile("citizenvoice")

PASSWORD = "correct horse battery"

BASE_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
    "WTF_CSRF_ENABLED": False,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "RATELIMIT_STORAGE_URI": "memory://",
    "SERVER_NAME": None,
}


def pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


def postgres_reachable() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


def require_service(name: str, reachable: bool) -> None:
    """Skip when a service is down on a developer machine; fail under CI=true."""
    if reachable:
        return
    if IS_CI:
        pytest.fail(f"{name} must be reachable under CI=true")
    pytest.skip(f"{name} is not reachable")


def create_pg_database(prefix: str = "cv_test") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return name


def drop_pg_database(name: str) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database with the schema, created once per session: a file (SQLite) or a name (PG)."""
    if TEST_DB == "postgresql":
        require_service("PostgreSQL", postgres_reachable())
        name = create_pg_database()
        app = create_app({**BASE_CONFIG, "DATABASE_URL": pg_url(name)})
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        yield name
        drop_pg_database(name)
        return
    path = tmp_path_factory.mktemp("schema") / "template.sqlite"
    app = create_app({**BASE_CONFIG, "DATABASE_URL": f"sqlite:///{path}"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    yield str(path)


def _truncate_all() -> None:
    names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> str:
    if TEST_DB == "postgresql":
        return pg_url(database_template)
    path = tmp_path / "test.sqlite"
    shutil.copyfile(database_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build apps on this test's fresh database, with extra settings."""
    apps: list[Flask] = []

    def build(**settings: Any) -> Flask:
        config = {
            **BASE_CONFIG,
            "DATABASE_URL": database_url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
        config.update(settings)
        app = create_app(config)
        apps.append(app)
        return app

    yield build
    truncated: list[Flask] = []
    for app in apps:
        with app.app_context():
            if (
                TEST_DB == "postgresql"
                and app.config["DATABASE_URL"] == database_url
                and not truncated
            ):
                truncated.append(app)
                _truncate_all()
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    application = make_app()
    with application.app_context():
        yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


# ---- factories -------------------------------------------------------------------------------


@pytest.fixture
def make_unit(app: Flask) -> Callable[..., Any]:
    from citizenvoice.org import services
    from citizenvoice.org.models import UnitKind

    counter = iter(range(1, 10_000))

    def make(
        code: str | None = None, parent: Any = None, name: str | None = None, **kw: Any
    ) -> Any:
        n = next(counter)
        unit = services.create_unit(
            code or f"unit-{n}",
            name or f"Unit {n}",
            kw.pop("kind", UnitKind.DEPARTMENT),
            parent.id if parent is not None else None,
            kw.pop("name_zh", f"单位{n}"),
            **kw,
        )
        db.session.commit()
        return unit

    return make


@pytest.fixture
def make_point(app: Flask, make_unit: Callable[..., Any]) -> Callable[..., Any]:
    from citizenvoice.org import services

    counter = iter(range(1, 10_000))

    def make(unit: Any = None, code: str | None = None, **kw: Any) -> Any:
        n = next(counter)
        unit = unit or make_unit()
        fields = services.PointFields(
            name=kw.pop("name", f"Window {n}"),
            opening_hours=kw.pop("opening_hours", "mon-fri 08:30-17:30"),
            **kw,
        )
        point = services.create_point(unit.id, code or f"point-{n}", fields)
        db.session.commit()
        return point

    return make


@pytest.fixture
def make_user(app: Flask) -> Callable[..., Any]:
    from citizenvoice.accounts import services
    from citizenvoice.accounts.models import Role

    counter = iter(range(1, 10_000))

    def make(role: Role = Role.MANAGER, unit: Any = None, username: str | None = None) -> Any:
        user = services.create_user(
            username or f"{role.value}-{next(counter)}",
            PASSWORD,
            role,
            unit_id=unit.id if unit is not None else None,
        )
        db.session.commit()
        return user

    return make


def login(client: FlaskClient, user: Any, password: str = PASSWORD) -> Any:
    response = client.post("/login", data={"username": user.username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def login_as(client: FlaskClient, make_user: Callable[..., Any]) -> Callable[..., Any]:
    def do(role: Any, unit: Any = None) -> Any:
        user = make_user(role, unit)
        login(client, user)
        return user

    return do
