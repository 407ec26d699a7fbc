"""A staff member in a real Chromium: log in, add a unit through the form, log out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from citizenvoice.accounts.models import Role
from citizenvoice.extensions import db
from citizenvoice.org.models import Unit
from tests.browser.harness import (
    DESKTOP,
    ConsoleCollector,
    launch_chromium,
    playwright_session,
    save_screenshot,
    serve_app,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_manager_logs_in_adds_a_unit_and_logs_out(make_app, make_user, javascript: bool) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        username = make_user(Role.MANAGER, username="browser-manager").username
    with (
        playwright_session() as pw,
        serve_app(app) as base,
        launch_chromium(pw, javascript_enabled=javascript, viewport=DESKTOP) as context,
    ):
        page = context.new_page()
        console = ConsoleCollector(page)
        page.goto(f"{base}/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_text("The username or password is not correct.")).to_be_visible()
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
        page.get_by_role("link", name="Units and service points").click()
        page.get_by_role("link", name="New unit").click()
        page.get_by_label("Code").fill("civil-affairs")
        page.get_by_label("Name (English)").fill("Civil Affairs Bureau")
        page.get_by_label("Name (Chinese)").fill("民政局")
        page.get_by_label("Kind").select_option("bureau")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("The unit was saved.")).to_be_visible()
        save_screenshot(page, f"staff-unit-saved-{'js' if javascript else 'nojs'}")
        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_text("You have logged out.")).to_be_visible()
        page.goto(f"{base}/manage/")
        expect(page).to_have_url(re.compile(r"/login"))
        assert console.csp_violations == [] and console.errors == []
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "civil-affairs"))
        assert unit is not None and unit.name_zh == "民政局"
