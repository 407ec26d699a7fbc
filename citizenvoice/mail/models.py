"""The outbox: e-mail written in the same transaction as what it tells, sent later."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.core.db import utcnow
from citizenvoice.extensions import Model


class MailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    #: refused by the server on every allowed attempt; kept for the record, never retried
    FAILED = "failed"


class OutboxMessage(Model):
    """One e-mail to one recipient, composed in the recipient's language when it was written."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the message is about, e.g. "case.opened" (safe to log; the address is not).
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    #: The language the message was written in ("en" or "zh").
    language: Mapped[str] = mapped_column(String(5), default="en")
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[MailStatus] = mapped_column(
        Enum(MailStatus, native_enum=False, length=10), default=MailStatus.PENDING, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set by the run that is sending it, so that a second run at the same time skips it; a
    #: claim older than ``services.CLAIM_SECONDS`` (a run that died) is taken over.
    claimed_at: Mapped[datetime | None]
    #: A random token of the run holding the claim (it picks up exactly what it claimed).
    claim_token: Mapped[str | None] = mapped_column(String(32), index=True)
    #: Attempts the server refused (an unreachable server does not count).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: The kind of the last refusal, e.g. "SMTPRecipientsRefused 550" (never an address).
    last_error: Mapped[str] = mapped_column(String(200), default="")
    sent_at: Mapped[datetime | None]
