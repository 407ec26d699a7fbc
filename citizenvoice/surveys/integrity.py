"""Integrity at submission: the form token, the device cookie and the daily-salted address hash.

Nothing here stores a raw address or user agent: the address is turned into a keyed hash with
the day's salt, and the device cookie is a signed random id that is hashed before storage.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import date, timedelta

from flask import Flask, Response, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select

from citizenvoice.core.db import utcnow
from citizenvoice.extensions import db
from citizenvoice.surveys.models import IpSalt

DEVICE_COOKIE = "cv_device"
DEVICE_COOKIE_MAX_AGE = 2 * 365 * 24 * 3600
#: A submit sooner than this after the form was shown is flagged "too fast".
MIN_SECONDS = 3.0
#: Form tokens older than this are refused (the page was left open for days).
FORM_TOKEN_MAX_AGE = 7 * 24 * 3600


# The pure functions below take the secret key as an argument: the rating intake at the WSGI
# edge (``surveys.edge``) calls them without a request; the request-bound ones pass the app's.


@functools.lru_cache(maxsize=16)
def serializer_for(secret: str, purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=f"surveys.{purpose}")


def _serializer(purpose: str) -> URLSafeSerializer:
    return serializer_for(str(current_app.config["SECRET_KEY"]), purpose)


def keyed_with(secret: str, value: str, purpose: str, extra: str = "") -> str:
    """A keyed hash of ``value`` for ``purpose`` (``extra``: a salt such as the day's)."""
    key = f"{secret}:{extra}".encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def _keyed(value: str, purpose: str, extra: str = "") -> str:
    return keyed_with(str(current_app.config["SECRET_KEY"]), value, purpose, extra)


# ---- form token: a one-time nonce and the time the form was shown ----------------------------


@dataclass(frozen=True)
class FormToken:
    nonce: str
    issued_at: float
    #: The service point and survey version the form was shown for (None in older tokens).
    point_id: int | None = None
    version_id: int | None = None
    #: A keyed hash of the device cookie the form was shown to (None in older tokens).
    device_tag: str | None = None

    def is_for_device(self, secret: str, device: str | None) -> bool:
        """Whether the form was shown to this device (the survey's CSRF check)."""
        return (
            device is not None
            and self.device_tag is not None
            and hmac.compare_digest(self.device_tag, device_tag(secret, device))
        )


def device_tag(secret: str, device: str) -> str:
    return keyed_with(secret, device, "form")[:16]


def issue_form_token(
    issued_at: float | None = None,
    point_id: int | None = None,
    version_id: int | None = None,
    device: str | None = None,
) -> str:
    """A signed hidden-field value: a fresh nonce, the time the form is shown, for which
    service point and survey version, and to which device.

    Bound to the device cookie, the token is the rating form's CSRF token: a page from another
    browser, or a post without the phone's cookie, does not pass
    (:meth:`FormToken.is_for_device`).
    """
    nonce = secrets.token_urlsafe(18)
    fields: list[object] = [nonce, round(issued_at or time.time(), 3)]
    if point_id is not None and version_id is not None:
        fields += [point_id, version_id]
        if device is not None:
            fields.append(device_tag(str(current_app.config["SECRET_KEY"]), device))
    return _serializer("form").dumps(fields)


def read_form_token(value: str | None) -> FormToken | None:
    """The nonce and issue time of a genuine, unexpired form token; None otherwise."""
    return parse_form_token(str(current_app.config["SECRET_KEY"]), value, time.time())


def parse_form_token(secret: str, value: str | None, now: float) -> FormToken | None:
    """:func:`read_form_token` with the secret key and the current time given."""
    if not value or len(value) > 200:
        return None
    try:
        fields = serializer_for(secret, "form").loads(value)
    except BadSignature:
        return None
    if not isinstance(fields, list) or len(fields) not in (2, 4, 5):
        return None
    nonce, issued_at, *shown_for = fields
    tag = shown_for.pop() if len(shown_for) == 3 else None
    if not isinstance(nonce, str) or not isinstance(issued_at, int | float):
        return None
    if not all(isinstance(n, int) for n in shown_for) or not isinstance(tag, str | None):
        return None
    if not 0 <= now - issued_at <= FORM_TOKEN_MAX_AGE + 60:
        return None
    point_id, version_id = shown_for or (None, None)
    return FormToken(nonce, float(issued_at), point_id, version_id, tag)


# ---- device cookie ---------------------------------------------------------------------------


def device_id() -> str | None:
    """The random id in this browser's signed device cookie, or None without a valid one."""
    memo = request.environ  # per request (``g`` may outlive one in tests)
    if "citizenvoice.device_id" not in memo:
        memo["citizenvoice.device_id"] = _read_device_cookie()
    found: str | None = memo["citizenvoice.device_id"]
    return found


def _read_device_cookie() -> str | None:
    return parse_device_cookie(
        str(current_app.config["SECRET_KEY"]), request.cookies.get(DEVICE_COOKIE)
    )


def parse_device_cookie(secret: str, raw: str | None) -> str | None:
    """The device id in a signed device cookie's value, or None when it is not genuine."""
    if not raw or len(raw) > 200:
        return None
    try:
        value = serializer_for(secret, "device").loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def new_device_cookie() -> tuple[str, str]:
    """A fresh (device id, signed cookie value)."""
    ident = secrets.token_hex(16)
    return ident, str(_serializer("device").dumps(ident))


def set_device_cookie(response: Response, signed: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        signed,
        max_age=DEVICE_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )


def device_hash(ident: str | None) -> str | None:
    return _keyed(ident, "device") if ident else None


def device_limit_key() -> str:
    """The per-device rate-limit key (cookieless requests share their address's key)."""
    ident = device_id()
    if ident is None:
        from citizenvoice.core.ratelimit import client_key

        return "nodevice:" + client_key()
    return device_limit_key_for(str(current_app.config["SECRET_KEY"]), ident)


def device_limit_key_for(secret: str, ident: str) -> str:
    return "device:" + keyed_with(secret, ident, "limit")


def has_device() -> bool:
    return device_id() is not None


# ---- client address: keyed hash with a daily salt --------------------------------------------


def cached_salt(app: Flask, day: date) -> str | None:
    """The salt of ``day`` if this process already knows it (see :func:`salt_for`)."""
    cache: dict[date, str] = app.extensions.get("surveys.ip_salts", {})
    return cache.get(day)


def salt_for(day: date) -> str:
    """The salt of ``day``, created on first use (safe when two requests race to create it)."""
    cache: dict[date, str] = current_app.extensions.setdefault("surveys.ip_salts", {})
    if day in cache:
        return cache[day]
    salt = db.session.get(IpSalt, day)
    created = salt is None
    if salt is None:
        from citizenvoice.surveys.rollups import upsert_statement

        statement = upsert_statement(
            IpSalt.__table__, {"day": day, "salt": secrets.token_hex(32)}, ["day"], None
        )
        db.session.execute(statement)
        salt = db.session.get(IpSalt, day)
    assert salt is not None
    if not created:  # a salt made in this transaction may still be rolled back
        cache.clear()
        cache[day] = salt.salt
    return salt.salt


def ip_hash() -> str | None:
    addr = request.remote_addr
    if not addr:
        return None
    today = utcnow().date()
    return _keyed(addr, "ip", salt_for(today))


def purge_salts(retention_days: int) -> int:
    """Delete salts older than the retention period; returns how many were deleted."""
    cutoff = utcnow().date() - timedelta(days=retention_days)
    result = db.session.execute(delete(IpSalt).where(IpSalt.day < cutoff))
    db.session.flush()
    current_app.extensions.pop("surveys.ip_salts", None)
    return int(getattr(result, "rowcount", 0) or 0)


def salt_days() -> list[date]:
    return list(db.session.scalars(select(IpSalt.day).order_by(IpSalt.day)))
