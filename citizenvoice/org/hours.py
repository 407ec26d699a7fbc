"""Opening hours: a short text form managers type, and its JSON form (pure functions)."""

from __future__ import annotations

import itertools
import json
import re

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class HoursError(ValueError):
    """The opening hours text cannot be read."""


def _days(spec: str) -> list[str]:
    spec = spec.strip().lower()
    if "-" in spec:
        first, last = (part.strip() for part in spec.split("-", 1))
        if first not in DAYS or last not in DAYS or DAYS.index(first) > DAYS.index(last):
            raise HoursError(spec)
        return DAYS[DAYS.index(first) : DAYS.index(last) + 1]
    if spec not in DAYS:
        raise HoursError(spec)
    return [spec]


def parse_hours(text: str) -> dict[str, list[list[str]]]:
    """Read ``"mon-fri 08:30-12:00,13:30-17:30; sat 09:00-12:00"`` into a day mapping.

    An empty text means no fixed hours. Ranges must be increasing and not overlap.
    """
    result: dict[str, list[list[str]]] = {}
    for clause in filter(None, (c.strip() for c in text.split(";"))):
        parts = clause.split(None, 1)
        if len(parts) != 2:
            raise HoursError(clause)
        ranges = []
        for item in parts[1].replace(" ", "").split(","):
            match = _RANGE.match(item)
            if not match or item[:5] >= item[6:]:
                raise HoursError(item)
            ranges.append([item[:5], item[6:]])
        ranges.sort()
        if any(a[1] > b[0] for a, b in itertools.pairwise(ranges)):
            raise HoursError(clause)
        for day in _days(parts[0]):
            if day in result:
                raise HoursError(clause)
            result[day] = ranges
    return result


def format_hours(data: dict[str, list[list[str]]]) -> str:
    """The text form of a day mapping, grouping consecutive days with equal hours."""
    clauses: list[str] = []
    index = 0
    while index < len(DAYS):
        day = DAYS[index]
        if day not in data:
            index += 1
            continue
        end = index
        while end + 1 < len(DAYS) and data.get(DAYS[end + 1]) == data[day]:
            end += 1
        span = day if end == index else f"{day}-{DAYS[end]}"
        clauses.append(span + " " + ",".join(f"{a}-{b}" for a, b in data[day]))
        index = end + 1
    return "; ".join(clauses)


def hours_json(text: str) -> str:
    return json.dumps(parse_hours(text), sort_keys=True)


def hours_from_json(raw: str) -> dict[str, list[list[str]]]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
