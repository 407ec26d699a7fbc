"""Figure 2: a unit's public dashboard with 5,000,000 ratings vs with 10,000 (goal ≤ 1.5×).

Two databases with the same unit (four service points, three services) and the same year of
days: one holds 10,000 ratings, the other 5,000,000, with rollups consistent with them
(``bench/datagen.py``). The page is requested alternately from each (in-process, one client,
after warm-up), each time with the chart data its page fetches (``charts.json``) as a browser
with JavaScript does, and the ratio of the median times is the figure. Dashboards read
rollups, whose size depends on points × services × days, not on the number of ratings, so it
should be ≈ 1.

The page is found in the app's URL map: the first GET route under ``/units/`` taking one
argument (the unit's code), or ``BENCH_DASHBOARD_URL`` (e.g. ``/units/{code}``). While no such
page exists, the case reports "pending" and times two stand-ins side by side on the same
databases: the rollup query a dashboard would make (a year of daily totals for the unit), and,
to show that the harness catches the mistake, the same totals scanned from raw ratings.
"""

from __future__ import annotations

import html
import os
import re
from typing import Any

from sqlalchemy import create_engine, text

from bench import common, datagen, seed

GOAL = 1.5
SIZES = {"full": (10_000, 5_000_000), "quick": (10_000, 200_000)}
DAYS = 365
ROLLUP_QUERY = text(
    "SELECT r.day, SUM(r.ratings), SUM(r.overall_sum), SUM(r.level_1), SUM(r.level_2),"
    " SUM(r.level_3), SUM(r.level_4), SUM(r.level_5)"
    " FROM rating_rollups r JOIN service_points p ON p.id = r.service_point_id"
    " WHERE p.unit_id = :unit AND r.day >= :since GROUP BY r.day ORDER BY r.day"
)
SCAN_QUERY = text(
    "SELECT COUNT(*), AVG(r.overall) FROM ratings r"
    " JOIN service_points p ON p.id = r.service_point_id"
    " WHERE p.unit_id = :unit AND r.is_counted"
)


def dashboard_path(app: Any, unit_code: str) -> str | None:
    template = os.environ.get("BENCH_DASHBOARD_URL")
    if template:
        return template.format(code=unit_code)
    from flask import url_for

    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        methods = rule.methods or set()
        if rule.rule.startswith("/units/") and "GET" in methods and len(rule.arguments) == 1:
            with app.test_request_context():
                values: dict[str, Any] = {next(iter(rule.arguments)): unit_code}
                return str(url_for(rule.endpoint, **values))
    return None


CHART_URL = re.compile(r'data-chart-url="([^"]+)"')


def chart_urls(page: str) -> list[str]:
    """The chart data a browser with JavaScript fetches after the page (each URL once)."""
    return list(dict.fromkeys(html.unescape(url) for url in CHART_URL.findall(page)))


def _get(client: Any, path: str) -> str:
    response = client.get(path)
    if response.status_code != 200:
        raise common.BenchError(f"GET {path} answered {response.status_code}")
    body = str(response.get_data(as_text=True))
    response.close()
    return body


def _alternate(small: Any, big: Any, rounds: int, warmup: int) -> tuple[float, float]:
    """Median seconds of ``small()`` and ``big()`` called alternately."""
    for _ in range(warmup):
        small()
        big()
    times: dict[str, list[float]] = {"small": [], "big": []}
    for n in range(rounds):
        order = [("small", small), ("big", big)] if n % 2 == 0 else [("big", big), ("small", small)]
        for name, call in order:
            started = common.clock()
            call()
            times[name].append(common.clock() - started)
    return common.median(times["small"]), common.median(times["big"])


def _query_timer(engine: Any, query: Any, params: dict[str, Any]) -> Any:
    def call() -> None:
        with engine.connect() as conn:
            conn.execute(query, params).all()

    return call


def _build(kind: str, total: int, label: str) -> tuple[common.Database, Any, seed.Office, dict]:
    db = common.new_database(kind, label)
    try:
        app = common.make_app(db)
        common.create_schema(db)
        office = seed.office(app, points=4)
        report = datagen.load(
            db, office.point_services(), datagen.recent_days(DAYS), total, office.version_id
        )
    except BaseException:
        db.drop()
        raise
    return db, app, office, report.as_dict()


def run(kind: str, quick: bool, log: Any) -> dict[str, Any]:
    small_n, big_n = SIZES["quick" if quick else "full"]
    small_db, small_app, office, small_load = _build(kind, small_n, "dash_small")
    try:
        log(f"  {kind}: {small_n} ratings loaded in {small_load['seconds']} s")
        big_db, big_app, big_office, big_load = _build(kind, big_n, "dash_big")
        try:
            log(f"  {kind}: {big_n} ratings loaded in {big_load['seconds']} s")
            return _measure(kind, small_db, small_app, office, big_db, big_app, big_office) | {
                "ratings": {"small": small_n, "big": big_n},
                "load": {"small": small_load, "big": big_load},
            }
        finally:
            big_db.drop()
    finally:
        small_db.drop()


def _measure(
    kind: str,
    small_db: common.Database,
    small_app: Any,
    office: seed.Office,
    big_db: common.Database,
    big_app: Any,
    big_office: seed.Office,
) -> dict[str, Any]:
    result: dict[str, Any] = {"database": kind, "goal": f"<= {GOAL}"}
    path_small = dashboard_path(small_app, office.unit_code)
    path_big = dashboard_path(big_app, big_office.unit_code)
    if path_small and path_big:
        clients = small_app.test_client(), big_app.test_client()

        def getter(client: Any, path: str) -> Any:
            def call() -> None:
                for url in chart_urls(_get(client, path)):
                    _get(client, url)

            return call

        small_s, big_s = _alternate(
            getter(clients[0], path_small), getter(clients[1], path_big), rounds=15, warmup=3
        )
        ratio = big_s / small_s
        result.update(
            status="measured",
            page=path_small,
            chart_data=chart_urls(_get(clients[0], path_small)),
            median_ms={"small": round(small_s * 1000, 1), "big": round(big_s * 1000, 1)},
            ratio=round(ratio, 2),
            met=ratio <= GOAL,
        )
    else:
        result.update(status="pending", page=None, met=None)
    since = datagen.recent_days(DAYS)[0]
    engines = create_engine(small_db.url), create_engine(big_db.url)
    try:
        params = {"unit": office.unit_id, "since": since}
        small_s, big_s = _alternate(
            _query_timer(engines[0], ROLLUP_QUERY, params),
            _query_timer(engines[1], ROLLUP_QUERY, params),
            rounds=15,
            warmup=2,
        )
        scan_small, scan_big = _alternate(
            _query_timer(engines[0], SCAN_QUERY, {"unit": office.unit_id}),
            _query_timer(engines[1], SCAN_QUERY, {"unit": office.unit_id}),
            rounds=3,
            warmup=1,
        )
    finally:
        for engine in engines:
            engine.dispose()
    result["stand_in"] = {
        "rollup_query_ms": {"small": round(small_s * 1000, 2), "big": round(big_s * 1000, 2)},
        "rollup_query_ratio": round(big_s / small_s, 2),
        "raw_scan_ms": {"small": round(scan_small * 1000, 1), "big": round(scan_big * 1000, 1)},
        "raw_scan_ratio": round(scan_big / scan_small, 1),
    }
    for app in (small_app, big_app):
        with app.app_context():
            from citizenvoice.extensions import db

            db.session.remove()
            db.engine.dispose()
    return result
