"""Staff pages for units, service points and services (/manage/org)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import roles_required, staff_blueprint
from citizenvoice.core.errors import DomainError
from citizenvoice.core.forms import EmptyForm
from citizenvoice.extensions import db
from citizenvoice.org import importer, services
from citizenvoice.org.forms import ImportForm, PointForm, ServiceForm, UnitForm
from citizenvoice.org.hours import format_hours, hours_from_json
from citizenvoice.org.models import Service, ServicePoint, Unit, UnitKind

bp = staff_blueprint(
    "org_manage", __name__, "/manage/org", {Role.ADMIN, Role.MANAGER, Role.UNIT_OFFICIAL}
)
MANAGERS = (Role.ADMIN, Role.MANAGER)


def visible_unit_ids() -> set[int] | None:
    """None means every unit; a unit official sees their unit and its sub-units."""
    if current_user.role is Role.UNIT_OFFICIAL:
        return services.descendant_ids(current_user.unit_id) if current_user.unit_id else set()
    return None


def _unit_in_scope(unit_id: int) -> Unit:
    scope = visible_unit_ids()
    if scope is not None and unit_id not in scope:
        abort(404)
    return services.get_unit(unit_id)


def _unit_choices(scope: set[int] | None, blank: bool) -> list[tuple[int, str]]:
    query = select(Unit).order_by(Unit.name)
    if scope is not None:
        query = query.where(Unit.id.in_(scope))
    choices = [(0, _("(none — top of the tree)"))] if blank else []
    return choices + [(u.id, u.name) for u in db.session.scalars(query)]


@bp.route("/")
@bp.route("/units")
def units() -> Any:
    scope = visible_unit_ids()
    query = select(Unit).order_by(Unit.name)
    if scope is not None:
        query = query.where(Unit.id.in_(scope))
    all_units = list(db.session.scalars(query))
    ids = {u.id for u in all_units}
    roots = [u for u in all_units if u.parent_id not in ids]
    return render_template(
        "org/units.html",
        roots=roots,
        visible=ids,
        can_edit=current_user.role in MANAGERS,
        action_form=EmptyForm(),
    )


@bp.route("/units/<int:unit_id>")
def unit_detail(unit_id: int) -> Any:
    unit = _unit_in_scope(unit_id)
    return render_template(
        "org/unit_detail.html",
        unit=unit,
        action_form=EmptyForm(),
        can_edit=current_user.role in MANAGERS,
    )


def _save_unit(form: UnitForm, unit: Unit | None) -> Unit:
    parent_id = form.parent_id.data or None
    kind = UnitKind(form.kind.data)
    if unit is None:
        return services.create_unit(
            form.code.data or "",
            form.name.data or "",
            kind,
            parent_id,
            form.name_zh.data,
            form.description.data or "",
        )
    return services.update_unit(
        unit, form.name.data or "", kind, parent_id, form.name_zh.data, form.description.data or ""
    )


@bp.route("/units/new", methods=["GET", "POST"], endpoint="unit_new")
@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"], endpoint="unit_edit")
@roles_required(*MANAGERS)
def unit_form(unit_id: int | None = None) -> Any:
    unit = services.get_unit(unit_id) if unit_id else None
    form = UnitForm(obj=unit)
    form.parent_id.choices = _unit_choices(None, blank=True)
    if unit is not None and request.method == "GET":
        form.parent_id.data = unit.parent_id or 0
        form.kind.data = unit.kind.value
    if unit is not None:
        form.code.data = unit.code
    if form.validate_on_submit():
        try:
            unit = _save_unit(form, unit)
        except DomainError as exc:
            db.session.rollback()
            form.name.errors = [*form.name.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("The unit was saved."), "success")
            return redirect(url_for(".unit_detail", unit_id=unit.id))
    return render_template("org/unit_form.html", form=form, unit=unit)


@bp.route("/units/<int:unit_id>/active", methods=["POST"])
@roles_required(*MANAGERS)
def unit_active(unit_id: int) -> Any:
    unit = services.get_unit(unit_id)
    if EmptyForm().validate_on_submit():
        services.set_unit_active(unit, request.form.get("active") == "1")
        db.session.commit()
        flash(
            _("The unit is active.")
            if unit.is_active
            else _("The unit was deactivated; its history is kept."),
            "success",
        )
    return redirect(url_for(".unit_detail", unit_id=unit.id))


def _point_fields(form: PointForm) -> services.PointFields:
    return services.PointFields(
        name=form.name.data or "",
        name_zh=form.name_zh.data,
        address=form.address.data or "",
        opening_hours=form.opening_hours.data or "",
        latitude=form.latitude.data,
        longitude=form.longitude.data,
        service_ids=list(form.service_ids.data or []),
    )


def _point_in_scope(point_id: int) -> ServicePoint:
    point = services.get_point(point_id)
    _unit_in_scope(point.unit_id)
    return point


@bp.route("/points/new", methods=["GET", "POST"], endpoint="point_new")
@bp.route("/points/<int:point_id>/edit", methods=["GET", "POST"], endpoint="point_edit")
def point_form(point_id: int | None = None) -> Any:
    point = _point_in_scope(point_id) if point_id else None
    unit_id = point.unit_id if point else request.args.get("unit", type=int)
    if unit_id is None:
        abort(404)
    unit = _unit_in_scope(unit_id)
    form = PointForm(obj=point)
    form.service_ids.choices = [
        (s.id, s.name)
        for s in db.session.scalars(
            select(Service).where(Service.is_active.is_(True)).order_by(Service.name)
        )
    ]
    if point is not None:
        form.code.data = point.code
        if request.method == "GET":
            form.opening_hours.data = format_hours(hours_from_json(point.opening_hours))
            form.service_ids.data = [s.id for s in point.services]
    if form.validate_on_submit():
        try:
            if point is None:
                point = services.create_point(unit.id, form.code.data or "", _point_fields(form))
            else:
                services.update_point(point, _point_fields(form))
        except DomainError as exc:
            db.session.rollback()
            form.name.errors = [*form.name.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("The service point was saved."), "success")
            return redirect(url_for(".unit_detail", unit_id=unit.id))
    return render_template("org/point_form.html", form=form, point=point, unit=unit)


@bp.route("/points/<int:point_id>/active", methods=["POST"])
def point_active(point_id: int) -> Any:
    point = _point_in_scope(point_id)
    if EmptyForm().validate_on_submit():
        services.set_point_active(point, request.form.get("active") == "1")
        db.session.commit()
        flash(_("The service point was updated."), "success")
    return redirect(url_for(".unit_detail", unit_id=point.unit_id))


@bp.route("/services")
@roles_required(*MANAGERS)
def service_list() -> Any:
    items = db.session.scalars(select(Service).order_by(Service.name)).all()
    return render_template("org/services.html", services=items)


@bp.route("/services/new", methods=["GET", "POST"], endpoint="service_new")
@bp.route("/services/<int:service_id>/edit", methods=["GET", "POST"], endpoint="service_edit")
@roles_required(*MANAGERS)
def service_form(service_id: int | None = None) -> Any:
    service = db.session.get(Service, service_id) if service_id else None
    if service_id and service is None:
        abort(404)
    form = ServiceForm(obj=service)
    if service is not None:
        form.code.data = service.code
    if form.validate_on_submit():
        try:
            if service is None:
                services.create_service(
                    form.code.data or "",
                    form.name.data or "",
                    form.name_zh.data,
                    form.description.data or "",
                )
            else:
                services.update_service(
                    service,
                    form.name.data or "",
                    form.name_zh.data,
                    form.description.data or "",
                    service.is_active,
                )
        except DomainError as exc:
            db.session.rollback()
            form.code.errors = [*form.code.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("The service was saved."), "success")
            return redirect(url_for(".service_list"))
    return render_template("org/service_form.html", form=form, service=service)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def import_csv() -> Any:
    form = ImportForm()
    errors: list[tuple[int, str]] = []
    if form.validate_on_submit():
        raw = form.file.data.read()
        try:
            report = importer.import_units(raw.decode("utf-8"))
        except UnicodeDecodeError:
            errors = [(1, _("The file is not UTF-8 text."))]
        except importer.ImportFailed as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash(
                _(
                    "Imported: %(created)s created, %(updated)s updated.",
                    created=report.created,
                    updated=report.updated,
                ),
                "success",
            )
            return redirect(url_for(".units"))
    return render_template("org/import.html", form=form, errors=errors)
