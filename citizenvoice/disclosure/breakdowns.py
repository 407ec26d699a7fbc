"""Breakdowns of counted ratings for the public pages: busy hours and survey dimensions.

Both read rollups only: busy hours from ``rating_hour_rollups`` (kept by database triggers,
UTC hours, shifted here to the city's time) and dimensions from ``answer_rollups``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from citizenvoice.disclosure.services import Period, add_counts
from citizenvoice.extensions import db
from citizenvoice.surveys.models import (
    AnswerRollup,
    Question,
    QuestionKind,
    RatingHourRollup,
)

HOURS_PER_WEEK = 7 * 24


def shift_hours(
    rows: Iterable[tuple[int, int, int]], offset_hours: int
) -> dict[tuple[int, int], int]:
    """(ISO weekday, hour, count) rows in UTC moved ``offset_hours`` east, to local time.

    Monday 00:00 UTC with offset +8 is Monday 08:00; Sunday 20:00 UTC is Monday 04:00.
    """
    shifted: dict[tuple[int, int], int] = defaultdict(int)
    for weekday, hour, count in rows:
        slot = ((weekday - 1) * 24 + hour + offset_hours) % HOURS_PER_WEEK
        shifted[(slot // 24 + 1, slot % 24)] += count
    return dict(shifted)


@dataclass(frozen=True)
class BusyHours:
    """Counted ratings of a service point by local weekday (1 = Monday) and hour."""

    #: hours east of UTC that the counts are shown in
    offset_hours: int
    counts: Mapping[tuple[int, int], int]

    @property
    def hours(self) -> list[int]:
        """From the first to the last hour of the day with a rating (gaps included)."""
        used = [hour for (_day, hour), n in self.counts.items() if n]
        return list(range(min(used), max(used) + 1)) if used else []

    def count(self, weekday: int, hour: int) -> int:
        return self.counts.get((weekday, hour), 0)

    def weekday_total(self, weekday: int) -> int:
        return sum(n for (day, _hour), n in self.counts.items() if day == weekday)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def busy_hours(point_id: int, offset_hours: int) -> BusyHours:
    """The point's busy-hour rollup (kept by triggers) in local time."""
    rows = db.session.execute(
        select(RatingHourRollup.weekday, RatingHourRollup.hour, RatingHourRollup.ratings).where(
            RatingHourRollup.service_point_id == point_id, RatingHourRollup.ratings > 0
        )
    )
    return BusyHours(offset_hours, shift_hours(((r[0], r[1], r[2]) for r in rows), offset_hours))


# ---- survey dimensions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Dimension:
    """Counted answers to one survey question (by its code, across versions), by month."""

    code: str
    kind: QuestionKind
    text: str
    text_zh: str | None
    #: month ("2026-08") -> counts: five levels best first (scale) or (yes, no)
    months: dict[str, tuple[int, ...]]

    def display_text(self, lang: str) -> str:
        return self.text_zh if lang == "zh" and self.text_zh else self.text

    @property
    def is_scale(self) -> bool:
        return self.kind is QuestionKind.SCALE

    def period(self, months: Iterable[str] | None = None) -> Period:
        """The answers of ``months`` (all months when None) as a five-level period."""
        keys = list(self.months) if months is None else list(months)
        width = 5 if self.is_scale else 2
        counts: tuple[int, ...] = (0,) * width
        for key in keys:
            counts = add_counts(counts, self.months.get(key, (0,) * width))
        if not self.is_scale:  # yes at the top level, no at the bottom
            counts = (counts[0], 0, 0, 0, counts[1])
        return Period(",".join(keys) or "all", counts)  # type: ignore[arg-type]


def _month_of(day: Any) -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(day, "YYYY-MM")
    return func.strftime("%Y-%m", day)


def dimensions(points: Sequence[int], since: date | None = None) -> list[Dimension]:
    """Answers per survey question and month from the answer rollups (one GROUP BY)."""
    if not points:
        return []
    month = _month_of(AnswerRollup.day).label("month")
    query = (
        select(month, Question.code, AnswerRollup.value, func.sum(AnswerRollup.answers))
        .join(Question, Question.id == AnswerRollup.question_id)
        .where(AnswerRollup.service_point_id.in_(list(points)))
        .group_by(month, Question.code, AnswerRollup.value)
    )
    if since is not None:
        query = query.where(AnswerRollup.day >= since)
    found: dict[str, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for key, code, value, answers in db.session.execute(query):
        found[code][str(key)][int(value)] = int(answers or 0)
    if not found:
        return []
    latest: dict[str, Question] = {}
    for question in db.session.scalars(
        select(Question).where(Question.code.in_(list(found))).order_by(Question.id)
    ):
        latest[question.code] = question  # the newest version's wording wins
    result = []
    for code, question in sorted(latest.items(), key=lambda kv: (kv[1].position, kv[0])):
        values = (5, 4, 3, 2, 1) if question.kind is QuestionKind.SCALE else (1, 0)
        months = {
            key: tuple(by_value.get(v, 0) for v in values)
            for key, by_value in sorted(found[code].items())
        }
        result.append(Dimension(code, question.kind, question.text, question.text_zh, months))
    return result
