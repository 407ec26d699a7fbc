"""Units, service points and services: create, edit, deactivate (never delete), import."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from citizenvoice.core.errors import DomainError, NotFound
from citizenvoice.extensions import db
from citizenvoice.org.hours import HoursError, hours_json
from citizenvoice.org.models import RetiredPointToken, Service, ServicePoint, Unit, UnitKind
from citizenvoice.surveys.qr import new_point_token

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


class OrgError(DomainError):
    """A unit, service point or service cannot be saved as given."""


def check_code(code: str) -> str:
    code = code.strip().lower()
    if not CODE_PATTERN.match(code):
        raise OrgError(_l("Codes use lower-case letters, digits and hyphens (at most 60)."))
    return code


def get_unit(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound()
    return unit


def unit_by_code(code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def descendant_ids(unit_id: int) -> set[int]:
    """The unit and every unit below it (a recursive query, one round trip)."""
    tree = select(Unit.id).where(Unit.id == unit_id).cte("tree", recursive=True)
    tree = tree.union_all(select(Unit.id).where(Unit.parent_id == tree.c.id))
    return set(db.session.scalars(select(tree.c.id)))


def _check_parent(unit: Unit | None, parent_id: int | None) -> None:
    if parent_id is None:
        return
    get_unit(parent_id)
    if unit is not None and unit.id is not None and parent_id in descendant_ids(unit.id):
        raise OrgError(_l("A unit cannot be placed under itself or one of its sub-units."))


def create_unit(
    code: str,
    name: str,
    kind: UnitKind,
    parent_id: int | None = None,
    name_zh: str | None = None,
    description: str = "",
) -> Unit:
    code = check_code(code)
    if unit_by_code(code):
        raise OrgError(_l("Another unit already uses this code."))
    _check_parent(None, parent_id)
    unit = Unit(
        code=code,
        name=name.strip(),
        name_zh=(name_zh or "").strip() or None,
        kind=kind,
        parent_id=parent_id,
        description=description.strip(),
    )
    db.session.add(unit)
    db.session.flush()
    return unit


def update_unit(
    unit: Unit,
    name: str,
    kind: UnitKind,
    parent_id: int | None,
    name_zh: str | None,
    description: str,
) -> Unit:
    _check_parent(unit, parent_id)
    unit.name, unit.kind, unit.parent_id = name.strip(), kind, parent_id
    unit.name_zh = (name_zh or "").strip() or None
    unit.description = description.strip()
    db.session.flush()
    return unit


def set_unit_active(unit: Unit, active: bool) -> None:
    unit.is_active = active
    db.session.flush()


def get_point(point_id: int) -> ServicePoint:
    point = db.session.get(ServicePoint, point_id)
    if point is None:
        raise NotFound()
    return point


def point_by_code(code: str) -> ServicePoint | None:
    return db.session.scalar(select(ServicePoint).where(ServicePoint.code == code))


def _services(service_ids: Iterable[int]) -> list[Service]:
    ids = list(service_ids)
    if not ids:
        return []
    return list(db.session.scalars(select(Service).where(Service.id.in_(ids))))


def _hours(text: str) -> str:
    try:
        return hours_json(text)
    except HoursError as exc:
        raise OrgError(
            _l(
                'Opening hours look like "mon-fri 08:30-12:00,13:30-17:30; sat 09:00-12:00" '
                "(problem near: %(part)s).",
                part=str(exc),
            )
        ) from exc


@dataclass
class PointFields:
    name: str
    name_zh: str | None = None
    address: str = ""
    opening_hours: str = ""
    latitude: float | None = None
    longitude: float | None = None
    service_ids: list[int] = field(default_factory=list)


def _check_coordinates(fields: PointFields) -> None:
    if (fields.latitude is None) != (fields.longitude is None):
        raise OrgError(_l("Give both latitude and longitude, or neither."))
    if fields.latitude is not None and not (-90 <= fields.latitude <= 90):
        raise OrgError(_l("Latitude must be between -90 and 90."))
    if fields.longitude is not None and not (-180 <= fields.longitude <= 180):
        raise OrgError(_l("Longitude must be between -180 and 180."))


def _apply_point_fields(point: ServicePoint, fields: PointFields) -> None:
    _check_coordinates(fields)
    point.name = fields.name.strip()
    point.name_zh = (fields.name_zh or "").strip() or None
    point.address = fields.address.strip()
    point.opening_hours = _hours(fields.opening_hours)
    point.latitude, point.longitude = fields.latitude, fields.longitude
    point.services = _services(fields.service_ids)


def create_point(unit_id: int, code: str, fields: PointFields) -> ServicePoint:
    code = check_code(code)
    get_unit(unit_id)
    if point_by_code(code):
        raise OrgError(_l("Another service point already uses this code."))
    point = ServicePoint(unit_id=unit_id, code=code, token=new_point_token())
    _apply_point_fields(point, fields)
    db.session.add(point)
    db.session.flush()
    return point


def update_point(point: ServicePoint, fields: PointFields) -> ServicePoint:
    _apply_point_fields(point, fields)
    db.session.flush()
    return point


def set_point_active(point: ServicePoint, active: bool) -> None:
    point.is_active = active
    db.session.flush()


def regenerate_token(point: ServicePoint) -> str:
    """Give the point a new QR token; the old one is retired and answers 410 from now on."""
    db.session.add(RetiredPointToken(token=point.token, service_point_id=point.id))
    point.token = new_point_token()
    db.session.flush()
    return point.token


def create_service(
    code: str, name: str, name_zh: str | None = None, description: str = ""
) -> Service:
    code = check_code(code)
    if db.session.scalar(select(Service).where(Service.code == code)):
        raise OrgError(_l("Another service already uses this code."))
    service = Service(
        code=code,
        name=name.strip(),
        name_zh=(name_zh or "").strip() or None,
        description=description.strip(),
    )
    db.session.add(service)
    db.session.flush()
    return service


def update_service(
    service: Service, name: str, name_zh: str | None, description: str, active: bool
) -> None:
    service.name, service.description, service.is_active = name.strip(), description.strip(), active
    service.name_zh = (name_zh or "").strip() or None
    db.session.flush()
