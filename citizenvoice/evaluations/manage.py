"""Staff pages for evaluator assignments and internal evaluations (/manage/evaluations)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from citizenvoice.accounts.models import Role, User
from citizenvoice.core.access import roles_required, staff_blueprint
from citizenvoice.core.db import utcnow
from citizenvoice.core.errors import DomainError
from citizenvoice.core.staff_menu import MenuItem, register
from citizenvoice.evaluations import services
from citizenvoice.evaluations.forms import AssignmentForm, ReopenForm, ScoreForm
from citizenvoice.evaluations.models import EvaluationState
from citizenvoice.extensions import db
from citizenvoice.indicators import services as indicators
from citizenvoice.indicators.forms import STATE_LABELS
from citizenvoice.indicators.models import SUBJECT_LABELS, Subject
from citizenvoice.org.models import Unit

bp = staff_blueprint("evaluations_manage", __name__, "/manage/evaluations", set(Role))
MANAGERS = (Role.ADMIN, Role.MANAGER)
EVALUATION_LABELS = {
    EvaluationState.DUE: _l("due"),
    EvaluationState.DRAFT: _l("draft"),
    EvaluationState.SUBMITTED: _l("submitted"),
}

register(
    MenuItem(
        "evaluations_manage.mine",
        _l("My evaluations"),
        _l("The internal evaluations you are asked to give, with their deadlines."),
        frozenset(services.EVALUATOR_ROLES),
    )
)


@bp.context_processor
def labels() -> dict[str, Any]:
    return {
        "subject_labels": SUBJECT_LABELS,
        "evaluation_labels": EVALUATION_LABELS,
        "state_labels": STATE_LABELS,
    }


@bp.route("/")
def mine() -> Any:
    """What the current user is asked to evaluate."""
    return render_template(
        "evaluations/mine.html", assignments=services.for_evaluator(current_user), now=utcnow()
    )


def _assignment_form(cycle: Any) -> AssignmentForm:
    form = AssignmentForm()
    form.evaluator_id.choices = [
        (u.id, f"{u.display_name} ({u.username})") for u in services.evaluator_choices()
    ]
    units = [db.session.get(Unit, i) for i in sorted(indicators.participant_ids(cycle))]
    form.unit_id.choices = [(u.id, u.name) for u in units if u]
    form.indicator_id.choices = [
        (n.id, f"{n.code} — {n.name}") for n in services.indicators_to_evaluate(cycle)
    ]
    return form


@bp.route("/cycles/<int:cycle_id>/assignments", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def assignments(cycle_id: int) -> Any:
    cycle = indicators.get_cycle(cycle_id)
    form = _assignment_form(cycle)
    if form.validate_on_submit():
        evaluator = db.session.get(User, form.evaluator_id.data)
        node = indicators.get_node(form.indicator_id.data)
        try:
            if evaluator is None:
                abort(404)
            services.assign(
                cycle, evaluator, Subject(form.subject.data), form.unit_id.data or 0, node
            )
        except DomainError as exc:
            db.session.rollback()
            target = getattr(form, getattr(exc, "field", None) or "evaluator_id")
            target.errors = [*target.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("The evaluator was assigned."), "success")
            return redirect(url_for(".assignments", cycle_id=cycle.id))
    now = utcnow()
    return render_template(
        "evaluations/assignments.html",
        cycle=cycle,
        form=form,
        assignments=services.for_cycle(cycle),
        completion=services.completion(cycle),
        late={a.id for a in services.late(cycle, now)},
        reopen_form=ReopenForm(),
    )


@bp.route("/assignments/<int:assignment_id>", methods=["GET", "POST"])
def evaluate(assignment_id: int) -> Any:
    assignment = services.get_assignment(assignment_id)
    if assignment.evaluator_id != current_user.id:
        abort(404)
    form = ScoreForm(obj=assignment)
    if form.validate_on_submit():
        try:
            services.score(
                assignment, current_user, float(form.score.data or 0),
                form.justification.data or "", form.action.data == "submit",
            )  # fmt: skip
        except DomainError as exc:
            db.session.rollback()
            target = getattr(form, getattr(exc, "field", None) or "score")
            target.errors = [*target.errors, str(exc)]
        else:
            db.session.commit()
            flash(
                _("Your evaluation was submitted.")
                if assignment.is_submitted
                else _("Your draft was saved."),
                "success",
            )
            return redirect(url_for(".mine"))
    return render_template(
        "evaluations/evaluate.html", assignment=assignment, form=form, now=utcnow()
    )


@bp.route("/assignments/<int:assignment_id>/reopen", methods=["POST"])
@roles_required(*MANAGERS)
def reopen(assignment_id: int) -> Any:
    assignment = services.get_assignment(assignment_id)
    form = ReopenForm()
    if not form.validate_on_submit():
        flash(_("Please give the reason for reopening."), "error")
    else:
        try:
            services.reopen(assignment, current_user, form.reason.data or "")
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("The evaluation was reopened."), "success")
    return redirect(url_for(".assignments", cycle_id=assignment.cycle_id))
