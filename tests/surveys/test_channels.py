"""Tickets and kiosks: staff pages, the kiosk API and its idempotency."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from citizenvoice.accounts.models import Role
from citizenvoice.extensions import db
from citizenvoice.surveys import channels
from citizenvoice.surveys.models import Kiosk, Rating, Ticket
from tests.surveys.conftest import counts, rating_data


def test_ticket_batch_shows_codes_once_and_stores_only_hashes(
    client: FlaskClient, point: Any, login_as: Any
):
    login_as(Role.UNIT_OFFICIAL, point.unit)
    response = client.post(f"/manage/surveys/points/{point.id}/tickets", data={"size": "5"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "shown only now" in html
    hashes = set(db.session.scalars(select(Ticket.code_hash)))
    assert len(hashes) == 5
    codes = [line.split("<code>")[1].split("</code>")[0] for line in html.split("<tr>")[2:]]
    assert len(codes) == 5 and not set(codes) & hashes
    assert client.get(f"/t/{codes[0]}").status_code == 200
    assert client.post(f"/t/{codes[0]}", data=rating_data()).status_code == 303
    assert db.session.scalars(select(Rating)).one().is_verified


def test_ticket_batch_as_csv(client: FlaskClient, point: Any, login_as: Any):
    login_as(Role.MANAGER)
    response = client.post(
        f"/manage/surveys/points/{point.id}/tickets", data={"size": "3", "format": "csv"}
    )
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 3 and all(r["url"].endswith("/t/" + r["code"]) for r in rows)


def test_ticket_batch_size_is_checked_beside_the_field(
    client: FlaskClient, point: Any, login_as: Any
):
    login_as(Role.MANAGER)
    for size in ("0", "1001", "x", ""):
        response = client.post(f"/manage/surveys/points/{point.id}/tickets", data={"size": size})
        assert response.status_code == 200 and 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Ticket.id))) == 0


def test_kiosk_key_is_shown_once_and_stored_hashed(client: FlaskClient, point: Any, login_as: Any):
    login_as(Role.UNIT_OFFICIAL, point.unit)
    html = client.post(
        f"/manage/surveys/points/{point.id}/kiosks", data={"name": "Lobby"}
    ).get_data(as_text=True)
    key = html.split('id="kiosk-key">')[1].split("<")[0]
    kiosk = db.session.scalars(select(Kiosk)).one()
    assert key.startswith("kiosk_") and kiosk.key_hash != key and key not in kiosk.key_hash
    assert key not in client.get(f"/manage/surveys/points/{point.id}/kiosks").get_data(as_text=True)


def _kiosk(point: Any) -> str:
    _kiosk_row, key = channels.create_kiosk(point, "Lobby")
    db.session.commit()
    return key


def _item(**kw: Any) -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "overall": 4, **kw}


def test_kiosk_batch_is_idempotent(client: FlaskClient, point: Any):
    key = _kiosk(point)
    batch = {
        "ratings": [
            _item(answers={"waiting": 2, "resolved": 1}, comment="tel 13800138000"),
            _item(overall=1),
            _item(overall=9),
            _item(answers={"nope": 1}),
            {"client_id": "not-a-uuid", "overall": 3},
            "garbage",
        ]
    }
    headers = {"Authorization": f"Bearer {key}"}
    first = client.post("/api/v1/kiosk/ratings", json=batch, headers=headers)
    assert first.status_code == 200
    body = first.get_json()
    assert [r["status"] for r in body["results"]] == [
        "accepted",
        "accepted",
        "error",
        "error",
        "error",
        "error",
    ]
    again = client.post("/api/v1/kiosk/ratings", json=batch, headers=headers).get_json()
    assert again["duplicate"] == 2 and again["accepted"] == 0
    assert counts() == (2, 2)
    rating = db.session.scalars(select(Rating).where(Rating.comment.is_not(None))).one()
    assert rating.comment_masked == "tel [phone]" and rating.kiosk_id is not None


def test_same_item_twice_in_one_batch_is_stored_once(client: FlaskClient, point: Any):
    key = _kiosk(point)
    item = _item()
    body = client.post(
        "/api/v1/kiosk/ratings",
        json={"ratings": [item, item]},
        headers={"Authorization": f"Bearer {key}"},
    ).get_json()
    assert [r["status"] for r in body["results"]] == ["accepted", "duplicate"]
    assert counts() == (1, 1)


def test_kiosk_api_refuses_bad_keys_and_bad_json_with_json(client: FlaskClient, point: Any):
    key = _kiosk(point)
    good = {"Authorization": f"Bearer {key}"}
    cases = [
        ({}, {"ratings": []}, 403),
        ({"Authorization": "Bearer nope"}, {"ratings": []}, 403),
        ({"Authorization": key}, {"ratings": []}, 403),
    ]
    for headers, body, status in cases:
        response = client.post("/api/v1/kiosk/ratings", json=body, headers=headers)
        assert response.status_code == status and response.is_json
    for raw in (b"{not json", b"[]", b'{"ratings": 5}', b"\xff\xfe", b""):
        response = client.post(
            "/api/v1/kiosk/ratings",
            data=raw,
            headers={**good, "Content-Type": "application/json"},
        )
        assert response.status_code == 400 and response.get_json()["status"] == 400
    too_many = {"ratings": [_item() for _ in range(501)]}
    assert client.post("/api/v1/kiosk/ratings", json=too_many, headers=good).status_code == 400
    assert counts() == (0, 0)


def test_kiosk_created_at_is_checked(client: FlaskClient, point: Any):
    key = _kiosk(point)
    batch = {
        "ratings": [
            _item(created_at="2001-01-01T00:00:00Z"),
            _item(created_at="yesterday"),
            _item(created_at=5),
        ]
    }
    body = client.post(
        "/api/v1/kiosk/ratings", json=batch, headers={"Authorization": f"Bearer {key}"}
    ).get_json()
    assert body["error"] == 3 and counts() == (0, 0)
