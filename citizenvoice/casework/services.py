"""Cases, replies, the citizen's verdict, escalation, notifications and improvement plans.

Appeals live in ``casework.appeals``; they are re-exported here for the callers that read them
through the case services."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select

from citizenvoice.accounts.models import Role, User
from citizenvoice.audit.services import record_event
from citizenvoice.casework import mail as casework_mail
from citizenvoice.casework.appeals import APPEAL_DECISION_DAYS as APPEAL_DECISION_DAYS
from citizenvoice.casework.appeals import REVIEWER_ROLES as REVIEWER_ROLES
from citizenvoice.casework.appeals import AppealDeadline as AppealDeadline
from citizenvoice.casework.appeals import appeal_deadlines as appeal_deadlines
from citizenvoice.casework.appeals import decide_appeal as decide_appeal
from citizenvoice.casework.appeals import file_appeal as file_appeal
from citizenvoice.casework.appeals import get_appeal_for as get_appeal_for
from citizenvoice.casework.appeals import has_conflict as has_conflict
from citizenvoice.casework.appeals import visible_appeals as visible_appeals
from citizenvoice.casework.common import MIN_TEXT as MIN_TEXT
from citizenvoice.casework.common import NOTIFICATION_TEXT as NOTIFICATION_TEXT
from citizenvoice.casework.common import CaseError as CaseError
from citizenvoice.casework.common import holidays_between as holidays_between
from citizenvoice.casework.common import notify as notify
from citizenvoice.casework.common import scope_of as _scope
from citizenvoice.casework.common import today as today

# Re-exported: the public pages read the figures through the case services.
from citizenvoice.casework.figures import CaseFigures as CaseFigures
from citizenvoice.casework.figures import figures as figures
from citizenvoice.casework.figures import figures_per_unit as figures_per_unit
from citizenvoice.casework.models import (
    Case,
    CasePolicy,
    CaseReason,
    CaseStatus,
    Holiday,
    ImprovementPlan,
    Notification,
    PlanComment,
    Verdict,
)
from citizenvoice.casework.workdays import add_working_days
from citizenvoice.core.db import utcnow
from citizenvoice.core.errors import Forbidden, InvalidTransition, NotFound
from citizenvoice.extensions import db
from citizenvoice.mail.models import OutboxMessage
from citizenvoice.mail.services import is_enabled as mail_is_enabled
from citizenvoice.org.models import Unit
from citizenvoice.surveys.intake import Cursor
from citizenvoice.surveys.models import Rating, SurveyVersion

DEFAULT_ACKNOWLEDGE_DAYS = 1
DEFAULT_RESOLVE_DAYS = 5
#: The bottom two levels of the five-level scale open a case.
LOW_LEVELS = (1, 2)
#: The default survey's integrity question ("asked for gifts, favours or fees").
INTEGRITY_QUESTION = "gifts"

#: Starting points for replies; the placeholder in brackets must be replaced before sending.
CANNED_REPLIES = {
    "thanks": _l(
        "Thank you for your rating. We looked into it and [describe what you found and changed]."
    ),
    "waiting": _l(
        "We are sorry about the wait. Since your visit we have [describe the change to the queue]."
    ),
    "staff": _l(
        "We have spoken with the staff concerned and [describe what will be done differently]."
    ),
}

OPEN_STATES = frozenset(
    {CaseStatus.OPEN, CaseStatus.ACKNOWLEDGED, CaseStatus.INVESTIGATING, CaseStatus.REOPENED}
)
#: Staff transitions: status → statuses reachable by a staff action.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.ACKNOWLEDGED}),
    CaseStatus.ACKNOWLEDGED: frozenset({CaseStatus.INVESTIGATING, CaseStatus.REPLIED}),
    CaseStatus.INVESTIGATING: frozenset({CaseStatus.REPLIED}),
    CaseStatus.REOPENED: frozenset({CaseStatus.INVESTIGATING, CaseStatus.REPLIED}),
    CaseStatus.REPLIED: frozenset(),
    CaseStatus.SOLVED: frozenset(),
    CaseStatus.CLOSED_UNSOLVED: frozenset(),
}


# ---- calendar and deadlines ------------------------------------------------------------------


def holidays() -> list[Holiday]:
    return list(db.session.scalars(select(Holiday).order_by(Holiday.day)))


def add_holiday(day: date, name: str) -> Holiday:
    holiday = db.session.get(Holiday, day)
    if holiday is None:
        holiday = Holiday(day=day, name=name.strip()[:120])
        db.session.add(holiday)
    else:
        holiday.name = name.strip()[:120]
    db.session.flush()
    forget_deadlines()
    return holiday


def remove_holiday(day: date) -> None:
    holiday = db.session.get(Holiday, day)
    if holiday is None:
        raise NotFound()
    db.session.delete(holiday)
    db.session.flush()
    forget_deadlines()


def policy_for(unit_id: int) -> tuple[int, int]:
    """(acknowledge, resolve) working days for the unit."""
    policy = db.session.get(CasePolicy, unit_id)
    if policy is None:
        return DEFAULT_ACKNOWLEDGE_DAYS, DEFAULT_RESOLVE_DAYS
    return policy.acknowledge_days, policy.resolve_days


def set_policy(unit_id: int, acknowledge_days: int, resolve_days: int) -> CasePolicy:
    if not 0 <= acknowledge_days <= resolve_days <= 60:
        raise CaseError(
            _l("Acknowledging may not take longer than resolving (at most 60 working days)."),
            "resolve_days",
        )
    policy = db.session.get(CasePolicy, unit_id)
    if policy is None:
        policy = CasePolicy(unit_id=unit_id)
        db.session.add(policy)
    policy.acknowledge_days, policy.resolve_days = acknowledge_days, resolve_days
    db.session.flush()
    forget_deadlines()
    return policy


#: Seconds a worker reuses the deadlines it computed for a unit and day (a calendar or policy
#: change made in another worker is seen after at most this long; in this one, at once).
DEADLINE_CACHE_SECONDS = 30.0


def _deadline_cache() -> dict[tuple[int, date], tuple[float, tuple[date, date]]]:
    cache: dict[tuple[int, date], tuple[float, tuple[date, date]]]
    cache = current_app.extensions.setdefault("casework.deadlines", {})
    return cache


def forget_deadlines() -> None:
    current_app.extensions.pop("casework.deadlines", None)


def deadlines(unit_id: int, start: date) -> tuple[date, date]:
    """(acknowledge, resolve) due dates of a case opened on ``start``."""
    cache = _deadline_cache()
    now = time.monotonic()
    cached = cache.get((unit_id, start))
    if cached is not None and now - cached[0] < DEADLINE_CACHE_SECONDS:
        return cached[1]
    ack, resolve = policy_for(unit_id)
    # Ten weeks covers any deadline up to 60 working days with a generous holiday calendar.
    days_off = holidays_between(start, start + timedelta(days=7 * 14))
    due = add_working_days(start, ack, days_off), add_working_days(start, resolve, days_off)
    if len(cache) > 10_000:
        cache.clear()
    cache[(unit_id, start)] = (now, due)
    return due


# ---- opening ---------------------------------------------------------------------------------


def case_reason(
    overall: int, integrity_reported: bool, has_comment: bool, has_contact: bool
) -> CaseReason | None:
    """Why a rating opens a case, if it does (integrity first, then a low level, then a reply)."""
    if integrity_reported:
        return CaseReason.INTEGRITY
    if overall in LOW_LEVELS:
        return CaseReason.LOW_RATING
    if has_comment and has_contact:
        return CaseReason.REPLY_REQUESTED
    return None


def opening_reason(
    rating: Rating, answers: Mapping[int, int], version: SurveyVersion
) -> CaseReason | None:
    integrity = any(
        question.code == INTEGRITY_QUESTION and answers.get(question.id) == 1
        for question in version.questions
    )
    return case_reason(rating.overall, integrity, bool(rating.comment), rating.has_contact)


INSERT_CASE = (
    "INSERT INTO cases (rating_id, unit_id, reason, status, opened_at, acknowledge_due,"
    " resolve_due, what_changed, public_reply, private_reply, reopen_count, language)"
    " VALUES (:rating_id, :unit_id, :reason, :status, :opened_at, :acknowledge_due,"
    " :resolve_due, '', '', '', 0, :language) RETURNING id"
)
INSERT_NOTIFICATION = (
    "INSERT INTO case_notifications (unit_id, for_inspectors, case_id, kind, created_at)"
    " VALUES (:unit_id, :for_inspectors, :case_id, :kind, :created_at)"
)


def open_case(
    rating_id: int,
    unit_id: int,
    reason: CaseReason,
    opened_at: datetime,
    cursor: Cursor | None = None,
    language: str | None = None,
    due: tuple[date, date] | None = None,
) -> int:
    """Open the case of a freshly stored rating; returns its id (flushes nothing).

    Written with plain INSERTs in the rating's own transaction (``cursor``'s, the session's by
    default), on the submission path: the opening is the system's, not a staff member's, so it
    adds no entry to the audit chain (every later staff change of the case does). The e-mail
    telling the unit's officials (and the inspectors, for integrity reports) goes into the
    outbox in the same transaction, which must then be the session's. ``language`` is the
    citizen's (by default the current request's); ``due``: the deadlines, when the caller has
    read them already (:func:`deadlines`).
    """
    ack_due, resolve_due = due or deadlines(unit_id, opened_at.date())
    cursor = cursor or Cursor()
    found = cursor.first(
        INSERT_CASE,
        {
            "rating_id": rating_id,
            "unit_id": unit_id,
            "reason": reason.name,  # enum columns hold the member's name
            "status": CaseStatus.OPEN.name,
            "opened_at": opened_at,
            "acknowledge_due": ack_due,
            "resolve_due": resolve_due,
            "language": language or _citizen_language(),
        },
    )
    case_id = int(found[0])
    notices = [
        {"unit_id": None if for_inspectors else unit_id, "case_id": case_id, "kind": kind,
         "for_inspectors": for_inspectors}
        for kind, for_inspectors in _notices_of(reason)
    ]  # fmt: skip
    cursor.execute_many(
        INSERT_NOTIFICATION, [{**notice, "created_at": opened_at} for notice in notices]
    )
    mails = [row for notice in notices for row in _notice_mails(notice, unit_id)]
    if mails:
        if not cursor.is_session_bound:
            raise RuntimeError("the outbox is written in the session's transaction only")
        db.session.connection().execute(insert(OutboxMessage), mails)
    return case_id


def _notices_of(reason: CaseReason) -> list[tuple[str, bool]]:
    """The notices a new case sends (kind, for inspectors): its unit's officials are told of
    every case; the inspectors too when a citizen reports a faked figure."""
    notices = [("opened", False)]
    if reason is CaseReason.INTEGRITY:
        notices.append(("integrity", True))
    return notices


def case_opening(
    unit_id: int,
    reason: CaseReason,
    opened_on: date,
    language: str | None = None,
    due: tuple[date, date] | None = None,
) -> dict[str, Any] | None:
    """The columns and notices of a case, for storing it in the rating's own statement
    (``surveys.intake.store_and_count``); None when the case must send e-mail, which only
    :func:`open_case` writes (in the session's transaction)."""
    if mail_is_enabled():
        return None
    ack_due, resolve_due = due or deadlines(unit_id, opened_on)
    notices = _notices_of(reason)
    return {
        "unit_id": unit_id,
        "case_reason": reason.name,  # enum columns hold the member's name
        "case_status": CaseStatus.OPEN.name,
        "acknowledge_due": ack_due,
        "resolve_due": resolve_due,
        "case_language": language or _citizen_language(),
        "notice_kinds": [kind for kind, _ in notices],
        "notice_for_inspectors": [for_inspectors for _, for_inspectors in notices],
    }


def _notice_mails(notice: dict[str, Any], case_unit_id: int) -> list[dict[str, Any]]:
    """Outbox rows of one notification row written by :func:`open_case`."""
    kind = str(notice["kind"])
    return casework_mail.notification_rows(
        notice["unit_id"], notice["case_id"], kind, NOTIFICATION_TEXT[kind],
        bool(notice["for_inspectors"]), case_unit_id,
    )  # fmt: skip


def _citizen_language() -> str | None:
    """The language of the citizen's request (None outside a request, e.g. imports)."""
    if not has_request_context():
        return None
    return str(get_locale() or "") or None


def open_case_for(
    rating: Rating, answers: Mapping[int, int], version: SurveyVersion, robot: bool = False
) -> Case | None:
    """Open a case for a stored rating when the opening rule says so (robots open nothing)."""
    if robot:
        return None
    reason = opening_reason(rating, answers, version)
    if reason is None:
        return None
    db.session.flush()
    case_id = open_case(rating.id, rating.service_point.unit_id, reason, rating.created_at)
    return db.session.get(Case, case_id)


def notifications_for(user: User, limit: int = 100) -> list[Notification]:
    query = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if user.role is Role.INSPECTOR:
        query = query.where(Notification.for_inspectors)
        scope = _scope(user)
        if scope:  # never about the inspector's own unit (a conflict of interest)
            query = query.where(
                ~Notification.case.has(Case.unit_id.in_(scope)),
            )
    elif user.role is Role.UNIT_OFFICIAL:
        query = query.where(Notification.unit_id.in_(_scope(user)))
    elif user.role not in (Role.ADMIN, Role.MANAGER):
        return []
    return list(db.session.scalars(query))


# ---- visibility ------------------------------------------------------------------------------


def can_see(user: User, case: Case) -> bool:
    if user.role in (Role.ADMIN, Role.MANAGER):
        return True
    if user.role is Role.INSPECTOR:
        return case.reason is CaseReason.INTEGRITY and case.unit_id not in _scope(user)
    if user.role is Role.UNIT_OFFICIAL:
        return case.unit_id in _scope(user)
    return False


def visible_cases(user: User, status: CaseStatus | None = None) -> list[Case]:
    query = select(Case).order_by(Case.id.desc())
    if user.role is Role.UNIT_OFFICIAL:
        query = query.where(Case.unit_id.in_(_scope(user)))
    elif user.role is Role.INSPECTOR:
        query = query.where(Case.reason == CaseReason.INTEGRITY)
        scope = _scope(user)
        if scope:
            query = query.where(Case.unit_id.not_in(scope))
    elif user.role not in (Role.ADMIN, Role.MANAGER):
        return []
    if status is not None:
        query = query.where(Case.status == status)
    return list(db.session.scalars(query.limit(500)))


def get_case_for(user: User, case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None or not can_see(user, case):
        raise NotFound()
    return case


def case_for_rating(rating: Rating) -> Case | None:
    return db.session.scalar(select(Case).where(Case.rating_id == rating.id))


def is_overdue(case: Case, on: date | None = None) -> bool:
    on = on or today()
    if case.status is CaseStatus.OPEN and on > case.acknowledge_due:
        return True
    return case.status in OPEN_STATES and on > case.resolve_due


# ---- staff actions ---------------------------------------------------------------------------


def _move(case: Case, target: CaseStatus, actor: User, **details: object) -> None:
    if target not in TRANSITIONS[case.status]:
        raise InvalidTransition(_l("This change is not possible in the case's current state."))
    before = case.status
    case.status = target
    db.session.flush()
    record_event(
        f"case.{target.value}",
        "cases",
        case.id,
        unit_id=case.unit_id,
        before=before.value,
        actor_id=actor.id,
        **details,
    )


def acknowledge(case: Case, actor: User) -> None:
    _move(case, CaseStatus.ACKNOWLEDGED, actor)
    case.acknowledged_at = utcnow()
    db.session.flush()


def investigate(case: Case, actor: User) -> None:
    _move(case, CaseStatus.INVESTIGATING, actor)


def _check_text(text: str, field: str) -> str:
    text = text.strip()
    canned = {str(value) for value in CANNED_REPLIES.values()}
    if text in canned or ("[" in text and "]" in text):
        raise CaseError(
            _l("Please replace the part in brackets with what your unit actually did."), field
        )
    if text and len(text) < MIN_TEXT:
        raise CaseError(_l("Please write at least a full sentence."), field)
    return text


def reply(
    case: Case, actor: User, what_changed: str, public_reply: str, private_reply: str
) -> None:
    """Record what changed and answer the citizen publicly, privately or both."""
    if CaseStatus.REPLIED not in TRANSITIONS[case.status]:
        raise InvalidTransition(_l("Acknowledge the case before replying."))
    what = what_changed.strip()
    if len(what) < MIN_TEXT:
        raise CaseError(_l("Please record what your unit changed."), "what_changed")
    public = _check_text(public_reply, "public_reply")
    private = _check_text(private_reply, "private_reply")
    if not public and not private:
        raise CaseError(_l("Please write a public reply, a private reply or both."), "public_reply")
    now = utcnow()
    case.what_changed, case.public_reply, case.private_reply = what, public, private
    if case.replied_on_time is None:
        case.replied_on_time = now.date() <= case.resolve_due
    case.replied_at = now
    if case.acknowledged_at is None:
        case.acknowledged_at = now
    mailed = private and casework_mail.reply_row(case.rating, case.unit, private, case.language)
    if mailed:
        db.session.add(OutboxMessage(**mailed))
    _move(
        case, CaseStatus.REPLIED, actor,
        public=bool(public), private=bool(private), emailed=bool(mailed),
    )  # fmt: skip


# ---- the citizen's verdict and escalation ----------------------------------------------------


def _superior(unit_id: int) -> int | None:
    unit = db.session.get(Unit, unit_id)
    return unit.parent_id if unit else None


def _escalate(case: Case) -> bool:
    """Hand the case to the superior unit once (False when already escalated or at the top)."""
    if case.escalated_at is not None:
        return False
    superior = _superior(case.unit_id)
    case.escalated_at = utcnow()
    case.escalated_to_id = superior
    if superior is not None:
        notify(superior, case, "escalated")
    db.session.flush()
    record_event("case.escalated", "cases", case.id, unit_id=case.unit_id, superior_id=superior)
    return True


def give_verdict(case: Case, verdict: Verdict) -> None:
    """The citizen's answer on /f/<code>: solved, or not solved (reopens once and escalates)."""
    if case.status is not CaseStatus.REPLIED:
        raise InvalidTransition(_l("There is no reply to answer yet."))
    now = utcnow()
    case.verdict, case.verdict_at = verdict, now
    if verdict is Verdict.SOLVED:
        case.status = CaseStatus.SOLVED
    elif case.reopen_count == 0:
        case.status = CaseStatus.REOPENED
        case.reopen_count = 1
        _ack, case.resolve_due = deadlines(case.unit_id, now.date())
        notify(case.unit_id, case, "reopened")
        _escalate(case)
    else:
        case.status = CaseStatus.CLOSED_UNSOLVED
    db.session.flush()
    record_event("case.verdict", "cases", case.id, unit_id=case.unit_id, verdict=verdict.value)


def escalate_overdue(on: date | None = None) -> int:
    """Escalate every open case past its resolve deadline (idempotent); the count escalated."""
    on = on or today()
    cases = db.session.scalars(
        select(Case).where(
            Case.status.in_(OPEN_STATES), Case.resolve_due < on, Case.escalated_at.is_(None)
        )
    )
    return sum(1 for case in list(cases) if _escalate(case))


# ---- improvement plans -----------------------------------------------------------------------

SELF_IDENTIFIED_RULE = _l(
    "Self-identified problems: when a unit lists a problem of an indicator in its improvement "
    "plan, marked as found by itself, before a tip, an inspection or a detector finds a problem "
    "of the same indicator in the same cycle, the finding is marked self-identified. The figures "
    "are still corrected (a verified value replaces a falsified one), but the public correction "
    "note says that the unit had named the problem itself instead of reporting a falsified "
    "figure, and a detector's finding is no risk signal for picking units to inspect. A tip "
    "counts from the day it was sent: a plan written after that day does not make the problem "
    "self-identified. The unit must still complete the plan by its due date; an unfinished "
    "self-identified plan is published like any other overdue commitment."
)


def _plan_node(cycle_id: int, node_id: int) -> None:
    from citizenvoice.indicators.models import IndicatorNode

    node = db.session.get(IndicatorNode, node_id)
    if node is None or node.cycle_id != cycle_id:
        raise CaseError(_l("Choose an indicator of this cycle."), "node_id")


def create_plan(
    actor: User,
    unit_id: int,
    cycle_id: int,
    node_id: int,
    problem: str,
    action: str,
    owner: str,
    due_on: date,
    self_identified: bool = False,
) -> ImprovementPlan:
    if actor.role is Role.UNIT_OFFICIAL and unit_id not in _scope(actor):
        raise NotFound()
    if actor.role not in (Role.ADMIN, Role.MANAGER, Role.UNIT_OFFICIAL):
        raise Forbidden(_l("You may not write improvement plans."))
    _plan_node(cycle_id, node_id)
    if len(problem.strip()) < MIN_TEXT or len(action.strip()) < MIN_TEXT:
        raise CaseError(_l("Please describe the problem and the action."), "action")
    plan = ImprovementPlan(
        unit_id=unit_id,
        cycle_id=cycle_id,
        node_id=node_id,
        problem=problem.strip(),
        action=action.strip(),
        owner=owner.strip()[:120],
        due_on=due_on,
        self_identified=self_identified,
        created_by_id=actor.id,
    )
    db.session.add(plan)
    db.session.flush()
    return plan


def update_progress(plan: ImprovementPlan, progress: int, evidence: str) -> None:
    if not 0 <= progress <= 100:
        raise CaseError(_l("Progress is a percentage from 0 to 100."), "progress")
    plan.progress = progress
    plan.evidence = evidence.strip()
    plan.completed_at = (plan.completed_at or utcnow()) if progress == 100 else None
    db.session.flush()


def later_cycles(plan: ImprovementPlan) -> list[tuple[int, str]]:
    """(id, code) of the cycles after the plan's own that have an indicator of the same code."""
    from citizenvoice.indicators.models import Cycle, IndicatorNode

    own = db.session.get(Cycle, plan.cycle_id)
    node = db.session.get(IndicatorNode, plan.node_id)
    if own is None or node is None:
        return []
    rows = db.session.execute(
        select(Cycle.id, Cycle.code)
        .join(IndicatorNode, IndicatorNode.cycle_id == Cycle.id)
        .where(Cycle.period_start > own.period_start, IndicatorNode.code == node.code)
        .order_by(Cycle.period_start)
    )
    return [(int(cycle_id), str(code)) for cycle_id, code in rows]


def carried_to(plan: ImprovementPlan) -> ImprovementPlan | None:
    return db.session.scalar(
        select(ImprovementPlan).where(ImprovementPlan.carried_from_id == plan.id)
    )


def carry_forward(
    plan: ImprovementPlan, actor: User, cycle_id: int, due_on: date
) -> ImprovementPlan:
    """Continue an unfinished plan in a later cycle, on the indicator of the same code.

    The new plan keeps the problem, action, owner, progress, evidence and the self-identified
    mark; the earlier plan stays as it was, so both cycles show the commitment.
    """
    from citizenvoice.indicators.models import IndicatorNode

    if actor.role not in (Role.ADMIN, Role.MANAGER, Role.UNIT_OFFICIAL):
        raise Forbidden(_l("You may not write improvement plans."))
    if plan.progress == 100:
        raise CaseError(_l("A completed plan is not carried forward."), "cycle_id")
    if carried_to(plan) is not None:
        raise CaseError(_l("This plan was already carried forward."), "cycle_id")
    if cycle_id not in {cycle for cycle, _code in later_cycles(plan)}:
        raise CaseError(_l("Choose a later cycle that has the same indicator."), "cycle_id")
    code = db.session.scalar(select(IndicatorNode.code).where(IndicatorNode.id == plan.node_id))
    node_id = db.session.scalar(
        select(IndicatorNode.id).where(
            IndicatorNode.cycle_id == cycle_id, IndicatorNode.code == code
        )
    )
    carried = ImprovementPlan(
        unit_id=plan.unit_id, cycle_id=cycle_id, node_id=node_id, problem=plan.problem,
        action=plan.action, owner=plan.owner, due_on=due_on, progress=plan.progress,
        evidence=plan.evidence, self_identified=plan.self_identified, created_by_id=actor.id,
        carried_from_id=plan.id,
    )  # fmt: skip
    db.session.add(carried)
    db.session.flush()
    return carried


def comment_on_plan(plan: ImprovementPlan, author: User, body: str) -> PlanComment:
    if author.role not in (Role.ADMIN, Role.MANAGER, Role.EXPERT):
        raise Forbidden(_l("Only managers and experts comment on plans."))
    if len(body.strip()) < 2:
        raise CaseError(_l("Please write a comment."), "body")
    comment = PlanComment(plan=plan, author_id=author.id, body=body.strip())
    db.session.add(comment)
    db.session.flush()
    return comment


def was_self_identified(unit_id: int, cycle_id: int, node_id: int, found_at: datetime) -> bool:
    """The milder rule applies: the unit had listed this indicator's problem before the finding."""
    return bool(
        db.session.scalar(
            select(func.count(ImprovementPlan.id)).where(
                ImprovementPlan.unit_id == unit_id,
                ImprovementPlan.cycle_id == cycle_id,
                ImprovementPlan.node_id == node_id,
                ImprovementPlan.self_identified,
                ImprovementPlan.created_at < found_at,
            )
        )
    )


def visible_plans(user: User) -> list[ImprovementPlan]:
    query = select(ImprovementPlan).order_by(ImprovementPlan.id.desc()).limit(500)
    if user.role is Role.UNIT_OFFICIAL:
        query = query.where(ImprovementPlan.unit_id.in_(_scope(user)))
    elif user.role not in (Role.ADMIN, Role.MANAGER, Role.EXPERT, Role.INSPECTOR):
        return []
    return list(db.session.scalars(query))


def get_plan_for(user: User, plan_id: int) -> ImprovementPlan:
    plan = db.session.get(ImprovementPlan, plan_id)
    if plan is None or plan not in visible_plans(user):
        raise NotFound()
    return plan


#: Commitments listed on a public unit page (due first); the open data has all of them.
PUBLIC_PLANS_SHOWN = 50


def public_plans(unit_ids: set[int]) -> list[ImprovementPlan]:
    return list(
        db.session.scalars(
            select(ImprovementPlan)
            .where(ImprovementPlan.unit_id.in_(unit_ids))
            .order_by(ImprovementPlan.due_on, ImprovementPlan.id)
            .limit(PUBLIC_PLANS_SHOWN)
        )
    )
