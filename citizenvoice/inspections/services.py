"""Inspection plans, visits, figure verification and sample surveys.

Rules kept here (views only parse forms and commit):

- an inspector attached to the inspected unit or one of its sub-units can never be assigned to
  it, and never sees its visits (404);
- a unit's officials see only their units' visits that are open or whose day has come; an
  unannounced visit is 404 to them before that;
- findings, checks and verifications are added, never deleted: a later verification of the same
  figure supersedes an earlier one, both are kept;
- a verified value that differs materially from the reported one (relative difference above
  ``INSPECTION_MATERIAL_THRESHOLD``, default 5%) marks the figure falsified; scoring then uses
  the verified value (:func:`verified_values`) and published results get a correction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, select

from citizenvoice.accounts.models import Role, User
from citizenvoice.audit.services import record_event
from citizenvoice.core.db import utcnow
from citizenvoice.core.errors import DomainError, Forbidden, InvalidTransition, NotFound
from citizenvoice.extensions import db
from citizenvoice.indicators.models import (
    Cycle,
    CycleUnit,
    DataSource,
    IndicatorNode,
    SelfReportedFigure,
)
from citizenvoice.inspections import sampling
from citizenvoice.inspections.models import (
    ChecklistItem,
    CheckResult,
    ContactOutcome,
    FigureVerification,
    InspectionPlan,
    PlanTarget,
    SampleContact,
    SampleSurvey,
    Visit,
    VisitFinding,
    VisitKind,
    VisitStatus,
)
from citizenvoice.integrity.models import FindingSubject, StoredFinding
from citizenvoice.org.models import ServicePoint, Unit
from citizenvoice.org.services import descendant_ids
from citizenvoice.scoring import services as scoring
from citizenvoice.scoring.models import Publication, UnitResult
from citizenvoice.surveys.models import Rating, RatingContact
from citizenvoice.tips.models import Tip, TipStatus

DEFAULT_MATERIAL_THRESHOLD = 0.05
MAX_PICKS = 200
MAX_SAMPLE = 200
#: Checklist of a visit when the planner gives none.
DEFAULT_CHECKLIST = (
    _l("Records behind the self-reported figures are kept and match the reported values"),
    _l("Service hours and queue numbers match what is posted at the service point"),
    _l("The QR code poster is displayed and has not been replaced"),
    _l("Complaint and rating channels are explained to service users"),
)
STAFF_ROLES = (Role.ADMIN, Role.MANAGER)


class InspectionError(DomainError):
    """An inspection request that cannot be accepted; ``field`` names the form field."""

    def __init__(self, message: object, field: str | None = None):
        super().__init__(message)
        self.field = field


class ConflictOfInterest(Forbidden):
    """The inspector belongs to the inspected unit or one of its sub-units."""

    field = "inspector_id"


# ---- scoring reads verified values ---------------------------------------------------------


def verified_values(cycle_id: int) -> list[tuple[int, int, float]]:
    """(unit id, indicator id, verified value) that scoring uses instead of reported figures.

    The latest verification of each unit's indicator counts. Its value replaces the reported one
    when the figure was found falsified, and always for indicators whose data source is
    "inspection_verified" (they have no other value).
    """
    latest = (
        select(func.max(FigureVerification.id))
        .where(FigureVerification.cycle_id == cycle_id)
        .group_by(FigureVerification.unit_id, FigureVerification.indicator_id)
    )
    rows = db.session.execute(
        select(
            FigureVerification.unit_id,
            FigureVerification.indicator_id,
            FigureVerification.verified_value,
        )
        .join(IndicatorNode, IndicatorNode.id == FigureVerification.indicator_id)
        .where(FigureVerification.id.in_(latest))
        .where(
            FigureVerification.is_falsified.is_(True)
            | (IndicatorNode.data_source == DataSource.INSPECTION_VERIFIED)
        )
        .order_by(FigureVerification.unit_id, FigureVerification.indicator_id)
    )
    return [(int(u), int(i), float(v)) for u, i, v in rows]


if verified_values not in scoring.VERIFIED_FIGURE_SOURCES:
    scoring.VERIFIED_FIGURE_SOURCES.append(verified_values)


# ---- conflicts and visibility --------------------------------------------------------------


def is_conflicted(user: User, unit_id: int) -> bool:
    """Whether ``user`` is attached to the unit or one of its sub-units."""
    return user.unit_id is not None and user.unit_id in descendant_ids(unit_id)


def check_inspector(inspector: User | None, unit_id: int) -> User:
    """The inspector may be assigned to inspect the unit, or raise."""
    if inspector is None or inspector.role is not Role.INSPECTOR or not inspector.is_active:
        raise InspectionError(_l("Choose an active inspector."), "inspector_id")
    if is_conflicted(inspector, unit_id):
        raise ConflictOfInterest(
            _l("This inspector belongs to the inspected unit and cannot be assigned to it.")
        )
    return inspector


def inspectors_for(unit_id: int) -> list[User]:
    """Active inspectors who may inspect the unit."""
    users = db.session.scalars(
        select(User)
        .where(User.role == Role.INSPECTOR, User.is_active.is_(True))
        .order_by(User.display_name, User.id)
    )
    return [user for user in users if not is_conflicted(user, unit_id)]


def can_see_plans(user: User) -> bool:
    return user.role in (Role.ADMIN, Role.MANAGER, Role.INSPECTOR)


def can_see_visit(user: User, visit: Visit, today: date) -> bool:
    if user.role in STAFF_ROLES:
        return True
    if user.role is Role.INSPECTOR:
        return not is_conflicted(user, visit.unit_id)
    if user.role is Role.UNIT_OFFICIAL and user.unit_id is not None:
        return visit.unit_id in descendant_ids(user.unit_id) and visit.is_disclosed(today)
    return False


def can_work_on(user: User, visit: Visit) -> bool:
    """Managers and the assigned inspector write on a visit."""
    return user.role in STAFF_ROLES or (
        user.role is Role.INSPECTOR and visit.inspector_id == user.id
    )


def get_plan_for(user: User, plan_id: int) -> InspectionPlan:
    plan = db.session.get(InspectionPlan, plan_id)
    if plan is None or not can_see_plans(user):
        raise NotFound()
    return plan


def get_visit_for(user: User, visit_id: int, today: date) -> Visit:
    visit = db.session.get(Visit, visit_id)
    if visit is None or not can_see_visit(user, visit, today):
        raise NotFound()
    return visit


def writable_visit(user: User, visit_id: int, today: date) -> Visit:
    visit = get_visit_for(user, visit_id, today)
    if not can_work_on(user, visit):
        raise Forbidden(_l("Only the assigned inspector or a manager can record on this visit."))
    return visit


def visible_visits(user: User, today: date) -> list[Visit]:
    """Visits this user may see, latest first."""
    query = select(Visit).order_by(Visit.scheduled_on.desc(), Visit.id.desc())
    if user.role is Role.UNIT_OFFICIAL:
        if user.unit_id is None:
            return []
        query = query.where(Visit.unit_id.in_(descendant_ids(user.unit_id)))
    elif user.role not in (Role.ADMIN, Role.MANAGER, Role.INSPECTOR):
        return []
    return [v for v in db.session.scalars(query) if can_see_visit(user, v, today)]


def plans() -> list[InspectionPlan]:
    return list(db.session.scalars(select(InspectionPlan).order_by(InspectionPlan.id.desc())))


# ---- plans ---------------------------------------------------------------------------------


def participants(cycle: Cycle) -> list[int]:
    return list(
        db.session.scalars(
            select(CycleUnit.unit_id)
            .where(CycleUnit.cycle_id == cycle.id)
            .order_by(CycleUnit.unit_id)
        )
    )


def plan_population(cycle: Cycle) -> list[sampling.Key]:
    """Active service points of the cycle's units; a unit without one counts as itself."""
    unit_ids = participants(cycle)
    rows = db.session.execute(
        select(ServicePoint.unit_id, ServicePoint.id).where(
            ServicePoint.unit_id.in_(unit_ids), ServicePoint.is_active.is_(True)
        )
    ).all()
    keys: list[sampling.Key] = [(int(u), int(p)) for u, p in rows]
    with_points = {unit for unit, _ in keys}
    keys.extend((unit, 0) for unit in unit_ids if unit not in with_points)
    return sorted(keys)


def risk_signals(cycle: Cycle) -> list[tuple[sampling.Key, str]]:
    """Divergence alerts, anomaly findings and tips about the cycle's units."""
    unit_ids = set(participants(cycle))
    signals: list[tuple[sampling.Key, str]] = []
    divergent = select(UnitResult.unit_id).where(
        UnitResult.cycle_id == cycle.id, UnitResult.is_divergent.is_(True)
    )
    signals.extend(((int(u), 0), "divergence") for u in db.session.scalars(divergent))
    start = datetime.combine(cycle.period_start, datetime.min.time())
    end = datetime.combine(cycle.period_end, datetime.max.time())
    stored = select(StoredFinding).where(
        StoredFinding.unit_id.in_(unit_ids),
        # A problem the unit had named itself is no risk signal against it.
        StoredFinding.is_self_identified.is_(False),
        (StoredFinding.cycle_id == cycle.id)
        | and_(
            StoredFinding.subject == FindingSubject.RATINGS,
            StoredFinding.window_start <= end,
            StoredFinding.window_end >= start,
        ),
    )
    for finding in db.session.scalars(stored.order_by(StoredFinding.id)):
        assert finding.unit_id is not None
        signal = "divergence" if finding.kind == "score_divergence" else "anomaly"
        signals.append(((finding.unit_id, finding.service_point_id or 0), signal))
    tips = select(Tip.unit_id, Tip.service_point_id).where(
        Tip.unit_id.in_(unit_ids), Tip.status != TipStatus.CLOSED
    )
    signals.extend(((int(u), int(p or 0)), "tip") for u, p in db.session.execute(tips))
    return [(key, signal) for key, signal in signals if key[0] in unit_ids]


def create_plan(
    cycle: Cycle,
    name: str,
    risk_count: int,
    random_count: int,
    seed: str | None = None,
    user_id: int | None = None,
) -> InspectionPlan:
    """Draw a plan for the cycle: risk-based picks, then seeded random picks (flushes)."""
    if not 0 <= risk_count <= MAX_PICKS or not 0 <= random_count <= MAX_PICKS:
        raise InspectionError(_l("Pick between 0 and 200 places of each sort."), "risk_count")
    if risk_count + random_count == 0:
        raise InspectionError(_l("A plan needs at least one pick."), "risk_count")
    seed = (seed or "").strip() or sampling.new_seed()
    picks = sampling.draw_plan(
        plan_population(cycle), risk_signals(cycle), risk_count, random_count, seed
    )
    plan = InspectionPlan(
        cycle_id=cycle.id, name=name.strip(), seed=seed, risk_count=risk_count,
        random_count=random_count, created_by_id=user_id,
    )  # fmt: skip
    db.session.add(plan)
    db.session.flush()
    for position, pick in enumerate(picks, start=1):
        unit_id, point_id = pick.key
        db.session.add(
            PlanTarget(
                plan=plan, position=position, unit_id=unit_id, service_point_id=point_id or None,
                is_risk_based=pick.is_risk_based, risk_score=pick.score,
                reasons=",".join(pick.reasons),
            )
        )  # fmt: skip
    db.session.flush()
    record_event(
        "inspection_plan.drawn", "inspection_plans", plan.id, None,
        cycle_id=cycle.id, seed=seed, picks=len(picks),
        risk_based=sum(p.is_risk_based for p in picks),
    )  # fmt: skip
    return plan


# ---- visits --------------------------------------------------------------------------------


def create_visit(
    plan: InspectionPlan,
    target: PlanTarget,
    kind: VisitKind,
    scheduled_on: date,
    inspector: User | None,
    checklist: Sequence[str] = (),
) -> Visit:
    """Schedule a visit to a picked place; the inspector must not belong to the unit."""
    if target.plan_id != plan.id:
        raise NotFound()
    check_inspector(inspector, target.unit_id)
    assert inspector is not None
    visit = Visit(
        plan=plan, unit_id=target.unit_id, service_point_id=target.service_point_id, kind=kind,
        scheduled_on=scheduled_on, inspector_id=inspector.id,
    )  # fmt: skip
    db.session.add(visit)
    lines = [line.strip() for line in checklist if line.strip()] or [
        str(item) for item in DEFAULT_CHECKLIST
    ]
    for position, text in enumerate(lines, start=1):
        db.session.add(ChecklistItem(visit=visit, position=position, text=text[:300]))
    db.session.flush()
    return visit


def _open(visit: Visit) -> None:
    if visit.status is VisitStatus.COMPLETED:
        raise InvalidTransition(_l("This visit is completed; its record can no longer change."))


def record_check(visit: Visit, item_id: int, result: CheckResult, note: str) -> ChecklistItem:
    _open(visit)
    item = db.session.get(ChecklistItem, item_id)
    if item is None or item.visit_id != visit.id:
        raise NotFound()
    item.result, item.evidence_note = result, note.strip()
    db.session.flush()
    return item


def add_finding(visit: Visit, text: str, evidence_note: str, author_id: int | None) -> VisitFinding:
    """Add a finding with its evidence note (findings are never edited or deleted)."""
    if not text.strip():
        raise InspectionError(_l("Describe the finding."), "text")
    finding = VisitFinding(
        visit=visit, text=text.strip(), evidence_note=evidence_note.strip(), author_id=author_id
    )
    db.session.add(finding)
    db.session.flush()
    return finding


def complete_visit(visit: Visit, summary: str) -> None:
    _open(visit)
    if not summary.strip():
        raise InspectionError(_l("Summarise the visit before completing it."), "summary")
    visit.status, visit.summary, visit.completed_at = (
        VisitStatus.COMPLETED,
        summary.strip(),
        utcnow(),
    )
    db.session.flush()
    record_event(
        "inspection_visit.completed", "inspection_visits", visit.id, visit.audit_unit_id(),
        kind=visit.kind.value, findings=len(visit.findings),
    )  # fmt: skip


# ---- figure verification -------------------------------------------------------------------


def figures_for(visit: Visit) -> list[SelfReportedFigure]:
    """Current self-reported figures of the visited unit and its sub-units in the plan's cycle."""
    return list(
        db.session.scalars(
            select(SelfReportedFigure)
            .where(
                SelfReportedFigure.cycle_id == visit.plan.cycle_id,
                SelfReportedFigure.unit_id.in_(descendant_ids(visit.unit_id)),
                SelfReportedFigure.is_superseded.is_(False),
            )
            .order_by(SelfReportedFigure.unit_id, SelfReportedFigure.indicator_id)
        )
    )


def tip_by_ref(ref: str) -> Tip | None:
    ref = ref.strip()
    return db.session.scalar(select(Tip).where(Tip.ref == ref)) if ref else None


def latest_verification(figure_id: int) -> FigureVerification | None:
    query = select(FigureVerification).where(FigureVerification.figure_id == figure_id)
    return db.session.scalar(query.order_by(FigureVerification.id.desc()).limit(1))


def is_falsified(figure: SelfReportedFigure) -> bool:
    """Whether the latest verification of the figure found a material discrepancy."""
    latest = latest_verification(figure.id)
    return latest is not None and latest.is_falsified


@dataclass(frozen=True)
class Verified:
    verification: FigureVerification
    #: The new published version when published results were corrected.
    correction: Publication | None


def verify_figure(
    visit: Visit,
    figure_id: int,
    verified_value: float,
    evidence_note: str,
    user: User,
    threshold: float = DEFAULT_MATERIAL_THRESHOLD,
    tip_ref: str = "",
) -> Verified:
    """Record the verified value; a material discrepancy marks the figure falsified.

    When the cycle's results are already published, a falsified figure triggers a correction
    (a new published version whose public note says what the inspection found).
    """
    _open(visit)
    figure = db.session.get(SelfReportedFigure, figure_id)
    if figure is None or figure not in figures_for(visit):
        raise InspectionError(_l("Choose a figure of the visited unit."), "figure_id")
    tip = tip_by_ref(tip_ref)
    if tip_ref.strip() and (tip is None or is_conflicted(user, tip.unit_id)):
        raise InspectionError(_l("No tip has this reference."), "tip_ref")
    if not evidence_note.strip():
        raise InspectionError(_l("Say how the value was verified."), "evidence_note")
    difference = sampling.relative_difference(figure.value, verified_value)
    self_identified = found_by_unit_first(figure, tip)
    verification = FigureVerification(
        visit=visit, figure_id=figure.id, cycle_id=figure.cycle_id, unit_id=figure.unit_id,
        indicator_id=figure.indicator_id, reported_value=figure.value,
        verified_value=verified_value, relative_difference=round(difference, 6),
        threshold=threshold, is_falsified=difference > threshold,
        evidence_note=evidence_note.strip(), tip_id=tip.id if tip else None,
        verified_by_id=user.id, is_self_identified=self_identified,
    )  # fmt: skip
    db.session.add(verification)
    db.session.flush()
    record_event(
        "figure.falsified" if verification.is_falsified else "figure.verified",
        "self_reported_figures", figure.id, visit.audit_unit_id(),
        reported=figure.value, verified=verified_value, threshold=threshold,
        tip=tip.ref if tip else None, self_identified=self_identified,
    )  # fmt: skip
    correction = None
    if verification.is_falsified:
        correction = scoring.correct_if_published(
            figure.cycle_id, correction_note(figure, verified_value, self_identified), user.id
        )
    if correction is not None:
        verification.correction_version = correction.version
        db.session.flush()
    return Verified(verification, correction)


def found_by_unit_first(figure: SelfReportedFigure, tip: Tip | None = None) -> bool:
    """Whether the unit's improvement plan named this indicator's problem before the finding.

    The finding dates from now, or from the day the tip was sent when a tip led to it (a plan
    written after a tip arrived does not count, even if the visit came later).
    """
    from citizenvoice.casework.services import was_self_identified

    found_at = utcnow()
    if tip is not None:
        found_at = min(found_at, datetime.combine(tip.submitted_on, datetime.min.time()))
    return was_self_identified(figure.unit_id, figure.cycle_id, figure.indicator_id, found_at)


def correction_note(
    figure: SelfReportedFigure, verified_value: float, self_identified: bool = False
) -> str:
    """The public reason of a correction (no inspector's name, no tip).

    A problem the unit had named itself is published as such, not as a falsified figure.
    """
    unit = db.session.get(Unit, figure.unit_id)
    indicator = db.session.get(IndicatorNode, figure.indicator_id)
    unit_name = unit.name if unit else figure.unit_id
    indicator_name = indicator.name if indicator else figure.indicator_id
    if self_identified:
        return (
            f"Inspection verification of a self-identified problem: {unit_name} had listed "
            f"{indicator_name} in its improvement plan before the inspection; it reported "
            f"{figure.value:g}, the inspection verified {verified_value:g}. The verified value "
            "replaces the reported figure; the plan is among the unit's commitments."
        )
    return (
        f"Inspection verification: {unit_name} reported "
        f"{figure.value:g} for {indicator_name}; "
        f"the inspection verified {verified_value:g}. The verified value replaces the "
        "reported figure."
    )


# ---- sample surveys ------------------------------------------------------------------------


def contacts_query(cycle: Cycle, unit_id: int, service_point_id: int | None) -> Select[tuple[int]]:
    """Ids of ratings with contact details left at a place (one service point, or every point
    of the unit and its sub-units) during the cycle."""
    start = datetime.combine(cycle.period_start, datetime.min.time())
    end = datetime.combine(cycle.period_end, datetime.max.time())
    if service_point_id:
        points: Iterable[int] = [service_point_id]
    else:
        points = db.session.scalars(
            select(ServicePoint.id).where(ServicePoint.unit_id.in_(descendant_ids(unit_id)))
        ).all()
    return (
        select(Rating.id)
        .join(RatingContact, RatingContact.rating_id == Rating.id)
        .where(
            Rating.service_point_id.in_(list(points)),
            Rating.has_contact.is_(True),
            Rating.created_at >= start,
            Rating.created_at <= end,
        )
    )


def sample_population(visit: Visit) -> list[int]:
    """Ratings with contact details at the visited place during the plan's cycle."""
    query = contacts_query(visit.plan.cycle, visit.unit_id, visit.service_point_id)
    return [int(i) for i in db.session.scalars(query)]


def draw_sample_survey(visit: Visit, size: int, seed: str | None = None) -> SampleSurvey:
    """Draw ``size`` ratings whose authors left contact details, by a recorded seed."""
    _open(visit)
    if not 1 <= size <= MAX_SAMPLE:
        raise InspectionError(_l("Draw between 1 and 200 ratings."), "size")
    seed = (seed or "").strip() or sampling.new_seed()
    population = sample_population(visit)
    if not population:
        raise InspectionError(
            _l("No rating with contact details was left here in this cycle."), "size"
        )
    drawn = sampling.draw_sample(population, size, seed)
    sample = SampleSurvey(visit=visit, seed=seed, size=len(drawn), population=len(population))
    db.session.add(sample)
    for position, rating_id in enumerate(drawn, start=1):
        db.session.add(SampleContact(sample=sample, rating_id=rating_id, position=position))
    db.session.flush()
    return sample


def get_sample_for(user: User, sample_id: int, today: date) -> SampleSurvey:
    sample = db.session.get(SampleSurvey, sample_id)
    if sample is None or user.role not in (*STAFF_ROLES, Role.INSPECTOR):
        raise NotFound()
    get_visit_for(user, sample.visit_id, today)
    return sample


def record_contact(
    sample: SampleSurvey,
    contact_id: int,
    outcome: ContactOutcome,
    channel: str,
    note: str,
    user_id: int | None,
) -> SampleContact:
    """Record whether the citizen confirmed being served, and how they were asked."""
    _open(sample.visit)
    contact = db.session.get(SampleContact, contact_id)
    if contact is None or contact.sample_id != sample.id:
        raise NotFound()
    if outcome is ContactOutcome.PENDING:
        raise InspectionError(_l("Choose what the citizen said."), "outcome")
    if outcome is not ContactOutcome.NOT_REACHED and not channel.strip():
        raise InspectionError(_l("Say how the citizen was asked."), "channel")
    contact.outcome, contact.channel, contact.note = outcome, channel.strip(), note.strip()
    contact.recorded_by_id, contact.recorded_at = user_id, utcnow()
    db.session.flush()
    return contact


@dataclass(frozen=True)
class SampleSummary:
    size: int
    confirmed: int
    not_reached: int
    denied: int
    pending: int

    @property
    def reached(self) -> int:
        return self.confirmed + self.denied

    @property
    def denial_rate(self) -> float | None:
        """Share of reached citizens who denied being served (a sign of faked ratings)."""
        return self.denied / self.reached if self.reached else None


def summarise(sample: SampleSurvey) -> SampleSummary:
    counts = Counter(contact.outcome for contact in sample.contacts)
    return SampleSummary(
        size=len(sample.contacts),
        confirmed=counts[ContactOutcome.CONFIRMED],
        not_reached=counts[ContactOutcome.NOT_REACHED],
        denied=counts[ContactOutcome.DENIED],
        pending=counts[ContactOutcome.PENDING],
    )


def contact_details(sample: SampleSurvey) -> dict[int, RatingContact]:
    """Rating id → the contact details its author left (shown to the inspector only)."""
    ids = [contact.rating_id for contact in sample.contacts]
    rows = db.session.scalars(select(RatingContact).where(RatingContact.rating_id.in_(ids)))
    return {row.rating_id: row for row in rows}
