"""Seeded draws for inspection plans and sample surveys (pure: no Flask, no database).

The draw is documented so that anyone holding the seed can repeat it:

1. **Risk-based picks.** Every candidate carries risk signals (a tip, a divergence alert, an
   anomaly finding), each with a weight (:data:`RISK_WEIGHTS`). Candidates are ordered by total
   weight, highest first, ties broken by the candidate key (ascending); the first
   ``risk_count`` are picked.
2. **Random picks.** The rest of the population, sorted by key, is shuffled by
   ``random.Random(seed)`` (Python's Mersenne Twister seeded with the seed *string*, which
   Python hashes with SHA-512) through ``Random.sample``; the first ``random_count`` are picked.
   Random picks therefore also cover places with no known risk, so a unit cannot predict that
   a clean record keeps inspectors away.

The same population, signals, counts and seed always give the same picks.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: What a risk signal adds to a candidate's score.
RISK_WEIGHTS: Mapping[str, int] = {"tip": 3, "divergence": 2, "anomaly": 1}

#: A candidate: (unit id, service point id or 0 for the unit as a whole).
Key = tuple[int, int]


@dataclass(frozen=True)
class Pick:
    """One place in a plan and why it was picked."""

    key: Key
    is_risk_based: bool
    score: int
    #: the risk signals behind a risk-based pick, sorted ("anomaly", "tip"…)
    reasons: tuple[str, ...] = ()


def new_seed() -> str:
    """A fresh seed to record with a plan (64 random bits, hexadecimal)."""
    return secrets.token_hex(8)


def risk_scores(signals: Iterable[tuple[Key, str]]) -> dict[Key, tuple[int, tuple[str, ...]]]:
    """Key → (score, sorted distinct reasons) from (key, signal) pairs; unknown signals weigh 1."""
    scores: dict[Key, int] = {}
    reasons: dict[Key, set[str]] = {}
    for key, signal in signals:
        scores[key] = scores.get(key, 0) + RISK_WEIGHTS.get(signal, 1)
        reasons.setdefault(key, set()).add(signal)
    return {key: (scores[key], tuple(sorted(reasons[key]))) for key in scores}


def draw_plan(
    population: Sequence[Key],
    signals: Iterable[tuple[Key, str]],
    risk_count: int,
    random_count: int,
    seed: str,
) -> list[Pick]:
    """Risk-based picks first, then seeded random picks from the rest (see the module doc)."""
    if risk_count < 0 or random_count < 0:
        raise ValueError("counts cannot be negative")
    scored = risk_scores(signals)
    ranked = sorted(scored, key=lambda key: (-scored[key][0], key))[:risk_count]
    picks = [Pick(key, True, scored[key][0], scored[key][1]) for key in ranked]
    chosen = set(ranked)
    rest = sorted(set(population) - chosen)
    # A reproducible draw is the point here, not secrecy: the seed is published with the plan.
    drawn = random.Random(seed).sample(rest, min(random_count, len(rest)))  # noqa: S311
    picks.extend(Pick(key, False, scored.get(key, (0, ()))[0]) for key in drawn)
    return picks


def draw_sample(ids: Iterable[int], size: int, seed: str) -> list[int]:
    """``size`` ids drawn without replacement by ``random.Random(seed)`` from the sorted ids."""
    if size < 0:
        raise ValueError("a sample size cannot be negative")
    pool = sorted(set(ids))
    return random.Random(seed).sample(pool, min(size, len(pool)))  # noqa: S311 (reproducible)


def relative_difference(reported: float, verified: float) -> float:
    """|reported − verified| / |verified|; a zero verified value compares against 1."""
    return abs(reported - verified) / (abs(verified) or 1.0)


def is_material(reported: float, verified: float, threshold: float) -> bool:
    """Whether the reported figure differs from the verified one by more than ``threshold``."""
    return relative_difference(reported, verified) > threshold
