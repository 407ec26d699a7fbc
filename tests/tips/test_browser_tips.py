"""In Chromium with JavaScript off: report, keep the receipt, follow up, read the answer."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Playwright, expect

from citizenvoice.accounts.models import Role, User
from citizenvoice.extensions import db
from citizenvoice.tips import services
from citizenvoice.tips.models import Tip
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


def test_report_follow_up_and_read_the_answer_without_javascript(
    app: Any,
    playwright: Playwright,
    make_unit: Any,
    make_user: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    unit = make_unit(name="Housing Bureau")
    investigator = make_user(Role.INSPECTOR, make_unit())
    unit_id, investigator_id = unit.id, investigator.id
    db.session.commit()  # end this thread's transaction: the served app writes to the database
    app.config["WTF_CSRF_ENABLED"] = True  # the real forms, with their anti-forgery tokens
    with serve_app(app) as base_url, launch_chromium(playwright, javascript_enabled=False) as ctx:
        page = ctx.new_page()
        console = ConsoleCollector(page)
        page.goto(f"{base_url}/tips/new")
        page.select_option("#unit", str(unit_id))
        page.fill("#figure", "permits on time: 98%")
        page.fill("#body", "Late permit files are re-entered with a new date to reset the clock.")
        page.click("button[type=submit]")
        receipt = page.inner_text("#receipt").strip()
        assert re.fullmatch(r"([A-Z2-7]{4}-){7}[A-Z2-7]{4}", receipt)
        save_screenshot(page, "tips-receipt")

        tip = db.session.scalar(db.select(Tip))
        assert tip is not None
        tip_id = tip.id
        services.send_message(tip, db.session.get(User, investigator_id), "Which months?")
        db.session.commit()

        page.goto(f"{base_url}/tips/follow-up")
        page.fill("#receipt", receipt.lower().replace("-", " "))
        page.click("button[type=submit]")
        expect(page.locator("main")).to_contain_text("Which months?")
        page.fill("#body", "May and June.")
        page.click("form[action$='/tips/follow-up/reply'] button[type=submit]")
        expect(page.locator("main")).to_contain_text("Your message was sent.")
        expect(page.locator("main")).to_contain_text("May and June.")
        save_screenshot(page, "tips-follow-up")
        assert console.csp_violations == []
        cookies = ctx.cookies()
        assert all(c["sameSite"] == "Strict" for c in cookies)
        assert not any(c["name"] == "session" for c in cookies)
    # The development server's request lines (with the client address) are dropped for /tips.
    assert not [r for r in caplog.records if "/tips" in r.getMessage()]
    db.session.expire_all()
    assert [services.text_of(m.body_enc) for m in db.session.get(Tip, tip_id).messages] == [
        "Which months?",
        "May and June.",
    ]
