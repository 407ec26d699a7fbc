"""Fast, deterministic bulk data: millions of ratings with rollups that agree with them.

The generator first *plans* how many counted ratings each cell (service point × service × day)
holds at each satisfaction level, with error diffusion instead of per-rating random draws, so
the totals are exact and the plan costs microseconds per cell. The ratings are expanded from
the plan and each cell's rollup row is written straight from it, so the rollups are consistent
with the ratings by construction (``rollups.recomputed_rows()`` would return the same rows).
A small share of extra ratings is flagged (open "too fast" flag, not counted, not in rollups).

Loading bypasses the ORM: PostgreSQL gets ``COPY … FROM STDIN`` (psycopg ``cursor.copy``) with
the secondary indexes and unique constraints of ``ratings`` dropped during the load and rebuilt
after, and foreign-key triggers off (``session_replication_role = replica``: the data are
consistent by construction); SQLite gets ``executemany`` inside one transaction without a
journal, its named indexes likewise rebuilt after. Either way: ANALYZE, sequences set.

Busy hours (``rating_hour_rollups``) are kept by triggers on ``ratings``, which neither load
runs per row (``replica`` turns them off on PostgreSQL; SQLite's are dropped for the load and
made again after): one GROUP BY rebuilds the table from the loaded ratings instead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench import common
from citizenvoice.surveys import triggers
from citizenvoice.surveys.models import FlagKind, FlagStatus

RATING_COLUMNS = (
    "id",
    "service_point_id",
    "service_id",
    "survey_version_id",
    "overall",
    "created_at",
    "is_verified",
    "is_counted",
    "has_contact",
    "answered_seconds",
)
ROLLUP_COLUMNS = (
    "id",
    "service_point_id",
    "service_key",
    "day",
    "ratings",
    "verified",
    "overall_sum",
    "level_1",
    "level_2",
    "level_3",
    "level_4",
    "level_5",
)
FLAG_COLUMNS = ("id", "rating_id", "kind", "status", "created_at", "reason")
#: How the flag enums are stored (SQLAlchemy keeps the member names).
FLAG_KIND = FlagKind.TOO_FAST.name
FLAG_STATUS = FlagStatus.OPEN.name
#: One flagged (uncounted) rating per this many ratings.
FLAGGED_PER = 500
#: Times of day the ratings carry (office hours), cycled through.
TIMES = [
    f"{h:02d}:{m:02d}:{s:02d}"
    for h in range(8, 18)
    for m in range(0, 60, 7)
    for s in (3, 17, 31, 44, 58)
    if (8, 30) <= (h, m) < (17, 30)
]
SECONDS = ["6.5", "11.0", "19.3", "27.8", "42.1", "73.4", "95.0"]
#: Satisfaction profiles (share of levels 1..5); each point gets one.
PROFILES = [
    (0.02, 0.03, 0.10, 0.35, 0.50),
    (0.04, 0.06, 0.15, 0.40, 0.35),
    (0.08, 0.12, 0.20, 0.35, 0.25),
    (0.01, 0.02, 0.07, 0.30, 0.60),
    (0.15, 0.15, 0.20, 0.25, 0.25),
]


@dataclass
class Cell:
    point_id: int
    service_key: int  # 0: no service chosen
    day: date
    #: counted ratings at levels 1..5
    levels: tuple[int, int, int, int, int]
    #: extra flagged ratings (not counted)
    flagged: int


def plan(
    points: list[tuple[int, list[int]]], days: list[date], total: int, seed: int = 1
) -> Iterator[Cell]:
    """Cells whose counted and flagged ratings add up to exactly ``total``.

    ``points`` are (point id, service ids offered). Busier points, quieter weekends and a
    fifth of ratings without a chosen service give a realistic spread.
    """
    flagged_total = total // FLAGGED_PER
    counted_total = total - flagged_total
    point_weight = [0.5 + ((p * 7919 + seed * 104729) % 1000) / 1000 for p, _ in points]
    day_weight = [0.35 if d.weekday() >= 5 else 1.0 for d in days]
    cells_per_point_day = [(1 + len(services)) for _, services in points]
    mass = sum(point_weight) * sum(day_weight)
    carry = 0.0
    flag_carry = 0.0
    flag_rate = flagged_total / counted_total if counted_total else 0.0
    made = 0
    flagged_made = 0
    last = len(points) - 1, len(days) - 1
    for pi, (point_id, services) in enumerate(points):
        profile = PROFILES[(point_id + seed) % len(PROFILES)]
        keys = [0, *services]
        shares = [0.2] + [0.8 / len(services)] * len(services) if services else [1.0]
        level_carry = [0.0] * 5
        for di, day in enumerate(days):
            expected = counted_total * point_weight[pi] * day_weight[di] / mass
            for ki, key in enumerate(keys):
                carry += expected * shares[ki]
                n = int(carry)
                is_last = (pi, di) == last and ki == cells_per_point_day[pi] - 1
                if is_last:
                    n = counted_total - made
                carry -= n
                made += n
                levels = [0] * 5
                left = n
                for li in range(4):
                    level_carry[li] += n * profile[li]
                    c = min(left, int(level_carry[li]))
                    level_carry[li] -= c
                    levels[li] = c
                    left -= c
                levels[4] = left
                flag_carry += n * flag_rate
                f = int(flag_carry)
                if is_last:
                    f = flagged_total - flagged_made
                flag_carry -= f
                flagged_made += f
                if n or f:
                    yield Cell(point_id, key, day, tuple(levels), f)  # type: ignore[arg-type]


@dataclass
class LoadReport:
    ratings: int
    counted: int
    flagged: int
    rollups: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "ratings": self.ratings,
            "counted": self.counted,
            "flagged": self.flagged,
            "rollup_rows": self.rollups,
            "seconds": round(self.seconds, 1),
            "ratings_per_s": round(self.ratings / self.seconds) if self.seconds else 0,
        }


# ---- PostgreSQL: COPY ------------------------------------------------------------------------


def _pg_secondary(cur: Any, table: str) -> tuple[list[str], list[str]]:
    """Drop ``table``'s unique constraints and non-primary indexes; return how to rebuild them."""
    cur.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype = 'u'",
        (table,),
    )
    constraints = [f'ALTER TABLE {table} ADD CONSTRAINT "{n}" {d}' for n, d in cur.fetchall()]
    for statement in constraints:
        name = statement.split('"')[1]
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    cur.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s"
        " AND i.indexname NOT IN (SELECT conname FROM pg_constraint"
        " WHERE conrelid = %s::regclass)",
        (table, table),
    )
    indexes = [d for _n, d in cur.fetchall()]
    for statement in indexes:
        name = statement.split(" INDEX ", 1)[1].split(" ON ", 1)[0].strip().strip('"')
        cur.execute(f'DROP INDEX "{name}"')
    return constraints, indexes


def _pg_load(db: common.Database, cells: Iterator[Cell], version_id: int) -> LoadReport:
    import psycopg

    started = common.clock()
    ratings = counted = flagged = rollups = 0
    flag_lines: list[str] = []
    rollup_lines: list[str] = []
    with psycopg.connect(db.dsn) as conn, conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET maintenance_work_mem = '256MB'")
        rebuild = _pg_secondary(cur, "ratings")
        columns = ", ".join(RATING_COLUMNS)
        with cur.copy(f"COPY ratings ({columns}) FROM STDIN") as copy:
            lines: list[str] = []
            k = 0
            for cell in cells:
                svc = str(cell.service_key) if cell.service_key else "\\N"
                day = cell.day.isoformat()
                head = f"\t{cell.point_id}\t{svc}\t{version_id}\t"
                total_sum = 0
                for level, count in enumerate(cell.levels, start=1):
                    pre = f"{head}{level}\t{day} "
                    for _ in range(count):
                        ratings += 1
                        k += 1
                        lines.append(
                            f"{ratings}{pre}{TIMES[k % len(TIMES)]}\tf\tt\tf\t{SECONDS[k % 7]}\n"
                        )
                    total_sum += level * count
                n = sum(cell.levels)
                counted += n
                for _ in range(cell.flagged):
                    ratings += 1
                    flagged += 1
                    k += 1
                    at = f"{day} {TIMES[k % len(TIMES)]}"
                    lines.append(f"{ratings}{head}5\t{at}\tf\tf\tf\t1.2\n")
                    flag_lines.append(f"{flagged}\t{ratings}\t{FLAG_KIND}\t{FLAG_STATUS}\t{at}\t\n")
                if n:
                    rollups += 1
                    levels = "\t".join(str(c) for c in cell.levels)
                    rollup_lines.append(
                        f"{rollups}\t{cell.point_id}\t{cell.service_key}\t{day}\t{n}\t0"
                        f"\t{total_sum}\t{levels}\n"
                    )
                if len(lines) >= 50_000:
                    copy.write("".join(lines))
                    lines.clear()
            copy.write("".join(lines))
        with cur.copy(f"COPY rating_rollups ({', '.join(ROLLUP_COLUMNS)}) FROM STDIN") as copy:
            for i in range(0, len(rollup_lines), 50_000):
                copy.write("".join(rollup_lines[i : i + 50_000]))
        with cur.copy(f"COPY rating_flags ({', '.join(FLAG_COLUMNS)}) FROM STDIN") as copy:
            copy.write("".join(flag_lines))
        constraints, indexes = rebuild
        for statement in indexes + constraints + triggers.rebuild_statements("postgresql"):
            cur.execute(statement)
        for table in ("ratings", "rating_rollups", "rating_flags"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" GREATEST((SELECT MAX(id) FROM {table}), 1))"
            )
        conn.commit()
        conn.autocommit = True
        cur.execute("ANALYZE ratings")
        cur.execute("ANALYZE rating_rollups")
        cur.execute("ANALYZE rating_flags")
    return LoadReport(ratings, counted, flagged, rollups, common.clock() - started)


# ---- SQLite: executemany ---------------------------------------------------------------------


def _sqlite_load(db: common.Database, cells: Iterator[Cell], version_id: int) -> LoadReport:
    started = common.clock()
    counts = {"ratings": 0, "counted": 0, "flagged": 0, "rollups": 0}
    flags: list[tuple[Any, ...]] = []
    rollup_rows: list[tuple[Any, ...]] = []
    conn = sqlite3.connect(str(db.path), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-400000")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA foreign_keys=OFF")
        indexes = [
            (name, sql)
            for name, sql in conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                " AND tbl_name = 'ratings' AND sql IS NOT NULL"
            )
        ]
        conn.execute("BEGIN")
        for name, _sql in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        for statement in triggers.drop_statements("sqlite"):
            conn.execute(statement)

        def rows() -> Iterator[tuple[Any, ...]]:
            rid = 0
            k = 0
            for cell in cells:
                svc = cell.service_key or None
                day = cell.day.isoformat()
                total_sum = 0
                for level, count in enumerate(cell.levels, start=1):
                    for _ in range(count):
                        rid += 1
                        k += 1
                        at = f"{day} {TIMES[k % len(TIMES)]}.000000"
                        yield (rid, cell.point_id, svc, version_id, level, at, 0, 1, 0, 9.5)
                    total_sum += level * count
                n = sum(cell.levels)
                counts["counted"] += n
                for _ in range(cell.flagged):
                    rid += 1
                    k += 1
                    counts["flagged"] += 1
                    at = f"{day} {TIMES[k % len(TIMES)]}.000000"
                    yield (rid, cell.point_id, svc, version_id, 5, at, 0, 0, 0, 1.2)
                    flags.append((len(flags) + 1, rid, FLAG_KIND, FLAG_STATUS, at, ""))
                if n:
                    rollup_rows.append(
                        (
                            len(rollup_rows) + 1,
                            cell.point_id,
                            cell.service_key,
                            day,
                            n,
                            0,
                            total_sum,
                            *cell.levels,
                        )
                    )
            counts["ratings"] = rid

        marks = ", ".join("?" * len(RATING_COLUMNS))
        conn.executemany(
            f"INSERT INTO ratings ({', '.join(RATING_COLUMNS)}) VALUES ({marks})", rows()
        )
        marks = ", ".join("?" * len(ROLLUP_COLUMNS))
        conn.executemany(
            f"INSERT INTO rating_rollups ({', '.join(ROLLUP_COLUMNS)}) VALUES ({marks})",
            rollup_rows,
        )
        marks = ", ".join("?" * len(FLAG_COLUMNS))
        conn.executemany(
            f"INSERT INTO rating_flags ({', '.join(FLAG_COLUMNS)}) VALUES ({marks})", flags
        )
        for _name, sql in indexes:
            conn.execute(sql)
        for statement in triggers.rebuild_statements("sqlite") + triggers.create_statements(
            "sqlite"
        ):
            conn.execute(statement)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    counts["rollups"] = len(rollup_rows)
    return LoadReport(
        counts["ratings"],
        counts["counted"],
        counts["flagged"],
        counts["rollups"],
        common.clock() - started,
    )


def load(
    db: common.Database,
    points: list[tuple[int, list[int]]],
    days: list[date],
    total: int,
    version_id: int,
    seed: int = 1,
) -> LoadReport:
    """Load ``total`` ratings (and their rollups and flags) into an empty ratings table."""
    cells = plan(points, days, total, seed)
    if db.kind == "postgresql":
        return _pg_load(db, cells, version_id)
    return _sqlite_load(db, cells, version_id)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def recent_days(count: int) -> list[date]:
    """The ``count`` days up to yesterday (UTC)."""
    today = datetime.now(UTC).date()
    return days_between(today - timedelta(days=count), today - timedelta(days=1))


def check_consistency(app: Any) -> dict[str, Any]:
    """Rollups vs a recomputation from the ratings (``surveys.rollups``), and row counts."""
    from sqlalchemy import func, select

    from citizenvoice.extensions import db
    from citizenvoice.surveys.models import Rating, RatingFlag, RatingRollup
    from citizenvoice.surveys.rollups import (
        hour_rollup_rows,
        recomputed_hour_rows,
        recomputed_rows,
        rollup_rows,
    )

    with app.app_context():
        stored = rollup_rows()
        expected = recomputed_rows()
        result = {
            "ratings": db.session.scalar(select(func.count(Rating.id))),
            "rollup_rows": db.session.scalar(select(func.count(RatingRollup.id))),
            "flags": db.session.scalar(select(func.count(RatingFlag.id))),
            "rollups_match_ratings": stored == expected,
            "busy_hours_match_ratings": hour_rollup_rows() == recomputed_hour_rows(),
        }
        db.session.remove()
    return result
