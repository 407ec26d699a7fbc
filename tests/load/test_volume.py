"""No lost data at volume: every acknowledged rating is one row, on PostgreSQL and on SQLite.

QUALITY.md: 10,000 rating posts from 100 concurrent clients on gunicorn + PostgreSQL (Redis
limiter storage): rows = acknowledged = 10,000, 0 duplicated, 0 5xx; the same on SQLite with
20 concurrent writers, 0 "database is locked", 0 lost.

The counts are 5,000 (PostgreSQL) and 3,000 (SQLite): each phone first opens the survey page,
which this two-core machine serves at 20-45 pages/s beside the posts at 33-96/s, so 10,000
phones on PostgreSQL alone took 12-13 minutes of the tier's 20 on the shared machine (that
run passed: 10,000 acknowledged = 10,000 rows, 0 duplicated, 0 5xx).
"""

from __future__ import annotations

from typing import Any

import pytest

from bench import common
from tests.load import harness

pytestmark = pytest.mark.slow

#: Seconds for fetching the survey pages, and for posting them (each test's own bound).
FETCH_LIMIT = 1200.0
POST_LIMIT = 900.0
#: The issue's figure: 10,000 ratings from 100 clients on PostgreSQL, and from 20 on SQLite.
POSTGRESQL_POSTS = 10_000
SQLITE_POSTS = 10_000
#: Phones opening the survey page at once (the server's throughput, not the clients', limits it).
FETCH_CONCURRENCY = 20


def _volume(stack: harness.Stack, count: int, concurrency: int) -> dict[str, Any]:
    stack.start()
    with harness.stopwatch() as fetching:
        posts = harness.fetch_posts(stack, count, FETCH_CONCURRENCY, time_limit=FETCH_LIMIT)
    posting = harness.Posting.of(posts)
    run = posting.send(stack.port, concurrency, time_limit=POST_LIMIT)
    # Nothing was retried by the load generator, and every post was sent and answered.
    assert len(run.results) == count, f"only {len(run.results)} of {count} posts sent in time"
    assert sum(r.retries for r in run.results) == 0
    result = harness.tally(stack, posting)
    log = stack.log_text()
    assert "Traceback" not in log, harness.tracebacks(stack)
    assert "database is locked" not in log
    assert posting.statuses() == {303: count}, (result.figures(), harness.error_lines(stack))
    result.assert_exact()
    latencies = [r.latency for r in run.results]
    return {
        **result.figures(),
        "concurrency": concurrency,
        "workers": harness.WORKERS,
        "posts_per_s": round(run.throughput, 1),
        "post_p50_ms": round(1000 * common.percentile(latencies, 50), 1),
        "post_p95_ms": round(1000 * common.percentile(latencies, 95), 1),
        "survey_pages_seconds": fetching["seconds"],
    }


@pytest.mark.timeout(2400)
def test_postgresql_posts_from_100_clients_are_all_rows(
    shared_postgres: None, shared_redis: Any, stacks: Any
) -> None:
    stack = stacks(common.new_database("postgresql", "load_pg"), **shared_redis.settings())
    figures = _volume(stack, harness.scaled(POSTGRESQL_POSTS), 100)
    harness.record("postgresql_volume", figures)


@pytest.mark.timeout(2400)
def test_sqlite_posts_from_20_writers_are_all_rows(shared_redis: Any, stacks: Any) -> None:
    stack = stacks(common.new_database("sqlite", "load_sqlite"), **shared_redis.settings())
    figures = _volume(stack, harness.scaled(SQLITE_POSTS), 20)
    harness.record("sqlite_volume", figures)
