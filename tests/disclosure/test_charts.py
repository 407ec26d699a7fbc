"""Pure chart builders, the progress projection and the plotly stylesheet (no app, no database)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from citizenvoice.disclosure import charts, monitoring, plotly_css

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "static" / "vendor" / "plotly" / "plotly.min.js"
PAYLOAD = "<img src=x onerror=alert(1)>"


def test_texts_are_escaped_for_plotly() -> None:
    figure = charts.funnel(
        [
            charts.FunnelEntry(PAYLOAD, 80.0, 40, "within"),
            charts.FunnelEntry("b", None, 0, "insufficient"),
        ],
        80.0,
        [{"n": 40, "lower_95": 70, "upper_95": 90, "lower_998": 60, "upper_998": 95}],
        title=PAYLOAD,
        x_title=PAYLOAD,
        y_title="y",
        limit_names={"95": PAYLOAD},
    )
    text = json.dumps(figure)
    assert "<img" not in text and "&lt;img" in text
    markers = figure["data"][-1]
    assert markers["text"] == [
        "&lt;img src=x onerror=alert(1)&gt;"
    ]  # the unit without data is left out


def test_interval_series_error_bars() -> None:
    figure = charts.interval_series(
        [charts.Point("a", 80.0, 70.0, 85.0, 40), charts.Point("b", None)], title="t", y_title="y"
    )
    bars = figure["data"][0]["error_y"]
    assert bars["array"] == [5.0, None] and bars["arrayminus"] == [10.0, None]
    assert figure["layout"]["yaxis"]["range"] == [0, 100]


def test_bars_need_matching_lengths() -> None:
    with pytest.raises(ValueError):
        charts.bars(["a"], [1, 2], title="t", y_title="y")


def test_progress_chart_has_target_and_projection() -> None:
    figure = charts.progress(
        ["w1", "w2"],
        [80.0, 78.0],
        85.0,
        ("w2", "end", 78.0, 74.0),
        title="t",
        y_title="y",
        target_name="Target",
        projection_name="Projection",
    )
    assert figure["layout"]["shapes"][0]["y0"] == 85.0
    assert figure["data"][1]["y"] == [78.0, 74.0]


START = date(2026, 1, 1)
END = date(2026, 3, 31)


def _days(weeks: list[tuple[int, list[int]]]) -> list[tuple[date, list[int]]]:
    return [(START + timedelta(days=7 * w + 2), levels) for w, levels in weeks]


def test_steady_ratings_on_target_are_on_track() -> None:
    data = _days([(w, [20, 10, 0, 0, 0]) for w in range(6)])
    progress = monitoring.project(data, START, END, START + timedelta(days=44), 85.0)
    assert progress.status == monitoring.ON_TRACK
    assert progress.value == pytest.approx(100 * 20 / 30 + 75 * 10 / 30)
    assert progress.projected_value == pytest.approx(progress.value)
    assert progress.projected_n == round(180 / 45 * 90)
    assert progress.elapsed == 0.5


def test_a_falling_trend_gives_an_early_warning() -> None:
    data = _days(
        [
            (0, [30, 0, 0, 0, 0]),
            (1, [20, 10, 0, 0, 0]),
            (2, [10, 20, 0, 0, 0]),
            (3, [0, 30, 0, 0, 0]),
            (4, [0, 20, 10, 0, 0]),
        ]
    )
    progress = monitoring.project(data, START, END, START + timedelta(days=34), 80.0)
    assert progress.value is not None and progress.value > 80
    assert progress.projected_value is not None and progress.projected_value < 80
    assert progress.status == monitoring.AT_RISK


def test_clearly_below_and_insufficient_and_no_target() -> None:
    low = _days([(0, [0, 0, 40, 0, 0])])
    assert monitoring.project(low, START, END, START + timedelta(days=6), 90.0).status == "below"
    few = _days([(0, [5, 0, 0, 0, 0])])
    progress = monitoring.project(few, START, END, START + timedelta(days=6), 90.0)
    assert progress.status == monitoring.INSUFFICIENT and progress.projected_value is None
    assert monitoring.project(low, START, END, START, None).status == monitoring.NO_TARGET


def test_before_the_period_and_after_it() -> None:
    before = monitoring.project([], START, END, START - timedelta(days=3), 80.0)
    assert before.elapsed == 0 and before.weeks == ()
    data = _days([(w, [30, 0, 0, 0, 0]) for w in range(13)])
    after = monitoring.project(data, START, END, END + timedelta(days=30), 80.0)
    assert after.elapsed == 1 and after.projected_n == after.n
    with pytest.raises(ValueError):
        monitoring.project([], END, START, START, 80.0)


def test_the_plotly_stylesheet_matches_the_bundle() -> None:
    bundle = BUNDLE.read_text(encoding="utf-8")
    stylesheet = (BUNDLE.parent / "plotly.css").read_text(encoding="utf-8")
    assert stylesheet == plotly_css.stylesheet(bundle)
    assert ".js-plotly-plot .plotly .modebar{" in stylesheet
    # The ids plotly checks before injecting a <style> at load are all present on our pages.
    assert plotly_css.injected_style_ids(bundle) == [plotly_css.MAPLIBRE_STYLE_ID]


def test_no_inline_script_or_style_in_disclosure_templates() -> None:
    for path in (ROOT / "templates" / "disclosure").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert " style=" not in text, path
        assert "<script>" not in text, path
        for tag in text.split("<script")[1:]:
            assert tag.lstrip().startswith("src="), path  # figures come from charts.json


def test_heatmap_grid_matches_its_labels_and_is_escaped() -> None:
    figure = charts.heatmap(
        ["Mon", "<b>Tue</b>"], ["09:00", "10:00"], [[1, 0], [2, 3]], title="Busy", hover_n="ratings"
    )
    trace = figure["data"][0]
    assert trace["z"] == [[1, 0], [2, 3]] and trace["y"] == ["09:00", "10:00"]
    assert trace["x"][1] == "&lt;b&gt;Tue&lt;/b&gt;"
    assert trace["showscale"] is False  # the colour bar would set style attributes (CSP)
    with pytest.raises(ValueError):
        charts.heatmap(["Mon"], ["09:00"], [[1, 2]], title="Busy", hover_n="ratings")
