"""The officials' dashboard: live figures of the unpublished cycle, scoped to their units."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape
from typing import Any
from unittest.mock import ANY

import pytest
from flask.testing import FlaskClient

from citizenvoice.accounts.models import Role
from citizenvoice.core.db import utcnow
from citizenvoice.extensions import db
from tests.conftest import login


def _live_cycle(make_cycle: Any, make_node: Any, units: list[Any], target: float) -> Any:
    from citizenvoice.indicators.models import CycleState, DataSource

    today = date.today()
    cycle = make_cycle(
        "live",
        CycleState.COLLECTING,
        units=units,
        period_start=today - timedelta(days=40),
        period_end=today + timedelta(days=50),
    )
    make_node(
        cycle,
        source=DataSource.CITIZEN_RATING,
        code="live-sat",
        name="Satisfaction with the service",
        target_value=target,
    )
    return cycle


def test_official_sees_progress_and_an_early_warning(
    client: FlaskClient,
    page_charts: Any,
    login_as: Any,
    make_unit: Any,
    make_point: Any,
    make_cycle: Any,
    make_node: Any,
    add_ratings: Any,
) -> None:
    unit = make_unit("office")
    sub = make_unit("office-sub", parent=unit)
    point = make_point(sub)
    _live_cycle(make_cycle, make_node, [unit], target=75.0)
    now = utcnow().replace(microsecond=0)
    # Good weeks first, then worse ones: heading below the target of 75 (not yet clearly below).
    add_ratings(point, {5: 30}, when=now - timedelta(days=30))
    add_ratings(point, {4: 20, 3: 10}, when=now - timedelta(days=10))
    add_ratings(point, {3: 20, 2: 10}, when=now - timedelta(days=1), flagged={1: 3})
    login_as(Role.UNIT_OFFICIAL, unit)
    html, figures = page_charts("/manage/dashboard/units/office")
    assert "Satisfaction with the service" in html
    assert "Early warning: heading below target" in html
    assert "carry an open integrity flag" in html
    assert "Projected at the end" in html
    assert (
        'data-chart-url="/manage/dashboard/units/office/charts.json?cycle=live&amp;lang=en"' in html
    )
    assert list(figures) == ["progress-live-sat"]
    figure = figures["progress-live-sat"]
    assert figure["layout"]["title"]["text"] == "Satisfaction with the service"
    assert figure["layout"]["shapes"][0]["y0"] == 75.0  # the target
    # The chart draws the weekly table beside it: week starts and the index so far.
    week_row = r'<tr><th scope="row">(\d{4}-\d\d-\d\d)</th><td>\d+</td><td>[^<]*</td>'
    weeks = re.findall(week_row + r"<td>([^<]*)</td></tr>", html)
    assert weeks
    line = figure["data"][0]
    assert line["x"] == [start for start, _so_far in weeks]
    assert [("—" if y is None else f"{y:.1f}") for y in line["y"]] == [v for _s, v in weeks]
    assert "Sub-units" in html and "/manage/dashboard/units/office-sub" in html
    assert client.get("/manage/dashboard/units/office-sub").status_code == 200
    index = client.get("/manage/dashboard/").get_data(as_text=True)
    assert "/manage/dashboard/units/office" in index


#: (who asks, for which unit's charts, whether the dashboard lets them see that unit)
CHART_ACCESS = [
    ("official", "watched", True),
    ("official", "watched-sub", True),
    ("manager", "watched", True),
    ("other_official", "watched", False),
    ("other_official", "watched-sub", False),
    ("sub_official", "watched", False),
    ("evaluator", "watched", False),
    ("manager", "nope", False),
]


@pytest.mark.parametrize(("persona", "code", "is_allowed"), CHART_ACCESS)
def test_progress_charts_json_follows_the_dashboard_scope(
    client: FlaskClient,
    make_user: Any,
    make_unit: Any,
    make_point: Any,
    make_cycle: Any,
    make_node: Any,
    add_ratings: Any,
    persona: str,
    code: str,
    is_allowed: bool,
) -> None:
    """The dashboard's charts.json answers whoever may open the page, and refuses the rest:
    other units' officials (and roles without units) get the same JSON 404 as for a unit that
    does not exist."""
    unit = make_unit("watched")
    sub = make_unit("watched-sub", parent=unit)
    other = make_unit("elsewhere")
    _live_cycle(make_cycle, make_node, [unit, sub, other], target=80.0)
    add_ratings(make_point(sub), {5: 20, 4: 5}, when=utcnow().replace(microsecond=0))
    units = {"official": unit, "sub_official": sub, "other_official": other, "evaluator": unit}
    role = {"manager": Role.MANAGER, "evaluator": Role.EVALUATOR}.get(persona, Role.UNIT_OFFICIAL)
    login(client, make_user(role, units.get(persona), persona))
    page = client.get(f"/manage/dashboard/units/{code}")
    response = client.get(f"/manage/dashboard/units/{code}/charts.json")
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    if not is_allowed:
        assert page.status_code == response.status_code == 404
        assert response.get_json() == {"error": "Page not found", "status": 404, "detail": ANY}
        return
    assert page.status_code == response.status_code == 200
    figure = response.get_json()["charts"]["progress-live-sat"]
    assert figure["layout"]["title"]["text"] == "Satisfaction with the service"
    assert client.get(f"/manage/dashboard/units/{code}/charts.json?cycle=nope").status_code == 404
    chinese = client.get(f"/manage/dashboard/units/{code}/charts.json?lang=zh").get_json()
    assert chinese["charts"]["progress-live-sat"]["layout"]["yaxis"]["title"]["text"] == (
        "满意度指数（0–100）"
    )


def test_anonymous_users_are_sent_to_log_in_for_progress_charts(
    client: FlaskClient, make_unit: Any, make_cycle: Any, make_node: Any
) -> None:
    _live_cycle(make_cycle, make_node, [make_unit("watched")], target=80.0)
    response = client.get("/manage/dashboard/units/watched/charts.json")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert response.mimetype != "application/json" and "progress-" not in response.text


def test_on_track_without_warning(
    client: FlaskClient,
    login_as: Any,
    make_unit: Any,
    make_point: Any,
    make_cycle: Any,
    make_node: Any,
    add_ratings: Any,
) -> None:
    unit = make_unit("steady")
    point = make_point(unit)
    _live_cycle(make_cycle, make_node, [unit], target=80.0)
    now = utcnow().replace(microsecond=0)
    for days in (30, 20, 10, 2):
        add_ratings(point, {5: 10, 4: 5}, when=now - timedelta(days=days))
    login_as(Role.MANAGER)
    html = client.get("/manage/dashboard/units/steady").get_data(as_text=True)
    assert "On track" in html and "Early warning" not in html


def test_other_units_are_404_for_officials(
    client: FlaskClient, login_as: Any, make_unit: Any
) -> None:
    mine = make_unit("mine")
    make_unit("other")
    login_as(Role.UNIT_OFFICIAL, mine)
    assert client.get("/manage/dashboard/units/other").status_code == 404
    assert client.get("/manage/dashboard/units/nope").status_code == 404
    html = client.get("/manage/dashboard/units/mine").get_data(as_text=True)
    assert "takes part in no cycle" in html
    assert "/units/other" not in client.get("/manage/dashboard/").get_data(as_text=True)


def test_published_cycles_are_not_live(
    client: FlaskClient, login_as: Any, published: dict[str, Any]
) -> None:
    login_as(Role.MANAGER)
    html = client.get("/manage/dashboard/units/bureau").get_data(as_text=True)
    assert "takes part in no cycle" in html
    db.session.rollback()


def test_clearly_below_target(
    client: FlaskClient,
    login_as: Any,
    make_unit: Any,
    make_point: Any,
    make_cycle: Any,
    make_node: Any,
    add_ratings: Any,
) -> None:
    unit = make_unit("low")
    point = make_point(unit)
    _live_cycle(make_cycle, make_node, [unit], target=95.0)
    add_ratings(point, {3: 40}, when=utcnow().replace(microsecond=0) - timedelta(days=3))
    login_as(Role.ADMIN)
    html = client.get("/manage/dashboard/units/low").get_data(as_text=True)
    assert "Below target" in html


def test_overdue_cases_are_an_alert(
    client: FlaskClient,
    login_as: Any,
    make_unit: Any,
    make_point: Any,
    make_cycle: Any,
    make_node: Any,
) -> None:
    from citizenvoice.surveys import services as surveys

    unit = make_unit("slow-office")
    sub = make_unit("slow-office-sub", parent=unit)
    _live_cycle(make_cycle, make_node, [unit], target=75.0)
    login_as(Role.UNIT_OFFICIAL, unit)
    assert "past its deadline" not in client.get("/manage/dashboard/units/slow-office").text
    point = make_point(sub)
    surveys.default_survey()
    version = surveys.version_for_point(point)
    for days_ago in (30, 1):  # a bad rating opens a case; the first is long overdue
        surveys.submit_rating(
            point,
            version,
            surveys.Submission(overall=1, created_at=utcnow() - timedelta(days=days_ago)),
        )
    db.session.commit()
    html = client.get("/manage/dashboard/units/slow-office").get_data(as_text=True)
    assert "1 case of this unit or its sub-units is past its deadline." in html
    assert "/manage/casework/" in html
    assert "No alerts." not in html


def test_officials_download_the_live_figures_per_day(
    client: FlaskClient, login_as: Any, make_unit: Any, make_point: Any, make_cycle: Any,
    make_node: Any, add_ratings: Any,
) -> None:  # fmt: skip
    import csv
    import io

    unit = make_unit("csv-office")
    point = make_point(make_unit("csv-office-sub", parent=unit))
    cycle = _live_cycle(make_cycle, make_node, [unit], target=75.0)
    now = utcnow().replace(microsecond=0)
    add_ratings(point, {5: 3, 4: 2}, when=now - timedelta(days=2), flagged={1: 4})
    add_ratings(point, {2: 1}, when=now - timedelta(days=1))
    login_as(Role.UNIT_OFFICIAL, unit)
    page = client.get("/manage/dashboard/units/csv-office").get_data(as_text=True)
    assert "/manage/dashboard/units/csv-office/live.csv?cycle=live" in page
    response = client.get(f"/manage/dashboard/units/csv-office/live.csv?cycle={cycle.code}")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    two_days_ago = (now - timedelta(days=2)).date().isoformat()
    assert [(r["day"], r["ratings"]) for r in rows][-2:] == [
        (two_days_ago, "5"),
        ((now - timedelta(days=1)).date().isoformat(), "1"),
    ]
    first = next(r for r in rows if r["day"] == two_days_ago)
    assert (first["very_satisfied"], first["satisfied"], first["very_dissatisfied"]) == (
        "3",
        "2",
        "0",
    )  # the four flagged ratings are not counted
    assert client.get("/manage/dashboard/units/csv-office/live.csv?cycle=nope").status_code == 404


def test_divergence_of_internal_evaluations_is_an_alert(
    client: FlaskClient, login_as: Any, make_unit: Any, make_point: Any, make_cycle: Any,
    make_node: Any, add_ratings: Any, add_evaluations: Any,
) -> None:  # fmt: skip
    """Evaluators far kinder than the citizens: the computed, unpublished cycle raises the alert."""
    from citizenvoice.indicators.models import CycleState, DataSource
    from citizenvoice.scoring import services as scoring

    unit = make_unit("cosy-office")
    point = make_point(unit)
    cycle = make_cycle("cosy", CycleState.EVALUATING, units=[unit])
    make_node(cycle, weight=50, source=DataSource.CITIZEN_RATING, code="cosy-sat")
    evaluation = make_node(
        cycle, weight=50, source=DataSource.INTERNAL_EVALUATION, code="cosy-eval",
        subject_weights={"experts": 100},
    )  # fmt: skip
    add_ratings(point, {2: 30})  # every citizen answers "dissatisfied": index 25
    add_evaluations(cycle, unit, evaluation, {"experts": [95, 95, 90, 100, 95]})
    login_as(Role.UNIT_OFFICIAL, unit)
    before = client.get("/manage/dashboard/units/cosy-office").get_data(as_text=True)
    assert "The divergence check needs computed results" in before
    assert "Divergence:" not in before
    scoring.compute_cycle(cycle.id)
    db.session.commit()
    html = unescape(client.get("/manage/dashboard/units/cosy-office").get_data(as_text=True))
    assert (
        "Divergence: internal evaluations (95.0) are far kinder than citizens' ratings (25.0)."
        in html
    )
    assert "No alerts." not in html
