"""The role matrix: which personas may use which route.

Each domain lists its routes in ``tests/<domain>/access_rules.py`` as ``RULES = {endpoint: Rule}``.
``tests/test_role_matrix.py`` checks every route in ``app.url_map`` against the union of these
tables and fails for any route that is not listed (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PERSONAS = (
    "anonymous",
    "evaluator",
    "expert",
    "official_a",
    "official_b",
    "inspector",
    "manager",
    "admin",
)
EVERYONE = frozenset(PERSONAS)
STAFF = EVERYONE - {"anonymous"}


@dataclass
class World:
    """Data every route can be exercised against: unit A (with a sub-unit) and unit B."""

    unit_a: Any
    sub_a: Any
    unit_b: Any
    point_a: Any
    point_b: Any
    service: Any
    users: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    allow: frozenset[str]
    params: Callable[[World], dict[str, Any]] = lambda world: {}
    #: Extra form data for POST requests (CSRF is off in the matrix; validation may still refuse).
    data: Callable[[World], dict[str, Any]] = lambda world: {}
    #: Query string arguments.
    query: Callable[[World], dict[str, Any]] = lambda world: {}


def allow(*personas: str) -> frozenset[str]:
    unknown = set(personas) - EVERYONE
    assert not unknown, unknown
    return frozenset(personas)
