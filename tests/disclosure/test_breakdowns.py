"""Busy hours, survey dimensions and "you said, we did" on the unit and service point pages."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from citizenvoice.disclosure.breakdowns import shift_hours
from citizenvoice.extensions import db
from citizenvoice.surveys import services as surveys
from citizenvoice.surveys.models import FlagKind

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _busy_table(html: str) -> dict[str, list[int]]:
    """The busy-hours table as {row label: [Monday … Sunday]} (the "All hours" row included)."""
    table = re.search(r'<table class="data busy-hours".*?</table>', html, re.S)
    assert table is not None, "no busy-hours table"
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>((?:<td>\d+</td>)+)</tr>', table.group(0))
    return {label: [int(n) for n in re.findall(r"<td>(\d+)</td>", cells)] for label, cells in rows}


# ---- busy hours -------------------------------------------------------------------------------


def test_shift_hours_worked_examples() -> None:
    rows = [(1, 0, 3), (7, 20, 2), (3, 10, 1)]
    assert shift_hours(rows, 8) == {(1, 8): 3, (1, 4): 2, (3, 18): 1}
    assert shift_hours(rows, 0) == {(1, 0): 3, (7, 20): 2, (3, 10): 1}
    assert shift_hours([(1, 2, 5)], -5) == {(7, 21): 5}  # Monday 02:00 UTC is Sunday 21:00
    assert shift_hours([(1, 9, 1), (1, 9, 4)], 0) == {(1, 9): 5}


@given(
    st.lists(st.tuples(st.integers(1, 7), st.integers(0, 23), st.integers(0, 50)), max_size=40),
    st.integers(-12, 14),
)
def test_shift_hours_keeps_every_rating_and_undoes(rows: list[Any], offset: int) -> None:
    shifted = shift_hours(rows, offset)
    assert sum(shifted.values()) == sum(n for _d, _h, n in rows)
    assert all(1 <= d <= 7 and 0 <= h <= 23 for d, h in shifted)
    back = shift_hours([(d, h, n) for (d, h), n in shifted.items()], -offset)
    assert {k: v for k, v in back.items() if v} == {
        k: v for k, v in shift_hours(rows, 0).items() if v
    }


def test_point_page_busy_hours_in_local_time_table_equals_chart(
    page_charts: Any, published: dict[str, Any]
) -> None:
    """The worked example's 50 counted ratings were given on Monday 2026-08-03 at 10:30 UTC,
    18:30 in the city (UTC+8 by default); the 7 flagged ones are left out."""
    html, figures = page_charts(f"/points/{published['point'].code}")
    assert "Busy hours" in html and "local time (UTC+8)" in html
    table = _busy_table(html)
    assert table == {"18:00–19:00": [50, 0, 0, 0, 0, 0, 0], "All hours": [50, 0, 0, 0, 0, 0, 0]}
    trace = figures["hours"]["data"][0]
    assert trace["type"] == "heatmap"
    assert trace["x"] == WEEKDAYS
    assert trace["y"] == [label for label in table if label != "All hours"]
    assert trace["z"] == [table[label] for label in trace["y"]]


def test_busy_hours_in_utc_when_the_city_has_no_whole_hour_offset(
    app: Flask, client: FlaskClient, published: dict[str, Any]
) -> None:
    for offset in (0, 5.5):
        app.config["INTEGRITY_UTC_OFFSET_HOURS"] = offset
        html = client.get(f"/points/{published['point'].code}").get_data(as_text=True)
        assert "by hour of the week in UTC." in html
        assert _busy_table(html)["10:00–11:00"] == [50, 0, 0, 0, 0, 0, 0]
    app.config["INTEGRITY_UTC_OFFSET_HOURS"] = -5
    html = client.get(f"/points/{published['point'].code}").get_data(as_text=True)
    assert "local time (UTC-5)" in html
    assert _busy_table(html)["05:00–06:00"] == [50, 0, 0, 0, 0, 0, 0]


def test_clearing_flags_adds_the_ratings_to_busy_hours(
    client: FlaskClient, published: dict[str, Any]
) -> None:
    from citizenvoice.surveys.models import FlagStatus, RatingFlag

    flags = db.session.query(RatingFlag).filter(RatingFlag.status == FlagStatus.OPEN).all()
    assert len(flags) == 7
    for flag in flags[:4]:
        surveys.decide_flag(flag, confirm=False, reason="a person checked", staff_id=None)
    surveys.decide_flag(flags[4], confirm=True, reason="same device", staff_id=None)
    db.session.commit()
    html = client.get(f"/points/{published['point'].code}").get_data(as_text=True)
    assert _busy_table(html)["All hours"] == [54, 0, 0, 0, 0, 0, 0]


def test_a_point_without_ratings_says_so(client: FlaskClient, published: dict[str, Any]) -> None:
    html = client.get(f"/points/{published['sub_point'].code}").get_data(as_text=True)
    assert "Busy hours" in html and "busy-hours" not in html
    assert "No ratings yet." in html


# ---- survey dimensions -----------------------------------------------------------------------


def _rate(point: Any, overall: int, answers: dict[str, int], when: datetime, **kw: Any) -> Any:
    version = surveys.version_for_point(point)
    ids = {q.code: q.id for q in version.questions}
    sub = surveys.Submission(
        overall=overall,
        answers={ids[code]: value for code, value in answers.items()},
        created_at=when,
        **kw,
    )
    rating = surveys.submit_rating(point, version, sub)
    db.session.commit()
    return rating


def test_unit_page_shows_satisfaction_by_dimension_month_by_month(
    client: FlaskClient, published: dict[str, Any]
) -> None:
    point, sub_point = published["point"], published["sub_point"]
    for n in range(30):  # August: waiting all "very satisfied", resolved 24 of 30
        _rate(point, 5, {"waiting": 5, "resolved": int(n < 24)}, datetime(2026, 8, 10, 9, n))
    for n in range(40):  # July, at the sub-unit's point: waiting "dissatisfied" (25 points)
        _rate(sub_point, 2, {"waiting": 2}, datetime(2026, 7, 6, 9, n))
    _rate(point, 3, {"attitude": 3}, datetime(2026, 8, 11, 9, 0))  # one answer: too few
    html = client.get("/units/bureau").get_data(as_text=True)
    assert "not yet published" not in html
    summary = re.search(r'<table class="data dimensions".*?</table>', html, re.S)
    assert summary is not None
    cells = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td><td>([^<]*)</td>', summary[0])
    rows = {question: (n, value) for question, n, value in cells}
    # 30 × 100 + 40 × 25 over 70 answers
    assert rows["How satisfied are you with the waiting time?"] == ("70", "57.1")
    assert rows["How satisfied are you with the staff&#39;s attitude?"] == ("1", "—")
    assert rows["Was your matter resolved?"] == ("30", "80.0%")
    months = re.search(r'<table class="data dimension-months".*?</table>', html, re.S)
    assert months is not None
    assert re.search(r'2026-08</th><td>100.0 <span class="hint">\(30\)</span>', months[0])
    assert re.search(r'2026-07</th><td>25.0 <span class="hint">\(40\)</span>', months[0])


# ---- you said, we did -------------------------------------------------------------------------


def _replied(point: Any, comment: str, reply: str, when: datetime, **kw: Any) -> Any:
    """A bad rating with a comment (which opens a case) and the unit's public reply to it."""
    from citizenvoice.casework.services import case_for_rating

    rating = _rate(point, 1, {}, when, comment=comment, **kw)
    case = case_for_rating(rating)
    assert case is not None
    case.public_reply, case.replied_at = reply, when.replace(day=when.day + 1)
    db.session.commit()
    return rating


def test_comments_are_paired_with_the_units_public_replies(
    client: FlaskClient, published: dict[str, Any]
) -> None:
    point = published["point"]
    _replied(
        point,
        "Waited two hours, call me on 13912345678",
        "We opened a second window at lunchtime.",
        datetime(2026, 8, 12, 9, 0),
    )
    flagged = _replied(
        point, "Hidden: a flagged rating", "Reply to a flagged one", datetime(2026, 8, 13, 9, 0)
    )
    surveys.add_flag(flagged, FlagKind.MANUAL, "checking")
    db.session.commit()
    for path in ("/units/bureau", f"/points/{point.code}", "/units/bureau/comments"):
        html = client.get(path).get_data(as_text=True)
        assert "We opened a second window at lunchtime." in html, path
        assert "Waited two hours, call me on" in html, path
        assert "13912345678" not in html, path  # masked
        assert "Hidden: a flagged rating" not in html, path
        assert "Reply to a flagged one" not in html, path
    html = client.get("/units/bureau").get_data(as_text=True)
    said = html.split('id="replies-h"')[1].split("</section>")[0]
    assert said.index("Waited two hours") < said.index("We opened a second window")
    point_comments = client.get(f"/points/{point.code}/comments").get_data(as_text=True)
    assert "The unit's reply" in point_comments
    # The sub-unit's point has no reply of its own.
    sub_html = client.get(f"/points/{published['sub_point'].code}").get_data(as_text=True)
    assert "No public replies yet." in sub_html


# ---- chart data equals the snapshot and the open data -------------------------------------


def test_unit_page_charts_equal_the_snapshot_and_the_open_data(
    client: FlaskClient, page_charts: Any, published: dict[str, Any]
) -> None:
    """Every figure the unit page draws (from its charts.json) can be found in the published
    snapshot (the trend) or in the open data (the months and the answers by level)."""
    _html, figures = page_charts("/units/bureau")
    result = client.get("/api/v1/units/bureau/results").get_json()["data"]
    snapshot = published["publication"]
    payload = json.loads(snapshot.payload)
    mine = next(u for u in payload["units"] if u["code"] == "bureau")

    trend = figures["trend"]["data"][0]
    assert trend["y"] == [round(mine["total"], 2)]
    assert [round(r["total"], 2) for r in result] == trend["y"]
    assert trend["error_y"]["array"] == [round(mine["upper"] - mine["total"], 3)]

    aggregates = client.get("/api/v1/rating-aggregates").get_json()["data"]
    months = figures["months"]["data"][0]
    assert months["x"] == sorted({row["month"] for row in aggregates})
    for month, value in zip(months["x"], months["y"], strict=True):
        rows = [r for r in aggregates if r["month"] == month and r["ratings"]]
        n = sum(r["ratings"] for r in rows)
        assert value == pytest.approx(sum(r["mean_points"] * r["ratings"] for r in rows) / n)
    levels = figures["levels"]["data"][0]["y"]
    columns = ("very_satisfied", "satisfied", "basically_satisfied", "dissatisfied")
    assert levels[:4] == [sum(r[c] or 0 for r in aggregates) for c in columns]


def test_busy_hours_and_dimensions_in_chinese(
    client: FlaskClient, published: dict[str, Any]
) -> None:
    point = client.get(f"/points/{published['point'].code}?lang=zh").get_data(as_text=True)
    assert "繁忙时段" in point and "本市当地时间，UTC+8" in point and "星期一" in point
    assert "全天合计" in point and "尚无公开答复。" in point
    unit = client.get("/units/bureau?lang=zh").get_data(as_text=True)
    assert "分维度群众满意度" in unit
