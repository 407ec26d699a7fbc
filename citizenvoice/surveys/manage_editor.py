"""Staff pages for editing surveys and choosing which survey a service point asks."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from citizenvoice.core.access import roles_required
from citizenvoice.core.errors import DomainError
from citizenvoice.core.forms import EmptyForm
from citizenvoice.core.staff_menu import MenuItem, register
from citizenvoice.extensions import db
from citizenvoice.org.models import ServicePoint
from citizenvoice.surveys import editor, services
from citizenvoice.surveys.forms import QuestionForm, SurveyForm
from citizenvoice.surveys.manage import MANAGERS, bp
from citizenvoice.surveys.models import PointSurvey, QuestionKind, Survey

register(
    MenuItem(
        "surveys_manage.surveys",
        _l("Surveys"),
        _l("The questions citizens are asked; edits of answered surveys make a new version."),
        frozenset(MANAGERS),
    )
)


@bp.route("/surveys", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def surveys() -> Any:
    services.default_survey()
    form = SurveyForm()
    if form.validate_on_submit():
        try:
            survey = editor.create_survey(
                form.code.data or "", form.name.data or "", form.name_zh.data
            )
        except DomainError as exc:
            db.session.rollback()
            form.code.errors = [*form.code.errors, str(exc)]
        else:
            db.session.commit()
            return redirect(url_for(".survey_detail", survey_id=survey.id))
    db.session.commit()
    rows = db.session.scalars(select(Survey).order_by(Survey.is_default.desc(), Survey.name))
    assigned = dict(
        db.session.execute(
            select(PointSurvey.survey_id, func.count()).group_by(PointSurvey.survey_id)
        )
        .tuples()
        .all()
    )
    listing = [(s, services.current_version(s), assigned.get(s.id, 0)) for s in rows]
    return render_template("surveys/manage/surveys.html", listing=listing, form=form)


@bp.route("/surveys/<int:survey_id>")
@roles_required(*MANAGERS)
def survey_detail(survey_id: int) -> Any:
    survey = editor.get_survey(survey_id)
    version = services.current_version(survey)
    forms = {}
    for question in version.questions:
        form = QuestionForm(prefix=f"q{question.id}", formdata=None, obj=question)
        form.kind.data = question.kind.value
        forms[question.id] = form
    points = db.session.scalars(select(ServicePoint).order_by(ServicePoint.name)).all()
    return render_template(
        "surveys/manage/survey.html",
        survey=survey,
        version=version,
        locked=services.is_locked(version),
        forms=forms,
        new_form=QuestionForm(prefix="new", formdata=None),
        points=points,
        action_form=EmptyForm(),
    )


def _question_form(prefix: str) -> QuestionForm:
    return QuestionForm(prefix=prefix)


@bp.route("/surveys/<int:survey_id>/questions", methods=["POST"])
@roles_required(*MANAGERS)
def question_save(survey_id: int) -> Any:
    survey = editor.get_survey(survey_id)
    prefix = request.form.get("prefix", "new")
    if prefix != "new" and not prefix[1:].isdigit():
        abort(400)
    form = _question_form(prefix)
    if not form.validate_on_submit():
        flash(_("Please fill in the code, the answer kind and the English question."), "error")
        return redirect(url_for(".survey_detail", survey_id=survey.id))
    kind = QuestionKind(form.kind.data)
    try:
        if prefix == "new":
            version = editor.add_question(
                survey, form.code.data or "", kind, form.text.data or "", form.text_zh.data
            )
        else:
            version = editor.update_question(
                survey, form.code.data or "", kind, form.text.data or "", form.text_zh.data
            )
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".survey_detail", survey_id=survey.id))
    db.session.commit()
    flash(_("Saved in version %(number)s.", number=version.number), "success")
    return redirect(url_for(".survey_detail", survey_id=survey.id))


@bp.route("/surveys/<int:survey_id>/questions/remove", methods=["POST"])
@roles_required(*MANAGERS)
def question_remove(survey_id: int) -> Any:
    survey = editor.get_survey(survey_id)
    if EmptyForm().validate_on_submit():
        try:
            version = editor.remove_question(survey, request.form.get("code", ""))
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Saved in version %(number)s.", number=version.number), "success")
    return redirect(url_for(".survey_detail", survey_id=survey.id))


@bp.route("/surveys/<int:survey_id>/assign", methods=["POST"])
@roles_required(*MANAGERS)
def survey_assign(survey_id: int) -> Any:
    survey = editor.get_survey(survey_id)
    point_id = request.form.get("point_id", 0, type=int) or 0
    # Out-of-range ids would overflow the database integer (HTTP 500): no such point.
    point = db.session.get(ServicePoint, point_id) if 0 < point_id < 2**31 else None
    if point is None:
        flash(_("Please choose a service point."), "error")
    elif EmptyForm().validate_on_submit():
        editor.assign_survey(point, survey)
        db.session.commit()
        flash(_("The service point now asks this survey."), "success")
    return redirect(url_for(".survey_detail", survey_id=survey.id))
