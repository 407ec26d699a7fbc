"""Integrity analytics: run the pure detectors over stored data and keep what they find.

The scan is idempotent. Every finding is identified by a fingerprint (its kind, place and the
records involved) and stored once; a rating finding whose kind has a matching flag kind flags
its ratings through the surveys service (skipping ratings that already carry a flag of that
kind), and a figure finding becomes an inspection candidate. Nothing is ever deleted: a person
clears a flag, the scan never does.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from citizenvoice.core.db import utcnow
from citizenvoice.core.errors import NotFound
from citizenvoice.extensions import db
from citizenvoice.indicators.models import Cycle, IndicatorNode, SelfReportedFigure
from citizenvoice.integrity.detectors import FigureFinding, Finding, FindingKind
from citizenvoice.integrity.detectors_figures import (
    FigureValue,
    ScoreComparison,
    find_score_divergences,
    run_figure_detectors,
)
from citizenvoice.integrity.detectors_ratings import (
    OpeningHours,
    RatingEvent,
    run_rating_detectors,
)
from citizenvoice.integrity.models import FindingSubject, StoredFinding
from citizenvoice.org.models import ServicePoint, Unit
from citizenvoice.scoring.models import UnitResult
from citizenvoice.surveys import services as surveys
from citizenvoice.surveys.models import FlagKind, Question, Rating, RatingAnswer, RatingFlag

DEFAULT_DAYS = 30
#: Ratings are stored in UTC; opening hours are local wall-clock times of the city.
DEFAULT_UTC_OFFSET_HOURS = 8
#: Detector kinds that have a flag kind of the same meaning in the surveys domain.
FLAG_KINDS: dict[FindingKind, FlagKind] = {
    FindingKind.BURST: FlagKind.BURST,
    FindingKind.IDENTICAL_BURST: FlagKind.BURST,
    FindingKind.TOO_FAST: FlagKind.TOO_FAST,
    FindingKind.DEVICE_CLUSTER: FlagKind.DUPLICATE_DEVICE,
}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class ScanReport:
    """What one scan looked at and what it added."""

    ratings_scanned: int
    figures_scanned: int
    findings_seen: int
    findings_added: int
    flags_added: int
    candidates_added: int


# ---- fingerprints and storage --------------------------------------------------------------


def fingerprint(parts: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of what identifies a finding."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _exists(digest: str) -> bool:
    return (
        db.session.scalar(select(StoredFinding.id).where(StoredFinding.fingerprint == digest))
        is not None
    )


def _params(params: Mapping[str, Any]) -> str:
    return json.dumps(dict(params), sort_keys=True, default=str)


# ---- ratings -------------------------------------------------------------------------------


def opening_hours_of(text: str) -> dict[int, list[tuple[time, time]]]:
    """The detectors' form of a point's stored hours (``{"mon": [["08:30", "12:00"]]}``)."""
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    hours: dict[int, list[tuple[time, time]]] = {}
    for index, day in enumerate(_DAYS):
        ranges = data.get(day) or [] if isinstance(data, dict) else []
        hours[index] = [(_clock(start), _clock(end)) for start, end in ranges]
    return hours


def _clock(text: str) -> time:
    hour, minute = (int(part) for part in text.split(":"))
    # 24:00 closes at midnight: a close at or before the opening runs past midnight.
    return time(0, 0) if hour == 24 else time(hour, minute)


def rating_events(since: datetime, utc_offset_hours: float) -> list[RatingEvent]:
    """Ratings created since ``since`` as detector events, in the city's local time."""
    shift = timedelta(hours=utc_offset_hours)
    rows = db.session.execute(
        select(
            Rating.id, Rating.service_point_id, Rating.created_at, Rating.overall,
            Rating.device_hash, Rating.ip_hash, Rating.comment, Rating.answered_seconds,
        ).where(Rating.created_at >= since)
    ).all()  # fmt: skip
    answers: dict[int, list[int]] = defaultdict(list)
    answer_rows = db.session.execute(
        select(RatingAnswer.rating_id, RatingAnswer.value)
        .join(Question, Question.id == RatingAnswer.question_id)
        .join(Rating, Rating.id == RatingAnswer.rating_id)
        .where(Rating.created_at >= since)
        .order_by(RatingAnswer.rating_id, Question.position, Question.id)
    )
    for rating_id, value in answer_rows:
        answers[rating_id].append(int(value))
    return [
        RatingEvent(
            id=row.id, point_id=row.service_point_id, created_at=row.created_at + shift,
            overall=row.overall, device_hash=row.device_hash, ip_hash=row.ip_hash,
            comment=row.comment, answered_seconds=row.answered_seconds,
            answers=tuple(answers.get(row.id, ())),
        )
        for row in rows
    ]  # fmt: skip


def _point_hours(point_ids: Iterable[int]) -> dict[int, OpeningHours]:
    ids = sorted(set(point_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(ServicePoint.id, ServicePoint.opening_hours).where(ServicePoint.id.in_(ids))
    )
    hours: dict[int, OpeningHours] = {}
    for point_id, text in rows:
        parsed = opening_hours_of(text)
        if any(parsed.values()):
            hours[point_id] = parsed
    return hours


def _point_units(point_ids: set[int]) -> dict[int, int]:
    if not point_ids:
        return {}
    query = select(ServicePoint.id, ServicePoint.unit_id).where(ServicePoint.id.in_(point_ids))
    return {int(p): int(u) for p, u in db.session.execute(query)}


def _flag_ratings(finding: Finding, flag_kind: FlagKind) -> int:
    already = set(
        db.session.scalars(
            select(RatingFlag.rating_id).where(
                RatingFlag.rating_id.in_(finding.rating_ids), RatingFlag.kind == flag_kind
            )
        )
    )
    added = 0
    reason = f"integrity scan: {finding.kind.value}"
    for rating in db.session.scalars(select(Rating).where(Rating.id.in_(finding.rating_ids))):
        if rating.id not in already:
            surveys.add_flag(rating, flag_kind, reason=reason)
            added += 1
    return added


def store_rating_finding(
    finding: Finding, units: Mapping[int, int], shift: timedelta
) -> int | None:
    """Store a rating finding once; returns the flags it added, or None when already stored."""
    digest = fingerprint(
        {"kind": finding.kind.value, "point": finding.point_id, "ratings": finding.rating_ids}
    )
    if _exists(digest):
        return None
    flag_kind = FLAG_KINDS.get(finding.kind)
    flags = _flag_ratings(finding, flag_kind) if flag_kind else 0
    db.session.add(
        StoredFinding(
            fingerprint=digest, kind=finding.kind.value, subject=FindingSubject.RATINGS,
            unit_id=units.get(finding.point_id), service_point_id=finding.point_id,
            record_ids_json=json.dumps(list(finding.rating_ids)),
            statistic=float(finding.statistic), p_value=finding.p_value,
            params_json=_params(finding.params),
            window_start=_naive(finding.window_start) - shift,
            window_end=_naive(finding.window_end) - shift, flags_created=flags,
        )
    )  # fmt: skip
    db.session.flush()
    return flags


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


# ---- figures -------------------------------------------------------------------------------


def _figure_inputs() -> tuple[list[FigureValue], dict[int, SelfReportedFigure], set[int]]:
    """Current figures of every cycle; an indicator is followed across cycles by its code."""
    rows = db.session.execute(
        select(
            SelfReportedFigure,
            IndicatorNode.code,
            IndicatorNode.unit_of_measure,
            Cycle.period_start,
        )
        .join(IndicatorNode, IndicatorNode.id == SelfReportedFigure.indicator_id)
        .join(Cycle, Cycle.id == SelfReportedFigure.cycle_id)
        .where(SelfReportedFigure.is_superseded.is_(False))
        .order_by(SelfReportedFigure.id)
    ).all()
    first_ids = select(IndicatorNode.code, func.min(IndicatorNode.id)).group_by(IndicatorNode.code)
    code_ids = {str(code): int(i) for code, i in db.session.execute(first_ids)}
    values: list[FigureValue] = []
    by_id: dict[int, SelfReportedFigure] = {}
    amounts: set[int] = set()
    for figure, code, measure, period in rows:
        series_id = int(code_ids[code])
        values.append(
            FigureValue(figure.id, figure.unit_id, series_id, period, float(figure.value))
        )
        by_id[figure.id] = figure
        if measure.strip() and "%" not in measure:
            amounts.add(series_id)
    return values, by_id, amounts


def _comparisons(cycle_id: int) -> list[ScoreComparison]:
    rows = db.session.scalars(
        select(UnitResult)
        .where(
            UnitResult.cycle_id == cycle_id,
            UnitResult.internal_score.is_not(None),
            UnitResult.citizen_index.is_not(None),
        )
        .order_by(UnitResult.unit_id)
    )
    comparisons = []
    for row in rows:
        se = None
        if row.citizen_lower is not None and row.citizen_upper is not None:
            se = (row.citizen_upper - row.citizen_lower) / (2 * 1.96)
        comparisons.append(
            ScoreComparison(
                unit_id=row.unit_id, reported_score=float(row.internal_score or 0),
                citizen_index=float(row.citizen_index or 0), citizen_ratings=row.ratings_used,
                citizen_se=se, source="internal",
            )
        )  # fmt: skip
    return comparisons


def _found_by_unit_first(unit_id: int | None, cycle_id: int | None, node_id: int | None) -> bool:
    """The unit's improvement plan named this indicator's problem before the scan found it."""
    from citizenvoice.casework.services import was_self_identified

    if unit_id is None or cycle_id is None or node_id is None:
        return False
    return was_self_identified(unit_id, cycle_id, node_id, utcnow())


def store_figure_finding(
    finding: FigureFinding, figures: Mapping[int, SelfReportedFigure], cycle_id: int | None
) -> bool:
    """Store a figure finding once as an inspection candidate; False when already stored."""
    first = figures.get(finding.figure_ids[0]) if finding.figure_ids else None
    cycle_id = first.cycle_id if first is not None else cycle_id
    unit_id = finding.unit_id
    if unit_id is None and first is not None:
        unit_id = first.unit_id
    digest = fingerprint(
        {
            "kind": finding.kind.value, "unit": finding.unit_id, "cycle": cycle_id,
            "indicator": finding.indicator_id, "period": finding.period,
            "figures": finding.figure_ids, "params": None if finding.figure_ids else finding.params,
        }
    )  # fmt: skip
    if _exists(digest):
        return False
    indicator_id = first.indicator_id if first is not None and finding.indicator_id else None
    db.session.add(
        StoredFinding(
            fingerprint=digest, kind=finding.kind.value, subject=FindingSubject.FIGURES,
            unit_id=unit_id,
            cycle_id=cycle_id,
            indicator_id=indicator_id,
            is_self_identified=_found_by_unit_first(unit_id, cycle_id, indicator_id),
            record_ids_json=json.dumps(list(finding.figure_ids)),
            statistic=float(finding.statistic), p_value=finding.p_value,
            params_json=_params(finding.params), is_inspection_candidate=True,
        )
    )  # fmt: skip
    db.session.flush()
    return True


# ---- the scan ------------------------------------------------------------------------------


def scan(
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
    utc_offset_hours: float = DEFAULT_UTC_OFFSET_HOURS,
) -> ScanReport:
    """Run every detector over the last ``days`` of ratings and all current figures (flushes)."""
    now = now or utcnow()
    shift = timedelta(hours=utc_offset_hours)
    events = rating_events(now - timedelta(days=days), utc_offset_hours)
    point_ids = {event.point_id for event in events}
    units = _point_units(point_ids)
    rating_findings = run_rating_detectors(events, opening_hours=_point_hours(point_ids))
    added = flags = candidates = 0
    for finding in rating_findings:
        result = store_rating_finding(finding, units, shift)
        if result is not None:
            added, flags = added + 1, flags + result
    values, figures, amounts = _figure_inputs()
    figure_findings: list[tuple[FigureFinding, int | None]] = [
        (f, None) for f in run_figure_detectors(values, amount_indicators=amounts)
    ]
    for cycle in db.session.scalars(select(Cycle.id).order_by(Cycle.id)):
        figure_findings.extend((f, cycle) for f in find_score_divergences(_comparisons(cycle)))
    for figure_finding, finding_cycle in figure_findings:
        if store_figure_finding(figure_finding, figures, finding_cycle):
            added, candidates = added + 1, candidates + 1
    return ScanReport(
        ratings_scanned=len(events), figures_scanned=len(values),
        findings_seen=len(rating_findings) + len(figure_findings),
        findings_added=added, flags_added=flags, candidates_added=candidates,
    )  # fmt: skip


# ---- reading -------------------------------------------------------------------------------


def findings(
    kind: str | None = None,
    subject: FindingSubject | None = None,
    candidates_only: bool = False,
    limit: int = 200,
) -> list[StoredFinding]:
    """Stored findings, newest first."""
    query = select(StoredFinding).order_by(StoredFinding.id.desc()).limit(limit)
    if kind:
        query = query.where(StoredFinding.kind == kind)
    if subject is not None:
        query = query.where(StoredFinding.subject == subject)
    if candidates_only:
        query = query.where(StoredFinding.is_inspection_candidate.is_(True))
    return list(db.session.scalars(query))


def get_finding(finding_id: int) -> StoredFinding:
    finding = db.session.get(StoredFinding, finding_id)
    if finding is None:
        raise NotFound()
    return finding


def units_of(stored: Sequence[StoredFinding]) -> dict[int, Unit]:
    """Unit id → unit, for the findings' table (one query, none in the template)."""
    ids = {f.unit_id for f in stored if f.unit_id is not None}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))}


def counts_by_kind() -> dict[str, int]:
    rows = db.session.execute(
        select(StoredFinding.kind, func.count(StoredFinding.id)).group_by(StoredFinding.kind)
    )
    return {kind: int(count) for kind, count in rows}


def findings_for_units(
    unit_ids: Sequence[int], since: datetime | None = None
) -> list[StoredFinding]:
    """Findings about these units (for risk-based inspection picks)."""
    if not unit_ids:
        return []
    query = select(StoredFinding).where(StoredFinding.unit_id.in_(list(unit_ids)))
    if since is not None:
        query = query.where(StoredFinding.created_at >= since)
    return list(db.session.scalars(query.order_by(StoredFinding.id)))
