"""No lost data through faults: the app killed, PostgreSQL restarted, Redis stopped.

QUALITY.md: app killed (``kill -9``) mid-load and restarted, clients retrying: final rows exact,
0 duplicated; PostgreSQL restarted mid-load: a clear 503 page during the outage (no traceback),
writes succeed again within 10 s; Redis (limiter storage) down: the site keeps serving
(in-memory fallback), 0 5xx.

A phone whose post got no answer, a 502 or a 503 re-sends the very same form body (its form
nonce), as a browser's re-submit does; ``harness.Posting.retry`` does it in rounds.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest

from bench import common
from tests.load import harness

pytestmark = pytest.mark.slow

CONCURRENCY = 50
#: How long PostgreSQL stays down.
OUTAGE_SECONDS = 4.0
#: QUALITY.md: writes succeed again within this many seconds of the database coming back.
RECOVERY_LIMIT = 10.0
UNAVAILABLE_TITLE = "The service is briefly unavailable"
#: What is logged when the limiter storage goes away: by the survey routes' own counting
#: (citizenvoice.core.ratelimit) and by flask-limiter for the other routes.
UNREACHABLE_WARNINGS = ("rate-limit storage unreachable", "Rate limit storage unreachable")


def _kill_when(url: str, rows: int, pids: list[int]) -> dict[str, Any]:
    """SIGKILL the gunicorn master and its workers once ``rows`` ratings are stored."""
    seen = harness.wait_for_rows(url, rows)
    harness.kill_all(pids)
    return {"rows_seen_before_kill": seen, "killed_at": time.perf_counter()}


@pytest.mark.timeout(600)
def test_app_killed_mid_load_then_restarted_loses_and_doubles_nothing(
    shared_postgres: None, shared_redis: Any, stacks: Any
) -> None:
    count = harness.scaled(1_000)
    stack = stacks(
        common.new_database("postgresql", "load_kill"),
        **shared_redis.settings(),
        **harness.fault_settings(),
    )
    first = stack.start()
    posting = harness.Posting.of(harness.fetch_posts(stack, count, CONCURRENCY))
    pids = [first.process.pid, *harness.children(first.process.pid)]
    assert len(pids) == 1 + harness.WORKERS, pids
    killer = harness.Background(_kill_when, stack.db.url, count // 4, pids)
    posting.send(first.port, CONCURRENCY, time_limit=300)
    killed = killer.result(timeout=60)
    assert first.process.wait(10) == -signal.SIGKILL
    assert not [pid for pid in pids[1:] if harness.alive(pid)], "workers survived"
    before = posting.statuses()
    acked_before = len(posting.acknowledged())
    rows_at_restart = harness.count_rows(stack.db.url)
    # The kill really cut the load: some posts answered, some not answered at all.
    assert before.get(303, 0) > 0 and before.get(0, 0) > 0, before
    restart_started = time.monotonic()
    stack.start(port=first.port)
    restart_seconds = time.monotonic() - restart_started
    rounds = posting.retry(lambda: stack.port, CONCURRENCY, deadline=time.monotonic() + 300)
    result = harness.tally(stack, posting)
    assert not harness.tracebacks(stack), harness.tracebacks(stack)
    result.assert_exact()
    harness.record(
        "app_killed",
        {
            **result.figures(),
            "statuses_before_restart": {str(k): v for k, v in before.items()},
            "acknowledged_before_kill": acked_before,
            "rows_at_restart": rows_at_restart,
            # stored, but the phone never heard so: its re-send was answered with the first result
            "stored_unacknowledged_at_kill": rows_at_restart - acked_before,
            "rows_seen_before_kill": killed["rows_seen_before_kill"],
            "restart_seconds": round(restart_seconds, 1),
            "retry_rounds": rounds,
        },
    )


def _restart_postgres(
    cluster: harness.OwnPostgres, url: str, rows: int, port: int, token: str
) -> dict[str, Any]:
    """Stop PostgreSQL once ``rows`` ratings are in, look at the site, start it again."""
    harness.wait_for_rows(url, rows)
    stop_begun = time.perf_counter()
    cluster.stop()
    down = time.perf_counter()
    probes = [harness.get(port, path) for path in (f"/s/{token}", "/units/")]
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.perf_counter() - down)))
    cluster.start()
    up = time.perf_counter()
    return {"stop_begun": stop_begun, "down": down, "up": up, "probes": probes}


@pytest.mark.timeout(600)
def test_postgresql_restart_shows_503_then_writes_resume(
    own_postgres: harness.OwnPostgres, shared_redis: Any, stacks: Any
) -> None:
    count = harness.scaled(1_000)
    stack = stacks(
        own_postgres.database("restart"), **shared_redis.settings(), **harness.fault_settings()
    )
    stack.start()
    posts = harness.fetch_posts(stack, count, CONCURRENCY)
    for post in posts:
        post.want_body = True  # the 503 pages are read below
    posting = harness.Posting.of(posts)
    outage = harness.Background(
        _restart_postgres, own_postgres, stack.db.url, count // 4, stack.port, stack.tokens[0]
    )
    posting.send(stack.port, CONCURRENCY, time_limit=300)
    posting.retry(lambda: stack.port, CONCURRENCY, deadline=time.monotonic() + 240, pause=0.3)
    timeline = outage.result(timeout=120)
    result = harness.tally(stack, posting)
    attempts = posting.all_results()
    unavailable = [r for r in attempts if r.status == 503]
    # During the outage: a clear, translated 503 page (with Retry-After), never a traceback.
    for status, headers, body in timeline["probes"]:
        assert status == 503, (status, body[:300])
        assert headers.get("Retry-After") == "5"
        assert UNAVAILABLE_TITLE in body and "Traceback" not in body
    assert unavailable, "no post met the outage"
    assert all(UNAVAILABLE_TITLE.encode() in r.body for r in unavailable)
    assert not harness.tracebacks(stack), harness.tracebacks(stack)
    # Writes are back within RECOVERY_LIMIT of the database: the first acknowledgement after
    # it came back, and nothing sent later than that was refused.
    up = timeline["up"]
    after = sorted(r.finished for r in attempts if r.status == 303 and r.finished > up)
    assert after, "no write succeeded after the database came back"
    recovery = after[0] - up
    assert recovery <= RECOVERY_LIMIT, recovery
    late = [r for r in attempts if r.started > up + RECOVERY_LIMIT and r.status != 303]
    assert not late, [(r.status, r.error) for r in late[:5]]
    result.assert_exact()
    last_503 = max(r.finished for r in unavailable)
    harness.record(
        "postgresql_restart",
        {
            **result.figures(),
            "outage_seconds": round(up - timeline["stop_begun"], 2),
            "first_write_after_database_back_s": round(recovery, 2),
            "last_503_after_database_back_s": round(last_503 - up, 2),
            "posts_answered_503": len(unavailable),
            "probe_statuses": [p[0] for p in timeline["probes"]],
        },
    )


def _stop_redis_when(url: str, rows: int, pid: int) -> float:
    harness.wait_for_rows(url, rows)
    os.kill(pid, signal.SIGTERM)
    return time.perf_counter()


@pytest.mark.timeout(600)
def test_site_keeps_serving_when_redis_stops(
    shared_postgres: None, own_redis: harness.OwnRedis, stacks: Any
) -> None:
    count = harness.scaled(600)
    stack = stacks(
        common.new_database("postgresql", "load_redis"),
        RATELIMIT_STORAGE_URI=own_redis.url,
        RATELIMIT_KEY_PREFIX="cv_load",
    )
    stack.start()
    posting = harness.Posting.of(harness.fetch_posts(stack, count, CONCURRENCY))
    stopper = harness.Background(_stop_redis_when, stack.db.url, count // 4, own_redis.process.pid)
    posting.send(stack.port, CONCURRENCY, time_limit=300)
    stopped_at = stopper.result(timeout=60)
    own_redis.process.wait(10)
    # With Redis gone, new phones still open the survey and rate.
    later = harness.Posting.of(harness.fetch_posts(stack, count // 2, CONCURRENCY))
    later.send(stack.port, CONCURRENCY, time_limit=300)
    posting.extend(later)
    result = harness.tally(stack, posting)
    assert posting.statuses() == {303: len(posting.posts)}, (
        result.figures(),
        harness.error_lines(stack),
    )
    result.assert_exact()
    served_after = sum(
        1 for r in posting.all_results() if r.started > stopped_at and r.status == 303
    )
    log = stack.log_text()
    warnings = {message: log.count(message) for message in UNREACHABLE_WARNINGS}
    # Said, and once per worker that met the outage (not once per request).
    assert sum(warnings.values()) >= 1, warnings
    assert all(count <= harness.WORKERS for count in warnings.values()), warnings
    assert not harness.tracebacks(stack), harness.tracebacks(stack)
    harness.record(
        "redis_stopped",
        {**result.figures(), "posts_after_redis_stopped": served_after, "warnings": warnings},
    )
