"""Security headers on every response."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from werkzeug.routing import IntegerConverter

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


#: The headers every response carries (a view may bring its own policy, see below).
SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    for name, value in SECURITY_HEADERS:
        if name == "Content-Security-Policy":
            headers.setdefault(name, value)
        else:
            headers[name] = value
    if "frame-ancestors" not in headers["Content-Security-Policy"]:
        # A view's own policy (sandboxed downloads) must still forbid framing.
        headers["Content-Security-Policy"] += "; frame-ancestors 'none'"
    if request.path.startswith(("/manage", "/login")):
        headers["Cache-Control"] = "no-store"
    return response


class RowIdConverter(IntegerConverter):
    """``<int:…>`` limited to what an id column can hold: larger numbers are a plain 404.

    Without the bound, ``/manage/…/99999999999999999999`` overflows the database driver (HTTP 500
    on SQLite, 503 on PostgreSQL).
    """

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def init_security(app: Flask) -> None:
    # Before the blueprints are registered: rules pick their converters when they are added.
    app.url_map.converters["int"] = RowIdConverter
    from citizenvoice.core.forms import refuse_unexpected_bodies

    app.before_request(refuse_unexpected_bodies)
    app.after_request(add_security_headers)
