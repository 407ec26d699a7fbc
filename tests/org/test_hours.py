import pytest
from hypothesis import given
from hypothesis import strategies as st

from citizenvoice.org.hours import DAYS, HoursError, format_hours, parse_hours


def test_parse_grouped_days_and_split_hours() -> None:
    hours = parse_hours("mon-fri 08:30-12:00,13:30-17:30; sat 09:00-12:00")
    assert hours["wed"] == [["08:30", "12:00"], ["13:30", "17:30"]]
    assert hours["sat"] == [["09:00", "12:00"]] and "sun" not in hours


@pytest.mark.parametrize(
    "text",
    [
        "mon 12:00-08:00",
        "fri-mon 09:00-10:00",
        "mon 9-17",
        "mon 08:00-12:00,11:00-13:00",
        "mon 08:00-12:00; mon 13:00-14:00",
        "xyz 08:00-09:00",
        "mon",
    ],
)
def test_unreadable_hours_are_refused(text: str) -> None:
    with pytest.raises(HoursError):
        parse_hours(text)


ranges = st.sampled_from(
    [[["08:00", "12:00"]], [["09:00", "17:00"]], [["08:30", "12:00"], ["13:30", "17:30"]]]
)


@given(st.dictionaries(st.sampled_from(DAYS), ranges))
def test_format_then_parse_round_trips(data) -> None:
    assert parse_hours(format_hours(data)) == data
