"""Cycles, the indicator tree of each cycle, consultations and self-reported figures.

State machines live on the models as methods that check the current state and raise
:class:`~citizenvoice.core.errors.InvalidTransition`; services decide *whether* the wider rules
(weights, agreements, evaluations) allow a move and pass their findings in.
"""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Enum, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citizenvoice.accounts.models import User
from citizenvoice.core.db import utcnow
from citizenvoice.core.errors import InvalidTransition
from citizenvoice.extensions import Model
from citizenvoice.org.models import Bilingual, Unit


def _enum(kind: type[enum.Enum], length: int = 30) -> Enum:
    return Enum(kind, native_enum=False, length=length)


class CycleState(enum.StrEnum):
    PLANNING = "planning"
    COLLECTING = "collecting"
    EVALUATING = "evaluating"
    REVIEWING = "reviewing"
    PUBLISHED = "published"


class CycleKind(enum.StrEnum):
    QUARTER = "quarter"
    YEAR = "year"


#: The only forward step from each state (cycles never go back; corrections make new versions).
NEXT_STATE: dict[CycleState, CycleState | None] = {
    CycleState.PLANNING: CycleState.COLLECTING,
    CycleState.COLLECTING: CycleState.EVALUATING,
    CycleState.EVALUATING: CycleState.REVIEWING,
    CycleState.REVIEWING: CycleState.PUBLISHED,
    CycleState.PUBLISHED: None,
}
#: Moves that a manager may force past blockers by recording a reason.
OVERRIDABLE = frozenset({CycleState.EVALUATING, CycleState.PUBLISHED})


class Subject(enum.StrEnum):
    """Evaluation subjects (who evaluates), after the seed's section 6."""

    PUBLIC = "public"
    SERVICE_USERS = "service_users"
    SUPERIORS = "superiors"
    PEOPLES_CONGRESS = "peoples_congress"
    EXPERTS = "experts"
    PEER_UNITS = "peer_units"
    SUBORDINATE_UNITS = "subordinate_units"
    SELF = "self"


SUBJECT_LABELS = {
    Subject.PUBLIC: _l("The public"),
    Subject.SERVICE_USERS: _l("Service users"),
    Subject.SUPERIORS: _l("Superiors (Party committee and government)"),
    Subject.PEOPLES_CONGRESS: _l("People's congress"),
    Subject.EXPERTS: _l("Experts"),
    Subject.PEER_UNITS: _l("Peer units"),
    Subject.SUBORDINATE_UNITS: _l("Subordinate units"),
    Subject.SELF: _l("Self-evaluation"),
}

#: A department's performance is judged mainly from outside (seed, section 6).
DEFAULT_SUBJECT_WEIGHTS: dict[str, float] = {
    Subject.PUBLIC.value: 30,
    Subject.SERVICE_USERS.value: 30,
    Subject.SUPERIORS.value: 15,
    Subject.PEOPLES_CONGRESS.value: 10,
    Subject.EXPERTS.value: 10,
    Subject.SELF.value: 5,
}


class NodeKind(enum.StrEnum):
    CATEGORY = "category"
    INDICATOR = "indicator"


class Origin(enum.StrEnum):
    CONSTRAINED = "constrained"
    EXPECTED = "expected"


class IndicatorStatus(enum.StrEnum):
    PROPOSED = "proposed"
    IN_CONSULTATION = "in_consultation"
    AGREED = "agreed"


class Direction(enum.StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


class DataSource(enum.StrEnum):
    CITIZEN_RATING = "citizen_rating"
    INTERNAL_EVALUATION = "internal_evaluation"
    SELF_REPORTED = "self_reported"
    INSPECTION_VERIFIED = "inspection_verified"


class Cycle(Bilingual, Model):
    __tablename__ = "cycles"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short public code (e.g. "2026-q3").
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[CycleKind] = mapped_column(_enum(CycleKind, 10))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    #: Self-reported figures entered after this moment are kept but marked late.
    self_report_deadline: Mapped[datetime]
    #: Internal evaluations still open after this moment are listed as late.
    evaluation_deadline: Mapped[datetime]
    #: The window in which units may appeal the results (state "reviewing").
    review_opens_on: Mapped[date] = mapped_column(Date)
    review_closes_on: Mapped[date] = mapped_column(Date)
    state: Mapped[CycleState] = mapped_column(_enum(CycleState, 20), default=CycleState.PLANNING)
    #: The cycle whose indicator tree this one started from, if any.
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    participants: Mapped[list[CycleUnit]] = relationship(
        back_populates="cycle", cascade="all, delete-orphan"
    )
    transitions: Mapped[list[CycleTransition]] = relationship(
        back_populates="cycle", order_by="CycleTransition.id"
    )

    @property
    def next_state(self) -> CycleState | None:
        return NEXT_STATE[self.state]

    def advance(self, target: CycleState, blockers: list[str], reason: str = "") -> None:
        """Move to ``target``; blockers refuse the move unless it may be forced with a reason."""
        if NEXT_STATE[self.state] is not target:
            raise InvalidTransition(
                _l(
                    "A cycle in state %(state)s cannot move to %(target)s.",
                    state=self.state.value,
                    target=target.value,
                )
            )
        if blockers and not (target in OVERRIDABLE and reason.strip()):
            if target in OVERRIDABLE:
                raise InvalidTransition(
                    _l(
                        "Not ready: %(problems)s Record a reason to proceed anyway.",
                        problems=" ".join(blockers),
                    )
                )
            raise InvalidTransition(_l("Not ready: %(problems)s", problems=" ".join(blockers)))
        self.state = target

    def audit_unit_id(self) -> int | None:
        return None

    def __repr__(self) -> str:
        return f"<Cycle {self.code} {self.state}>"


class CycleUnit(Model):
    """A unit evaluated in a cycle."""

    __tablename__ = "cycle_units"
    __audited__ = True

    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)

    cycle: Mapped[Cycle] = relationship(back_populates="participants")
    unit: Mapped[Unit] = relationship()

    def audit_unit_id(self) -> int | None:
        return self.unit_id


class CycleTransition(Model):
    """One state change of a cycle, with the reason when a manager forced it past blockers."""

    __tablename__ = "cycle_transitions"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    from_state: Mapped[CycleState] = mapped_column(_enum(CycleState, 20))
    to_state: Mapped[CycleState] = mapped_column(_enum(CycleState, 20))
    #: The blockers that were overridden, as text ("" when there were none).
    overridden: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cycle: Mapped[Cycle] = relationship(back_populates="transitions")

    @property
    def is_override(self) -> bool:
        return bool(self.overridden)

    def audit_unit_id(self) -> int | None:
        return None


class IndicatorNode(Bilingual, Model):
    """A category or an indicator in a cycle's tree; weights are percentages among siblings."""

    __tablename__ = "indicator_nodes"
    __audited__ = True
    __table_args__ = (UniqueConstraint("cycle_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("indicator_nodes.id"), index=True)
    kind: Mapped[NodeKind] = mapped_column(_enum(NodeKind, 20))
    #: Stable within a cycle; kept when a tree is copied to the next cycle or exported.
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))
    #: Share of the parent (or of the whole tree at the top), in percent.
    weight: Mapped[float] = mapped_column(Float, default=0)
    position: Mapped[int] = mapped_column(default=0)
    definition: Mapped[str] = mapped_column(Text, default="")
    unit_of_measure: Mapped[str] = mapped_column(String(60), default="")
    direction: Mapped[Direction] = mapped_column(_enum(Direction, 10), default=Direction.HIGHER)
    target_value: Mapped[float | None] = mapped_column(Float)
    #: Grading criteria as JSON in the scoring core's format ({"kind": "linear", ...}).
    criteria_json: Mapped[str] = mapped_column(Text, default='{"kind": "direct"}')
    data_source: Mapped[DataSource | None] = mapped_column(_enum(DataSource, 30))
    #: For citizen ratings: a survey dimension code; empty means the overall satisfaction.
    survey_dimension: Mapped[str] = mapped_column(String(60), default="")
    #: For citizen ratings: restrict to one service (its code), or to one service point.
    service_code: Mapped[str] = mapped_column(String(60), default="")
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_points.id"))
    #: Evaluation subjects and their weights as JSON {"public": 30, ...}, totalling 100.
    subject_weights_json: Mapped[str] = mapped_column(Text, default="{}")
    origin: Mapped[Origin] = mapped_column(_enum(Origin, 20), default=Origin.CONSTRAINED)
    status: Mapped[IndicatorStatus] = mapped_column(
        _enum(IndicatorStatus, 20), default=IndicatorStatus.PROPOSED
    )
    #: The one unit an indicator applies to (expected indicators); empty: every participant.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    agreed_at: Mapped[datetime | None]

    parent: Mapped[IndicatorNode | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[IndicatorNode]] = relationship(
        back_populates="parent", order_by="(IndicatorNode.position, IndicatorNode.code)"
    )
    unit: Mapped[Unit | None] = relationship()
    cycle: Mapped[Cycle] = relationship()

    @property
    def is_indicator(self) -> bool:
        return self.kind is NodeKind.INDICATOR

    @property
    def is_locked(self) -> bool:
        return self.status is IndicatorStatus.AGREED

    @property
    def criteria(self) -> dict[str, Any]:
        value = json.loads(self.criteria_json or "{}")
        return value if isinstance(value, dict) else {}

    @property
    def subject_weights(self) -> dict[str, float]:
        value = json.loads(self.subject_weights_json or "{}")
        return value if isinstance(value, dict) else {}

    def check_editable(self) -> None:
        if self.is_locked:
            raise InvalidTransition(_l("This indicator is agreed and locked for the cycle."))

    def open_consultation(self) -> None:
        if self.status is not IndicatorStatus.PROPOSED:
            raise InvalidTransition(_l("Only a proposed indicator can go to consultation."))
        self.status = IndicatorStatus.IN_CONSULTATION

    def mark_agreed(self) -> None:
        if self.status is not IndicatorStatus.IN_CONSULTATION:
            raise InvalidTransition(_l("Only an indicator in consultation can be agreed."))
        self.status = IndicatorStatus.AGREED
        self.agreed_at = utcnow()

    def audit_unit_id(self) -> int | None:
        return self.unit_id

    def __repr__(self) -> str:
        return f"<IndicatorNode {self.code} {self.kind}>"


class TargetOverride(Model):
    """A unit's own target for an indicator that applies to many units, agreed in consultation."""

    __tablename__ = "indicator_target_overrides"
    __audited__ = True

    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator_nodes.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    target_value: Mapped[float] = mapped_column(Float)

    def audit_unit_id(self) -> int | None:
        return self.unit_id


class Acceptance(Model):
    """One side's acceptance of an indicator as it stood; a later change withdraws it."""

    __tablename__ = "indicator_acceptances"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator_nodes.id"), index=True)
    #: The accepting unit; empty when the performance managers accepted.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: How it was given when not clicked by the side itself (e.g. a signed paper agreement
    #: recorded by the performance office).
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when a change to the indicator reset this acceptance (kept for the history).
    withdrawn_at: Mapped[datetime | None]

    unit: Mapped[Unit | None] = relationship()

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None

    def audit_unit_id(self) -> int | None:
        return self.unit_id


class ProposalStatus(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Comment(Model):
    """A message in an indicator's consultation thread; with a proposed target or weight it is
    a proposal that the other side may accept (which applies it) or reject."""

    __tablename__ = "indicator_comments"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator_nodes.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The author's unit when a unit official wrote it (whose target a proposal changes).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    body: Mapped[str] = mapped_column(Text)
    proposed_target: Mapped[float | None] = mapped_column(Float)
    proposed_weight: Mapped[float | None] = mapped_column(Float)
    proposal_status: Mapped[ProposalStatus | None] = mapped_column(_enum(ProposalStatus, 10))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    unit: Mapped[Unit | None] = relationship()

    @property
    def is_proposal(self) -> bool:
        return self.proposal_status is not None

    def decide(self, accepted: bool) -> None:
        if self.proposal_status is not ProposalStatus.OPEN:
            raise InvalidTransition(_l("This proposal has already been decided."))
        self.proposal_status = ProposalStatus.ACCEPTED if accepted else ProposalStatus.REJECTED
        self.decided_at = utcnow()

    def audit_unit_id(self) -> int | None:
        return self.unit_id


class SelfReportedFigure(Model):
    """One submission of a figure by a unit; a newer one supersedes it and both are kept."""

    __tablename__ = "self_reported_figures"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator_nodes.id"), index=True)
    value: Mapped[float] = mapped_column(Float)
    #: Evidence notes: how the figure was obtained, where the records are.
    note: Mapped[str] = mapped_column(Text, default="")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Submitted after the cycle's self-report deadline.
    is_late: Mapped[bool] = mapped_column(default=False)
    #: 1 for the first submission, then 2, 3… ; a version above 1 is a changed figure.
    version: Mapped[int] = mapped_column(default=1)
    is_superseded: Mapped[bool] = mapped_column(default=False)
    superseded_at: Mapped[datetime | None]

    indicator: Mapped[IndicatorNode] = relationship()
    unit: Mapped[Unit] = relationship()
    evidence: Mapped[list[Evidence]] = relationship(back_populates="figure", order_by="Evidence.id")

    @property
    def is_changed(self) -> bool:
        return self.version > 1

    def audit_unit_id(self) -> int | None:
        return self.unit_id


class Evidence(Model):
    """A file attached to a self-reported figure, stored under a random name."""

    __tablename__ = "figure_evidence"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    figure_id: Mapped[int] = mapped_column(ForeignKey("self_reported_figures.id"), index=True)
    #: The figure's unit, repeated so that access checks and the audit need no join.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    #: The uploader's file name, cleaned; only ever used as the download name.
    original_name: Mapped[str] = mapped_column(String(200))
    #: Random file name under UPLOAD_FOLDER/evidence.
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    figure: Mapped[SelfReportedFigure] = relationship(back_populates="evidence")

    def audit_unit_id(self) -> int | None:
        return self.unit_id
