"""Shared helpers for the hostile-input and access suite (issue 9)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from tests.access import World
from tests.conftest import PASSWORD
from tests.test_role_matrix import RULES, build_world

#: Whom to log in as when several personas may use a route: the first allowed one in this order.
PERSONA_PREFERENCE = (
    "anonymous",
    "manager",
    "admin",
    "official_a",
    "inspector",
    "evaluator",
    "expert",
    "official_b",
)


def pick_persona(endpoint: str) -> str | None:
    allowed = RULES[endpoint].allow
    return next((p for p in PERSONA_PREFERENCE if p in allowed), None)


def client_for(app: Flask, world: World, persona: str | None) -> FlaskClient:
    client = app.test_client()
    if persona and persona != "anonymous":
        user = world.users[persona]
        response = client.post("/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, f"{persona} could not log in"
    return client


def url_of(app: Flask, world: World, endpoint: str, **extra: Any) -> str:
    rule = RULES[endpoint]
    with app.test_request_context():
        params = {**rule.params(world), **extra}
        return url_for(endpoint, **params, **rule.query(world))


_NAME = re.compile(r"""<(?:input|select|textarea)\b[^>]*\bname=["']?([^"'\s>]+)""", re.I)


def form_field_names(html: str) -> list[str]:
    names = []
    for name in _NAME.findall(html):
        if name != "csrf_token" and name not in names:
            names.append(name)
    return names


@pytest.fixture
def world(app: Flask, make_unit: Any, make_point: Any, make_user: Any) -> World:
    return build_world(make_unit, make_point, make_user)


def get_endpoints(app: Flask) -> list[str]:
    return sorted(
        {
            r.endpoint
            for r in app.url_map.iter_rules()
            if "GET" in (r.methods or set()) and r.endpoint in RULES
        }
    )


def sweep(app: Flask, world: World, extra_params: dict[str, Any] | None = None) -> Any:
    """Yield (endpoint, url, response) for every GET route, as the first persona allowed.

    ``extra_params`` adds one more URL per route that takes such a parameter (the newest tip…).
    Responses are buffered and closed (file downloads would otherwise leak handles).
    """
    clients: dict[str | None, FlaskClient] = {}
    for endpoint in get_endpoints(app):
        persona = pick_persona(endpoint)
        if persona not in clients:
            clients[persona] = client_for(app, world, persona)
        urls = {url_of(app, world, endpoint)}
        for key, value in (extra_params or {}).items():
            if key in RULES[endpoint].params(world) and value:
                urls.add(url_of(app, world, endpoint, **{key: value}))
        for url in sorted(urls):
            response = clients[persona].get(url, buffered=True)
            response.close()
            yield endpoint, url, response


@pytest.fixture
def world_factory(make_unit: Any, make_point: Any, make_user: Any) -> Any:
    """Builds the role matrix world on demand (inside an app context of one's choosing)."""
    return lambda: build_world(make_unit, make_point, make_user)
