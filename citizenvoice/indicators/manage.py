"""Staff pages for cycles and the indicator tree (/manage/indicators).

Consultation, self-reported figures, the unit's rights page and import/export live in the
``manage_*`` modules next to this one; they add their routes to the same blueprint.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import roles_required, staff_blueprint
from citizenvoice.core.errors import DomainError
from citizenvoice.core.staff_menu import MenuItem, register
from citizenvoice.extensions import db
from citizenvoice.indicators import services
from citizenvoice.indicators.forms import (
    DIRECTION_LABELS,
    ORIGIN_LABELS,
    PROPOSAL_LABELS,
    SOURCE_LABELS,
    STATE_LABELS,
    STATUS_LABELS,
    CycleForm,
    IndicatorForm,
    NodeForm,
    ParticipantsForm,
    TransitionForm,
)
from citizenvoice.indicators.models import (
    DEFAULT_SUBJECT_WEIGHTS,
    SUBJECT_LABELS,
    CycleKind,
    DataSource,
    Direction,
    IndicatorNode,
    NodeKind,
    Origin,
)
from citizenvoice.org.models import ServicePoint, Unit
from citizenvoice.org.services import descendant_ids

bp = staff_blueprint("indicators_manage", __name__, "/manage/indicators", set(Role))
MANAGERS = (Role.ADMIN, Role.MANAGER)

register(
    MenuItem(
        "indicators_manage.cycles",
        _l("Cycles and indicators"),
        _l("Evaluation cycles, the indicator tree, consultations and self-reported figures."),
        frozenset(Role),
    )
)


@bp.context_processor
def labels() -> dict[str, Any]:
    return {
        "state_labels": STATE_LABELS,
        "status_labels": STATUS_LABELS,
        "origin_labels": ORIGIN_LABELS,
        "source_labels": SOURCE_LABELS,
        "direction_labels": DIRECTION_LABELS,
        "proposal_labels": PROPOSAL_LABELS,
        "subject_labels": SUBJECT_LABELS,
    }


def scope() -> set[int] | None:
    """None means every unit; a unit official sees their unit and its sub-units."""
    if current_user.role is Role.UNIT_OFFICIAL:
        return descendant_ids(current_user.unit_id) if current_user.unit_id else set()
    return None


def is_manager() -> bool:
    return current_user.role in MANAGERS


def visible_node(node_id: int) -> IndicatorNode:
    node = services.get_node(node_id)
    if not services.is_visible(node, scope()):
        abort(404)
    return node


def field_error(form: FlaskForm, exc: DomainError, fallback: str = "name") -> None:
    """Show a service's refusal beside the field it concerns."""
    name = getattr(exc, "field", None) or fallback
    target = getattr(form, name, None) or getattr(form, fallback)
    target.errors = [*target.errors, str(exc)]


# ---------------------------------------------------------------- cycles


@bp.route("/")
def cycles() -> Any:
    return render_template(
        "indicators/cycles.html", cycles=services.all_cycles(), can_edit=is_manager()
    )


def _cycle_form() -> CycleForm:
    form = CycleForm()
    form.copy_from.choices = [(0, _("(an empty tree)"))] + [
        (c.id, c.name) for c in services.all_cycles()
    ]
    units = db.session.scalars(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.name))
    form.unit_ids.choices = [(u.id, u.name) for u in units]
    if request.method == "GET":
        latest = services.latest_cycle()
        form.copy_from.data = latest.id if latest else 0
        form.unit_ids.data = services.default_participant_ids()
    return form


def _cycle_fields(form: CycleForm) -> services.CycleFields:
    def day(value: date | None) -> date:
        assert value is not None  # DataRequired has checked
        return value

    def moment(value: datetime | None) -> datetime:
        assert value is not None
        return value

    return services.CycleFields(
        code=form.code.data or "",
        name=form.name.data or "",
        name_zh=form.name_zh.data,
        kind=CycleKind(form.kind.data),
        period_start=day(form.period_start.data),
        period_end=day(form.period_end.data),
        self_report_deadline=moment(form.self_report_deadline.data),
        evaluation_deadline=moment(form.evaluation_deadline.data),
        review_opens_on=day(form.review_opens_on.data),
        review_closes_on=day(form.review_closes_on.data),
    )


@bp.route("/cycles/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def cycle_new() -> Any:
    form = _cycle_form()
    if form.validate_on_submit():
        source = services.get_cycle(form.copy_from.data) if form.copy_from.data else None
        try:
            cycle = services.create_cycle(
                _cycle_fields(form), list(form.unit_ids.data or []), source
            )
        except DomainError as exc:
            db.session.rollback()
            field_error(form, exc)
        else:
            db.session.commit()
            flash(_("The cycle was created."), "success")
            return redirect(url_for(".cycle_detail", cycle_id=cycle.id))
    return render_template("indicators/cycle_form.html", form=form)


def _children(nodes: list[IndicatorNode]) -> dict[int | None, list[IndicatorNode]]:
    ids = {n.id for n in nodes}
    children: dict[int | None, list[IndicatorNode]] = {}
    for node in nodes:
        children.setdefault(node.parent_id if node.parent_id in ids else None, []).append(node)
    return children


@bp.route("/cycles/<int:cycle_id>")
def cycle_detail(cycle_id: int) -> Any:
    cycle = services.get_cycle(cycle_id)
    visible = scope()
    nodes = [n for n in services.tree_nodes(cycle) if services.is_visible(n, visible)]
    own_units = []
    if visible is not None:
        participating = services.participant_ids(cycle)
        own_units = [db.session.get(Unit, i) for i in sorted(visible & participating)]
    blockers = services.cycle_blockers(cycle, cycle.next_state) if cycle.next_state else []
    return render_template(
        "indicators/cycle.html",
        cycle=cycle,
        roots=(children := _children(nodes)).get(None, []),
        children=children,
        problems=services.weight_problems(cycle),
        blockers=blockers,
        transition_form=TransitionForm(),
        can_edit=is_manager(),
        is_editable=cycle.state in services.EDITABLE_STATES,
        own_units=own_units,
        participants=sorted((p.unit for p in cycle.participants), key=lambda u: u.name),
    )


@bp.route("/cycles/<int:cycle_id>/transition", methods=["POST"])
@roles_required(*MANAGERS)
def cycle_transition(cycle_id: int) -> Any:
    cycle = services.get_cycle(cycle_id)
    form = TransitionForm()
    if form.validate_on_submit() and cycle.next_state is not None:
        try:
            services.transition_cycle(
                cycle, cycle.next_state, current_user.id, form.reason.data or ""
            )
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("The cycle moved on."), "success")
    return redirect(url_for(".cycle_detail", cycle_id=cycle.id))


@bp.route("/cycles/<int:cycle_id>/participants", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def participants(cycle_id: int) -> Any:
    cycle = services.get_cycle(cycle_id)
    form = ParticipantsForm()
    units = db.session.scalars(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.name))
    form.unit_ids.choices = [(u.id, u.name) for u in units]
    if request.method == "GET":
        form.unit_ids.data = sorted(services.participant_ids(cycle))
    if form.validate_on_submit():
        try:
            services.set_participants(cycle, list(form.unit_ids.data or []))
        except DomainError as exc:
            db.session.rollback()
            field_error(form, exc, "unit_ids")
        else:
            db.session.commit()
            flash(_("The participating units were saved."), "success")
            return redirect(url_for(".cycle_detail", cycle_id=cycle.id))
    return render_template("indicators/participants.html", form=form, cycle=cycle)


# ---------------------------------------------------------------- nodes


def _prepare_node_form(form: NodeForm, cycle: Any, node: IndicatorNode | None) -> None:
    categories = db.session.scalars(
        select(IndicatorNode).where(
            IndicatorNode.cycle_id == cycle.id, IndicatorNode.kind == NodeKind.CATEGORY
        )
    )
    form.parent_id.choices = [(0, _("(top level)"))] + [
        (c.id, c.name) for c in categories if node is None or c.id != node.id
    ]
    if isinstance(form, IndicatorForm):
        points = select(ServicePoint).where(ServicePoint.is_active.is_(True))
        visible = scope()
        if visible is not None:
            points = points.where(ServicePoint.unit_id.in_(visible))
        form.service_point_id.choices = [(0, _("(every service point)"))] + [
            (p.id, p.name) for p in db.session.scalars(points.order_by(ServicePoint.name))
        ]
    if request.method != "GET":
        return
    if node is None:
        form.parent_id.data = request.args.get("parent", 0, type=int)
        if isinstance(form, IndicatorForm):
            for subject, weight in DEFAULT_SUBJECT_WEIGHTS.items():
                getattr(form, f"subject_{subject}").data = weight
        return
    form.parent_id.data = node.parent_id or 0
    if isinstance(form, IndicatorForm):
        form.direction.data = node.direction.value
        form.data_source.data = node.data_source.value if node.data_source else None
        form.criteria_text.data = node.criteria_json
        form.service_point_id.data = node.service_point_id or 0
        for subject, weight in node.subject_weights.items():
            getattr(form, f"subject_{subject}").data = weight


def _node_fields(form: NodeForm) -> services.NodeFields:
    fields = services.NodeFields(
        code=form.code.data or "",
        name=form.name.data or "",
        name_zh=form.name_zh.data,
        weight=float(form.weight.data or 0),
        parent_id=form.parent_id.data or None,
        position=form.position.data or 0,
    )
    if isinstance(form, IndicatorForm):
        fields.definition = form.definition.data or ""
        fields.unit_of_measure = form.unit_of_measure.data or ""
        fields.direction = Direction(form.direction.data)
        fields.target_value = form.target_value.data
        fields.criteria = form.criteria_value()
        fields.data_source = DataSource(form.data_source.data)
        fields.survey_dimension = form.survey_dimension.data or ""
        fields.service_code = form.service_code.data or ""
        fields.service_point_id = form.service_point_id.data or None
        fields.subject_weights = form.subject_weights()
    return fields


def _render_node_form(form: NodeForm, cycle: Any, node: IndicatorNode | None, **extra: Any) -> Any:
    return render_template(
        "indicators/node_form.html",
        form=form,
        cycle=cycle,
        node=node,
        is_indicator=isinstance(form, IndicatorForm),
        subject_fields=[getattr(form, f"subject_{s}") for s in SUBJECT_LABELS]
        if isinstance(form, IndicatorForm)
        else [],
        defaults=DEFAULT_SUBJECT_WEIGHTS,
        subject_labels=SUBJECT_LABELS,
        **extra,
    )


def _save_new_node(
    cycle: Any, form: NodeForm, kind: NodeKind, origin: Origin, unit_id: int | None
) -> Any:
    try:
        node = services.create_node(
            cycle, kind, _node_fields(form), current_user.id, origin, unit_id
        )
    except DomainError as exc:
        db.session.rollback()
        field_error(
            form, exc, "subject_public" if getattr(exc, "field", "") == "subjects" else "name"
        )
        return None
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".node_detail", node_id=node.id))


@bp.route("/cycles/<int:cycle_id>/nodes/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def node_new(cycle_id: int) -> Any:
    cycle = services.get_cycle(cycle_id)
    kind = NodeKind.CATEGORY if request.args.get("kind") == "category" else NodeKind.INDICATOR
    form: NodeForm = NodeForm() if kind is NodeKind.CATEGORY else IndicatorForm()
    _prepare_node_form(form, cycle, None)
    if form.validate_on_submit():
        done = _save_new_node(cycle, form, kind, Origin.CONSTRAINED, None)
        if done is not None:
            return done
    return _render_node_form(form, cycle, None)


@bp.route("/cycles/<int:cycle_id>/expected/new", methods=["GET", "POST"])
@roles_required(Role.UNIT_OFFICIAL)
def expected_new(cycle_id: int) -> Any:
    """A unit official proposes an expected indicator for their unit (bottom-up)."""
    cycle = services.get_cycle(cycle_id)
    own = sorted((scope() or set()) & services.participant_ids(cycle))
    if not own:
        abort(404)
    unit_id = request.args.get("unit", own[0], type=int)
    if unit_id not in own:
        abort(404)
    form = IndicatorForm()
    _prepare_node_form(form, cycle, None)
    if form.validate_on_submit():
        done = _save_new_node(cycle, form, NodeKind.INDICATOR, Origin.EXPECTED, unit_id)
        if done is not None:
            return done
    return _render_node_form(form, cycle, None, unit=db.session.get(Unit, unit_id))


def _may_edit(node: IndicatorNode) -> bool:
    if is_manager():
        return True
    own = scope()
    return node.origin is Origin.EXPECTED and own is not None and node.unit_id in own


@bp.route("/nodes/<int:node_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS, Role.UNIT_OFFICIAL)
def node_edit(node_id: int) -> Any:
    node = visible_node(node_id)
    if not _may_edit(node):
        abort(404 if current_user.role is Role.UNIT_OFFICIAL else 403)
    form: NodeForm = IndicatorForm(obj=node) if node.is_indicator else NodeForm(obj=node)
    _prepare_node_form(form, node.cycle, node)
    form.code.data = node.code
    if form.validate_on_submit():
        try:
            services.update_node(node, _node_fields(form))
        except DomainError as exc:
            db.session.rollback()
            field_error(
                form, exc, "subject_public" if getattr(exc, "field", "") == "subjects" else "name"
            )
        else:
            db.session.commit()
            flash(_("Saved. Earlier acceptances were withdrawn if anything changed."), "success")
            return redirect(url_for(".node_detail", node_id=node.id))
    return _render_node_form(form, node.cycle, node)


from citizenvoice.indicators import (  # noqa: E402 (the route modules need ``bp`` defined first)
    manage_consultation,
    manage_figures,
    manage_rights,
    manage_transfer,
)

__all__ = ["bp", "manage_consultation", "manage_figures", "manage_rights", "manage_transfer"]
