"""The rating intake at the WSGI edge: a plainly valid rating stored before Flask is entered.

Every scan of a QR code ends in a POST to ``/s/<token>``, the busiest write of the site. Most of
those posts are plainly valid: a genuine form token shown to this phone's device cookie (the
form's CSRF token), a tap on each scale. For them this middleware does what the view does —
the same checks through the same functions (:mod:`~citizenvoice.surveys.integrity`,
:func:`~citizenvoice.surveys.forms.plain_answers`), the same rate limits in the same storage,
the same statements through :func:`~citizenvoice.surveys.services.store_rating` on a pooled
connection of the same engine — without the request machinery around the view (request and
session objects, before- and after-request hooks, the form object), which costs more than
storing the rating.

Anything else goes on to the Flask view, unchanged: a query string, another content type, an
unknown survey version, an answer the form would question, a missing or foreign cookie or token,
a filled honeypot, a retired code, a service the point does not offer, a case that would send
e-mail, a database error. The view explains the problem, renders the page or stores the rating
itself. So the edge never accepts what the view would refuse, and what it stores is what the
view would store. Once the edge has counted the request against the rate limits it tells the
view so (:data:`LIMITS_COUNTED`), which then does not count it twice.

Like the view, nothing here stores or logs a raw address or user agent.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie

from citizenvoice.core.db import utcnow, write_intent
from citizenvoice.core.errors import DomainError
from citizenvoice.core.i18n import LANG_COOKIE, choose_language
from citizenvoice.core.ratelimit import client_key_for, direct_limits
from citizenvoice.core.security import SECURITY_HEADERS
from citizenvoice.extensions import db
from citizenvoice.surveys import integrity, services
from citizenvoice.surveys.forms import plain_answers
from citizenvoice.surveys.intake import Cursor, VersionShape, _driver_errors

#: The environ key telling the view that the edge counted this request against the survey's
#: limits: True (within them) or False (over one: the view answers 429 without counting again).
LIMITS_COUNTED = "citizenvoice.survey_limits_counted"

#: ``/s/<token>`` and ``/S/<token>`` (the view's routes); the token is checked by the lookup.
PATH = re.compile(r"/[sS]/([A-Za-z0-9]{1,64})")
FORM_TYPE = "application/x-www-form-urlencoded"
#: A plainly valid rating is small (a comment of 2,000 Chinese characters is 18 KB encoded).
MAX_BODY = 32 * 1024

StartResponse = Callable[..., Any]


class RatingIntake:
    """WSGI middleware in front of the Flask app: see the module's docstring."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._engine: Any = None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Any:
        if environ.get("REQUEST_METHOD") == "POST":
            match = PATH.fullmatch(environ.get("PATH_INFO", ""))
            if match is not None:
                headers = self._take(environ, match.group(1))
                if headers is not None:
                    start_response("303 SEE OTHER", headers)
                    return [b""]
        return self.wsgi_app(environ, start_response)

    def _take(self, environ: dict[str, Any], token: str) -> list[tuple[str, str]] | None:
        """The response headers of a rating stored here, or None: the view takes the request."""
        if environ.get("QUERY_STRING"):
            return None
        form = _read_form(environ)
        if form is None:
            return None
        config = self.app.config
        secret = str(config["SECRET_KEY"])
        form_token = integrity.parse_form_token(secret, form.get("ft"), time.time())
        if form_token is None or form_token.version_id is None:
            return None
        used: dict[int, VersionShape] = self.app.extensions.get("surveys.used_versions", {})
        version = used.get(form_token.version_id)
        answers = plain_answers(form, version) if version is not None else None
        if version is None or answers is None or answers.honeypot.strip():
            return None
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        device = integrity.parse_device_cookie(secret, cookies.get(integrity.DEVICE_COOKIE))
        if device is None:
            return None
        # The rating form's CSRF check, as the view makes it (``views._token_fits``).
        csrf_on = config.get("WTF_CSRF_ENABLED", True)
        if csrf_on and not form_token.is_for_device(secret, device):
            return None
        address = environ.get("REMOTE_ADDR")
        salt = integrity.cached_salt(self.app, utcnow().date())
        if salt is None:  # the view creates the day's salt
            return None
        submission = services.Submission.of(
            answers,
            nonce=form_token.nonce,
            device_hash=integrity.keyed_with(secret, device, "device"),
            ip_hash=integrity.keyed_with(secret, address, "ip", salt) if address else None,
            answered_seconds=round(max(time.time() - form_token.issued_at, 0.0), 2),
            created_at=utcnow(),
        )
        with self.app.app_context():
            stored = self._store(environ, token, form_token, version, submission, device, cookies)
        if not stored:
            return None
        location = f"{environ.get('SCRIPT_NAME', '')}/thanks/{form_token.nonce}"
        return [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", "0"),
            ("Location", location),
            *SECURITY_HEADERS,
        ]

    # ---- storing -----------------------------------------------------------------------------

    def _store(
        self,
        environ: dict[str, Any],
        token: str,
        form_token: integrity.FormToken,
        version: VersionShape,
        submission: services.Submission,
        device: str,
        cookies: Any,
    ) -> bool:
        """Count the limits and store the rating in one transaction; False: leave it to the view.

        On PostgreSQL the statements go out in pipeline mode: the driver waits for the
        database only for the point's row, the stored rating and the commit.
        """
        from citizenvoice.mail.services import is_enabled as mail_is_enabled

        reason = services.case_reason_of(version, submission)
        if reason is not None and mail_is_enabled():  # the outbox is written by the view
            return False
        config = self.app.config
        engine = self._engine_of_app()
        dialect = engine.dialect.name
        try:
            connection = engine.raw_connection()
        except (SQLAlchemyError, _driver_errors(dialect)):  # unreachable: the view answers 503
            return False
        try:
            driver = connection.driver_connection

            def begin() -> None:  # after the reads, right before the first write
                if dialect == "sqlite":
                    driver.execute("BEGIN IMMEDIATE")

            with _pipeline(driver, dialect):
                cursor = Cursor(driver, dialect, begin)
                point = services.point_ref_row(token, cursor)
                taken = point is not None and form_token.point_id == point.id
                taken = taken and self._within_limits(environ, device)
                if point is None or not taken:
                    connection.rollback()
                    return False
                # Read before SQLite's write transaction, which nothing else may wait for.
                opened_on = submission.created_at.date() if submission.created_at else None
                due = _read_deadlines(point.unit_id, opened_on) if reason and opened_on else None
                services.store_rating(
                    point.id,
                    point.unit_id,
                    version,
                    submission,
                    services.Rules.of(config),
                    cursor,
                    language=_language(cookies, environ, config) if reason else None,
                    due=due,
                    commit=True,
                )
        except DomainError:
            _quietly(connection.rollback)
            return False
        except (SQLAlchemyError, _driver_errors(dialect)):
            # The connection may be broken (a restarted database): dropped, not reset.
            _quietly(connection.invalidate)
            return False
        finally:
            _quietly(connection.close)
        return True

    def _within_limits(self, environ: dict[str, Any], device: str) -> bool:
        """Count the request against the survey's limits, as the view's ``check_limits``."""
        from citizenvoice.surveys.views import post_limits

        config = self.app.config
        secret = str(config["SECRET_KEY"])
        checks = post_limits(
            config,
            client_key_for(secret, environ.get("REMOTE_ADDR")),
            integrity.device_limit_key_for(secret, device),
        )
        allowed = direct_limits.allow(checks, str(config.get("RATELIMIT_KEY_PREFIX") or ""))
        environ[LIMITS_COUNTED] = allowed
        return allowed

    def _engine_of_app(self) -> Any:
        if self._engine is None:
            self._engine = db.engine
        return self._engine


def _read_deadlines(unit_id: int, day: Any) -> Any:
    """A case's deadlines, read through the session as a reader that ends at once: on SQLite a
    session left in a write transaction would hold the lock the rating then waits for."""
    from citizenvoice.casework.services import deadlines

    intent = write_intent.set(False)
    try:
        return deadlines(unit_id, day)
    finally:
        write_intent.reset(intent)
        db.session.remove()


def _pipeline(driver: Any, dialect: str) -> contextlib.AbstractContextManager[Any]:
    """PostgreSQL's pipeline mode for the statements of one rating (SQLite needs none)."""
    return driver.pipeline() if dialect == "postgresql" else contextlib.nullcontext()


def _quietly(step: Callable[[], Any]) -> None:
    """Roll back or close a connection whose database may be gone (the view reports that)."""
    with contextlib.suppress(Exception):  # the view meets the outage and reports it
        step()


def _read_form(environ: dict[str, Any]) -> dict[str, str] | None:
    """The posted fields of a small url-encoded body, each once; None for anything else.

    The body is put back for the view whatever happens.
    """
    content_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    length = environ.get("CONTENT_LENGTH", "")
    if content_type != FORM_TYPE or not length.isdigit() or int(length) > MAX_BODY:
        return None
    body = environ["wsgi.input"].read(int(length))
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    form = dict(pairs)
    return form if len(form) == len(pairs) else None


def _language(cookies: Any, environ: dict[str, Any], config: Any) -> str:
    """The citizen's language, chosen as :func:`~citizenvoice.core.i18n.select_locale` does."""
    accepted = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
    return choose_language(
        cookies.get(LANG_COOKIE),
        accepted,
        list(config["LANGUAGES"]),
        str(config["BABEL_DEFAULT_LOCALE"]),
    )
