"""Staff pages to compute, review and publish results (/manage/scoring).

Managers and administrators compute and publish; inspectors read everything; unit officials read
their own unit's and sub-units' results only (anything else is 404).
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import roles_required, staff_blueprint
from citizenvoice.core.errors import DomainError
from citizenvoice.core.forms import EmptyForm, no_control_characters
from citizenvoice.core.staff_menu import MenuItem, register
from citizenvoice.extensions import db
from citizenvoice.org.models import Unit
from citizenvoice.org.services import descendant_ids
from citizenvoice.scoring import services

bp = staff_blueprint(
    "scoring_manage",
    __name__,
    "/manage/scoring",
    {Role.ADMIN, Role.MANAGER, Role.UNIT_OFFICIAL, Role.INSPECTOR},
)
MANAGERS = (Role.ADMIN, Role.MANAGER)

register(
    MenuItem(
        "scoring_manage.index",
        _l("Results"),
        _l("Compute, review and publish each cycle's results; feedback for every unit."),
        frozenset({Role.ADMIN, Role.MANAGER, Role.UNIT_OFFICIAL, Role.INSPECTOR}),
    )
)

GRADE_LABELS = {
    "excellent": _l("Excellent"),
    "good": _l("Good"),
    "satisfactory": _l("Satisfactory"),
    "needs_improvement": _l("Needs improvement"),
}
NOTE_LABELS = {
    "small_sample": _l("Insufficient data: fewer ratings than the minimum sample."),
    "dimension_unavailable": _l(
        "Insufficient data: no answers to this survey question in the period."
    ),
    "no_evaluations": _l("Insufficient data: no submitted evaluations."),
    "no_figure": _l("Insufficient data: no figure reported or verified."),
}
SOURCE_LABELS = {
    "citizen_rating": _l("Citizen ratings"),
    "internal_evaluation": _l("Internal evaluation"),
    "self_reported": _l("Self-reported figure"),
    "inspection_verified": _l("Inspection-verified figure"),
}
FUNNEL_LABELS = {
    "within": _l("Within the expected range"),
    "above": _l("Above the expected range"),
    "below": _l("Below the expected range"),
    "insufficient": _l("Insufficient data"),
}


class CorrectionForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the correction"),
        validators=[DataRequired(), Length(min=services.MIN_REASON, max=2000),
                    no_control_characters],
        description=_l("For example: the appeal decided on …, the inspection of … found …"),
    )  # fmt: skip


def visible_unit_ids() -> set[int] | None:
    """None means every unit; a unit official sees their unit and its sub-units."""
    if current_user.role is Role.UNIT_OFFICIAL:
        return descendant_ids(current_user.unit_id) if current_user.unit_id else set()
    return None


def _settings() -> services.ScoringSettings:
    return services.ScoringSettings.from_config(current_app.config)


def _labels() -> dict[str, Any]:
    return {
        "grade_labels": GRADE_LABELS,
        "note_labels": NOTE_LABELS,
        "source_labels": SOURCE_LABELS,
        "funnel_labels": FUNNEL_LABELS,
        "can_manage": current_user.role in MANAGERS,
    }


@bp.route("/")
def index() -> Any:
    return render_template("scoring/index.html", rows=services.cycles_with_results(), **_labels())


@bp.route("/<int:cycle_id>")
def cycle(cycle_id: int) -> Any:
    the_cycle = services.get_cycle(cycle_id)
    scope = visible_unit_ids()
    return render_template(
        "scoring/cycle.html",
        cycle=the_cycle,
        results=services.unit_results(cycle_id, scope),
        computation=services.computation(cycle_id),
        publications=services.publications(cycle_id),
        funnel=services.funnel(cycle_id, scope),
        action_form=EmptyForm(),
        **_labels(),
    )


def _act(cycle_id: int, action: Any, done: str) -> Any:
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            action()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(done, "success")
    return redirect(url_for("scoring_manage.cycle", cycle_id=cycle_id))


@bp.route("/<int:cycle_id>/compute", methods=["POST"])
@roles_required(*MANAGERS)
def compute(cycle_id: int) -> Any:
    services.get_cycle(cycle_id)
    return _act(
        cycle_id,
        lambda: services.compute_cycle(cycle_id, _settings()),
        _("The results were computed."),
    )


@bp.route("/<int:cycle_id>/publish", methods=["POST"])
@roles_required(*MANAGERS)
def publish(cycle_id: int) -> Any:
    services.get_cycle(cycle_id)
    return _act(
        cycle_id,
        lambda: services.publish(cycle_id, current_user.id),
        _("The results were published."),
    )


@bp.route("/<int:cycle_id>/correct", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def correct(cycle_id: int) -> Any:
    the_cycle = services.get_cycle(cycle_id)
    form = CorrectionForm()
    if form.validate_on_submit():
        try:
            publication = services.publish_correction(
                cycle_id, form.reason.data or "", current_user.id, _settings()
            )
        except services.ScoringError as exc:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, str(exc)]
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("scoring_manage.cycle", cycle_id=cycle_id))
        else:
            db.session.commit()
            flash(_("Version %(version)s was published.", version=publication.version), "success")
            return redirect(url_for("scoring_manage.cycle", cycle_id=cycle_id))
    return render_template("scoring/correct.html", cycle=the_cycle, form=form)


@bp.route("/<int:cycle_id>/units/<int:unit_id>")
def unit(cycle_id: int, unit_id: int) -> Any:
    scope = visible_unit_ids()
    if scope is not None and unit_id not in scope:
        abort(404)
    view = services.unit_view(cycle_id, unit_id)
    return render_template("scoring/unit.html", view=view, **_labels())


@bp.route("/<int:cycle_id>/versions/<int:version>")
def version(cycle_id: int, version: int) -> Any:
    the_cycle = services.get_cycle(cycle_id)
    published = services.published_results(cycle_id, version)
    scope = visible_unit_ids()
    units = published.data["units"]
    if scope is not None:
        codes = set(db.session.scalars(select(Unit.code).where(Unit.id.in_(scope))))
        units = [u for u in units if u["code"] in codes]
    return render_template(
        "scoring/version.html", cycle=the_cycle, published=published, units=units, **_labels()
    )
