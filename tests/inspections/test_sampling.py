"""The seeded draw: reproducible, risk-based picks first, then random picks from the rest."""

from __future__ import annotations

import pytest

from citizenvoice.inspections import sampling

POPULATION = [(unit, point) for unit in range(1, 6) for point in range(unit * 10, unit * 10 + 4)]
SIGNALS = [((2, 20), "tip"), ((2, 20), "anomaly"), ((3, 0), "divergence"), ((4, 41), "anomaly")]


def test_the_same_seed_gives_the_same_picks_whatever_the_input_order() -> None:
    first = sampling.draw_plan(POPULATION, SIGNALS, 2, 5, "seed-1")
    second = sampling.draw_plan(list(reversed(POPULATION)), SIGNALS[::-1], 2, 5, "seed-1")
    assert first == second
    assert len(first) == 7


def test_risk_based_picks_come_first_ordered_by_weight() -> None:
    picks = sampling.draw_plan(POPULATION, SIGNALS, 2, 3, "seed-1")
    risk = [p for p in picks if p.is_risk_based]
    assert [p.key for p in risk] == [(2, 20), (3, 0)]  # tip + anomaly = 4, divergence = 2
    assert risk[0].reasons == ("anomaly", "tip") and risk[0].score == 4
    random_picks = [p for p in picks if not p.is_risk_based]
    assert len(random_picks) == 3
    assert not {p.key for p in random_picks} & {p.key for p in risk}
    assert all(p.key in POPULATION for p in random_picks)


def test_the_random_part_follows_the_documented_draw() -> None:
    import random

    picks = sampling.draw_plan(POPULATION, SIGNALS, 1, 4, "abc")
    rest = sorted(set(POPULATION) - {(2, 20)})
    expected = random.Random("abc").sample(rest, 4)
    assert [p.key for p in picks[1:]] == expected


def test_another_seed_gives_another_random_draw() -> None:
    draws = {
        tuple(p.key for p in sampling.draw_plan(POPULATION, [], 0, 5, f"s{i}")) for i in range(5)
    }
    assert len(draws) > 1


def test_counts_larger_than_the_population_take_everything_once() -> None:
    picks = sampling.draw_plan(POPULATION[:3], SIGNALS, 10, 10, "x")
    keys = [p.key for p in picks]
    assert len(keys) == len(set(keys))
    assert set(POPULATION[:3]) <= set(keys)
    with pytest.raises(ValueError):
        sampling.draw_plan(POPULATION, [], -1, 1, "x")


def test_sample_draw_is_reproducible_and_without_repeats() -> None:
    ids = list(range(100, 160))
    first = sampling.draw_sample(ids, 10, "seed")
    assert first == sampling.draw_sample(reversed(ids), 10, "seed")
    assert len(set(first)) == 10 and set(first) <= set(ids)
    assert sampling.draw_sample(ids[:3], 10, "seed") == sampling.draw_sample(ids[:3], 3, "seed")


@pytest.mark.parametrize(
    ("reported", "verified", "material"),
    [(98.0, 97.0, False), (105.0, 100.0, False), (105.1, 100.0, True), (98.0, 72.0, True),
     (0.0, 0.0, False), (1.0, 0.0, True)],
)  # fmt: skip
def test_materiality_is_relative_to_the_verified_value(
    reported: float, verified: float, material: bool
) -> None:
    assert sampling.is_material(reported, verified, 0.05) is material
