"""Staff pages for ratings: the live stream, its CSV export, one rating, the flag review queue.

Posters, tickets and kiosks are in ``manage_points``; the survey editor in ``manage_editor``;
both add their routes to this blueprint.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import roles_required, staff_blueprint
from citizenvoice.core.errors import DomainError
from citizenvoice.core.staff_menu import MenuItem, register
from citizenvoice.extensions import db
from citizenvoice.org.models import Service, ServicePoint
from citizenvoice.org.services import descendant_ids
from citizenvoice.surveys import services, stream
from citizenvoice.surveys.forms import LEVEL_LABELS, FlagDecisionForm, StreamFilterForm
from citizenvoice.surveys.models import Rating, RatingContact

MANAGERS = (Role.ADMIN, Role.MANAGER)
bp = staff_blueprint(
    "surveys_manage", __name__, "/manage/surveys", {Role.ADMIN, Role.MANAGER, Role.UNIT_OFFICIAL}
)

register(
    MenuItem(
        "surveys_manage.stream",
        _l("Ratings"),
        _l("Citizens' ratings and comments as they arrive; export as CSV."),
        frozenset({Role.ADMIN, Role.MANAGER, Role.UNIT_OFFICIAL}),
    )
)
register(
    MenuItem(
        "surveys_manage.flags",
        _l("Flag review"),
        _l("Ratings held back by integrity checks: confirm or clear them."),
        frozenset(MANAGERS),
    )
)


def visible_unit_ids() -> set[int] | None:
    """None means every unit; a unit official sees their unit and its sub-units."""
    if current_user.role is Role.UNIT_OFFICIAL:
        return descendant_ids(current_user.unit_id) if current_user.unit_id else set()
    return None


def point_in_scope(point_id: int) -> ServicePoint:
    point = db.session.get(ServicePoint, point_id)
    scope = visible_unit_ids()
    if point is None or (scope is not None and point.unit_id not in scope):
        abort(404)
    return point


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


def _filters() -> tuple[StreamFilterForm, stream.StreamFilter]:
    scope = visible_unit_ids()
    form = StreamFilterForm(request.args, meta={"csrf": False})
    points = stream.visible_points(scope)
    form.point.choices = [(0, _("All service points")), *((p.id, p.name) for p in points)]
    services_ = db.session.scalars(db.select(Service).order_by(Service.name)).all()
    form.service.choices = [(0, _("All services")), *((s.id, s.name) for s in services_)]
    form.validate()
    point_id = form.point.data if form.point.data in {p.id for p in points} else None
    service_id = form.service.data or None
    filters = stream.StreamFilter(
        unit_ids=scope,
        point_id=point_id,
        service_id=service_id,
        since=stream.parse_day(form.since.data),
        until=stream.parse_day(form.until.data),
    )
    return form, filters


@bp.route("/", endpoint="stream")
@bp.route("/ratings", endpoint="stream")
def stream_view() -> Any:
    form, filters = _filters()
    page = _page()
    ratings, total = stream.page_of_ratings(filters, page)
    query = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "surveys/manage/stream.html",
        form=form,
        ratings=ratings,
        total=total,
        page=page,
        pages=max((total + stream.PER_PAGE - 1) // stream.PER_PAGE, 1),
        query=query,
        levels=LEVEL_LABELS,
    )


@bp.route("/ratings.csv")
def export_csv() -> Any:
    _form, filters = _filters()
    response = Response(
        stream_with_context(stream.csv_lines(filters)), mimetype="text/csv; charset=utf-8"
    )
    response.headers["Content-Disposition"] = 'attachment; filename="ratings.csv"'
    return response


@bp.route("/ratings/<int:rating_id>")
def rating_detail(rating_id: int) -> Any:
    rating = db.session.get(Rating, rating_id)
    if rating is None:
        abort(404)
    point_in_scope(rating.service_point_id)
    # Contact details and the unmasked comment are for the unit's own officials only.
    is_unit_official = current_user.role is Role.UNIT_OFFICIAL
    contact = db.session.get(RatingContact, rating.id) if is_unit_official else None
    return render_template(
        "surveys/manage/rating.html",
        rating=rating,
        answers=stream.answer_values(rating),
        contact=contact,
        show_raw=is_unit_official,
        levels=LEVEL_LABELS,
    )


@bp.route("/flags")
@roles_required(*MANAGERS)
def flags() -> Any:
    page = _page()
    open_flags, total = stream.open_flags(page)
    return render_template(
        "surveys/manage/flags.html",
        flags=open_flags,
        total=total,
        page=page,
        pages=max((total + stream.PER_PAGE - 1) // stream.PER_PAGE, 1),
        form=FlagDecisionForm(),
        levels=LEVEL_LABELS,
    )


@bp.route("/flags/<int:flag_id>/decide", methods=["POST"])
@roles_required(*MANAGERS)
def decide_flag(flag_id: int) -> Any:
    flag = services.get_flag(flag_id)
    form = FlagDecisionForm()
    if not form.validate_on_submit():
        flash(_("Please choose a decision and give a reason."), "error")
        return redirect(url_for(".flags"))
    try:
        services.decide_flag(
            flag, form.decision.data == "confirm", form.reason.data or "", current_user.id
        )
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".flags"))
    db.session.commit()
    flash(_("The decision was recorded."), "success")
    return redirect(url_for(".flags"))


# The other staff modules add their routes to bp when imported.
from citizenvoice.surveys import manage_editor, manage_points  # noqa: E402, F401
