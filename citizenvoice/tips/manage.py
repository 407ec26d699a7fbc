"""Staff pages for triaging and investigating tips (/manage/tips).

Admins and managers see every tip; an inspector sees the tips that are not about their own unit
or one of its sub-units (a conflict of interest), and can never be assigned one of those.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import roles_required, staff_blueprint
from citizenvoice.core.errors import DomainError
from citizenvoice.core.staff_menu import MenuItem, register
from citizenvoice.extensions import db
from citizenvoice.tips import services, triage
from citizenvoice.tips.forms import (
    OUTCOME_LABELS,
    STATUS_LABELS,
    AssignForm,
    MessageForm,
    NoteForm,
    StatusForm,
)
from citizenvoice.tips.models import Tip, TipOutcome, TipStatus

bp = staff_blueprint(
    "tips_manage", __name__, "/manage/tips", {Role.ADMIN, Role.INSPECTOR, Role.MANAGER}
)
MANAGERS = (Role.ADMIN, Role.MANAGER)
BANDS = {"high": _l("high"), "medium": _l("medium"), "low": _l("low")}

register(
    MenuItem(
        "tips_manage.tips",
        _l("Tips"),
        _l("Anonymous reports of faked figures: triage, investigate, answer the reporter."),
        frozenset({Role.ADMIN, Role.MANAGER, Role.INSPECTOR}),
    )
)


@bp.route("/")
def tips() -> Any:
    status = (
        TipStatus(request.args["status"]) if request.args.get("status") in set(TipStatus) else None
    )
    overdue_only = request.args.get("overdue") == "1"
    rows = [
        (tip, triage.band(tip.score), services.is_overdue(tip))
        for tip in services.visible_tips(current_user, status, overdue_only)
    ]
    return render_template(
        "tips/manage_list.html",
        rows=rows,
        status=status,
        overdue_only=overdue_only,
        status_labels=STATUS_LABELS,
        bands=BANDS,
        reminder_days=current_app.config["TIPS_REMINDER_DAYS"],
    )


def _detail(tip: Tip, **forms: Any) -> str:
    assign = forms.get("assign") or AssignForm(formdata=None)
    assign.investigator.choices = [(0, "—")] + [
        (u.id, u.display_name) for u in services.investigators_for(tip)
    ]
    allowed = services.TRANSITIONS[tip.status]
    status_form = forms.get("status") or StatusForm(formdata=None)
    status_form.status.choices = [(s.value, STATUS_LABELS[s]) for s in TipStatus if s in allowed]
    messages = [(m, services.text_of(m.body_enc)) for m in tip.messages]
    notes = [(n, services.text_of(n.body_enc)) for n in tip.notes]
    return render_template(
        "tips/manage_detail.html",
        tip=tip,
        figure=services.figure_of(tip),
        body=services.body_of(tip),
        band=BANDS[triage.band(tip.score)],
        overdue=services.is_overdue(tip),
        status_labels=STATUS_LABELS,
        outcome_labels=OUTCOME_LABELS,
        messages=messages,
        notes=notes,
        assign=assign,
        status_form=status_form,
        can_assign=current_user.role in MANAGERS,
        note_form=forms.get("note") or NoteForm(formdata=None),
        message_form=forms.get("message") or MessageForm(formdata=None),
    )


@bp.route("/<int:tip_id>")
def detail(tip_id: int) -> Any:
    tip = services.get_tip_for(current_user, tip_id)
    services.record_view(tip)
    db.session.commit()
    return _detail(tip)


def _done(tip: Tip, message: str) -> Any:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".detail", tip_id=tip.id))


@bp.route("/<int:tip_id>/assign", methods=["POST"])
@roles_required(*MANAGERS)
def assign(tip_id: int) -> Any:
    tip = services.get_tip_for(current_user, tip_id)
    form = AssignForm()
    form.investigator.choices = [(0, "—")] + [
        (u.id, u.display_name) for u in services.investigators_for(tip)
    ]
    if not form.validate_on_submit():
        return _detail(tip, assign=form), 400
    try:
        services.assign(tip, form.investigator.data)
    except DomainError as exc:
        db.session.rollback()
        form.investigator.errors = [str(exc)]
        return _detail(tip, assign=form), exc.status
    return _done(tip, _("The tip was assigned."))


@bp.route("/<int:tip_id>/status", methods=["POST"])
def status(tip_id: int) -> Any:
    tip = services.get_tip_for(current_user, tip_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return _detail(tip, status=form), 400
    outcome = TipOutcome(form.outcome.data) if form.outcome.data else None
    try:
        services.change_status(tip, TipStatus(form.status.data), outcome)
    except DomainError as exc:
        db.session.rollback()
        form.status.errors = [str(exc)]
        return _detail(tip, status=form), exc.status
    return _done(tip, _("The status was changed."))


@bp.route("/<int:tip_id>/notes", methods=["POST"])
def note(tip_id: int) -> Any:
    tip = services.get_tip_for(current_user, tip_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _detail(tip, note=form), 400
    services.add_note(tip, current_user, form.body.data or "")
    return _done(tip, _("The note was saved."))


@bp.route("/<int:tip_id>/messages", methods=["POST"])
def message(tip_id: int) -> Any:
    tip = services.get_tip_for(current_user, tip_id)
    form = MessageForm()
    if not form.validate_on_submit():
        return _detail(tip, message=form), 400
    try:
        services.send_message(tip, current_user, form.body.data or "")
    except DomainError as exc:
        db.session.rollback()
        form.body.errors = [str(exc)]
        return _detail(tip, message=form), exc.status
    return _done(tip, _("The message was sent to the reporter."))


@bp.route("/<int:tip_id>/files/<int:file_id>")
def evidence(tip_id: int, file_id: int) -> Any:
    tip = services.get_tip_for(current_user, tip_id)
    item, data = services.evidence_file(tip, file_id)
    db.session.commit()
    number = [f.id for f in tip.files].index(item.id) + 1
    response = Response(data, mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="evidence-{tip.ref}-{number}.{item.kind}"'
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "no-store"
    return response
