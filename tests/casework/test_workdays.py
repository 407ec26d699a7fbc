"""Working-day arithmetic (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from citizenvoice.casework.workdays import add_working_days, is_working_day, working_days_between

FRI, SAT, MON = date(2026, 10, 9), date(2026, 10, 10), date(2026, 10, 12)


def test_weekends_do_not_count() -> None:
    assert add_working_days(FRI, 1, set()) == MON
    assert add_working_days(SAT, 1, set()) == MON
    assert add_working_days(FRI, 5, set()) == date(2026, 10, 16)


def test_holidays_do_not_count() -> None:
    assert add_working_days(FRI, 1, {MON}) == date(2026, 10, 13)
    golden_week = {date(2026, 10, d) for d in range(1, 8)}
    assert add_working_days(date(2026, 9, 30), 1, golden_week) == date(2026, 10, 8)


def test_zero_days_is_the_first_working_day() -> None:
    assert add_working_days(FRI, 0, set()) == FRI
    assert add_working_days(SAT, 0, set()) == MON
    with pytest.raises(ValueError):
        add_working_days(FRI, -1, set())


def test_counting_between_dates() -> None:
    assert working_days_between(FRI, MON, set()) == 1
    assert working_days_between(MON, FRI, set()) == 0
    assert not is_working_day(SAT, set()) and not is_working_day(MON, {MON})
