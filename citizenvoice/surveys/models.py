"""Surveys (versioned question sets), ratings, flags, rollups, tickets and kiosks."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citizenvoice.core.db import utcnow
from citizenvoice.extensions import Model
from citizenvoice.org.models import Service, ServicePoint
from citizenvoice.surveys import triggers

#: Row ids of high-volume tables: 64-bit on PostgreSQL, SQLite's rowid alias there.
BigId = BigInteger().with_variant(Integer, "sqlite")


class QuestionKind(enum.StrEnum):
    #: the five-level satisfaction scale, stored 1..5 (5 = very satisfied)
    SCALE = "scale"
    #: yes (1) or no (0)
    YES_NO = "yes_no"


class FlagKind(enum.StrEnum):
    DUPLICATE_DEVICE = "duplicate_device"
    TOO_FAST = "too_fast"
    HONEYPOT = "honeypot"
    BURST = "burst"
    MANUAL = "manual"


class FlagStatus(enum.StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    CLEARED = "cleared"


class Survey(Model):
    """A named question set; its versions hold the questions."""

    __tablename__ = "surveys"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))
    #: The survey every service point uses unless it is assigned another one.
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[SurveyVersion]] = relationship(
        back_populates="survey", order_by="SurveyVersion.number"
    )

    def display_name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" and self.name_zh else self.name


class SurveyVersion(Model):
    """One fixed set of questions; once a rating answers it, edits make a new version."""

    __tablename__ = "survey_versions"
    __audited__ = True
    __table_args__ = (UniqueConstraint("survey_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    #: 1, 2, 3… within the survey; the highest number is the one in use.
    number: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    survey: Mapped[Survey] = relationship(back_populates="versions")
    questions: Mapped[list[Question]] = relationship(
        back_populates="version", order_by="Question.position"
    )


class Question(Model):
    """A dimension question after the overall satisfaction question (which every survey has)."""

    __tablename__ = "survey_questions"
    __audited__ = True
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"), index=True)
    #: Stable short name across versions (e.g. "waiting"), used by kiosks and exports.
    code: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionKind] = mapped_column(Enum(QuestionKind, native_enum=False, length=20))
    text: Mapped[str] = mapped_column(String(300))
    text_zh: Mapped[str | None] = mapped_column(String(300))

    version: Mapped[SurveyVersion] = relationship(back_populates="questions")

    def display_text(self, lang: str) -> str:
        return self.text_zh if lang == "zh" and self.text_zh else self.text


class PointSurvey(Model):
    """A service point that uses a survey other than the default one."""

    __tablename__ = "point_surveys"
    __audited__ = True

    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)

    def audit_unit_id(self) -> int | None:
        return None


class TicketBatch(Model):
    """Single-use ticket codes printed for one service point."""

    __tablename__ = "ticket_batches"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    size: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    service_point: Mapped[ServicePoint] = relationship()

    def audit_unit_id(self) -> int | None:
        return self.service_point.unit_id if self.service_point else None


class Ticket(Model):
    """One single-use code; the code itself is shown once and stored only as a hash."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ticket_batches.id"), index=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    #: SHA-256 of the normalised code (the codes carry 60 random bits; no salt needed).
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Kiosk(Model):
    """A tablet at a service point that sends ratings in batches through the kiosk API."""

    __tablename__ = "kiosks"
    __audited__ = True
    __audit_exclude__ = frozenset({"key_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    #: SHA-256 of the bearer key; the key is shown once when the kiosk is created.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    service_point: Mapped[ServicePoint] = relationship()

    def audit_unit_id(self) -> int | None:
        return self.service_point.unit_id if self.service_point else None


class Rating(Model):
    """One citizen's answers at a service point. Kept forever; flags take it out of scores."""

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("kiosk_id", "client_id"),
        Index("ix_ratings_point_created", "service_point_id", "created_at"),
        Index("ix_ratings_device_point_created", "device_hash", "service_point_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"), index=True)
    #: Overall satisfaction, 1 (very dissatisfied) .. 5 (very satisfied).
    overall: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: Given with a single-use ticket.
    is_verified: Mapped[bool] = mapped_column(default=False)
    #: No open or confirmed flag: the rating counts in rollups and scores.
    is_counted: Mapped[bool] = mapped_column(default=True)
    has_contact: Mapped[bool] = mapped_column(default=False)
    #: The comment as written; only the unit's officials read it. Everyone else sees
    #: ``comment_masked`` (personal data replaced).
    comment: Mapped[str | None] = mapped_column(Text)
    comment_masked: Mapped[str | None] = mapped_column(Text)
    #: Opaque code for /f/<code>; only when a comment or contact details were left.
    follow_up_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    #: Keyed hash of the signed device cookie (never the cookie itself).
    device_hash: Mapped[str | None] = mapped_column(String(32))
    #: Keyed hash of the client address with the day's salt; no raw address is ever stored.
    ip_hash: Mapped[str | None] = mapped_column(String(32))
    #: Seconds between showing the form and the submit (None from kiosks).
    answered_seconds: Mapped[float | None] = mapped_column(Float)
    #: The one-time form nonce; a re-sent form finds its first rating through it.
    nonce: Mapped[str | None] = mapped_column(String(40), unique=True)
    #: At most one rating per ticket, enforced by the database.
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), unique=True)
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosks.id"))
    #: The kiosk's own id for the rating (a UUID), so re-sent batches add nothing.
    client_id: Mapped[str | None] = mapped_column(String(40))

    service_point: Mapped[ServicePoint] = relationship()
    service: Mapped[Service | None] = relationship()
    answers: Mapped[list[RatingAnswer]] = relationship(back_populates="rating")
    flags: Mapped[list[RatingFlag]] = relationship(
        back_populates="rating", order_by="RatingFlag.id"
    )


class RatingAnswer(Model):
    __tablename__ = "rating_answers"

    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id"), primary_key=True)
    #: 1..5 for scale questions, 1 (yes) or 0 (no).
    value: Mapped[int] = mapped_column(SmallInteger)

    rating: Mapped[Rating] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()


class RatingContact(Model):
    """Contact details a citizen left for a reply; only the unit's officials see them."""

    __tablename__ = "rating_contacts"

    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    #: A phone number or e-mail address as typed.
    details: Mapped[str] = mapped_column(String(200))
    consented_at: Mapped[datetime] = mapped_column(default=utcnow)


class RatingFlag(Model):
    """An integrity mark on a rating; open and confirmed flags take it out of the counts."""

    __tablename__ = "rating_flags"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), index=True)
    kind: Mapped[FlagKind] = mapped_column(Enum(FlagKind, native_enum=False, length=20))
    status: Mapped[FlagStatus] = mapped_column(
        Enum(FlagStatus, native_enum=False, length=20), default=FlagStatus.OPEN, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The staff member who confirmed or cleared it (decisions are in the audit chain).
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")

    rating: Mapped[Rating] = relationship(back_populates="flags")


class RatingRollup(Model):
    """Counted ratings per service point, service and day, kept up to date on every write."""

    __tablename__ = "rating_rollups"
    __table_args__ = (UniqueConstraint("service_point_id", "service_key", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    #: The service's id, or 0 for ratings without a service (so the unique key has no NULL).
    service_key: Mapped[int] = mapped_column(default=0)
    #: The UTC day of the ratings.
    day: Mapped[date] = mapped_column(Date, index=True)
    ratings: Mapped[int] = mapped_column(default=0)
    verified: Mapped[int] = mapped_column(default=0)
    overall_sum: Mapped[int] = mapped_column(default=0)
    level_1: Mapped[int] = mapped_column(default=0)
    level_2: Mapped[int] = mapped_column(default=0)
    level_3: Mapped[int] = mapped_column(default=0)
    level_4: Mapped[int] = mapped_column(default=0)
    level_5: Mapped[int] = mapped_column(default=0)


class IpSalt(Model):
    """The day's random salt for hashing client addresses; deleted after the retention period."""

    __tablename__ = "ip_salts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))


class AnswerRollup(Model):
    """Counted answers per service point, service, day, question and value."""

    __tablename__ = "answer_rollups"
    __table_args__ = (
        UniqueConstraint("service_point_id", "service_key", "day", "question_id", "value"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    #: The service's id, or 0 for ratings without a service.
    service_key: Mapped[int] = mapped_column(default=0)
    day: Mapped[date] = mapped_column(Date, index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id"))
    value: Mapped[int] = mapped_column(SmallInteger)
    answers: Mapped[int] = mapped_column(default=0)


class RatingHourRollup(Model):
    """Counted ratings per service point and hour of the week (busy hours).

    Kept by database triggers on ``ratings`` (see :mod:`citizenvoice.surveys.triggers`), so the
    rating hot path writes nothing for it. Hours are UTC; pages shift them to the city's time.
    """

    __tablename__ = "rating_hour_rollups"

    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), primary_key=True)
    #: ISO weekday of ``created_at`` in UTC: 1 = Monday … 7 = Sunday.
    weekday: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    #: Hour of ``created_at`` in UTC, 0..23.
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    ratings: Mapped[int] = mapped_column(default=0)


triggers.attach(Rating.__table__)
