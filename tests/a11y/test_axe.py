"""Accessibility of the public pages: axe-core in Debian's Chromium, 0 serious or critical.

axe-core (MPL-2.0, Deque Systems) comes from the ``axe_playwright_python`` wheel, which ships
``axe.min.js``; we only use that file. Our CSP forbids inline scripts, so the test app serves the
file from its own origin at ``/__axe.js`` (a route registered on the test's app instance only) and
the page loads it with ``page.add_script_tag(url=...)``. Screenshots go to ``tests/artifacts``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response
from playwright.sync_api import Page, Playwright

from citizenvoice.extensions import db
from tests.browser.harness import (
    ConsoleCollector,
    launch_chromium,
    playwright_session,
    save_screenshot,
    serve_app,
)
from tests.test_role_matrix import build_world

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}


def axe_source() -> str:
    try:
        import axe_playwright_python
    except ImportError:
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail("axe-playwright-python (ships axe.min.js) must be installed under CI")
        pytest.skip("axe-playwright-python is not installed")
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with playwright_session() as pw:
        yield pw


def run_axe(page: Page, base_url: str) -> list[dict[str, Any]]:
    page.add_script_tag(url=f"{base_url}/__axe.js")
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
            }));
        }"""
    )


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_public_pages_have_no_serious_axe_violations(
    app: Flask,
    make_unit: Any,
    make_point: Any,
    make_user: Any,
    playwright: Playwright,
    viewport: str,
) -> None:
    from tests.browser.harness import DESKTOP, PHONE

    source = axe_source()

    @app.route("/__axe.js")
    def _axe() -> Response:
        return Response(source, mimetype="text/javascript")

    app.config["SURVEY_MIN_SECONDS"] = 0
    world = build_world(make_unit, make_point, make_user)
    pages = {
        "home": "/",
        "survey": f"/s/{world.point_a.token}",
        "tip-new": "/tips/new",
        "unit": f"/units/{world.unit_a.code}",
        "point": f"/points/{world.point_a.code}",
        "compare": "/compare",
        "methodology": "/methodology",
    }
    db.session.commit()  # end the test's transaction before the server writes; no ORM use after
    failures: list[str] = []
    found: list[str] = []
    size = PHONE if viewport == "phone" else DESKTOP
    with serve_app(app) as base_url, launch_chromium(playwright, viewport=size) as context:
        page = context.new_page()
        console = ConsoleCollector(page)
        for name, path in pages.items():
            response = page.goto(base_url + path)
            assert response is not None and response.status == 200, (path, response)
            save_screenshot(page, f"a11y-{viewport}-{name}")
            for v in run_axe(page, base_url):
                found.append(f"{name}: {v['impact']} {v['id']}")
                if v["impact"] in BLOCKING:
                    failures.append(
                        f"{path}: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}"
                    )
        # The thank-you page, reached the way a citizen does.
        page.goto(base_url + pages["survey"])
        page.locator("fieldset").first.locator("label").first.click()
        page.locator("form button[type=submit]").last.click()
        page.wait_for_selector("#thanks")
        save_screenshot(page, f"a11y-{viewport}-thanks")
        for v in run_axe(page, base_url):
            found.append(f"thanks: {v['impact']} {v['id']}")
            if v["impact"] in BLOCKING:
                failures.append(f"thanks: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}")
        assert console.csp_violations == []
    print("\naxe findings (all impacts):", found or "none")
    assert not failures, "\n".join(failures)
