"""Import and export of a cycle's indicator tree as CSV or JSON, all rows or none.

CSV columns (header required; ``code``, ``kind``, ``name`` and ``weight`` must be filled):
``code, parent, kind, name, name_zh, weight, position, definition, unit_of_measure, direction,
target_value, criteria, data_source, survey_dimension, service_code, subject_weights, origin,
unit``. ``parent`` is the code of a category listed on an earlier line (or already in the
cycle); ``criteria`` is JSON; ``subject_weights`` reads ``public:30;service_users:30;…``;
``unit`` is the code of the unit an expected indicator belongs to.
JSON: ``{"cycle": code, "nodes": [{same keys; criteria and subject_weights as objects}]}``.
Imported nodes are proposed again: they go through consultation like any other.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from citizenvoice.core.errors import DomainError
from citizenvoice.extensions import db
from citizenvoice.indicators import services
from citizenvoice.indicators.models import (
    Cycle,
    DataSource,
    Direction,
    IndicatorNode,
    NodeKind,
    Origin,
)
from citizenvoice.org.models import Unit

COLUMNS = [
    "code", "parent", "kind", "name", "name_zh", "weight", "position", "definition",
    "unit_of_measure", "direction", "target_value", "criteria", "data_source",
    "survey_dimension", "service_code", "subject_weights", "origin", "unit",
]  # fmt: skip
REQUIRED = {"code", "kind", "name", "weight"}


class TreeImportFailed(DomainError):
    """The file has bad rows; nothing was written."""

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__(f"{len(errors)} bad row(s)")
        self.errors = errors


# ---------------------------------------------------------------- export


def _node_record(node: IndicatorNode) -> dict[str, Any]:
    unit_code = db.session.scalar(select(Unit.code).where(Unit.id == node.unit_id))
    record: dict[str, Any] = {
        "code": node.code,
        "parent": node.parent.code if node.parent else "",
        "kind": node.kind.value,
        "name": node.name,
        "name_zh": node.name_zh or "",
        "weight": node.weight,
        "position": node.position,
    }
    if node.is_indicator:
        record.update(
            definition=node.definition,
            unit_of_measure=node.unit_of_measure,
            direction=node.direction.value,
            target_value=node.target_value,
            criteria=node.criteria,
            data_source=node.data_source.value if node.data_source else "",
            survey_dimension=node.survey_dimension,
            service_code=node.service_code,
            subject_weights=node.subject_weights,
            origin=node.origin.value,
            unit=unit_code or "",
        )
    return record


def export_json(cycle: Cycle) -> str:
    nodes = [_node_record(n) for n in services.tree_nodes(cycle)]
    return json.dumps({"cycle": cycle.code, "nodes": nodes}, ensure_ascii=False, indent=2)


def _csv_cell(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "criteria":
        return json.dumps(value, sort_keys=True)
    if key == "subject_weights":
        return ";".join(f"{k}:{v:g}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def export_csv(cycle: Cycle) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for node in services.tree_nodes(cycle):
        record = _node_record(node)
        writer.writerow({k: _csv_cell(k, record.get(k)) for k in COLUMNS})
    return out.getvalue()


# ---------------------------------------------------------------- import


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = {(name or "").strip() for name in reader.fieldnames or []}
    if REQUIRED - header:
        raise TreeImportFailed([(1, "missing columns: " + ", ".join(sorted(REQUIRED - header)))])
    if header - set(COLUMNS):
        raise TreeImportFailed(
            [(1, "unknown columns: " + ", ".join(sorted(header - set(COLUMNS))))]
        )
    for values in reader:
        clean = {
            (k or "").strip(): (v or "").strip() for k, v in values.items() if isinstance(v, str)
        }
        yield reader.line_num, clean


def _json_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise TreeImportFailed([(1, f"not valid JSON: {exc}")]) from exc
    nodes = data.get("nodes") if isinstance(data, dict) else data
    if not isinstance(nodes, list):
        raise TreeImportFailed([(1, 'expected {"nodes": [...]}')])
    for number, item in enumerate(nodes, start=1):
        yield number, item if isinstance(item, dict) else {"_invalid": True}


def _number(value: Any, name: str, required: bool = False) -> float | None:
    if value in (None, ""):
        if required:
            raise ValueError(f"'{name}' is required")
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"'{name}' must be a number, not {value!r}") from exc


def _subject_weights(value: Any) -> dict[str, float]:
    if isinstance(value, dict):
        return {str(k): float(v) for k, v in value.items()}
    result: dict[str, float] = {}
    for part in str(value or "").split(";"):
        if not part.strip():
            continue
        name, _sep, weight = part.partition(":")
        result[name.strip()] = float(weight)
    return result


def _criteria(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    parsed = json.loads(value) if value else {"kind": "direct"}
    if not isinstance(parsed, dict):
        raise ValueError("'criteria' must be a JSON object")
    return parsed


def _enum_value(kind: Any, value: Any, name: str, default: Any = None) -> Any:
    if value in (None, ""):
        if default is None:
            raise ValueError(f"'{name}' is required")
        return default
    try:
        return kind(str(value).strip())
    except ValueError as exc:
        allowed = ", ".join(k.value for k in kind)
        raise ValueError(f"'{name}' must be one of: {allowed}") from exc


def _row_fields(
    row: dict[str, Any], created: dict[str, IndicatorNode]
) -> tuple[NodeKind, services.NodeFields, Origin, int | None]:
    if row.get("_invalid"):
        raise ValueError("each node must be an object")
    kind = _enum_value(NodeKind, row.get("kind"), "kind")
    parent_code = str(row.get("parent") or "").strip()
    parent = created.get(parent_code) if parent_code else None
    if parent_code and parent is None:
        raise ValueError(f"unknown parent '{parent_code}' (list categories before their children)")
    fields = services.NodeFields(
        code=str(row.get("code") or ""),
        name=str(row.get("name") or ""),
        name_zh=str(row.get("name_zh") or "") or None,
        weight=_number(row.get("weight"), "weight", required=True) or 0.0,
        parent_id=parent.id if parent else None,
        position=int(_number(row.get("position"), "position") or 0),
    )
    if not fields.name.strip():
        raise ValueError("'name' is required")
    origin, unit_id = Origin.CONSTRAINED, None
    if kind is NodeKind.INDICATOR:
        fields.definition = str(row.get("definition") or "")
        fields.unit_of_measure = str(row.get("unit_of_measure") or "")
        fields.direction = _enum_value(
            Direction, row.get("direction"), "direction", Direction.HIGHER
        )
        fields.target_value = _number(row.get("target_value"), "target_value")
        fields.criteria = _criteria(row.get("criteria"))
        fields.data_source = _enum_value(DataSource, row.get("data_source"), "data_source")
        fields.survey_dimension = str(row.get("survey_dimension") or "")
        fields.service_code = str(row.get("service_code") or "")
        fields.subject_weights = _subject_weights(row.get("subject_weights"))
        origin = _enum_value(Origin, row.get("origin"), "origin", Origin.CONSTRAINED)
        unit_code = str(row.get("unit") or "").strip()
        if unit_code:
            unit_id = db.session.scalar(select(Unit.id).where(Unit.code == unit_code))
            if unit_id is None:
                raise ValueError(f"unknown unit '{unit_code}'")
    return kind, fields, origin, unit_id


def import_tree(cycle: Cycle, text: str, fmt: str, user_id: int | None) -> int:
    """Add the file's nodes to the cycle; raises TreeImportFailed with every bad line."""
    services.check_tree_editable(cycle)
    if "\x00" in text:
        raise TreeImportFailed([(1, "the file contains NUL bytes")])
    rows = _json_rows(text) if fmt == "json" else _csv_rows(text)
    created = {n.code: n for n in services.tree_nodes(cycle) if not n.is_indicator}
    errors: list[tuple[int, str]] = []
    count = 0
    for line, row in rows:
        try:
            kind, fields, origin, unit_id = _row_fields(row, created)
            node = services.create_node(cycle, kind, fields, user_id, origin, unit_id)
        except (ValueError, TypeError) as exc:
            errors.append((line, str(exc)))
            continue
        except DomainError as exc:
            errors.append((line, str(exc)))
            continue
        count += 1
        if not node.is_indicator:
            created[node.code] = node
    if errors:
        raise TreeImportFailed(errors)
    if count == 0:
        raise TreeImportFailed([(1, "the file has no rows")])
    return count
