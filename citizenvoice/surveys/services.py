"""Surveys and ratings: which questions a point asks, storing ratings, flags and their decisions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from citizenvoice.audit.services import record_event
from citizenvoice.core.db import utcnow
from citizenvoice.core.errors import DomainError, InvalidTransition, NotFound
from citizenvoice.extensions import db
from citizenvoice.org.models import RetiredPointToken, ServicePoint
from citizenvoice.surveys import intake, integrity
from citizenvoice.surveys.models import (
    FlagKind,
    FlagStatus,
    PointSurvey,
    Question,
    QuestionKind,
    Rating,
    RatingFlag,
    Survey,
    SurveyVersion,
)
from citizenvoice.surveys.qr import TOKEN_ALPHABET, normalize_token
from citizenvoice.surveys.rollups import add_to_rollup

if TYPE_CHECKING:
    from citizenvoice.casework.models import CaseReason
    from citizenvoice.surveys.forms import PlainAnswers

DEFAULT_SURVEY_CODE = "default"
FOLLOW_UP_LENGTH = 16
COMMENT_MAX = 2000

#: (code, kind, English, Chinese) of the default survey's dimension questions.
DEFAULT_QUESTIONS = [
    (
        "waiting",
        QuestionKind.SCALE,
        "How satisfied are you with the waiting time?",
        "您对等候时间是否满意？",
    ),
    (
        "attitude",
        QuestionKind.SCALE,
        "How satisfied are you with the staff's attitude?",
        "您对工作人员的服务态度是否满意？",
    ),
    (
        "clarity",
        QuestionKind.SCALE,
        "How satisfied are you with how clearly you were told what to bring and do?",
        "您对所需材料和办理手续告知的清楚程度是否满意？",
    ),
    ("resolved", QuestionKind.YES_NO, "Was your matter resolved?", "您的事项是否已办结？"),
    (
        "gifts",
        QuestionKind.YES_NO,
        "Were you asked for gifts, favours or extra fees?",
        "是否有人向您索要礼品、好处或额外费用？",
    ),
]


class RatingError(DomainError):
    """A rating cannot be stored as sent (a value out of range, a question of another survey)."""


class TokenRetired(DomainError):
    """The QR code was replaced; its address answers 410."""

    status = 410


# ---- surveys ---------------------------------------------------------------------------------


def create_default_survey() -> Survey:
    """The default survey in English and Chinese, version 1 (flushes)."""
    survey = Survey(
        code=DEFAULT_SURVEY_CODE, name="Service satisfaction", name_zh="服务满意度", is_default=True
    )
    version = SurveyVersion(survey=survey, number=1)
    for position, (code, kind, text, text_zh) in enumerate(DEFAULT_QUESTIONS):
        version.questions.append(
            Question(code=code, kind=kind, text=text, text_zh=text_zh, position=position)
        )
    db.session.add(survey)
    db.session.flush()
    return survey


def default_survey() -> Survey:
    survey = db.session.scalar(select(Survey).where(Survey.is_default).order_by(Survey.id))
    if survey is not None:
        return survey
    try:
        with db.session.begin_nested():
            return create_default_survey()
    except IntegrityError:  # another request created it at the same moment
        return db.session.scalars(select(Survey).where(Survey.code == DEFAULT_SURVEY_CODE)).one()


def current_version(survey: Survey) -> SurveyVersion:
    version = db.session.scalar(
        select(SurveyVersion)
        .where(SurveyVersion.survey_id == survey.id)
        .order_by(SurveyVersion.number.desc())
        .limit(1)
    )
    if version is None:
        raise NotFound()
    return version


def survey_for_point(point: ServicePoint) -> Survey:
    assigned = db.session.get(PointSurvey, point.id)
    if assigned is not None:
        survey = db.session.get(Survey, assigned.survey_id)
        if survey is not None:
            return survey
    return default_survey()


def version_for_point(point: ServicePoint) -> SurveyVersion:
    """The survey version a service point asks now."""
    return current_version(survey_for_point(point))


def is_locked(version: SurveyVersion) -> bool:
    """A version that any rating answers can no longer change."""
    return bool(db.session.scalar(select(exists().where(Rating.survey_version_id == version.id))))


# ---- finding things by public token ----------------------------------------------------------


def point_by_token(token: str) -> ServicePoint:
    """The active service point of a QR token; NotFound or TokenRetired otherwise."""
    canonical = normalize_token(token)
    if canonical is None:
        raise NotFound()
    point = db.session.scalar(select(ServicePoint).where(ServicePoint.token == canonical))
    if point is None:
        if db.session.get(RetiredPointToken, canonical) is not None:
            raise TokenRetired(_l("This code is no longer in use."))
        raise NotFound()
    if not point.is_active or not point.unit.is_active:
        raise TokenRetired(_l("This service point no longer takes ratings."))
    return point


@dataclass(frozen=True)
class PointRef:
    """What the rating path needs of a service point, read with one query."""

    id: int
    token: str
    unit_id: int


_POINT_REF_QUERY = (
    "SELECT p.id, p.token, p.unit_id, p.is_active, u.is_active FROM service_points p"
    " JOIN units u ON u.id = p.unit_id WHERE p.token = :token"
)


def point_ref_by_token(token: str, cursor: intake.Cursor | None = None) -> PointRef:
    """:func:`point_by_token` without loading the point: one plain query."""
    ref = point_ref_row(token, cursor or intake.Cursor())
    if ref is None:
        point_by_token(token)  # raises the right error for a retired or unknown code
        raise NotFound()
    return ref


def point_ref_row(token: str, cursor: intake.Cursor) -> PointRef | None:
    """The active service point of a QR token read with one plain query; None for a token
    that names no point taking ratings (:func:`point_ref_by_token` says why)."""
    canonical = normalize_token(token)
    if canonical is None:
        return None
    row = cursor.first(_POINT_REF_QUERY, {"token": canonical})
    if row is None or not row[3] or not row[4]:
        return None
    return PointRef(row[0], row[1], row[2])


def _used_versions() -> dict[int, intake.VersionShape]:
    shapes: dict[int, intake.VersionShape] = current_app.extensions.setdefault(
        "surveys.used_versions", {}
    )
    return shapes


def version_shape(version_id: int) -> intake.VersionShape | None:
    """The questions of a survey version (kept in memory once the version has a rating)."""
    shape = _used_versions().get(version_id)
    if shape is not None:
        return shape
    version = db.session.get(SurveyVersion, version_id)
    return intake.VersionShape.of(version) if version is not None else None


def remember_used_version(shape: intake.VersionShape) -> None:
    """After a rating of ``shape`` is committed: the version is locked, its shape final."""
    _used_versions().setdefault(shape.id, shape)


def normalize_follow_up(code: str) -> str | None:
    compact = code.replace("-", "").replace(" ", "").upper()
    if len(compact) != FOLLOW_UP_LENGTH or not set(compact) <= set(TOKEN_ALPHABET):
        return None
    return compact


def rating_by_follow_up(code: str) -> Rating:
    canonical = normalize_follow_up(code)
    rating = None
    if canonical is not None:
        rating = db.session.scalar(select(Rating).where(Rating.follow_up_code == canonical))
    if rating is None:
        raise NotFound()
    return rating


def rating_by_nonce(nonce: str) -> Rating | None:
    return db.session.scalar(select(Rating).where(Rating.nonce == nonce))


# ---- storing ratings -------------------------------------------------------------------------


@dataclass
class Submission:
    """A rating as sent, already parsed; the service decides flags and counting."""

    overall: int
    #: question id → value
    answers: dict[int, int] = field(default_factory=dict)
    service_id: int | None = None
    comment: str = ""
    contact_name: str = ""
    contact_details: str = ""
    nonce: str | None = None
    device_hash: str | None = None
    ip_hash: str | None = None
    answered_seconds: float | None = None
    is_honeypot: bool = False
    ticket_id: int | None = None
    kiosk_id: int | None = None
    client_id: str | None = None
    created_at: datetime | None = None

    @classmethod
    def of(cls, plain: PlainAnswers, **columns: Any) -> Submission:
        """The submission of a form's answers; ``columns``: nonce, hashes, times, …"""
        return cls(
            overall=plain.overall,
            answers=plain.answers,
            service_id=plain.service_id,
            comment=plain.comment,
            contact_name=plain.contact_name,
            contact_details=plain.contact_details,
            is_honeypot=bool(plain.honeypot.strip()),
            **columns,
        )


@dataclass(frozen=True)
class Rules:
    device_window_hours: int = 24
    min_seconds: float = 3.0

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> Rules:
        """The rules an application's settings give (``DEVICE_WINDOW_HOURS``,
        ``SURVEY_MIN_SECONDS``)."""
        return cls(
            device_window_hours=int(config.get("DEVICE_WINDOW_HOURS", 24)),
            min_seconds=float(config.get("SURVEY_MIN_SECONDS", integrity.MIN_SECONDS)),
        )


def check_answers(version: intake.VersionShape, sub: Submission) -> None:
    """What a rating's answers must be, whatever the point (RatingError otherwise)."""
    if sub.overall not in range(1, 6):
        raise RatingError(_l("Please choose how satisfied you are overall."))
    for question_id, value in sub.answers.items():
        question = version.question(question_id)
        if question is None or not question.allows(value):
            raise RatingError(_l("One of the answers is not valid."))
    if len(sub.comment) > COMMENT_MAX:
        raise RatingError(_l("The comment is too long."))


def _check(
    point_id: int, version: intake.VersionShape, sub: Submission, cursor: intake.Cursor
) -> None:
    check_answers(version, sub)
    if sub.service_id is not None and not intake.point_offers(point_id, sub.service_id, cursor):
        raise RatingError(_l("This service is not offered here."))


def submission_flags(sub: Submission, rules: Rules) -> list[FlagKind]:
    """The flags a submission earns by itself (a repeated device is found when storing)."""
    flags = []
    if sub.is_honeypot:
        flags.append(FlagKind.HONEYPOT)
    if sub.answered_seconds is not None and sub.answered_seconds < rules.min_seconds:
        flags.append(FlagKind.TOO_FAST)
    return flags


@dataclass(frozen=True)
class RatingParts:
    """What storing a checked submission writes: the rating's columns (``values``), the flags
    it earns by itself, the contact it leaves, the start of the repeated-device window and why
    it opens a case (None: it opens none)."""

    values: dict[str, Any]
    flags: list[FlagKind]
    contact: tuple[str, str] | None
    repeat_since: datetime
    reason: CaseReason | None

    @classmethod
    def of(cls, version: intake.VersionShape, sub: Submission, rules: Rules) -> RatingParts:
        now = sub.created_at or utcnow()
        contact = sub.contact_details.strip()
        values = {
            "overall": sub.overall,
            "created_at": now,
            "service_id": sub.service_id,
            "is_verified": sub.ticket_id is not None,
            "comment": sub.comment.strip() or None,
            "device_hash": sub.device_hash,
            "ip_hash": sub.ip_hash,
            "answered_seconds": sub.answered_seconds,
            "nonce": sub.nonce,
            "ticket_id": sub.ticket_id,
            "kiosk_id": sub.kiosk_id,
            "client_id": sub.client_id,
        }
        return cls(
            values,
            submission_flags(sub, rules),
            (sub.contact_name.strip()[:120], contact[:200]) if contact else None,
            now - timedelta(hours=rules.device_window_hours),
            None if sub.is_honeypot else case_reason_of(version, sub),  # robots open no case
        )


def store_rating(
    point_id: int,
    unit_id: int,
    version: intake.VersionShape,
    sub: Submission,
    rules: Rules | None = None,
    cursor: intake.Cursor | None = None,
    language: str | None = None,
    due: tuple[date, date] | None = None,
    commit: bool = False,
) -> intake.Stored:
    """Check and store a rating with its answers, contact and flags; open its case if due.

    The hot path of every channel (QR code, ticket, kiosk). A nonce that is already stored adds
    nothing and returns ``Stored(id=None)``; a used ticket or a repeated kiosk id raises
    IntegrityError (the database decides, not a check before inserting). ``language``: the
    citizen's, kept with a case (by default the current request's); ``due``: the case's
    deadlines when the caller has read them already; ``commit``: commit ``cursor``'s own
    connection once stored (on PostgreSQL in the same round trip as the statement).
    """
    from citizenvoice.casework.services import case_opening, open_case

    cursor = cursor or intake.Cursor()
    _check(point_id, version, sub, cursor)
    parts = RatingParts.of(version, sub, rules or Rules())
    values, reason = parts.values, parts.reason
    now: datetime = values["created_at"]
    case = case_opening(unit_id, reason, now.date(), language, due) if reason else None
    if case is not None or reason is None:  # unless the case sends e-mail
        return intake.store_and_count(
            point_id, version, values, sub.answers, parts.flags, parts.contact, cursor,
            parts.repeat_since, case, commit,
        )  # fmt: skip
    stored = intake.store(
        point_id, version, values, sub.answers, parts.flags, parts.contact, cursor,
        parts.repeat_since,
    )  # fmt: skip
    if stored.id is not None:  # else a re-sent form: the first one stands
        if reason is not None:
            open_case(stored.id, unit_id, reason, now, cursor, language, due)
        intake.count_stored(stored, point_id, values, sub.answers, cursor)
    if commit:
        cursor.commit()
    return stored


def case_reason_of(version: intake.VersionShape, sub: Submission) -> CaseReason | None:
    """Why storing ``sub`` opens a case, if it does (see ``casework.services.case_reason``)."""
    from citizenvoice.casework.services import INTEGRITY_QUESTION, case_reason

    integrity_id = version.question_id(INTEGRITY_QUESTION)
    return case_reason(
        sub.overall,
        integrity_id is not None and sub.answers.get(integrity_id) == 1,
        bool(sub.comment.strip()),
        bool(sub.contact_details.strip()),
    )


def submit_rating(
    point: ServicePoint, version: SurveyVersion, sub: Submission, rules: Rules | None = None
) -> Rating:
    """:func:`store_rating` for callers holding ORM objects; returns the stored rating."""
    stored = store_rating(point.id, point.unit_id, intake.VersionShape.of(version), sub, rules)
    if stored.id is None:  # the nonce was used: the first rating stands
        first = rating_by_nonce(sub.nonce or "")
        assert first is not None
        return first
    rating = db.session.get(Rating, stored.id)
    assert rating is not None
    return rating


# ---- flags -----------------------------------------------------------------------------------

BLOCKING = (FlagStatus.OPEN, FlagStatus.CONFIRMED)


def _recount(rating: Rating) -> None:
    """Bring ``is_counted`` and the rollup in line with the rating's flags."""
    db.session.flush()
    blocked = db.session.scalar(
        select(func.count(RatingFlag.id)).where(
            RatingFlag.rating_id == rating.id, RatingFlag.status.in_(BLOCKING)
        )
    )
    should_count = not blocked
    if should_count != rating.is_counted:
        rating.is_counted = should_count
        add_to_rollup(rating, 1 if should_count else -1)
    db.session.flush()


def add_flag(
    rating: Rating, kind: FlagKind, reason: str = "", staff_id: int | None = None
) -> RatingFlag:
    """Flag a rating (it stops counting until a person clears every flag)."""
    flag = RatingFlag(rating=rating, kind=kind, reason=reason.strip())
    db.session.add(flag)
    _recount(rating)
    if staff_id is not None:
        record_event(
            "rating_flag.created",
            "rating_flags",
            flag.id,
            unit_id=rating.service_point.unit_id,
            kind=kind.value,
            rating_id=rating.id,
            reason=flag.reason,
        )
    return flag


def get_flag(flag_id: int) -> RatingFlag:
    flag = db.session.get(RatingFlag, flag_id)
    if flag is None:
        raise NotFound()
    return flag


def decide_flag(flag: RatingFlag, confirm: bool, reason: str, staff_id: int | None) -> None:
    """Confirm (keep the rating out) or clear (count it again if no other flag holds it)."""
    if flag.status is not FlagStatus.OPEN:
        raise InvalidTransition(_l("This flag has already been decided."))
    if not reason.strip():
        raise DomainError(_l("Please give a reason for the decision."))
    flag.status = FlagStatus.CONFIRMED if confirm else FlagStatus.CLEARED
    flag.decided_by_id = staff_id
    flag.decided_at = utcnow()
    flag.reason = reason.strip()
    _recount(flag.rating)
    record_event(
        f"rating_flag.{flag.status.value}",
        "rating_flags",
        flag.id,
        unit_id=flag.rating.service_point.unit_id,
        kind=flag.kind.value,
        rating_id=flag.rating_id,
        reason=flag.reason,
    )
