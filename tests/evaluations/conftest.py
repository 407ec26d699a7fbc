"""The cycle and indicator factories of tests/indicators, shared here."""

from tests.indicators.conftest import make_cycle, make_node  # noqa: F401 (fixtures)
