"""Rating detectors: planted patterns are caught, a realistic clean year is (almost) left alone."""

from __future__ import annotations

import functools
import math
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest

from citizenvoice.integrity.detectors import Finding, FindingKind
from citizenvoice.integrity.detectors_ratings import (
    DEFAULT_RATING_CONFIG,
    OpeningHours,
    RatingEvent,
    comment_weight,
    dense_runs,
    find_bursts,
    find_copied_comments,
    find_device_clusters,
    find_distribution_shifts,
    find_identical_bursts,
    find_ip_clusters,
    find_off_hours,
    find_too_fast,
    flags_by_rating,
    normalize_comment,
    run_rating_detectors,
)

YEAR_START = datetime(2025, 1, 6)  # a Monday
WEEKS = 52
POINTS = 20
PLANTED_IDS = 10_000_000

OFFICE_HOURS: OpeningHours = {
    day: [(time(9, 0), time(12, 0)), (time(13, 30), time(17, 30))] for day in range(5)
}
HALL_HOURS: OpeningHours = {
    **{day: [(time(8, 30), time(17, 0))] for day in range(5)},
    5: [(time(9, 0), time(12, 0))],
}
WEEKDAY_FACTOR = (1.3, 1.1, 1.0, 1.0, 0.85, 0.7, 0.0)
SHORT_COMMENTS = ("很好", "满意", "服务态度好", "排队太久了", "good", "thanks", "效率高", "还行")
OPENERS = (
    "今天来办理营业执照，",
    "来补办身份证，",
    "Came to register my business; ",
    "办理社保转移，",
)
MIDDLES = (
    "等了{m}分钟，{w}号窗口的工作人员",
    "waited {m} minutes, the clerk at window {w} ",
    "排队{m}分钟，{w}号窗口",
)
CLOSERS = (
    "很耐心，解释得很清楚。",
    "was patient and clear.",
    "态度一般，希望改进。",
    "速度很快，点赞！",
)


# --- a realistic clean year ---------------------------------------------------------------


def _poisson(rng: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _hour_factor(hour: float) -> float:
    """Daily rhythm: a morning peak around 10:00 and a smaller one around 15:00."""
    return 0.6 + 0.7 * math.exp(-((hour - 10) ** 2) / 2) + 0.5 * math.exp(-((hour - 15) ** 2) / 2)


def _rating_shares(rng: random.Random) -> list[float]:
    quality = rng.uniform(3.3, 4.5)
    weights = [math.exp(-((score - quality) ** 2) / 1.2) for score in range(1, 6)]
    return [w / sum(weights) for w in weights]


class _CityGenerator:
    """A year of ratings at POINTS service points with daily, weekly and seasonal rhythm."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.events: list[RatingEvent] = []
        self.devices: dict[int, list[str]] = {p: [] for p in range(1, POINTS + 1)}

    def generate(self) -> tuple[list[RatingEvent], dict[int, OpeningHours]]:
        hours = {p: OFFICE_HOURS if p % 2 else HALL_HOURS for p in range(1, POINTS + 1)}
        for point_id in range(1, POINTS + 1):
            rate = self.rng.uniform(0.4, 3.0)
            shares = _rating_shares(self.rng)
            for day in range(WEEKS * 7):
                moment = YEAR_START + timedelta(days=day)
                season = 1 + 0.15 * math.sin(2 * math.pi * day / 365)
                daily = rate * season * WEEKDAY_FACTOR[moment.weekday()]
                for opens, closes in hours[point_id].get(moment.weekday(), []):
                    self._open_period(point_id, moment, opens, closes, daily, shares)
        return self.events, hours

    def _open_period(
        self,
        point_id: int,
        day: datetime,
        opens: time,
        closes: time,
        rate: float,
        shares: list[float],
    ) -> None:
        start = day.replace(hour=opens.hour, minute=opens.minute)
        end = day.replace(hour=closes.hour, minute=closes.minute)
        slice_start = start
        while slice_start < end:
            slice_end = min(end, slice_start + timedelta(hours=1))
            minutes = (slice_end - slice_start) / timedelta(minutes=1)
            mean = rate * _hour_factor(slice_start.hour + 0.5) * minutes / 60
            for _ in range(_poisson(self.rng, mean)):
                at = slice_start + timedelta(minutes=self.rng.uniform(0, minutes))
                if self.rng.random() < 0.03:  # rated on the way out, a little after closing
                    at = end + timedelta(minutes=self.rng.uniform(0, 20))
                self.events.append(self._rating(point_id, at, shares))
            slice_start = slice_end

    def _rating(self, point_id: int, at: datetime, shares: list[float]) -> RatingEvent:
        rng = self.rng
        overall = rng.choices(range(1, 6), weights=shares)[0]
        answers = tuple(min(5, max(1, overall + rng.choice((-1, 0, 0, 0, 1)))) for _ in range(3))
        known = self.devices[point_id]
        if len(known) > 500 and rng.random() < 0.15:  # a returning visitor
            device = rng.choice(known)
        else:
            device = f"{rng.getrandbits(64):016x}"
            known.append(device)
        if rng.random() < 0.45:  # the hall's Wi-Fi; the hashing salt rotates daily
            ip = f"wifi-{point_id}-{at.date()}"
        else:  # carrier-grade NAT: a city-wide pool of shared addresses
            ip = f"cgnat-{at.date()}-{rng.randrange(2000)}"
        return RatingEvent(
            id=len(self.events) + 1,
            point_id=point_id,
            created_at=at,
            overall=overall,
            device_hash=device,
            ip_hash=ip,
            comment=self._comment(),
            answered_seconds=rng.lognormvariate(math.log(25), 0.45),
            answers=answers,
        )

    def _comment(self) -> str | None:
        rng = self.rng
        if rng.random() > 0.25:
            return None
        if rng.random() < 0.5:
            return rng.choice(SHORT_COMMENTS)
        middle = rng.choice(MIDDLES).format(m=rng.randint(3, 90), w=rng.randint(1, 24))
        return rng.choice(OPENERS) + middle + rng.choice(CLOSERS)


@functools.cache
def clean_city() -> tuple[tuple[RatingEvent, ...], dict[int, OpeningHours]]:
    events, hours = _CityGenerator(seed=20260101).generate()
    return tuple(events), hours


@functools.cache
def clean_findings() -> tuple[Finding, ...]:
    events, hours = clean_city()
    return tuple(run_rating_detectors(events, opening_hours=hours))


# --- planted patterns ---------------------------------------------------------------------


class _Planter:
    """Adds suspicious ratings to the clean year, each pattern at its own point and time."""

    def __init__(self) -> None:
        self.rng = random.Random(7)
        self.next_id = PLANTED_IDS
        self.planted: dict[FindingKind, list[RatingEvent]] = {}

    def rating(self, point_id: int, at: datetime, **fields: object) -> RatingEvent:
        self.next_id += 1
        values: dict[str, object] = {
            "overall": self.rng.randint(1, 5),
            "device_hash": f"planted-device-{self.next_id}",
            "ip_hash": f"planted-ip-{self.next_id}",
            "answered_seconds": 30.0,
            "answers": (self.rng.randint(1, 5), self.rng.randint(1, 5), self.rng.randint(1, 5)),
        }
        values.update(fields)
        return RatingEvent(id=self.next_id, point_id=point_id, created_at=at, **values)  # type: ignore[arg-type]

    def plant(self, kind: FindingKind, ratings: Sequence[RatingEvent]) -> None:
        self.planted[kind] = list(ratings)

    def all_planted(self) -> list[RatingEvent]:
        return [event for events in self.planted.values() for event in events]


def _at(week: int, weekday: int, hour: int, minute: int = 0) -> datetime:
    return YEAR_START + timedelta(weeks=week, days=weekday, hours=hour, minutes=minute)


@functools.cache
def planted_city() -> tuple[dict[FindingKind, list[RatingEvent]], tuple[Finding, ...]]:
    p = _Planter()
    # point 1: 25 varied ratings crowd into one Wednesday hour
    p.plant(
        FindingKind.BURST,
        [p.rating(1, _at(20, 2, 10, p.rng.randrange(60))) for _ in range(25)],
    )
    # point 2: one phone rates 20 times in an afternoon
    p.plant(
        FindingKind.DEVICE_CLUSTER,
        [p.rating(2, _at(30, 1, 14, 3 * i), device_hash="one-phone") for i in range(20)],
    )
    # point 3: twelve "devices" (cleared cookies) behind one address, all giving the worst marks
    p.plant(
        FindingKind.IP_CLUSTER,
        [
            p.rating(3, _at(12, 3, 9, 4 * i), ip_hash="one-ip", overall=1, answers=(1, 1, 1))
            for i in range(12)
        ],
    )
    # point 4: ratings at two in the morning
    p.plant(
        FindingKind.OFF_HOURS,
        [p.rating(4, _at(40, 5, 2, 10 * i)) for i in range(3)],
    )
    # point 5: the same long praise pasted at two points within three days
    praise = "窗口工作人员服务热情周到，办事效率极高，是全市最好的服务大厅！"
    p.plant(
        FindingKind.COPIED_COMMENT,
        [p.rating(5 + i % 2, _at(44, i % 3, 11, i), comment=praise) for i in range(4)],
    )
    # point 7: ten identical top ratings within fifteen minutes from different phones
    p.plant(
        FindingKind.IDENTICAL_BURST,
        [p.rating(7, _at(25, 0, 15, i), overall=5, answers=(5, 5, 5)) for i in range(10)],
    )
    # point 8: ratings submitted in under two seconds
    p.plant(
        FindingKind.TOO_FAST,
        [p.rating(8, _at(33, 2, 11, i), answered_seconds=1.2) for i in range(2)],
    )
    # point 9: in the last week, a flood of top marks replaces the usual mix
    last_week = [p.rating(9, _at(51, d, 9 + h)) for d in range(5) for h in range(8)]
    p.plant(FindingKind.DISTRIBUTION_SHIFT, [replace(e, overall=5) for e in last_week])
    events, hours = clean_city()
    findings = run_rating_detectors([*events, *p.all_planted()], opening_hours=hours)
    return p.planted, tuple(findings)


@pytest.mark.parametrize(
    "kind",
    [
        FindingKind.BURST,
        FindingKind.DEVICE_CLUSTER,
        FindingKind.IP_CLUSTER,
        FindingKind.OFF_HOURS,
        FindingKind.COPIED_COMMENT,
        FindingKind.IDENTICAL_BURST,
        FindingKind.TOO_FAST,
        FindingKind.DISTRIBUTION_SHIFT,
    ],
)
def test_planted_pattern_is_caught_in_a_year_of_traffic(kind: FindingKind) -> None:
    planted, findings = planted_city()
    planted_ids = {event.id for event in planted[kind]}
    caught = set().union(*(set(f.rating_ids) for f in findings if f.kind is kind))
    assert planted_ids <= caught
    found = [f for f in findings if f.kind is kind and planted_ids & set(f.rating_ids)]
    assert all(f.message_id == f"integrity.finding.{kind.value}" for f in found)


def test_planted_patterns_do_not_drag_clean_ratings_into_their_findings() -> None:
    planted, findings = planted_city()
    planted_ids = {event.id for events in planted.values() for event in events}
    clean_flagged = set(flags_by_rating(clean_findings()))
    dragged = {
        rating_id
        for f in findings
        if f.kind not in (FindingKind.DISTRIBUTION_SHIFT, FindingKind.BURST)
        for rating_id in f.rating_ids
        if rating_id not in planted_ids and rating_id not in clean_flagged
    }
    assert dragged == set()


def test_clean_year_false_flag_rate_is_at_most_one_percent() -> None:
    events, _ = clean_city()
    flagged = flags_by_rating(clean_findings())
    rate = len(flagged) / len(events)
    assert len(events) > 50_000
    assert rate <= 0.01, Counter(kind for kinds in flagged.values() for kind in kinds)


def test_clean_year_raises_no_volume_ip_or_timing_findings() -> None:
    kinds = Counter(f.kind for f in clean_findings())
    for kind in (
        FindingKind.BURST,
        FindingKind.IP_CLUSTER,
        FindingKind.OFF_HOURS,
        FindingKind.TOO_FAST,
        FindingKind.IDENTICAL_BURST,
    ):
        assert kinds[kind] == 0, kinds


def test_findings_do_not_depend_on_input_order() -> None:
    events, hours = clean_city()
    sample = [e for e in events if e.point_id in (1, 2, 3)]
    shuffled = sample.copy()
    random.Random(3).shuffle(shuffled)
    extra = [
        RatingEvent(id=PLANTED_IDS + i, point_id=2, created_at=_at(5, 1, 10, i), overall=4)
        for i in range(12)
    ]
    assert run_rating_detectors([*sample, *extra], opening_hours=hours) == run_rating_detectors(
        [*reversed(extra), *shuffled], opening_hours=hours
    )


# --- shared Wi-Fi ---------------------------------------------------------------------------


def _shared_wifi_hour(rng: random.Random, point_id: int, start: datetime) -> list[RatingEvent]:
    """300 different phones behind one address, each rating honestly within one hour."""
    shares = [0.04, 0.06, 0.15, 0.35, 0.40]
    events = []
    for i in range(300):
        overall = rng.choices(range(1, 6), weights=shares)[0]
        events.append(
            RatingEvent(
                id=i + 1,
                point_id=point_id,
                created_at=start + timedelta(seconds=rng.uniform(0, 3600)),
                overall=overall,
                device_hash=f"phone-{i}",
                ip_hash="town-hall-wifi",
                answered_seconds=rng.uniform(10, 60),
                answers=tuple(min(5, max(1, overall + rng.choice((-1, 0, 1)))) for _ in range(3)),
            )
        )
    return events


def test_three_hundred_devices_behind_one_ip_are_not_an_ip_cluster() -> None:
    events = _shared_wifi_hour(random.Random(11), 1, datetime(2026, 3, 4, 10))
    assert find_ip_clusters(events) == []
    assert find_device_clusters(events) == []


def test_shared_wifi_at_a_busy_hall_raises_no_finding_at_all() -> None:
    start = datetime(2026, 3, 4, 10)
    events = _shared_wifi_hour(random.Random(12), 1, start)
    usual = {(1, start.weekday() * 24 + 10): 300.0}
    hours = {1: {2: [(time(8, 30), time(17, 0))]}}
    assert run_rating_detectors(events, opening_hours=hours, expected_hourly=usual) == []


def test_one_ip_with_identical_answers_from_many_devices_is_flagged() -> None:
    honest = _shared_wifi_hour(random.Random(13), 1, datetime(2026, 3, 4, 10))[:100]
    faked = [
        RatingEvent(
            id=1000 + i,
            point_id=1,
            created_at=datetime(2026, 3, 5, 10, i),
            overall=5,
            device_hash=f"fresh-cookie-{i}",
            ip_hash="one-ip",
            answers=(5, 5, 5),
        )
        for i in range(15)
    ]
    [finding] = find_ip_clusters([*honest, *faked])
    assert finding.kind is FindingKind.IP_CLUSTER
    assert finding.rating_ids == tuple(e.id for e in faked)
    assert finding.params["devices"] == 15
    assert finding.p_value is not None and finding.p_value < 1e-6


# --- single detectors ---------------------------------------------------------------------


def _steady_point(weeks: int, per_hour: int = 2, point_id: int = 1) -> Iterator[RatingEvent]:
    """``per_hour`` ratings in each office hour (9–17, Monday–Friday) for ``weeks`` weeks."""
    rng = random.Random(weeks)
    next_id = 0
    for week in range(weeks):
        for day in range(5):
            for hour in range(9, 17):
                for k in range(per_hour):
                    next_id += 1
                    yield RatingEvent(
                        id=next_id,
                        point_id=point_id,
                        created_at=_at(week, day, hour, 25 * k + rng.randrange(5)),
                        overall=rng.choice((3, 4, 4, 5, 5)),
                        device_hash=f"d{next_id}",
                        answers=(rng.randint(1, 5), rng.randint(1, 5)),
                    )


def _crowd(
    point_id: int, start: datetime, count: int, minutes: float = 50, **fields: object
) -> list[RatingEvent]:
    """``count`` ratings spread evenly over ``minutes`` from ``start``."""
    values: dict[str, object] = {"overall": 4}
    values.update(fields)
    return [
        RatingEvent(
            id=PLANTED_IDS + i,
            point_id=point_id,
            created_at=start + timedelta(minutes=i * minutes / count),
            **values,  # type: ignore[arg-type]
        )
        for i in range(count)
    ]


def test_burst_is_measured_against_the_usual_volume_of_that_hour() -> None:
    history = list(_steady_point(weeks=8))
    crowd = _crowd(1, _at(8, 0, 10), 15, answers=(3, 4))
    [burst] = find_bursts([*history, *crowd])
    assert burst.rating_ids == tuple(e.id for e in crowd)
    assert burst.window_start == _at(8, 0, 10)
    assert burst.window_end == _at(8, 0, 11)
    assert burst.params == {"count": 15, "expected": 2.0}
    assert burst.p_value is not None and burst.p_value < 1e-6
    # at a hall that usually sees 15 an hour, the same crowd is ordinary
    assert find_bursts(crowd, expected_hourly={(1, 10): 15.0}) == []


def test_burst_with_a_short_history_uses_the_pooled_rate_and_without_one_says_nothing() -> None:
    two_weeks = list(_steady_point(weeks=2))
    crowd = _crowd(1, _at(2, 0, 10), 15)
    assert [f.kind for f in find_bursts([*two_weeks, *crowd])] == [FindingKind.BURST]
    assert find_bursts(crowd) == []


def test_device_cluster_needs_three_ratings_within_a_day() -> None:
    twice = _crowd(1, _at(0, 0, 9), 2, device_hash="phone")
    assert find_device_clusters(twice) == []
    day_apart = [*twice, replace(twice[0], id=99, created_at=_at(0, 1, 10))]
    assert find_device_clusters(day_apart) == []
    twenty = _crowd(1, _at(0, 0, 9), 20, device_hash="phone")
    [cluster] = find_device_clusters(twenty)
    assert cluster.rating_ids == tuple(e.id for e in twenty)
    assert cluster.params == {"count": 20, "hours": 24.0}


def test_off_hours_respects_tolerance_and_overnight_opening() -> None:
    hours = {1: {0: [(time(9), time(17))]}, 2: {4: [(time(22), time(2))]}}
    monday = YEAR_START
    events = [
        RatingEvent(id=1, point_id=1, created_at=monday.replace(hour=17, minute=25), overall=4),
        RatingEvent(id=2, point_id=1, created_at=monday.replace(hour=17, minute=45), overall=4),
        RatingEvent(id=3, point_id=1, created_at=monday.replace(hour=8, minute=40), overall=4),
        RatingEvent(id=4, point_id=2, created_at=_at(0, 5, 1, 30), overall=4),  # Saturday 01:30
        RatingEvent(id=5, point_id=2, created_at=_at(0, 5, 3, 0), overall=4),
        RatingEvent(id=6, point_id=3, created_at=_at(0, 6, 3, 0), overall=4),  # no hours known
    ]
    findings = find_off_hours(events, hours)
    assert [(f.point_id, f.rating_ids) for f in findings] == [(1, (2,)), (2, (5,))]


def test_too_fast_groups_by_point_and_day() -> None:
    events = [
        RatingEvent(id=i, point_id=1, created_at=_at(0, 0, 10, i), overall=5, answered_seconds=s)
        for i, s in enumerate([1.0, 2.5, 3.0, 40.0, None])
    ]
    [finding] = find_too_fast(events)
    assert finding.rating_ids == (0, 1)
    assert finding.statistic == 1.0


def test_distribution_shift_needs_significance_size_and_history() -> None:
    history = list(_steady_point(weeks=6, per_hour=1))
    last_week = [
        replace(e, id=e.id + 10_000, created_at=e.created_at + timedelta(weeks=6))
        for e in history[-40:]
    ]
    assert find_distribution_shifts([*history, *last_week]) == []
    flipped = [replace(e, overall=1) for e in last_week]
    [shift] = find_distribution_shifts([*history, *flipped])
    assert shift.rating_ids == tuple(e.id for e in flipped)
    assert shift.params["mean_after"] == 1.0
    assert shift.p_value is not None and shift.p_value < 1e-4
    # the same flip with too little history behind it is not judged
    assert find_distribution_shifts([*history[-50:], *flipped]) == []


def test_copied_comments_count_normalised_text_within_a_window() -> None:
    text = "办事效率很高，工作人员态度非常好，值得表扬！"
    variants = [text, text.replace("，", ", "), " " + text + "!!", text]
    events = [
        RatingEvent(id=i, point_id=1 + i % 2, created_at=_at(0, i, 10), overall=5, comment=c)
        for i, c in enumerate(variants)
    ]
    findings = find_copied_comments(events)
    assert [(f.point_id, f.rating_ids) for f in findings] == [(1, (0, 2)), (2, (1, 3))]
    assert findings[0].params == {"copies": 4, "points": 2}
    spread_out = [replace(e, created_at=_at(3 * e.id, 0, 10)) for e in events]
    assert find_copied_comments(spread_out) == []
    short = [replace(e, comment="很好很满意") for e in events]
    assert find_copied_comments(short) == []


def test_identical_burst_at_a_quiet_point() -> None:
    history = list(_steady_point(weeks=8))
    same = _crowd(1, _at(8, 2, 14), 8, minutes=15, answers=(5, 5), overall=5)
    findings = find_identical_bursts([*history, *same])
    assert [f.rating_ids for f in findings] == [tuple(e.id for e in same)]
    varied = [replace(e, overall=1 + i % 5) for i, e in enumerate(same)]
    assert find_identical_bursts([*history, *varied]) == []


def test_dense_runs_merge_overlapping_windows() -> None:
    base = datetime(2026, 1, 1)
    times = [base + timedelta(minutes=m) for m in (0, 1, 2, 3, 50, 100, 101, 102)]
    assert dense_runs(times, timedelta(minutes=5), 3) == [(0, 3, 4), (5, 7, 3)]
    assert dense_runs(times, timedelta(minutes=5), 5) == []


def test_comment_normalisation_and_weight() -> None:
    assert normalize_comment("Ｇｏｏｄ， Service!!") == "goodservice"
    assert comment_weight(normalize_comment("服务很好")) == 8
    assert comment_weight("good") == 4


def test_rating_event_rejects_an_impossible_overall_rating() -> None:
    with pytest.raises(ValueError, match="between 1 and 5"):
        RatingEvent(id=1, point_id=1, created_at=YEAR_START, overall=6)


def test_default_config_is_conservative() -> None:
    assert DEFAULT_RATING_CONFIG.burst_alpha <= 1e-6
    assert DEFAULT_RATING_CONFIG.opening_tolerance == timedelta(minutes=30)


def test_flags_by_rating_lists_each_kind_once() -> None:
    finding = Finding(
        kind=FindingKind.BURST,
        point_id=1,
        rating_ids=(1, 2),
        window_start=YEAR_START,
        window_end=YEAR_START,
        statistic=2.0,
        p_value=None,
    )
    other = replace(finding, kind=FindingKind.DEVICE_CLUSTER, rating_ids=(2,))
    assert flags_by_rating([finding, other, finding]) == {
        1: (FindingKind.BURST,),
        2: (FindingKind.BURST, FindingKind.DEVICE_CLUSTER),
    }


def test_clean_year_is_a_year() -> None:
    events, _ = clean_city()
    assert min(e.created_at for e in events).date() >= date(2025, 1, 6)
    assert len({e.device_hash for e in events}) > 0.8 * len(events)
