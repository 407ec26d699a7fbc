"""CSV import of units and service points: every bad row reported, nothing written if any is bad.

Columns (header required): ``type`` (unit or point), ``code``, ``name``, ``name_zh``, ``parent``
(for a unit its parent unit's code, for a point its unit's code), ``kind`` (units only),
``address``, ``opening_hours``, ``latitude``, ``longitude`` (points only). Existing codes are
updated, new ones created.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from citizenvoice.core.errors import DomainError
from citizenvoice.extensions import db
from citizenvoice.org import services
from citizenvoice.org.hours import HoursError, parse_hours
from citizenvoice.org.models import Unit, UnitKind

REQUIRED_COLUMNS = {"type", "code", "name", "parent"}
COLUMNS = REQUIRED_COLUMNS | {
    "name_zh",
    "kind",
    "address",
    "opening_hours",
    "latitude",
    "longitude",
}
MAX_FIELD = 300


@dataclass
class Row:
    line: int
    values: dict[str, str]

    def get(self, key: str) -> str:
        return (self.values.get(key) or "").strip()


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


class ImportFailed(DomainError):
    """The file has bad rows; nothing was written."""

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__(f"{len(errors)} bad row(s)")
        self.errors = errors


def read_rows(text: str) -> tuple[list[Row], list[tuple[int, str]]]:
    if "\x00" in text:
        return [], [(1, "the file contains NUL bytes")]
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = {name.strip() for name in (reader.fieldnames or []) if name}
    missing = REQUIRED_COLUMNS - header
    if missing:
        return [], [(1, "missing columns: " + ", ".join(sorted(missing)))]
    unknown = header - COLUMNS
    if unknown:
        return [], [(1, "unknown columns: " + ", ".join(sorted(unknown)))]
    rows = []
    for values in reader:
        clean = {(k or "").strip(): (v if isinstance(v, str) else "") for k, v in values.items()}
        rows.append(Row(reader.line_num, clean))
    return rows, []


def _row_problems(row: Row, unit_codes: set[str]) -> list[str]:
    problems = []
    kind = row.get("type")
    if kind not in ("unit", "point"):
        problems.append('type must be "unit" or "point"')
    if not services.CODE_PATTERN.match(row.get("code").lower()):
        problems.append("code must use lower-case letters, digits and hyphens")
    if not row.get("name"):
        problems.append("name is required")
    if any(len(v or "") > MAX_FIELD for v in row.values.values()):
        problems.append(f"a field is longer than {MAX_FIELD} characters")
    parent = row.get("parent").lower()
    if kind == "unit":
        if row.get("kind") not in {k.value for k in UnitKind}:
            problems.append("kind must be one of " + ", ".join(k.value for k in UnitKind))
        if parent and parent not in unit_codes:
            problems.append(f'parent unit "{parent}" is not known')
    elif kind == "point":
        if parent not in unit_codes:
            problems.append(f'unit "{parent}" is not known')
        problems.extend(_point_problems(row))
    return problems


def _point_problems(row: Row) -> list[str]:
    problems = []
    try:
        parse_hours(row.get("opening_hours"))
    except HoursError as exc:
        problems.append(f"opening hours cannot be read near {exc}")
    lat, lon = row.get("latitude"), row.get("longitude")
    if bool(lat) != bool(lon):
        problems.append("give both latitude and longitude, or neither")
    try:
        if (lat and not -90 <= float(lat) <= 90) or (lon and not -180 <= float(lon) <= 180):
            problems.append("coordinates are out of range")
    except ValueError:
        problems.append("coordinates must be numbers")
    return problems


def _parent_cycles(rows: list[Row]) -> list[tuple[int, str]]:
    parents = {
        r.get("code").lower(): r.get("parent").lower() for r in rows if r.get("type") == "unit"
    }
    errors = []
    for row in rows:
        code, seen = row.get("code").lower(), set()
        while code in parents and code not in seen:
            seen.add(code)
            code = parents[code]
        if code in seen and row.get("type") == "unit":
            errors.append((row.line, "units form a cycle through their parents"))
    return errors


def validate(rows: list[Row]) -> list[tuple[int, str]]:
    existing = set(db.session.scalars(select(Unit.code)))
    in_file = {r.get("code").lower() for r in rows if r.get("type") == "unit"}
    errors: list[tuple[int, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row.get("type"), row.get("code").lower())
        if key in seen:
            errors.append((row.line, f"code repeats line {seen[key]}"))
        seen.setdefault(key, row.line)
        errors.extend((row.line, p) for p in _row_problems(row, existing | in_file))
    return errors + _parent_cycles(rows)


def _ordered_units(rows: list[Row]) -> list[Row]:
    """Units with parents first (the file may list them in any order; cycles were refused)."""
    units = {r.get("code").lower(): r for r in rows if r.get("type") == "unit"}
    ordered: list[Row] = []
    done: set[str] = set()

    def visit(code: str) -> None:
        stack = []
        while code in units and code not in done:
            stack.append(code)
            code = units[code].get("parent").lower()
        for item in reversed(stack):
            done.add(item)
            ordered.append(units[item])

    for code in units:
        visit(code)
    return ordered


def _apply_unit(row: Row) -> bool:
    parent = services.unit_by_code(row.get("parent").lower()) if row.get("parent") else None
    parent_id = parent.id if parent else None
    unit = services.unit_by_code(row.get("code").lower())
    kind = UnitKind(row.get("kind"))
    if unit is None:
        services.create_unit(row.get("code"), row.get("name"), kind, parent_id, row.get("name_zh"))
        return True
    services.update_unit(
        unit, row.get("name"), kind, parent_id, row.get("name_zh"), unit.description
    )
    return False


def _apply_point(row: Row) -> bool:
    unit = services.unit_by_code(row.get("parent").lower())
    assert unit is not None  # checked by validate()
    lat, lon = row.get("latitude"), row.get("longitude")
    point = services.point_by_code(row.get("code").lower())
    fields = services.PointFields(
        name=row.get("name"),
        name_zh=row.get("name_zh"),
        address=row.get("address"),
        opening_hours=row.get("opening_hours"),
        latitude=float(lat) if lat else None,
        longitude=float(lon) if lon else None,
        service_ids=[s.id for s in point.services] if point else [],
    )
    if point is None:
        services.create_point(unit.id, row.get("code"), fields)
        return True
    point.unit_id = unit.id
    services.update_point(point, fields)
    return False


def import_units(text: str, progress: Callable[[int], None] | None = None) -> ImportReport:
    """Validate every row, then write them all, or raise :class:`ImportFailed` and write nothing."""
    rows, errors = read_rows(text)
    errors = errors or validate(rows)
    if errors:
        raise ImportFailed(sorted(errors))
    report = ImportReport()
    ordered: Iterable[Row] = _ordered_units(rows) + [r for r in rows if r.get("type") == "point"]
    for row in ordered:
        created = _apply_unit(row) if row.get("type") == "unit" else _apply_point(row)
        report.created += created
        report.updated += not created
        if progress:
            progress(1)
    return report
