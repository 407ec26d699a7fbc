"""Every route × every persona against the allow table (fail closed)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

import tests
from tests.access import PERSONAS, Rule, World
from tests.conftest import PASSWORD, create_app  # noqa: F401 (create_app re-exported for clarity)

SAFE = {"GET", "HEAD"}


def load_rules() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    root = Path(tests.__file__).parent
    for module in pkgutil.walk_packages([str(root)], prefix="tests."):
        if module.name.endswith(".access_rules"):
            table = importlib.import_module(module.name).RULES
            overlap = set(rules) & set(table)
            assert not overlap, f"endpoints listed twice: {overlap}"
            rules.update(table)
    return rules


RULES = load_rules()


def build_world(make_unit: Any, make_point: Any, make_user: Any) -> World:
    from citizenvoice.accounts.models import Role
    from citizenvoice.extensions import db
    from citizenvoice.org import services

    unit_a, unit_b = make_unit("unit-a"), make_unit("unit-b")
    sub_a = make_unit("unit-a-sub", parent=unit_a)
    service = services.create_service("svc", "Service")
    db.session.commit()
    users = {
        "evaluator": make_user(Role.EVALUATOR, unit_b, "evaluator"),
        "expert": make_user(Role.EXPERT, None, "expert"),
        "official_a": make_user(Role.UNIT_OFFICIAL, unit_a, "official_a"),
        "official_b": make_user(Role.UNIT_OFFICIAL, unit_b, "official_b"),
        "inspector": make_user(Role.INSPECTOR, unit_b, "inspector"),
        "manager": make_user(Role.MANAGER, None, "manager"),
        "admin": make_user(Role.ADMIN, None, "admin"),
    }
    world = World(unit_a, sub_a, unit_b, make_point(unit_a), make_point(unit_b), service, users)
    for hook in WORLD_HOOKS:
        hook(world)
    db.session.commit()
    return world


#: Domains that need more data in the world (a cycle, a case…) add a function here through
#: ``tests/<domain>/access_rules.py`` defining ``def extend_world(world): ...``.
WORLD_HOOKS = []
for _name in sorted(
    m.name
    for m in pkgutil.walk_packages([str(Path(tests.__file__).parent)], prefix="tests.")
    if m.name.endswith(".access_rules")
):
    _hook = getattr(importlib.import_module(_name), "extend_world", None)
    if _hook:
        WORLD_HOOKS.append(_hook)


def route_endpoints(app: Flask) -> list[tuple[str, str]]:
    pairs = set()
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            pairs.add((rule.endpoint, method))
    return sorted(pairs)


def test_every_route_is_in_the_table(app: Flask) -> None:
    missing = sorted({endpoint for endpoint, _ in route_endpoints(app)} - set(RULES))
    assert not missing, f"routes missing from the role matrix: {missing}"
    stale = sorted(set(RULES) - {endpoint for endpoint, _ in route_endpoints(app)})
    assert not stale, f"table rows for routes that no longer exist: {stale}"


def _request(app: Flask, world: World, persona: str, endpoint: str, method: str) -> Any:
    rule = RULES[endpoint]
    client = app.test_client()
    if persona != "anonymous":
        user = world.users[persona]
        response = client.post("/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, f"{persona} could not log in"
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **rule.params(world), **rule.query(world))
    if method in SAFE:
        return client.open(url, method=method, buffered=True)
    return client.open(url, method=method, data=rule.data(world), buffered=True)


def _is_denied(response: Any, persona: str) -> bool:
    if persona == "anonymous" and response.status_code == 302:
        return "/login" in response.headers.get("Location", "")
    return response.status_code in (403, 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_role_matrix(
    app: Flask, make_unit: Any, make_point: Any, make_user: Any, persona: str
) -> None:
    world = build_world(make_unit, make_point, make_user)
    failures = []
    for endpoint, method in route_endpoints(app):
        if endpoint not in RULES:
            continue
        response = _request(app, world, persona, endpoint, method)
        denied = _is_denied(response, persona)
        allowed = persona in RULES[endpoint].allow
        if response.status_code >= 500:
            failures.append(f"{method} {endpoint}: {response.status_code}")
        elif allowed and (denied or response.status_code in (401, 405)):
            failures.append(f"{method} {endpoint}: expected access, got {response.status_code}")
        elif not allowed and not denied:
            failures.append(f"{method} {endpoint}: expected refusal, got {response.status_code}")
    assert not failures, "\n".join(failures)
