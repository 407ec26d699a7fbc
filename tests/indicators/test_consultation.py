"""Consultation: who may comment, propose, decide and accept; agreement; resets; locking."""

from __future__ import annotations

import pytest

from citizenvoice.accounts.models import Role
from citizenvoice.core.errors import Forbidden, InvalidTransition, NotFound
from citizenvoice.extensions import db
from citizenvoice.indicators import consultation, services
from citizenvoice.indicators.models import (
    IndicatorStatus,
    Origin,
    ProposalStatus,
)
from tests.indicators.test_tree import fields


@pytest.fixture
def setting(make_unit, make_user, make_cycle, make_node):
    a, b = make_unit("unit-a"), make_unit("unit-b")
    sub_a = make_unit("unit-a-sub", parent=a)
    cycle = make_cycle(units=[a, b, sub_a])
    people = {
        "manager": make_user(Role.MANAGER),
        "official_a": make_user(Role.UNIT_OFFICIAL, a),
        "official_b": make_user(Role.UNIT_OFFICIAL, b),
        "official_sub": make_user(Role.UNIT_OFFICIAL, sub_a),
        "expert": make_user(Role.EXPERT),
        "evaluator": make_user(Role.EVALUATOR, b),
        "inspector": make_user(Role.INSPECTOR),
    }
    expected = make_node(
        cycle, code="expected-a", unit=a, origin=Origin.EXPECTED, user=people["official_a"]
    )
    shared = make_node(cycle, code="shared", target_value=95.0)
    return {"cycle": cycle, "a": a, "b": b, "sub": sub_a, "expected": expected,
            "shared": shared, **people}  # fmt: skip


@pytest.mark.parametrize(
    ("who", "node", "allowed"),
    [
        ("manager", "expected", True),
        ("expert", "expected", True),
        ("official_a", "expected", True),
        ("official_b", "expected", False),
        ("official_sub", "expected", False),  # the sub-unit does not speak for its parent
        ("evaluator", "expected", False),
        ("inspector", "expected", False),
        ("official_b", "shared", True),
        ("official_sub", "shared", True),
    ],
)
def test_who_may_comment(setting, who, node, allowed) -> None:
    indicator = setting[node]
    if allowed:
        comment = consultation.add_comment(indicator, setting[who], "A reasoned remark")
        assert comment.body == "A reasoned remark"
        assert indicator.status is IndicatorStatus.IN_CONSULTATION  # the thread opened it
    else:
        with pytest.raises(NotFound):
            consultation.add_comment(indicator, setting[who], "A reasoned remark")
        assert consultation.thread(indicator) == []


def test_empty_comments_and_bad_weights_are_refused(setting) -> None:
    with pytest.raises(consultation.ConsultationError, match="write a comment"):
        consultation.add_comment(setting["shared"], setting["manager"], "  ")
    with pytest.raises(consultation.ConsultationError, match="between 0 and 100"):
        consultation.add_comment(
            setting["expected"], setting["expert"], "Much more", proposed_weight=150
        )


def test_managers_edit_shared_indicators_rather_than_propose(setting) -> None:
    with pytest.raises(consultation.ConsultationError, match="edit it"):
        consultation.add_comment(setting["shared"], setting["manager"], "Raise", proposed_target=1)


def test_an_officials_target_proposal_becomes_their_units_own_target(setting) -> None:
    shared, official_b = setting["shared"], setting["official_b"]
    proposal = consultation.add_comment(
        shared, official_b, "Our caseload doubled this year", proposed_target=90.0
    )
    assert proposal.proposal_status is ProposalStatus.OPEN and proposal.unit_id == setting["b"].id
    with pytest.raises(Forbidden):  # nobody decides their own proposal
        consultation.decide_proposal(proposal, official_b, accept=True)
    with pytest.raises(Forbidden):  # another unit is not the other side
        consultation.decide_proposal(proposal, setting["official_a"], accept=True)
    consultation.decide_proposal(proposal, setting["manager"], accept=True)
    assert proposal.proposal_status is ProposalStatus.ACCEPTED
    assert services.target_for(shared, setting["b"].id) == 90.0
    assert services.target_for(shared, setting["a"].id) == 95.0
    with pytest.raises(InvalidTransition, match="already been decided"):
        consultation.decide_proposal(proposal, setting["manager"], accept=False)


def test_a_managers_proposal_is_decided_by_the_unit(setting) -> None:
    expected, manager = setting["expected"], setting["manager"]
    proposal = consultation.add_comment(
        expected, manager, "Aim higher", proposed_target=99.0, proposed_weight=40.0
    )
    with pytest.raises(Forbidden):
        consultation.decide_proposal(proposal, setting["expert"], accept=True)
    consultation.decide_proposal(proposal, setting["official_a"], accept=True)
    assert expected.target_value == 99.0 and expected.weight == 40.0


def test_an_experts_proposal_is_decided_by_a_manager_and_rejection_changes_nothing(setting) -> None:
    expected = setting["expected"]
    proposal = consultation.add_comment(
        expected, setting["expert"], "Benchmark is 97", proposed_target=97.0
    )
    with pytest.raises(Forbidden):
        consultation.decide_proposal(proposal, setting["official_a"], accept=True)
    consultation.decide_proposal(proposal, setting["manager"], accept=False)
    assert proposal.proposal_status is ProposalStatus.REJECTED and expected.target_value == 95.0


def test_plain_comments_cannot_be_decided(setting) -> None:
    comment = consultation.add_comment(setting["expected"], setting["expert"], "Looks fine")
    with pytest.raises(consultation.ConsultationError, match="not a proposal"):
        consultation.decide_proposal(comment, setting["manager"], accept=True)


def test_expected_indicator_agreed_when_manager_and_unit_accept(setting) -> None:
    expected = setting["expected"]
    consultation.accept(expected, setting["official_a"])
    assert expected.status is IndicatorStatus.IN_CONSULTATION
    with pytest.raises(consultation.ConsultationError, match="already accepted"):
        consultation.accept(expected, setting["official_a"])
    consultation.accept(expected, setting["manager"])
    assert expected.status is IndicatorStatus.AGREED
    with pytest.raises(InvalidTransition, match="locked"):
        consultation.add_comment(expected, setting["expert"], "Too late?")
    with pytest.raises(InvalidTransition, match="locked"):
        consultation.accept(expected, setting["manager"])


@pytest.mark.parametrize("who", ["official_b", "expert", "evaluator", "inspector"])
def test_outsiders_cannot_accept(setting, who) -> None:
    with pytest.raises((NotFound, Forbidden)):
        consultation.accept(setting["expected"], setting[who])
    assert consultation.all_acceptances(setting["expected"]) == []


def test_shared_indicator_needs_every_participating_unit(setting) -> None:
    shared = setting["shared"]
    consultation.accept(shared, setting["manager"])
    consultation.accept(shared, setting["official_a"])
    consultation.accept(shared, setting["official_b"])
    need_manager, units = consultation.waiting_for(shared)
    assert not need_manager and units == {setting["sub"].id}
    assert shared.status is IndicatorStatus.IN_CONSULTATION
    consultation.accept(shared, setting["official_sub"])
    assert shared.status is IndicatorStatus.AGREED


def test_a_change_after_an_acceptance_resets_acceptances(setting) -> None:
    expected = setting["expected"]
    consultation.accept(expected, setting["official_a"])
    services.update_node(expected, fields(code=expected.code, target_value=80.0))
    db.session.commit()
    assert consultation.current_acceptances(expected) == []
    history = consultation.all_acceptances(expected)
    assert len(history) == 1 and history[0].withdrawn_at is not None  # kept, marked withdrawn
    consultation.accept(expected, setting["manager"])
    assert expected.status is IndicatorStatus.IN_CONSULTATION  # the unit must accept again
    proposal = consultation.add_comment(
        expected, setting["expert"], "Lower please", proposed_weight=50.0
    )
    consultation.decide_proposal(proposal, setting["manager"], accept=True)
    assert consultation.current_acceptances(expected) == []


def test_an_unchanged_save_keeps_acceptances(setting) -> None:
    expected = setting["expected"]
    consultation.accept(expected, setting["official_a"])
    same = fields(
        code=expected.code, name=expected.name, weight=expected.weight,
        data_source=expected.data_source, criteria=expected.criteria,
        subject_weights=expected.subject_weights, target_value=expected.target_value,
        name_zh=expected.name_zh,
    )  # fmt: skip
    services.update_node(expected, same)
    assert len(consultation.current_acceptances(expected)) == 1


def test_managers_open_consultation_explicitly(setting) -> None:
    with pytest.raises(Forbidden):
        consultation.open_consultation(setting["shared"], setting["official_a"])
    consultation.open_consultation(setting["shared"], setting["manager"])
    assert setting["shared"].status is IndicatorStatus.IN_CONSULTATION
    with pytest.raises(InvalidTransition):
        consultation.open_consultation(setting["shared"], setting["manager"])
