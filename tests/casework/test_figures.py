"""Closed-loop figures: per unit and per subtree agree, in a fixed number of statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import event, select

from citizenvoice.accounts.models import Role
from citizenvoice.casework import appeals, services
from citizenvoice.casework.models import AppealKind, Verdict
from citizenvoice.extensions import db
from citizenvoice.indicators.models import IndicatorNode
from tests.casework.helpers import cycle_with_results, rate


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _units_with_cases(make_point, make_user, count: int, code: str) -> list[int]:
    """``count`` units, each with two cases (one answered and solved) and a commitment."""
    points = [make_point() for _ in range(count)]
    cycle = cycle_with_results([p.unit for p in points], code=code)
    node_id = db.session.scalar(select(IndicatorNode.id).where(IndicatorNode.cycle_id == cycle.id))
    for index, point in enumerate(points):
        official = make_user(Role.UNIT_OFFICIAL, point.unit)
        answered = services.case_for_rating(rate(point, 1, "The queue was far too long"))
        rate(point, 2)
        assert answered is not None
        services.acknowledge(answered, official)
        services.reply(answered, official, "A second window opened", "We opened a window.", "")
        if index % 2 == 0:
            services.give_verdict(answered, Verdict.SOLVED)
        services.create_plan(
            official, point.unit.id, cycle.id, node_id, "Queues are too long",
            "Open a second window", "Head of office", date(2026, 12, 31),
        )  # fmt: skip
        if index == 0:
            appeals.file_appeal(
                official, cycle.id, AppealKind.RESULT, "The result misses our new window",
                on=date(2026, 10, 20),
            )  # fmt: skip
    db.session.commit()
    return [p.unit.id for p in points]


def test_per_unit_figures_equal_each_unit_on_its_own(make_point, make_user) -> None:
    unit_ids = _units_with_cases(make_point, make_user, 4, "figures-equal")
    per_unit = services.figures_per_unit(unit_ids)
    assert per_unit == {unit_id: services.figures({unit_id}) for unit_id in unit_ids}
    first = per_unit[unit_ids[0]]
    assert (first.opened, first.replied, first.on_time, first.solved) == (2, 1, 1, 1)
    assert (first.commitments, first.appeals_filed) == (1, 1)
    assert per_unit[unit_ids[1]].solved == 0
    together = services.figures(set(unit_ids))
    assert (together.opened, together.solved, together.commitments) == (8, 2, 4)


def test_a_unit_without_cases_has_zeros(make_unit) -> None:
    unit = make_unit()
    assert services.figures_per_unit([unit.id]) == {unit.id: services.CaseFigures()}
    assert services.figures({unit.id}).as_dict()["cases_opened"] == 0


def test_per_unit_figures_take_the_same_statements_for_few_and_many_units(
    make_point, make_user
) -> None:
    few = _units_with_cases(make_point, make_user, 2, "figures-few")
    with counted_statements() as for_few:
        assert len(services.figures_per_unit()) == len(few)
    _units_with_cases(make_point, make_user, 12, "figures-many")
    with counted_statements() as for_many:
        assert len(services.figures_per_unit()) == 14
    assert len(for_few) == len(for_many) == 3


def test_the_closed_loop_open_data_takes_the_same_statements_for_few_and_many_units(
    client, make_point, make_user
) -> None:
    _units_with_cases(make_point, make_user, 2, "api-few")
    with counted_statements() as for_few:
        assert len(client.get("/api/v1/closed-loop").get_json()["data"]) == 2
    _units_with_cases(make_point, make_user, 12, "api-many")
    with counted_statements() as for_many:
        data = client.get("/api/v1/closed-loop").get_json()["data"]
    assert len(data) == 14 and {row["cases_opened"] for row in data} == {2}
    assert len(for_few) == len(for_many)
