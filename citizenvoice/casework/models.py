"""Cases opened from ratings, replies to citizens, notifications, appeals and improvement plans."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citizenvoice.core.db import utcnow
from citizenvoice.extensions import Model
from citizenvoice.org.models import Unit
from citizenvoice.surveys.models import Rating


def _enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(cls, native_enum=False, length=length)


class CaseReason(enum.StrEnum):
    #: overall satisfaction in the bottom two levels
    LOW_RATING = "low_rating"
    #: a comment with contact details (the citizen asked for a reply)
    REPLY_REQUESTED = "reply_requested"
    #: "asked for gifts, favours or fees" answered yes
    INTEGRITY = "integrity"


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    REPLIED = "replied"
    SOLVED = "solved"
    REOPENED = "reopened"
    #: the citizen said "not solved" a second time; the case stays on the record as unsolved
    CLOSED_UNSOLVED = "closed_unsolved"


class Verdict(enum.StrEnum):
    SOLVED = "solved"
    NOT_SOLVED = "not_solved"


class CasePolicy(Model):
    """A unit's own deadlines (units without one use the defaults: 1 and 5 working days)."""

    __tablename__ = "case_policies"
    __audited__ = True

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    #: Working days to acknowledge a new case.
    acknowledge_days: Mapped[int] = mapped_column(Integer, default=1)
    #: Working days to reply to the citizen.
    resolve_days: Mapped[int] = mapped_column(Integer, default=5)

    def audit_unit_id(self) -> int | None:
        return self.unit_id


class Holiday(Model):
    """A public holiday: not a working day for case deadlines."""

    __tablename__ = "case_holidays"
    __audited__ = True

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")

    def audit_unit_id(self) -> int | None:
        return None


class Case(Model):
    """A rating that needs an answer from its unit."""

    __tablename__ = "cases"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), unique=True)
    #: The unit of the rated service point.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    reason: Mapped[CaseReason] = mapped_column(_enum(CaseReason))
    status: Mapped[CaseStatus] = mapped_column(
        _enum(CaseStatus), default=CaseStatus.OPEN, index=True
    )
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Working-day deadlines, computed with the holiday calendar when the case (re)opens.
    acknowledge_due: Mapped[date] = mapped_column(Date)
    resolve_due: Mapped[date] = mapped_column(Date)
    acknowledged_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]
    #: What the unit changed (internal record).
    what_changed: Mapped[str] = mapped_column(Text, default="")
    #: Shown on the public unit page next to the masked comment ("you said, we did").
    public_reply: Mapped[str] = mapped_column(Text, default="")
    #: Shown only on the citizen's /f/<code> page.
    private_reply: Mapped[str] = mapped_column(Text, default="")
    verdict: Mapped[Verdict | None] = mapped_column(_enum(Verdict))
    verdict_at: Mapped[datetime | None]
    #: The citizen may reopen once; the second "not solved" closes the case as unsolved.
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    #: The superior unit the case was escalated to (overdue, or reopened by the citizen).
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    escalated_at: Mapped[datetime | None]
    #: Whether the first reply came by ``resolve_due`` (set when the reply is sent).
    replied_on_time: Mapped[bool | None]
    #: The language the citizen rated in ("en", "zh"): an e-mailed reply is written in it.
    language: Mapped[str | None] = mapped_column(String(5))

    rating: Mapped[Rating] = relationship()
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    escalated_to: Mapped[Unit | None] = relationship(foreign_keys=[escalated_to_id])

    def audit_unit_id(self) -> int | None:
        return self.unit_id


class Notification(Model):
    """A line in the staff area's notification list, for a unit's officials or for inspectors."""

    __tablename__ = "case_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The unit whose officials see it; None with ``for_inspectors`` set.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    for_inspectors: Mapped[bool] = mapped_column(default=False)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    #: A message key (see ``services.NOTIFICATION_TEXT``), translated when shown.
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    case: Mapped[Case | None] = relationship()


class AppealKind(enum.StrEnum):
    RATING = "rating"
    RESULT = "result"


class AppealStatus(enum.StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"
    REJECTED = "rejected"


class Appeal(Model):
    """A unit's appeal against a rating (malicious or mistaken) or a result of a cycle."""

    __tablename__ = "appeals"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[AppealKind] = mapped_column(_enum(AppealKind))
    #: The appealed rating (kind "rating").
    rating_id: Mapped[int | None] = mapped_column(ForeignKey("ratings.id"))
    reasons: Mapped[str] = mapped_column(Text)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[AppealStatus] = mapped_column(
        _enum(AppealStatus), default=AppealStatus.PENDING, index=True
    )
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reasons: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None]
    #: The published version that carried the correction (upheld appeals).
    correction_version: Mapped[int | None]

    unit: Mapped[Unit] = relationship()
    rating: Mapped[Rating | None] = relationship()

    def audit_unit_id(self) -> int | None:
        return self.unit_id


class ImprovementPlan(Model):
    """A unit's commitment to improve a weak indicator within a cycle."""

    __tablename__ = "improvement_plans"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    #: The weak indicator the plan addresses.
    node_id: Mapped[int] = mapped_column(ForeignKey("indicator_nodes.id"))
    problem: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    #: The person responsible, as written by the unit.
    owner: Mapped[str] = mapped_column(String(120))
    due_on: Mapped[date] = mapped_column(Date)
    #: 0..100 per cent.
    progress: Mapped[int] = mapped_column(Integer, default=0)
    evidence: Mapped[str] = mapped_column(Text, default="")
    #: The unit listed the problem before a tip, an inspection or a detector found it
    #: (see ``services.SELF_IDENTIFIED_RULE``).
    self_identified: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    #: The unfinished plan of an earlier cycle this one continues (a plan is carried once).
    carried_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("improvement_plans.id"), unique=True
    )

    unit: Mapped[Unit] = relationship()
    carried_from: Mapped[ImprovementPlan | None] = relationship(
        remote_side=[id], foreign_keys=[carried_from_id]
    )
    comments: Mapped[list[PlanComment]] = relationship(
        back_populates="plan", order_by="PlanComment.id"
    )

    def audit_unit_id(self) -> int | None:
        return self.unit_id


class PlanComment(Model):
    """A manager's or expert's comment on an improvement plan."""

    __tablename__ = "plan_comments"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("improvement_plans.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[ImprovementPlan] = relationship(back_populates="comments")

    def audit_unit_id(self) -> int | None:
        return self.plan.unit_id if self.plan else None
