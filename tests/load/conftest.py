"""Fixtures of the load tier: stacks, Redis and PostgreSQL of the test's own, all cleaned up.

Under ``CI=true`` PostgreSQL and Redis are required (a missing one fails the test); elsewhere a
missing one skips it with the reason.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bench import common
from tests.conftest import require_service
from tests.load import harness


@dataclass
class SharedRedis:
    url: str
    #: flask-limiter's key prefix of this test: its keys, and only they, are deleted afterwards
    prefix: str

    def settings(self) -> dict[str, Any]:
        return {"RATELIMIT_STORAGE_URI": self.url, "RATELIMIT_KEY_PREFIX": self.prefix}


def _redis_ok(url: str) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


@pytest.fixture
def shared_postgres() -> None:
    """The machine's PostgreSQL (``BENCH_PG_URL``), where each test makes its own database."""
    require_service(f"PostgreSQL at {common.PG_ADMIN_URL}", common.pg_reachable())


@pytest.fixture
def shared_redis() -> Iterator[SharedRedis]:
    """The machine's Redis (``BENCH_REDIS_URL``) under a key prefix of this test's own."""
    require_service(f"Redis at {common.REDIS_URL}", _redis_ok(common.REDIS_URL))
    import redis

    prefix = f"cv_load_{secrets.token_hex(6)}"
    yield SharedRedis(common.REDIS_URL, prefix)
    client = redis.Redis.from_url(common.REDIS_URL, socket_connect_timeout=2)
    try:
        keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def stacks() -> Iterator[Callable[..., harness.Stack]]:
    """Build stacks (database, schema, office); every server and database goes afterwards."""
    made: list[harness.Stack] = []

    def build(db: common.Database, **settings: Any) -> harness.Stack:
        try:
            stack = harness.build_stack(db, **settings)
        except BaseException:
            db.drop()
            raise
        made.append(stack)
        return stack

    yield build
    for stack in made:
        stack.close()


def _own(make: Callable[[], Any], what: str) -> Any:
    """A server of the test's own; a missing binary skips (fails under CI) with the reason."""
    try:
        return make()
    except FileNotFoundError as exc:
        require_service(f"{what} ({exc})", False)
        raise


@pytest.fixture
def own_redis() -> Iterator[harness.OwnRedis]:
    server = _own(harness.OwnRedis, "redis-server")
    yield server
    server.stop()


@pytest.fixture
def own_postgres() -> Iterator[harness.OwnPostgres]:
    cluster = _own(harness.OwnPostgres, "a PostgreSQL cluster of the test's own")
    yield cluster
    cluster.destroy()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The figures of this run (also in tests/artifacts/load.json)."""
    if not harness.RECORDED:
        return
    terminalreporter.section("load and fault figures")
    for name, figures in harness.RECORDED.items():
        terminalreporter.write_line(f"{name}: {json.dumps(figures, sort_keys=True)}")
