"""Security headers on every response and status; no third-party URLs; cookie flags."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, abort
from sqlalchemy.exc import OperationalError

from tests.access import World
from tests.conftest import PASSWORD
from tests.hostile.conftest import sweep

#: (attribute or CSS url()) values that point somewhere.
URL_REFS = re.compile(
    r"""\b(?:src|href|action|formaction|poster|data|srcset)\s*=\s*["']?([^"'\s>]+)"""
    r"""|url\(\s*["']?([^"')]+)""",
    re.I,
)


def check_headers(response: Any, where: str) -> list[str]:
    problems = []
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    if not csp:
        problems.append("no Content-Security-Policy")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"unsafe CSP: {csp}")
    if "frame-ancestors 'none'" not in csp:
        problems.append("CSP lacks frame-ancestors 'none'")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if not headers.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    return [f"{where}: {p}" for p in problems]


def third_party_urls(body: str, host: str = "localhost") -> list[str]:
    found = []
    for match in URL_REFS.finditer(body):
        ref = (match.group(1) or match.group(2) or "").strip()
        parts = urlsplit(ref)
        if ref.startswith("//") or (parts.scheme in ("http", "https") and parts.hostname != host):
            found.append(ref)
    return found


def test_every_get_route_has_the_headers_and_no_third_party_url(app: Flask, world: World) -> None:
    failures, seen = [], 0
    for _endpoint, url, response in sweep(app, world):
        seen += 1
        assert response.status_code < 500, f"{url}: {response.status_code}"
        failures += check_headers(response, f"{url} [{response.status_code}]")
        if response.mimetype in ("text/html", "text/css", "image/svg+xml"):
            failures += [
                f"{url}: third-party {u}" for u in third_party_urls(response.get_data(as_text=True))
            ]
    assert seen > 60
    assert not failures, "\n".join(failures)


def test_every_error_status_has_the_headers(make_app: Any, world_factory: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True, MAX_CONTENT_LENGTH=64 * 1024)

    # Statuses that no ordinary request produces on demand get a test-only route, registered
    # before the first request; they go through the same error handlers.
    @app.route("/__status/<int:code>")
    def _status(code: int) -> Any:
        if code == 500:
            raise RuntimeError("boom")
        if code == 503:
            raise OperationalError("SELECT 1", {}, Exception("database gone"))
        abort(code)

    with app.app_context():
        world = world_factory()
        from citizenvoice.extensions import db
        from citizenvoice.org.services import regenerate_token

        old_token = world.point_a.token
        regenerate_token(world.point_a)
        db.session.commit()
        client = app.test_client()
        official_b = app.test_client()
        page = official_b.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        logged = official_b.post(
            "/login",
            data={"username": "official_b", "password": PASSWORD, "csrf_token": csrf},
        )
        assert logged.status_code == 302
        cases = {
            400: lambda: client.post("/login", data={"username": "x", "password": "y"}),
            403: lambda: official_b.get("/manage/accounts/"),
            404: lambda: client.get("/no/such/page"),
            405: lambda: client.get("/logout"),
            410: lambda: client.get(f"/s/{old_token}"),
            413: lambda: client.post("/tips/new", data={"body": "x" * 200_000}),
            429: lambda: client.get("/__status/429"),
            500: lambda: client.get("/__status/500"),
            503: lambda: client.get("/__status/503"),
        }
        failures = []
        for status, request in cases.items():
            response = request()
            body = response.get_data(as_text=True)
            if status == 403 and response.status_code == 404:
                pass  # hiding existence is allowed
            elif response.status_code != status:
                failures.append(f"{status}: got {response.status_code}")
            failures += check_headers(response, str(status))
            failures += [f"{status}: third-party {u}" for u in third_party_urls(body)]
            if status in (500, 503):
                assert "Traceback" not in body and "boom" not in body
        for status in (404, 500):
            api = client.get(f"/api/v1/__nothing{status}")
            failures += check_headers(api, f"api {api.status_code}")
            assert api.mimetype == "application/json"
        assert not failures, "\n".join(failures)


@pytest.mark.parametrize("secure", [False, True])
def test_cookie_flags(make_app: Any, world_factory: Any, secure: bool) -> None:
    app = make_app(SESSION_COOKIE_SECURE=secure)
    with app.app_context():
        world = world_factory()
        client = app.test_client()
        cookies: list[str] = []
        cookies += client.get(f"/s/{world.point_a.token}").headers.getlist("Set-Cookie")
        cookies += client.get("/tips/new").headers.getlist("Set-Cookie")
        cookies += client.get("/?lang=zh").headers.getlist("Set-Cookie")
        cookies += client.post(
            "/login", data={"username": "manager", "password": PASSWORD}
        ).headers.getlist("Set-Cookie")
        names = {c.split("=", 1)[0] for c in cookies}
        assert "session" in names, names
        failures = []
        for cookie in cookies:
            name = cookie.split("=", 1)[0]
            flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
            if "samesite" not in flags:
                failures.append(f"{name}: no SameSite")
            if "httponly" not in flags:
                failures.append(f"{name}: not HttpOnly")
            if secure and "secure" not in flags:
                failures.append(f"{name}: not Secure although SESSION_COOKIE_SECURE=True")
        assert not failures, "\n".join(failures) + "\n" + "\n".join(cookies)
