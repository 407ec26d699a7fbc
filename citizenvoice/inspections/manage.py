"""Staff pages for inspection plans, visits, sample surveys and figure verification.

Managers draw plans and schedule visits; inspectors work on the visits assigned to them and read
the plans; a unit's officials see their units' visits once they are disclosed (open visits, or
unannounced ones whose day has come) and nothing else.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from citizenvoice.accounts.models import Role, User
from citizenvoice.core.access import roles_required, staff_blueprint
from citizenvoice.core.db import utcnow
from citizenvoice.core.errors import DomainError, NotFound
from citizenvoice.core.staff_menu import MenuItem, register
from citizenvoice.extensions import db
from citizenvoice.indicators.models import Cycle
from citizenvoice.inspections import services
from citizenvoice.inspections.forms import (
    CHECK_LABELS,
    KIND_LABELS,
    OUTCOME_LABELS,
    CheckForm,
    CompleteForm,
    ContactForm,
    FindingForm,
    PlanForm,
    SampleForm,
    VerifyForm,
    VisitForm,
)
from citizenvoice.inspections.models import (
    CheckResult,
    ContactOutcome,
    InspectionPlan,
    PlanTarget,
    Visit,
    VisitKind,
)

bp = staff_blueprint(
    "inspections_manage",
    __name__,
    "/manage/inspections",
    {Role.ADMIN, Role.MANAGER, Role.INSPECTOR, Role.UNIT_OFFICIAL},
)
MANAGERS = (Role.ADMIN, Role.MANAGER)
INSPECTING = (Role.ADMIN, Role.MANAGER, Role.INSPECTOR)

register(
    MenuItem(
        "inspections_manage.index",
        _l("Inspections"),
        _l("Inspection plans, open and unannounced visits, figure verification, sample surveys."),
        frozenset({Role.ADMIN, Role.MANAGER, Role.INSPECTOR, Role.UNIT_OFFICIAL}),
    )
)
REASON_LABELS = {
    "tip": _l("tip"),
    "divergence": _l("divergence alert"),
    "anomaly": _l("anomaly finding"),
}


def _today() -> date:
    return utcnow().date()


def _threshold() -> float:
    return float(
        current_app.config.get("INSPECTION_MATERIAL_THRESHOLD", services.DEFAULT_MATERIAL_THRESHOLD)
    )


def _field_error(form: Any, exc: DomainError) -> None:
    name = getattr(exc, "field", None)
    target = getattr(form, name, None) if name else None
    if target is None:
        flash(str(exc), "error")
        return
    target.errors = [*target.errors, str(exc)]


@bp.route("/")
def index() -> Any:
    show_plans = services.can_see_plans(current_user)
    return render_template(
        "inspections/index.html",
        plans=services.plans() if show_plans else [],
        show_plans=show_plans,
        can_plan=current_user.role in MANAGERS,
        visits=services.visible_visits(current_user, _today()),
        kind_labels=KIND_LABELS,
    )


# ---- plans ---------------------------------------------------------------------------------


@bp.route("/plans/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new_plan() -> Any:
    form = PlanForm()
    cycles = list(db.session.scalars(select(Cycle).order_by(Cycle.period_start.desc())))
    form.cycle_id.choices = [(c.id, f"{c.display_name(_lang())} ({c.code})") for c in cycles]
    if form.validate_on_submit():
        cycle = db.session.get(Cycle, form.cycle_id.data)
        if cycle is None:
            raise NotFound()
        try:
            plan = services.create_plan(
                cycle, form.name.data or "", form.risk_count.data or 0,
                form.random_count.data or 0, form.seed.data, current_user.id,
            )  # fmt: skip
        except DomainError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(_("The plan was drawn with seed %(seed)s.", seed=plan.seed), "success")
            return redirect(url_for("inspections_manage.plan", plan_id=plan.id))
    return render_template("inspections/new_plan.html", form=form)


def _lang() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "en")


def _visit_form(plan: InspectionPlan, form: VisitForm | None = None) -> VisitForm:
    form = form or VisitForm()
    form.target_id.choices = [(t.id, f"{t.position}. {_place(t)}") for t in plan.targets]
    inspectors = {
        user.id: user for target in plan.targets for user in services.inspectors_for(target.unit_id)
    }
    form.inspector_id.choices = [
        (u.id, f"{u.display_name} ({u.username})")
        for u in sorted(inspectors.values(), key=lambda u: u.display_name)
    ]
    return form


def _place(target: PlanTarget | Visit) -> str:
    lang = _lang()
    unit = target.unit.display_name(lang)
    point = target.service_point
    return f"{unit} — {point.display_name(lang)}" if point else unit


def _render_plan(plan: InspectionPlan, form: VisitForm | None = None) -> Any:
    return render_template(
        "inspections/plan.html",
        plan=plan,
        form=_visit_form(plan, form) if current_user.role in MANAGERS else None,
        place=_place,
        reason_labels=REASON_LABELS,
        kind_labels=KIND_LABELS,
    )


@bp.route("/plans/<int:plan_id>")
@roles_required(*INSPECTING)
def plan(plan_id: int) -> Any:
    return _render_plan(services.get_plan_for(current_user, plan_id))


@bp.route("/plans/<int:plan_id>/visits", methods=["POST"])
@roles_required(*MANAGERS)
def add_visit(plan_id: int) -> Any:
    the_plan = services.get_plan_for(current_user, plan_id)
    form = _visit_form(the_plan)
    if form.validate_on_submit():
        target = db.session.get(PlanTarget, form.target_id.data)
        inspector = db.session.get(User, form.inspector_id.data)
        try:
            if target is None:
                raise NotFound()
            visit = services.create_visit(
                the_plan, target, VisitKind(form.kind.data), form.scheduled_on.data or _today(),
                inspector, (form.checklist.data or "").splitlines(),
            )  # fmt: skip
        except DomainError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(_("The visit was scheduled."), "success")
            return redirect(url_for("inspections_manage.visit", visit_id=visit.id))
    return _render_plan(the_plan, form)


# ---- visits --------------------------------------------------------------------------------


def _render_visit(visit: Visit, **forms: Any) -> Any:
    writable = services.can_work_on(current_user, visit)
    verify = forms.get("verify") or VerifyForm()
    figures = services.figures_for(visit) if writable else []
    verify.figure_id.choices = [
        (f.id, f"{f.unit.code} · {f.indicator.code}: {f.value:g}") for f in figures
    ]
    return render_template(
        "inspections/visit.html",
        visit=visit,
        place=_place(visit),
        writable=writable and visit.status.value == "planned",
        is_official=current_user.role is Role.UNIT_OFFICIAL,
        check_form=CheckForm(),
        finding_form=forms.get("finding") or FindingForm(),
        complete_form=forms.get("complete") or CompleteForm(),
        verify_form=verify,
        sample_form=forms.get("sample") or SampleForm(),
        kind_labels=KIND_LABELS,
        check_labels=CHECK_LABELS,
        threshold=_threshold(),
    )


@bp.route("/visits/<int:visit_id>")
def visit(visit_id: int) -> Any:
    return _render_visit(services.get_visit_for(current_user, visit_id, _today()))


def _writable(visit_id: int) -> Visit:
    return services.writable_visit(current_user, visit_id, _today())


def _done(visit: Visit, message: str) -> Any:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("inspections_manage.visit", visit_id=visit.id))


@bp.route("/visits/<int:visit_id>/checks/<int:item_id>", methods=["POST"])
@roles_required(*INSPECTING)
def check(visit_id: int, item_id: int) -> Any:
    the_visit = _writable(visit_id)
    form = CheckForm()
    if form.validate_on_submit():
        try:
            services.record_check(
                the_visit, item_id, CheckResult(form.result.data), form.evidence_note.data or ""
            )
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            return _done(the_visit, _("The check was recorded."))
    return redirect(url_for("inspections_manage.visit", visit_id=visit_id))


@bp.route("/visits/<int:visit_id>/findings", methods=["POST"])
@roles_required(*INSPECTING)
def finding(visit_id: int) -> Any:
    the_visit = _writable(visit_id)
    form = FindingForm()
    if form.validate_on_submit():
        try:
            services.add_finding(
                the_visit, form.text.data or "", form.evidence_note.data or "", current_user.id
            )
        except DomainError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            return _done(the_visit, _("The finding was added."))
    return _render_visit(the_visit, finding=form)


@bp.route("/visits/<int:visit_id>/complete", methods=["POST"])
@roles_required(*INSPECTING)
def complete(visit_id: int) -> Any:
    the_visit = _writable(visit_id)
    form = CompleteForm()
    if form.validate_on_submit():
        try:
            services.complete_visit(the_visit, form.summary.data or "")
        except DomainError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            return _done(the_visit, _("The visit was completed."))
    return _render_visit(the_visit, complete=form)


@bp.route("/visits/<int:visit_id>/verify", methods=["POST"])
@roles_required(*INSPECTING)
def verify(visit_id: int) -> Any:
    the_visit = _writable(visit_id)
    form = VerifyForm()
    form.figure_id.choices = [(f.id, str(f.id)) for f in services.figures_for(the_visit)]
    if form.validate_on_submit():
        try:
            result = services.verify_figure(
                the_visit, form.figure_id.data, float(form.verified_value.data or 0),
                form.evidence_note.data or "", current_user, _threshold(),
                form.tip_ref.data or "",
            )  # fmt: skip
        except DomainError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            message = _("The figure was verified.")
            if result.verification.is_falsified:
                message = _("The figure is marked falsified; the verified value replaces it.")
            if result.correction is not None:
                message += " " + _(
                    "Published results were corrected (version %(version)s).",
                    version=result.correction.version,
                )
            return _done(the_visit, message)
    return _render_visit(the_visit, verify=form)


@bp.route("/visits/<int:visit_id>/samples", methods=["POST"])
@roles_required(*INSPECTING)
def sample(visit_id: int) -> Any:
    the_visit = _writable(visit_id)
    form = SampleForm()
    if form.validate_on_submit():
        try:
            drawn = services.draw_sample_survey(the_visit, form.size.data or 0, form.seed.data)
        except DomainError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(_("The sample was drawn with seed %(seed)s.", seed=drawn.seed), "success")
            return redirect(url_for("inspections_manage.sample_page", sample_id=drawn.id))
    return _render_visit(the_visit, sample=form)


# ---- sample surveys ------------------------------------------------------------------------


@bp.route("/samples/<int:sample_id>")
@roles_required(*INSPECTING)
def sample_page(sample_id: int) -> Any:
    the_sample = services.get_sample_for(current_user, sample_id, _today())
    writable = services.can_work_on(current_user, the_sample.visit)
    return render_template(
        "inspections/sample.html",
        sample=the_sample,
        summary=services.summarise(the_sample),
        details=services.contact_details(the_sample) if writable else {},
        writable=writable and the_sample.visit.status.value == "planned",
        form=ContactForm(),
        outcome_labels=OUTCOME_LABELS,
        place=_place(the_sample.visit),
    )


@bp.route("/samples/<int:sample_id>/contacts/<int:contact_id>", methods=["POST"])
@roles_required(*INSPECTING)
def contact(sample_id: int, contact_id: int) -> Any:
    the_sample = services.get_sample_for(current_user, sample_id, _today())
    services.writable_visit(current_user, the_sample.visit_id, _today())
    form = ContactForm()
    if form.validate_on_submit():
        try:
            services.record_contact(
                the_sample, contact_id, ContactOutcome(form.outcome.data),
                form.channel.data or "", form.note.data or "", current_user.id,
            )  # fmt: skip
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("The answer was recorded."), "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
    return redirect(url_for("inspections_manage.sample_page", sample_id=sample_id))
