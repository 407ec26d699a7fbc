"""Daily rollups of counted ratings per service point and service.

Kept up to date in the same transaction as each rating, flag and clearance by an
``INSERT … ON CONFLICT DO UPDATE`` that SQLite and PostgreSQL both understand; dashboards read
them instead of scanning ratings. :func:`recompute_rollups` rebuilds them with one GROUP BY.
Busy hours (``rating_hour_rollups``) are kept by database triggers instead
(:mod:`citizenvoice.surveys.triggers`); the helpers here read and rebuild them too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, cast, delete, func, insert, literal_column, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.expression import ColumnElement

from citizenvoice.extensions import db
from citizenvoice.surveys import triggers
from citizenvoice.surveys.intake import count_in_rollups
from citizenvoice.surveys.models import (
    AnswerRollup,
    Rating,
    RatingAnswer,
    RatingHourRollup,
    RatingRollup,
)

LEVELS = range(1, 6)
#: Counter columns of a rollup row, besides its key.
COUNTERS = ("ratings", "verified", "overall_sum", *(f"level_{n}" for n in LEVELS))


def upsert_statement(
    table: Any, values: dict[str, Any], keys: list[str], increments: list[str] | None
) -> Any:
    """INSERT … ON CONFLICT (keys) DO UPDATE adding ``increments`` (or DO NOTHING)."""
    dialect = db.session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = make(table).values(**values)
    if not increments:
        return statement.on_conflict_do_nothing(index_elements=keys)
    return statement.on_conflict_do_update(
        index_elements=keys,
        set_={name: table.c[name] + statement.excluded[name] for name in increments},
    )


def add_to_rollup(rating: Rating, sign: int = 1, answers: dict[int, int] | None = None) -> None:
    """Count (sign=1) or uncount (sign=-1) one rating and its answers in the day's rollups.

    ``answers`` (question id → value) saves a query when the caller has them at hand.
    """
    if answers is None:
        answers = dict(
            db.session.execute(
                select(RatingAnswer.question_id, RatingAnswer.value).where(
                    RatingAnswer.rating_id == rating.id
                )
            )
            .tuples()
            .all()
        )
    count_in_rollups(
        rating.service_point_id,
        rating.service_id,
        rating.created_at.date(),
        rating.overall,
        rating.is_verified,
        answers,
        sign,
    )


def _day_expression() -> ColumnElement[Any]:
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(Rating.created_at, db.Date)
    return func.date(Rating.created_at)


def recomputation() -> Any:
    """SELECT of what every rollup row should hold, from counted ratings (one GROUP BY)."""
    day = _day_expression().label("day")
    # A literal, not a bound parameter, so that GROUP BY repeats the very same expression.
    service_key = func.coalesce(Rating.service_id, literal_column("0")).label("service_key")
    columns = [
        Rating.service_point_id,
        service_key,
        day,
        func.count().label("ratings"),
        func.sum(case((Rating.is_verified, 1), else_=0)).label("verified"),
        func.sum(Rating.overall).label("overall_sum"),
        *(
            func.sum(case((Rating.overall == level, 1), else_=0)).label(f"level_{level}")
            for level in LEVELS
        ),
    ]
    return (
        select(*columns)
        .where(Rating.is_counted)
        .group_by(Rating.service_point_id, service_key, day)
    )


def answer_recomputation() -> Any:
    """SELECT of what every answer rollup row should hold, from counted ratings."""
    day = _day_expression().label("day")
    service_key = func.coalesce(Rating.service_id, literal_column("0")).label("service_key")
    return (
        select(
            Rating.service_point_id,
            service_key,
            day,
            RatingAnswer.question_id,
            RatingAnswer.value,
            func.count().label("answers"),
        )
        .join(RatingAnswer, RatingAnswer.rating_id == Rating.id)
        .where(Rating.is_counted)
        .group_by(
            Rating.service_point_id, service_key, day, RatingAnswer.question_id, RatingAnswer.value
        )
    )


def recompute_rollups() -> int:
    """Rebuild every rollup row (busy hours too) from the ratings; returns the number of
    rating rollup rows."""
    db.session.execute(delete(RatingRollup))
    db.session.execute(delete(AnswerRollup))
    names = ["service_point_id", "service_key", "day", *COUNTERS]
    db.session.execute(insert(RatingRollup).from_select(names, recomputation()))
    answer_names = ["service_point_id", "service_key", "day", "question_id", "value", "answers"]
    db.session.execute(insert(AnswerRollup).from_select(answer_names, answer_recomputation()))
    db.session.flush()
    triggers.rebuild(db.session.connection())
    return int(db.session.scalar(select(func.count(RatingRollup.id))) or 0)


def rollup_rows(include_empty: bool = False) -> dict[tuple[int, int, str], tuple[int, ...]]:
    """The rollup table as {(point, service key, ISO day): counters} (for checks and tests)."""
    rows = db.session.execute(
        select(
            RatingRollup.service_point_id,
            RatingRollup.service_key,
            RatingRollup.day,
            *(RatingRollup.__table__.c[n] for n in COUNTERS),
        )
    )
    table = {}
    for row in rows:
        counters = tuple(int(v) for v in row[3:])
        if include_empty or counters[0]:
            table[(row[0], row[1], str(row[2]))] = counters
    return table


def recomputed_rows() -> dict[tuple[int, int, str], tuple[int, ...]]:
    """What :func:`rollup_rows` should return, computed from the ratings."""
    return {
        (row[0], row[1], str(row[2])): tuple(int(v) for v in row[3:])
        for row in db.session.execute(recomputation())
    }


def answer_rollup_rows() -> dict[tuple[int, int, str, int, int], int]:
    """The answer rollups as {(point, service key, ISO day, question, value): count > 0}."""
    rows = db.session.execute(
        select(
            AnswerRollup.service_point_id,
            AnswerRollup.service_key,
            AnswerRollup.day,
            AnswerRollup.question_id,
            AnswerRollup.value,
            AnswerRollup.answers,
        )
    )
    return {(r[0], r[1], str(r[2]), r[3], r[4]): r[5] for r in rows if r[5]}


def recomputed_answer_rows() -> dict[tuple[int, int, str, int, int], int]:
    return {
        (r[0], r[1], str(r[2]), r[3], r[4]): int(r[5])
        for r in db.session.execute(answer_recomputation())
    }


def hour_rollup_rows() -> dict[tuple[int, int, int], int]:
    """The busy-hour rows as {(point, UTC weekday, UTC hour): count > 0}, this transaction's
    pending trigger events included."""
    db.session.flush()
    triggers.flush_pending(db.session.connection())
    rows = db.session.execute(
        select(
            RatingHourRollup.service_point_id,
            RatingHourRollup.weekday,
            RatingHourRollup.hour,
            RatingHourRollup.ratings,
        )
    )
    return {(r[0], r[1], r[2]): r[3] for r in rows if r[3]}


def recomputed_hour_rows() -> dict[tuple[int, int, int], int]:
    """What :func:`hour_rollup_rows` should return, counted from the ratings."""
    db.session.flush()
    dialect = db.session.get_bind().dialect.name
    rows = db.session.execute(text(triggers.recount_select(dialect)))
    return {(int(r[0]), int(r[1]), int(r[2])): int(r[3]) for r in rows}
