"""The standard-library tail probabilities behind the detectors."""

from __future__ import annotations

import ast
import math
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citizenvoice.integrity import detectors
from citizenvoice.integrity.detectors import (
    FindingKind,
    binomial_sf,
    chi_square_sf,
    chi_square_statistic,
    poisson_sf,
    regularized_gamma_p,
    regularized_gamma_q,
)


@pytest.mark.parametrize(
    ("statistic", "df", "p_value"),
    [
        (3.841458820694124, 1, 0.05),  # the textbook 5% critical values
        (6.634896601021214, 1, 0.01),
        (15.50731305586545, 8, 0.05),
        (20.09023520568480, 8, 0.01),
        (16.91897760462045, 9, 0.05),
        (18.30703805327515, 10, 0.05),
        (26.12448155837614, 8, 0.001),
    ],
)
def test_chi_square_sf_matches_critical_values(statistic: float, df: int, p_value: float) -> None:
    assert chi_square_sf(statistic, df) == pytest.approx(p_value, rel=1e-6)


@given(st.floats(min_value=0.0, max_value=700.0))
def test_chi_square_with_two_degrees_of_freedom_is_exponential(x: float) -> None:
    assert chi_square_sf(x, 2) == pytest.approx(math.exp(-x / 2), rel=1e-9, abs=1e-300)


def test_chi_square_sf_edges() -> None:
    assert chi_square_sf(0.0, 5) == 1.0
    assert chi_square_sf(-1.0, 5) == 1.0
    assert 0.0 <= chi_square_sf(5000.0, 3) < 1e-300
    with pytest.raises(ValueError, match="degree of freedom"):
        chi_square_sf(1.0, 0)


@given(
    st.floats(min_value=0.01, max_value=200.0),
    st.floats(min_value=0.0, max_value=400.0),
)
def test_incomplete_gamma_halves_add_up(a: float, x: float) -> None:
    lower, upper = regularized_gamma_p(a, x), regularized_gamma_q(a, x)
    assert 0.0 <= lower <= 1.0
    assert 0.0 <= upper <= 1.0
    assert lower + upper == pytest.approx(1.0, abs=1e-9)


def test_incomplete_gamma_rejects_bad_arguments() -> None:
    for a, x in [(0.0, 1.0), (-1.0, 1.0), (1.0, -0.5), (math.nan, 1.0)]:
        with pytest.raises(ValueError, match="a > 0"):
            regularized_gamma_p(a, x)


def _poisson_tail_by_sum(count: int, mean: float) -> float:
    below = sum(math.exp(-mean + k * math.log(mean) - math.lgamma(k + 1)) for k in range(count))
    return 1.0 - below


@given(st.integers(min_value=0, max_value=60), st.floats(min_value=0.01, max_value=40.0))
def test_poisson_sf_matches_direct_summation(count: int, mean: float) -> None:
    assert poisson_sf(count, mean) == pytest.approx(
        _poisson_tail_by_sum(count, mean), rel=1e-7, abs=1e-12
    )


def test_poisson_sf_tail_and_edges() -> None:
    # P(X >= 30 | mean 1) = e^-1 * sum_{k>=30} 1/k!, dominated by its first term
    first_term = math.exp(-1 - math.lgamma(31))
    assert poisson_sf(30, 1.0) == pytest.approx(first_term * 1.0333, rel=1e-3)
    assert poisson_sf(0, 3.0) == 1.0
    assert poisson_sf(1, 0.0) == 0.0
    with pytest.raises(ValueError, match="negative"):
        poisson_sf(1, -1.0)


@given(
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=0, max_value=40),
    st.floats(min_value=0.0, max_value=1.0),
)
def test_binomial_sf_matches_direct_summation(successes: int, trials: int, p: float) -> None:
    expected = sum(
        math.comb(trials, k) * p**k * (1 - p) ** (trials - k)
        for k in range(max(successes, 0), trials + 1)
    )
    assert binomial_sf(successes, trials, p) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_binomial_sf_rejects_a_probability_outside_zero_one() -> None:
    with pytest.raises(ValueError, match="probability"):
        binomial_sf(1, 2, 1.5)


def test_chi_square_statistic_skips_empty_cells() -> None:
    assert chi_square_statistic([10, 0, 5], [5, 0, 10]) == pytest.approx(25 / 5 + 25 / 10)


def test_every_kind_has_a_message_id() -> None:
    ids = {kind.message_id for kind in FindingKind}
    assert len(ids) == len(FindingKind)
    assert FindingKind.BURST.message_id == "integrity.finding.burst"


def test_integrity_cores_import_neither_flask_nor_the_database() -> None:
    package = Path(detectors.__file__).parent
    modules = ["detectors", "detectors_ratings", "detectors_figures", "masking"]
    for name in modules:
        tree = ast.parse((package / f"{name}.py").read_text(encoding="utf-8"))
        imported = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            (node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
        }
        assert imported.isdisjoint({"flask", "sqlalchemy", "flask_sqlalchemy"}), name
        assert imported <= sys.stdlib_module_names | {"citizenvoice", "__future__"}, name
