"""Storing a rating: the hot path behind every scan of a QR code.

A rating is written with plain statements whose SQL text never changes, run on the database
driver's own cursor (PostgreSQL's driver prepares them after a few uses). On SQLite: one
INSERT of the rating (``ON CONFLICT (nonce) DO NOTHING``, so a re-sent form adds nothing and
needs no lookup first), one INSERT of its answers, and two ``INSERT … ON CONFLICT DO UPDATE``
that add it to the day's rollups. On PostgreSQL the same writes, with the case a rating opens,
are one statement (:data:`STORE_AND_COUNT`), so that a rating costs one round trip to the
database instead of eight. Nothing here goes through the ORM's unit of work; the rest of the
application reads what it wrote through the ORM as usual.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import DBAPIError

from citizenvoice.extensions import db
from citizenvoice.integrity.masking import mask_personal_data
from citizenvoice.surveys.models import FlagKind, FlagStatus, QuestionKind
from citizenvoice.surveys.qr import TOKEN_ALPHABET

FOLLOW_UP_LENGTH = 16
LEVELS = range(1, 6)


@dataclass(frozen=True)
class QuestionShape:
    id: int
    code: str
    kind: QuestionKind
    text: str
    text_zh: str | None

    def display_text(self, lang: str) -> str:
        return self.text_zh if lang == "zh" and self.text_zh else self.text

    def allows(self, value: int) -> bool:
        return value in (range(1, 6) if self.kind is QuestionKind.SCALE else (0, 1))


@dataclass(frozen=True)
class VersionShape:
    """What storing a rating needs to know of a survey version: its questions' ids and kinds."""

    id: int
    questions: tuple[QuestionShape, ...]

    @classmethod
    def of(cls, version: Any) -> VersionShape:
        questions = (
            QuestionShape(q.id, q.code, q.kind, q.text, q.text_zh) for q in version.questions
        )
        return cls(version.id, tuple(questions))

    def question(self, question_id: int) -> QuestionShape | None:
        for question in self.questions:
            if question.id == question_id:
                return question
        return None

    def question_id(self, code: str) -> int | None:
        for question in self.questions:
            if question.code == code:
                return question.id
        return None


@dataclass(frozen=True)
class Stored:
    """A stored rating as the caller needs it (``id`` None: the nonce was already used)."""

    id: int | None
    nonce: str | None
    follow_up_code: str | None
    is_counted: bool
    created_at: datetime


# ---- statements ------------------------------------------------------------------------------
#
# Written once with ``:name`` parameters and run on the database driver's own cursor, inside the
# session's transaction: SQLAlchemy's per-statement work (compiling, caching, result objects)
# costs more than SQLite's whole INSERT. PostgreSQL's driver takes ``%(name)s`` instead.

#: The device's counted ratings at the point since ``:since`` (``ix_ratings_device_point_created``).
_DEVICE_COUNTED_SINCE = (
    "device_hash = :device_hash AND service_point_id = :service_point_id"
    " AND created_at >= :since AND is_counted"
)
#: A rating counts unless it has a flag already or its device gave a counted rating at the
#: point since ``:since`` (checked in the INSERT itself, in the write transaction).
INSERT_RATING = (  # constants only
    "INSERT INTO ratings (service_point_id, service_id, survey_version_id, overall, created_at,"  # noqa: S608  # nosec B608
    " is_verified, is_counted, has_contact, comment, comment_masked, follow_up_code, device_hash,"
    " ip_hash, answered_seconds, nonce, ticket_id, kiosk_id, client_id)"
    " VALUES (:service_point_id, :service_id, :survey_version_id, :overall, :created_at,"
    " :is_verified, :is_counted AND NOT EXISTS"
    f" (SELECT 1 FROM ratings WHERE {_DEVICE_COUNTED_SINCE}),"
    " :has_contact, :comment, :comment_masked, :follow_up_code,"
    " :device_hash, :ip_hash, :answered_seconds, :nonce, :ticket_id, :kiosk_id, :client_id)"
    " ON CONFLICT (nonce) DO NOTHING RETURNING id, is_counted"
)
INSERT_ANSWER = (
    "INSERT INTO rating_answers (rating_id, question_id, value) VALUES (:rating_id, :question_id,"
    " :value)"
)
# A day's rollup row takes the new rating's counts on top of its own.
_ROLLUP_ADDS = (
    " ON CONFLICT (service_point_id, service_key, day) DO UPDATE SET"
    " ratings = rating_rollups.ratings + excluded.ratings,"
    " verified = rating_rollups.verified + excluded.verified,"
    " overall_sum = rating_rollups.overall_sum + excluded.overall_sum,"
    " level_1 = rating_rollups.level_1 + excluded.level_1,"
    " level_2 = rating_rollups.level_2 + excluded.level_2,"
    " level_3 = rating_rollups.level_3 + excluded.level_3,"
    " level_4 = rating_rollups.level_4 + excluded.level_4,"
    " level_5 = rating_rollups.level_5 + excluded.level_5"
)
ADD_TO_ROLLUP = (  # constants only
    "INSERT INTO rating_rollups (service_point_id, service_key, day, ratings, verified,"  # noqa: S608  # nosec B608
    " overall_sum, level_1, level_2, level_3, level_4, level_5)"
    " VALUES (:service_point_id, :service_key, :day, :ratings, :verified, :overall_sum,"
    " :level_1, :level_2, :level_3, :level_4, :level_5)" + _ROLLUP_ADDS
)
ADD_TO_ANSWER_ROLLUP = (
    "INSERT INTO answer_rollups (service_point_id, service_key, day, question_id, value, answers)"
    " VALUES (:service_point_id, :service_key, :day, :question_id, :value, :answers)"
    " ON CONFLICT (service_point_id, service_key, day, question_id, value)"
    " DO UPDATE SET answers = answer_rollups.answers + excluded.answers"
)
REPEAT_DEVICE = f"SELECT 1 FROM ratings WHERE {_DEVICE_COUNTED_SINCE} LIMIT 1"  # noqa: S608  # nosec B608
#: The same question as one value, in the statement that stores a rating on PostgreSQL.
DEVICE_REPEATS = f"SELECT EXISTS (SELECT 1 FROM ratings WHERE {_DEVICE_COUNTED_SINCE})"  # noqa: S608  # nosec B608
DEVICE_TURN = "SELECT pg_advisory_xact_lock(:key)"
INSERT_CONTACT = (
    "INSERT INTO rating_contacts (rating_id, name, details, consented_at)"
    " VALUES (:rating_id, :name, :details, :consented_at)"
)
INSERT_FLAG = (
    "INSERT INTO rating_flags (rating_id, kind, status, created_at, reason)"
    " VALUES (:rating_id, :kind, :status, :created_at, '')"
)
POINT_OFFERS = (
    "SELECT 1 FROM service_point_services WHERE service_point_id = :point AND service_id = :service"
)

#: The columns of a rating that the statements below insert, and their values (the rating
#: counts unless it is flagged already or the device repeats: ``earlier``).
RATING_COLUMNS = (
    "service_point_id, service_id, survey_version_id, overall, created_at, is_verified,"
    " is_counted, has_contact, comment, comment_masked, follow_up_code, device_hash, ip_hash,"
    " answered_seconds, nonce, ticket_id, kiosk_id, client_id"
)
RATING_VALUES = (
    ":service_point_id, :service_id, :survey_version_id, :overall, :created_at, :is_verified,"
    " :is_counted AND NOT (SELECT repeats FROM earlier), :has_contact, :comment,"
    " :comment_masked, :follow_up_code, :device_hash, :ip_hash, :answered_seconds, :nonce,"
    " :ticket_id, :kiosk_id, :client_id"
)
#: Whether the device gave a counted rating at the point since ``:since``, as one value.
EARLIER = f"earlier AS ({DEVICE_REPEATS} AS repeats)"
# What a stored rating (``r``: its id and whether it counts) brings, as parts of a WITH. Each
# part writes only when the rating row is new (a re-sent form inserts nothing), the rollups
# only when it counts.
#: Its answers.
WITH_ANSWERS = (
    " answers AS (INSERT INTO rating_answers (rating_id, question_id, value)"
    " SELECT r.id, x.question_id, x.value FROM r,"
    " unnest(CAST(:question_ids AS integer[]), CAST(:answer_values AS integer[]))"
    " AS x(question_id, value)),"
)
#: The contact the citizen left.
WITH_CONTACT = (
    " contact AS (INSERT INTO rating_contacts (rating_id, name, details, consented_at)"
    " SELECT r.id, :contact_name, :contact_details, :created_at FROM r WHERE :has_contact),"
)
#: Its flags: those it earned by itself, and a repeated device's (``earlier``).
WITH_FLAGS = (
    " flags AS (INSERT INTO rating_flags (rating_id, kind, status, created_at, reason)"
    " SELECT r.id, k.kind, :flag_status, :created_at, '' FROM r, unnest(CAST(:flags AS"
    " varchar[]) || CASE WHEN (SELECT repeats FROM earlier) THEN ARRAY['DUPLICATE_DEVICE']"
    " ELSE CAST(ARRAY[] AS varchar[]) END) AS k(kind)),"
)
#: The case it opens, and the case's notices.
WITH_CASE = (
    " opened AS (INSERT INTO cases (rating_id, unit_id, reason, status, opened_at,"
    " acknowledge_due, resolve_due, what_changed, public_reply, private_reply, reopen_count,"
    " language) SELECT r.id, :unit_id, :case_reason, :case_status, :created_at,"
    " :acknowledge_due, :resolve_due, '', '', '', 0, :case_language FROM r WHERE :opens_case"
    " RETURNING id),"
    " notices AS (INSERT INTO case_notifications (unit_id, for_inspectors, case_id, kind,"
    " created_at) SELECT CASE WHEN x.for_inspectors THEN NULL ELSE :unit_id END,"
    " x.for_inspectors, opened.id, x.kind, :created_at FROM opened,"
    " unnest(CAST(:notice_kinds AS varchar[]), CAST(:notice_for_inspectors AS boolean[]))"
    " AS x(kind, for_inspectors)),"
)
#: Its place in the day's rollups (the last part: no comma after it).
WITH_ROLLUPS = (  # constants only
    " rollup AS (INSERT INTO rating_rollups (service_point_id, service_key, day, ratings,"  # noqa: S608  # nosec B608
    " verified, overall_sum, level_1, level_2, level_3, level_4, level_5)"
    " SELECT :service_point_id, :service_key, :day, :ratings, :verified, :overall_sum, :level_1,"
    " :level_2, :level_3, :level_4, :level_5 FROM r WHERE r.is_counted"
    f"{_ROLLUP_ADDS}),"
    " answer_rollup AS (INSERT INTO answer_rollups (service_point_id, service_key, day,"
    " question_id, value, answers)"
    " SELECT :service_point_id, :service_key, :day, x.question_id, x.value, 1 FROM r,"
    " unnest(CAST(:question_ids AS integer[]), CAST(:answer_values AS integer[]))"
    " AS x(question_id, value) WHERE r.is_counted"
    " ON CONFLICT (service_point_id, service_key, day, question_id, value)"
    " DO UPDATE SET answers = answer_rollups.answers + excluded.answers)"
)
#: All that a rating brings.
WITH_RATING = WITH_ANSWERS + WITH_CONTACT + WITH_FLAGS + WITH_CASE + WITH_ROLLUPS

#: PostgreSQL stores a rating with everything it brings in one statement (:data:`WITH_RATING`).
#: One round trip instead of eight; the device's turn (:func:`take_device_turn`) is taken by
#: the statement before, so that this statement's snapshot sees the device's earlier rating.
#: SQLite runs the statements above.
STORE_AND_COUNT = (  # constants only
    f"WITH {EARLIER}, r AS (INSERT INTO ratings ({RATING_COLUMNS}) VALUES ({RATING_VALUES})"  # noqa: S608  # nosec B608
    f" ON CONFLICT (nonce) DO NOTHING RETURNING id, is_counted),{WITH_RATING}"
    " SELECT r.id, r.is_counted FROM r"
)

_PYFORMAT = re.compile(r"(?<![:\w]):(\w+)")


@functools.lru_cache(maxsize=64)
def _for_driver(statement: str, dialect: str) -> str:
    return _PYFORMAT.sub(r"%(\1)s", statement) if dialect == "postgresql" else statement


#: The parameters of the statements above that hold a datetime, and those that hold a date.
_TIME_PARAMETERS = frozenset({"created_at", "since", "opened_at", "consented_at"})
_DAY_PARAMETERS = frozenset({"day", "acknowledge_due", "resolve_due"})


def sqlite_time(value: datetime) -> str:
    """A datetime as SQLAlchemy writes it into SQLite (always with microseconds)."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


class Cursor:
    """The driver's cursor on one connection, inside that connection's transaction.

    Without arguments: the session's connection (its transaction begins if need be). The
    rating intake at the WSGI edge passes a pooled driver connection of its own instead.
    """

    def __init__(
        self,
        connection: Any = None,
        dialect: str | None = None,
        begin: Callable[[], None] | None = None,
    ) -> None:
        #: Whether the ORM session owns the connection (its pending changes are flushed first).
        self.is_session_bound = connection is None
        #: Starts the write transaction of a connection that reads in autocommit before it
        #: writes (see :meth:`begin_writes`).
        self._begin = begin
        if connection is None:
            bound = db.session.connection()
            dialect = bound.dialect.name
            connection = bound.connection.driver_connection
        assert dialect is not None
        self.dialect = dialect
        self._errors: type[Exception] = _driver_errors(dialect)
        self._connection = connection
        self._cursor = connection.cursor()

    def prepare(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        """The parameters as the driver takes them: SQLite's is given times and days as the
        text SQLAlchemy stores for them."""
        if self.dialect != "sqlite":
            return params
        converted = dict(params)
        for name in _TIME_PARAMETERS.intersection(params):
            if params[name] is not None:
                converted[name] = sqlite_time(params[name])
        for name in _DAY_PARAMETERS.intersection(params):
            if params[name] is not None:
                converted[name] = params[name].isoformat()
        return converted

    def execute(self, statement: str, params: Mapping[str, Any]) -> Any:
        return self.execute_prepared(statement, self.prepare(params))

    def execute_prepared(self, statement: str, params: Mapping[str, Any]) -> Any:
        """:meth:`execute` with parameters :meth:`prepare` has converted already."""
        sql = _for_driver(statement, self.dialect)
        try:
            self._cursor.execute(sql, params)
        except self._errors as exc:
            raise self._wrapped(sql, exc) from exc
        return self._cursor

    def execute_many(self, statement: str, rows: list[dict[str, Any]]) -> None:
        self.execute_many_prepared(statement, [self.prepare(row) for row in rows])

    def execute_many_prepared(self, statement: str, rows: Sequence[Mapping[str, Any]]) -> None:
        sql = _for_driver(statement, self.dialect)
        try:
            self._cursor.executemany(sql, rows)
        except self._errors as exc:
            raise self._wrapped(sql, exc) from exc

    def _wrapped(self, sql: str, exc: Exception) -> Exception:
        """The driver's error as SQLAlchemy raises it (IntegrityError, OperationalError, …), so
        that callers and the error pages treat it as they treat any other."""
        return DBAPIError.instance(sql, None, exc, self._errors)

    def first(self, statement: str, params: Mapping[str, Any]) -> Any:
        return self.execute(statement, params).fetchone()

    def first_prepared(self, statement: str, params: Mapping[str, Any]) -> Any:
        return self.execute_prepared(statement, params).fetchone()

    def fetchone(self) -> Any:
        """The next row of the last statement's result."""
        try:
            return self._cursor.fetchone()
        except self._errors as exc:
            raise self._wrapped("FETCH", exc) from exc

    def commit(self) -> None:
        """Commit a connection of the caller's own (the session commits its own)."""
        if self.is_session_bound:
            raise RuntimeError("the session's transaction is committed by the session")
        try:
            self._connection.commit()
        except self._errors as exc:
            raise self._wrapped("COMMIT", exc) from exc

    def begin_writes(self) -> None:
        """Start the write transaction now if the connection's owner asked to be told (the
        session's has begun already): everything before the first write stays outside it."""
        if self._begin is not None:
            begin, self._begin = self._begin, None
            begin()


@functools.lru_cache(maxsize=4)
def _driver_errors(dialect: str) -> type[Exception]:
    """The base class of the driver's errors (PEP 249 ``Error``)."""
    if dialect == "sqlite":
        import sqlite3

        return sqlite3.Error
    import psycopg

    return psycopg.Error


# ---- rollups ---------------------------------------------------------------------------------


def rating_counters(overall: int, is_verified: bool, sign: int = 1) -> dict[str, int]:
    counters = {
        "ratings": sign,
        "verified": sign if is_verified else 0,
        "overall_sum": sign * overall,
    }
    for level in LEVELS:
        counters[f"level_{level}"] = sign if level == overall else 0
    return counters


def _rollup_rows(
    key: Mapping[str, Any], counters: Mapping[str, int], answers: Mapping[int, int], sign: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The parameters of :data:`ADD_TO_ROLLUP` and of each :data:`ADD_TO_ANSWER_ROLLUP` that add
    (sign=1) or take away (sign=-1) a rating (``counters``: :func:`rating_counters`) and its
    answers in the rollups of ``key`` (point, service key, day)."""
    answer_rows = [
        {**key, "question_id": question_id, "value": value, "answers": sign}
        for question_id, value in answers.items()
    ]
    return {**key, **counters}, answer_rows


def count_in_rollups(
    point_id: int,
    service_id: int | None,
    day: date,
    overall: int,
    is_verified: bool,
    answers: Mapping[int, int],
    sign: int = 1,
    cursor: Cursor | None = None,
) -> None:
    """Add (sign=1) or take away (sign=-1) one rating and its answers in the day's rollups."""
    key = {"service_point_id": point_id, "service_key": service_id or 0, "day": day}
    counters = rating_counters(overall, is_verified, sign)
    rollup, answer_rows = _rollup_rows(key, counters, answers, sign)
    cursor = cursor or Cursor()
    cursor.execute(ADD_TO_ROLLUP, rollup)
    if answer_rows:
        cursor.execute_many(ADD_TO_ANSWER_ROLLUP, answer_rows)


# ---- storing ---------------------------------------------------------------------------------


def point_offers(point_id: int, service_id: int, cursor: Cursor | None = None) -> bool:
    params = {"point": point_id, "service": service_id}
    return (cursor or Cursor()).first(POINT_OFFERS, params) is not None


def take_device_turn(point_id: int, device_hash: str, cursor: Cursor) -> None:
    """On PostgreSQL two submissions of one device at one point take turns (a lock held until
    the commit), so that the second sees the first; SQLite's writers take turns anyway."""
    if cursor.dialect == "postgresql":
        cursor.execute(DEVICE_TURN, {"key": device_turn_key(point_id, device_hash)})


def device_turn_key(point_id: int, device_hash: str) -> int:
    """The advisory lock of a device's turn at a point (a signed 64-bit integer)."""
    digest = hashlib.blake2b(f"{point_id}:{device_hash}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def is_repeat_device(point_id: int, device_hash: str, since: datetime, cursor: Cursor) -> bool:
    """Whether this device already gave a counted rating at the point since ``since`` (after
    :func:`take_device_turn`)."""
    params = {"device_hash": device_hash, "service_point_id": point_id, "since": since}
    return cursor.first(REPEAT_DEVICE, params) is not None


def new_follow_up_code() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(FOLLOW_UP_LENGTH))


def rating_row(
    point_id: int,
    version: VersionShape,
    values: dict[str, Any],
    contact: tuple[str, str] | None,
    repeat_since: datetime | None,
) -> dict[str, Any]:
    """The parameters of a rating's INSERT: its columns and the repeated-device window."""
    comment = values.get("comment")
    return {
        "service_point_id": point_id,
        "survey_version_id": version.id,
        "service_id": None,
        "is_verified": False,
        "has_contact": contact is not None,
        "comment": None,
        "comment_masked": mask_personal_data(comment) if comment else None,
        "follow_up_code": new_follow_up_code() if comment or contact else None,
        "device_hash": None,
        "ip_hash": None,
        "answered_seconds": None,
        "nonce": None,
        "ticket_id": None,
        "kiosk_id": None,
        "client_id": None,
        **values,
        "since": repeat_since,
    }


def store(
    point_id: int,
    version: VersionShape,
    values: dict[str, Any],
    answers: Mapping[int, int],
    flags: list[FlagKind],
    contact: tuple[str, str] | None,
    cursor: Cursor | None = None,
    repeat_since: datetime | None = None,
) -> Stored:
    """Insert one checked rating with its answers, contact and flags (not yet counted).

    ``values`` holds the rating's own columns (overall, created_at, comment, nonce, …). A
    rating whose device gave a counted rating at the point since ``repeat_since`` is flagged
    as a duplicate device. A nonce that is already stored inserts nothing and returns
    ``Stored(id=None)``; a used ticket or a repeated kiosk id raises IntegrityError (the
    database decides, not a check before). :func:`count_stored` then adds it to the rollups.
    """
    row = rating_row(point_id, version, values, contact, repeat_since)
    cursor = cursor or Cursor()
    if cursor.is_session_bound:
        db.session.flush()
    writes = _RatingWrites.of(row, answers, flags, contact, cursor)
    cursor.begin_writes()
    return writes.insert(cursor)


@dataclass
class _RatingWrites:
    """A rating and the rows it brings (answers, contact, flags), their parameters made ready
    for the driver before the write transaction begins; the rows get the rating's id once it
    is stored. SQLite has one writer at a time: every other writer waits while this one works
    between its statements."""

    row: dict[str, Any]
    rating: Mapping[str, Any]
    flags: list[FlagKind]
    answer_rows: list[dict[str, Any]]
    contact_row: Mapping[str, Any] | None
    flag_row: Mapping[str, Any]

    @classmethod
    def of(
        cls,
        row: dict[str, Any],
        answers: Mapping[int, int],
        flags: list[FlagKind],
        contact: tuple[str, str] | None,
        cursor: Cursor,
    ) -> _RatingWrites:
        """``row``: the rating's parameters (:func:`_rating_row`)."""
        created_at = row["created_at"]
        contact_row = None
        if contact is not None:
            name, details = contact
            contact_row = cursor.prepare(
                {"rating_id": 0, "name": name, "details": details, "consented_at": created_at}
            )
        return cls(
            row,
            # A flag found while storing (a repeated device) joins flags, so this stays true.
            cursor.prepare({**row, "is_counted": not flags}),
            list(flags),
            [{"rating_id": 0, "question_id": q, "value": v} for q, v in answers.items()],
            contact_row,
            cursor.prepare(
                {
                    "rating_id": 0,
                    "kind": "",
                    "status": FlagStatus.OPEN.name,
                    "created_at": created_at,
                }
            ),
        )

    def insert(self, cursor: Cursor) -> Stored:
        """Inside the write transaction: the rating, then its answers, contact and flags. A
        rating whose device gave a counted rating at the point since the row's ``since`` is
        flagged as a duplicate device; a re-sent form (its nonce stored) inserts nothing."""
        row, flags = self.row, self.flags
        point_id, device, since = row["service_point_id"], row["device_hash"], row["since"]
        if device is not None and since is not None:
            take_device_turn(point_id, device, cursor)
            # A flagged rating does not count anyway: whether the device repeats is asked apart.
            if flags and is_repeat_device(point_id, device, since, cursor):
                flags.append(FlagKind.DUPLICATE_DEVICE)
        found = cursor.first_prepared(INSERT_RATING, self.rating)
        if found is None:
            return Stored(None, row["nonce"], row["follow_up_code"], False, row["created_at"])
        rating_id, is_counted = found[0], bool(found[1])
        if not flags and not is_counted:
            flags.append(FlagKind.DUPLICATE_DEVICE)
        for answer in self.answer_rows:
            answer["rating_id"] = rating_id
        if self.answer_rows:
            cursor.execute_many_prepared(INSERT_ANSWER, self.answer_rows)
        if self.contact_row is not None:
            cursor.execute_prepared(INSERT_CONTACT, {**self.contact_row, "rating_id": rating_id})
        if flags:
            flag_rows = [
                # enum columns hold the member's name
                {**self.flag_row, "rating_id": rating_id, "kind": kind.name}
                for kind in flags
            ]
            cursor.execute_many_prepared(INSERT_FLAG, flag_rows)
        return Stored(rating_id, row["nonce"], row["follow_up_code"], is_counted, row["created_at"])


def count_stored(
    stored: Stored,
    point_id: int,
    values: dict[str, Any],
    answers: Mapping[int, int],
    cursor: Cursor | None = None,
) -> None:
    """Add a stored, unflagged rating to its rollups: the last statements of the transaction,
    because every rating of a service point and day updates the same rollup rows, and each
    writer holds those rows until it commits."""
    if stored.id is None or not stored.is_counted:
        return
    count_in_rollups(
        point_id,
        values.get("service_id"),
        stored.created_at.date(),
        values["overall"],
        bool(values.get("is_verified")),
        answers,
        cursor=cursor,
    )


def store_and_count(
    point_id: int,
    version: VersionShape,
    values: dict[str, Any],
    answers: Mapping[int, int],
    flags: list[FlagKind],
    contact: tuple[str, str] | None,
    cursor: Cursor,
    repeat_since: datetime | None,
    case: Mapping[str, Any] | None,
    commit: bool = False,
) -> Stored:
    """:func:`store`, the case's opening and :func:`count_stored` in one statement, on
    PostgreSQL (:data:`STORE_AND_COUNT`). ``case``: the case's columns and notices
    (``casework.services.case_opening``), when storing the rating opens one. ``commit``: the
    cursor's own connection commits once the rating is stored. SQLite:
    :func:`_store_and_count_in_steps`. (The intake at the WSGI edge stores a rating on
    PostgreSQL with :mod:`~citizenvoice.surveys.intake_pg` instead.)"""
    row = rating_row(point_id, version, values, contact, repeat_since)
    if cursor.is_session_bound:
        db.session.flush()
    if cursor.dialect != "postgresql":
        return _store_and_count_in_steps(row, answers, flags, contact, cursor, case, commit)
    if row["device_hash"] is not None and repeat_since is not None:
        take_device_turn(point_id, row["device_hash"], cursor)
    created_at: datetime = row["created_at"]
    params = statement_parameters(row, answers, flags, contact, case)
    cursor.execute(STORE_AND_COUNT, params)
    if commit:
        cursor.commit()
    found = cursor.fetchone()
    if found is None:  # a re-sent form: the first one stands
        return Stored(None, row["nonce"], row["follow_up_code"], False, created_at)
    return Stored(found[0], row["nonce"], row["follow_up_code"], bool(found[1]), created_at)


def statement_parameters(
    row: dict[str, Any],
    answers: Mapping[int, int],
    flags: list[FlagKind],
    contact: tuple[str, str] | None,
    case: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The parameters of :data:`STORE_AND_COUNT` (``row``: the rating's, :func:`rating_row`)."""
    return {
        **row,
        "is_counted": not flags,
        "question_ids": list(answers),
        "answer_values": list(answers.values()),
        "contact_name": contact[0] if contact else None,
        "contact_details": contact[1] if contact else None,
        "flags": [kind.name for kind in flags],  # enum columns hold the member's name
        "flag_status": FlagStatus.OPEN.name,
        "opens_case": case is not None,
        **(case or _NO_CASE),
        "service_key": row["service_id"] or 0,
        "day": row["created_at"].date(),
        **rating_counters(row["overall"], bool(row["is_verified"])),
    }


def _store_and_count_in_steps(
    row: dict[str, Any],
    answers: Mapping[int, int],
    flags: list[FlagKind],
    contact: tuple[str, str] | None,
    cursor: Cursor,
    case: Mapping[str, Any] | None,
    commit: bool,
) -> Stored:
    """:func:`store_and_count` where a statement cannot write to several tables (SQLite): the
    statements of :func:`store`, ``open_case`` and :func:`count_stored`, with every parameter
    made ready before the write transaction begins (see :class:`_RatingWrites`). ``row``: the
    rating's parameters (:func:`_rating_row`)."""
    from citizenvoice.casework.services import INSERT_CASE, INSERT_NOTIFICATION

    prepare = cursor.prepare
    created_at: datetime = row["created_at"]
    writes = _RatingWrites.of(row, answers, flags, contact, cursor)
    case_row, notice_rows = None, []
    if case is not None:
        case_row = prepare(
            {
                "rating_id": 0,
                "unit_id": case["unit_id"],
                "reason": case["case_reason"],
                "status": case["case_status"],
                "opened_at": created_at,
                "acknowledge_due": case["acknowledge_due"],
                "resolve_due": case["resolve_due"],
                "language": case["case_language"],
            }
        )
        notice_rows = [
            prepare(
                {
                    "unit_id": None if for_inspectors else case["unit_id"],
                    "for_inspectors": for_inspectors,
                    "case_id": 0,
                    "kind": kind,
                    "created_at": created_at,
                }
            )
            for kind, for_inspectors in zip(
                case["notice_kinds"], case["notice_for_inspectors"], strict=True
            )
        ]
    key = {"service_point_id": row["service_point_id"], "service_key": row["service_id"] or 0}
    counters = rating_counters(row["overall"], bool(row["is_verified"]))
    rollup, answer_rollups = _rollup_rows({**key, "day": created_at.date()}, counters, answers, 1)
    rollup_row = prepare(rollup)
    answer_rollup_rows = [prepare(answer_rollup) for answer_rollup in answer_rollups]

    cursor.begin_writes()
    stored = writes.insert(cursor)
    if stored.id is not None and case_row is not None:
        case_id = cursor.first_prepared(INSERT_CASE, {**case_row, "rating_id": stored.id})[0]
        notices = [{**notice, "case_id": case_id} for notice in notice_rows]
        cursor.execute_many_prepared(INSERT_NOTIFICATION, notices)
    if stored.is_counted:  # stored now, and not flagged
        cursor.execute_prepared(ADD_TO_ROLLUP, rollup_row)
        if answer_rollup_rows:
            cursor.execute_many_prepared(ADD_TO_ANSWER_ROLLUP, answer_rollup_rows)
    if commit:
        cursor.commit()
    return stored


#: The case parameters of :data:`STORE_AND_COUNT` for a rating that opens no case.
_NO_CASE: dict[str, Any] = {
    "unit_id": None,
    "case_reason": None,
    "case_status": None,
    "acknowledge_due": None,
    "resolve_due": None,
    "case_language": None,
    "notice_kinds": [],
    "notice_for_inspectors": [],
}
