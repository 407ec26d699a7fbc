"""What the case, appeal and plan services share: the refusal they raise, the minimum text, the
holiday calendar, a staff member's units and the staff notifications."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from citizenvoice.accounts.models import User
from citizenvoice.casework import mail as casework_mail
from citizenvoice.casework.models import Case, Holiday, Notification
from citizenvoice.core.db import utcnow
from citizenvoice.core.errors import DomainError
from citizenvoice.extensions import db
from citizenvoice.mail.models import OutboxMessage
from citizenvoice.org.services import descendant_ids

#: The shortest reply, reason or description accepted (a full sentence).
MIN_TEXT = 10

NOTIFICATION_TEXT = {
    "opened": _l("A new case was opened."),
    "integrity": _l("A citizen reported being asked for gifts, favours or fees."),
    "reopened": _l("The citizen said the problem is not solved; the case was reopened."),
    "escalated": _l("A case of a unit below yours was escalated to your unit."),
    "appeal_filed": _l("An appeal was filed and waits for a reviewer."),
}


class CaseError(DomainError):
    """A refused case action; ``field`` names the form field the message belongs to."""

    def __init__(self, message: object, field: str | None = None) -> None:
        super().__init__(str(message))
        self.field = field


def holidays_between(start: date, end: date) -> set[date]:
    return set(db.session.scalars(select(Holiday.day).where(Holiday.day.between(start, end))))


def today() -> date:
    """Today's date in UTC, the day deadlines are counted from."""
    return utcnow().date()


def scope_of(user: User) -> set[int]:
    """The user's unit and its sub-units (none without a unit)."""
    return descendant_ids(user.unit_id) if user.unit_id else set()


def notify(unit_id: int | None, case: Case | None, kind: str, for_inspectors: bool = False) -> None:
    """A notification in the staff area, and its e-mail in the outbox (same transaction)."""
    db.session.add(
        Notification(unit_id=unit_id, case=case, kind=kind, for_inspectors=for_inspectors)
    )
    for row in casework_mail.notification_rows(
        unit_id, case.id if case else None, kind, NOTIFICATION_TEXT[kind], for_inspectors,
        case.unit_id if case else None,
    ):  # fmt: skip
        db.session.add(OutboxMessage(**row))
