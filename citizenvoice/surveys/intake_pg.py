"""PostgreSQL: a rating from the WSGI edge stored in one message to the database.

Each message between the application and PostgreSQL costs both processes a system call and a
wake-up, which on a small machine cost more than most statements. The edge therefore sends a
rating as one simple-protocol message of two statements, which PostgreSQL runs as one
transaction (each statement with a fresh snapshot): the device's turn at the point (an advisory
lock held until the commit), then ``EXECUTE`` of :func:`store_at_point`, prepared once per
connection. One message out, one answer back.

:func:`store_at_point` is :data:`~citizenvoice.surveys.intake.STORE_AND_COUNT` that first
checks the point in the same snapshot: the QR token names the point, the point and its unit
take ratings, the point belongs to the unit the caller expects, and offers the service rated.
If not, nothing is written and the caller leaves the post to the view, which explains.

The parameters are written into the message as literals of the types the statement declares
(:data:`PARAMETER_TYPES`): numbers, dates and booleans as Python prints them, text through
libpq's own quoting (``PQescapeLiteral``), so nothing the citizen typed can leave its string.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from citizenvoice.surveys import intake
from citizenvoice.surveys.intake import Stored, device_turn_key

#: The point the form was shown for, if it still takes ratings of this service, read in the
#: statement's own snapshot: the rating and all it brings are written only if it does.
POINT = (
    "point AS (SELECT p.id FROM service_points p JOIN units u ON u.id = p.unit_id"
    " WHERE p.id = :service_point_id AND p.token = :token AND p.unit_id = :point_unit_id"
    " AND p.is_active AND u.is_active AND (:service_id IS NULL OR EXISTS"
    " (SELECT 1 FROM service_point_services s WHERE s.service_point_id = p.id"
    " AND s.service_id = :service_id)))"
)


def store_at_point(contact: bool, case: bool) -> str:
    """The statement that stores a rating at :data:`POINT`, with or without the parts for a
    contact and a case (a statement does less work for each part it does not have). It
    answers whether the point takes the rating, the stored rating's id (NULL: its nonce was
    stored already) and whether it counts."""
    parts = (
        intake.WITH_ANSWERS
        + (intake.WITH_CONTACT if contact else "")
        + intake.WITH_FLAGS
        + (intake.WITH_CASE if case else "")
        + intake.WITH_ROLLUPS
    )
    return (  # constants only
        f"WITH {POINT}, {intake.EARLIER}, r AS (INSERT INTO ratings ({intake.RATING_COLUMNS})"  # noqa: S608  # nosec B608
        f" SELECT {intake.RATING_VALUES} FROM point ON CONFLICT (nonce) DO NOTHING"
        f" RETURNING id, is_counted),{parts}"
        " SELECT EXISTS (SELECT 1 FROM point), (SELECT id FROM r), (SELECT is_counted FROM r)"
    )


#: The declared type of each parameter of :func:`store_at_point`, which also decides how its
#: value is written as a literal.
PARAMETER_TYPES: dict[str, str] = {
    "service_point_id": "integer",
    "token": "text",
    "point_unit_id": "integer",
    "service_id": "integer",
    "device_hash": "text",
    "since": "timestamp",
    "survey_version_id": "integer",
    "overall": "smallint",
    "created_at": "timestamp",
    "is_verified": "boolean",
    "is_counted": "boolean",
    "has_contact": "boolean",
    "comment": "text",
    "comment_masked": "text",
    "follow_up_code": "text",
    "ip_hash": "text",
    "answered_seconds": "double precision",
    "nonce": "text",
    "ticket_id": "bigint",
    "kiosk_id": "integer",
    "client_id": "text",
    "question_ids": "integer[]",
    "answer_values": "integer[]",
    "contact_name": "text",
    "contact_details": "text",
    "flag_status": "text",
    "flags": "varchar[]",
    "unit_id": "integer",
    "case_reason": "text",
    "case_status": "text",
    "acknowledge_due": "date",
    "resolve_due": "date",
    "case_language": "text",
    "opens_case": "boolean",
    "notice_kinds": "varchar[]",
    "notice_for_inspectors": "boolean[]",
    "service_key": "integer",
    "day": "date",
    "ratings": "integer",
    "verified": "integer",
    "overall_sum": "integer",
    "level_1": "integer",
    "level_2": "integer",
    "level_3": "integer",
    "level_4": "integer",
    "level_5": "integer",
}

_NAMED = re.compile(r"(?<![:\w]):(\w+)")


def _numbered(statement: str) -> tuple[str, tuple[str, ...]]:
    """The statement with ``$1``, ``$2``, … for its ``:name`` parameters, and their names."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _NAMED.sub(number, statement), tuple(names)


@dataclass(frozen=True)
class Prepared:
    """One form of :func:`store_at_point` as a prepared statement: its name, the ``PREPARE``
    that makes it (with the device's turn, ``intake.DEVICE_TURN``, as ``<name>_turn``) and
    how its parameters are written."""

    name: str
    prepare: str
    writers: tuple[tuple[str, Callable[[Any, Callable[[str], str]], str]], ...]

    @property
    def turn(self) -> str:
        return f"{self.name}_turn"

    @classmethod
    @functools.cache
    def of(cls, contact: bool, case: bool) -> Prepared:
        body, names = _numbered(store_at_point(contact, case))
        # A new text gets a new name (connections outlive no deployment, but tests reuse them).
        name = "cv_store_at_point_" + hashlib.sha256(body.encode()).hexdigest()[:12]
        types = ", ".join(PARAMETER_TYPES[n] for n in names)
        prepare = (
            f"PREPARE {name} ({types}) AS {body};"
            f" PREPARE {name}_turn (bigint) AS SELECT pg_advisory_xact_lock($1)"
        )
        writers = tuple((n, _LITERALS[PARAMETER_TYPES[n]]) for n in names)
        return cls(name, prepare, writers)

    def arguments(self, params: Mapping[str, Any], quote: Callable[[str], str]) -> str:
        """The parameters as the argument list of the statement's ``EXECUTE``."""
        return ", ".join(
            "NULL" if (value := params[name]) is None else write(value, quote)
            for name, write in self.writers
        )


#: The key under which a pooled connection's ``info`` keeps the names it has prepared.
PREPARED = "surveys.store_at_point"


# ---- literals --------------------------------------------------------------------------------


def _integer(value: Any, _quote: Callable[[str], str]) -> str:
    return str(int(value))


def _boolean(value: Any, _quote: Callable[[str], str]) -> str:
    return "true" if value else "false"


def _double(value: Any, _quote: Callable[[str], str]) -> str:
    return f"'{float(value)!r}'"  # quoted: 'inf' and 'nan' are float8's words too


def _timestamp(value: Any, _quote: Callable[[str], str]) -> str:
    if not isinstance(value, datetime) or value.tzinfo is not None:
        raise TypeError(f"a naive UTC datetime is expected, not {value!r}")
    return f"'{value.isoformat(sep=' ')}'"


def _date(value: Any, _quote: Callable[[str], str]) -> str:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"a date is expected, not {value!r}")
    return f"'{value.isoformat()}'"


def _text(value: Any, quote: Callable[[str], str]) -> str:
    return quote(str(value))


def _integers(value: Any, _quote: Callable[[str], str]) -> str:
    return "'{" + ",".join(str(int(item)) for item in value) + "}'"


def _booleans(value: Any, _quote: Callable[[str], str]) -> str:
    return "'{" + ",".join("t" if item else "f" for item in value) + "}'"


def _texts(value: Any, quote: Callable[[str], str]) -> str:
    return f"ARRAY[{', '.join(quote(str(item)) for item in value)}]" if value else "'{}'"


_LITERALS: dict[str, Callable[[Any, Callable[[str], str]], str]] = {
    "integer": _integer,
    "smallint": _integer,
    "bigint": _integer,
    "boolean": _boolean,
    "double precision": _double,
    "timestamp": _timestamp,
    "date": _date,
    "text": _text,
    "integer[]": _integers,
    "boolean[]": _booleans,
    "varchar[]": _texts,
}


def quoting(driver: Any) -> Callable[[str], str]:
    """libpq's quoting of a string literal for this connection (its encoding and settings)."""
    from psycopg import pq

    escaping = pq.Escaping(driver.pgconn)
    encoding = driver.info.encoding

    def quote(text: str) -> str:
        return bytes(escaping.escape_literal(text.encode(encoding))).decode(encoding)

    return quote


# ---- storing ---------------------------------------------------------------------------------


def store(driver: Any, info: dict[str, Any], params: Mapping[str, Any]) -> Stored | None:
    """Store a rating with everything it brings in one message on ``driver`` (a psycopg
    connection outside a transaction, in autocommit); ``info``: the pooled connection's, which
    remembers the statements prepared on it. ``params``: those of :func:`store_at_point`
    (``intake.statement_parameters`` with ``token`` and ``point_unit_id``).

    None: the point does not take this rating (nothing was written). ``Stored(id=None)``: the
    nonce was stored already. Driver errors are raised as they come (the database has rolled
    the transaction back).
    """
    statement = Prepared.of(bool(params["has_contact"]), bool(params["opens_case"]))
    prepared: set[str] = info.setdefault(PREPARED, set())
    if statement.name not in prepared:
        driver.execute(statement.prepare, prepare=False)
        prepared.add(statement.name)
    message = f"EXECUTE {statement.name}({statement.arguments(params, quoting(driver))})"
    device, since = params["device_hash"], params["since"]
    turn = device is not None and since is not None
    if turn:
        key = device_turn_key(params["service_point_id"], device)
        message = f"EXECUTE {statement.turn}({key}); {message}"
    with driver.cursor() as cursor:
        cursor.execute(message, prepare=False)
        if turn:
            cursor.nextset()
        point_takes, rating_id, is_counted = cursor.fetchone()
    if not point_takes:
        return None
    return Stored(
        rating_id, params["nonce"], params["follow_up_code"], bool(is_counted),
        params["created_at"],
    )  # fmt: skip
