"""A unit's own dashboard and early warnings (/manage/dashboard).

Process monitoring for the current, unpublished cycle: the live figures of the unit and its
sub-units from the rollups, each citizen-rated indicator's progress toward its target with a
projection to the cycle end, and alerts (overdue cases, flagged ratings, divergence). Unit
officials see their unit and its sub-units only (anything else is 404); managers and
administrators see every unit. The progress charts come from ``/units/<code>/charts.json``
under the same rules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import staff_blueprint
from citizenvoice.core.db import utcnow
from citizenvoice.core.staff_menu import MenuItem, register
from citizenvoice.disclosure import charts, monitoring
from citizenvoice.disclosure import services as disclosure
from citizenvoice.disclosure.labels import LEVEL_LABELS, SOURCE_LABELS, STATUS_LABELS
from citizenvoice.disclosure.views import chart_json, current_lang, min_sample
from citizenvoice.extensions import db
from citizenvoice.indicators.models import (
    Cycle,
    CycleState,
    CycleUnit,
    DataSource,
    Direction,
    IndicatorNode,
    NodeKind,
    TargetOverride,
)
from citizenvoice.org.models import Service, Unit
from citizenvoice.org.services import descendant_ids
from citizenvoice.scoring.models import Publication, UnitResult
from citizenvoice.surveys.models import FlagStatus, Rating, RatingFlag

bp = staff_blueprint("dashboard_manage", __name__, "/manage/dashboard", set(Role))

register(
    MenuItem(
        "dashboard_manage.index",
        _l("Performance dashboard"),
        _l("Live figures of the current cycle, progress toward targets and early warnings."),
        frozenset({Role.ADMIN, Role.MANAGER, Role.UNIT_OFFICIAL}),
    )
)

#: Cycle states in which figures are still being gathered and not yet published.
LIVE_STATES = (CycleState.COLLECTING, CycleState.EVALUATING, CycleState.REVIEWING)


def scope() -> set[int] | None:
    """Unit ids the current user may watch; None means every unit."""
    if current_user.role in (Role.ADMIN, Role.MANAGER):
        return None
    if current_user.role is Role.UNIT_OFFICIAL and current_user.unit_id:
        return descendant_ids(current_user.unit_id)
    return set()


def _unit_or_404(code: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    allowed = scope()
    if unit is None or (allowed is not None and unit.id not in allowed):
        abort(404)
    return unit


def live_cycles(unit_id: int) -> list[Cycle]:
    """Cycles the unit takes part in that are collecting or being evaluated, not yet published."""
    published = select(Publication.cycle_id)
    query = (
        select(Cycle)
        .join(CycleUnit, CycleUnit.cycle_id == Cycle.id)
        .where(
            CycleUnit.unit_id == unit_id,
            Cycle.state.in_(LIVE_STATES),
            Cycle.id.not_in(published),
        )
        .order_by(Cycle.period_start.desc(), Cycle.id)
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class IndicatorProgress:
    node: IndicatorNode
    progress: monitoring.Progress | None
    figure: dict[str, Any] | None
    note: str

    @property
    def chart_name(self) -> str:
        """The name of the chart in the dashboard's charts.json (codes are unique in a cycle)."""
        return f"progress-{self.node.code}"


def progress_figures(indicators: list[IndicatorProgress]) -> dict[str, charts.Figure]:
    """The dashboard's progress charts by name, as the page lists them."""
    return {item.chart_name: item.figure for item in indicators if item.figure is not None}


def _progress_figure(
    node: IndicatorNode, progress: monitoring.Progress, cycle: Cycle, lang: str
) -> dict[str, Any]:
    labels = [w.start.isoformat() for w in progress.weeks]
    projection = None
    if progress.projected_value is not None and progress.weeks and progress.value is not None:
        last = progress.weeks[-1].cumulative
        projection = (
            labels[-1],
            cycle.period_end.isoformat(),
            last if last is not None else progress.value,
            progress.projected_value,
        )
    return charts.progress(
        labels,
        [w.cumulative for w in progress.weeks],
        progress.target,
        projection,
        title=node.display_name(lang),
        y_title=_("Satisfaction index (0–100)"),
        target_name=_("Target"),
        projection_name=_("Projection"),
    )


def indicator_progress(
    unit: Unit, cycle: Cycle, points: list[int], lang: str
) -> list[IndicatorProgress]:
    nodes = db.session.scalars(
        select(IndicatorNode)
        .where(
            IndicatorNode.cycle_id == cycle.id,
            IndicatorNode.kind == NodeKind.INDICATOR,
            IndicatorNode.data_source == DataSource.CITIZEN_RATING,
            (IndicatorNode.unit_id.is_(None)) | (IndicatorNode.unit_id == unit.id),
        )
        .order_by(IndicatorNode.position, IndicatorNode.code)
    )
    overrides = {
        o.indicator_id: o.target_value
        for o in db.session.scalars(select(TargetOverride).where(TargetOverride.unit_id == unit.id))
    }
    today = utcnow().date()
    found = []
    for node in nodes:
        if node.survey_dimension:
            found.append(
                IndicatorProgress(
                    node,
                    None,
                    None,
                    _("Ratings by survey dimension are not in the daily rollups yet."),
                )
            )
            continue
        chosen = points
        if node.service_point_id is not None:
            chosen = [p for p in points if p == node.service_point_id]
        service_key = None
        if node.service_code:
            service_key = (
                db.session.scalar(select(Service.id).where(Service.code == node.service_code)) or -1
            )
        days = disclosure.daily_rollups(chosen, cycle.period_start, cycle.period_end, service_key)
        progress = monitoring.project(
            [(d, levels) for d, levels, _v in days],
            cycle.period_start,
            cycle.period_end,
            today,
            overrides.get(node.id, node.target_value),
            higher_is_better=node.direction is not Direction.LOWER,
            min_sample=min_sample(),
        )
        found.append(
            IndicatorProgress(node, progress, _progress_figure(node, progress, cycle, lang), "")
        )
    return found


def flag_counts(points: list[int], cycle: Cycle) -> dict[str, int]:
    """Flags on the period's ratings at these points, by status (staff-only page)."""
    if not points:
        return {}
    start = cycle.period_start
    end = cycle.period_end + timedelta(days=1)
    query = (
        select(RatingFlag.status, func.count(func.distinct(RatingFlag.rating_id)))
        .join(Rating, Rating.id == RatingFlag.rating_id)
        .where(
            Rating.service_point_id.in_(points),
            Rating.created_at >= start,
            Rating.created_at < end,
        )
        .group_by(RatingFlag.status)
    )
    return {FlagStatus(status).value: int(n) for status, n in db.session.execute(query)}


def overdue_cases(unit_ids: set[int]) -> int:
    """Cases of these units past a deadline today (``casework.services.is_overdue`` in SQL)."""
    from sqlalchemy import and_, or_

    from citizenvoice.casework.models import Case, CaseStatus
    from citizenvoice.casework.services import OPEN_STATES, today

    on = today()
    late = or_(
        and_(Case.status == CaseStatus.OPEN, Case.acknowledge_due < on),
        and_(Case.status.in_(list(OPEN_STATES)), Case.resolve_due < on),
    )
    query = select(func.count(Case.id)).where(Case.unit_id.in_(unit_ids or {-1}), late)
    return int(db.session.scalar(query) or 0)


@bp.get("/")
def index() -> Any:
    allowed = scope()
    query = select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.name)
    if allowed is not None:
        query = query.where(Unit.id.in_(allowed or {-1}))
    return render_template("disclosure/manage/index.html", units=list(db.session.scalars(query)))


def _chosen_cycle(unit: Unit) -> tuple[list[Cycle], Cycle | None]:
    """The unit's live cycles and the one asked for (``?cycle=``; the latest by default)."""
    cycles = live_cycles(unit.id)
    wanted = request.args.get("cycle", "", type=str)
    if not wanted:
        return cycles, cycles[0] if cycles else None
    cycle = next((c for c in cycles if c.code == wanted), None)
    if cycle is None:
        abort(404)
    return cycles, cycle


#: Columns of the live figures download, in order (stable names, like the open data's).
LIVE_CSV_COLUMNS = (
    "day",
    "ratings",
    "with_ticket",
    "very_satisfied",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
    "very_dissatisfied",
)


@bp.get("/units/<code>/live.csv")
def unit_live_csv(code: str) -> Any:
    """The live cycle's counted ratings per day for the unit and its sub-units, as CSV."""
    import csv
    import io

    from flask import Response

    unit = _unit_or_404(code)
    _cycles, cycle = _chosen_cycle(unit)
    if cycle is None:
        abort(404)
    points = disclosure.point_ids(disclosure.subtree_ids(unit.id))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LIVE_CSV_COLUMNS)
    for day, levels, verified in disclosure.daily_rollups(
        points, cycle.period_start, cycle.period_end
    ):
        writer.writerow([day.isoformat(), sum(levels), verified, *levels])
    name = f"{unit.code}-{cycle.code}-live.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/units/<code>")
def unit(code: str) -> Any:
    unit = _unit_or_404(code)
    lang = current_lang()
    cycles, cycle = _chosen_cycle(unit)
    context: dict[str, Any] = {"unit": unit, "cycles": cycles, "cycle": cycle}
    if cycle is not None:
        subtree = disclosure.subtree_ids(unit.id)
        points = disclosure.point_ids(subtree)
        days = disclosure.daily_rollups(points, cycle.period_start, cycle.period_end)
        overall = monitoring.project(
            [(d, lv) for d, lv, _v in days],
            cycle.period_start,
            cycle.period_end,
            utcnow().date(),
            None,
            min_sample=min_sample(),
        )
        result = db.session.get(UnitResult, (cycle.id, unit.id))
        divergence = None
        if result is not None:
            details = json.loads(result.details_json or "{}")
            divergence = details.get("divergence")
        sub_rows = []
        for child in sorted((c for c in unit.children if c.is_active), key=lambda c: c.name):
            child_days = disclosure.daily_rollups(
                disclosure.point_ids(disclosure.subtree_ids(child.id)),
                cycle.period_start,
                cycle.period_end,
            )
            total = disclosure.total_levels(child_days)
            sub_rows.append((child, total, total.index(min_sample())))
        context.update(
            overall=overall,
            levels=disclosure.total_levels(days),
            indicators=indicator_progress(unit, cycle, points, lang),
            flags=flag_counts(points, cycle),
            overdue=overdue_cases(subtree),
            result=result,
            divergence=divergence,
            sub_rows=sub_rows,
        )
    return render_template(
        "disclosure/manage/unit.html",
        status_labels=STATUS_LABELS,
        level_labels=LEVEL_LABELS,
        source_labels=SOURCE_LABELS,
        **context,
    )


@bp.get("/units/<code>/charts.json")
def unit_charts(code: str) -> Any:
    """The dashboard's progress charts as JSON: the page's scope, unknown or refused is 404."""
    unit = _unit_or_404(code)
    _cycles, cycle = _chosen_cycle(unit)
    if cycle is None:
        return chart_json({}, is_public=False)
    points = disclosure.point_ids(disclosure.subtree_ids(unit.id))
    indicators = indicator_progress(unit, cycle, points, current_lang())
    return chart_json(progress_figures(indicators), is_public=False)
