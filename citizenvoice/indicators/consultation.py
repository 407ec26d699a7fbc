"""Consultation on indicators: a thread of comments and proposals, then agreement by both sides.

Rules (also shown on the indicator page):

- Managers (and administrators), invited experts (every user with the expert role) and officials
  of a unit the indicator applies to may comment while the indicator is not agreed.
- Anyone who may comment may add a proposal (a new target and/or weight). The other side decides
  it: managers decide proposals of officials and experts; an official of the indicator's own unit
  decides a manager's proposal (managers simply edit indicators shared by many units). Accepting
  applies the proposal: an official's target for a shared indicator becomes that unit's own
  target; anything else changes the indicator.
- An indicator is agreed when a manager has accepted it *and* every unit it applies to has
  accepted it (one acceptance per unit, by one of its officials). Any change made after an
  acceptance withdraws all acceptances so far, so both sides accept the final wording.
- Agreed indicators are locked for the cycle. Nothing in the thread is ever deleted.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from citizenvoice.accounts.models import Role, User
from citizenvoice.audit.services import record_event
from citizenvoice.core.errors import DomainError, Forbidden, NotFound
from citizenvoice.extensions import db
from citizenvoice.indicators.models import (
    Acceptance,
    Comment,
    IndicatorNode,
    IndicatorStatus,
    ProposalStatus,
    TargetOverride,
)
from citizenvoice.indicators.services import (
    check_tree_editable,
    participant_ids,
    reset_acceptances,
)
from citizenvoice.org.services import descendant_ids

MANAGERS = (Role.ADMIN, Role.MANAGER)
MIN_COMMENT = 2


class ConsultationError(DomainError):
    """A comment, proposal or acceptance that the consultation rules refuse."""


def official_unit(user: User, node: IndicatorNode) -> int | None:
    """The unit for which this official takes part in the consultation on ``node``, if any."""
    if user.role is not Role.UNIT_OFFICIAL or user.unit_id is None:
        return None
    if node.unit_id is not None:
        return node.unit_id if node.unit_id in descendant_ids(user.unit_id) else None
    return user.unit_id if user.unit_id in participant_ids(node.cycle) else None


def may_take_part(user: User, node: IndicatorNode) -> bool:
    if user.role in MANAGERS or user.role is Role.EXPERT:
        return True
    return official_unit(user, node) is not None


def required_units(node: IndicatorNode) -> set[int]:
    return {node.unit_id} if node.unit_id is not None else participant_ids(node.cycle)


def current_acceptances(node: IndicatorNode) -> list[Acceptance]:
    return list(
        db.session.scalars(
            select(Acceptance).where(
                Acceptance.indicator_id == node.id, Acceptance.withdrawn_at.is_(None)
            )
        )
    )


def all_acceptances(node: IndicatorNode) -> list[Acceptance]:
    query = select(Acceptance).where(Acceptance.indicator_id == node.id)
    return list(db.session.scalars(query.order_by(Acceptance.id)))


def thread(node: IndicatorNode) -> list[Comment]:
    query = select(Comment).where(Comment.indicator_id == node.id).order_by(Comment.id)
    return list(db.session.scalars(query))


def _check_open(node: IndicatorNode) -> None:
    if not node.is_indicator:
        raise ConsultationError(_l("Only indicators are consulted on."))
    node.check_editable()
    check_tree_editable(node.cycle)


def _ensure_consultation(node: IndicatorNode) -> None:
    if node.status is IndicatorStatus.PROPOSED:
        node.open_consultation()


def open_consultation(node: IndicatorNode, user: User) -> None:
    if user.role not in MANAGERS:
        raise Forbidden()
    _check_open(node)
    node.open_consultation()
    db.session.flush()
    record_event("indicator.consultation", "indicator_nodes", node.id, node.unit_id)


def add_comment(
    node: IndicatorNode,
    user: User,
    body: str,
    proposed_target: float | None = None,
    proposed_weight: float | None = None,
) -> Comment:
    """Add a comment (a proposal when it carries a target or a weight)."""
    if not may_take_part(user, node):
        raise NotFound()
    _check_open(node)
    body = body.strip()
    if len(body) < MIN_COMMENT:
        raise ConsultationError(_l("Please write a comment."))
    is_proposal = proposed_target is not None or proposed_weight is not None
    if is_proposal and user.role in MANAGERS and node.unit_id is None:
        raise ConsultationError(
            _l("This indicator is shared by many units: edit it instead of proposing.")
        )
    if proposed_weight is not None and not 0 <= proposed_weight <= 100:
        raise ConsultationError(_l("A weight is a percentage between 0 and 100."))
    _ensure_consultation(node)
    comment = Comment(
        indicator_id=node.id,
        author_id=user.id,
        unit_id=official_unit(user, node),
        body=body,
        proposed_target=proposed_target,
        proposed_weight=proposed_weight,
        proposal_status=ProposalStatus.OPEN if is_proposal else None,
    )
    db.session.add(comment)
    db.session.flush()
    return comment


def may_decide(user: User, comment: Comment, node: IndicatorNode) -> bool:
    if comment.author_id == user.id:
        return False
    if comment.author.role in MANAGERS:
        return node.unit_id is not None and official_unit(user, node) == node.unit_id
    return user.role in MANAGERS


def get_comment(comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound()
    return comment


def decide_proposal(comment: Comment, user: User, accept: bool) -> None:
    """Accept (and apply) or reject a proposal; applying withdraws earlier acceptances."""
    node = db.session.get(IndicatorNode, comment.indicator_id)
    if node is None or not may_take_part(user, node):
        raise NotFound()
    if not comment.is_proposal:
        raise ConsultationError(_l("This comment is not a proposal."))
    if not may_decide(user, comment, node):
        raise Forbidden(_l("The other side of the consultation decides this proposal."))
    _check_open(node)
    comment.decide(accept)
    comment.decided_by_id = user.id
    if accept:
        _apply(comment, node)
        reset_acceptances(node)
    db.session.flush()
    record_event(
        "indicator.proposal", "indicator_nodes", node.id, node.unit_id,
        comment=comment.id, accepted=accept,
    )  # fmt: skip


def _apply(comment: Comment, node: IndicatorNode) -> None:
    if comment.proposed_weight is not None:
        node.weight = comment.proposed_weight
    if comment.proposed_target is None:
        return
    if node.unit_id is None and comment.unit_id is not None:
        override = db.session.get(TargetOverride, (node.id, comment.unit_id))
        if override is None:
            override = TargetOverride(indicator_id=node.id, unit_id=comment.unit_id)
            db.session.add(override)
        override.target_value = comment.proposed_target
    else:
        node.target_value = comment.proposed_target


def accept(node: IndicatorNode, user: User) -> Acceptance:
    """Record the acceptance of a manager or of one unit; agree when every side has accepted."""
    if user.role in MANAGERS:
        unit_id = None
    else:
        unit_id = official_unit(user, node)
        if unit_id is None:
            raise NotFound()
    _check_open(node)
    if any(a.unit_id == unit_id for a in current_acceptances(node)):
        raise ConsultationError(_l("This side has already accepted the indicator as it stands."))
    _ensure_consultation(node)
    acceptance = Acceptance(indicator_id=node.id, unit_id=unit_id, user_id=user.id)
    db.session.add(acceptance)
    db.session.flush()
    record_event("indicator.accept", "indicator_nodes", node.id, unit_id, side=unit_id or "manager")
    if is_fully_accepted(node):
        node.mark_agreed()
        db.session.flush()
        record_event("indicator.agreed", "indicator_nodes", node.id, node.unit_id)
    return acceptance


def is_fully_accepted(node: IndicatorNode) -> bool:
    sides = {a.unit_id for a in current_acceptances(node)}
    return None in sides and required_units(node) <= sides


def waiting_for(node: IndicatorNode) -> tuple[bool, set[int]]:
    """(whether a manager still has to accept, the units that still have to accept)."""
    sides = {a.unit_id for a in current_acceptances(node)}
    return None not in sides, required_units(node) - sides
