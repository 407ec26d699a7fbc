"""Chart data builders: plain data in, plotly figure dicts (``{"data": …, "layout": …}``) out.

Pure: no Flask, no database. Labels arrive already translated. Every text that plotly may show
(names in hover texts, tick labels, titles) is HTML-escaped here, because plotly renders a
small subset of HTML in its texts. The pages' ``charts.json`` routes serve the result with
``api.dumps``, which escapes ``<``, ``>`` and ``&`` once more.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ACCENT = "#1f5f8b"
MUTED = "#8a8f98"
WARN = "#b3541e"
GOOD = "#2e7d32"

Figure = dict[str, Any]


def esc(text: object) -> str:
    """Escape a text for plotly (which understands a few HTML tags and entities)."""
    return html.escape(str(text), quote=True)


def _layout(title: str, y_title: str, x_title: str = "", **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": esc(title)},
        "margin": {"l": 56, "r": 16, "t": 48, "b": 48},
        "height": 320,
        "xaxis": {"title": {"text": esc(x_title)}},
        "yaxis": {"title": {"text": esc(y_title)}},
        "showlegend": False,
        "hovermode": "closest",
    }
    layout.update(extra)
    return layout


def _error_y(
    values: Sequence[float | None], lowers: Sequence[float | None], uppers: Sequence[float | None]
) -> dict[str, Any]:
    plus = [
        None if v is None or u is None else round(u - v, 3)
        for v, u in zip(values, uppers, strict=True)
    ]
    minus = [
        None if v is None or lo is None else round(v - lo, 3)
        for v, lo in zip(values, lowers, strict=True)
    ]
    return {"type": "data", "array": plus, "arrayminus": minus, "visible": True, "color": MUTED}


@dataclass(frozen=True)
class Point:
    """One x position with a value and an optional 95% interval."""

    label: str
    value: float | None
    lower: float | None = None
    upper: float | None = None
    n: int | None = None


def interval_series(
    points: Sequence[Point], *, title: str, y_title: str, x_title: str = "", hover_n: str = "n"
) -> Figure:
    """Values with their 95% intervals as error bars (a trend, months), on a 0–100 axis."""
    values = [None if p.value is None else round(p.value, 2) for p in points]
    texts = [
        esc(f"{p.label}: {hover_n} = {p.n}") if p.n is not None else esc(p.label) for p in points
    ]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": [esc(p.label) for p in points],
                "y": values,
                "error_y": _error_y(
                    values,
                    [p.lower for p in points],
                    [p.upper for p in points],
                ),
                "text": texts,
                "hovertemplate": "%{text}<br>%{y:.1f}<extra></extra>",
                "line": {"color": ACCENT},
                "connectgaps": False,
            }
        ],
        "layout": _layout(
            title,
            y_title,
            x_title,
            yaxis={"title": {"text": esc(y_title)}, "range": [0, 100]},
            xaxis={"title": {"text": esc(x_title)}, "type": "category"},
        ),
    }


def bars(
    labels: Sequence[str],
    counts: Sequence[int],
    *,
    title: str,
    y_title: str,
    x_title: str = "",
    colors: Sequence[str] | None = None,
) -> Figure:
    """A plain bar chart of counts (answers by level, ratings by weekday)."""
    if len(labels) != len(counts):
        raise ValueError("labels and counts differ in length")
    bar: dict[str, Any] = {
        "type": "bar",
        "x": [esc(label) for label in labels],
        "y": list(counts),
        "hovertemplate": "%{x}: %{y}<extra></extra>",
        "marker": {"color": list(colors) if colors else ACCENT},
    }
    return {
        "data": [bar],
        "layout": _layout(
            title, y_title, x_title, xaxis={"title": {"text": esc(x_title)}, "type": "category"}
        ),
    }


def heatmap(
    columns: Sequence[str],
    rows: Sequence[str],
    counts: Sequence[Sequence[int]],
    *,
    title: str,
    hover_n: str,
) -> Figure:
    """Counts in a grid (busy hours: weekdays across, hours down), ``counts[row][column]``."""
    if len(counts) != len(rows) or any(len(line) != len(columns) for line in counts):
        raise ValueError("the grid does not match its labels")
    return {
        "data": [
            {
                "type": "heatmap",
                "x": [esc(c) for c in columns],
                "y": [esc(r) for r in rows],
                "z": [list(line) for line in counts],
                "colorscale": [[0, "#f4f6f8"], [1, ACCENT]],
                "zmin": 0,
                # plotly's colour bar sets style attributes, which the CSP refuses; the
                # counts are in the hover texts and in the table beside the chart.
                "showscale": False,
                "xgap": 2,
                "ygap": 2,
                "hovertemplate": "%{x} %{y}: %{z} " + esc(hover_n) + "<extra></extra>",
            }
        ],
        "layout": _layout(
            title,
            "",
            height=max(240, 60 + 22 * len(rows)),
            margin={"l": 104, "r": 16, "t": 48, "b": 48},  # room for "09:00–10:00"
            xaxis={"type": "category"},
            yaxis={"type": "category", "autorange": "reversed"},
        ),
    }


@dataclass(frozen=True)
class FunnelEntry:
    """A unit on the funnel: its label for hover texts and its plotted figures."""

    label: str
    value: float | None
    n: int
    classification: str


def funnel(
    entries: Sequence[FunnelEntry],
    mean: float | None,
    curve: Sequence[Mapping[str, float]],
    *,
    title: str,
    x_title: str,
    y_title: str,
    limit_names: Mapping[str, str],
) -> Figure:
    """Units' index against their number of ratings with 95% and 99.8% control limits.

    ``curve`` rows carry ``n``, ``lower_95``, ``upper_95``, ``lower_998`` and ``upper_998``.
    Units keep the order they come in (by name): the chart compares, it does not rank.
    """
    usable = [e for e in entries if e.value is not None and e.n >= 1]
    colours = {"above": GOOD, "below": WARN}
    data: list[dict[str, Any]] = []
    xs = [row["n"] for row in curve]
    for key, dash in (("95", "dash"), ("998", "dot")):
        for side in ("lower", "upper"):
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": xs,
                    "y": [round(row[f"{side}_{key}"], 3) for row in curve],
                    "line": {"color": MUTED, "dash": dash, "width": 1},
                    "hoverinfo": "skip",
                    "name": esc(limit_names.get(key, key)),
                }
            )
    if mean is not None and xs:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [min(xs), max(xs)],
                "y": [round(mean, 3), round(mean, 3)],
                "line": {"color": MUTED, "width": 1},
                "hoverinfo": "skip",
                "name": esc(limit_names.get("mean", "mean")),
            }
        )
    data.append(
        {
            "type": "scatter",
            "mode": "markers",
            "x": [e.n for e in usable],
            "y": [round(e.value or 0.0, 2) for e in usable],
            "text": [esc(e.label) for e in usable],
            "hovertemplate": "%{text}<br>%{y:.1f} (n = %{x})<extra></extra>",
            "marker": {
                "size": 9,
                "color": [colours.get(e.classification, ACCENT) for e in usable],
            },
        }
    )
    layout = _layout(title, y_title, x_title)
    layout["xaxis"] = {"title": {"text": esc(x_title)}, "type": "log"}
    layout["height"] = 420
    return {"data": data, "layout": layout}


def progress(
    labels: Sequence[str],
    values: Sequence[float | None],
    target: float | None,
    projection: tuple[str, str, float, float] | None,
    *,
    title: str,
    y_title: str,
    target_name: str,
    projection_name: str,
) -> Figure:
    """An indicator's cumulative value so far (by week, ISO dates), its target and the projection.

    ``projection`` is (from label, to label, from value, projected value).
    """
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": [esc(label) for label in labels],
            "y": [None if v is None else round(v, 2) for v in values],
            "line": {"color": ACCENT},
            "hovertemplate": "%{x}: %{y:.1f}<extra></extra>",
        }
    ]
    if projection is not None:
        start, end, start_value, end_value = projection
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [esc(start), esc(end)],
                "y": [round(start_value, 2), round(end_value, 2)],
                "line": {"color": WARN, "dash": "dash"},
                "name": esc(projection_name),
                "hovertemplate": "%{x}: %{y:.1f}<extra></extra>",
            }
        )
    shapes = []
    if target is not None:
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": target,
                "y1": target,
                "line": {"color": GOOD, "dash": "dot"},
            }
        )
    layout = _layout(
        title,
        y_title,
        "",
        shapes=shapes,
        yaxis={"title": {"text": esc(y_title)}, "range": [0, 100]},
        xaxis={"type": "date"},
    )
    if target is not None:
        layout["annotations"] = [
            {
                "xref": "paper",
                "x": 1,
                "y": target,
                "text": esc(f"{target_name} {target:g}"),
                "showarrow": False,
                "yanchor": "bottom",
                "xanchor": "right",
            }
        ]
    return {"data": data, "layout": layout}
