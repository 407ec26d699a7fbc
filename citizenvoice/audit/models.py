"""Audit entries: one per change of an audited row or per recorded event, hash-chained."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.extensions import Model


class AuditEntry(Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    #: Position in the chain, gap-free from 1.
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(index=True)
    #: Who acted, as shown to readers: a username, "system" or "cli:<command>".
    actor_label: Mapped[str] = mapped_column(String(120))
    #: create / update / delete, or a domain event such as "cycle.published".
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(60))
    #: The unit the changed thing belongs to, so a unit official can read their own trail.
    unit_id: Mapped[int | None] = mapped_column(index=True)
    #: Canonical JSON of everything above plus before/after values; the hash covers it.
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
