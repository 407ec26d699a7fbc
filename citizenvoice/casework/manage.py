"""Staff pages for cases, improvement plans and appeals (/manage/casework).

Unit officials see their unit's cases (and those of its sub-units); inspectors see the integrity
reports of other units; managers and admins see everything and keep the holiday calendar.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from citizenvoice.accounts.models import Role
from citizenvoice.casework import appeals as appeal_services
from citizenvoice.casework import corrections, services
from citizenvoice.casework import mail as casework_mail
from citizenvoice.casework.common import scope_of
from citizenvoice.casework.forms import (
    ActionForm,
    AppealForm,
    CarryForm,
    CommentForm,
    DecisionForm,
    HolidayForm,
    PlanForm,
    PolicyForm,
    ProgressForm,
    ReplyForm,
)
from citizenvoice.casework.models import AppealKind, AppealStatus, Case, CaseReason, CaseStatus
from citizenvoice.core.access import roles_required, staff_blueprint
from citizenvoice.core.errors import DomainError, NotFound
from citizenvoice.core.staff_menu import MenuItem, register
from citizenvoice.extensions import db
from citizenvoice.mail.services import is_enabled as is_mail_enabled
from citizenvoice.org.models import Unit

CASE_ROLES = (Role.ADMIN, Role.MANAGER, Role.UNIT_OFFICIAL, Role.INSPECTOR)
MANAGERS = (Role.ADMIN, Role.MANAGER)
bp = staff_blueprint("casework_manage", __name__, "/manage/casework", set(Role))

STATUS_LABELS = {
    CaseStatus.OPEN: _l("open"),
    CaseStatus.ACKNOWLEDGED: _l("acknowledged"),
    CaseStatus.INVESTIGATING: _l("investigating"),
    CaseStatus.REPLIED: _l("replied"),
    CaseStatus.SOLVED: _l("solved"),
    CaseStatus.REOPENED: _l("reopened"),
    CaseStatus.CLOSED_UNSOLVED: _l("closed, not solved"),
}
REASON_LABELS = {
    CaseReason.LOW_RATING: _l("low rating"),
    CaseReason.REPLY_REQUESTED: _l("reply requested"),
    CaseReason.INTEGRITY: _l("asked for gifts, favours or fees"),
}
APPEAL_LABELS = {
    AppealStatus.PENDING: _l("pending"),
    AppealStatus.UPHELD: _l("upheld"),
    AppealStatus.REJECTED: _l("rejected"),
}
APPEAL_KINDS = {AppealKind.RATING: _l("a rating"), AppealKind.RESULT: _l("a result")}

register(
    MenuItem(
        "casework_manage.cases",
        _l("Cases"),
        _l("Bad ratings and requests for a reply: acknowledge, investigate, answer the citizen."),
        frozenset(CASE_ROLES),
    )
)
register(
    MenuItem(
        "casework_manage.appeals",
        _l("Appeals"),
        _l("Appeals against ratings and results in a cycle's review window."),
        frozenset({Role.ADMIN, Role.MANAGER, Role.UNIT_OFFICIAL, Role.EXPERT, Role.INSPECTOR}),
    )
)


@bp.route("/")
@roles_required(*CASE_ROLES)
def cases() -> Any:
    value = request.args.get("status")
    status = CaseStatus(value) if value in set(CaseStatus) else None
    rows = [
        (case, services.is_overdue(case)) for case in services.visible_cases(current_user, status)
    ]
    return render_template(
        "casework/cases.html",
        rows=rows,
        status=status,
        status_labels=STATUS_LABELS,
        reason_labels=REASON_LABELS,
        can_manage=current_user.role in MANAGERS,
    )


def _detail(case: Case, reply_form: ReplyForm | None = None, status: int = 200) -> Any:
    return (
        render_template(
            "casework/case.html",
            case=case,
            overdue=services.is_overdue(case),
            status_labels=STATUS_LABELS,
            reason_labels=REASON_LABELS,
            transitions=services.TRANSITIONS[case.status],
            statuses=CaseStatus,
            action=ActionForm(formdata=None),
            reply_form=reply_form or ReplyForm(formdata=None),
            canned=services.CANNED_REPLIES,
            can_act=current_user.role in (Role.ADMIN, Role.MANAGER, Role.UNIT_OFFICIAL),
            emails_reply=is_mail_enabled() and casework_mail.citizen_address(case.rating),
        ),
        status,
    )


@bp.route("/<int:case_id>")
@roles_required(*CASE_ROLES)
def case(case_id: int) -> Any:
    return _detail(services.get_case_for(current_user, case_id))


def _acting_case(case_id: int) -> Case:
    item = services.get_case_for(current_user, case_id)
    if current_user.role is Role.INSPECTOR:
        raise NotFound()
    return item


def _done(item: Case, message: str) -> Any:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".case", case_id=item.id))


@bp.route("/<int:case_id>/acknowledge", methods=["POST"])
@roles_required(*CASE_ROLES)
def acknowledge(case_id: int) -> Any:
    item = _acting_case(case_id)
    if not ActionForm().validate_on_submit():
        return _detail(item, status=400)
    services.acknowledge(item, current_user)
    return _done(item, _("The case was acknowledged."))


@bp.route("/<int:case_id>/investigate", methods=["POST"])
@roles_required(*CASE_ROLES)
def investigate(case_id: int) -> Any:
    item = _acting_case(case_id)
    if not ActionForm().validate_on_submit():
        return _detail(item, status=400)
    services.investigate(item, current_user)
    return _done(item, _("The case is being investigated."))


@bp.route("/<int:case_id>/reply", methods=["POST"])
@roles_required(*CASE_ROLES)
def reply(case_id: int) -> Any:
    item = _acting_case(case_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _detail(item, form, 400)
    try:
        services.reply(
            item,
            current_user,
            form.what_changed.data or "",
            form.public_reply.data or "",
            form.private_reply.data or "",
        )
    except services.CaseError as exc:
        db.session.rollback()
        getattr(form, exc.field or "what_changed").errors = [str(exc)]
        return _detail(item, form, exc.status)
    return _done(item, _("The reply was sent."))


@bp.route("/notifications")
@roles_required(*CASE_ROLES)
def notifications() -> Any:
    return render_template(
        "casework/notifications.html",
        items=services.notifications_for(current_user),
        texts=services.NOTIFICATION_TEXT,
    )


# ---- deadlines: unit policies and the holiday calendar (managers) ----------------------------


@bp.route("/calendar", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def calendar() -> Any:
    form = HolidayForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit() and form.day.data:
            services.add_holiday(form.day.data, form.name.data or "")
            db.session.commit()
            flash(_("The holiday was saved."), "success")
            return redirect(url_for(".calendar"))
        status = 400
    return (
        render_template(
            "casework/calendar.html",
            form=form,
            holidays=services.holidays(),
            action=ActionForm(formdata=None),
            units=list(db.session.scalars(select(Unit).order_by(Unit.code))),
            policy_form=PolicyForm(formdata=None),
            policy_for=services.policy_for,
        ),
        status,
    )


@bp.route("/calendar/<day>/remove", methods=["POST"])
@roles_required(*MANAGERS)
def remove_holiday(day: str) -> Any:
    from datetime import date

    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise NotFound() from None
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".calendar"))
    services.remove_holiday(parsed)
    db.session.commit()
    flash(_("The holiday was removed."), "success")
    return redirect(url_for(".calendar"))


@bp.route("/policy/<int:unit_id>", methods=["POST"])
@roles_required(*MANAGERS)
def policy(unit_id: int) -> Any:
    if db.session.get(Unit, unit_id) is None:
        raise NotFound()
    form = PolicyForm()
    if not form.validate_on_submit():
        flash(_("Please enter whole numbers of working days from 0 to 60."), "error")
        return redirect(url_for(".calendar")), 303
    try:
        services.set_policy(unit_id, form.acknowledge_days.data or 0, form.resolve_days.data or 0)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".calendar"))
    db.session.commit()
    flash(_("The deadlines were saved."), "success")
    return redirect(url_for(".calendar"))


# ---- appeals ---------------------------------------------------------------------------------

APPEAL_ROLES = (Role.ADMIN, Role.MANAGER, Role.UNIT_OFFICIAL, Role.EXPERT, Role.INSPECTOR)


def _cycle_choices() -> list[tuple[int, str]]:
    from citizenvoice.indicators.models import Cycle

    return [(c.id, c.code) for c in db.session.scalars(select(Cycle).order_by(Cycle.id.desc()))]


def _appeals_page(form: AppealForm | None = None, status: int = 200) -> Any:
    appeals = appeal_services.visible_appeals(current_user)
    if form is None:
        form = AppealForm(formdata=None)
        form.cycle_id.choices = _cycle_choices()
    return (
        render_template(
            "casework/appeals.html",
            form=form,
            appeals=appeals,
            deadlines=appeal_services.appeal_deadlines(appeals),
            labels=APPEAL_LABELS,
            kinds=APPEAL_KINDS,
            can_file=current_user.role is Role.UNIT_OFFICIAL,
        ),
        status,
    )


@bp.route("/appeals")
@roles_required(*APPEAL_ROLES)
def appeals() -> Any:
    return _appeals_page()


@bp.route("/appeals/new", methods=["POST"])
@roles_required(Role.UNIT_OFFICIAL)
def file_appeal() -> Any:
    form = AppealForm()
    form.cycle_id.choices = _cycle_choices()
    if not form.validate_on_submit():
        return _appeals_page(form, 400)
    try:
        appeal_services.file_appeal(
            current_user,
            form.cycle_id.data,
            AppealKind(form.kind.data),
            form.reasons.data or "",
            form.rating_id.data,
        )
    except services.CaseError as exc:
        db.session.rollback()
        getattr(form, exc.field or "reasons").errors = [str(exc)]
        return _appeals_page(form, exc.status)
    db.session.commit()
    flash(_("The appeal was filed."), "success")
    return redirect(url_for(".appeals"))


def _figure_label(figure: Any, lang: str) -> str:
    name = figure.indicator.display_name(lang)
    return _("%(indicator)s: reported %(value)s", indicator=name, value=f"{figure.value:g}")


def _decision_form(appeal: Any, form: DecisionForm | None = None) -> DecisionForm:
    """The decision form; an appeal against a result lists the unit's figures to correct."""
    form = form or DecisionForm(formdata=None)
    figures = []
    if appeal.kind is AppealKind.RESULT:
        figures = corrections.current_figures(appeal.cycle_id, appeal.unit_id)
    lang = current_lang()
    form.indicator_id.choices = [(0, _("None"))] + [
        (figure.indicator_id, _figure_label(figure, lang)) for figure in figures
    ]
    return form


def _appeal_page(appeal: Any, form: DecisionForm | None = None, status: int = 200) -> Any:
    return (
        render_template(
            "casework/appeal.html",
            appeal=appeal,
            deadline=appeal_services.appeal_deadlines([appeal])[appeal.id],
            days=appeal_services.APPEAL_DECISION_DAYS,
            form=_decision_form(appeal, form),
            labels=APPEAL_LABELS,
            kinds=APPEAL_KINDS,
            can_decide=current_user.role in appeal_services.REVIEWER_ROLES
            and not appeal_services.has_conflict(current_user, appeal),
        ),
        status,
    )


@bp.route("/appeals/<int:appeal_id>")
@roles_required(*APPEAL_ROLES)
def appeal(appeal_id: int) -> Any:
    return _appeal_page(appeal_services.get_appeal_for(current_user, appeal_id))


@bp.route("/appeals/<int:appeal_id>/decide", methods=["POST"])
@roles_required(*appeal_services.REVIEWER_ROLES)
def decide(appeal_id: int) -> Any:
    item = appeal_services.get_appeal_for(current_user, appeal_id)
    form = _decision_form(item, DecisionForm())
    if not form.validate_on_submit():
        return _appeal_page(item, form, 400)
    correction = None
    if form.indicator_id.data and form.value.data is not None:
        correction = corrections.FigureCorrection(form.indicator_id.data, form.value.data)
    try:
        appeal_services.decide_appeal(
            item, current_user, form.decision.data == "uphold", form.reasons.data or "", correction
        )
    except (services.CaseError, corrections.CorrectionError) as exc:
        db.session.rollback()
        getattr(form, exc.field or "reasons").errors = [str(exc)]
        return _appeal_page(item, form, exc.status)
    db.session.commit()
    flash(_("The decision was recorded."), "success")
    return redirect(url_for(".appeal", appeal_id=item.id))


# ---- improvement plans -----------------------------------------------------------------------

PLAN_ROLES = (Role.ADMIN, Role.MANAGER, Role.UNIT_OFFICIAL, Role.EXPERT, Role.INSPECTOR)
WRITERS = (Role.ADMIN, Role.MANAGER, Role.UNIT_OFFICIAL)

register(
    MenuItem(
        "casework_manage.plans",
        _l("Improvement plans"),
        _l("Plans for weak indicators: owner, due date, progress and evidence."),
        frozenset(PLAN_ROLES),
    )
)


def current_lang() -> str:
    return str(get_locale() or "en")[:2]


def _plan_form(form: PlanForm | None = None) -> PlanForm:
    form = form or PlanForm(formdata=None)
    units = db.session.scalars(select(Unit).order_by(Unit.code)).all()
    if current_user.role is Role.UNIT_OFFICIAL:
        scope = scope_of(current_user)
        units = [u for u in units if u.id in scope]
    form.unit_id.choices = [(u.id, u.display_name(current_lang())) for u in units]
    form.cycle_id.choices = _cycle_choices()
    return form


def _plans_page(form: PlanForm | None = None, status: int = 200) -> Any:
    return (
        render_template(
            "casework/plans.html",
            plans=services.visible_plans(current_user),
            form=_plan_form(form),
            can_write=current_user.role in WRITERS,
            rule=services.SELF_IDENTIFIED_RULE,
        ),
        status,
    )


@bp.route("/plans")
@roles_required(*PLAN_ROLES)
def plans() -> Any:
    return _plans_page()


@bp.route("/plans/new", methods=["POST"])
@roles_required(*WRITERS)
def new_plan() -> Any:
    form = _plan_form(PlanForm())
    if not form.validate_on_submit() or form.due_on.data is None:
        return _plans_page(form, 400)
    try:
        plan = services.create_plan(
            current_user,
            form.unit_id.data,
            form.cycle_id.data,
            form.node_id.data or 0,
            form.problem.data or "",
            form.action.data or "",
            form.owner.data or "",
            form.due_on.data,
            bool(form.self_identified.data),
        )
    except services.CaseError as exc:
        db.session.rollback()
        getattr(form, exc.field or "action").errors = [str(exc)]
        return _plans_page(form, exc.status)
    db.session.commit()
    flash(_("The plan was saved."), "success")
    return redirect(url_for(".plan", plan_id=plan.id))


def _plan_page(plan: Any, status: int = 200, **forms: Any) -> Any:
    return (
        render_template(
            "casework/plan.html",
            plan=plan,
            progress_form=forms.get("progress") or ProgressForm(formdata=None, obj=plan),
            carry_form=_carry_form(plan, forms.get("carry")),
            carried_to=services.carried_to(plan),
            comment_form=forms.get("comment") or CommentForm(formdata=None),
            can_write=current_user.role in WRITERS,
            can_comment=current_user.role in (Role.ADMIN, Role.MANAGER, Role.EXPERT),
            rule=services.SELF_IDENTIFIED_RULE,
        ),
        status,
    )


def _carry_form(plan: Any, form: CarryForm | None = None) -> CarryForm:
    form = form or CarryForm(formdata=None)
    form.cycle_id.choices = services.later_cycles(plan)
    return form


@bp.route("/plans/<int:plan_id>/carry", methods=["POST"])
@roles_required(*WRITERS)
def plan_carry(plan_id: int) -> Any:
    item = services.get_plan_for(current_user, plan_id)
    form = _carry_form(item, CarryForm())
    if not form.validate_on_submit() or form.due_on.data is None:
        return _plan_page(item, 400, carry=form)
    try:
        carried = services.carry_forward(item, current_user, form.cycle_id.data, form.due_on.data)
    except services.CaseError as exc:
        db.session.rollback()
        form.cycle_id.errors = [str(exc)]
        return _plan_page(item, exc.status, carry=form)
    db.session.commit()
    flash(_("The plan was carried into the next cycle."), "success")
    return redirect(url_for(".plan", plan_id=carried.id))


@bp.route("/plans/<int:plan_id>")
@roles_required(*PLAN_ROLES)
def plan(plan_id: int) -> Any:
    return _plan_page(services.get_plan_for(current_user, plan_id))


@bp.route("/plans/<int:plan_id>/progress", methods=["POST"])
@roles_required(*WRITERS)
def plan_progress(plan_id: int) -> Any:
    item = services.get_plan_for(current_user, plan_id)
    form = ProgressForm()
    if not form.validate_on_submit():
        return _plan_page(item, 400, progress=form)
    services.update_progress(item, form.progress.data or 0, form.evidence.data or "")
    db.session.commit()
    flash(_("The progress was saved."), "success")
    return redirect(url_for(".plan", plan_id=item.id))


@bp.route("/plans/<int:plan_id>/comments", methods=["POST"])
@roles_required(Role.ADMIN, Role.MANAGER, Role.EXPERT)
def plan_comment(plan_id: int) -> Any:
    item = services.get_plan_for(current_user, plan_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _plan_page(item, 400, comment=form)
    services.comment_on_plan(item, current_user, form.body.data or "")
    db.session.commit()
    flash(_("The comment was saved."), "success")
    return redirect(url_for(".plan", plan_id=item.id))
