"""Public pages and the dashboard in Debian's Chromium: charts with JS, tables without, 0 CSP.

With JavaScript the charts are drawn from each page's charts.json, fetched once; without it, or
when that fetch fails, the tables beside the charts say the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Playwright

from citizenvoice.extensions import db
from tests.browser.harness import (
    DESKTOP,
    ConsoleCollector,
    launch_browser,
    new_context,
    playwright_session,
    save_screenshot,
    serve_app,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with playwright_session() as pw:
        yield pw


@contextmanager
def _js_context(app: Flask, playwright: Playwright) -> Iterator[tuple[str, BrowserContext]]:
    """(the served app's base URL, a desktop browser context with JavaScript)."""
    browser = launch_browser(playwright)
    try:
        with serve_app(app) as base:
            context = new_context(browser, javascript_enabled=True, viewport=DESKTOP)
            yield base, context
            context.close()
    finally:
        browser.close()


def _pages(published: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(name, path, charts expected) of the public pages with charts."""
    return [
        ("unit", "/units/bureau", 3),
        ("point", f"/points/{published['point'].code}", 3),
        ("compare", "/compare", 1),
        ("home", "/", 0),
        ("methodology", "/methodology", 0),
        ("publications", "/publications", 0),
    ]


def test_public_pages_draw_charts_with_js_and_tables_without(
    app: Flask, published: dict[str, Any], playwright: Playwright
) -> None:
    browser = launch_browser(playwright)
    try:
        with serve_app(app) as base:
            for js in (True, False):
                context = new_context(browser, javascript_enabled=js, viewport=DESKTOP)
                page = context.new_page()
                console = ConsoleCollector(page)
                elsewhere: list[str] = []
                fetched: list[str] = []
                page.on(
                    "request",
                    lambda r, seen=elsewhere: (
                        None if r.url.startswith(base) else seen.append(r.url)
                    ),
                )
                page.on(
                    "requestfinished",
                    lambda r, seen=fetched: seen.append(r.url) if "/charts.json" in r.url else None,
                )
                for name, path, expected in _pages(published):
                    fetched.clear()
                    page.goto(base + path)
                    if js and expected:
                        page.wait_for_selector(".chart.chart-drawn", timeout=20_000)
                        page.wait_for_function(
                            f"document.querySelectorAll('.chart.chart-drawn').length >= {expected}",
                            timeout=20_000,
                        )
                        assert page.locator(".chart svg.main-svg").count() >= expected
                        # One fetch of the page's charts.json serves all its charts.
                        assert len(fetched) == 1 and path.split("?")[0] in fetched[0], fetched
                    else:
                        assert page.locator(".chart.chart-drawn").count() == 0
                        assert fetched == []
                    # The table equivalent is always there.
                    if expected:
                        assert page.locator("table.data").count() >= expected
                        assert page.locator("table.data").first.is_visible()
                    save_screenshot(page, f"disclosure-{name}-{'js' if js else 'nojs'}")
                assert console.csp_violations == [], console.csp_violations
                assert console.errors == [], console.errors
                assert elsewhere == [], elsewhere  # nothing loaded from another host
                context.close()
    finally:
        browser.close()


def test_a_failed_chart_fetch_leaves_the_tables(
    app: Flask, published: dict[str, Any], playwright: Playwright
) -> None:
    with _js_context(app, playwright) as (base, context):
        context.route("**/charts.json*", lambda route: route.fulfill(status=503, body="{}"))
        page = context.new_page()
        console = ConsoleCollector(page)
        with page.expect_response(lambda r: "/charts.json" in r.url) as answer:
            page.goto(base + "/units/bureau")
        assert answer.value.status == 503
        page.wait_for_load_state("networkidle")
        assert page.locator(".chart").count() == 3
        assert page.locator(".chart.chart-drawn").count() == 0
        assert page.locator(".chart svg").count() == 0
        assert page.locator(".chart-block table.data").first.is_visible()
        assert console.csp_violations == [], console.csp_violations
        assert console.page_errors == [], console.page_errors


def test_dashboard_draws_progress_chart(
    app: Flask,
    make_user: Any,
    published: dict[str, Any],
    playwright: Playwright,
    make_cycle: Any,
    make_node: Any,
) -> None:
    from citizenvoice.accounts.models import Role
    from citizenvoice.indicators.models import CycleState, DataSource

    cycle = make_cycle(
        "2026-q4",
        CycleState.COLLECTING,
        units=[published["unit"]],
        period_start=published["cycle"].period_start,
        period_end=published["cycle"].period_end.replace(month=12, day=31),
    )
    make_node(
        cycle, source=DataSource.CITIZEN_RATING, code="sat", name="Satisfaction", target_value=90.0
    )
    official = make_user(Role.UNIT_OFFICIAL, published["unit"], "dash-official")
    username = official.username
    db.session.commit()  # end the test's read transaction so that the server can write
    with _js_context(app, playwright) as (base, context):
        page = context.new_page()
        console = ConsoleCollector(page)
        page.goto(base + "/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        with page.expect_response(lambda r: "/charts.json" in r.url) as answer:
            page.goto(base + "/manage/dashboard/units/bureau")
        assert answer.value.status == 200
        assert "/manage/dashboard/units/bureau/charts.json" in answer.value.url
        page.wait_for_selector(".chart.chart-drawn", timeout=20_000)
        save_screenshot(page, "disclosure-dashboard-js")
        assert console.csp_violations == [], console.csp_violations
        assert console.errors == [], console.errors
