"""Other ways in: single-use tickets and kiosks (tablets posting batches of ratings)."""

from __future__ import annotations

import hashlib
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, insert, select

from citizenvoice.core.errors import DomainError, NotFound
from citizenvoice.extensions import db
from citizenvoice.org.models import ServicePoint
from citizenvoice.surveys.models import Kiosk, Rating, Ticket, TicketBatch
from citizenvoice.surveys.qr import new_point_token, normalize_token

MAX_BATCH = 1000


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def create_ticket_batch(
    point: ServicePoint, size: int, staff_id: int | None
) -> tuple[TicketBatch, list[str]]:
    """Make ``size`` single-use codes; the codes are returned once and stored only hashed."""
    if not 1 <= size <= MAX_BATCH:
        raise DomainError(_l("A batch holds between 1 and %(max)s tickets.", max=MAX_BATCH))
    batch = TicketBatch(service_point_id=point.id, size=size, created_by_id=staff_id)
    db.session.add(batch)
    db.session.flush()
    codes = [new_point_token() for _ in range(size)]
    db.session.execute(
        insert(Ticket),
        [
            {"batch_id": batch.id, "service_point_id": point.id, "code_hash": _sha256(code)}
            for code in codes
        ],
    )
    db.session.flush()
    return batch, codes


def ticket_by_code(code: str) -> Ticket:
    canonical = normalize_token(code)
    ticket = None
    if canonical is not None:
        ticket = db.session.scalar(select(Ticket).where(Ticket.code_hash == _sha256(canonical)))
    if ticket is None:
        raise NotFound()
    return ticket


def ticket_is_used(ticket: Ticket) -> bool:
    return bool(db.session.scalar(select(exists().where(Rating.ticket_id == ticket.id))))


def create_kiosk(point: ServicePoint, name: str) -> tuple[Kiosk, str]:
    """Register a kiosk; its bearer key is returned once and stored only as a hash."""
    key = "kiosk_" + secrets.token_urlsafe(32)
    kiosk = Kiosk(service_point_id=point.id, name=name.strip(), key_hash=_sha256(key))
    kiosk.service_point = point
    db.session.add(kiosk)
    db.session.flush()
    return kiosk, key


def kiosk_by_key(key: str) -> Kiosk | None:
    if not key or len(key) > 200:
        return None
    kiosk = db.session.scalar(select(Kiosk).where(Kiosk.key_hash == _sha256(key)))
    if kiosk is None or not kiosk.is_active:
        return None
    return kiosk


def set_kiosk_active(kiosk: Kiosk, active: bool) -> None:
    kiosk.is_active = active
    db.session.flush()
