"""A citizen in Chromium on a phone: decoded QR → open → rate → thank-you → follow-up page."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Playwright

from citizenvoice.extensions import db
from citizenvoice.surveys.qr import point_url, qr_png
from tests.browser.harness import (
    ConsoleCollector,
    launch_chromium,
    playwright_session,
    save_screenshot,
    serve_app,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with playwright_session() as pw:
        yield pw


def decode_qr(png: bytes, tmp_path: Path) -> str:
    """What a phone's camera reads from the printed code (zbarimg from zbar-tools)."""
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg (Debian package zbar-tools) is not installed")
    path = tmp_path / "qr.png"
    path.write_bytes(png)
    result = subprocess.run(
        ["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_citizen_rates_from_a_scanned_qr_code(
    app: Flask, point: Any, playwright: Playwright, tmp_path: Path, javascript: bool
) -> None:
    from citizenvoice.surveys.models import Rating

    app.config["SURVEY_MIN_SECONDS"] = 0  # a test types faster than a person reads
    token, unit_name = point.token, point.unit.name
    db.session.commit()  # end the test's read transaction before the server writes
    with serve_app(app) as base_url, launch_chromium(playwright, javascript) as context:
        app.config["BASE_URL"] = base_url
        scanned = decode_qr(qr_png(point_url(base_url, token)), tmp_path)
        assert scanned == point_url(base_url, token) and f"/S/{token}" in scanned
        page = context.new_page()
        console = ConsoleCollector(page)
        response = page.goto(scanned)
        assert response is not None and response.status == 200
        assert page.locator("h1").inner_text() == unit_name
        width = page.evaluate("document.documentElement.scrollWidth") if javascript else 390
        assert width <= 390  # no sideways scrolling on the phone
        page.locator("fieldset").first.get_by_text("Satisfied", exact=True).click()
        page.locator('fieldset:has(legend:text("waiting time")) label.opt').nth(3).click()
        page.get_by_label("Anything you would like to tell the unit? (optional)").fill(
            "Clear answers. My phone is 13800138000."
        )
        save_screenshot(page, f"survey-form-{'js' if javascript else 'nojs'}")
        page.get_by_role("button", name="Send my rating").click()
        page.wait_for_selector("#thanks")
        code = page.locator("#follow-up-code").inner_text()
        assert len(code) == 16
        page.locator("#follow-up-link").click()
        page.wait_for_selector("#status")
        text = page.locator("main").inner_text()
        assert "Clear answers." in text and "[phone]" in text and "13800138000" not in text
        save_screenshot(page, f"survey-follow-up-{'js' if javascript else 'nojs'}")
        assert console.csp_violations == []
        assert console.errors == []
    db.session.rollback()
    rating = db.session.query(Rating).one()
    assert rating.overall == 4 and rating.is_counted and rating.follow_up_code == code
    assert [a.value for a in rating.answers] == [2]
