"""Recording staff writes in the audit chain, automatically on flush, and verifying it."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, insert, inspect, select, text
from sqlalchemy.orm import Session

from citizenvoice.audit.chain import (
    GENESIS,
    ChainReport,
    StoredEntry,
    canonical,
    entry_hash,
    plain,
    verify_chain,
)
from citizenvoice.audit.models import AuditEntry
from citizenvoice.core.db import utcnow
from citizenvoice.extensions import db

log = logging.getLogger(__name__)
#: Arbitrary constant for PostgreSQL's transaction-scoped advisory lock on the chain head.
CHAIN_LOCK_KEY = 0x43565F41554454


@dataclass(frozen=True)
class Actor:
    id: int | None
    label: str


SYSTEM = Actor(None, "system")
current_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar("audit_actor", default=SYSTEM)


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = current_actor.set(actor)
    try:
        yield
    finally:
        current_actor.reset(token)


def _column_values(obj: Any, which: str) -> dict[str, Any]:
    state = inspect(obj)
    excluded: frozenset[str] = getattr(obj, "__audit_exclude__", frozenset())
    values: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        hist = state.attrs[key].history
        if which == "before":
            if not hist.has_changes():
                continue
            old = hist.deleted[0] if hist.deleted else None
            values[key] = "<changed>" if key in excluded else plain(old)
        else:
            if which == "changed" and not hist.has_changes():
                continue
            current = state.attrs[key].value
            values[key] = "<set>" if key in excluded else plain(current)
    return values


def _entity_id(obj: Any) -> str | None:
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return "/".join(str(part) for part in key) if all(p is not None for p in key) else None


def _changes(session: Session) -> list[dict[str, Any]]:
    changes = []
    for action, objects in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            if not getattr(type(obj), "__audited__", False):
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            before = {} if action == "create" else _column_values(obj, "before")
            after = (
                {}
                if action == "delete"
                else _column_values(obj, "after" if action == "create" else "changed")
            )
            unit_getter = getattr(obj, "audit_unit_id", None)
            changes.append(
                {
                    "action": action,
                    "entity_type": obj.__tablename__,
                    "entity_id": _entity_id(obj),
                    "unit_id": unit_getter() if unit_getter else None,
                    "details": {"before": before, "after": after},
                }
            )
    return changes


def _append(session: Session, changes: list[dict[str, Any]]) -> None:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    last = connection.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
    actor = current_actor.get()
    rows = []
    for change in changes:
        seq += 1
        columns = {
            "seq": seq,
            "created_at": utcnow(),
            "actor_id": actor.id,
            "actor_label": actor.label,
            "action": change["action"],
            "entity_type": change["entity_type"],
            "entity_id": change["entity_id"],
            "unit_id": change["unit_id"],
        }
        payload = canonical({**columns, "details": change["details"]})
        digest = entry_hash(prev, payload)
        rows.append({**columns, "payload": payload, "prev_hash": prev, "hash": digest})
        prev = digest
    connection.execute(insert(AuditEntry), rows)


@event.listens_for(Session, "after_flush")
def _audit_after_flush(session: Session, _context: Any) -> None:
    changes = _changes(session)
    if changes:
        _append(session, changes)


def record_event(
    action: str,
    entity_type: str,
    entity_id: int | str | None = None,
    unit_id: int | None = None,
    **details: Any,
) -> None:
    """Record a domain event (a login, a state transition, a publication) in the chain."""
    db.session.flush()
    _append(
        db.session(),
        [
            {
                "action": action,
                "entity_type": entity_type,
                "entity_id": None if entity_id is None else str(entity_id),
                "unit_id": unit_id,
                "details": {k: plain(v) for k, v in details.items()},
            }
        ],
    )


def _stored(entry: AuditEntry) -> StoredEntry:
    columns = {
        "seq": entry.seq,
        "created_at": entry.created_at,
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "unit_id": entry.unit_id,
    }
    return StoredEntry(entry.seq, entry.payload, entry.prev_hash, entry.hash, columns)


def verify() -> ChainReport:
    """Check the whole chain in the database; report the first broken link."""
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(1000)
    return verify_chain(_stored(e) for e in entries)


def chain_head() -> tuple[int, str]:
    """The sequence number and hash of the latest entry (what publications show)."""
    last = db.session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (last.seq, last.hash) if last else (0, GENESIS)
