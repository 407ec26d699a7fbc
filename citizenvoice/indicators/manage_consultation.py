"""Staff pages: an indicator, its consultation thread, proposals and acceptances."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import roles_required
from citizenvoice.core.errors import DomainError, Forbidden, NotFound
from citizenvoice.core.forms import EmptyForm
from citizenvoice.extensions import db
from citizenvoice.indicators import consultation
from citizenvoice.indicators.forms import SOURCE_LABELS, CommentForm, DecisionForm
from citizenvoice.indicators.manage import MANAGERS, _may_edit, bp, is_manager, visible_node
from citizenvoice.indicators.models import SUBJECT_LABELS, IndicatorNode
from citizenvoice.indicators.wording import describe_criteria
from citizenvoice.org.models import Unit

PARTICIPANTS = (*MANAGERS, Role.EXPERT, Role.UNIT_OFFICIAL)


def _consulted_node(node_id: int) -> IndicatorNode:
    node = visible_node(node_id)
    if node.is_indicator and not consultation.may_take_part(current_user, node):
        abort(404)
    return node


def _my_side_may_accept(node: IndicatorNode) -> bool:
    """Managers and the node's units, as long as their side has not accepted it already."""
    if is_manager():
        side = None
    elif current_user.role is Role.UNIT_OFFICIAL:
        side = consultation.official_unit(current_user, node)
        if side is None:
            return False
    else:
        return False
    return all(a.unit_id != side for a in consultation.current_acceptances(node))


@bp.route("/nodes/<int:node_id>")
@roles_required(*PARTICIPANTS)
def node_detail(node_id: int) -> Any:
    node = _consulted_node(node_id)
    need_manager, need_units = (
        consultation.waiting_for(node) if node.is_indicator else (False, set())
    )
    comments = consultation.thread(node) if node.is_indicator else []
    return render_template(
        "indicators/node.html",
        node=node,
        criteria_words=describe_criteria(node.criteria, node.direction.value),
        comments=comments,
        deciders={
            c.id
            for c in comments
            if c.is_proposal and consultation.may_decide(current_user, c, node)
        },
        acceptances=consultation.all_acceptances(node) if node.is_indicator else [],
        need_manager=need_manager,
        need_units=sorted(
            (u.name for u in (db.session.get(Unit, i) for i in need_units) if u), key=str
        ),
        own_unit=consultation.official_unit(current_user, node),
        comment_form=CommentForm(),
        decision_form=DecisionForm(),
        action_form=EmptyForm(),
        can_edit=_may_edit(node),
        can_accept=node.is_indicator and _my_side_may_accept(node),
        is_manager=is_manager(),
        subject_labels=SUBJECT_LABELS,
        source_labels=SOURCE_LABELS,
    )


def _commit_or_flash(action: Callable[[], object], success: str) -> None:
    """Run one consultation step: commit and confirm, or roll back and show the refusal.

    Access refusals (Forbidden, NotFound) propagate so that they answer 403/404.
    """
    try:
        action()
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(success, "success")


def _back(node: IndicatorNode) -> Any:
    return redirect(url_for(".node_detail", node_id=node.id))


@bp.route("/nodes/<int:node_id>/comments", methods=["POST"])
@roles_required(*PARTICIPANTS)
def node_comment(node_id: int) -> Any:
    node = _consulted_node(node_id)
    form = CommentForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return _back(node)
    _commit_or_flash(
        lambda: consultation.add_comment(
            node, current_user, form.body.data or "", form.proposed_target.data,
            form.proposed_weight.data,
        ),
        _("Your comment was added."),
    )  # fmt: skip
    return _back(node)


@bp.route("/nodes/<int:node_id>/accept", methods=["POST"])
@roles_required(*MANAGERS, Role.UNIT_OFFICIAL)
def node_accept(node_id: int) -> Any:
    node = _consulted_node(node_id)
    if EmptyForm().validate_on_submit():
        _commit_or_flash(
            lambda: consultation.accept(node, current_user), _("Your acceptance was recorded.")
        )
    return _back(node)


@bp.route("/nodes/<int:node_id>/consultation", methods=["POST"])
@roles_required(*MANAGERS)
def node_open(node_id: int) -> Any:
    node = _consulted_node(node_id)
    if EmptyForm().validate_on_submit():
        _commit_or_flash(
            lambda: consultation.open_consultation(node, current_user),
            _("The indicator is open for consultation."),
        )
    return _back(node)


@bp.route("/comments/<int:comment_id>/decision", methods=["POST"])
@roles_required(*MANAGERS, Role.UNIT_OFFICIAL)
def comment_decide(comment_id: int) -> Any:
    comment = consultation.get_comment(comment_id)
    node = _consulted_node(comment.indicator_id)
    form = DecisionForm()
    if form.validate_on_submit():
        _commit_or_flash(
            lambda: consultation.decide_proposal(
                comment, current_user, form.decision.data == "accept"
            ),
            _("The proposal was decided."),
        )
    return _back(node)
