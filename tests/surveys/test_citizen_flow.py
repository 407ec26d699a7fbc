"""The citizen's flow: open the QR target, rate, thank-you page, follow-up page."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from citizenvoice.extensions import db
from tests.surveys.conftest import counts, post_rating, rating_data, token_from_page

MAX_PAGE_BYTES = 25 * 1024


def test_form_opens_with_either_case_and_shows_the_questions(client: FlaskClient, point: Any):
    for path in (f"/s/{point.token.lower()}", f"/S/{point.token}", f"/s/{point.token}"):
        response = client.get(path)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "Overall, how satisfied are you with the service today?" in html
        assert "Were you asked for gifts, favours or extra fees?" in html
        assert html.count('type="radio"') == 5 * 4 + 2 * 2
        assert response.headers["Cache-Control"] == "no-store"
        assert "<script" not in html and "style=" not in html


def test_form_in_chinese(client: FlaskClient, point: Any):
    html = client.get(f"/s/{point.token}?lang=zh").get_data(as_text=True)
    assert "您对等候时间是否满意？" in html and "总体而言，您对今天的服务是否满意？" in html
    assert "非常满意" in html and "提交评价" in html
    assert "是否有人向您索要礼品、好处或额外费用？" in html


def test_device_cookie_is_signed_httponly_and_lax(client: FlaskClient, point: Any):
    response = client.get(f"/s/{point.token}")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("cv_device="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "." in cookie.split(";")[0]  # value.signature


@pytest.mark.parametrize(
    "token", ["AAAAAAAAAAAA", "short", "V016GVHXZFT1X", "ÄÖÜ", "%00", "a" * 500, "UUUUUUUUUUUU"]
)
def test_unknown_or_malformed_tokens_are_404(client: FlaskClient, point: Any, token: str):
    assert client.get(f"/s/{token}").status_code == 404
    assert client.post(f"/s/{token}", data=rating_data()).status_code == 404
    assert counts() == (0, 0)


def test_retired_token_answers_410(client: FlaskClient, point: Any):
    from citizenvoice.org.services import regenerate_token

    old = point.token
    regenerate_token(point)
    db.session.commit()
    response = client.get(f"/s/{old}")
    assert response.status_code == 410
    assert "no longer in use" in response.get_data(as_text=True)
    assert client.post(f"/s/{old}", data=rating_data()).status_code == 410
    assert client.get(f"/s/{point.token}").status_code == 200
    assert counts() == (0, 0)


def test_inactive_point_is_a_friendly_410(client: FlaskClient, point: Any):
    from citizenvoice.org.services import set_point_active

    set_point_active(point, False)
    db.session.commit()
    response = client.get(f"/s/{point.token}")
    assert response.status_code == 410
    assert "no longer takes ratings" in response.get_data(as_text=True)


def test_rating_redirects_to_thanks_with_follow_up_code(client: FlaskClient, point: Any):
    from citizenvoice.surveys.models import Rating, RatingContact

    page = client.get(f"/s/{point.token}").get_data(as_text=True)
    token = token_from_page(page)
    response = client.post(
        f"/s/{point.token}",
        data={
            "ft": token,
            "overall": "2",
            "q_waiting": "1",
            "q_gifts": "0",
            "comment": "Waited two hours. Call me on 138 0013 8000.",
            "contact_name": "Li",
            "contact_details": "13800138000",
            "consent": "y",
        },
    )
    assert response.status_code == 303
    rating = db.session.query(Rating).one()
    assert rating.overall == 2 and rating.has_contact and rating.follow_up_code
    assert rating.answered_seconds is not None
    assert {a.question.code: a.value for a in rating.answers} == {"waiting": 1, "gifts": 0}
    assert db.session.get(RatingContact, rating.id).details == "13800138000"
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert rating.follow_up_code in thanks and f"/f/{rating.follow_up_code}" in thanks
    follow = client.get(f"/f/{rating.follow_up_code.lower()}")
    text = follow.get_data(as_text=True)
    assert follow.status_code == 200
    assert "Waited two hours" in text and "[phone]" in text
    assert "8000" not in text and "13800138000" not in text
    assert "Received" in text


def test_rating_without_comment_has_no_follow_up_code(client: FlaskClient, point: Any):
    response = post_rating(client, point.token, overall=5)
    assert response.status_code == 303
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you for your rating" in thanks and "/f/" not in thanks


def test_contact_without_consent_is_refused_beside_the_field(client: FlaskClient, point: Any):
    response = post_rating(client, point.token, contact_details="13800138000")
    assert response.status_code == 400
    assert "Please agree to the use of your contact details" in response.get_data(as_text=True)
    assert counts() == (0, 0)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"overall": "6"},
        {"overall": "0"},
        {"overall": "abc"},
        {"overall": "5", "q_waiting": "9"},
        {"overall": "5", "q_resolved": "3"},
        {"overall": "5", "service": "999999"},
        {"overall": "5", "service": "x"},
        {"overall": "5", "comment": "x" * 2001},
        {"overall": "5", "comment": "nul\x00byte"},
        {"overall": "5", "contact_details": "y" * 300, "consent": "y"},
        {"overall": ["5", "4"], "q_waiting": ["x", "1"]},
        {"overall": "5", "comment": "😀" * 100_000},
    ],
)
def test_bad_input_writes_nothing_and_never_5xx(
    client: FlaskClient, point: Any, data: dict[str, Any]
):
    response = client.post(f"/s/{point.token}", data={**rating_data(), "overall": "", **data})
    assert response.status_code == 400
    assert counts() == (0, 0)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_survey_page_weight_is_at_most_25_kb(
    app: Flask, client: FlaskClient, point: Any, lang: str
):
    """HTML + every stylesheet it links (no scripts needed)."""
    import re

    from citizenvoice.org import services as org

    service = org.create_service("long-service", "A service with a long name " * 3, "服务" * 10)
    point.services = [service]
    db.session.commit()
    html = client.get(f"/s/{point.token}?lang={lang}").data
    sheets = re.findall(rb'<link rel="stylesheet" href="([^"]+)"', html)
    assert len(sheets) == 2
    css = 0
    for href in sheets:
        with client.get(href.decode()) as sheet:
            css += len(sheet.data)
    assert b"<script" not in html
    total = len(html) + css
    print(f"survey page weight ({lang}): {total} bytes")
    assert total <= MAX_PAGE_BYTES
