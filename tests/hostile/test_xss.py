"""Stored XSS: hostile text in every place a person can type, then every page and JSON output.

Payloads go in through the factories (unit and service point names, as a manager would type them),
through the real citizen forms (a rating comment on ``/s/<token>``, a tip on ``/tips/new``) and
through every staff POST route of the role matrix with its text fields replaced by the payload
(consultation comments, tip notes and messages, appeal replies…). Then every GET route is fetched
as the first persona allowed to see it.

HTML: the raw markers below must never appear (Jinja autoescaping turns ``<`` into ``&lt;``).
JSON: Flask's encoder does not escape ``<`` inside strings, and that is safe here *because* every
JSON response is served as ``application/json`` with ``X-Content-Type-Options: nosniff`` (browsers
never render it as HTML); that is what is asserted for JSON. JSON embedded in an HTML page would
be caught by the HTML check (a raw ``</script><script>`` would show up there).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from citizenvoice.extensions import db
from tests.access import World
from tests.hostile.conftest import client_for, pick_persona, url_of
from tests.test_role_matrix import RULES, build_world

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
BREAKOUT = "</script><script>alert(3)</script>"
NAME_PAYLOAD = IMG + SCRIPT
TEXT_PAYLOAD = SCRIPT + IMG + BREAKOUT
RAW = re.compile(r"<script>alert\(|<img src=x onerror=alert\(1\)>", re.I)
NUMERIC = re.compile(r"^-?\d+(\.\d+)?$|^\d{4}-\d\d-\d\d")


def _xss_world(make_unit: Any, make_point: Any, make_user: Any) -> World:
    counter = iter(range(1000))

    def unit(code: str | None = None, parent: Any = None, **kw: Any) -> Any:
        return make_unit(code, parent=parent, name=f"{NAME_PAYLOAD} {next(counter)}", **kw)

    def point(unit_: Any = None, code: str | None = None, **kw: Any) -> Any:
        return make_point(unit_, code, name=f"{NAME_PAYLOAD} {next(counter)}", **kw)

    return build_world(unit, point, make_user)


def _rate_with_comment(app: Flask, world: World) -> None:
    from tests.surveys.conftest import form_token

    client = app.test_client()
    url = f"/s/{world.point_a.token}"
    assert client.get(url).status_code == 200
    response = client.post(
        url, data={"ft": form_token(10.0), "overall": "2", "comment": TEXT_PAYLOAD}
    )
    assert response.status_code in (200, 302, 303), response.status_code


def _tip(app: Flask, world: World) -> None:
    client = app.test_client()
    assert client.get("/tips/new").status_code == 200
    response = client.post(
        "/tips/new",
        data={"unit": world.unit_a.id, "figure": NAME_PAYLOAD, "body": TEXT_PAYLOAD * 3},
    )
    assert response.status_code == 200 and 'id="receipt"' in response.get_data(as_text=True)


def _staff_texts(app: Flask, world: World) -> int:
    """Every staff POST with text fields replaced by the payload; returns how many were sent."""
    sent = 0
    for endpoint, rule in sorted(RULES.items()):
        if endpoint in ("accounts.logout", "accounts.login") or not endpoint.endswith(
            tuple("abcdefghijklmnopqrstuvwxyz_")
        ):
            continue
        data = {k: str(v) for k, v in rule.data(world).items()}
        texts = {k: TEXT_PAYLOAD for k, v in data.items() if v and not NUMERIC.match(v)}
        if not texts:
            continue
        persona = pick_persona(endpoint)
        client = client_for(app, world, persona)
        response = client.post(url_of(app, world, endpoint), data={**data, **texts})
        assert response.status_code < 500, f"{endpoint}: {response.status_code}"
        sent += 1
    return sent


def _latest_ids() -> dict[str, Any]:
    from sqlalchemy import func, select

    from citizenvoice.surveys.models import Rating
    from citizenvoice.tips.models import Tip

    return {
        "tip_id": db.session.scalar(select(func.max(Tip.id))),
        "rating_id": db.session.scalar(select(func.max(Rating.id))),
    }


def test_no_payload_is_ever_rendered_raw(
    app: Flask, make_unit: Any, make_point: Any, make_user: Any
) -> None:
    world = _xss_world(make_unit, make_point, make_user)
    _rate_with_comment(app, world)
    _tip(app, world)
    assert _staff_texts(app, world) >= 5
    latest = _latest_ids()
    get_endpoints = sorted(
        {
            r.endpoint
            for r in app.url_map.iter_rules()
            if "GET" in (r.methods or set()) and r.endpoint != "static" and r.endpoint in RULES
        }
    )
    failures, pages, json_pages, shown = [], 0, 0, 0
    clients: dict[str | None, Any] = {}
    for endpoint in get_endpoints:
        persona = pick_persona(endpoint)
        if persona not in clients:
            clients[persona] = client_for(app, world, persona)
        urls = {url_of(app, world, endpoint)}
        for key, value in latest.items():
            if key in RULES[endpoint].params(world) and value:
                urls.add(url_of(app, world, endpoint, **{key: value}))
        for url in sorted(urls):
            response = clients[persona].get(url, buffered=True)
            response.close()
            assert response.status_code < 500, f"{url}: {response.status_code}"
            body = (
                response.get_data(as_text=True)
                if response.mimetype.startswith(("text/", "application/json", "image/svg"))
                else ""
            )
            if "alert(" in body:
                shown += 1
            if response.mimetype == "application/json":
                json_pages += 1
                if "<" in body and response.headers.get("X-Content-Type-Options") != "nosniff":
                    failures.append(f"{url}: JSON with '<' lacks nosniff")
                continue
            pages += 1
            if response.mimetype == "text/csv":
                continue  # downloaded, never rendered
            for match in RAW.finditer(body):
                failures.append(
                    f"{url} ({response.mimetype}): raw {body[match.start() : match.end() + 20]!r}"
                )
    assert not failures, "\n".join(failures)
    assert pages > 40 and shown > 10, (pages, shown)
