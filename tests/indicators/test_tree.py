"""The indicator tree: field validation, subject weights, indicator states, locking."""

from __future__ import annotations

import pytest

from citizenvoice.core.errors import InvalidTransition
from citizenvoice.extensions import db
from citizenvoice.indicators import services
from citizenvoice.indicators.models import (
    CycleState,
    DataSource,
    Direction,
    IndicatorStatus,
    NodeKind,
)


def fields(**kw):
    values = {
        "code": "on-time",
        "name": "Cases closed on time",
        "weight": 100.0,
        "data_source": DataSource.SELF_REPORTED,
        "criteria": {"kind": "linear", "target": 95, "floor": 80, "step": 5, "per": 1},
        "subject_weights": {"self": 100},
    }
    values.update(kw)
    return services.NodeFields(**values)


def test_an_indicator_is_saved_with_its_criteria_and_subjects(make_cycle) -> None:
    cycle = make_cycle()
    node = services.create_node(cycle, NodeKind.INDICATOR, fields(), None)
    assert node.criteria["floor"] == 80 and node.subject_weights == {"self": 100.0}
    assert node.status is IndicatorStatus.PROPOSED


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"criteria": {"kind": "linear", "target": 95}}, "criteria", "floor"),
        ({"criteria": {"kind": "magic"}}, "criteria", "Unknown criteria kind"),
        (
            {
                "criteria": {"kind": "linear", "target": 95, "floor": 99, "step": 5, "per": 1},
                "direction": Direction.HIGHER,
            },
            "criteria",
            "floor must not be above",
        ),
        ({"subject_weights": {"public": 30, "self": 30}}, "subjects", "total 60"),
        ({"subject_weights": {"aliens": 100}}, "subjects", "Unknown evaluation subjects"),
        ({"subject_weights": {"public": 110, "self": -10}}, "subjects", "negative"),
        ({"weight": 120.0}, "weight", "between 0 and 100"),
        ({"data_source": None}, "data_source", "data come from"),
        ({"code": "Bad Code!"}, "code", "lower-case"),
    ],
)
def test_bad_indicator_fields_are_refused_beside_the_field(
    make_cycle, changes, field, message
) -> None:
    cycle = make_cycle()
    with pytest.raises(services.IndicatorError, match=message) as caught:
        services.create_node(cycle, NodeKind.INDICATOR, fields(**changes), None)
    assert caught.value.field == field
    assert services.tree_nodes(cycle) == []


def test_codes_are_unique_within_a_cycle_and_parents_are_categories(make_cycle, make_node) -> None:
    cycle = make_cycle()
    leaf = make_node(cycle, code="on-time")
    with pytest.raises(services.IndicatorError, match="already uses"):
        services.create_node(cycle, NodeKind.INDICATOR, fields(), None)
    with pytest.raises(services.IndicatorError, match="category of this cycle"):
        services.create_node(cycle, NodeKind.INDICATOR, fields(code="x", parent_id=leaf.id), None)
    other = make_cycle()
    assert services.create_node(other, NodeKind.INDICATOR, fields(), None).code == "on-time"


def test_sibling_weights_are_checked_per_group(make_cycle, make_node) -> None:
    cycle = make_cycle()
    a = make_node(cycle, kind=NodeKind.CATEGORY, weight=40, name="Quality")
    b = make_node(cycle, kind=NodeKind.CATEGORY, weight=60, name="Efficiency")
    make_node(cycle, parent=a, weight=50)
    make_node(cycle, parent=a, weight=50)
    make_node(cycle, parent=b, weight=33.33)
    make_node(cycle, parent=b, weight=33.33)
    make_node(cycle, parent=b, weight=33.34)
    assert services.weight_problems(cycle) == []
    make_node(cycle, parent=b, weight=10)
    [problem] = services.weight_problems(cycle)
    assert problem.parent.id == b.id and problem.total == 110
    assert "Efficiency" in problem.message() and "110" in problem.message()


def test_indicator_state_machine(make_cycle, make_node) -> None:
    node = make_node(make_cycle())
    with pytest.raises(InvalidTransition):
        node.mark_agreed()  # proposed → agreed skips consultation
    node.open_consultation()
    assert node.status is IndicatorStatus.IN_CONSULTATION
    with pytest.raises(InvalidTransition):
        node.open_consultation()
    node.mark_agreed()
    assert node.status is IndicatorStatus.AGREED and node.agreed_at is not None
    for move in (node.open_consultation, node.mark_agreed):
        with pytest.raises(InvalidTransition):
            move()


def test_agreed_indicators_are_locked(make_cycle, make_node) -> None:
    cycle = make_cycle()
    node = make_node(cycle, code="on-time")
    node.status = IndicatorStatus.AGREED
    db.session.commit()
    with pytest.raises(InvalidTransition, match="locked"):
        services.update_node(node, fields(name="Softer name", target_value=50.0))
    db.session.rollback()
    assert node.name != "Softer name"


def test_the_tree_freezes_once_evaluation_starts(make_cycle, make_node) -> None:
    cycle = make_cycle(state=CycleState.EVALUATING)
    node = make_node(cycle, code="on-time")
    with pytest.raises(InvalidTransition, match="frozen"):
        services.create_node(cycle, NodeKind.INDICATOR, fields(code="new"), None)
    with pytest.raises(InvalidTransition, match="frozen"):
        services.update_node(node, fields())


def test_targets_can_be_overridden_per_unit(make_cycle, make_node, make_unit) -> None:
    from citizenvoice.indicators.models import TargetOverride

    a, b = make_unit(), make_unit()
    cycle = make_cycle(units=[a, b])
    node = make_node(cycle, target_value=95.0)
    db.session.add(TargetOverride(indicator_id=node.id, unit_id=a.id, target_value=90.0))
    db.session.commit()
    assert services.target_for(node, a.id) == 90.0
    assert services.target_for(node, b.id) == 95.0
    assert services.indicators_for_unit(cycle, a.id) == [node]


def test_expected_indicators_add_to_shared_ones_and_own_groups_total_100(
    make_cycle, make_node, make_unit
) -> None:
    a, b = make_unit(name="Alpha"), make_unit(name="Beta")
    cycle = make_cycle(units=[a, b])
    shared_group = make_node(cycle, kind=NodeKind.CATEGORY, weight=80, name="Shared")
    own_group = make_node(cycle, kind=NodeKind.CATEGORY, weight=20, name="Commitments")
    shared = make_node(cycle, parent=shared_group, weight=100)
    extra = make_node(cycle, parent=shared_group, weight=25, unit=a)
    make_node(cycle, parent=own_group, weight=100, unit=a)
    make_node(cycle, parent=own_group, weight=70, unit=b)
    [problem] = services.weight_problems(cycle)
    assert problem.unit.id == b.id and problem.total == 70
    assert problem.message() == "The indicators of Beta under Commitments total 70%, not 100%."
    shares = services.effective_shares(cycle, a.id)
    assert shares[shared.id] == 64.0 and shares[extra.id] == 16.0  # 80% × 100/125 and × 25/125
    assert services.effective_shares(cycle, b.id)[shared.id] == 80.0
