"""The rating intake at the WSGI edge: what it takes, what it leaves to the view, and that both
store the same thing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from citizenvoice.casework.models import Case, Notification
from citizenvoice.extensions import db
from citizenvoice.surveys.models import (
    Rating,
    RatingAnswer,
    RatingContact,
    RatingFlag,
    RatingRollup,
)
from tests.surveys.conftest import counts, token_from_page


@pytest.fixture
def view_calls(app: Flask) -> Iterator[list[str]]:
    """The rating posts that reached the Flask view (the others were stored at the edge)."""
    app.config["SURVEY_MIN_SECONDS"] = 0  # the test's phones answer at once
    calls: list[str] = []
    original = app.view_functions["surveys.rate"]

    def counted(*args: Any, **kwargs: Any) -> Any:
        from flask import request

        if request.method == "POST":
            calls.append(request.path)
        return original(*args, **kwargs)

    app.view_functions["surveys.rate"] = counted
    yield calls
    app.view_functions["surveys.rate"] = original


def answers_of(page: str, overall: str = "4", **extra: str) -> dict[str, str]:
    """What a phone posts: the page's form token, a level, every question answered."""
    data = {"ft": token_from_page(page), "overall": overall, "service": "0"}
    for name in set(re.findall(r'name="(q_[a-z_]+)"', page)):
        data[name] = {"q_resolved": "1", "q_gifts": "0"}.get(name, "4")
    data.update(extra)
    return data


def phone(app: Flask, token: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    return client, client.get(f"/s/{token}").get_data(as_text=True)


def rate_once_by_view(app: Flask, token: str, view_calls: list[str]) -> None:
    """The first rating of a survey version is stored by the view, which remembers the version
    (and the day's address salt, once it is committed)."""
    from citizenvoice.core.db import utcnow
    from citizenvoice.surveys import integrity

    client, page = phone(app, token)
    assert client.post(f"/s/{token}", data=answers_of(page)).status_code == 303
    assert view_calls == [f"/s/{token}"]
    view_calls.clear()
    with app.test_request_context():
        integrity.salt_for(utcnow().date())  # as the view's next rating would


def test_a_plainly_valid_rating_is_stored_at_the_edge(app: Flask, point: Any, view_calls: list):
    rate_once_by_view(app, point.token, view_calls)
    client, page = phone(app, point.token)
    response = client.post(f"/s/{point.token}", data=answers_of(page, overall="5"))
    assert view_calls == []
    assert response.status_code == 303
    nonce = response.headers["Location"].rsplit("/thanks/", 1)[1]
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    db.session.rollback()  # a new read: the edge wrote on a connection of its own
    rating = db.session.scalar(select(Rating).where(Rating.nonce == nonce))
    assert rating is not None and rating.overall == 5 and rating.is_counted
    assert rating.device_hash and rating.ip_hash and rating.answered_seconds is not None
    assert (
        len(db.session.scalars(select(RatingAnswer).where(RatingAnswer.rating == rating)).all())
        == 5
    )
    # The thank-you page the phone is sent to shows the stored rating.
    assert client.get(response.headers["Location"]).status_code == 200
    assert counts() == (2, 2)


def _stored(nonce: str) -> dict[str, Any]:
    db.session.rollback()  # a new read: the edge wrote on a connection of its own
    rating = db.session.scalar(select(Rating).where(Rating.nonce == nonce))
    assert rating is not None
    answers = sorted(
        (a.question_id, a.value)
        for a in db.session.scalars(select(RatingAnswer).where(RatingAnswer.rating == rating))
    )
    case = db.session.scalar(select(Case).where(Case.rating_id == rating.id))
    flags = sorted(
        f.kind.value
        for f in db.session.scalars(select(RatingFlag).where(RatingFlag.rating_id == rating.id))
    )
    notices = []
    if case is not None:
        notices = sorted(
            n.kind
            for n in db.session.scalars(select(Notification).where(Notification.case_id == case.id))
        )
    return {
        "overall": rating.overall,
        "is_counted": rating.is_counted,
        "has_contact": rating.has_contact,
        "comment": rating.comment,
        "comment_masked": rating.comment_masked,
        "has_follow_up": rating.follow_up_code is not None,
        "answers": [value for _question, value in answers],
        "flags": flags,
        "case": None
        if case is None
        else (
            case.reason.value,
            case.status.value,
            case.acknowledge_due,
            case.resolve_due,
            case.language,
        ),
        "notices": notices,
    }


@pytest.mark.parametrize(
    "extra",
    [
        {"overall": "5"},
        {"overall": "1"},  # opens a low-rating case
        {"overall": "4", "q_gifts": "1"},  # an integrity report: a case the inspectors see too
        {
            "overall": "3",
            "comment": "Call me at 13812345678",
            "contact_details": "a@example.org",
            "contact_name": "Li",
            "consent": "y",
        },
    ],
)
def test_the_edge_stores_what_the_view_stores(
    app: Flask, make_point: Any, point: Any, view_calls: list, extra: dict[str, str]
):
    """The same answers, one post taken by the edge, one by the view (a query string sends a
    post to the view): the same rating, answers, flags, case and notices."""
    rate_once_by_view(app, point.token, view_calls)
    stored = []
    for suffix in ("", "?lang=zh"):
        client, page = phone(app, point.token)
        client.set_cookie("lang", "zh")
        response = client.post(f"/s/{point.token}{suffix}", data=answers_of(page, **extra))
        assert response.status_code == 303
        stored.append(_stored(response.headers["Location"].rsplit("/thanks/", 1)[1]))
    assert view_calls == [f"/s/{point.token}"]  # only the second
    assert stored[0] == stored[1]
    if extra.get("overall") == "1":
        assert stored[0]["case"][0] == "low_rating" and stored[0]["case"][4] == "zh"
    if "q_gifts" in extra:
        assert stored[0]["notices"] == ["integrity", "opened"]


def test_a_second_rating_of_one_phone_is_flagged_at_the_edge(
    app: Flask, point: Any, view_calls: list
):
    rate_once_by_view(app, point.token, view_calls)
    client, page = phone(app, point.token)
    assert client.post(f"/s/{point.token}", data=answers_of(page)).status_code == 303
    page = client.get(f"/s/{point.token}").get_data(as_text=True)
    again = client.post(f"/s/{point.token}", data=answers_of(page, overall="1"))
    assert again.status_code == 303 and view_calls == []
    second = _stored(again.headers["Location"].rsplit("/thanks/", 1)[1])
    assert second["is_counted"] is False and second["flags"] == ["duplicate_device"]
    # Only counted ratings are in the day's rollups; the flagged one opens its case all the same.
    assert sum(r.ratings for r in db.session.scalars(select(RatingRollup))) == 2
    assert second["case"] is not None


def test_a_resent_form_adds_nothing_at_the_edge(app: Flask, point: Any, view_calls: list):
    rate_once_by_view(app, point.token, view_calls)
    client, page = phone(app, point.token)
    data = answers_of(page)
    first = client.post(f"/s/{point.token}", data=data)
    again = client.post(f"/s/{point.token}", data=data)
    assert first.headers["Location"] == again.headers["Location"]
    db.session.rollback()
    assert view_calls == [] and counts() == (2, 2)


@pytest.mark.parametrize(
    "change",
    [
        {"overall": "7"},  # out of range: the view explains it
        {"website": "http://spam.example"},  # the honeypot
        {"ft": "forged"},
        {"comment": "x" * 2001},
    ],
)
def test_anything_unusual_goes_to_the_view(
    app: Flask, point: Any, view_calls: list, change: dict[str, str]
):
    rate_once_by_view(app, point.token, view_calls)
    client, page = phone(app, point.token)
    before = counts()
    response = client.post(f"/s/{point.token}", data=answers_of(page, **change))
    assert view_calls == [f"/s/{point.token}"]
    if "website" in change:  # kept, flagged, not counted
        assert response.status_code == 303 and counts() == (before[0] + 1, before[1])
    else:
        assert response.status_code == 400 and counts() == before


def test_a_phone_without_its_device_cookie_goes_to_the_view(
    app: Flask, point: Any, view_calls: list
):
    rate_once_by_view(app, point.token, view_calls)
    client, page = phone(app, point.token)
    client.delete_cookie("cv_device")
    response = client.post(f"/s/{point.token}", data=answers_of(page))
    assert response.status_code == 303 and view_calls == [f"/s/{point.token}"]
    assert client.get_cookie("cv_device") is not None  # the view gave it a new one


def test_a_retired_code_is_answered_by_the_view(app: Flask, point: Any, view_calls: list):
    from citizenvoice.org.services import set_point_active

    rate_once_by_view(app, point.token, view_calls)
    client, page = phone(app, point.token)
    set_point_active(point, False)
    db.session.commit()
    response = client.post(f"/s/{point.token}", data=answers_of(page))
    assert response.status_code == 410 and view_calls == [f"/s/{point.token}"]
    assert counts() == (1, 1)


def rate_at_the_edge(app: Flask, token: str, view_calls: list, **extra: str) -> str:
    """A rating the edge stores (and after which it knows the point's unit); its nonce."""
    client, page = phone(app, token)
    response = client.post(f"/s/{token}", data=answers_of(page, **extra))
    assert response.status_code == 303 and view_calls == []
    return str(response.headers["Location"].rsplit("/thanks/", 1)[1])


@pytest.mark.parametrize("change", ["point closed", "unit closed", "new QR code"])
def test_a_point_that_stops_taking_ratings_is_answered_by_the_view_even_after_the_edge_knew_it(
    app: Flask, point: Any, view_calls: list, change: str
):
    """The edge remembers a point's unit after a rating there; the point's state is read again
    with every rating all the same, so a closed point or a replaced code stores nothing."""
    from citizenvoice.org.services import regenerate_token, set_point_active, set_unit_active

    rate_once_by_view(app, point.token, view_calls)
    rate_at_the_edge(app, point.token, view_calls)
    token = point.token
    client, page = phone(app, token)
    if change == "point closed":
        set_point_active(point, False)
    elif change == "unit closed":
        set_unit_active(point.unit, False)
    else:
        regenerate_token(point)
    db.session.commit()
    response = client.post(f"/s/{token}", data=answers_of(page, overall="1"))
    assert response.status_code == 410 and view_calls == [f"/s/{token}"]
    db.session.rollback()
    assert counts() == (2, 2)
    assert db.session.scalar(select(func.count(Case.id))) == 0


def test_a_point_moved_to_another_unit_has_its_cases_opened_there(
    app: Flask, point: Any, make_unit: Any, view_calls: list
):
    """A point whose unit is corrected after the edge learnt it: the next cases go to the new
    unit."""
    old_unit, new_unit = point.unit_id, make_unit().id
    rate_once_by_view(app, point.token, view_calls)
    rate_at_the_edge(app, point.token, view_calls)
    db.session.rollback()  # a fresh transaction for the correction
    point = db.session.merge(point)
    point.unit_id = new_unit
    db.session.commit()
    nonces = []
    for _ in range(2):
        client, page = phone(app, point.token)
        response = client.post(f"/s/{point.token}", data=answers_of(page, overall="1"))
        assert response.status_code == 303
        nonces.append(response.headers["Location"].rsplit("/thanks/", 1)[1])
    # PostgreSQL's edge finds its remembered unit wrong and leaves the first to the view;
    # SQLite's reads the point with every rating.
    moved_by_view = [f"/s/{point.token}"] if db.engine.dialect.name == "postgresql" else []
    assert view_calls == moved_by_view
    db.session.rollback()
    units = db.session.scalars(
        select(Case.unit_id)
        .join(Rating, Rating.id == Case.rating_id)
        .where(Rating.nonce.in_(nonces))
    ).all()
    assert units == [new_unit, new_unit] and old_unit != new_unit


def test_a_service_the_point_does_not_offer_is_explained_by_the_view(
    app: Flask, point: Any, view_calls: list
):
    from citizenvoice.org.services import create_service

    elsewhere = create_service("elsewhere", "Offered elsewhere")
    db.session.commit()
    rate_once_by_view(app, point.token, view_calls)
    rate_at_the_edge(app, point.token, view_calls)
    client, page = phone(app, point.token)
    response = client.post(f"/s/{point.token}", data=answers_of(page, service=str(elsewhere.id)))
    assert response.status_code == 400 and view_calls == [f"/s/{point.token}"]
    assert "This service is not offered here." in response.get_data(as_text=True)
    db.session.rollback()
    assert counts() == (2, 2)


@pytest.mark.parametrize(
    "comment",
    [
        "It's fine; they said \\'no\\' -- then $1 %s %(x)s ); DROP TABLE ratings; --",
        "窗口的工作人员很耐心 👍 \\x00 E'\\\\'",
        "line one\nline two\ttab",
    ],
)
def test_the_edge_stores_a_comment_as_typed(app: Flask, point: Any, view_calls: list, comment: str):
    """Quotes, backslashes, placeholders, another script and emoji reach the database as the
    citizen typed them, with the contact they left."""
    rate_once_by_view(app, point.token, view_calls)
    nonce = rate_at_the_edge(
        app, point.token, view_calls, comment=comment, contact_name="O'Brien \\ 李",
        contact_details="o'brien@example.org", consent="y",
    )  # fmt: skip
    stored = _stored(nonce)
    assert stored["comment"] == comment.strip() and stored["has_contact"]
    rating = db.session.scalar(select(Rating).where(Rating.nonce == nonce))
    assert rating is not None
    contact = db.session.get(RatingContact, rating.id)
    assert contact is not None and contact.name == "O'Brien \\ 李"
    assert contact.details == "o'brien@example.org"
    assert counts() == (2, 2)


def test_limits_are_counted_once_whoever_stores(app: Flask, point: Any, view_calls: list):
    """Three posts allowed per device: the edge counts them; the fourth is refused by the view
    with the 429 page, without being counted a second time."""
    app.config["SURVEY_DEVICE_LIMIT"] = "3 per hour"
    rate_once_by_view(app, point.token, view_calls)  # its own phone
    client, page = phone(app, point.token)
    statuses = []
    for _ in range(4):
        page = client.get(f"/s/{point.token}").get_data(as_text=True)
        statuses.append(client.post(f"/s/{point.token}", data=answers_of(page)).status_code)
    assert statuses == [303, 303, 303, 429]
    assert view_calls == [f"/s/{point.token}"]  # the refused one, shown the 429 page
    assert counts() == (4, 2)  # the phone's later ratings are flagged as a repeated device


def test_the_form_token_is_the_csrf_token_at_the_edge_as_in_the_view(make_app: Any, point: Any):
    """With CSRF protection on, a form counts only from the phone it was shown to: a form token
    taken from another browser is refused whoever takes the post, and nothing is stored."""
    strict = make_app(WTF_CSRF_ENABLED=True, SURVEY_MIN_SECONDS=0)
    url = f"/s/{point.token}"
    db.session.rollback()  # this test's reads would hold SQLite's write lock: the app writes
    pages = {}
    phones = {}
    for name in ("a", "b", "c"):
        phones[name] = strict.test_client()
        response = phones[name].get(url)
        pages[name] = response.get_data(as_text=True)
        # No session: the survey's page sets the device cookie and nothing else.
        assert [c.split("=", 1)[0] for c in response.headers.getlist("Set-Cookie")] == ["cv_device"]
        assert "csrf_token" not in pages[name]
    for taken_by in ("view", "edge"):  # the version is remembered after the first rating
        stolen = phones["b"].post(url, data=answers_of(pages["a"]))
        assert stolen.status_code == 400
        assert "This form has expired" in stolen.get_data(as_text=True)
        # The refusal shows the phone a fresh form of its own.
        pages["b"] = stolen.get_data(as_text=True)
        own = phones["a" if taken_by == "view" else "c"]
        page = pages["a" if taken_by == "view" else "c"]
        assert own.post(url, data=answers_of(page)).status_code == 303
    assert phones["b"].post(url, data=answers_of(pages["b"])).status_code == 303
    with strict.app_context():
        assert counts() == (3, 3)
