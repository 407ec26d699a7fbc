"""Hostile input on the tip box: forgery, malformed fields, script payloads."""

from __future__ import annotations

import random
import re
from typing import Any

from sqlalchemy import func, select

from citizenvoice.accounts.models import Role
from citizenvoice.extensions import db
from citizenvoice.tips.models import Tip, TipMessage
from tests.conftest import login

BODY = "The queue statistics were copied from last year's report without change."


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no anti-forgery token in the form"
    return match.group(1)


def test_forms_need_the_token_bound_to_this_browser(make_app: Any, make_unit: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        unit = make_unit()
        browser, other = app.test_client(), app.test_client()
        token = _token(browser.get("/tips/new").get_data(as_text=True))
        other_token = _token(other.get("/tips/new").get_data(as_text=True))
        assert token != other_token
        data = {"unit": unit.id, "body": BODY}
        for bad in ({}, {"csrf_token": "forged"}, {"csrf_token": other_token}):
            response = browser.post("/tips/new", data={**data, **bad})
            assert 'id="receipt"' not in response.get_data(as_text=True)
        assert db.session.scalar(select(func.count(Tip.id))) == 0
        response = browser.post("/tips/new", data={**data, "csrf_token": token})
        assert 'id="receipt"' in response.get_data(as_text=True)
        # No Flask session is created for the token.
        assert all(c.key != "session" for c in browser._cookies.values())


def test_malformed_inputs_never_fail_and_write_nothing(
    tip_client: Any, make_unit: Any, submit_tip: Any
) -> None:
    unit = make_unit()
    _tip, receipt = submit_tip(unit)
    rng = random.Random(7)
    samples = [
        "",
        "\x00",
        "\u202e\u200b\ufeff",
        "😀" * 10,
        "x" * 1_000_000,
        "-1",
        "99999999999999999999",
        "1e9",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "\ud7ff",
        "../../etc/passwd",
    ]
    statuses = []
    for _ in range(200):
        data: dict[str, Any] = {
            name: rng.choice(samples)
            for name in ("unit", "service_point", "figure", "body", "website")
            if rng.random() < 0.8
        }
        if rng.random() < 0.3:
            data["unit"] = [str(unit.id), rng.choice(samples)]  # repeated field
        data.setdefault("body", rng.choice(samples))
        statuses.append(tip_client.post("/tips/new", data=data).status_code)
        statuses.append(
            tip_client.post("/tips/follow-up", data={"receipt": rng.choice(samples)}).status_code
        )
        statuses.append(
            tip_client.post(
                "/tips/follow-up/reply",
                data={"receipt": rng.choice([receipt, *samples]), "body": rng.choice(samples)},
            ).status_code
        )
    assert all(s < 500 for s in statuses), sorted(set(statuses))
    # Whatever was stored passed the rules (a script payload is valid text, shown escaped).
    from citizenvoice.tips import services

    for tip in db.session.scalars(select(Tip)):
        body = services.body_of(tip)
        assert 20 <= len(body) <= 20_000 and "\x00" not in body and tip.unit_id == unit.id
    for message in db.session.scalars(select(TipMessage)):
        text = services.text_of(message.body_enc)
        assert 0 < len(text) <= 20_000 and "\x00" not in text


def test_script_payloads_are_escaped_for_staff_and_reporter(
    app: Any, tip_client: Any, make_unit: Any, make_user: Any
) -> None:
    unit = make_unit()
    payload = "<script>alert('tip')</script><img src=x onerror=alert(1)>"
    response = tip_client.post(
        "/tips/new", data={"unit": unit.id, "body": BODY + payload, "figure": payload}
    )
    html = response.get_data(as_text=True)
    start = html.index('<code id="receipt">') + len('<code id="receipt">')
    receipt = html[start : html.index("</code>", start)]
    page = tip_client.post("/tips/follow-up", data={"receipt": receipt}).get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    staff = app.test_client()
    login(staff, make_user(Role.MANAGER))
    tip = db.session.scalar(select(Tip))
    page = staff.get(f"/manage/tips/{tip.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page and "&lt;script&gt;" in page
