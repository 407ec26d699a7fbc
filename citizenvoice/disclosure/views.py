"""Public dashboards and pages: /units/…, /points/…, methodology, publication record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from citizenvoice.disclosure import breakdowns, charts, services
from citizenvoice.disclosure.api import conditional, dumps
from citizenvoice.disclosure.labels import (
    DIRECTION_LABELS,
    FUNNEL_LABELS,
    GRADE_LABELS,
    LEVEL_LABELS,
    NOTE_LABELS,
    SOURCE_LABELS,
    WEEKDAY_LABELS,
)
from citizenvoice.org.models import ServicePoint, Unit
from citizenvoice.scoring.engine import DEFAULT_GRADE_BANDS
from citizenvoice.scoring.stats import DEFAULT_MIN_SAMPLE, FunnelUnit, funnel_plot

bp = Blueprint("disclosure", __name__)


@bp.app_context_processor
def _chart_settings() -> dict[str, Any]:
    from citizenvoice.disclosure.plotly_css import MAPLIBRE_STYLE_ID

    return {"maplibre_style_id": MAPLIBRE_STYLE_ID}


COMMENTS_PER_PAGE = 20
MAX_PAGE = 10_000
#: Months shown on the unit and service point pages.
MONTHS_SHOWN = 24
#: Public replies ("you said, we did") shown on the unit and service point pages.
REPLIES_SHOWN = 10


def current_lang() -> str:
    return str(get_locale() or "en")[:2]


def min_sample() -> int:
    return int(current_app.config.get("MIN_SAMPLE", DEFAULT_MIN_SAMPLE))


def city_utc_offset() -> int:
    """Whole hours east of UTC of the city's local time, for busy hours (0: shown in UTC).

    The city's offset is the one the integrity detectors use (``INTEGRITY_UTC_OFFSET_HOURS``);
    an offset that is not a whole number of hours cannot shift hourly counts, so those show UTC.
    """
    from citizenvoice.integrity.services import DEFAULT_UTC_OFFSET_HOURS

    raw = current_app.config.get("INTEGRITY_UTC_OFFSET_HOURS", DEFAULT_UTC_OFFSET_HOURS)
    try:
        offset = float(raw)
    except (TypeError, ValueError):
        return 0
    return int(offset) if offset.is_integer() and -12 <= offset <= 14 else 0


def _page() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        abort(404)
    return int(raw)


def _active_unit_or_404(code: str) -> Unit:
    unit = services.active_unit(code)
    if unit is None:
        abort(404)
    return unit


def _active_point_or_404(code: str) -> ServicePoint:
    point = services.active_point(code)
    if point is None:
        abort(404)
    return point


def _common() -> dict[str, Any]:
    return {
        "grade_labels": GRADE_LABELS,
        "level_labels": LEVEL_LABELS,
        "source_labels": SOURCE_LABELS,
        "note_labels": NOTE_LABELS,
        "funnel_labels": FUNNEL_LABELS,
        "direction_labels": DIRECTION_LABELS,
        "min_sample": min_sample(),
    }


def _month_rows(months: list[services.Period]) -> list[Any]:
    """Each month shown with its satisfaction index (the table and the chart)."""
    return [(m, m.index(min_sample())) for m in months]


def _month_chart(rows: list[Any], title: str) -> charts.Figure:
    return charts.interval_series(
        [charts.Point(m.key, i.value, i.lower, i.upper, m.n) for m, i in rows],
        title=title,
        y_title=_("Satisfaction index (0–100)"),
        x_title=_("Month"),
        hover_n=_("ratings"),
    )


def _level_chart(total: services.Period, title: str) -> dict[str, Any]:
    return charts.bars(
        [str(label) for label in LEVEL_LABELS],
        list(total.levels),
        title=title,
        y_title=_("Ratings"),
    )


def _months_window(days: list[Any]) -> list[services.Period]:
    return services.monthly(days)[-MONTHS_SHOWN:]


@bp.route("/units/")
def units() -> Any:
    """Every active unit as a tree."""
    from sqlalchemy import select

    from citizenvoice.extensions import db

    rows = list(
        db.session.scalars(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.name))
    )
    children: dict[int | None, list[Unit]] = {}
    ids = {u.id for u in rows}
    for unit in rows:
        parent = unit.parent_id if unit.parent_id in ids else None
        children.setdefault(parent, []).append(unit)
    return render_template("disclosure/units.html", children=children)


@dataclass(frozen=True)
class PageCharts:
    """The rows of a page's tables, and how to build its chart figures from them: only its
    charts.json builds the figures, the page itself shows the tables."""

    rows: dict[str, Any]
    build: Callable[[], dict[str, charts.Figure]]

    @property
    def figures(self) -> dict[str, charts.Figure]:
        return self.build()


def chart_json(figures: dict[str, charts.Figure], *, is_public: bool = True) -> Response:
    """``{"charts": {name: figure}}`` as JSON, with an ETag (304 on If-None-Match)."""
    response = Response(dumps({"charts": figures}), mimetype="application/json")
    # Figure titles follow the language, which may come from the cookie or the browser.
    response.vary.update(("Accept-Language", "Cookie"))
    return conditional(response, "public, max-age=60" if is_public else "no-store")


def _window_total(days: list[Any], months: list[services.Period]) -> services.Period:
    """All the counted ratings of the months shown."""
    since = months[0].key if months else ""
    return services.total_levels([d for d in days if f"{d[0]:%Y-%m}" >= since])


def _trend_chart(trend: list[services.CycleResult]) -> charts.Figure:
    return charts.interval_series(
        [
            charts.Point(
                r.cycle.display_name(current_lang()),
                r.result.get("total"),
                r.result.get("lower"),
                r.result.get("upper"),
                r.result.get("ratings_used"),
            )
            for r in trend
        ],
        title=_("Total score over cycles"),
        y_title=_("Score (0–100)"),
        hover_n=_("ratings"),
    )


def unit_figures(
    unit: Unit, cycles: list[services.PublishedCycle], points: list[int]
) -> PageCharts:
    """The unit page's charts: the trend over cycles, the months shown, answers by level."""
    trend = services.unit_trend(unit, cycles)
    days = services.daily_rollups(points)
    months = _months_window(days)
    month_rows = _month_rows(months)
    total = _window_total(days, months)
    rows = {
        "trend": trend,
        "month_rows": month_rows,
        "total": total,
        "month_keys": [m.key for m in months],
    }
    return PageCharts(
        rows,
        lambda: {
            "trend": _trend_chart(trend),
            "months": _month_chart(month_rows, _("Citizen satisfaction by month")),
            "levels": _level_chart(total, _("Answers by level")),
        },
    )


@bp.route("/units/<code>")
def unit(code: str) -> Any:
    unit = _active_unit_or_404(code)
    cycles = services.published_cycles()
    subtree = services.subtree_ids(unit.id)
    points = services.point_ids(subtree)
    built = unit_figures(unit, cycles, points)
    trend = built.rows["trend"]
    current = trend[-1] if trend else None
    lines: list[services.IndicatorLine] = []
    if current is not None:
        published = next(c for c in cycles if c.cycle.id == current.cycle.id)
        lines = services.indicator_lines(current.cycle, published.data, unit)
    month_keys = built.rows["month_keys"]
    since = date.fromisoformat(month_keys[0] + "-01") if month_keys else None
    return render_template(
        "disclosure/unit.html",
        unit=unit,
        current=current,
        lines=lines,
        corrections=services.unit_corrections(unit, cycles),
        dimensions=breakdowns.dimensions(points, since),
        closed_loop=_closed_loop(subtree),
        replies=services.replied_comments(subtree, REPLIES_SHOWN),
        own_points=[p for p in unit.service_points if p.is_active],
        sub_units=sorted((u for u in unit.children if u.is_active), key=lambda u: u.name),
        **built.rows,
        **_common(),
    )


@bp.route("/units/<code>/charts.json")
def unit_charts(code: str) -> Any:
    """The unit page's chart figures as JSON (static/js/charts.js draws them)."""
    unit = _active_unit_or_404(code)
    points = services.point_ids(services.subtree_ids(unit.id))
    return chart_json(unit_figures(unit, services.published_cycles(), points).figures)


def _closed_loop(subtree: set[int]) -> dict[str, Any]:
    """The unit's case figures and improvement commitments (casework)."""
    from citizenvoice.casework import services as casework

    return {"figures": casework.figures(subtree), "plans": casework.public_plans(subtree)}


@bp.route("/units/<code>/comments")
def unit_comments(code: str) -> Any:
    unit = _active_unit_or_404(code)
    page = _page()
    points = services.point_ids(services.subtree_ids(unit.id))
    comments, more = services.public_comments(
        points, COMMENTS_PER_PAGE, (page - 1) * COMMENTS_PER_PAGE
    )
    return render_template(
        "disclosure/comments.html",
        owner=unit,
        back=("disclosure.unit", unit.code),
        comments=comments,
        page=page,
        more=more,
        **_common(),
    )


def point_figures(point: ServicePoint) -> PageCharts:
    """The service point page's charts: the months shown, answers by level, busy hours."""
    days = services.daily_rollups([point.id])
    months = _months_window(days)
    month_rows = _month_rows(months)
    total = _window_total(days, months)
    busy = breakdowns.busy_hours(point.id, city_utc_offset())
    labels = [f"{h:02d}:00–{h + 1:02d}:00" for h in busy.hours]
    grid = [[busy.count(day, hour) for day in range(1, 8)] for hour in busy.hours]
    rows = {
        "month_rows": month_rows,
        "total": total,
        "busy": busy,
        "busy_rows": list(zip(labels, grid, strict=True)),
    }
    return PageCharts(
        rows,
        lambda: {
            "months": _month_chart(month_rows, _("Ratings over time")),
            "levels": _level_chart(total, _("Distribution of answers")),
            "hours": charts.heatmap(
                [str(label) for label in WEEKDAY_LABELS],
                labels,
                grid,
                title=_("Ratings by hour of the week"),
                hover_n=_("ratings"),
            ),
        },
    )


@bp.route("/points/<code>")
def point(code: str) -> Any:
    point = _active_point_or_404(code)
    return render_template(
        "disclosure/point.html",
        point=point,
        **point_figures(point).rows,
        weekday_labels=WEEKDAY_LABELS,
        replies=services.replied_comments([point.unit_id], REPLIES_SHOWN, point_id=point.id),
        **_common(),
    )


@bp.route("/points/<code>/charts.json")
def point_charts(code: str) -> Any:
    """The service point page's chart figures as JSON."""
    return chart_json(point_figures(_active_point_or_404(code)).figures)


@bp.route("/points/<code>/comments")
def point_comments(code: str) -> Any:
    point = _active_point_or_404(code)
    page = _page()
    comments, more = services.public_comments(
        [point.id], COMMENTS_PER_PAGE, (page - 1) * COMMENTS_PER_PAGE
    )
    return render_template(
        "disclosure/comments.html",
        owner=point,
        back=("disclosure.point", point.code),
        comments=comments,
        page=page,
        more=more,
        **_common(),
    )


@bp.route("/search")
def search() -> Any:
    term = request.args.get("q", "", type=str)[: services.SEARCH_MAX]
    results = services.search(term)
    return render_template("disclosure/search.html", term=term, results=results)


def _cycle_or_404() -> services.PublishedCycle | None:
    """The published cycle ``?cycle=`` names, or the latest; 404 for any other code."""
    code = request.args.get("cycle", "", type=str)
    published = services.published_cycle(code)
    if code and published is None:
        abort(404)
    return published


def _unit_names(published: services.PublishedCycle) -> dict[str, str]:
    """Each unit's name in the snapshot, in the language of the request."""
    return {
        u["code"]: (u.get("name_zh") if current_lang() == "zh" and u.get("name_zh") else u["name"])
        for u in published.data.get("units", [])
    }


def _funnel_chart(points: list[Any], mean: float | None, curve: list[Any]) -> charts.Figure:
    """``points`` are (funnel point, unit name) in the order shown."""
    return charts.funnel(
        [charts.FunnelEntry(name, p.value, p.n, p.classification) for p, name in points],
        mean,
        [
            {
                "n": c.n,
                "lower_95": c.lower_95,
                "upper_95": c.upper_95,
                "lower_998": c.lower_998,
                "upper_998": c.upper_998,
            }
            for c in curve
        ],
        title=_("Citizen satisfaction index against the number of ratings"),
        x_title=_("Ratings (log scale)"),
        y_title=_("Satisfaction index (0–100)"),
        limit_names={
            "95": _("95% limits"),
            "998": _("99.8% limits"),
            "mean": _("Overall mean"),
        },
    )


def compare_figures(published: services.PublishedCycle | None) -> PageCharts:
    """The compare page's funnel plot of a published cycle (nothing when none is published)."""
    if published is None:
        return PageCharts({"points": [], "plot": None}, dict)
    units = published.data.get("units", [])
    names = _unit_names(published)
    plot = funnel_plot(
        [
            FunnelUnit(u["code"], u.get("citizen_index"), int(u.get("ratings_used") or 0))
            for u in units
        ]
    )
    points = [
        (p, names.get(p.key, p.key))
        for p in sorted(plot.points, key=lambda p: names.get(p.key, p.key))
    ]
    return PageCharts(
        {"points": points, "plot": plot},
        lambda: {"funnel": _funnel_chart(points, plot.mean, list(plot.curve))},
    )


@bp.route("/compare")
def compare() -> Any:
    """Units against the overall mean on a funnel plot: never a ranking."""
    published = _cycle_or_404()
    return render_template(
        "disclosure/compare.html",
        published=published,
        cycles=services.published_cycles(),
        **compare_figures(published).rows,
        **_common(),
    )


@bp.route("/compare/charts.json")
def compare_charts() -> Any:
    """The compare page's funnel plot as JSON; an unknown or unpublished cycle is a 404."""
    return chart_json(compare_figures(_cycle_or_404()).figures)


@bp.route("/methodology")
def methodology() -> Any:
    published = _cycle_or_404()
    lines: list[services.IndicatorLine] = []
    if published is not None:
        lines = services.indicator_lines(published.cycle, published.data)
    bands = current_app.config.get("GRADE_BANDS") or {
        b.code: b.min_score for b in DEFAULT_GRADE_BANDS
    }
    if not isinstance(bands, dict):
        bands = dict(bands)
    return render_template(
        "disclosure/methodology.html",
        published=published,
        cycles=services.published_cycles(),
        lines=lines,
        bands=sorted(bands.items(), key=lambda kv: -float(kv[1])),
        margin=current_app.config.get("DIVERGENCE_MARGIN", 15.0),
        **_common(),
    )


@bp.route("/publications")
def publications() -> Any:
    records, head = services.publication_record()
    return render_template("disclosure/publications.html", records=records, head=head)
