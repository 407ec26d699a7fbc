"""Chromium on /f/<code>: read the reply, say "not solved", see the case reopened."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Playwright, expect

from citizenvoice.accounts.models import Role
from citizenvoice.casework import services
from citizenvoice.casework.models import Case, CaseStatus
from citizenvoice.extensions import db
from tests.browser.harness import ConsoleCollector, launch_chromium, playwright_session, serve_app
from tests.casework.helpers import rate

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with playwright_session() as pw:
        yield pw


def test_citizen_reads_the_reply_and_reopens_the_case(
    app: Flask, make_point: Any, make_user: Any, playwright: Playwright
) -> None:
    point = make_point()
    official = make_user(Role.UNIT_OFFICIAL, point.unit)
    rating = rate(point, 1, "The counter closed early", "me@example.org")
    case = services.case_for_rating(rating)
    assert case is not None
    services.acknowledge(case, official)
    services.reply(case, official, "Opening hours enforced", "", "The counter now stays open.")
    code, case_id = rating.follow_up_code, case.id
    db.session.commit()  # end the test's read transaction before the server writes
    with serve_app(app) as base_url, launch_chromium(playwright) as context:
        page = context.new_page()
        console = ConsoleCollector(page)
        page.goto(f"{base_url}/f/{code}")
        assert page.locator("#reply").inner_text() == "The counter now stays open."
        page.select_option("select[name=verdict]", "not_solved")
        page.get_by_role("button", name="Send").click()
        # The answer comes back to the same address: wait for its content, not its URL.
        expect(page.locator("#status")).to_contain_text("Reopened")
        expect(page).to_have_url(f"{base_url}/f/{code}")
        expect(page.locator("select[name=verdict]")).to_have_count(0)
        assert console.csp_violations == []
    db.session.expire_all()
    assert db.session.get_one(Case, case_id).status is CaseStatus.REOPENED
