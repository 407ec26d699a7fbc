"""The citizen's flow: /s/<token> (and /S/<token>), /t/<ticket>, the thank-you page, /f/<code>."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import (
    Blueprint,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import TooManyRequests

from citizenvoice.core.errors import DomainError, NotFound
from citizenvoice.core.ratelimit import client_key, direct_limits
from citizenvoice.extensions import csrf, db, limiter
from citizenvoice.org.models import ServicePoint
from citizenvoice.surveys import integrity, services
from citizenvoice.surveys.channels import ticket_by_code, ticket_is_used
from citizenvoice.surveys.edge import LIMITS_COUNTED
from citizenvoice.surveys.forms import (
    HONEYPOT,
    LEVEL_LABELS,
    PlainAnswers,
    RatingFormBase,
    plain_answers,
    rating_form,
    service_choices,
)
from citizenvoice.surveys.intake import Cursor, VersionShape
from citizenvoice.surveys.models import Rating, Ticket

bp = Blueprint("surveys", __name__)

DEFAULT_LIMITS = {
    # Generous per address: 300 phones behind one Wi-Fi must all be able to rate.
    "SURVEY_IP_LIMIT": "1000 per hour",
    "SURVEY_PAGE_LIMIT": "3000 per hour",
    # Strict per device cookie; requests without a device cookie share a key per address.
    "SURVEY_DEVICE_LIMIT": "10 per hour",
    "SURVEY_COOKIELESS_LIMIT": "10 per hour",
}


def _setting(name: str) -> str:
    return str(current_app.config.get(name, DEFAULT_LIMITS[name]))


def check_limits() -> None:
    """The survey's limits: per address for pages and posts, per device for posts.

    Counted directly in the limiter's storage (one hit per limit, see
    :class:`~citizenvoice.core.ratelimit.DirectLimits`); a request over a limit gets the 429 page.
    A request that the intake at the WSGI edge has counted already is not counted again.
    """
    counted = request.environ.get(LIMITS_COUNTED)
    if counted is not None:
        if not counted:
            raise TooManyRequests()
        return
    address = client_key()
    if request.method == "POST":
        checks = post_limits(
            current_app.config, address, integrity.device_limit_key(), integrity.has_device()
        )
    else:
        checks = [(_setting("SURVEY_PAGE_LIMIT"), "sv-get", address)]
    if not direct_limits.allow(checks):
        raise TooManyRequests()


def post_limits(
    config: Mapping[str, Any], address_key: str, device_key: str, has_device: bool = True
) -> list[tuple[str, str, str]]:
    """The limits a rating post counts against (limit, scope, key): its address's and its
    device's (phones without a device cookie share a stricter key per address). The view and
    the intake at the WSGI edge both count these."""

    def setting(name: str) -> str:
        return str(config.get(name, DEFAULT_LIMITS[name]))

    device_limit = setting("SURVEY_DEVICE_LIMIT" if has_device else "SURVEY_COOKIELESS_LIMIT")
    return [
        (setting("SURVEY_IP_LIMIT"), "sv-ip", address_key),
        (device_limit, "sv-device", device_key),
    ]


@limiter.request_filter
def _limited_by_the_view() -> bool:
    """flask-limiter's per-view machinery (its site-wide default limit included) leaves alone
    the views that count their own limits (:func:`rate_limits`)."""
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "counts_own_limits", False)


def rate_limits(view: Any) -> Any:
    """Apply the survey's limits (:func:`check_limits`) to ``view``, and only those."""

    @functools.wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        check_limits()
        return view(*args, **kwargs)

    limited.counts_own_limits = True  # type: ignore[attr-defined]
    return limited


def _lang() -> str:
    return str(getattr(g, "lang", None) or _current_lang())


def _current_lang() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "en")


def _form_token(point_id: int, version_id: int) -> str:
    """A form token for this phone (a device cookie is made for a phone that has none)."""
    device = integrity.device_id()
    if device is None:
        device, g.new_device_cookie = integrity.new_device_cookie()
        request.environ["citizenvoice.device_id"] = device
    return integrity.issue_form_token(point_id=point_id, version_id=version_id, device=device)


def _render_form(point: ServicePoint, form: RatingFormBase, action: str, status: int = 200) -> Any:
    response = make_response(
        render_template(
            "surveys/rate.html", point=point, form=form, action=action, honeypot=HONEYPOT
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    signed = g.pop("new_device_cookie", None)
    if signed is not None:
        integrity.set_device_cookie(response, signed)
    return response


def _submission(
    answers: PlainAnswers,
    token: integrity.FormToken,
    device: str | None,
) -> services.Submission:
    return services.Submission.of(
        answers,
        nonce=token.nonce,
        device_hash=integrity.device_hash(device),
        ip_hash=integrity.ip_hash(),
        answered_seconds=round(max(time.time() - token.issued_at, 0.0), 2),
    )


def _checked_answers(
    version: VersionShape | None,
) -> tuple[PlainAnswers | None, RatingFormBase | None]:
    """The submitted answers if they pass the form's checks; else the form with its errors."""
    if version is None:
        return None, None
    plain = plain_answers(request.form, version)
    if plain is not None:
        return plain, None
    form = rating_form(version, [], _lang())
    if not form.validate():
        return None, form
    return (
        PlainAnswers(
            overall=form.overall.data,
            answers=form.answers(version),
            service_id=form.service.data or None,
            comment=form.comment.data or "",
            contact_name=form.contact_name.data or "",
            contact_details=form.contact_details.data or "",
            honeypot=getattr(form, HONEYPOT).data or "",
        ),
        form,
    )


def _rules() -> services.Rules:
    return services.Rules.of(current_app.config)


def _thanks(nonce: str) -> Any:
    return redirect(url_for("surveys.thanks", nonce=nonce), code=303)


def _show(point: ServicePoint, action: str) -> Any:
    version = services.version_for_point(point)
    lang = _lang()
    form = rating_form(VersionShape.of(version), service_choices(point, lang), lang, formdata=None)
    form.ft.data = _form_token(point.id, version.id)
    db.session.commit()  # the default survey may just have been created
    return _render_form(point, form, action)


def _refuse(point: services.PointRef, action: str, form: Any, message: str | None = None) -> Any:
    """Show the form again with its errors (and a fresh token when it had expired)."""
    full = db.session.get(ServicePoint, point.id)
    assert full is not None
    version = services.version_for_point(full)
    lang = _lang()
    shown = rating_form(VersionShape.of(version), service_choices(full, lang), lang)
    shown.errors_from(form)
    if message is not None:
        shown.ft.data = _form_token(point.id, version.id)
        shown.form_errors.append(message)
    return _render_form(full, shown, action, 400)


def _token_fits(token: integrity.FormToken, point_id: int) -> bool:
    """Whether the form token is for this point and — the rating form's CSRF check, on when
    CSRF protection is — was shown to this phone."""
    if token.point_id not in (None, point_id):
        return False
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    secret = str(current_app.config["SECRET_KEY"])
    return token.is_for_device(secret, integrity.device_id())


def _submit(
    find_point: Callable[[Cursor], services.PointRef],
    action_for: Callable[[services.PointRef], str],
    ticket: Ticket | None = None,
) -> Any:
    """Validate, store once (idempotent by nonce and ticket), then redirect to the thanks page.

    The path every rating takes, kept short: the survey version comes from the signed form
    token (and from memory once it has a rating), the form is checked before the database is
    touched, the point is read with one query, and a re-sent form is recognised by the INSERT
    itself. On SQLite the write transaction starts at the first query, so it stays short.
    """
    token = integrity.read_form_token(request.form.get("ft"))
    point = None
    version = None
    if token is not None and token.version_id is not None:
        version = services.version_shape(token.version_id)
    elif token is not None:  # a token from before forms named their version
        point = find_point(Cursor())
        full = db.session.get(ServicePoint, point.id)
        version = VersionShape.of(services.version_for_point(full)) if full else None
    answers, form = _checked_answers(version)
    cursor = Cursor()  # one driver cursor for every statement of the submission
    point = point or find_point(cursor)
    if token is None or version is None or not _token_fits(token, point.id):
        expired = _("This form has expired. Please choose your answers again.")
        return _refuse(point, action_for(point), None, expired)
    if answers is None:
        return _refuse(point, action_for(point), form)
    device = integrity.device_id()
    signed = None
    if device is None:
        device, signed = integrity.new_device_cookie()
    submission = _submission(answers, token, device)
    submission.ticket_id = ticket.id if ticket else None
    try:
        stored = services.store_rating(
            point.id, point.unit_id, version, submission, _rules(), cursor
        )
        db.session.commit()
    except services.RatingError as exc:
        db.session.rollback()
        return _refuse(point, action_for(point), form, str(exc))
    except IntegrityError:
        # A ticket used by someone else meanwhile.
        db.session.rollback()
        if ticket is not None:
            return _ticket_used()
        raise
    if stored.id is not None:
        services.remember_used_version(version)
    response = _thanks(token.nonce)
    if signed:
        integrity.set_device_cookie(response, signed)
    return response


# The rating form's CSRF token is its form token, bound to the phone's device cookie
# (:func:`_token_fits`): the anonymous survey needs no session.
@bp.route("/s/<token>", methods=["GET", "POST"], endpoint="rate")
@bp.route("/S/<token>", methods=["GET", "POST"], endpoint="rate")
@csrf.exempt
@rate_limits
def rate(token: str) -> Any:
    if request.method == "POST":
        return _submit(
            lambda cursor: services.point_ref_by_token(token, cursor),
            lambda point: url_for("surveys.rate", token=point.token),
        )
    full = services.point_by_token(token)
    return _show(full, url_for("surveys.rate", token=full.token))


def _ticket_used() -> Any:
    return render_template("surveys/ticket_used.html"), 410


@bp.route("/t/<ticket>", methods=["GET", "POST"])
@csrf.exempt
@rate_limits
def ticket(ticket: str) -> Any:
    found = ticket_by_code(ticket)
    if ticket_is_used(found):
        return _ticket_used()
    point = db.session.get(ServicePoint, found.service_point_id)
    if point is None or not point.is_active or not point.unit.is_active:
        raise services.TokenRetired(_("This service point no longer takes ratings."))
    action = url_for("surveys.ticket", ticket=ticket.upper())
    if request.method == "POST":
        ref = services.PointRef(point.id, point.token, point.unit_id)
        return _submit(lambda _cursor: ref, lambda _point: action, found)
    return _show(point, action)


@bp.route("/thanks/<nonce>")
def thanks(nonce: str) -> Any:
    rating = services.rating_by_nonce(nonce) if len(nonce) <= 40 else None
    if rating is None:
        raise NotFound()
    response = make_response(render_template("surveys/thanks.html", rating=rating))
    response.headers["Cache-Control"] = "no-store"
    return response


def _follow_up_page(rating: Rating, form: Any = None, status: int = 200) -> Any:
    from citizenvoice.casework import services as casework
    from citizenvoice.casework.forms import VerdictForm

    case = casework.case_for_rating(rating)
    response = make_response(
        render_template(
            "surveys/follow_up.html",
            rating=rating,
            levels=LEVEL_LABELS,
            case=case,
            verdict_form=form or VerdictForm(formdata=None),
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/f/<code>")
def follow_up(code: str) -> Any:
    return _follow_up_page(services.rating_by_follow_up(code))


@bp.route("/f/<code>/verdict", methods=["POST"])
def follow_up_verdict(code: str) -> Any:
    """The citizen says whether the reply solved the problem ("not solved" reopens once)."""
    from citizenvoice.casework import services as casework
    from citizenvoice.casework.forms import VerdictForm
    from citizenvoice.casework.models import Verdict

    rating = services.rating_by_follow_up(code)
    case = casework.case_for_rating(rating)
    form = VerdictForm()
    if case is None or not form.validate_on_submit():
        return _follow_up_page(rating, form, 400)
    try:
        casework.give_verdict(case, Verdict(form.verdict.data))
    except DomainError as exc:
        db.session.rollback()
        form.verdict.errors = [str(exc)]
        return _follow_up_page(rating, form, exc.status)
    db.session.commit()
    return redirect(url_for(".follow_up", code=rating.follow_up_code), 303)
