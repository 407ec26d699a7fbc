"""The pages' charts.json: the figures the tables beside the charts show, the pages' rules."""

from __future__ import annotations

import html as markup
import re
from typing import Any
from unittest.mock import ANY

from flask.testing import FlaskClient

from citizenvoice.extensions import db

NOT_FOUND = {"error": "Page not found", "status": 404, "detail": ANY}


def _table(html: str, caption: str) -> list[list[str]]:
    """The body rows of the table with this caption, as the texts of their cells."""
    found = re.search(
        rf"<caption>{re.escape(caption)}</caption>.*?<tbody>(.*?)</tbody>", html, re.S
    )
    assert found is not None, f"no table {caption!r}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)
    return [
        [markup.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]
        for cells in (re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S) for row in rows)
    ]


def _one_decimal(values: list[float | None]) -> list[str]:
    return ["—" if v is None else f"{v:.1f}" for v in values]


def test_unit_charts_are_the_figures_its_tables_show(
    page_charts: Any, published: dict[str, Any]
) -> None:
    html, figures = page_charts("/units/bureau")
    assert sorted(figures) == ["levels", "months", "trend"]

    trend = _table(html, "Total score over cycles")
    line = figures["trend"]["data"][0]
    assert line["x"] == [row[0] for row in trend] == ["Cycle 2026-q3"]
    assert _one_decimal(line["y"]) == [row[1] for row in trend] == ["83.3"]

    months = _table(html, "Citizen satisfaction by month")
    line = figures["months"]["data"][0]
    assert line["x"] == [row[0] for row in months]
    assert _one_decimal(line["y"]) == [row[2] for row in months]
    assert figures["months"]["layout"]["title"]["text"] == "Citizen satisfaction by month"

    levels = _table(html, "Answers by level")
    bars = figures["levels"]["data"][0]
    assert bars["x"] == [row[0] for row in levels]
    assert bars["y"] == [int(row[1]) for row in levels] == [30, 10, 5, 5, 0]


def test_point_charts_are_the_figures_its_tables_show(
    page_charts: Any, published: dict[str, Any]
) -> None:
    html, figures = page_charts(f"/points/{published['point'].code}")
    assert sorted(figures) == ["hours", "levels", "months"]
    months = _table(html, "Ratings over time")
    assert figures["months"]["data"][0]["x"] == [row[0] for row in months]
    assert _one_decimal(figures["months"]["data"][0]["y"]) == [row[2] for row in months]
    levels = _table(html, "Distribution of answers")
    assert figures["levels"]["data"][0]["y"] == [int(row[1]) for row in levels]
    hours = _table(html, "Ratings by hour of the week")
    grid = figures["hours"]["data"][0]
    assert grid["y"] == [row[0] for row in hours] == ["18:00–19:00"]
    assert grid["z"] == [[int(n) for n in row[1:]] for row in hours] == [[50, 0, 0, 0, 0, 0, 0]]


def test_compare_chart_is_the_funnel_its_table_lists(
    page_charts: Any, published: dict[str, Any]
) -> None:
    html, figures = page_charts("/compare")
    table = _table(html, "Units by name with their position on the funnel plot")
    markers = figures["funnel"]["data"][-1]
    plotted = [row for row in table if row[2] != "—"]  # units without an index are not drawn
    assert plotted
    assert markers["text"] == [row[0] for row in plotted]
    assert markers["x"] == [int(row[1]) for row in plotted]
    assert _one_decimal(markers["y"]) == [row[2] for row in plotted]


def test_chart_answers_are_cacheable_json_with_an_etag(
    client: FlaskClient, published: dict[str, Any]
) -> None:
    for path in ("/units/bureau/charts.json", f"/points/{published['point'].code}/charts.json"):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "application/json"
        assert response.headers["Cache-Control"] == "public, max-age=60"
        assert {"Accept-Language", "Cookie"} <= set(response.vary)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.get_data() == b""


def test_compare_charts_follow_the_compare_cycle_rules(
    client: FlaskClient, published: dict[str, Any], make_cycle: Any
) -> None:
    from citizenvoice.indicators.models import CycleState

    latest = client.get("/compare/charts.json").get_json()
    assert list(latest["charts"]) == ["funnel"]
    assert client.get("/compare/charts.json?cycle=2026-q3").get_json() == latest
    make_cycle("2026-q4", CycleState.COLLECTING, units=[published["unit"]])
    for code in ("2026-q4", "nope"):  # unpublished, unknown: as /compare, a 404
        assert client.get(f"/compare?cycle={code}").status_code == 404
        response = client.get(f"/compare/charts.json?cycle={code}")
        assert response.status_code == 404 and response.mimetype == "application/json"
        assert response.get_json() == NOT_FOUND


def test_compare_charts_before_any_publication_are_empty(
    client: FlaskClient, worked_example: dict[str, Any]
) -> None:
    """The cycle is computed in no snapshot: nothing to draw, and its code is unknown here."""
    assert client.get("/compare/charts.json").get_json() == {"charts": {}}
    assert client.get("/compare/charts.json?cycle=2026-q3").status_code == 404


def test_chart_titles_follow_the_language_of_the_page(
    client: FlaskClient, published: dict[str, Any]
) -> None:
    page = client.get("/units/bureau?lang=zh").get_data(as_text=True)
    assert 'data-chart-url="/units/bureau/charts.json?lang=zh"' in page
    chinese = client.get("/units/bureau/charts.json?lang=zh").get_json()["charts"]
    assert chinese["months"]["layout"]["title"]["text"] == "各月群众满意度"
    # Without ?lang=, the cookie and then the browser's languages choose, as for the pages.
    fresh = client.application.test_client()
    asked = fresh.get("/units/bureau/charts.json", headers={"Accept-Language": "zh-CN"})
    assert asked.get_json()["charts"] == chinese
    english = fresh.get("/units/bureau/charts.json").get_json()["charts"]
    assert english["months"]["layout"]["title"]["text"] == "Citizen satisfaction by month"


def test_chart_texts_are_escaped_in_the_json(
    client: FlaskClient, published: dict[str, Any]
) -> None:
    name = '<img src=x onerror="alert(1)"> & co'
    published["cycle"].name = name
    db.session.commit()
    response = client.get("/units/bureau/charts.json")
    body = response.get_data(as_text=True)
    assert "<" not in body and ">" not in body and "&" not in body
    trend = response.get_json()["charts"]["trend"]["data"][0]
    assert trend["x"] == [markup.escape(name, quote=True)]  # plotly shows the text, never markup


def test_the_pages_may_fetch_their_charts_from_their_own_origin_only(
    client: FlaskClient, published: dict[str, Any]
) -> None:
    policy = client.get("/units/bureau").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["connect-src"] == "'self'"
    assert directives["script-src"] == "'self'"
