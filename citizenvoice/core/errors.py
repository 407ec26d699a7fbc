"""Domain errors and the error pages: friendly, translated, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A request that the domain rules refuse; its message is safe to show to the user."""

    status = 400


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to this user)."""

    status = 404


class Forbidden(DomainError):
    """The current user may not do this."""

    status = 403


class InvalidTransition(DomainError):
    """A state change that the current state does not allow."""

    status = 409


TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("This action is not allowed here"),
    409: _l("This change is not possible right now"),
    410: _l("This code is no longer in use"),
    413: _l("The upload is too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is briefly unavailable"),
}
EXPLANATIONS = {
    400: _l("Please go back, check what you entered and try again."),
    403: _l("If you think you should have access, ask your administrator."),
    404: _l("The address may be mistyped, or the page has moved."),
    405: _l("Please use the buttons and links on the site."),
    409: _l("Please reload the page to see the current state."),
    410: _l(
        "This QR code or link has been replaced. "
        "Please scan the code now posted at the service point."
    ),
    413: _l("Please choose a smaller file and try again."),
    429: _l("Please wait a minute before trying again."),
    500: _l("The problem has been logged. Nothing you entered was saved; please try again."),
    503: _l("Please try again in a few seconds. Nothing you entered was saved."),
}


def error_response(status: int, message: str | None = None) -> tuple[Response | str, int]:
    """Render an error as HTML or, under /api/ and for the pages' ``….json`` data, as JSON."""
    title = str(TITLES.get(status, TITLES[500]))
    if request.path.startswith("/api/") or request.path.endswith(".json"):
        return jsonify(error=title, status=status, detail=message), status
    explanation = message or str(EXPLANATIONS.get(status, EXPLANATIONS[500]))
    return render_template(
        "errors/error.html", status=status, title=title, message=explanation
    ), status


def _rollback() -> None:
    from citizenvoice.extensions import db

    try:
        db.session.rollback()
    except Exception:  # the database may be gone; the error page must still render
        log.warning("rollback after an error failed")


def _reason(error: Exception) -> str:
    """The driver's first line for an operational error ("database is locked", "connection
    refused"), which names no data; nothing for other database errors, whose details may."""
    if not isinstance(error, OperationalError):
        return ""
    first = str(getattr(error, "orig", None) or "").strip().splitlines()
    return f" ({first[0][:200]})" if first else ""


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        _rollback()
        message = str(
            _l("This form has expired or was sent from another page. Please reload and try again.")
        )
        return error_response(400, message)

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        _rollback()
        return error_response(error.status, str(error) or None)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        body, status = error_response(code if code in TITLES else 400)
        headers = {}
        valid = getattr(error, "valid_methods", None)
        if code == 405 and valid:
            headers["Allow"] = ", ".join(valid)
        retry = getattr(error, "retry_after", None)
        if code == 429:
            headers["Retry-After"] = str(retry or 60)
        return body, status, headers

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def database_error(error: Exception):
        _rollback()
        log.error("database unavailable: %s%s", type(error).__name__, _reason(error))
        body, _status = error_response(503)
        return body, 503, {"Retry-After": "5"}

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        _rollback()
        log.exception("unhandled error on %s %s", request.method, request.url_rule)
        return error_response(500)
