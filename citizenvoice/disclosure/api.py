"""Open data: /api/v1/… (JSON and CSV) and /api/v1/openapi.json.

Read-only, anonymous, from published snapshots and rating rollups only. Lists take ``limit``
(1-1000, default 100) and ``offset`` (0-1,000,000,000) and ``format`` (json or csv); a bad
value is a 400 JSON answer. Every answer carries an ETag (304 on If-None-Match) and, where the
data come from a publication, Last-Modified.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from sqlalchemy import case, func, select

from citizenvoice.disclosure import opendata, services
from citizenvoice.disclosure.opendata import DATASETS, MIN_CELL
from citizenvoice.extensions import csrf, db
from citizenvoice.org.models import Service, ServicePoint, Unit
from citizenvoice.surveys.models import RatingRollup

bp = Blueprint("open_data", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000
MAX_VERSION = 1_000_000
_INTEGER = re.compile(r"^[0-9]{1,10}$")
_MONTH = re.compile(r"^(?!0000)([0-9]{4})-(0[1-9]|1[0-2])$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$")


class BadParameter(Exception):
    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name
        self.message = message


class Missing(Exception):
    pass


@bp.errorhandler(BadParameter)
def _bad_parameter(error: BadParameter) -> Any:
    return jsonify(
        error="The request could not be understood", status=400,
        detail=f"{error.name}: {error.message}",
    ), 400  # fmt: skip


@bp.errorhandler(Missing)
def _missing(error: Missing) -> Any:
    return jsonify(error="Page not found", status=404, detail=str(error) or None), 404


def _integer(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not _INTEGER.match(raw):
        raise BadParameter(name, f"must be a whole number from {low} to {high}")
    value = int(raw)
    if not low <= value <= high:
        raise BadParameter(name, f"must be a whole number from {low} to {high}")
    return value


def _paging() -> tuple[int, int]:
    return (
        _integer("limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        _integer("offset", 0, 0, MAX_OFFSET),
    )


def _format() -> str:
    value = request.args.get("format", "json")
    if value not in ("json", "csv"):
        raise BadParameter("format", "must be json or csv")
    return value


def _code(name: str, required: bool = False) -> str | None:
    raw = request.args.get(name)
    if raw is None:
        if required:
            raise BadParameter(name, "is required")
        return None
    if not _CODE.match(raw):
        raise BadParameter(name, "is not a valid code")
    return raw


def _version() -> int | None:
    if request.args.get("version") is None:
        return None
    return _integer("version", 1, 1, MAX_VERSION)


def dumps(data: Any) -> str:
    """JSON with ``<``, ``>`` and ``&`` escaped, so that no markup survives in any answer."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value


def conditional(
    response: Response,
    cache_control: str = "public, max-age=60",
    last_modified: datetime | None = None,
) -> Response:
    """An ETag from the body and caching headers; 304 when the client already has it."""
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:40])
    if last_modified is not None:
        response.last_modified = last_modified.replace(microsecond=0)
    response.headers["Cache-Control"] = cache_control
    response.make_conditional(request)
    return response


def _finish(response: Response, last_modified: datetime | None = None) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    return conditional(response, last_modified=last_modified)


def _csv(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        values = []
        for c in columns:
            value = _plain(row.get(c))
            if isinstance(value, bool):
                value = "true" if value else "false"
            values.append("" if value is None else value)
        writer.writerow(values)
    return out.getvalue()


def _listing(
    dataset: str,
    rows: Sequence[dict[str, Any]] | None = None,
    *,
    total: int | None = None,
    page: Callable[[int, int], Sequence[dict[str, Any]]] | None = None,
    last_modified: datetime | None = None,
) -> Response:
    """A page of a data set as JSON (with ``meta``) or CSV (``X-Total-Count``)."""
    fmt = _format()
    limit, offset = _paging()
    if page is not None:
        chosen = list(page(limit, offset))
    else:
        all_rows = list(rows or [])
        total = len(all_rows)
        chosen = all_rows[offset : offset + limit]
    total = int(total or 0)
    columns = DATASETS[dataset].columns
    chosen = [{c: _plain(row.get(c)) for c in columns} for row in chosen]
    next_offset = offset + limit if offset + limit < total else None
    if fmt == "csv":
        response = Response(_csv(columns, chosen), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'inline; filename="{dataset}.csv"'
    else:
        meta = {
            "dataset": dataset,
            "total": total,
            "limit": limit,
            "offset": offset,
            "next_offset": next_offset,
        }
        response = Response(
            dumps({"data": chosen, "meta": meta}),
            mimetype="application/json",
        )
    response.headers["X-Total-Count"] = str(total)
    if next_offset is not None:
        values: dict[str, Any] = dict(request.view_args or {})
        values.update((k, v) for k, v in request.args.items() if k != "offset")
        values["offset"] = next_offset
        link = url_for(request.endpoint or "", **values)
        response.headers["Link"] = f'<{link}>; rel="next"'
    return _finish(response, last_modified)


def _json(data: Any, last_modified: datetime | None = None) -> Response:
    response = Response(dumps(data), mimetype="application/json")
    return _finish(response, last_modified)


# ---------------------------------------------------------------- reference data


@bp.get("/")
def index() -> Response:
    return _json(
        {
            "title": "CitizenVoice open data",
            "openapi": url_for("open_data.openapi", _external=True),
            "dictionary": url_for("open_data.dictionary", _external=True),
            "datasets": {
                "units": url_for("open_data.units", _external=True),
                "services": url_for("open_data.services_list", _external=True),
                "service_points": url_for("open_data.points", _external=True),
                "cycles": url_for("open_data.cycles", _external=True),
                "publications": url_for("open_data.publications", _external=True),
                "closed_loop": url_for("open_data.closed_loop", _external=True),
                "commitments": url_for("open_data.commitments", _external=True),
                "appeals": url_for("open_data.appeals", _external=True),
                "rating_aggregates": url_for("open_data.rating_aggregates", _external=True),
            },
        }
    )


@bp.get("/units")
def units() -> Response:
    rows = db.session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.name_zh, Unit.kind, Unit.parent_id)
        .where(Unit.is_active.is_(True))
        .order_by(Unit.code)
    ).all()
    codes = {r.id: r.code for r in rows}
    return _listing(
        "units",
        [
            {
                "code": r.code,
                "name": r.name,
                "name_zh": r.name_zh,
                "kind": str(r.kind.value),
                "parent_code": codes.get(r.parent_id),
            }
            for r in rows
        ],
    )


@bp.get("/closed-loop")
def closed_loop() -> Response:
    """Case, commitment and appeal figures per active unit (casework)."""
    from citizenvoice.casework.figures import figures_per_unit

    rows = db.session.execute(
        select(Unit.id, Unit.code).where(Unit.is_active.is_(True)).order_by(Unit.code)
    ).all()
    per_unit = figures_per_unit([r.id for r in rows])
    return _listing(
        "closed_loop", [{"unit_code": r.code, **per_unit[r.id].as_dict()} for r in rows]
    )


@bp.get("/appeals")
def appeals() -> Response:
    """Appeals filed, upheld, rejected and pending per unit, published cycle and kind."""
    from citizenvoice.casework.models import Appeal, AppealStatus
    from citizenvoice.indicators.models import Cycle
    from citizenvoice.scoring.models import Publication

    def count(status: AppealStatus) -> Any:
        return func.count(case((Appeal.status == status, Appeal.id)))

    rows = db.session.execute(
        select(
            Unit.code.label("unit_code"),
            Cycle.code.label("cycle_code"),
            Appeal.kind,
            func.count(Appeal.id).label("filed"),
            count(AppealStatus.UPHELD).label("upheld"),
            count(AppealStatus.REJECTED).label("rejected"),
            count(AppealStatus.PENDING).label("pending"),
        )
        .join(Unit, Unit.id == Appeal.unit_id)
        .join(Cycle, Cycle.id == Appeal.cycle_id)
        .where(Cycle.id.in_(select(Publication.cycle_id)))
        .group_by(Unit.code, Cycle.code, Appeal.kind)
        .order_by(Cycle.code, Unit.code, Appeal.kind)
    ).all()
    return _listing(
        "appeals",
        [{**r._mapping, "kind": str(r.kind.value)} for r in rows],
    )


def _units_with_a_page(unit_code: str | None) -> dict[int, str]:
    """Id → code of the units whose commitments some public unit page lists.

    A unit's page lists its own and its sub-units' commitments, so that is every unit that is
    active or below an active one; with ``unit_code``, the units that one page lists.
    """
    rows = db.session.execute(select(Unit.id, Unit.code, Unit.parent_id, Unit.is_active)).all()
    codes = {r.id: r.code for r in rows}
    if unit_code is not None:
        unit = services.active_unit(unit_code)
        return {} if unit is None else {i: codes[i] for i in services.subtree_ids(unit.id)}
    by_id = {r.id: r for r in rows}
    shown: dict[int, str] = {}
    for r in rows:
        seen: set[int] = set()
        current: Any = r
        while current is not None and current.id not in seen:
            if current.is_active:
                shown[r.id] = r.code
                break
            seen.add(current.id)
            current = by_id.get(current.parent_id) if current.parent_id is not None else None
    return shown


def _commitment_status(progress: int, due_on: date, today: date) -> str:
    if progress == 100:
        return "completed"
    return "overdue" if due_on < today else "in_progress"


@bp.get("/commitments")
def commitments() -> Response:
    """The improvement commitments the public unit pages list, without anything internal."""
    from citizenvoice.casework.models import ImprovementPlan
    from citizenvoice.core.db import utcnow
    from citizenvoice.indicators.models import Cycle, IndicatorNode
    from citizenvoice.scoring.models import Publication

    units = _units_with_a_page(_code("unit"))
    _format()
    _paging()
    published = Cycle.id.in_(select(Publication.cycle_id))
    query = (
        select(
            ImprovementPlan.unit_id,
            ImprovementPlan.action,
            ImprovementPlan.due_on,
            ImprovementPlan.progress,
            ImprovementPlan.completed_at,
            ImprovementPlan.self_identified,
            Cycle.code.label("cycle_code"),
            published.label("is_published"),
            IndicatorNode.code.label("indicator_code"),
            IndicatorNode.name.label("indicator_name"),
            IndicatorNode.name_zh.label("indicator_name_zh"),
        )
        .join(Cycle, Cycle.id == ImprovementPlan.cycle_id)
        .join(IndicatorNode, IndicatorNode.id == ImprovementPlan.node_id)
        .where(ImprovementPlan.unit_id.in_(list(units)))
    )
    total = int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    today = utcnow().date()

    def row(r: Any) -> dict[str, Any]:
        public = bool(r.is_published)
        return {
            "unit_code": units[r.unit_id],
            "cycle_code": r.cycle_code if public else None,
            "indicator_code": r.indicator_code if public else None,
            "indicator_name": r.indicator_name if public else None,
            "indicator_name_zh": r.indicator_name_zh if public else None,
            "action": r.action,
            "due_on": r.due_on,
            "progress": int(r.progress),
            "status": _commitment_status(int(r.progress), r.due_on, today),
            "completed_on": r.completed_at.date() if r.completed_at else None,
            "self_identified": bool(r.self_identified),
        }

    def page(limit: int, offset: int) -> list[dict[str, Any]]:
        ordered = query.order_by(ImprovementPlan.due_on, ImprovementPlan.id)
        return [row(r) for r in db.session.execute(ordered.limit(limit).offset(offset))]

    return _listing("commitments", total=total, page=page)


@bp.get("/services")
def services_list() -> Response:
    rows = db.session.execute(
        select(Service.code, Service.name, Service.name_zh)
        .where(Service.is_active.is_(True))
        .order_by(Service.code)
    ).all()
    return _listing("services", [dict(r._mapping) for r in rows])


@bp.get("/service-points")
def points() -> Response:
    unit_code = _code("unit")
    query = (
        select(ServicePoint)
        .join(Unit, Unit.id == ServicePoint.unit_id)
        .where(ServicePoint.is_active.is_(True))
        .order_by(ServicePoint.code)
    )
    if unit_code:
        query = query.where(Unit.code == unit_code)
    rows = []
    for p in db.session.scalars(query):
        rows.append(
            {
                "code": p.code,
                "name": p.name,
                "name_zh": p.name_zh,
                "unit_code": p.unit.code,
                "address": p.address or "",
                "services": " ".join(s.code for s in p.services),
                "latitude": p.latitude,
                "longitude": p.longitude,
            }
        )
    return _listing("service_points", rows)


# ---------------------------------------------------------------- published results


def _published(code: str) -> services.PublishedCycle:
    if not _CODE.match(code):
        raise Missing("no such published cycle")
    published = services.published_cycle(code)
    if published is None:
        raise Missing("no such published cycle")
    return published


def _result_row(cycle_code: str, version: int, u: dict[str, Any]) -> dict[str, Any]:
    return {
        "cycle_code": cycle_code,
        "version": version,
        "unit_code": u.get("code"),
        "unit_name": u.get("name"),
        "unit_name_zh": u.get("name_zh"),
        "total": u.get("total"),
        "total_lower": u.get("lower"),
        "total_upper": u.get("upper"),
        "grade": u.get("grade"),
        "citizen_index": u.get("citizen_index"),
        "citizen_lower": u.get("citizen_lower"),
        "citizen_upper": u.get("citizen_upper"),
        "internal_score": u.get("internal_score"),
        "ratings_used": int(u.get("ratings_used") or 0),
        "ratings_flagged": int(u.get("ratings_flagged") or 0),
        "evaluators": int(u.get("evaluators") or 0),
        "is_divergent": bool(u.get("is_divergent")),
    }


@bp.get("/cycles")
def cycles() -> Response:
    found = services.published_cycles()
    rows = [
        {
            "code": c.cycle.code,
            "name": c.cycle.name,
            "name_zh": c.cycle.name_zh,
            "kind": c.cycle.kind.value,
            "period_start": c.cycle.period_start,
            "period_end": c.cycle.period_end,
            "latest_version": c.latest.version,
            "published_at": c.latest.published_at,
            "sha256": c.latest.sha256,
        }
        for c in found
    ]
    last = max((c.latest.published_at for c in found), default=None)
    return _listing("cycles", rows, last_modified=last)


def _chosen_version(published: services.PublishedCycle) -> Any:
    version = _version()
    publication = services.publication_version(published, version)
    if publication is None:
        raise Missing("no such publication version")
    return publication


@bp.get("/cycles/<code>/results")
def cycle_results(code: str) -> Response:
    published = _published(code)
    publication = _chosen_version(published)
    data = services.snapshot(publication)
    rows = [_result_row(code, publication.version, u) for u in data.get("units", [])]
    return _listing("results", rows, last_modified=publication.published_at)


@bp.get("/cycles/<code>/indicators")
def cycle_indicators(code: str) -> Response:
    published = _published(code)
    unit_code = _code("unit")
    publication = _chosen_version(published)
    data = services.snapshot(publication)
    nodes = {n["code"]: n for n in data.get("nodes", [])}
    order = {n["code"]: i for i, n in enumerate(data.get("nodes", []))}
    rows = []
    for u in data.get("units", []):
        if unit_code and u.get("code") != unit_code:
            continue
        indicators = u.get("indicators", {})
        for node_code in sorted(indicators, key=lambda c: order.get(c, 10**9)):
            r, node = indicators[node_code], nodes.get(node_code, {})
            rows.append(
                {
                    "cycle_code": code,
                    "version": publication.version,
                    "unit_code": u.get("code"),
                    "indicator_code": node_code,
                    "parent_code": node.get("parent"),
                    "kind": node.get("kind", "indicator"),
                    "indicator_name": node.get("name", ""),
                    "data_source": node.get("data_source"),
                    "weight": node.get("weight"),
                    "value": r.get("value"),
                    "score": r.get("score"),
                    "lower": r.get("lower"),
                    "upper": r.get("upper"),
                    "effective_weight": r.get("effective_weight"),
                    "global_weight": r.get("global_weight"),
                    "ratings_used": int(r.get("ratings_used") or 0),
                    "ratings_flagged": int(r.get("ratings_flagged") or 0),
                    "evaluators": int(r.get("evaluators") or 0),
                    "note": r.get("note") or "",
                }
            )
    return _listing("indicator_results", rows, last_modified=publication.published_at)


@bp.get("/cycles/<code>/snapshots/<int:version>")
def snapshot(code: str, version: int) -> Response:
    """The snapshot exactly as stored: its SHA-256 is the published hash."""
    published = _published(code)
    publication = services.publication_version(published, version)
    if publication is None:
        raise Missing("no such publication version")
    response = Response(publication.payload.encode("utf-8"), mimetype="application/json")
    response.set_etag(publication.sha256)
    response.last_modified = publication.published_at.replace(microsecond=0)
    response.headers["Cache-Control"] = "public, max-age=86400, immutable"
    # Served byte for byte (its hash is the published one), so names are not re-escaped here;
    # as a download with nosniff no browser treats it as a page.
    response.headers["Content-Disposition"] = f'attachment; filename="{code}-v{version}.json"'

    response.headers["Access-Control-Allow-Origin"] = "*"
    response.make_conditional(request)
    return response


@bp.get("/units/<code>/results")
def unit_results(code: str) -> Response:
    if not _CODE.match(code):
        raise Missing("no such unit")
    unit = services.active_unit(code)
    if unit is None:
        raise Missing("no such unit")
    found = services.published_cycles()
    rows = []
    for result in reversed(services.unit_trend(unit, found)):
        rows.append(_result_row(result.cycle.code, result.version, result.result))
    last = max((c.latest.published_at for c in found), default=None)
    return _listing("results", rows, last_modified=last)


@bp.get("/publications")
def publications() -> Response:
    records, _head = services.publication_record()
    rows = [
        {
            "cycle_code": r.cycle.code,
            "version": r.publication.version,
            "published_at": r.publication.published_at,
            "reason": r.publication.reason or "",
            "sha256": r.publication.sha256,
            "audit_seq": r.audit_seq,
            "audit_hash": r.audit_hash,
            "snapshot_url": url_for(
                "open_data.snapshot",
                code=r.cycle.code,
                version=r.publication.version,
                _external=True,
            ),
        }
        for r in records
    ]
    last = max((r.publication.published_at for r in records), default=None)
    return _listing("publications", rows, last_modified=last)


# ---------------------------------------------------------------- rating aggregates


def _month(name: str) -> str | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if not _MONTH.match(raw):
        raise BadParameter(name, "must be a month written YYYY-MM")
    return raw


def _month_expression() -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(RatingRollup.day, "YYYY-MM")
    return func.strftime("%Y-%m", RatingRollup.day)


_LEVEL_FIELDS = (
    "very_satisfied",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
    "very_dissatisfied",
)


def _aggregate_row(row: Any) -> dict[str, Any]:
    ratings = int(row.ratings or 0)
    levels = [int(v or 0) for v in row[5:10]]
    out: dict[str, Any] = {
        "point_code": row.point_code,
        "unit_code": row.unit_code,
        "month": str(row.month),
        "ratings": ratings,
    }
    small = ratings < MIN_CELL
    out["verified"] = None if small else int(row.verified or 0)
    for name, value in zip(_LEVEL_FIELDS, levels, strict=True):
        out[name] = None if small else value
    points = (100, 75, 50, 25, 0)
    out["mean_points"] = (
        None
        if small
        else round(sum(p * c for p, c in zip(points, levels, strict=True)) / ratings, 4)
    )
    return out


@bp.get("/rating-aggregates")
def rating_aggregates() -> Response:
    """Monthly counted ratings per service point, from the rollups (never single ratings)."""
    point_code, unit_code = _code("point"), _code("unit")
    since, until = _month("from"), _month("to")
    _format()
    _paging()
    month = _month_expression().label("month")
    columns = [func.sum(RatingRollup.__table__.c[n]) for n in services.LEVEL_COLUMNS]
    query = (
        select(
            ServicePoint.code.label("point_code"),
            Unit.code.label("unit_code"),
            month,
            func.sum(RatingRollup.ratings).label("ratings"),
            func.sum(RatingRollup.verified).label("verified"),
            *columns,
        )
        .join(ServicePoint, ServicePoint.id == RatingRollup.service_point_id)
        .join(Unit, Unit.id == ServicePoint.unit_id)
        .where(ServicePoint.is_active.is_(True))
        .group_by(ServicePoint.code, Unit.code, month)
    )
    if point_code:
        query = query.where(ServicePoint.code == point_code)
    if unit_code:
        query = query.where(Unit.code == unit_code)
    if since:
        query = query.where(RatingRollup.day >= date.fromisoformat(since + "-01"))
    if until:
        year, mon = int(until[:4]), int(until[5:])
        if (year, mon) < (9999, 12):
            query = query.where(RatingRollup.day < date(year + (mon == 12), mon % 12 + 1, 1))
    total = int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)

    def page(limit: int, offset: int) -> list[dict[str, Any]]:
        ordered = query.order_by(ServicePoint.code, month).limit(limit).offset(offset)
        return [_aggregate_row(r) for r in db.session.execute(ordered)]

    return _listing("rating_aggregates", total=total, page=page)


# ---------------------------------------------------------------- documentation


@bp.get("/dictionary")
def dictionary() -> Response:
    return _json(
        {
            name: {
                "title": d.title,
                "description": d.description,
                "fields": [
                    {
                        "name": f.name,
                        "type": f.type,
                        "nullable": f.nullable,
                        "format": f.format,
                        "description": f.description,
                    }
                    for f in d.fields
                ],
            }
            for name, d in DATASETS.items()
        }
    )


@bp.get("/openapi.json")
def openapi() -> Response:
    from citizenvoice.disclosure.openapi import document

    return _json(document(current_app.config.get("OPEN_DATA_SERVER", "/"), opendata))
