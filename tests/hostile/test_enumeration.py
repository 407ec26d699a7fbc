"""Cross-unit id enumeration: the official of unit B guesses ids of unit A's objects.

Every staff GET route (under ``/manage``) with parameters is requested as ``official_b`` with the
world's own parameters (unit A's objects, as the role matrix builds them) and with every integer
parameter replaced in turn by 1..50. Each answer must be a refusal (403/404, or a redirect to the
login page) or a page that holds none of unit A's private data: no unit A code (``unit-a``,
``unit-a-sub``) and no service point token of unit A.

Exception, by design: routes that the role matrix lets ``official_b`` open with the world's
parameters are cycle-wide or B's own (cycle pages, B's own results); they may show A's public
name and code, so for them a 200 only counts as a leak when it shows point A's token.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

from tests.access import World
from tests.hostile.conftest import client_for, url_of
from tests.test_role_matrix import RULES

IDS = [*range(1, 51), 2**31, 2**63, 10**30]  # and ids beyond any database integer


def _denied(response: Any) -> bool:
    if response.status_code == 302:
        return "/login" in response.headers.get("Location", "")
    return response.status_code in (403, 404)


def test_official_b_cannot_reach_unit_a_by_guessing_ids(app: Flask, world: World) -> None:
    client = client_for(app, world, "official_b")
    a_codes = (world.unit_a.code, world.sub_a.code)
    private = (world.point_a.token,)
    routes = [
        r
        for r in app.url_map.iter_rules()
        if "GET" in (r.methods or set())
        and r.rule.startswith("/manage")
        and r.arguments
        and r.endpoint in RULES
    ]
    tried = denied = allowed_pages = 0
    leaks = []
    for rule in sorted(routes, key=lambda r: r.rule):
        endpoint = rule.endpoint
        base = RULES[endpoint].params(world)
        matrix_allows_b = "official_b" in RULES[endpoint].allow
        variants = [dict(base)]
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                variants += [{**base, name: i} for i in IDS]
        seen = set()
        for params in variants:
            url = url_of(app, world, endpoint, **params)
            if url in seen:
                continue
            seen.add(url)
            response = client.get(url, buffered=True)
            response.close()
            tried += 1
            assert response.status_code < 500, f"{url}: {response.status_code}"
            if _denied(response):
                denied += 1
                continue
            body = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
            markers = private if matrix_allows_b else private + a_codes
            shown = [m for m in markers if m in body]
            if shown:
                leaks.append(f"{url} [{response.status_code}] shows {shown}")
            else:
                allowed_pages += 1
    print(
        f"\nenumeration as official_b: {tried} requests, {denied} refused, "
        f"{allowed_pages} answered without unit A data, {len(leaks)} leaks "
        f"({100 * (tried - len(leaks)) / tried:.1f}% safe)"
    )
    assert tried > 500
    assert not leaks, "\n".join(leaks)
