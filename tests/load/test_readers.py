"""200 dashboard readers while ratings keep arriving: every read answered, no rating lost.

The readers come from 200 different addresses (``X-Forwarded-For`` behind one configured
proxy), so each is limited as one person is; they read the public pages a journalist reads:
the unit tree, a unit's page, its service points' pages and the comparison page. The p95 of
their page times is written to tests/artifacts/load.json.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench import common, loadgen
from tests.load import harness

pytestmark = pytest.mark.slow

READERS = 200
WRITERS = 20


def _post_all(port: int, posts: list[loadgen.Request], concurrency: int) -> list[loadgen.Result]:
    return loadgen.run(port, posts, concurrency, time_limit=300).results


@pytest.mark.timeout(600)
def test_200_readers_while_ratings_arrive(
    shared_postgres: None, shared_redis: Any, stacks: Any
) -> None:
    posts_count = harness.scaled(700)
    reads_count = harness.scaled(800, least=READERS)
    stack = stacks(
        common.new_database("postgresql", "load_read"), PROXY_COUNT=1, **shared_redis.settings()
    )
    stack.start()
    posting = harness.Posting.of(harness.fetch_posts(stack, posts_count, WRITERS))
    unit = stack.office.unit_code
    paths = ["/units/", f"/units/{unit}", "/compare"]
    paths += [f"/points/{code}" for code in harness.point_codes(stack)]
    reads = [
        loadgen.Request(
            "GET",
            paths[n % len(paths)],
            headers={"X-Forwarded-For": f"10.20.{(n % READERS) // 250}.{(n % READERS) % 250 + 1}"},
        )
        for n in range(reads_count)
    ]
    writer = harness.Background(_post_all, stack.port, posting.posts, WRITERS)
    # 200 readers queue for four workers: a page may wait long, but must be answered.
    read_run = loadgen.run(stack.port, reads, READERS, time_limit=300, timeout=90)
    posting.record_results(list(range(len(posting.posts))), writer.result(timeout=400))
    result = harness.tally(stack, posting)
    assert read_run.statuses() == {200: reads_count}, read_run.statuses()
    assert posting.statuses() == {303: posts_count}, result.figures()
    result.assert_exact()
    assert not harness.tracebacks(stack), harness.tracebacks(stack)
    # The reads really met the writes: ratings were arriving for most of the reading.
    post_results = posting.all_results()
    writes_from = min(r.started for r in post_results)
    writes_until = max(r.finished for r in post_results)
    during = [r for r in read_run.results if writes_from <= r.started <= writes_until]
    assert len(during) >= reads_count // 2, (len(during), reads_count)
    latencies = [r.latency for r in read_run.results]
    harness.record(
        "dashboard_readers",
        {
            **result.figures(),
            "readers": READERS,
            "reads": reads_count,
            "reads_during_writes": len(during),
            "read_p50_ms": round(1000 * common.percentile(latencies, 50), 1),
            "read_p95_ms": round(1000 * common.percentile(latencies, 95), 1),
            "read_p99_ms": round(1000 * common.percentile(latencies, 99), 1),
            "reads_per_s": round(read_run.throughput, 1),
            "posts_per_s_while_read": round(len(post_results) / (writes_until - writes_from), 1),
            "pages": paths,
        },
    )
