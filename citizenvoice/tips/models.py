"""Tips, their messages with the reporter, investigators' notes and evidence files.

Nothing here can identify a reporter: no client address, no browser identification, no account,
and only dates (never times). Text and files are encrypted (``tips.crypto``); the receipt is
stored only as a keyed hash.

Tips and messages are not ``__audited__``: an automatic audit entry would stamp the reporter's
submissions with an exact time. Staff actions on tips are recorded as domain events
(``record_event``) instead; investigators' notes are staff-only and audited with the text hidden.
"""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Date, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citizenvoice.extensions import Model


class TipStatus(enum.StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    INVESTIGATING = "investigating"
    CLOSED = "closed"


class TipOutcome(enum.StrEnum):
    SUBSTANTIATED = "substantiated"
    UNSUBSTANTIATED = "unsubstantiated"
    REFERRED = "referred"


class Author(enum.StrEnum):
    REPORTER = "reporter"
    INVESTIGATOR = "investigator"


class Tip(Model):
    __tablename__ = "tips"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short random reference that staff use to talk about a tip (not the receipt).
    ref: Mapped[str] = mapped_column(String(16), unique=True)
    #: HMAC-SHA256 (hex) of the normalized receipt under TIPS_RECEIPT_KEY; the receipt itself
    #: is shown once to the reporter and never stored.
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Keyed hash of the one-time nonce of the form that sent the tip: a re-sent submission
    #: (double click, reload) is recognised and adds nothing.
    nonce_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_points.id"))
    #: Encrypted (Fernet) free-text reference to the figure or indicator; "" when none.
    figure_enc: Mapped[str] = mapped_column(Text, default="")
    #: Encrypted (Fernet) account of what was faked.
    body_enc: Mapped[str] = mapped_column(Text)
    status: Mapped[TipStatus] = mapped_column(
        Enum(TipStatus, native_enum=False, length=20), default=TipStatus.NEW, index=True
    )
    outcome: Mapped[TipOutcome | None] = mapped_column(
        Enum(TipOutcome, native_enum=False, length=20)
    )
    #: Criticality 0–100 computed at submission by ``tips.triage.criticality``.
    score: Mapped[int] = mapped_column(Integer, default=0)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: Dates only (UTC day), never times, so that timing cannot single out a reporter.
    submitted_on: Mapped[date] = mapped_column(Date)
    #: Day of the last message, status change or assignment (drives the overdue reminder).
    last_activity_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date, index=True)

    unit = relationship("Unit")
    service_point = relationship("ServicePoint")
    assignee = relationship("User")
    messages: Mapped[list[TipMessage]] = relationship(
        back_populates="tip", order_by="TipMessage.id", cascade="all, delete-orphan"
    )
    notes: Mapped[list[TipNote]] = relationship(
        back_populates="tip", order_by="TipNote.id", cascade="all, delete-orphan"
    )
    files: Mapped[list[TipFile]] = relationship(
        back_populates="tip", order_by="TipFile.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Tip {self.ref} {self.status}>"


class TipMessage(Model):
    """A message between investigators and the reporter, visible to both."""

    __tablename__ = "tip_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id"), index=True)
    author: Mapped[Author] = mapped_column(Enum(Author, native_enum=False, length=20))
    #: The investigator who wrote it (None for the reporter).
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Encrypted (Fernet) message text.
    body_enc: Mapped[str] = mapped_column(Text)
    sent_on: Mapped[date] = mapped_column(Date)

    tip: Mapped[Tip] = relationship(back_populates="messages")
    staff = relationship("User")


class TipNote(Model):
    """An investigator's internal note, never shown to the reporter."""

    __tablename__ = "tip_notes"
    __audited__ = True
    __audit_exclude__ = frozenset({"body_enc"})

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Encrypted (Fernet) note text.
    body_enc: Mapped[str] = mapped_column(Text)
    written_on: Mapped[date] = mapped_column(Date)

    tip: Mapped[Tip] = relationship(back_populates="notes")
    author = relationship("User")

    def audit_unit_id(self) -> int | None:
        return None  # the reported unit must not learn that it is being investigated


class TipFile(Model):
    """An evidence file, encrypted on disk under a random name; the original name is not kept."""

    __tablename__ = "tip_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id"), index=True)
    #: Random file name inside UPLOAD_FOLDER/tips (hex, no extension).
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    #: The allow-listed kind detected from the content: pdf, png, jpg, txt or csv.
    kind: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_on: Mapped[date] = mapped_column(Date)

    tip: Mapped[Tip] = relationship(back_populates="files")
