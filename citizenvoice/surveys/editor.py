"""Editing surveys: a version that ratings answer is locked, so edits go to a new version."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from citizenvoice.core.errors import DomainError, NotFound
from citizenvoice.extensions import db
from citizenvoice.org.models import ServicePoint
from citizenvoice.surveys.models import PointSurvey, Question, QuestionKind, Survey, SurveyVersion
from citizenvoice.surveys.services import current_version, default_survey, is_locked

QUESTION_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_QUESTIONS = 12


class SurveyEditError(DomainError):
    """A survey or question cannot be saved as given."""


def get_survey(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        raise NotFound()
    return survey


def editable_version(survey: Survey) -> SurveyVersion:
    """The current version if no rating answers it yet, else a fresh copy numbered one up."""
    version = current_version(survey)
    if not is_locked(version):
        return version
    copy = SurveyVersion(survey_id=survey.id, number=version.number + 1)
    for question in version.questions:
        copy.questions.append(
            Question(
                code=question.code,
                kind=question.kind,
                text=question.text,
                text_zh=question.text_zh,
                position=question.position,
            )
        )
    db.session.add(copy)
    db.session.flush()
    return copy


def _question(version: SurveyVersion, code: str) -> Question:
    for question in version.questions:
        if question.code == code:
            return question
    raise NotFound()


def _check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise SurveyEditError(_l("Please write the question."))
    return text


def update_question(
    survey: Survey, code: str, kind: QuestionKind, text: str, text_zh: str | None
) -> SurveyVersion:
    version = editable_version(survey)
    question = _question(version, code)
    question.kind, question.text = kind, _check_text(text)
    question.text_zh = (text_zh or "").strip() or None
    db.session.flush()
    return version


def add_question(
    survey: Survey, code: str, kind: QuestionKind, text: str, text_zh: str | None
) -> SurveyVersion:
    code = code.strip().lower()
    if not QUESTION_CODE.match(code):
        raise SurveyEditError(
            _l("Codes start with a letter and use lower-case letters, digits and _.")
        )
    text = _check_text(text)
    version = editable_version(survey)
    if any(q.code == code for q in version.questions):
        raise SurveyEditError(_l("This survey already has a question with this code."))
    if len(version.questions) >= MAX_QUESTIONS:
        raise SurveyEditError(_l("A survey has at most %(max)s questions.", max=MAX_QUESTIONS))
    position = max((q.position for q in version.questions), default=-1) + 1
    version.questions.append(
        Question(
            code=code,
            kind=kind,
            text=text,
            text_zh=(text_zh or "").strip() or None,
            position=position,
        )
    )
    db.session.flush()
    return version


def remove_question(survey: Survey, code: str) -> SurveyVersion:
    version = editable_version(survey)
    question = _question(version, code)
    version.questions.remove(question)
    db.session.delete(question)
    db.session.flush()
    return version


def create_survey(code: str, name: str, name_zh: str | None) -> Survey:
    """A new survey starting with the default survey's current questions."""
    code = code.strip().lower()
    if not re.match(r"^[a-z0-9][a-z0-9-]{0,59}$", code):
        raise SurveyEditError(_l("Codes use lower-case letters, digits and hyphens (at most 60)."))
    if db.session.scalar(select(Survey.id).where(Survey.code == code)):
        raise SurveyEditError(_l("Another survey already uses this code."))
    template = current_version(default_survey())
    survey = Survey(code=code, name=name.strip(), name_zh=(name_zh or "").strip() or None)
    version = SurveyVersion(survey=survey, number=1)
    for q in template.questions:
        version.questions.append(
            Question(code=q.code, kind=q.kind, text=q.text, text_zh=q.text_zh, position=q.position)
        )
    db.session.add(survey)
    db.session.flush()
    return survey


def assign_survey(point: ServicePoint, survey: Survey | None) -> None:
    """Make a point ask ``survey`` (None: back to the default survey)."""
    current = db.session.get(PointSurvey, point.id)
    if survey is None or survey.is_default:
        if current is not None:
            db.session.delete(current)
    elif current is None:
        db.session.add(PointSurvey(service_point_id=point.id, survey_id=survey.id))
    else:
        current.survey_id = survey.id
    db.session.flush()
