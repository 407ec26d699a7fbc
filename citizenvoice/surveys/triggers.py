"""Busy hours: database triggers on ``ratings`` keep ``rating_hour_rollups`` exact.

A rating is counted in its service point's hour of the week (UTC weekday and hour of
``created_at``) when it is inserted counted, and counted in or out again when ``is_counted``
changes (a flag raised, confirmed or cleared). The database does it, so every path that writes
ratings — the QR intake, kiosks, the ORM, bulk SQL — is counted the same way and the rating hot
path carries no extra statement.

On PostgreSQL the triggers are constraint triggers, ``DEFERRABLE INITIALLY DEFERRED``: they run
at commit, so a transaction takes its busy-hour row last, after the day rollups (see
``surveys.intake.count_stored``). The row is then held only for the commit, and every writer
takes the two rows in the same order, so a rating and a flag decision at the same point cannot
deadlock. :func:`flush_pending` runs what is pending before a transaction reads or rebuilds the
table. SQLite has one writer at a time; its triggers run at once.

The tables' own DDL comes from the models; :func:`attach` adds the triggers to ``create_all``,
and the Alembic migration calls :func:`create_statements` and :func:`rebuild`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DDL, event, text
from sqlalchemy.engine import Connection

TABLE = "rating_hour_rollups"
INSERT_TRIGGER = "ratings_hour_rollup_on_insert"
UPDATE_TRIGGER = "ratings_hour_rollup_on_update"
PG_FUNCTION = "ratings_hour_rollup"
DIALECTS = ("sqlite", "postgresql")


def _weekday_hour(dialect: str, row: str = "") -> tuple[str, str]:
    """SQL for the ISO weekday (1 = Monday) and the hour of ``<row>created_at``."""
    column = f"{row}created_at"
    if dialect == "postgresql":
        return f"EXTRACT(ISODOW FROM {column})::smallint", f"EXTRACT(HOUR FROM {column})::smallint"
    # strftime('%w') counts from Sunday = 0.
    return (
        f"(CAST(strftime('%w', {column}) AS INTEGER) + 6) % 7 + 1",
        f"CAST(strftime('%H', {column}) AS INTEGER)",
    )


def _upsert(dialect: str) -> str:
    """Add +1 or -1 (by ``NEW.is_counted``) to the new row's point and hour of the week."""
    weekday, hour = _weekday_hour(dialect, "NEW.")
    return (
        f"INSERT INTO {TABLE} (service_point_id, weekday, hour, ratings)"  # noqa: S608  # nosec B608: constants only
        f" VALUES (NEW.service_point_id, {weekday}, {hour},"
        " CASE WHEN NEW.is_counted THEN 1 ELSE -1 END)"
        " ON CONFLICT (service_point_id, weekday, hour)"
        f" DO UPDATE SET ratings = {TABLE}.ratings + excluded.ratings"
    )


def create_statements(dialect: str) -> list[str]:
    """The statements that create the triggers (and PostgreSQL's trigger function)."""
    if dialect == "sqlite":
        upsert = _upsert(dialect)
        return [
            f"CREATE TRIGGER {INSERT_TRIGGER} AFTER INSERT ON ratings"
            f" FOR EACH ROW WHEN NEW.is_counted BEGIN {upsert}; END",
            f"CREATE TRIGGER {UPDATE_TRIGGER} AFTER UPDATE OF is_counted ON ratings"
            f" FOR EACH ROW WHEN NEW.is_counted IS NOT OLD.is_counted BEGIN {upsert}; END",
        ]
    if dialect == "postgresql":
        deferred = "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
        return [
            f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {_upsert(dialect)}; RETURN NULL; END $$",
            f"CREATE CONSTRAINT TRIGGER {INSERT_TRIGGER} AFTER INSERT ON ratings {deferred}"
            f" WHEN (NEW.is_counted) EXECUTE FUNCTION {PG_FUNCTION}()",
            f"CREATE CONSTRAINT TRIGGER {UPDATE_TRIGGER} AFTER UPDATE OF is_counted ON ratings"
            f" {deferred} WHEN (OLD.is_counted IS DISTINCT FROM NEW.is_counted)"
            f" EXECUTE FUNCTION {PG_FUNCTION}()",
        ]
    raise ValueError(f"no busy-hour triggers for the {dialect} dialect")


def drop_statements(dialect: str) -> list[str]:
    statements = [f"DROP TRIGGER IF EXISTS {name}" for name in (INSERT_TRIGGER, UPDATE_TRIGGER)]
    if dialect == "postgresql":
        statements = [f"{s} ON ratings" for s in statements]
        statements.append(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
    return statements


def attach(ratings: Any) -> None:
    """Create the triggers whenever ``create_all`` creates the ratings table."""
    for dialect in DIALECTS:
        for statement in create_statements(dialect):
            # DDL() formats its text with %(table)s-style keys: a literal % is written %%.
            ddl = DDL(statement.replace("%", "%%")).execute_if(dialect=dialect)
            event.listen(ratings, "after_create", ddl)
        if dialect == "postgresql":
            function = DDL(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()").execute_if(dialect=dialect)
            event.listen(ratings, "after_drop", function)


def recount_select(dialect: str) -> str:
    """SELECT of what every busy-hour row should hold, from the counted ratings."""
    weekday, hour = _weekday_hour(dialect)
    return (
        f"SELECT service_point_id, {weekday} AS weekday, {hour} AS hour, COUNT(*) AS ratings"  # noqa: S608  # nosec B608: constants only
        " FROM ratings WHERE is_counted GROUP BY 1, 2, 3"
    )


def flush_pending(connection: Connection) -> None:
    """Run this transaction's deferred trigger events now (PostgreSQL; nothing on SQLite)."""
    if connection.dialect.name != "postgresql":
        return
    names = f"{INSERT_TRIGGER}, {UPDATE_TRIGGER}"
    connection.execute(text(f"SET CONSTRAINTS {names} IMMEDIATE"))
    connection.execute(text(f"SET CONSTRAINTS {names} DEFERRED"))


def rebuild_statements(dialect: str) -> list[str]:
    """Plain SQL that rebuilds the busy-hour rows from the counted ratings (for bulk loaders)."""
    columns = "service_point_id, weekday, hour, ratings"
    return [
        "DELETE FROM rating_hour_rollups",
        f"INSERT INTO {TABLE} ({columns}) {recount_select(dialect)}",  # nosec B608: constants only
    ]


def rebuild(connection: Connection) -> int:
    """Rebuild the busy-hour rows from the counted ratings; returns the number of rows."""
    flush_pending(connection)
    for statement in rebuild_statements(connection.dialect.name):
        connection.execute(text(statement))
    return int(connection.execute(text("SELECT COUNT(*) FROM rating_hour_rollups")).scalar() or 0)
