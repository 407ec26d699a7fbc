"""What the public pages and the open data read: rollups and published snapshots only.

Nothing here reads the ratings table except :func:`public_comments` (masked comments, one page
at a time, through the point/time index) and :func:`replied_comments` (the few latest cases
with a public reply, each joined to its one rating by primary key). Published snapshots are
immutable, so their parsed payloads are cached by (publication id, SHA-256).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import defer

from citizenvoice.audit.models import AuditEntry
from citizenvoice.audit.services import chain_head
from citizenvoice.audit.services import verify as verify_chain
from citizenvoice.casework.models import Case
from citizenvoice.extensions import db
from citizenvoice.indicators.models import Cycle, IndicatorNode, TargetOverride
from citizenvoice.org.models import Service, ServicePoint, Unit
from citizenvoice.scoring.assembly import sha256_hex
from citizenvoice.scoring.models import Publication
from citizenvoice.scoring.stats import DEFAULT_MIN_SAMPLE, SATISFACTION_LEVELS, satisfaction_index
from citizenvoice.surveys.models import Rating, RatingRollup

#: Rollup level columns, best level first (the order of ``stats.SATISFACTION_LEVELS``).
LEVEL_COLUMNS = ("level_5", "level_4", "level_3", "level_2", "level_1")
SEARCH_MAX = 100
SEARCH_LIMIT = 25


# ---------------------------------------------------------------- published snapshots


@lru_cache(maxsize=32)
def _parsed(publication_id: int, sha256: str, payload: str) -> dict[str, Any]:
    del publication_id, sha256  # part of the cache key only
    value = json.loads(payload)
    return value if isinstance(value, dict) else {}


def snapshot(publication: Publication) -> dict[str, Any]:
    """The parsed payload of a publication (cached: snapshots never change)."""
    return _parsed(publication.id, publication.sha256, publication.payload)


@dataclass(frozen=True)
class PublishedCycle:
    """A cycle that has at least one publication, with its latest version."""

    cycle: Cycle
    latest: Publication
    versions: tuple[Publication, ...]

    @property
    def data(self) -> dict[str, Any]:
        return snapshot(self.latest)

    def unit(self, code: str) -> dict[str, Any] | None:
        return next((u for u in self.data.get("units", []) if u.get("code") == code), None)


def published_cycles() -> list[PublishedCycle]:
    """Every cycle with a publication, newest period first. Unpublished cycles never appear."""
    by_cycle: dict[int, list[Publication]] = defaultdict(list)
    query = select(Publication).options(defer(Publication.payload)).order_by(Publication.version)
    for publication in db.session.scalars(query):
        by_cycle[publication.cycle_id].append(publication)
    if not by_cycle:
        return []
    cycles = db.session.scalars(
        select(Cycle)
        .where(Cycle.id.in_(by_cycle))
        .order_by(Cycle.period_start.desc(), Cycle.id.desc())
    )
    return [PublishedCycle(c, by_cycle[c.id][-1], tuple(by_cycle[c.id])) for c in cycles]


def published_cycle(code: str | None) -> PublishedCycle | None:
    """A published cycle by code, or the latest one when ``code`` is empty; None otherwise."""
    cycles = published_cycles()
    if not code:
        return cycles[0] if cycles else None
    return next((c for c in cycles if c.cycle.code == code), None)


def publication_version(cycle: PublishedCycle, version: int | None) -> Publication | None:
    if version is None:
        return cycle.latest
    return next((p for p in cycle.versions if p.version == version), None)


def audit_entries(publication_ids: Iterable[int]) -> dict[int, AuditEntry]:
    """The "results.published" audit entry of each publication."""
    ids = [str(i) for i in publication_ids]
    if not ids:
        return {}
    query = (
        select(AuditEntry)
        .where(
            AuditEntry.action == "results.published",
            AuditEntry.entity_type == "result_publications",
            AuditEntry.entity_id.in_(ids),
        )
        .order_by(AuditEntry.seq)
    )
    found: dict[int, AuditEntry] = {}
    for entry in db.session.scalars(query):
        found.setdefault(int(entry.entity_id or 0), entry)
    return found


@dataclass(frozen=True)
class PublicationRecord:
    cycle: Cycle
    publication: Publication
    audit_seq: int | None
    audit_hash: str | None


def publication_record() -> tuple[list[PublicationRecord], tuple[int, str]]:
    """Every publication and correction, newest first, and the audit chain head now."""
    records: list[PublicationRecord] = []
    cycles = published_cycles()
    entries = audit_entries(p.id for c in cycles for p in c.versions)
    for cycle in cycles:
        for publication in reversed(cycle.versions):
            entry = entries.get(publication.id)
            records.append(
                PublicationRecord(
                    cycle.cycle,
                    publication,
                    entry.seq if entry else None,
                    entry.hash if entry else None,
                )
            )
    return records, chain_head()


# ---------------------------------------------------------------- verification


@dataclass(frozen=True)
class VerificationProblem:
    cycle_code: str
    version: int
    message: str


@dataclass
class VerificationReport:
    checked: int = 0
    problems: list[VerificationProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_publications() -> VerificationReport:
    """Recompute each stored snapshot's SHA-256; compare with its row and its audit entry.

    Reads the rows straight from the database (no cache), so a payload or hash changed behind
    the application's back is caught: the payload no longer hashes to the recorded value, or
    the recorded value no longer matches the hash-chained "results.published" event, whose
    own chain is verified first.
    """
    report = VerificationReport()
    chain = verify_chain()
    if not chain.ok:
        report.problems.append(
            VerificationProblem(
                "audit", 0, f"the audit chain is broken at entry {chain.first_broken_seq}"
            )
        )
    rows = db.session.execute(
        select(
            Publication.id, Publication.version, Publication.payload, Publication.sha256, Cycle.code
        )
        .join(Cycle, Cycle.id == Publication.cycle_id)
        .order_by(Cycle.code, Publication.version)
    ).all()
    entries = audit_entries(row.id for row in rows)
    for row in rows:
        report.checked += 1
        digest = sha256_hex(row.payload)
        entry = entries.get(row.id)
        recorded = None
        if entry is not None:
            recorded = json.loads(entry.payload).get("details", {}).get("sha256")
        if digest != row.sha256:
            report.problems.append(
                VerificationProblem(
                    row.code,
                    row.version,
                    f"stored payload hashes to {digest}, row says {row.sha256}",
                )
            )
        if entry is None:
            report.problems.append(
                VerificationProblem(row.code, row.version, "no results.published audit entry")
            )
        elif recorded != digest:
            report.problems.append(
                VerificationProblem(
                    row.code,
                    row.version,
                    f"audit entry {entry.seq} records {recorded}, "
                    f"stored payload hashes to {digest}",
                )
            )
    return report


# ---------------------------------------------------------------- units and their results


def active_unit(code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == code, Unit.is_active.is_(True)))


def active_point(code: str) -> ServicePoint | None:
    return db.session.scalar(
        select(ServicePoint).where(ServicePoint.code == code, ServicePoint.is_active.is_(True))
    )


def subtree_ids(unit_id: int) -> set[int]:
    """The unit and every unit below it (one query over the unit table)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for uid, parent in db.session.execute(select(Unit.id, Unit.parent_id)):
        children[parent].append(uid)
    found, stack = set(), [unit_id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, []))
    return found


def point_ids(unit_ids: Iterable[int]) -> list[int]:
    ids = list(unit_ids)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(ServicePoint.id).where(ServicePoint.unit_id.in_(ids)).order_by(ServicePoint.id)
        )
    )


@dataclass(frozen=True)
class CycleResult:
    """A unit's result in one published cycle (latest version)."""

    cycle: Cycle
    version: int
    result: dict[str, Any]


def unit_trend(unit: Unit, cycles: Sequence[PublishedCycle]) -> list[CycleResult]:
    """The unit's result in every published cycle that includes it, oldest first."""
    found = []
    for published in reversed(list(cycles)):
        result = published.unit(unit.code)
        if result is not None:
            found.append(CycleResult(published.cycle, published.latest.version, result))
    return found


@dataclass(frozen=True)
class Correction:
    cycle: Cycle
    version: int
    published_at: datetime
    reason: str
    sha256: str
    total: float | None
    grade: str | None
    previous_total: float | None
    previous_grade: str | None


def unit_corrections(unit: Unit, cycles: Sequence[PublishedCycle]) -> list[Correction]:
    """Every correction (version 2 and later) of a published cycle that includes the unit."""
    corrections = []
    for published in cycles:
        previous: dict[str, Any] | None = None
        for publication in published.versions:
            data = snapshot(publication)
            mine = next((u for u in data.get("units", []) if u.get("code") == unit.code), None)
            if publication.version > 1 and (mine is not None or previous is not None):
                corrections.append(
                    Correction(
                        published.cycle,
                        publication.version,
                        publication.published_at,
                        publication.reason,
                        publication.sha256,
                        (mine or {}).get("total"),
                        (mine or {}).get("grade"),
                        (previous or {}).get("total"),
                        (previous or {}).get("grade"),
                    )
                )
            previous = mine
    return corrections


@dataclass(frozen=True)
class IndicatorLine:
    """A node of a published tree with the unit's published figures and its definition."""

    code: str
    name: str
    name_zh: str | None
    depth: int
    is_indicator: bool
    weight: float | None
    data_source: str | None
    result: dict[str, Any]
    definition: str
    direction: str
    target: float | None
    criteria: dict[str, Any]
    unit_of_measure: str

    def display_name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" and self.name_zh else self.name

    def criteria_text(self) -> str:
        """The grading rule in words, the way round the indicator's direction says (the same
        wording the unit accepted in consultation)."""
        from citizenvoice.indicators.wording import describe_criteria

        return describe_criteria(self.criteria, self.direction)


def indicator_lines(
    cycle: Cycle, data: dict[str, Any], unit: Unit | None = None
) -> list[IndicatorLine]:
    """The published tree in order, with the unit's figures (empty without a unit)."""
    nodes = {
        n.code: n
        for n in db.session.scalars(select(IndicatorNode).where(IndicatorNode.cycle_id == cycle.id))
    }
    overrides: dict[int, float] = {}
    results: dict[str, Any] = {}
    if unit is not None:
        overrides = {
            o.indicator_id: o.target_value
            for o in db.session.scalars(
                select(TargetOverride).where(TargetOverride.unit_id == unit.id)
            )
        }
        mine = next((u for u in data.get("units", []) if u.get("code") == unit.code), None)
        results = (mine or {}).get("indicators", {})
    depth: dict[str, int] = {}
    lines = []
    for item in data.get("nodes", []):
        code = item["code"]
        if unit is not None and code not in results:
            continue
        depth[code] = depth.get(item.get("parent") or "", -1) + 1 if item.get("parent") else 0
        node = nodes.get(code)
        target = None
        if node is not None:
            target = overrides.get(node.id, node.target_value)
        lines.append(
            IndicatorLine(
                code=code,
                name=item.get("name") or code,
                name_zh=item.get("name_zh"),
                depth=depth[code],
                is_indicator=item.get("kind") == "indicator",
                weight=item.get("weight"),
                data_source=item.get("data_source"),
                result=results.get(code, {}),
                definition=node.definition if node else "",
                direction=node.direction.value if node else "higher",
                target=target if item.get("kind") == "indicator" else None,
                criteria=node.criteria if node else {},
                unit_of_measure=node.unit_of_measure if node else "",
            )
        )
    return lines


# ---------------------------------------------------------------- rollup aggregates


@dataclass(frozen=True)
class Period:
    """Counted ratings of one period (a month, a weekday) from the rollups."""

    key: str
    #: counts per level, best level first
    levels: tuple[int, int, int, int, int]
    verified: int = 0

    @property
    def n(self) -> int:
        return sum(self.levels)

    def index(self, min_sample: int = DEFAULT_MIN_SAMPLE) -> Any:
        return satisfaction_index(
            dict(zip(SATISFACTION_LEVELS, self.levels, strict=True)), min_sample=min_sample
        )


def daily_rollups(
    points: Sequence[int],
    start: date | None = None,
    end: date | None = None,
    service_key: int | None = None,
) -> list[tuple[date, tuple[int, ...], int]]:
    """(day, level counts best first, verified) summed over ``points``, one GROUP BY on rollups."""
    if not points:
        return []
    columns = [func.sum(RatingRollup.__table__.c[name]) for name in LEVEL_COLUMNS]
    query = (
        select(RatingRollup.day, func.sum(RatingRollup.verified), *columns)
        .where(RatingRollup.service_point_id.in_(list(points)))
        .group_by(RatingRollup.day)
        .order_by(RatingRollup.day)
    )
    if start is not None:
        query = query.where(RatingRollup.day >= start)
    if end is not None:
        query = query.where(RatingRollup.day <= end)
    if service_key is not None:
        query = query.where(RatingRollup.service_key == service_key)
    rows = []
    for row in db.session.execute(query):
        day = row[0] if isinstance(row[0], date) else date.fromisoformat(str(row[0]))
        rows.append((day, tuple(int(v or 0) for v in row[2:]), int(row[1] or 0)))
    return rows


def add_counts(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def monthly(days: Sequence[tuple[date, tuple[int, ...], int]]) -> list[Period]:
    months: dict[str, tuple[int, ...]] = {}
    verified: dict[str, int] = defaultdict(int)
    for day, levels, ver in days:
        key = f"{day.year:04d}-{day.month:02d}"
        months[key] = add_counts(months.get(key, (0,) * 5), levels)
        verified[key] += ver
    return [Period(k, months[k], verified[k]) for k in sorted(months)]  # type: ignore[arg-type]


def total_levels(days: Sequence[tuple[date, tuple[int, ...], int]]) -> Period:
    levels: tuple[int, ...] = (0,) * 5
    verified = 0
    for _day, counts, ver in days:
        levels = add_counts(levels, counts)
        verified += ver
    return Period("all", levels, verified)  # type: ignore[arg-type]


# ---------------------------------------------------------------- comments


@dataclass(frozen=True)
class PublicComment:
    day: date
    overall: int
    #: the masked comment ("" when the citizen wrote none)
    text: str
    point_code: str
    point_name: str
    point_name_zh: str | None
    #: the unit's public reply ("you said, we did"), "" when there is none yet
    reply: str = ""
    replied_on: date | None = None


_COMMENT_COLUMNS = (
    Rating.created_at,
    Rating.overall,
    Rating.comment_masked,
    ServicePoint.code,
    ServicePoint.name,
    ServicePoint.name_zh,
    Case.public_reply,
    Case.replied_at,
)


def _comment(row: Any) -> PublicComment:
    return PublicComment(
        row[0].date(),
        int(row[1]),
        str(row[2] or ""),
        row[3],
        row[4],
        row[5],
        str(row[6] or ""),
        row[7].date() if row[7] is not None else None,
    )


def public_comments(
    points: Sequence[int], limit: int, offset: int
) -> tuple[list[PublicComment], bool]:
    """Masked comments of counted ratings, newest first, each with the unit's public reply.

    Only ``comment_masked`` is read, never the comment as written.
    """
    if not points:
        return [], False
    query = (
        select(*_COMMENT_COLUMNS)
        .join(ServicePoint, ServicePoint.id == Rating.service_point_id)
        .outerjoin(Case, Case.rating_id == Rating.id)
        .where(
            Rating.service_point_id.in_(list(points)),
            Rating.is_counted.is_(True),
            Rating.comment_masked.is_not(None),
            Rating.comment_masked != "",
        )
        .order_by(Rating.created_at.desc(), Rating.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    rows = db.session.execute(query).all()
    return [_comment(r) for r in rows[:limit]], len(rows) > limit


def replied_comments(
    unit_ids: Iterable[int], limit: int, point_id: int | None = None
) -> list[PublicComment]:
    """The latest public replies ("you said, we did") with the masked comment they answer.

    Reads cases by unit (an index) and each case's one rating by primary key, so its cost does
    not grow with the number of ratings. Ratings held out by integrity flags are left out, as
    on the comments pages.
    """
    ids = list(unit_ids)
    if not ids:
        return []
    query = (
        select(*_COMMENT_COLUMNS)
        .select_from(Case)
        .join(Rating, Rating.id == Case.rating_id)
        .join(ServicePoint, ServicePoint.id == Rating.service_point_id)
        .where(Case.unit_id.in_(ids), Case.public_reply != "", Rating.is_counted.is_(True))
        .order_by(Case.replied_at.desc(), Case.id.desc())
        .limit(limit)
    )
    if point_id is not None:
        query = query.where(Rating.service_point_id == point_id)
    return [_comment(r) for r in db.session.execute(query)]


# ---------------------------------------------------------------- search


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class SearchResults:
    units: list[Unit]
    points: list[ServicePoint]
    services: list[tuple[Service, list[ServicePoint]]]

    @property
    def empty(self) -> bool:
        return not (self.units or self.points or self.services)


def search(term: str) -> SearchResults:
    """Active units, service points and services whose code or names contain ``term``."""
    term = term.strip()[:SEARCH_MAX]
    if not term:
        return SearchResults([], [], [])
    pattern = _like(term.lower())

    def matches(*columns: Any) -> Any:
        return or_(*(func.lower(c).like(pattern, escape="\\") for c in columns))

    units = list(
        db.session.scalars(
            select(Unit)
            .where(Unit.is_active.is_(True), matches(Unit.code, Unit.name, Unit.name_zh))
            .order_by(Unit.name)
            .limit(SEARCH_LIMIT)
        )
    )
    points = list(
        db.session.scalars(
            select(ServicePoint)
            .where(
                ServicePoint.is_active.is_(True),
                matches(
                    ServicePoint.code, ServicePoint.name, ServicePoint.name_zh, ServicePoint.address
                ),
            )
            .order_by(ServicePoint.name)
            .limit(SEARCH_LIMIT)
        )
    )
    services = []
    for service in db.session.scalars(
        select(Service)
        .where(Service.is_active.is_(True), matches(Service.code, Service.name, Service.name_zh))
        .order_by(Service.name)
        .limit(SEARCH_LIMIT)
    ):
        offered = [p for p in service_points_of(service) if p.is_active]
        services.append((service, offered))
    return SearchResults(units, points, services)


def service_points_of(service: Service) -> list[ServicePoint]:
    return sorted(
        db.session.scalars(select(ServicePoint).where(ServicePoint.services.contains(service))),
        key=lambda p: p.name,
    )


# ---------------------------------------------------------------- at a glance


@dataclass(frozen=True)
class Glance:
    cycle: PublishedCycle
    units: int
    grades: dict[str, int]
    insufficient: int
    mean_citizen: float | None
    ratings: int


def at_a_glance(published: PublishedCycle | None) -> Glance | None:
    """The latest published cycle summed up: how many units got each grade (no ranking)."""
    if published is None:
        return None
    units = published.data.get("units", [])
    grades: dict[str, int] = defaultdict(int)
    insufficient = 0
    weighted, ratings = 0.0, 0
    for unit in units:
        if unit.get("grade"):
            grades[unit["grade"]] += 1
        else:
            insufficient += 1
        if unit.get("citizen_index") is not None and unit.get("ratings_used"):
            weighted += unit["citizen_index"] * unit["ratings_used"]
            ratings += unit["ratings_used"]
    return Glance(
        published,
        len(units),
        dict(grades),
        insufficient,
        weighted / ratings if ratings else None,
        sum(int(u.get("ratings_used") or 0) for u in units),
    )
