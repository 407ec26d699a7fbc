"""Evaluator assignments and internal evaluations (a score with a justification)."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Enum, Float, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citizenvoice.accounts.models import User
from citizenvoice.core.db import utcnow
from citizenvoice.core.errors import InvalidTransition
from citizenvoice.extensions import Model
from citizenvoice.indicators.models import Cycle, IndicatorNode, Subject
from citizenvoice.org.models import Unit


class EvaluationState(enum.StrEnum):
    DUE = "due"
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Assignment(Model):
    """An evaluator, as one evaluation subject, scores one unit on one indicator in a cycle.

    The assignment carries its evaluation: score, justification and state (due → draft →
    submitted; a manager may reopen a submitted one with a reason, back to draft).
    """

    __tablename__ = "evaluator_assignments"
    __audited__ = True
    __table_args__ = (UniqueConstraint("cycle_id", "evaluator_id", "unit_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    subject: Mapped[Subject] = mapped_column(Enum(Subject, native_enum=False, length=30))
    #: The evaluated unit.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator_nodes.id"), index=True)
    state: Mapped[EvaluationState] = mapped_column(
        Enum(EvaluationState, native_enum=False, length=20), default=EvaluationState.DUE
    )
    #: 0–100.
    score: Mapped[float | None] = mapped_column(Float)
    justification: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None]
    #: The last reopening: when and why (every reopening is also in the audit log).
    reopened_at: Mapped[datetime | None]
    reopen_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cycle: Mapped[Cycle] = relationship()
    evaluator: Mapped[User] = relationship()
    unit: Mapped[Unit] = relationship()
    indicator: Mapped[IndicatorNode] = relationship()

    @property
    def is_submitted(self) -> bool:
        return self.state is EvaluationState.SUBMITTED

    def save_draft(self, score: float, justification: str) -> None:
        if self.is_submitted:
            raise InvalidTransition(_l("This evaluation is submitted and locked."))
        self.score, self.justification = score, justification
        self.state = EvaluationState.DRAFT

    def submit(self) -> None:
        if self.state is not EvaluationState.DRAFT:
            raise InvalidTransition(_l("Only a saved draft can be submitted."))
        self.state = EvaluationState.SUBMITTED
        self.submitted_at = utcnow()

    def reopen(self, reason: str) -> None:
        if not self.is_submitted:
            raise InvalidTransition(_l("Only a submitted evaluation can be reopened."))
        self.state = EvaluationState.DRAFT
        self.reopened_at = utcnow()
        self.reopen_reason = reason

    def is_late(self, now: datetime) -> bool:
        return not self.is_submitted and now > self.cycle.evaluation_deadline

    def audit_unit_id(self) -> int | None:
        return self.unit_id
