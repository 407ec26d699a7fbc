"""Detectors of faked or abnormal citizen ratings.

Every detector takes plain :class:`RatingEvent` records and returns :class:`Finding` records
sorted by :meth:`Finding.sort_key`, so a batch gives the same answer whatever its order.

Times are read as wall-clock times of the service point: pass ``created_at`` in the point's
local time (all naive or all aware within one batch). Hours of the week count from Monday 00:00.

Thresholds are deliberately conservative (tail probabilities of 1e-6 for volume tests, minimum
counts and effect sizes on top of significance): a flag takes a rating out of the scores until a
person clears it, so a false flag costs a citizen their voice.
"""

from __future__ import annotations

import math
import unicodedata
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from operator import attrgetter

from citizenvoice.integrity.detectors import (
    Finding,
    FindingKind,
    binomial_sf,
    chi_square_sf,
    chi_square_statistic,
    poisson_sf,
)

HOURS_PER_WEEK = 168
MINUTES_PER_WEEK = 7 * 24 * 60
_HOUR = timedelta(hours=1)
_EVENT_ORDER = attrgetter("created_at", "id")

#: Opening hours of one point: weekday (0 = Monday) → list of (open, close). A close time at or
#: before the open time runs past midnight; a weekday that is missing or empty is closed all day.
OpeningHours = Mapping[int, Sequence[tuple[time, time]]]

#: A baseline supplied by the caller (e.g. from rollups): (point id, hour of week) → expected
#: ratings in that hour.
HourlyBaseline = Mapping[tuple[int, int], float]


@dataclass(frozen=True)
class RatingEvent:
    """One rating as the detectors see it: no personal data, only keyed hashes."""

    id: int
    point_id: int
    created_at: datetime
    overall: int
    device_hash: str | None = None
    ip_hash: str | None = None
    comment: str | None = None
    answered_seconds: float | None = None
    #: the answers to the survey's other questions, in question order (0 = not answered)
    answers: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= self.overall <= 5:
            raise ValueError("an overall rating lies between 1 and 5")

    @property
    def signature(self) -> tuple[int, ...]:
        """All answers of the rating; two ratings with equal signatures are identical."""
        return (self.overall, *self.answers)


@dataclass(frozen=True)
class RatingDetectorConfig:
    """Thresholds of the rating detectors; the defaults keep false flags well under 1%."""

    #: volume in one hour: tail probability, minimum count, floor of the expected count
    burst_alpha: float = 1e-6
    burst_min_count: int = 8
    burst_min_expected: float = 0.5
    #: without this many other weeks of history the hour-of-week baseline falls back to a
    #: pooled one
    baseline_min_weeks: int = 4
    #: pooled fallback: how many other busy hours it needs at least
    baseline_min_hours: int = 8
    device_window: timedelta = timedelta(hours=24)
    device_min_count: int = 3
    #: ratings from one IP hash at one point belong to one session while gaps stay under this
    ip_session_gap: timedelta = timedelta(hours=1)
    ip_min_count: int = 6
    #: share of the session's ratings that must carry the same answers
    ip_min_share: float = 0.8
    ip_alpha: float = 1e-6
    #: pseudo-ratings with which the city-wide answer shares smooth a point's own shares
    share_prior_weight: float = 10.0
    opening_tolerance: timedelta = timedelta(minutes=30)
    min_answer_seconds: float = 3.0
    shift_window: timedelta = timedelta(days=7)
    shift_min_window: int = 30
    shift_min_history: int = 100
    shift_alpha: float = 1e-5
    #: rating values are pooled with their neighbours until each bin expects this many
    shift_min_expected: float = 5.0
    #: total-variation distance the shift must reach besides being significant
    shift_min_distance: float = 0.2
    #: comments shorter than this weight (a CJK character weighs 2, other letters and digits 1)
    #: are stock phrases such as "很好" and never count as copies
    comment_min_weight: int = 24
    comment_min_count: int = 3
    comment_window: timedelta = timedelta(days=7)
    identical_window: timedelta = timedelta(minutes=30)
    identical_min_count: int = 6
    identical_alpha: float = 1e-6
    identical_min_expected: float = 0.1


DEFAULT_RATING_CONFIG = RatingDetectorConfig()


def run_rating_detectors(
    events: Iterable[RatingEvent],
    *,
    opening_hours: Mapping[int, OpeningHours] | None = None,
    expected_hourly: HourlyBaseline | None = None,
    config: RatingDetectorConfig = DEFAULT_RATING_CONFIG,
) -> list[Finding]:
    """Run every rating detector over one batch; deterministic and independent of input order.

    ``opening_hours`` maps point ids to their hours (points without any are not checked);
    ``expected_hourly`` overrides the baseline learnt from the batch itself.
    """
    ordered = _canonical(events)
    findings = [
        *find_bursts(ordered, expected_hourly=expected_hourly, config=config),
        *find_device_clusters(ordered, config=config),
        *find_ip_clusters(ordered, config=config),
        *find_too_fast(ordered, config=config),
        *find_distribution_shifts(ordered, config=config),
        *find_copied_comments(ordered, config=config),
        *find_identical_bursts(ordered, expected_hourly=expected_hourly, config=config),
    ]
    if opening_hours:
        findings.extend(find_off_hours(ordered, opening_hours, config=config))
    return _sorted(findings)


def flags_by_rating(findings: Iterable[Finding]) -> dict[int, tuple[FindingKind, ...]]:
    """Rating id → the kinds of finding that involve it (sorted, without repeats)."""
    kinds: dict[int, set[FindingKind]] = defaultdict(set)
    for finding in findings:
        for rating_id in finding.rating_ids:
            kinds[rating_id].add(finding.kind)
    return {rating_id: tuple(sorted(kinds[rating_id])) for rating_id in sorted(kinds)}


def find_bursts(
    events: Iterable[RatingEvent],
    *,
    expected_hourly: HourlyBaseline | None = None,
    config: RatingDetectorConfig = DEFAULT_RATING_CONFIG,
) -> list[Finding]:
    """Hours in which a point received far more ratings than it usually does at that hour.

    The count is tested against a Poisson law whose mean is the point's usual volume for that
    hour of the week, learnt from the other weeks of the batch (leave-one-out) or supplied.
    """
    findings = []
    for point_id, point_events in _by_point(events).items():
        baseline = _HourlyRates(point_id, point_events, expected_hourly, config)
        for hour_start, bucket in _hour_buckets(point_events).items():
            count = len(bucket)
            if count < config.burst_min_count:
                continue
            expected = baseline.expected(hour_start, observed=count)
            if expected is None:
                continue
            mean = max(expected, config.burst_min_expected)
            p_value = poisson_sf(count, mean)
            if p_value < config.burst_alpha:
                findings.append(
                    _finding(
                        FindingKind.BURST,
                        bucket,
                        statistic=count,
                        p_value=p_value,
                        params={"count": count, "expected": round(expected, 2)},
                        window=(hour_start, hour_start + _HOUR),
                    )
                )
    return _sorted(findings)


def find_device_clusters(
    events: Iterable[RatingEvent], *, config: RatingDetectorConfig = DEFAULT_RATING_CONFIG
) -> list[Finding]:
    """Many ratings from one device hash at one point within ``device_window``."""
    groups: dict[tuple[int, str], list[RatingEvent]] = defaultdict(list)
    for event in _canonical(events):
        if event.device_hash is not None:
            groups[(event.point_id, event.device_hash)].append(event)
    findings = []
    for group in groups.values():
        times = [event.created_at for event in group]
        for first, last, peak in dense_runs(times, config.device_window, config.device_min_count):
            findings.append(
                _finding(
                    FindingKind.DEVICE_CLUSTER,
                    group[first : last + 1],
                    statistic=peak,
                    p_value=None,
                    params={"count": last - first + 1, "hours": _hours(config.device_window)},
                )
            )
    return _sorted(findings)


def find_ip_clusters(
    events: Iterable[RatingEvent], *, config: RatingDetectorConfig = DEFAULT_RATING_CONFIG
) -> list[Finding]:
    """Sessions from one IP hash at one point whose answers are nearly all identical.

    Many devices behind one address (shared Wi-Fi) are normal; what is not is many ratings
    carrying the same answers far more often than the point's own answer shares predict
    (binomial tail). Sessions split where the gap between ratings exceeds ``ip_session_gap``.
    """
    ordered = _canonical(events)
    shares = _SignatureShares(ordered, config.share_prior_weight)
    groups: dict[tuple[int, str], list[RatingEvent]] = defaultdict(list)
    for event in ordered:
        if event.ip_hash is not None:
            groups[(event.point_id, event.ip_hash)].append(event)
    findings = []
    for group in groups.values():
        for session in _sessions(group, config.ip_session_gap):
            finding = _test_ip_session(session, shares, config)
            if finding is not None:
                findings.append(finding)
    return _sorted(findings)


def find_off_hours(
    events: Iterable[RatingEvent],
    opening_hours: Mapping[int, OpeningHours],
    *,
    config: RatingDetectorConfig = DEFAULT_RATING_CONFIG,
) -> list[Finding]:
    """Ratings made while their point was closed (beyond ``opening_tolerance``), per point and day.

    Points missing from ``opening_hours``, or given an empty mapping, are not checked: their
    hours are unknown. A weekday missing from a point's non-empty mapping is a closed day.
    """
    intervals = {
        point_id: _week_intervals(hours, config.opening_tolerance)
        for point_id, hours in opening_hours.items()
        if hours
    }
    per_day: dict[tuple[int, date], list[RatingEvent]] = defaultdict(list)
    for event in _canonical(events):
        point_intervals = intervals.get(event.point_id)
        if point_intervals is not None and not _is_open(event.created_at, point_intervals):
            per_day[(event.point_id, event.created_at.date())].append(event)
    findings = [
        _finding(
            FindingKind.OFF_HOURS,
            group,
            statistic=len(group),
            p_value=None,
            params={"count": len(group), "tolerance_minutes": _minutes(config.opening_tolerance)},
        )
        for group in per_day.values()
    ]
    return _sorted(findings)


def find_too_fast(
    events: Iterable[RatingEvent], *, config: RatingDetectorConfig = DEFAULT_RATING_CONFIG
) -> list[Finding]:
    """Ratings submitted faster than a person can read the survey, per point and day."""
    per_day: dict[tuple[int, date], list[RatingEvent]] = defaultdict(list)
    for event in _canonical(events):
        seconds = event.answered_seconds
        if seconds is not None and seconds < config.min_answer_seconds:
            per_day[(event.point_id, event.created_at.date())].append(event)
    findings = [
        _finding(
            FindingKind.TOO_FAST,
            group,
            statistic=min(e.answered_seconds or 0.0 for e in group),
            p_value=None,
            params={"count": len(group), "min_seconds": config.min_answer_seconds},
        )
        for group in per_day.values()
    ]
    return _sorted(findings)


def find_distribution_shifts(
    events: Iterable[RatingEvent], *, config: RatingDetectorConfig = DEFAULT_RATING_CONFIG
) -> list[Finding]:
    """Windows whose overall ratings are distributed unlike everything before them at the point.

    Windows of ``shift_window`` are tiled backwards from the point's latest rating; each window
    with at least ``shift_min_window`` ratings is compared with its whole past (at least
    ``shift_min_history`` ratings) by a chi-square test of homogeneity, and must also differ
    by a total-variation distance of ``shift_min_distance``. The ratings listed are those in the
    window whose overall rating became more frequent.
    """
    findings = []
    for point_events in _by_point(events).values():
        findings.extend(_point_shifts(point_events, config))
    return _sorted(findings)


def find_copied_comments(
    events: Iterable[RatingEvent], *, config: RatingDetectorConfig = DEFAULT_RATING_CONFIG
) -> list[Finding]:
    """The same comment (after normalisation) ``comment_min_count`` times within a window.

    Copies are counted across all points; each point involved gets its own finding with the
    total number of copies and of points in its parameters.
    """
    by_text: dict[str, list[RatingEvent]] = defaultdict(list)
    for event in _canonical(events):
        if event.comment:
            text = normalize_comment(event.comment)
            if comment_weight(text) >= config.comment_min_weight:
                by_text[text].append(event)
    findings = []
    for group in by_text.values():
        times = [event.created_at for event in group]
        for first, last, _ in dense_runs(times, config.comment_window, config.comment_min_count):
            copies = group[first : last + 1]
            by_point = _by_point(copies)
            for point_copies in by_point.values():
                findings.append(
                    _finding(
                        FindingKind.COPIED_COMMENT,
                        point_copies,
                        statistic=len(copies),
                        p_value=None,
                        params={"copies": len(copies), "points": len(by_point)},
                        window=(copies[0].created_at, copies[-1].created_at),
                    )
                )
    return _sorted(findings)


def find_identical_bursts(
    events: Iterable[RatingEvent],
    *,
    expected_hourly: HourlyBaseline | None = None,
    config: RatingDetectorConfig = DEFAULT_RATING_CONFIG,
) -> list[Finding]:
    """Many ratings with the same answers at one point within ``identical_window``.

    The peak count is tested against a Poisson law whose mean is the point's usual volume at
    that hour of the week times the usual share of those answers at the point.
    """
    findings = []
    window_hours = config.identical_window / _HOUR
    for point_id, point_events in _by_point(events).items():
        baseline = _HourlyRates(point_id, point_events, expected_hourly, config)
        by_signature: dict[tuple[int, ...], list[RatingEvent]] = defaultdict(list)
        for event in point_events:
            by_signature[event.signature].append(event)
        for group in by_signature.values():
            share = len(group) / len(point_events)
            times = [event.created_at for event in group]
            runs = dense_runs(times, config.identical_window, config.identical_min_count)
            for first, last, peak in runs:
                rate = baseline.expected(_hour_floor(times[first]), observed=peak)
                if rate is None:
                    continue
                mean = max(share * rate * window_hours, config.identical_min_expected)
                p_value = poisson_sf(peak, mean)
                if p_value < config.identical_alpha:
                    findings.append(
                        _finding(
                            FindingKind.IDENTICAL_BURST,
                            group[first : last + 1],
                            statistic=peak,
                            p_value=p_value,
                            params={"count": peak, "expected": round(mean, 2)},
                        )
                    )
    return _sorted(findings)


def dense_runs(
    times: Sequence[datetime], window: timedelta, min_count: int
) -> list[tuple[int, int, int]]:
    """Stretches of sorted ``times`` where some ``window`` holds at least ``min_count`` of them.

    Returns (first index, last index, peak count in one window); overlapping windows merge.
    """
    runs: list[tuple[int, int, int]] = []
    left = 0
    for right, moment in enumerate(times):
        while moment - times[left] > window:
            left += 1
        count = right - left + 1
        if count < min_count:
            continue
        if runs and left <= runs[-1][1]:
            first, _, peak = runs[-1]
            runs[-1] = (first, right, max(peak, count))
        else:
            runs.append((left, right, count))
    return runs


def normalize_comment(text: str) -> str:
    """Comparable form of a comment: compatibility-normalised, case-folded, letters and digits."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def comment_weight(normalized: str) -> int:
    """Information weight of a normalised comment: CJK characters count twice."""
    return sum(2 if unicodedata.category(ch) == "Lo" else 1 for ch in normalized)


class _HourlyRates:
    """Expected ratings per hour at one point, by hour of week, learnt from the batch."""

    def __init__(
        self,
        point_id: int,
        point_events: Sequence[RatingEvent],
        supplied: HourlyBaseline | None,
        config: RatingDetectorConfig,
    ) -> None:
        self._point_id = point_id
        self._supplied = supplied or {}
        self._config = config
        buckets = Counter(_hour_floor(event.created_at) for event in point_events)
        self._slot_totals: Counter[int] = Counter()
        for hour_start, count in buckets.items():
            self._slot_totals[_hour_of_week(hour_start)] += count
        self._total = len(point_events)
        self._busy_hours = len(buckets)
        first, last = min(buckets), max(buckets)
        self._first_slot = _hour_of_week(first)
        self._span_hours = int((last - first) / _HOUR) + 1

    def expected(self, hour_start: datetime, *, observed: int) -> float | None:
        """Usual count for that hour, leaving ``observed`` out; ``None`` without a baseline."""
        slot = _hour_of_week(hour_start)
        supplied = self._supplied.get((self._point_id, slot))
        if supplied is not None:
            return supplied
        occurrences = self._slot_occurrences(slot)
        if occurrences > self._config.baseline_min_weeks:
            others = max(0, self._slot_totals[slot] - observed)
            return others / (occurrences - 1)
        # Too short a history for an hour-of-week profile: compare with the point's other
        # busy hours, which overstates the usual volume and so errs on the side of no flag.
        other_hours = self._busy_hours - 1
        if other_hours < self._config.baseline_min_hours:
            return None
        return max(0, self._total - observed) / other_hours

    def _slot_occurrences(self, slot: int) -> int:
        full_weeks, remainder = divmod(self._span_hours, HOURS_PER_WEEK)
        offset = (slot - self._first_slot) % HOURS_PER_WEEK
        return full_weeks + (1 if offset < remainder else 0)


class _SignatureShares:
    """How often each set of answers occurs at each point, smoothed by the city-wide shares."""

    def __init__(self, events: Sequence[RatingEvent], prior_weight: float) -> None:
        self._prior_weight = prior_weight
        self._city = Counter(event.signature for event in events)
        self._city_total = len(events)
        self._points: dict[int, Counter[tuple[int, ...]]] = defaultdict(Counter)
        for event in events:
            self._points[event.point_id][event.signature] += 1

    def share(self, point_id: int, signature: tuple[int, ...], excluding: int, of: int) -> float:
        """Share of ``signature`` at the point, leaving out ``excluding`` of ``of`` ratings."""
        point = self._points[point_id]
        prior = self._city[signature] / self._city_total
        own = point[signature] - excluding
        own_total = point.total() - of
        return (own + self._prior_weight * prior) / (own_total + self._prior_weight)


def _test_ip_session(
    session: Sequence[RatingEvent], shares: _SignatureShares, config: RatingDetectorConfig
) -> Finding | None:
    if len(session) < config.ip_min_count:
        return None
    signature, count = Counter(event.signature for event in session).most_common(1)[0]
    if count / len(session) < config.ip_min_share:
        return None
    point_id = session[0].point_id
    usual_share = shares.share(point_id, signature, excluding=count, of=len(session))
    p_value = binomial_sf(count, len(session), usual_share)
    if p_value >= config.ip_alpha:
        return None
    same = [event for event in session if event.signature == signature]
    return _finding(
        FindingKind.IP_CLUSTER,
        same,
        statistic=count,
        p_value=p_value,
        params={
            "count": count,
            "session": len(session),
            "devices": len({event.device_hash for event in session}),
            "usual_share": round(usual_share, 3),
        },
        window=(session[0].created_at, session[-1].created_at),
    )


def _point_shifts(events: Sequence[RatingEvent], config: RatingDetectorConfig) -> list[Finding]:
    times = [event.created_at for event in events]
    prefix = _category_prefix(events)
    findings = []
    window_end = len(events)
    step = 1
    while True:
        boundary = times[-1] - step * config.shift_window
        window_start = bisect_right(times, boundary)
        if window_start < max(1, config.shift_min_history):
            break
        if window_end - window_start >= config.shift_min_window:
            finding = _test_shift(events, prefix, window_start, window_end, config)
            if finding is not None:
                findings.append(finding)
        window_end = window_start
        step += 1
    return findings


def _test_shift(
    events: Sequence[RatingEvent],
    prefix: list[list[int]],
    start: int,
    end: int,
    config: RatingDetectorConfig,
) -> Finding | None:
    history = prefix[start]
    window = [prefix[end][c] - prefix[start][c] for c in range(5)]
    n_history, n_window = sum(history), sum(window)
    bins = _pooled_bins(history, window, config.shift_min_expected)
    if len(bins) < 2:
        return None
    total = n_history + n_window
    observed, expected = [], []
    for in_history, in_window in bins:
        column = in_history + in_window
        observed += [float(in_history), float(in_window)]
        expected += [column * n_history / total, column * n_window / total]
    statistic = chi_square_statistic(observed, expected)
    p_value = chi_square_sf(statistic, len(bins) - 1)
    distance = 0.5 * sum(abs(window[c] / n_window - history[c] / n_history) for c in range(5))
    if p_value >= config.shift_alpha or distance < config.shift_min_distance:
        return None
    grown = {c + 1 for c in range(5) if window[c] / n_window > history[c] / n_history}
    involved = [event for event in events[start:end] if event.overall in grown]
    return _finding(
        FindingKind.DISTRIBUTION_SHIFT,
        involved,
        statistic=round(distance, 4),
        p_value=p_value,
        params={
            "window": n_window,
            "history": n_history,
            "distance": round(distance, 3),
            "mean_before": round(_mean_rating(history), 2),
            "mean_after": round(_mean_rating(window), 2),
        },
        window=(events[start].created_at, events[end - 1].created_at),
    )


def _pooled_bins(
    history: Sequence[int], window: Sequence[int], min_expected: float
) -> list[tuple[int, int]]:
    """Adjacent rating values pooled until each bin expects ``min_expected`` window ratings.

    The chi-square approximation fails on cells with tiny expectations (a rare "1" would
    otherwise dominate the statistic); ratings are ordinal, so neighbours pool naturally.
    """
    n_history, n_window = sum(history), sum(window)
    bins: list[tuple[int, int]] = []
    pending = (0, 0)
    for in_history, in_window in zip(history, window, strict=True):
        pending = (pending[0] + in_history, pending[1] + in_window)
        column = pending[0] + pending[1]
        if column * n_window / (n_history + n_window) >= min_expected:
            bins.append(pending)
            pending = (0, 0)
    if pending != (0, 0):
        if bins:
            last = bins.pop()
            pending = (last[0] + pending[0], last[1] + pending[1])
        bins.append(pending)
    return bins


def _category_prefix(events: Sequence[RatingEvent]) -> list[list[int]]:
    """prefix[i][c]: how many of the first i events rated c + 1."""
    prefix = [[0] * 5]
    for event in events:
        row = prefix[-1].copy()
        row[event.overall - 1] += 1
        prefix.append(row)
    return prefix


def _mean_rating(counts: Sequence[int]) -> float:
    n = sum(counts)
    return sum((c + 1) * k for c, k in enumerate(counts)) / n if n else math.nan


def _week_intervals(hours: OpeningHours, tolerance: timedelta) -> list[tuple[int, int]]:
    """Opening intervals in minutes of the week, widened by the tolerance."""
    slack = _minutes(tolerance)
    intervals = []
    for weekday, periods in hours.items():
        for opens, closes in periods:
            start = weekday * 24 * 60 + opens.hour * 60 + opens.minute
            end = weekday * 24 * 60 + closes.hour * 60 + closes.minute
            if end <= start:
                end += 24 * 60
            intervals.append((start - slack, end + slack))
    return intervals


def _is_open(moment: datetime, intervals: Sequence[tuple[int, int]]) -> bool:
    minute = moment.weekday() * 24 * 60 + moment.hour * 60 + moment.minute
    # The week is a circle: Sunday night's hours may reach into Monday and back.
    candidates = (minute - MINUTES_PER_WEEK, minute, minute + MINUTES_PER_WEEK)
    return any(start <= m <= end for start, end in intervals for m in candidates)


def _sessions(group: Sequence[RatingEvent], gap: timedelta) -> list[list[RatingEvent]]:
    sessions: list[list[RatingEvent]] = []
    for event in group:
        if sessions and event.created_at - sessions[-1][-1].created_at <= gap:
            sessions[-1].append(event)
        else:
            sessions.append([event])
    return sessions


def _finding(
    kind: FindingKind,
    events: Sequence[RatingEvent],
    *,
    statistic: float,
    p_value: float | None,
    params: dict[str, str | int | float],
    window: tuple[datetime, datetime] | None = None,
) -> Finding:
    start, end = window or (events[0].created_at, events[-1].created_at)
    return Finding(
        kind=kind,
        point_id=events[0].point_id,
        rating_ids=tuple(sorted(event.id for event in events)),
        window_start=start,
        window_end=end,
        statistic=float(statistic),
        p_value=p_value,
        params=params,
    )


def _canonical(events: Iterable[RatingEvent]) -> list[RatingEvent]:
    return sorted(events, key=_EVENT_ORDER)


def _by_point(events: Iterable[RatingEvent]) -> dict[int, list[RatingEvent]]:
    groups: dict[int, list[RatingEvent]] = defaultdict(list)
    for event in _canonical(events):
        groups[event.point_id].append(event)
    return {point_id: groups[point_id] for point_id in sorted(groups)}


def _hour_buckets(events: Iterable[RatingEvent]) -> dict[datetime, list[RatingEvent]]:
    buckets: dict[datetime, list[RatingEvent]] = defaultdict(list)
    for event in events:
        buckets[_hour_floor(event.created_at)].append(event)
    return buckets


def _hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _hour_of_week(moment: datetime) -> int:
    return moment.weekday() * 24 + moment.hour


def _hours(span: timedelta) -> float:
    return span / _HOUR


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


def _sorted(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)
