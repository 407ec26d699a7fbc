"""How the tip box keeps reporters unidentifiable, installed when the ``tips`` blueprint registers.

1. **Environ allow-list.** A WSGI middleware (outermost, before ProxyFix) hands requests for
   ``/tips…`` to the application with only the WSGI variables listed in :data:`KEPT_ENVIRON`.
   The client's network address, forwarding chains and browser identification never reach any
   code on the tip path — not ours, not Flask-Login's, not the limiter's.
2. **No staff identity on tip pages.** The first hook of every request marks the user anonymous on
   tip paths, so a logged-in staff member's session is neither read nor touched there.
3. **Headers.** The last hook of every response sets ``Cache-Control: no-store``,
   ``X-Robots-Tag: noindex``, ``Referrer-Policy: no-referrer`` and turns every cookie set on a
   tip page into ``SameSite=Strict``.
4. **Throttling without addresses.** Each browser gets a random id in a signed, ``SameSite=Strict``
   cookie scoped to ``/tips``; the limiter storage sees only a keyed hash of it. Wrong receipts
   and submissions are limited per browser (``TIPS_FOLLOWUP_LIMIT``, ``TIPS_SUBMIT_LIMIT``) and in
   total (``TIPS_FOLLOWUP_GLOBAL_LIMIT``, ``TIPS_SUBMIT_GLOBAL_LIMIT``). The blueprint is exempt
   from the site-wide limits, whose key is the client address.
5. **Logging.** Tip views log nothing; a filter drops the development server's request lines for
   tip paths (production: turn the access log of the WSGI server and the proxy off for /tips).

Forms on tip pages carry an anti-forgery token bound to the tip cookie (:class:`TipCSRF`)
instead of one kept in the Flask session, so tip pages never create a session cookie.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable, Iterable
from typing import Any, cast

from flask import Flask, Response, current_app, g, request
from flask.blueprints import BlueprintSetupState
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from limits import parse_many
from wtforms.csrf.core import CSRF
from wtforms.validators import ValidationError

log = logging.getLogger(__name__)

PREFIX = "/tips"
COOKIE = "cv_tip"
#: The only WSGI variables the application sees on tip paths.
KEPT_ENVIRON = frozenset(
    {
        "REQUEST_METHOD",
        "SCRIPT_NAME",
        "PATH_INFO",
        "QUERY_STRING",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "HTTP_HOST",
        "HTTP_COOKIE",
        "HTTP_ACCEPT",
        "HTTP_ACCEPT_LANGUAGE",
        "HTTP_ACCEPT_ENCODING",
        "HTTP_CONTENT_TYPE",
        "HTTP_CONTENT_LENGTH",
        "HTTP_TRANSFER_ENCODING",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_X_FORWARDED_HOST",
        "HTTP_X_FORWARDED_PORT",
        "HTTP_X_FORWARDED_PREFIX",
    }
)
_KEPT_PREFIXES = ("wsgi.", "werkzeug.")


def is_tip_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def scrub(environ: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``environ`` with only the allow-listed variables."""
    return {
        key: value
        for key, value in environ.items()
        if key in KEPT_ENVIRON or key.startswith(_KEPT_PREFIXES)
    }


class ScrubTipRequests:
    """WSGI middleware: tip requests reach the application with an allow-listed environ."""

    def __init__(self, inner: Callable[..., Iterable[bytes]]) -> None:
        self.inner = inner

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if is_tip_path(environ.get("PATH_INFO", "")):
            environ = scrub(environ)
        return self.inner(environ, start_response)


class _DropTipRequestLines(logging.Filter):
    """Drop the development server's access-log lines for tip paths."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not any(isinstance(a, str) and f" {PREFIX}" in a for a in args)


def _anonymous_on_tip_paths() -> None:
    if is_tip_path(request.path):
        g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]


def _forget_anonymous(_exc: BaseException | None) -> None:
    # An outer app context (the CLI, tests) can outlive the request; leave no user behind.
    if is_tip_path(request.path):
        g.pop("_login_user", None)
        g.pop("tip_client_id", None)
        g.pop("tip_client_known", None)


def _tip_headers(response: Response) -> Response:
    if not is_tip_path(request.path):
        return response
    headers = response.headers
    headers["Cache-Control"] = "no-store, max-age=0"
    headers["Pragma"] = "no-cache"
    headers["X-Robots-Tag"] = "noindex, nofollow, noarchive"
    headers["Referrer-Policy"] = "no-referrer"
    cookies = headers.getlist("Set-Cookie")
    if cookies:
        del headers["Set-Cookie"]
        for cookie in cookies:
            parts = [p for p in cookie.split("; ") if not p.lower().startswith("samesite=")]
            headers.add("Set-Cookie", "; ".join([*parts, "SameSite=Strict"]))
    return response


def install(state: BlueprintSetupState) -> None:
    """Called once when the tips blueprint is registered on an app."""
    app = cast(Flask, state.app)
    app.wsgi_app = ScrubTipRequests(app.wsgi_app)  # type: ignore[method-assign]
    # First before-request hook and last after-request hook of the whole app.
    app.before_request_funcs.setdefault(None, []).insert(0, _anonymous_on_tip_paths)
    app.after_request_funcs.setdefault(None, []).insert(0, _tip_headers)
    app.teardown_request(_forget_anonymous)
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, _DropTipRequestLines) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(_DropTipRequestLines())


# ---- the tip cookie --------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="tips-client")


def load_client() -> None:
    """Before each tip request: the browser's random id from its cookie, or a new one."""
    raw = request.cookies.get(COOKIE, "")
    client_id = None
    if raw:
        try:
            client_id = _serializer().loads(raw)
        except BadSignature:
            client_id = None
    g.tip_client_known = isinstance(client_id, str)
    g.tip_client_id = client_id if isinstance(client_id, str) else secrets.token_urlsafe(16)


def save_client(response: Response) -> Response:
    if not getattr(g, "tip_client_known", True) and getattr(g, "tip_client_id", None):
        response.set_cookie(
            COOKIE,
            _serializer().dumps(g.tip_client_id),
            path=PREFIX,
            httponly=True,
            samesite="Strict",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
    return response


def client_known() -> bool:
    return bool(getattr(g, "tip_client_known", False))


# ---- throttling --------------------------------------------------------------------------------


def _limiter_key() -> str:
    from citizenvoice.tips.services import crypto

    return crypto().limiter_key(g.tip_client_id)


def _checks(scope: str) -> list[tuple[Any, tuple[str, ...]]]:
    config = current_app.config
    prefix = str(config.get("RATELIMIT_KEY_PREFIX") or "citizenvoice")
    per_client = config[f"TIPS_{scope.upper()}_LIMIT"]
    overall = config[f"TIPS_{scope.upper()}_GLOBAL_LIMIT"]
    key = _limiter_key()
    checks: list[tuple[Any, tuple[str, ...]]] = [
        (item, (prefix, "tips", scope, key)) for item in parse_many(per_client)
    ]
    checks += [(item, (prefix, "tips", scope, "all")) for item in parse_many(overall)]
    return checks


def throttled(scope: str) -> bool:
    """Whether this browser (or everyone together) has used up the ``scope`` allowance."""
    from citizenvoice.extensions import limiter

    try:
        strategy = limiter.limiter
        return any(not strategy.test(item, *ids) for item, ids in _checks(scope))
    except Exception:  # storage down: fail open (receipts are 160-bit secrets)
        log.warning("tip throttle storage unavailable")
        return False


def count(scope: str) -> None:
    """Count one use of ``scope`` (a wrong receipt, a submission) for this browser and in total."""
    from citizenvoice.extensions import limiter

    try:
        strategy = limiter.limiter
        for item, ids in _checks(scope):
            strategy.hit(item, *ids)
    except Exception:
        log.warning("tip throttle storage unavailable")


# ---- anti-forgery tokens bound to the tip cookie ----------------------------------------------


class TipCSRF(CSRF):
    def generate_csrf_token(self, csrf_token_field: Any) -> str:
        from citizenvoice.tips.services import crypto

        return crypto().form_token(g.tip_client_id)

    def validate_csrf_token(self, form: Any, field: Any) -> None:
        from citizenvoice.tips.services import crypto

        expected = crypto().form_token(g.tip_client_id)
        if not client_known() or not hmac.compare_digest(str(field.data or ""), expected):
            raise ValidationError(_l("This form has expired. Please try again."))
