"""The staff's view of ratings: filtered, scoped, paginated, and as CSV (no hashes, no contacts)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from citizenvoice.extensions import db
from citizenvoice.org.models import Service, ServicePoint, Unit
from citizenvoice.surveys.models import FlagStatus, Question, Rating, RatingAnswer, RatingFlag

PER_PAGE = 50
CSV_CHUNK = 1000


@dataclass
class StreamFilter:
    #: None means every unit (managers); otherwise the unit ids the official may see.
    unit_ids: set[int] | None = None
    point_id: int | None = None
    service_id: int | None = None
    since: date | None = None
    until: date | None = None


def parse_day(text: str | None) -> date | None:
    """A YYYY-MM-DD date, or None when empty or malformed."""
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _query(filters: StreamFilter) -> Select[Any]:
    query = select(Rating).join(ServicePoint, Rating.service_point_id == ServicePoint.id)
    if filters.unit_ids is not None:
        query = query.where(ServicePoint.unit_id.in_(filters.unit_ids or {-1}))
    if filters.point_id:
        query = query.where(Rating.service_point_id == filters.point_id)
    if filters.service_id:
        query = query.where(Rating.service_id == filters.service_id)
    if filters.since:
        query = query.where(Rating.created_at >= datetime.combine(filters.since, time()))
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time())
        query = query.where(Rating.created_at < end)
    return query


def page_of_ratings(filters: StreamFilter, page: int) -> tuple[list[Rating], int]:
    """One page of ratings, newest first, and the total number matching the filter."""
    query = _query(filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.options(
            selectinload(Rating.flags),
            selectinload(Rating.service_point),
            selectinload(Rating.service),
        )
        .order_by(Rating.created_at.desc(), Rating.id.desc())
        .limit(PER_PAGE)
        .offset((max(page, 1) - 1) * PER_PAGE)
    ).all()
    return list(rows), total


def visible_points(unit_ids: set[int] | None) -> list[ServicePoint]:
    query = select(ServicePoint).order_by(ServicePoint.name)
    if unit_ids is not None:
        query = query.where(ServicePoint.unit_id.in_(unit_ids or {-1}))
    return list(db.session.scalars(query))


CSV_COLUMNS = [
    "created_at",
    "unit",
    "service_point",
    "service",
    "survey_version",
    "overall",
    "answers",
    "is_verified",
    "is_counted",
    "flags",
    "comment",
    "has_contact",
]


def _csv_safe(text: str) -> str:
    """Defuse spreadsheet formulas in free text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_lines(filters: StreamFilter) -> Iterator[str]:
    """The ratings as CSV, in chunks of rows (masked comments only; no hashes, no contacts)."""
    codes = dict(db.session.execute(select(Question.id, Question.code)).tuples().all())
    units = dict(db.session.execute(select(Unit.id, Unit.code)).tuples().all())
    services = dict(db.session.execute(select(Service.id, Service.code)).tuples().all())
    points = {p.id: p for p in db.session.scalars(select(ServicePoint))}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    last_id = None
    query = _query(filters).order_by(Rating.id.desc())
    while True:
        chunk_query = query if last_id is None else query.where(Rating.id < last_id)
        chunk = db.session.scalars(
            chunk_query.options(selectinload(Rating.flags), selectinload(Rating.answers)).limit(
                CSV_CHUNK
            )
        ).all()
        for rating in chunk:
            point = points[rating.service_point_id]
            answers = ";".join(f"{codes.get(a.question_id)}={a.value}" for a in rating.answers)
            writer.writerow(
                [
                    rating.created_at.isoformat(timespec="seconds"),
                    units.get(point.unit_id, ""),
                    point.code,
                    services.get(rating.service_id or 0, ""),
                    rating.survey_version_id,
                    rating.overall,
                    answers,
                    int(rating.is_verified),
                    int(rating.is_counted),
                    ";".join(f"{f.kind.value}:{f.status.value}" for f in rating.flags),
                    _csv_safe(rating.comment_masked or ""),
                    int(rating.has_contact),
                ]
            )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(chunk) < CSV_CHUNK:
            return
        last_id = chunk[-1].id
        db.session.expunge_all()


def open_flags(page: int) -> tuple[list[RatingFlag], int]:
    """Open flags, oldest first, for the review queue."""
    query = select(RatingFlag).where(RatingFlag.status == FlagStatus.OPEN)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    flags = db.session.scalars(
        query.options(selectinload(RatingFlag.rating).selectinload(Rating.service_point))
        .order_by(RatingFlag.created_at, RatingFlag.id)
        .limit(PER_PAGE)
        .offset((max(page, 1) - 1) * PER_PAGE)
    ).all()
    return list(flags), total


def answer_values(rating: Rating) -> list[tuple[Question, int]]:
    rows = db.session.execute(
        select(Question, RatingAnswer.value)
        .join(RatingAnswer, RatingAnswer.question_id == Question.id)
        .where(RatingAnswer.rating_id == rating.id)
        .order_by(Question.position)
    ).tuples()
    return list(rows.all())
