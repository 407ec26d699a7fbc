"""The rating intake at the WSGI edge: a plainly valid rating stored before Flask is entered.

Every scan of a QR code ends in a POST to ``/s/<token>``, the busiest write of the site. Most of
those posts are plainly valid: a genuine form token shown to this phone's device cookie (the
form's CSRF token), a tap on each scale. For them this middleware does what the view does —
the same checks through the same functions (:mod:`~citizenvoice.surveys.integrity`,
:func:`~citizenvoice.surveys.forms.plain_answers`), the same rate limits in the same storage,
the same rows — without the request machinery around the view (request and session objects,
before- and after-request hooks, the form object), which costs more than storing the rating.
On SQLite the rating is stored by :func:`~citizenvoice.surveys.services.store_rating`'s
statements on a pooled connection of the app's engine; on PostgreSQL by one message to the
database (:mod:`~citizenvoice.surveys.intake_pg`), which also checks the point.

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
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask
from sqlalchemy import create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie

from citizenvoice.core.db import utcnow, write_intent
from citizenvoice.core.errors import DomainError
from citizenvoice.core.i18n import LANG_COOKIE, choose_language
from citizenvoice.core.ratelimit import client_key_for, direct_limits
from citizenvoice.core.security import SECURITY_HEADERS
from citizenvoice.extensions import db
from citizenvoice.surveys import intake, intake_pg, integrity, services
from citizenvoice.surveys.forms import plain_answers
from citizenvoice.surveys.intake import Cursor, VersionShape, _driver_errors
from citizenvoice.surveys.qr import normalize_token

#: The environ key telling the view that the edge counted this request against the survey's
#: limits: True (within them) or False (over one: the view answers 429 without counting again).
LIMITS_COUNTED = "citizenvoice.survey_limits_counted"

#: ``/s/<token>`` and ``/S/<token>`` (the view's routes); the token is checked by the lookup.
PATH = re.compile(r"/[sS]/([A-Za-z0-9]{1,64})")
FORM_TYPE = "application/x-www-form-urlencoded"
#: How many service points' units a worker remembers before it starts afresh.
MAX_REMEMBERED_POINTS = 10_000
#: A plainly valid rating is small (a comment of 2,000 Chinese characters is 18 KB encoded).
MAX_BODY = 32 * 1024

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class _Post:
    """A plainly valid rating post as the edge has read it."""

    environ: dict[str, Any]
    token: str
    form_token: integrity.FormToken
    version: VersionShape
    submission: services.Submission
    device: str
    cookies: Any

    @property
    def opens_case(self) -> bool:
        return services.case_reason_of(self.version, self.submission) is not None

    def language(self, config: Any) -> str:
        """The citizen's, kept with a case."""
        return _language(self.cookies, self.environ, config)


class RatingIntake:
    """WSGI middleware in front of the Flask app: see the module's docstring."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._engine: Any = None
        #: service point id → its unit, as the last rating stored there found it
        self._units: dict[int, int] = {}

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
            post = _Post(environ, token, form_token, version, submission, device, cookies)
            stored = self._store(post)
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

    def _store(self, post: _Post) -> bool:
        """Count the limits and store the rating in one transaction; False: leave it to the view.

        The limits are counted first, as the view counts them before it reads the point.
        """
        from citizenvoice.mail.services import is_enabled as mail_is_enabled

        if post.opens_case and mail_is_enabled():  # the outbox is written by the view
            return False
        if not self._within_limits(post.environ, post.device):
            return False
        engine = self._engine_of_app()
        dialect = engine.dialect.name
        try:
            connection = engine.raw_connection()
        except (SQLAlchemyError, _driver_errors(dialect)):  # unreachable: the view answers 503
            return False
        try:
            if dialect == "postgresql":
                return self._store_at_point(connection, post)
            return self._store_in_steps(connection, post)
        except DomainError:
            _quietly(connection.rollback)
            return False
        except (SQLAlchemyError, _driver_errors(dialect)):
            # The connection may be broken (a restarted database): dropped, not reset.
            _quietly(connection.invalidate)
            return False
        finally:
            _quietly(connection.close)

    def _store_in_steps(self, connection: Any, post: _Post) -> bool:
        """SQLite: the point read, then the rating's statements in one write transaction."""
        driver = connection.driver_connection

        def begin() -> None:  # after the reads, right before the first write
            driver.execute("BEGIN IMMEDIATE")

        cursor = Cursor(driver, "sqlite", begin)
        point = services.point_ref_row(post.token, cursor)
        if point is None or post.form_token.point_id != point.id:
            connection.rollback()
            return False
        submission = post.submission
        # Read before SQLite's write transaction, which nothing else may wait for.
        opened_on = submission.created_at.date() if submission.created_at else None
        opens_case = post.opens_case and opened_on is not None
        services.store_rating(
            point.id,
            point.unit_id,
            post.version,
            submission,
            services.Rules.of(self.app.config),
            cursor,
            language=post.language(self.app.config) if opens_case else None,
            due=_read_deadlines(point.unit_id, opened_on) if opens_case else None,
            commit=True,
        )
        return True

    def _store_at_point(self, connection: Any, post: _Post) -> bool:
        """PostgreSQL: the rating in one message (:mod:`~citizenvoice.surveys.intake_pg`),
        which checks the point itself. The unit of the form's point is remembered from an
        earlier rating (the statement checks it too), else read first."""
        token, point_id = normalize_token(post.token), post.form_token.point_id
        if token is None or point_id is None:
            return False
        services.check_answers(post.version, post.submission)
        driver = connection.driver_connection
        driver.autocommit = True  # the message is its own transaction
        try:
            return self._store_in_one_message(driver, connection.info, token, point_id, post)
        finally:
            # As the pool's other users expect it (unless the connection is broken).
            _quietly(lambda: setattr(driver, "autocommit", False))

    def _store_in_one_message(
        self, driver: Any, info: dict[str, Any], token: str, point_id: int, post: _Post
    ) -> bool:
        from citizenvoice.casework.services import case_opening

        unit_id = self._units.get(point_id)
        if unit_id is None:
            point = services.point_ref_row(token, Cursor(driver, "postgresql"))
            if point is None or point.id != point_id:
                return False
            unit_id = point.unit_id
        config = self.app.config
        parts = services.RatingParts.of(post.version, post.submission, services.Rules.of(config))
        case = None
        if parts.reason is not None:
            opened_on = parts.values["created_at"].date()
            due = _read_deadlines(unit_id, opened_on)
            case = case_opening(unit_id, parts.reason, opened_on, post.language(config), due)
        row = intake.rating_row(
            point_id, post.version, parts.values, parts.contact, parts.repeat_since
        )
        params = intake.statement_parameters(
            row, post.submission.answers, parts.flags, parts.contact, case
        )
        params.update(token=token, point_unit_id=unit_id)
        stored = intake_pg.store(driver, info, params)
        if stored is None:  # the point moved, closed or does not offer the service
            self._units.pop(point_id, None)
            return False
        if len(self._units) >= MAX_REMEMBERED_POINTS:
            self._units.clear()
        self._units[point_id] = unit_id
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
        """The app's engine on SQLite. On PostgreSQL an engine of the edge's own on the same
        database whose pool hands out a connection without pinging it first (a round trip per
        rating): a connection the database has dropped fails the rating's message instead, and
        the view, whose pool pings, takes the post."""
        if self._engine is None:
            engine = app_engine = db.engine
            if engine.dialect.name == "postgresql":
                options = {**self.app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
                engine = create_engine(app_engine.url, **options)
                # Closed with the app's: its connections go when the app's go.
                event.listen(
                    app_engine, "engine_disposed", lambda _: self._drop_engine(engine), once=True
                )
            self._engine = engine
        return self._engine

    def _drop_engine(self, engine: Any) -> None:
        engine.dispose()
        if self._engine is engine:
            self._engine = None


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
