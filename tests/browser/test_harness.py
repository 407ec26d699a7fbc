"""The browser harness itself, against a tiny Flask app under a strict CSP."""

from __future__ import annotations

import io
from collections.abc import Iterator

import png
import pytest
from flask import Flask, Response, request
from markupsafe import escape
from playwright.sync_api import Playwright, expect

from .harness import (
    ARTIFACTS_DIR,
    DESKTOP,
    ConsoleCollector,
    launch_chromium,
    playwright_session,
    save_screenshot,
    serve_app,
)

pytestmark = pytest.mark.browser

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>{head}</head>
<body>{body}</body></html>"""


def make_app() -> Flask:
    app = Flask(__name__)

    @app.after_request
    def strict_csp(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = "default-src 'self'"
        return response

    @app.get("/")
    def form() -> str:
        body = (
            '<p id="js-status">no script ran</p>'
            '<form method="post" action="/rate">'
            '<label>Score <input name="score" inputmode="numeric"></label>'
            '<button type="submit">Rate</button></form>'
        )
        return PAGE.format(title="Rate", head='<script src="/app.js" defer></script>', body=body)

    @app.post("/rate")
    def rate() -> str:
        body = f'<p id="result">Thank you: {escape(request.form["score"])} stars</p>'
        return PAGE.format(title="Thanks", head="", body=body)

    @app.get("/app.js")
    def own_script() -> Response:
        script = 'document.getElementById("js-status").textContent = "own script ran";'
        return Response(script, mimetype="text/javascript")

    @app.get("/inline")
    def inline_script() -> str:
        return PAGE.format(
            title="untouched", head="", body="<script>document.title = 'inline ran';</script>"
        )

    @app.get("/boom")
    def failing_script() -> str:
        return PAGE.format(title="Boom", head='<script src="/boom.js"></script>', body="")

    @app.get("/boom.js")
    def boom_js() -> Response:
        return Response('throw new Error("boom from own script");', mimetype="text/javascript")

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status=204)

    return app


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with playwright_session() as session:
        yield session


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_app(make_app()) as url:
        yield url


@pytest.mark.parametrize(
    ("javascript_enabled", "js_status"),
    [(True, "own script ran"), (False, "no script ran")],
    ids=["js-on", "js-off"],
)
def test_form_submits_with_and_without_javascript(
    playwright: Playwright, base_url: str, javascript_enabled: bool, js_status: str
) -> None:
    with launch_chromium(playwright, javascript_enabled=javascript_enabled) as context:
        page = context.new_page()
        console = ConsoleCollector(page)
        page.goto(f"{base_url}/")
        expect(page.locator("#js-status")).to_have_text(js_status)
        page.get_by_label("Score").fill("4 <b>")
        page.get_by_role("button", name="Rate").click()
        expect(page.locator("#result")).to_have_text("Thank you: 4 <b> stars")
        assert page.url == f"{base_url}/rate"
        assert console.csp_violations == []
        assert console.errors == []


def test_inline_script_under_strict_csp_is_one_recorded_violation(
    playwright: Playwright, base_url: str
) -> None:
    with launch_chromium(playwright) as context:
        page = context.new_page()
        console = ConsoleCollector(page)
        page.goto(f"{base_url}/inline")
        assert page.title() == "untouched"  # the browser really blocked the script
        assert len(console.csp_violations) == 1
        # Chromium's wording changes between releases; these words have stayed.
        assert "inline script" in console.csp_violations[0]
        assert "Content Security Policy" in console.csp_violations[0]


def test_collector_records_uncaught_errors(playwright: Playwright, base_url: str) -> None:
    with launch_chromium(playwright) as context:
        page = context.new_page()
        console = ConsoleCollector(page)
        page.goto(f"{base_url}/boom")
        page.wait_for_load_state("load")
        assert console.page_errors == ["boom from own script"]
        assert console.csp_violations == []


def test_phone_screenshot_is_saved_at_device_resolution(
    playwright: Playwright, base_url: str
) -> None:
    with launch_chromium(playwright) as context:
        page = context.new_page()
        page.goto(f"{base_url}/")
        path = save_screenshot(page, "harness phone/form")
    assert path == ARTIFACTS_DIR / "harness-phone-form.png"
    width, height, _, _ = png.Reader(bytes=path.read_bytes()).read()
    assert (width, height) == (390 * 3, 844 * 3)


def test_desktop_preset_sets_the_viewport(playwright: Playwright, base_url: str) -> None:
    with launch_chromium(playwright, viewport=DESKTOP) as context:
        page = context.new_page()
        page.goto(f"{base_url}/")
        assert page.evaluate("[window.innerWidth, window.innerHeight]") == [1366, 768]
        screenshot = page.screenshot()
    width, _, _, _ = png.Reader(file=io.BytesIO(screenshot)).read()
    assert width == 1366
