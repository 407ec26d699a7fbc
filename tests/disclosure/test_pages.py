"""Public pages: what they show, what they never show, and what they never read."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

from flask.testing import FlaskClient

from citizenvoice.extensions import db

RATINGS_TABLE = re.compile(r'\b(FROM|JOIN)\s+"?ratings"?(\s|$|,|\))', re.IGNORECASE)
#: The one read of ratings the unit and point pages may make: the few latest cases with a
#: public reply ("you said, we did"), each joined to its one rating by primary key, under a
#: LIMIT (``disclosure.services.replied_comments``): its cost does not grow with the ratings.
BY_CASE = re.compile(
    r"\bFROM cases JOIN ratings ON ratings\.id = cases\.rating_id\b.*\bLIMIT\b", re.S
)


def test_unit_page_shows_the_published_result_with_tables(
    client: FlaskClient, published: dict[str, Any]
) -> None:
    html = client.get("/units/bureau").get_data(as_text=True)
    assert "Latest published result" in html
    assert "83.3" in html  # the worked example's total
    assert "Good" in html
    assert "95% interval" in html
    assert "Citizen satisfaction month by month" in html
    assert "2026-08" in html  # the month of the ratings, in the table
    assert "Indicators against their targets" in html
    # The charts come from the unit's charts.json, in the page's language; no figure inline.
    url = 'data-chart-url="/units/bureau/charts.json?lang=en"'
    assert f'{url} data-chart-name="trend"' in html and html.count(url) == 3
    assert 'type="application/json"' not in html
    # Every chart has its table; no inline script or style attribute.
    assert html.count('class="chart"') <= html.count('<table class="data')
    assert "<script>" not in html and " style=" not in html


def test_unit_page_issues_no_query_on_the_ratings_table(
    client: FlaskClient, published: dict[str, Any], queries: Callable[[], list[str]]
) -> None:
    for path in (
        "/units/bureau",
        "/units/bureau-office",
        f"/points/{published['point'].code}",
        "/",
        "/compare",
        "/methodology",
        "/publications",
        "/api/v1/rating-aggregates",
        "/api/v1/cycles/2026-q3/results",
    ):
        assert client.get(path).status_code == 200, path
    statements = queries()
    assert any("rating_rollups" in s for s in statements)
    assert any("rating_hour_rollups" in s for s in statements)
    assert any(BY_CASE.search(s) for s in statements)
    offenders = [s for s in statements if RATINGS_TABLE.search(s) and not BY_CASE.search(s)]
    assert offenders == []


def test_the_listener_would_see_a_ratings_query(
    client: FlaskClient, published: dict[str, Any], queries: Callable[[], list[str]]
) -> None:
    """The comments page does read ratings (masked comments): the check above is not blind."""
    client.get("/units/bureau/comments")
    assert any(RATINGS_TABLE.search(s) for s in queries())


def test_point_page_shows_distribution_and_busy_hours(
    client: FlaskClient, published: dict[str, Any]
) -> None:
    html = client.get(f"/points/{published['point'].code}").get_data(as_text=True)
    assert "Distribution of answers" in html
    assert "Ratings by hour of the week" in html
    # 2026-08-03 is a Monday: 40 counted overall + 10 licence ratings, the 7 flagged left out.
    assert re.search(r"All hours</th><td>50</td>(<td>0</td>){6}</tr>", html)
    assert "Very satisfied</th><td>30</td>" in html


def test_unknown_or_inactive_pages_are_404(client: FlaskClient, published: dict[str, Any]) -> None:
    from citizenvoice.org import services as org

    org.set_unit_active(published["sub"], False)
    db.session.commit()
    for path in (
        "/units/nope",
        "/points/nope",
        "/units/bureau-office",
        "/compare?cycle=nope",
        "/methodology?cycle=nope",
        "/units/bureau/comments?page=0",
        "/units/bureau/comments?page=x",
    ):
        assert client.get(path).status_code == 404, path
    # Their charts.json answers as the open data does: a JSON 404.
    for path in ("/units/nope", "/points/nope", "/units/bureau-office"):
        response = client.get(path + "/charts.json")
        assert response.status_code == 404 and response.mimetype == "application/json", path
        assert response.get_json()["error"] == "Page not found"
    assert client.get("/units/bureau/charts.json").status_code == 200


def test_search_finds_units_points_and_services(
    client: FlaskClient, published: dict[str, Any]
) -> None:
    html = client.get("/search?q=BUREAU").get_data(as_text=True)
    assert "/units/bureau" in html
    html = client.get("/search?q=licence").get_data(as_text=True)
    assert "Business licence" in html and f"/points/{published['point'].code}" in html
    html = client.get("/search?q=%25").get_data(as_text=True)  # a LIKE wildcard is literal
    assert "Nothing found" in html
    assert client.get("/search?q=" + "x" * 5000).status_code == 200


def test_home_shows_the_latest_published_cycle_at_a_glance(
    client: FlaskClient, published: dict[str, Any]
) -> None:
    html = client.get("/").get_data(as_text=True)
    assert "Cycle 2026-q3" in html and "Units by grade" in html
    assert 'action="/search"' in html


def test_compare_is_a_funnel_plot_not_a_ranking(
    client: FlaskClient, published: dict[str, Any]
) -> None:
    html = client.get("/compare").get_data(as_text=True)
    assert 'data-chart-url="/compare/charts.json?cycle=2026-q3&amp;lang=en"' in html
    assert 'data-chart-name="funnel"' in html
    assert "Within the expected range" in html or "Too few ratings" in html
    assert "Rank" not in html and "rank</th>" not in html.lower()


def test_methodology_lists_definitions_weights_and_rules(
    client: FlaskClient, published: dict[str, Any]
) -> None:
    html = client.get("/methodology").get_data(as_text=True)
    for text in (
        "Citizen satisfaction",
        "70%",
        "Wilson",
        "fewer than 30 ratings",
        "Flags and appeals",
        "Excellent",
        "≥ 98 → 100; each 1 below → −5; below 80 → 0",
    ):
        assert text in html, text


def test_unit_page_shows_corrections(client: FlaskClient, published: dict[str, Any]) -> None:
    from citizenvoice.scoring import services as scoring

    scoring.publish_correction(published["cycle"].id, "Appeal upheld: a window was closed")
    db.session.commit()
    html = client.get("/units/bureau").get_data(as_text=True)
    assert "Corrections of published results" in html
    assert "Appeal upheld: a window was closed" in html
    assert "version 2" in html


def test_unpublished_cycles_never_appear_publicly(
    client: FlaskClient, published: dict[str, Any], make_cycle: Any, make_node: Any
) -> None:
    from citizenvoice.indicators.models import CycleState, DataSource
    from citizenvoice.scoring import services as scoring

    secret = make_cycle(
        "secret-q4", CycleState.REVIEWING, units=[published["unit"]], name="Hidden Cycle Name"
    )
    make_node(secret, source=DataSource.CITIZEN_RATING, code="sat-hidden")
    scoring.compute_cycle(secret.id)  # computed results exist, but nothing is published
    db.session.commit()
    paths = [
        "/",
        "/units/bureau",
        "/units/bureau-office",
        f"/points/{published['point'].code}",
        "/compare",
        "/methodology",
        "/publications",
        "/units/",
        "/api/v1/cycles",
        "/api/v1/publications",
        "/api/v1/units/bureau/results",
        "/search?q=secret",
    ]
    for path in paths:
        body = client.get(path).get_data(as_text=True)
        assert "secret-q4" not in body and "Hidden Cycle Name" not in body, path
    for path in (
        "/compare?cycle=secret-q4",
        "/methodology?cycle=secret-q4",
        "/api/v1/cycles/secret-q4/results",
        "/api/v1/cycles/secret-q4/indicators",
        "/api/v1/cycles/secret-q4/snapshots/1",
    ):
        assert client.get(path).status_code == 404, path


PAYLOAD = "<script>alert('x')</script>"


def test_script_payloads_are_escaped_in_html_and_json(
    client: FlaskClient,
    make_unit: Any,
    make_point: Any,
    make_cycle: Any,
    make_node: Any,
    add_ratings: Any,
) -> None:
    from citizenvoice.indicators.models import CycleState, DataSource
    from citizenvoice.scoring import services as scoring
    from citizenvoice.surveys import services as surveys
    from citizenvoice.surveys.models import Rating

    unit = make_unit("xss", name=PAYLOAD, name_zh=PAYLOAD)
    point = make_point(unit, code="xss-point", name=PAYLOAD, address=PAYLOAD)
    cycle = make_cycle("xss-cycle", CycleState.EVALUATING, units=[unit], name=PAYLOAD)
    make_node(
        cycle, source=DataSource.CITIZEN_RATING, code="xss-sat", name=PAYLOAD, definition=PAYLOAD
    )
    add_ratings(point, {5: 20, 3: 15})
    db.session.add(
        Rating(
            service_point_id=point.id,
            survey_version_id=surveys.version_for_point(point).id,
            overall=4,
            created_at=datetime(2026, 8, 4, 9),
            comment=PAYLOAD,
            comment_masked=PAYLOAD,
        )
    )
    db.session.commit()
    scoring.compute_cycle(cycle.id)
    scoring.publish(cycle.id)
    db.session.commit()
    pages = [
        "/",
        "/units/",
        "/units/xss",
        "/units/xss/comments",
        "/points/xss-point",
        "/points/xss-point/comments",
        "/compare",
        "/methodology",
        "/publications",
        "/search?q=script",
    ]
    for path in pages:
        for lang in ("en", "zh"):
            html = client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}").get_data(
                as_text=True
            )
            assert "<script>alert" not in html, path
    assert "&lt;script&gt;alert" in client.get("/units/xss").get_data(as_text=True)
    assert "&lt;script&gt;alert" in client.get("/units/xss/comments").get_data(as_text=True)
    for path in (
        "/api/v1/units",
        "/api/v1/service-points",
        "/api/v1/cycles",
        "/api/v1/cycles/xss-cycle/results",
        "/api/v1/cycles/xss-cycle/indicators",
        "/api/v1/units/xss/results",
    ):
        body = client.get(path).get_data(as_text=True)
        assert "<script" not in body and "\\u003cscript\\u003e" in body, path
    assert "<script" not in client.get("/api/v1/publications").get_data(as_text=True)


class _IndicatorTable(HTMLParser):
    """The rows of the unit page's indicator table: {row heading: {column heading: text}}."""

    def __init__(self) -> None:
        super().__init__()
        self.inside, self.cell = False, None
        self.columns: list[str] = []
        self.current: list[str] = []
        self.rows: dict[str, dict[str, str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("class", "data indicators") in attrs:
            self.inside = True
        elif self.inside and tag in ("th", "td"):
            self.cell = ""
        elif self.inside and tag == "tr":
            self.current = []

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag: str) -> None:
        if not self.inside:
            return
        if tag in ("th", "td") and self.cell is not None:
            self.current.append(" ".join(self.cell.split()))
            self.cell = None
        elif tag == "tr":
            if not self.columns:
                self.columns = self.current
            else:
                self.rows[self.current[0]] = dict(zip(self.columns, self.current, strict=True))
        elif tag == "table":
            self.inside = False


def test_unit_page_shows_each_indicator_against_its_target_and_criteria(
    client: FlaskClient, make_unit: Any, make_cycle: Any, make_node: Any, add_figure: Any
) -> None:
    from citizenvoice.indicators.models import CycleState, DataSource, Direction
    from citizenvoice.scoring import services as scoring

    unit = make_unit("targets")
    cycle = make_cycle("targets-cycle", CycleState.EVALUATING, units=[unit])
    waiting = make_node(
        cycle, weight=50, source=DataSource.SELF_REPORTED, code="waiting",
        name="Average waiting minutes", direction=Direction.LOWER, target_value=10.0,
        criteria={"kind": "linear", "target": 10, "floor": 30, "step": 5, "per": 2},
    )  # fmt: skip
    resolved = make_node(
        cycle, weight=50, source=DataSource.SELF_REPORTED, code="resolved",
        name="Complaints resolved", target_value=90.0,
        criteria={"kind": "bands", "bands": [[80, 60], [90, 100]]},
    )  # fmt: skip
    add_figure(cycle, unit, waiting, 14.0)
    add_figure(cycle, unit, resolved, 85.0)
    scoring.compute_cycle(cycle.id)
    snapshot = scoring.publish(cycle.id).payload
    db.session.commit()

    table = _IndicatorTable()
    table.feed(client.get("/units/targets").get_data(as_text=True))
    published = json.loads(snapshot)
    names = {n["code"]: n["name"] for n in published["nodes"] if n["kind"] == "indicator"}
    mine = next(u for u in published["units"] if u["code"] == "targets")
    assert set(mine["indicators"]) == set(names) == {"waiting", "resolved"}
    assert set(table.rows) == set(names.values())
    waiting_row, resolved_row = table.rows[names["waiting"]], table.rows[names["resolved"]]
    assert (waiting_row["Value"], waiting_row["Target"]) == ("14.00", "10.00")
    assert waiting_row["Score"] == "90.0" == f"{mine['indicators']['waiting']['score']:.1f}"
    # Lower is better here: the criteria read as the unit accepted them, not "below … short".
    assert waiting_row["Criteria"] == "≤ 10 → 100; each 2 above → −5; above 30 → 0"
    assert (resolved_row["Value"], resolved_row["Target"]) == ("85.00", "90.00")
    assert resolved_row["Criteria"] == "≥ 90 → 100; ≥ 80 → 60; below 80 → 0"
