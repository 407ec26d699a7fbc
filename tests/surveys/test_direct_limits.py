"""The survey's limits counted straight in the limiter's storage: Redis, and memory without it."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from citizenvoice.extensions import db
from tests.conftest import REDIS_URL, redis_reachable, require_service
from tests.surveys.conftest import counts, token_from_page

UNREACHABLE_REDIS = "redis://127.0.0.1:9/0"  # the discard port: nothing listens there


def _rate(app: Flask, token: str, times: int) -> list[int]:
    """One phone opens the form once and sends it ``times`` times with fresh form tokens."""
    phone = app.test_client()
    statuses = []
    for _ in range(times):
        page = phone.get(f"/s/{token}").get_data(as_text=True)
        answers = {"ft": token_from_page(page), "overall": "4"}
        statuses.append(phone.post(f"/s/{token}", data=answers).status_code)
    return statuses


@dataclass
class RedisSite:
    app: Flask
    server: Any  # a client of the same Redis, to look at the counters
    prefix: str  # the key prefix of this test's counters
    token: str  # the QR token of the test's service point


@pytest.fixture
def redis_site(make_app: Callable[..., Flask], point: Any) -> Iterator[RedisSite]:
    """An app counting its limits in Redis under a prefix of its own (3 posts per device and
    hour), once the test's service point is committed; the counters are deleted afterwards."""
    require_service("Redis", redis_reachable())
    import redis

    token = point.token
    db.session.commit()  # the test's own transaction ends before the other app's requests
    prefix = f"cv_test_{secrets.token_hex(6)}"
    app = make_app(
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=prefix,
        SURVEY_DEVICE_LIMIT="3 per hour",
        SURVEY_MIN_SECONDS=0,
    )
    server = redis.Redis.from_url(REDIS_URL)
    try:
        yield RedisSite(app, server, prefix, token)
    finally:
        for key in server.scan_iter(f"*{prefix}*"):
            server.delete(key)


def test_limits_count_in_redis(redis_site: RedisSite) -> None:
    server, prefix = redis_site.server, redis_site.prefix
    assert _rate(redis_site.app, redis_site.token, 5) == [303, 303, 303, 429, 429]
    assert counts() == (3, 1)  # one counted rating per device and day, the rest flagged
    keys = {key.decode(): int(server.get(key) or 0) for key in server.scan_iter(f"*{prefix}*")}
    # One counter per limit: pages and posts per address, posts per device.
    by_scope = {
        scope: [n for k, n in keys.items() if f"/{scope}/" in k]
        for scope in ("sv-get", "sv-ip", "sv-device")
    }
    assert by_scope == {"sv-get": [5], "sv-ip": [5], "sv-device": [5]}


def test_without_its_storage_the_site_counts_in_memory_and_says_so_once(
    make_app: Callable[..., Flask], point: Any, caplog: pytest.LogCaptureFixture
) -> None:
    token = point.token
    db.session.commit()
    app = make_app(
        RATELIMIT_STORAGE_URI=UNREACHABLE_REDIS,
        SURVEY_DEVICE_LIMIT="3 per hour",
        SURVEY_MIN_SECONDS=0,
    )
    with caplog.at_level(logging.WARNING, logger="citizenvoice.core.ratelimit"):
        statuses = _rate(app, token, 5)
    assert statuses == [303, 303, 303, 429, 429]  # still limited, now in memory
    warnings = [r for r in caplog.records if r.name == "citizenvoice.core.ratelimit"]
    assert [r.getMessage() for r in warnings] == [
        "rate-limit storage unreachable: survey limits are counted in memory until it is back"
    ]


def test_a_restarted_redis_keeps_counting_the_same_limits(
    redis_site: RedisSite, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis forgot the counting script (restarted, or SCRIPT FLUSH), then dropped the
    connection the site was using: the posts are still counted in Redis, not in memory."""
    from citizenvoice.extensions import limiter

    app, server, token = redis_site.app, redis_site.server, redis_site.token

    def posts_counted() -> int:
        keys = server.scan_iter(f"*{redis_site.prefix}*/sv-ip/*")
        return sum(int(server.get(k) or 0) for k in keys)

    with caplog.at_level(logging.WARNING, logger="citizenvoice.core.ratelimit"):
        assert _rate(app, token, 1) == [303]
        server.script_flush()
        assert _rate(app, token, 1) == [303]
        with app.app_context():  # the connection the next post will be given
            pool = limiter.storage.get_connection().connection_pool
            connection = pool.get_connection()
            connection.send_command("CLIENT", "ID")
            client_id = connection.read_response()
            pool.release(connection)
        server.client_kill_filter(_id=client_id)
        assert _rate(app, token, 1) == [303]
    assert posts_counted() == 3
    assert [r for r in caplog.records if r.name == "citizenvoice.core.ratelimit"] == []
