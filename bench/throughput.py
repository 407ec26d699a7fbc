"""Figure 1: rating submissions per second, the real ``/s/<token>`` flow vs a bare INSERT.

Both run under gunicorn with the same number of sync workers, on the same fresh database,
driven by the same load generator with the same number of concurrent clients.

The real side is what a phone does: GET the survey page without cookies (which hands out the
device cookie, the session with the CSRF token and the signed form token), then POST the
answers with those cookies. The GETs are made first, untimed; the timed part is the POSTs.
The bare side POSTs a body of the same shape to ``bench/bare_app.py``, which does one INSERT.

What the phones answer is the case's mix (:data:`MIXES`). ``throughput``, the goal, posts
what a city's citizens send: they rate as the demo's citizens do (``surveys.demo``), so a few
posts in a hundred open a case. ``throughput_uniform`` posts every question answered at
random, so that half report being asked for gifts and most posts open a case; it is reported
next to the goal, to show what a rating's casework costs.
The timed POSTs alternate between the two sides in rounds of A B B A so that a drift in the
machine's load (other people's tests) weighs on both alike; several short rounds rather than
one long one, because a pause of the shared machine lasts seconds and would otherwise fall on
one side.

Then the database is checked: every acknowledged post (303 to ``/thanks/<nonce>``) is exactly
one row, no row lacks an acknowledgement, no nonce appears twice, no 5xx, and every real rating
is counted (``is_counted`` and in the day's rollup).
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

from bench import common, forms, loadgen, seed

WORKERS = 4
#: The benchmark case's answers: how each simulated phone fills in the survey page.
MIXES = {"city": forms.citizen_answers, "uniform": forms.answers}
#: Seconds allowed to fetch the forms, and to send each timed chunk: a slow machine sends
#: fewer posts (counted as not sent) instead of overrunning the 15-minute budget.
FETCH_LIMIT = 180.0
CHUNK_LIMIT = 120.0


@dataclass
class Size:
    posts: int  # timed posts per side
    warmup: int  # untimed posts per side, before timing
    concurrency: int
    rounds: int = 1  # rounds of A B B A among which the timed posts are shared


SIZES = {
    # QUALITY.md: 100 concurrent clients on PostgreSQL, 20 concurrent writers on SQLite.
    "full": {"postgresql": Size(3200, 200, 100, 4), "sqlite": Size(3200, 200, 20, 4)},
    "quick": {"postgresql": Size(200, 20, 20), "sqlite": Size(200, 20, 10)},
}


def _fetch_forms(
    port: int, token: str, count: int, concurrency: int, mix: str
) -> tuple[list[loadgen.Request], float]:
    """GET the survey ``count`` times as fresh phones; the POST each page leads to, filled in
    as ``mix`` says."""
    fill = MIXES[mix]
    rng = random.Random(7)
    gets = [loadgen.Request("GET", f"/s/{token}", want_body=True) for _ in range(count)]
    run = loadgen.run(port, gets, concurrency, time_limit=FETCH_LIMIT)
    posts: list[loadgen.Request] = []
    for result in run.results:
        if result.status != 200:
            raise common.BenchError(f"survey page answered {result.status} {result.error}")
        page = forms.parse(result.body)
        headers = {"Cookie": forms.cookie_header(result.set_cookies)}
        posts.append(loadgen.Request("POST", page.action, fill(page, rng), headers))
    if len(posts) < count // 2:
        raise common.BenchError(f"only {len(posts)} of {count} survey pages were fetched")
    return posts, run.throughput


def _bare_posts(point_id: int, version_id: int, count: int) -> list[loadgen.Request]:
    """The same shape of body (all answers, a nonce) for the bare app."""
    rng = random.Random(11)
    posts = []
    for _ in range(count):
        fields = [
            ("n", secrets.token_urlsafe(18)),
            ("v", str(version_id)),
            ("overall", str(rng.randint(1, 5))),
            *((f"q{n}", str(rng.randint(1, 5))) for n in range(5)),
            ("service", "0"),
            ("comment", ""),
        ]
        posts.append(loadgen.Request("POST", f"/bare/{point_id}", urlencode(fields).encode()))
    return posts


def _nonce(location: str) -> str:
    return location.rsplit("/thanks/", 1)[1] if "/thanks/" in location else ""


@dataclass
class Side:
    name: str
    results: list[loadgen.Result]
    elapsed: float = 0.0

    def add(self, run: loadgen.Run, timed: bool) -> None:
        self.results.extend(run.results)
        if timed:
            self.elapsed += run.elapsed


def _check(db: common.Database, point_id: int, side: Side, planned: int) -> dict[str, Any]:
    """Rows vs acknowledgements of one side (its own service point)."""
    acked = [_nonce(r.location) for r in side.results if r.status == 303 and _nonce(r.location)]
    engine = create_engine(db.url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT nonce, is_counted FROM ratings WHERE service_point_id = :p"),
            {"p": point_id},
        ).all()
        rollup = conn.execute(
            text(
                "SELECT COALESCE(SUM(ratings), 0) FROM rating_rollups WHERE service_point_id = :p"
            ),
            {"p": point_id},
        ).scalar_one()
    engine.dispose()
    nonces = [r[0] for r in rows]
    stored = set(nonces)
    statuses: dict[str, int] = {}
    for r in side.results:
        statuses[str(r.status)] = statuses.get(str(r.status), 0) + 1
    return {
        "planned": planned,
        "sent": len(side.results),
        "answered": sum(1 for r in side.results if r.status),
        "acknowledged": len(acked),
        "rows": len(rows),
        "lost": len(set(acked) - stored),
        "unacknowledged_rows": len(stored - set(acked)),
        "duplicated": len(nonces) - len(stored) + (len(acked) - len(set(acked))),
        "status_5xx": sum(1 for r in side.results if r.status >= 500),
        "no_response": sum(1 for r in side.results if r.status == 0),
        "retries": sum(r.retries for r in side.results),
        "counted": sum(1 for r in rows if r[1]),
        "in_rollups": int(rollup),
        "statuses": statuses,
    }


def _workload(db: common.Database, point_id: int) -> dict[str, Any]:
    """What the real side's ratings brought, per rating: answers, comments, contacts, cases."""
    engine = create_engine(db.url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT COUNT(*),"
                " (SELECT COUNT(*) FROM rating_answers a JOIN ratings x ON x.id = a.rating_id"
                "  WHERE x.service_point_id = :p),"
                " COUNT(r.comment), SUM(CASE WHEN r.has_contact THEN 1 ELSE 0 END),"
                " (SELECT COUNT(*) FROM cases c JOIN ratings x ON x.id = c.rating_id"
                "  WHERE x.service_point_id = :p)"
                " FROM ratings r WHERE r.service_point_id = :p"
            ),
            {"p": point_id},
        ).one()
    engine.dispose()
    ratings, answers, comments, contacts, cases = (int(v or 0) for v in row)

    def share(count: int) -> float:
        return round(count / ratings, 3) if ratings else 0.0

    return {
        "ratings": ratings,
        "answers_per_rating": share(answers),
        "with_comment": share(comments),
        "with_contact": share(contacts),
        "opening_a_case": share(cases),
    }


Chunk = tuple["Side", Any, list[loadgen.Request]]  # a side, its server, its posts


def _rounds(size: Size, a: Chunk, b: Chunk) -> list[Chunk]:
    """The timed chunks in rounds of A B B A; each chunk an equal share of a side's timed posts
    (the last one of each side takes what the division leaves)."""
    count = 2 * size.rounds
    step = size.posts // count
    chunks = []
    for n in range(count):
        start = size.warmup + n * step
        end = start + step if n < count - 1 else None
        first, second = (a, b) if n % 2 == 0 else (b, a)
        chunks.append((first[0], first[1], first[2][start:end]))
        chunks.append((second[0], second[1], second[2][start:end]))
    return chunks


def _latency_ms(results: list[loadgen.Result], q: float) -> float:
    return round(1000 * common.percentile([r.latency for r in results if r.status], q), 1)


def run(kind: str, quick: bool, log: Any, mix: str = "city") -> dict[str, Any]:
    size = SIZES["quick" if quick else "full"][kind]
    with common.database(kind, "tput") as db:
        app = common.make_app(db)
        common.create_schema(db)
        office = seed.office(app, points=2)
        (real_id, token), (bare_id, _) = office.points
        settings = common.app_settings(db)
        real_env = common.app_environment(settings)
        bare_env = common.app_environment({})
        bare_env["BENCH_DATABASE_URL"] = db.url
        with (
            common.server("wsgi:app", real_env, WORKERS, f"real-{kind}") as real_srv,
            common.server("bench.bare_app:app", bare_env, WORKERS, f"bare-{kind}") as bare_srv,
        ):
            real_srv.wait_ready("/")
            bare_srv.wait_ready("/")
            total = size.warmup + size.posts
            real_posts, pages_rps = _fetch_forms(real_srv.port, token, total, size.concurrency, mix)
            log(f"  {kind}: fetched {total} survey pages, {pages_rps:.0f}/s")
            if len(real_posts) < total:  # the time limit cut the fetching short
                log(f"  {kind}: only {len(real_posts)} pages within {FETCH_LIMIT:.0f} s")
                fetched = len(real_posts) - size.warmup
                size = Size(fetched, size.warmup, size.concurrency, size.rounds)
                total = len(real_posts)
            bare_posts = _bare_posts(bare_id, office.version_id, total)
            real = Side("real", [])
            bare = Side("bare", [])
            c = size.concurrency
            real.add(loadgen.run(real_srv.port, real_posts[: size.warmup], c), timed=False)
            bare.add(loadgen.run(bare_srv.port, bare_posts[: size.warmup], c), timed=False)
            chunks = _rounds(size, (bare, bare_srv, bare_posts), (real, real_srv, real_posts))
            timed: dict[str, list[loadgen.Result]] = {"real": [], "bare": []}
            chunk_rps: list[str] = []
            for side, srv, requests in chunks:
                result = loadgen.run(srv.port, requests, c, time_limit=CHUNK_LIMIT)
                side.add(result, timed=True)
                timed[side.name].extend(result.results)
                chunk_rps.append(f"{side.name} {result.throughput:.1f}/s")
                log(
                    f"  {kind}: {side.name:4s} {len(requests)} posts,"
                    f" {result.throughput:.0f}/s, statuses {result.statuses()}"
                )
            real_errors = real_srv.errors()
            bare_errors = bare_srv.errors()
        checks = {
            "real": _check(db, real_id, real, total),
            "bare": _check(db, bare_id, bare, total),
        }
        workload = _workload(db, real_id)
    real_rps = len([r for r in timed["real"] if r.status]) / real.elapsed
    bare_rps = len([r for r in timed["bare"] if r.status]) / bare.elapsed
    ratio = real_rps / bare_rps if bare_rps else 0.0
    real_check = checks["real"]
    problems = ("lost", "unacknowledged_rows", "duplicated", "status_5xx", "no_response")
    clean = all(checks[side][k] == 0 for side in checks for k in problems)
    clean = clean and checks["bare"]["acknowledged"] == checks["bare"]["sent"]
    # Every real post acknowledged, and acknowledged as a counted rating, in its rollup.
    counted = {real_check[k] for k in ("acknowledged", "sent", "counted", "in_rollups")}
    clean = clean and len(counted) == 1
    judged = mix == "city"  # the other mix is reported next to it, not judged
    return {
        "database": kind,
        "mix": mix,
        "workload": workload,
        "workers": WORKERS,
        "concurrency": size.concurrency,
        "timed_posts_per_side": size.posts,
        "real_rps": round(real_rps, 1),
        "bare_rps": round(bare_rps, 1),
        "ratio": round(ratio, 3),
        "goal": ">= 0.8" if judged else "none (reported)",
        "met": (ratio >= 0.8 and clean) if judged else None,
        "no_lost_data": clean,
        "latency_ms": {
            "real": {"p50": _latency_ms(timed["real"], 50), "p99": _latency_ms(timed["real"], 99)},
            "bare": {"p50": _latency_ms(timed["bare"], 50), "p99": _latency_ms(timed["bare"], 99)},
        },
        "chunks_abba": chunk_rps,
        "survey_pages_per_s": round(pages_rps, 1),
        "checks": checks,
        "server_errors": {"real": real_errors[:10], "bare": bare_errors[:10]},
    }
