"""Staff pages for service points: QR posters and downloads, new QR codes, tickets, kiosks."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from citizenvoice.accounts.models import Role
from citizenvoice.core.errors import DomainError
from citizenvoice.core.forms import EmptyForm
from citizenvoice.core.staff_menu import MenuItem, register
from citizenvoice.extensions import db
from citizenvoice.org.models import ServicePoint, Unit
from citizenvoice.org.services import regenerate_token
from citizenvoice.surveys import channels
from citizenvoice.surveys.forms import KioskForm, TicketBatchForm
from citizenvoice.surveys.manage import bp, point_in_scope, visible_unit_ids
from citizenvoice.surveys.models import Kiosk
from citizenvoice.surveys.qr import point_url, qr_png, qr_svg

register(
    MenuItem(
        "surveys_manage.points",
        _l("QR posters, tickets and kiosks"),
        _l("Print QR posters, make ticket codes and register kiosks for service points."),
        frozenset({Role.ADMIN, Role.MANAGER, Role.UNIT_OFFICIAL}),
    )
)


def survey_url(point: ServicePoint) -> str:
    return point_url(str(current_app.config["BASE_URL"]), point.token)


def ticket_url(code: str) -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/") + f"/t/{code}"


def _inline_qr(point: ServicePoint) -> Markup:
    # qr_svg draws plain shapes: no script, no style attribute, nothing external.
    return Markup(qr_svg(survey_url(point), size="60mm"))  # noqa: S704


@bp.route("/points")
def points() -> Any:
    scope = visible_unit_ids()
    query = select(Unit).order_by(Unit.name)
    if scope is not None:
        query = query.where(Unit.id.in_(scope or {-1}))
    units = [u for u in db.session.scalars(query) if u.service_points]
    return render_template("surveys/manage/points.html", units=units)


@bp.route("/points/<int:point_id>/poster")
def poster(point_id: int) -> Any:
    point = point_in_scope(point_id)
    return render_template(
        "surveys/manage/poster.html",
        points=[point],
        qr={point.id: _inline_qr(point)},
        urls={point.id: survey_url(point)},
        form=EmptyForm(),
        single=True,
    )


@bp.route("/units/<int:unit_id>/posters")
def poster_sheet(unit_id: int) -> Any:
    scope = visible_unit_ids()
    unit = db.session.get(Unit, unit_id)
    if unit is None or (scope is not None and unit.id not in scope):
        abort(404)
    active = [p for p in unit.service_points if p.is_active]
    return render_template(
        "surveys/manage/poster.html",
        points=active,
        qr={p.id: _inline_qr(p) for p in active},
        urls={p.id: survey_url(p) for p in active},
        form=EmptyForm(),
        single=False,
        unit=unit,
    )


def _attachment(body: bytes | str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/points/<int:point_id>/qr.png")
def qr_png_download(point_id: int) -> Any:
    point = point_in_scope(point_id)
    return _attachment(qr_png(survey_url(point), box_size=12), "image/png", f"{point.code}.png")


@bp.route("/points/<int:point_id>/qr.svg")
def qr_svg_download(point_id: int) -> Any:
    point = point_in_scope(point_id)
    return _attachment(qr_svg(survey_url(point)), "image/svg+xml", f"{point.code}.svg")


@bp.route("/points/<int:point_id>/regenerate", methods=["POST"])
def regenerate(point_id: int) -> Any:
    point = point_in_scope(point_id)
    if EmptyForm().validate_on_submit():
        regenerate_token(point)
        db.session.commit()
        flash(_("A new QR code was made; the old one now says it is no longer in use."), "success")
    return redirect(url_for(".poster", point_id=point.id))


@bp.route("/points/<int:point_id>/tickets", methods=["GET", "POST"])
def tickets(point_id: int) -> Any:
    point = point_in_scope(point_id)
    form = TicketBatchForm()
    if not form.validate_on_submit():
        return render_template("surveys/manage/tickets.html", point=point, form=form, codes=None)
    try:
        _batch, codes = channels.create_ticket_batch(point, form.size.data or 0, current_user.id)
    except DomainError as exc:
        db.session.rollback()
        form.size.errors = [*form.size.errors, str(exc)]
        return render_template("surveys/manage/tickets.html", point=point, form=form, codes=None)
    db.session.commit()
    if request.form.get("format") == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["code", "url"])
        writer.writerows([code, ticket_url(code)] for code in codes)
        response = _attachment(buffer.getvalue(), "text/csv", f"tickets-{point.code}.csv")
    else:
        urls = {code: ticket_url(code) for code in codes}
        response = Response(
            render_template(
                "surveys/manage/tickets.html", point=point, form=form, codes=codes, urls=urls
            )
        )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/points/<int:point_id>/kiosks", methods=["GET", "POST"])
def kiosks(point_id: int) -> Any:
    point = point_in_scope(point_id)
    form = KioskForm()
    key = None
    if form.validate_on_submit():
        _kiosk, key = channels.create_kiosk(point, form.name.data or "")
        db.session.commit()
    existing = db.session.scalars(
        select(Kiosk).where(Kiosk.service_point_id == point.id).order_by(Kiosk.created_at)
    ).all()
    response = Response(
        render_template(
            "surveys/manage/kiosks.html", point=point, form=form, kiosks=existing, key=key
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response
