"""Inspection plans, visits with checklists and findings, figure verifications, sample surveys.

Unannounced visits are secret until their day: their audit entries carry no unit (unit
officials read the audit trail of their own unit) and their pages answer 404 to officials.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, Float, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citizenvoice.core.db import utcnow
from citizenvoice.extensions import Model
from citizenvoice.indicators.models import Cycle
from citizenvoice.org.models import ServicePoint, Unit
from citizenvoice.surveys.models import Rating


def _enum(kind: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(kind, native_enum=False, length=length)


class VisitKind(enum.StrEnum):
    OPEN = "open"
    UNANNOUNCED = "unannounced"


class VisitStatus(enum.StrEnum):
    PLANNED = "planned"
    COMPLETED = "completed"


class CheckResult(enum.StrEnum):
    PENDING = "pending"
    MET = "met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"


class ContactOutcome(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    NOT_REACHED = "not_reached"
    DENIED = "denied"


class InspectionPlan(Model):
    """A cycle's sample of units and service points to inspect, drawn with a recorded seed."""

    __tablename__ = "inspection_plans"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: The seed of the random picks; with the same inputs it reproduces the draw.
    seed: Mapped[str] = mapped_column(String(64))
    risk_count: Mapped[int] = mapped_column(Integer)
    random_count: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cycle: Mapped[Cycle] = relationship()
    targets: Mapped[list[PlanTarget]] = relationship(
        back_populates="plan", order_by="PlanTarget.position"
    )
    visits: Mapped[list[Visit]] = relationship(back_populates="plan", order_by="Visit.id")

    def audit_unit_id(self) -> int | None:
        return None  # a plan names units to inspect: never shown to their officials


class PlanTarget(Model):
    """One picked unit or service point of a plan and why it was picked."""

    __tablename__ = "inspection_targets"
    __audited__ = True
    __table_args__ = (UniqueConstraint("plan_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_points.id"))
    #: Picked for its risk signals (True) or by the seeded random draw (False).
    is_risk_based: Mapped[bool] = mapped_column(default=False)
    risk_score: Mapped[int] = mapped_column(Integer, default=0)
    #: Comma-separated risk signals ("anomaly,tip"); empty for random picks.
    reasons: Mapped[str] = mapped_column(String(100), default="")

    plan: Mapped[InspectionPlan] = relationship(back_populates="targets")
    unit: Mapped[Unit] = relationship()
    service_point: Mapped[ServicePoint | None] = relationship()

    def audit_unit_id(self) -> int | None:
        return None


class Visit(Model):
    """An open or unannounced visit to a unit (or one of its service points)."""

    __tablename__ = "inspection_visits"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_points.id"))
    kind: Mapped[VisitKind] = mapped_column(_enum(VisitKind))
    status: Mapped[VisitStatus] = mapped_column(_enum(VisitStatus), default=VisitStatus.PLANNED)
    scheduled_on: Mapped[date] = mapped_column(Date)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    plan: Mapped[InspectionPlan] = relationship(back_populates="visits")
    unit: Mapped[Unit] = relationship()
    service_point: Mapped[ServicePoint | None] = relationship()
    checks: Mapped[list[ChecklistItem]] = relationship(
        back_populates="visit", order_by="ChecklistItem.position"
    )
    findings: Mapped[list[VisitFinding]] = relationship(
        back_populates="visit", order_by="VisitFinding.id"
    )
    verifications: Mapped[list[FigureVerification]] = relationship(
        back_populates="visit", order_by="FigureVerification.id"
    )
    samples: Mapped[list[SampleSurvey]] = relationship(
        back_populates="visit", order_by="SampleSurvey.id"
    )

    def is_disclosed(self, today: date) -> bool:
        """Whether the unit's officials may know of the visit (open, or its day has come)."""
        return (
            self.kind is VisitKind.OPEN
            or self.status is VisitStatus.COMPLETED
            or self.scheduled_on <= today
        )

    def audit_unit_id(self) -> int | None:
        return self.unit_id if self.kind is VisitKind.OPEN else None


class _VisitPart:
    """Parts of a visit are as secret as the visit."""

    def audit_unit_id(self) -> int | None:
        visit: Visit | None = getattr(self, "visit", None)
        return visit.audit_unit_id() if visit is not None else None


class ChecklistItem(_VisitPart, Model):
    """A point the inspector checks on the visit, with the result and an evidence note."""

    __tablename__ = "inspection_checks"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("inspection_visits.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(300))
    result: Mapped[CheckResult] = mapped_column(_enum(CheckResult), default=CheckResult.PENDING)
    #: What the inspector saw or was shown (documents, records, people spoken to).
    evidence_note: Mapped[str] = mapped_column(Text, default="")

    visit: Mapped[Visit] = relationship(back_populates="checks")


class VisitFinding(_VisitPart, Model):
    """A finding written on a visit; findings are added, never edited or deleted."""

    __tablename__ = "inspection_findings"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("inspection_visits.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    evidence_note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    visit: Mapped[Visit] = relationship(back_populates="findings")


class FigureVerification(_VisitPart, Model):
    """The value an inspector verified for a self-reported figure; the latest one counts."""

    __tablename__ = "figure_verifications"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("inspection_visits.id"), index=True)
    figure_id: Mapped[int] = mapped_column(ForeignKey("self_reported_figures.id"), index=True)
    #: Copied from the figure so that scoring reads verified values with one SELECT.
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator_nodes.id"))
    reported_value: Mapped[float] = mapped_column(Float)
    verified_value: Mapped[float] = mapped_column(Float)
    #: |reported − verified| / |verified| and the threshold in force when it was recorded.
    relative_difference: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    #: The difference is material: the reported figure is marked falsified.
    is_falsified: Mapped[bool] = mapped_column(default=False)
    evidence_note: Mapped[str] = mapped_column(Text, default="")
    #: A tip that reported this figure; emptied if the tip is destroyed after its retention.
    tip_id: Mapped[int | None] = mapped_column(ForeignKey("tips.id", ondelete="SET NULL"))
    #: The published results version this verification corrected, if any.
    correction_version: Mapped[int | None] = mapped_column(Integer)
    #: The unit had put this indicator's problem in its improvement plan before the finding
    #: (before the tip was sent, when a tip led here): the milder, self-identified rule applies.
    is_self_identified: Mapped[bool] = mapped_column(default=False, server_default=false())
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    visit: Mapped[Visit] = relationship(back_populates="verifications")


class SampleSurvey(_VisitPart, Model):
    """A seeded random sample of ratings whose authors left contact details, to call back."""

    __tablename__ = "sample_surveys"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("inspection_visits.id"), index=True)
    seed: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    #: How many ratings with contact details the sample was drawn from.
    population: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    visit: Mapped[Visit] = relationship(back_populates="samples")
    contacts: Mapped[list[SampleContact]] = relationship(
        back_populates="sample", order_by="SampleContact.position"
    )


class SampleContact(Model):
    """One sampled rating: whether its author confirmed being served, and how they were asked."""

    __tablename__ = "sample_contacts"
    __audited__ = True
    __table_args__ = (UniqueConstraint("sample_id", "rating_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample_surveys.id"), index=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"))
    position: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[ContactOutcome] = mapped_column(
        _enum(ContactOutcome), default=ContactOutcome.PENDING
    )
    #: How the citizen was asked (phone call, e-mail, home visit…).
    channel: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime | None]

    sample: Mapped[SampleSurvey] = relationship(back_populates="contacts")
    rating: Mapped[Rating] = relationship()

    def audit_unit_id(self) -> int | None:
        return self.sample.audit_unit_id() if self.sample is not None else None
