"""Appeals: a unit official appeals a rating or a result in the cycle's review window; a reviewer
outside the unit's line decides within ten working days, with written reasons the unit reads.
An upheld appeal excludes the rating or corrects the result (see ``casework.corrections``) and
publishes a new version of published results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from citizenvoice.accounts.models import Role, User
from citizenvoice.audit.services import record_event
from citizenvoice.casework import corrections
from citizenvoice.casework.common import (
    MIN_TEXT,
    CaseError,
    holidays_between,
    notify,
    scope_of,
    today,
)
from citizenvoice.casework.corrections import FigureCorrection
from citizenvoice.casework.models import Appeal, AppealKind, AppealStatus
from citizenvoice.casework.workdays import add_working_days
from citizenvoice.core.db import utcnow
from citizenvoice.core.errors import Forbidden, InvalidTransition, NotFound
from citizenvoice.extensions import db
from citizenvoice.indicators.models import SelfReportedFigure
from citizenvoice.org.services import descendant_ids
from citizenvoice.surveys.models import Rating


def _in_window(cycle_id: int, on: date) -> bool:
    from citizenvoice.indicators.models import Cycle

    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        raise NotFound()
    return cycle.review_opens_on <= on <= cycle.review_closes_on


def file_appeal(
    actor: User,
    cycle_id: int,
    kind: AppealKind,
    reasons: str,
    rating_id: int | None = None,
    on: date | None = None,
) -> Appeal:
    if actor.role is not Role.UNIT_OFFICIAL or actor.unit_id is None:
        raise Forbidden(_l("Only a unit official can appeal."))
    if not _in_window(cycle_id, on or today()):
        raise CaseError(_l("Appeals are accepted only in the cycle's review window."), "cycle_id")
    if len(reasons.strip()) < MIN_TEXT:
        raise CaseError(_l("Please give the reasons for the appeal."), "reasons")
    if kind is AppealKind.RATING:
        rating = db.session.get(Rating, rating_id) if rating_id else None
        if rating is None or rating.service_point.unit_id not in scope_of(actor):
            raise CaseError(_l("Choose a rating of your own unit."), "rating_id")
    appeal = Appeal(
        cycle_id=cycle_id,
        unit_id=actor.unit_id,
        filed_at=utcnow(),
        kind=kind,
        rating_id=rating_id if kind is AppealKind.RATING else None,
        reasons=reasons.strip(),
        filed_by_id=actor.id,
    )
    db.session.add(appeal)
    db.session.flush()
    notify(None, None, "appeal_filed")
    record_event("appeal.filed", "appeals", appeal.id, unit_id=appeal.unit_id, kind=kind.value)
    return appeal


#: Working days a reviewer has to decide an appeal, counted like case deadlines.
APPEAL_DECISION_DAYS = 10


@dataclass(frozen=True)
class AppealDeadline:
    decide_by: date
    is_overdue: bool


def appeal_deadlines(appeals: list[Appeal], on: date | None = None) -> dict[int, AppealDeadline]:
    """Appeal id → when the decision is due and whether a pending appeal is past it.

    One query for the holidays of all the appeals' windows.
    """
    if not appeals:
        return {}
    on = on or today()
    starts = [appeal.filed_at.date() for appeal in appeals]
    # Six weeks cover ten working days with a generous holiday calendar.
    days_off = holidays_between(min(starts), max(starts) + timedelta(days=7 * 6))
    deadlines_by_id = {}
    for appeal, start in zip(appeals, starts, strict=True):
        due = add_working_days(start, APPEAL_DECISION_DAYS, days_off)
        pending = appeal.status is AppealStatus.PENDING
        deadlines_by_id[appeal.id] = AppealDeadline(due, pending and on > due)
    return deadlines_by_id


def has_conflict(reviewer: User, appeal: Appeal) -> bool:
    """A reviewer may not decide an appeal they filed, nor one of their own unit's line.

    Their unit conflicts when it is the appealing unit, one of its sub-units or one of its
    superiors (either side of the chain of command).
    """
    if reviewer.id == appeal.filed_by_id:
        return True
    if reviewer.unit_id is None:
        return False
    if appeal.unit_id in descendant_ids(reviewer.unit_id):
        return True
    return reviewer.unit_id in descendant_ids(appeal.unit_id)


REVIEWER_ROLES = (Role.ADMIN, Role.MANAGER, Role.EXPERT, Role.INSPECTOR)


def visible_appeals(user: User) -> list[Appeal]:
    query = select(Appeal).order_by(Appeal.id.desc()).limit(500)
    if user.role is Role.UNIT_OFFICIAL:
        query = query.where(Appeal.unit_id.in_(scope_of(user)))
    elif user.role not in REVIEWER_ROLES:
        return []
    return list(db.session.scalars(query))


def get_appeal_for(user: User, appeal_id: int) -> Appeal:
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None or appeal not in visible_appeals(user):
        raise NotFound()
    return appeal


def decide_appeal(
    appeal: Appeal,
    reviewer: User,
    uphold: bool,
    reasons: str,
    correction: FigureCorrection | None = None,
) -> None:
    """Uphold (exclude the rating or correct the result, publishing a new version) or reject.

    Upholding an appeal against a result may carry the corrected value of one of the unit's
    figures: it replaces the figure, and the new version's note says what was corrected.
    Nothing changes when the decision or the value is refused.
    """
    if appeal.status is not AppealStatus.PENDING:
        raise InvalidTransition(_l("This appeal has already been decided."))
    if reviewer.role not in REVIEWER_ROLES:
        raise Forbidden(_l("You may not review appeals."))
    if has_conflict(reviewer, appeal):
        raise CaseError(_l("You have a conflict of interest with this unit."), "reasons")
    reasons = reasons.strip()
    if len(reasons) < MIN_TEXT:
        raise CaseError(_l("Please give the reasons for the decision."), "reasons")
    if correction is not None and not uphold:
        raise corrections.CorrectionError(_l("A corrected value goes with upholding the appeal."))
    figure = corrections.figure_to_correct(appeal, correction) if correction else None
    appeal.reviewer_id, appeal.decision_reasons, appeal.decided_at = reviewer.id, reasons, utcnow()
    appeal.status = AppealStatus.UPHELD if uphold else AppealStatus.REJECTED
    if uphold:
        _correct(appeal, reviewer, figure, correction.value if correction else None)
    db.session.flush()
    record_event(
        f"appeal.{appeal.status.value}",
        "appeals",
        appeal.id,
        unit_id=appeal.unit_id,
        reasons=reasons,
        correction_version=appeal.correction_version,
    )


def _correct(
    appeal: Appeal, reviewer: User, figure: SelfReportedFigure | None, value: float | None
) -> None:
    """Exclude the appealed rating or store the corrected figure; publish the correction."""
    from citizenvoice.scoring import services as scoring
    from citizenvoice.surveys import services as surveys
    from citizenvoice.surveys.models import FlagKind

    reasons = appeal.decision_reasons
    note = f"Appeal {appeal.id} upheld: {reasons}"
    if appeal.rating is not None:
        flag = surveys.add_flag(appeal.rating, FlagKind.MANUAL, reasons, reviewer.id)
        surveys.decide_flag(flag, True, note, reviewer.id)
    if figure is not None and value is not None:
        note = corrections.correction_note(appeal, figure, value)
        corrections.record_correction(appeal, figure, value, reviewer.id)
    publication = scoring.correct_if_published(appeal.cycle_id, note, reviewer.id)
    if publication is not None:
        appeal.correction_version = publication.version
