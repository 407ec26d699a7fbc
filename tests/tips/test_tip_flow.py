"""Submitting a tip, the receipt, following up, and the investigators' side."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import func, select

from citizenvoice.accounts.models import Role
from citizenvoice.audit.models import AuditEntry
from citizenvoice.extensions import db
from citizenvoice.tips import receipts, services
from citizenvoice.tips.models import Author, Tip, TipMessage, TipNote, TipOutcome, TipStatus

BODY = "The on-time rate of 98% was typed in by hand; the register shows 61%."


def _receipt_of(html: str) -> str:
    start = html.index('<code id="receipt">') + len('<code id="receipt">')
    return html[start : html.index("</code>", start)]


def test_submit_shows_a_receipt_once_and_stores_only_its_keyed_hash(
    tip_client: Any, make_unit: Any, make_point: Any
) -> None:
    unit = make_unit()
    point = make_point(unit)
    audit_before = db.session.scalar(select(func.count(AuditEntry.seq)))
    response = tip_client.post(
        "/tips/new",
        data={
            "unit": unit.id,
            "service_point": point.id,
            "figure": "on-time rate 98%",
            "body": BODY,
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    receipt = _receipt_of(html)
    assert receipts.normalize(receipt)
    assert "Write it down" in html
    tip = db.session.scalar(select(Tip))
    assert tip is not None and tip.status is TipStatus.NEW
    raw = receipts.normalize(receipt)
    assert tip.receipt_hash == services.crypto().receipt_hash(raw or "")
    assert receipt not in tip.receipt_hash and raw not in tip.receipt_hash
    assert BODY not in tip.body_enc and "98%" not in tip.figure_enc
    assert services.body_of(tip) == BODY and services.figure_of(tip) == "on-time rate 98%"
    assert tip.score == 30 + 15  # figure and service point named
    assert tip.submitted_on == services.today()
    # Submissions by reporters leave no entry in the audit log (it carries exact times).
    assert db.session.scalar(select(func.count(AuditEntry.seq))) == audit_before


def test_bad_input_rerenders_and_writes_nothing(tip_client: Any, make_unit: Any, make_point: Any):
    unit, other = make_unit(), make_unit()
    foreign_point = make_point(other)
    cases = [
        {"unit": "", "body": BODY},
        {"unit": unit.id, "body": "short"},
        {"unit": unit.id, "body": "x\x00" * 20},
        {"unit": "99999", "body": BODY},
        {"unit": unit.id, "service_point": foreign_point.id, "body": BODY},
        {"unit": unit.id, "body": "y" * 20_001},
    ]
    for data in cases:
        response = tip_client.post("/tips/new", data=data)
        assert response.status_code in (200, 400), data
        assert 'id="receipt"' not in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Tip.id))) == 0


def test_honeypot_looks_like_success_and_stores_nothing(tip_client: Any, make_unit: Any) -> None:
    unit = make_unit()
    response = tip_client.post(
        "/tips/new", data={"unit": unit.id, "body": BODY, "website": "http://spam"}
    )
    assert response.status_code == 200 and 'id="receipt"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Tip.id))) == 0


def test_a_post_without_the_tip_cookie_is_refused(
    client: Any, make_unit: Any, submit_tip: Any
) -> None:
    unit = make_unit()
    _tip, receipt = submit_tip(unit)
    response = client.post("/tips/new", data={"unit": unit.id, "body": BODY})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Tip.id))) == 1
    # Without the cookie a receipt is not even looked up (wrong receipts could not be counted).
    response = client.application.test_client().post("/tips/follow-up", data={"receipt": receipt})
    assert response.status_code == 400 and "allow cookies" in response.get_data(as_text=True)


def test_follow_up_shows_status_and_messages_and_takes_a_reply(
    tip_client: Any, make_unit: Any, submit_tip: Any, make_user: Any
) -> None:
    unit = make_unit()
    tip, receipt = submit_tip(unit, BODY)
    inspector = make_user(Role.INSPECTOR)
    services.send_message(tip, inspector, "Which quarter do you mean?")
    db.session.commit()
    response = tip_client.post("/tips/follow-up", data={"receipt": receipt.lower()})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Which quarter do you mean?" in html and "New" in html
    assert receipt not in response.headers.get("Location", "")
    response = tip_client.post(
        "/tips/follow-up/reply", data={"receipt": receipt, "body": "The second quarter."}
    )
    assert response.status_code == 200
    assert "The second quarter." in response.get_data(as_text=True)
    messages = db.session.scalars(select(TipMessage).order_by(TipMessage.id)).all()
    assert [m.author for m in messages] == [Author.INVESTIGATOR, Author.REPORTER]
    assert "second quarter" not in messages[1].body_enc


def test_wrong_receipt_says_so_and_reply_with_wrong_receipt_writes_nothing(
    tip_client: Any, make_unit: Any, submit_tip: Any
) -> None:
    submit_tip(make_unit())
    wrong = receipts.new_receipt()
    response = tip_client.post("/tips/follow-up", data={"receipt": wrong})
    assert "No tip has this receipt" in response.get_data(as_text=True)
    tip_client.post("/tips/follow-up/reply", data={"receipt": wrong, "body": "hello"})
    assert db.session.scalar(select(func.count(TipMessage.id))) == 0


def test_closed_tip_shows_outcome_and_takes_no_reply(
    tip_client: Any, make_unit: Any, submit_tip: Any
) -> None:
    tip, receipt = submit_tip(make_unit())
    services.change_status(tip, TipStatus.TRIAGED)
    services.change_status(tip, TipStatus.INVESTIGATING)
    services.change_status(tip, TipStatus.CLOSED, TipOutcome.SUBSTANTIATED)
    db.session.commit()
    html = tip_client.post("/tips/follow-up", data={"receipt": receipt}).get_data(as_text=True)
    assert "Substantiated" in html and "This report is closed." in html
    tip_client.post("/tips/follow-up/reply", data={"receipt": receipt, "body": "more"})
    assert db.session.scalar(select(func.count(TipMessage.id))) == 0


def test_one_thousand_wrong_receipts_throttle_that_browser_only(
    app: Any, make_unit: Any, submit_tip: Any
) -> None:
    _tip, receipt = submit_tip(make_unit())
    attacker, reporter = app.test_client(), app.test_client()
    attacker.get("/tips/follow-up")
    reporter.get("/tips/follow-up")
    statuses = [
        attacker.post("/tips/follow-up", data={"receipt": receipts.new_receipt()}).status_code
        for _ in range(1000)
    ]
    assert statuses.count(429) >= 990
    assert statuses.count(200) <= 10
    assert not any(s >= 500 for s in statuses)
    # The throttled browser is refused even with the right receipt …
    assert attacker.post("/tips/follow-up", data={"receipt": receipt}).status_code == 429
    # … while another browser's right receipt still works.
    response = reporter.post("/tips/follow-up", data={"receipt": receipt})
    assert response.status_code == 200 and 'id="tip-status"' in response.get_data(as_text=True)


def test_global_ceiling_on_wrong_receipts(make_app: Any, make_unit: Any) -> None:
    app = make_app(TIPS_FOLLOWUP_GLOBAL_LIMIT="20 per minute")
    with app.app_context():
        statuses = []
        for _ in range(30):
            browser = app.test_client()
            browser.get("/tips/follow-up")
            receipt = receipts.new_receipt()
            statuses.append(browser.post("/tips/follow-up", data={"receipt": receipt}).status_code)
        assert statuses[:20] == [200] * 20
        assert statuses[20:] == [429] * 10


def test_staff_triage_assign_status_notes_and_messages(
    app: Any, client: Any, make_unit: Any, make_user: Any, submit_tip: Any
) -> None:
    from tests.conftest import login

    parent = make_unit()
    unit = make_unit(parent=parent)
    tip, receipt = submit_tip(unit, BODY)
    outsider = make_user(Role.INSPECTOR, make_unit())
    insider = make_user(Role.INSPECTOR, unit)
    above = make_user(Role.INSPECTOR, parent)
    manager = make_user(Role.MANAGER)
    login(client, manager)
    html = client.get("/manage/tips/").get_data(as_text=True)
    assert tip.ref in html
    html = client.get(f"/manage/tips/{tip.id}").get_data(as_text=True)
    assert BODY.replace("'", "&#39;") in html
    # Inspectors of the reported unit's subtree cannot be assigned (the parent's can).
    assert f'value="{insider.id}"' not in html and f'value="{outsider.id}"' in html
    assert f'value="{above.id}"' in html  # the rule excludes the subtree, not the ancestors
    response = client.post(f"/manage/tips/{tip.id}/assign", data={"investigator": insider.id})
    assert response.status_code in (400, 403)
    response = client.post(f"/manage/tips/{tip.id}/assign", data={"investigator": outsider.id})
    assert response.status_code == 302
    # Guarded transitions.
    assert client.post(f"/manage/tips/{tip.id}/status", data={"status": "closed"}).status_code in (
        400,
        409,
    )
    for status in ("triaged", "investigating"):
        assert (
            client.post(f"/manage/tips/{tip.id}/status", data={"status": status}).status_code == 302
        )
    assert client.post(f"/manage/tips/{tip.id}/status", data={"status": "closed"}).status_code in (
        400,
        409,
    )  # no outcome
    client.post(f"/manage/tips/{tip.id}/notes", data={"body": "Check the register."})
    client.post(f"/manage/tips/{tip.id}/messages", data={"body": "Which weeks?"})
    response = client.post(
        f"/manage/tips/{tip.id}/status", data={"status": "closed", "outcome": "referred"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    tip = db.session.get(Tip, tip.id)
    assert tip.status is TipStatus.CLOSED and tip.outcome is TipOutcome.REFERRED
    assert tip.closed_on == services.today() and tip.assignee_id == outsider.id
    note = db.session.scalar(select(TipNote))
    assert "register" not in note.body_enc
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"tip_viewed", "tip_assigned", "tip_status", "tip_message", "create"} <= actions
    payloads = " ".join(db.session.scalars(select(AuditEntry.payload)))
    assert "register" not in payloads and "Which weeks" not in payloads
    # The reporter sees the message and the outcome.
    reporter = app.test_client()
    reporter.get("/tips/follow-up")
    html = reporter.post("/tips/follow-up", data={"receipt": receipt}).get_data(as_text=True)
    assert "Which weeks?" in html and "Referred to another authority." in html
    assert "Check the register." not in html


def test_conflicted_inspector_cannot_see_the_tip(
    client: Any, make_unit: Any, make_user: Any, submit_tip: Any
) -> None:
    from tests.conftest import login

    unit = make_unit()
    sub = make_unit(parent=unit)
    tip, _ = submit_tip(unit)
    login(client, make_user(Role.INSPECTOR, sub))  # works in a sub-unit of the reported unit
    assert tip.ref not in client.get("/manage/tips/").get_data(as_text=True)
    assert client.get(f"/manage/tips/{tip.id}").status_code == 404
    assert client.post(f"/manage/tips/{tip.id}/notes", data={"body": "x"}).status_code == 404


def test_overdue_reminder(client: Any, make_unit: Any, make_user: Any, submit_tip: Any) -> None:
    from datetime import timedelta

    from tests.conftest import login

    old, fresh = submit_tip(make_unit())[0], submit_tip(make_unit())[0]
    old.last_activity_on = services.today() - timedelta(days=30)
    db.session.commit()
    assert services.is_overdue(old) and not services.is_overdue(fresh)
    login(client, make_user(Role.MANAGER))
    html = client.get("/manage/tips/?overdue=1").get_data(as_text=True)
    assert old.ref in html and fresh.ref not in html


def test_criticality_counts_evidence_and_other_tips_on_the_unit(
    tip_client: Any, make_unit: Any, submit_tip: Any
) -> None:
    unit = make_unit()
    for _ in range(2):
        submit_tip(unit)
    data = {
        "unit": unit.id,
        "body": BODY,
        "evidence": (io.BytesIO(b"%PDF-1.4 register"), "register.pdf"),
    }
    tip_client.post("/tips/new", data=data, content_type="multipart/form-data")
    tip = db.session.scalars(select(Tip).order_by(Tip.id.desc())).first()
    assert tip.score == 25 + 2 * 5


def test_limiter_storage_down_keeps_the_tip_box_working(make_app: Any, make_unit: Any) -> None:
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    with app.app_context():
        unit = make_unit()
        browser = app.test_client()
        assert browser.get("/tips/new").status_code == 200
        response = browser.post("/tips/new", data={"unit": unit.id, "body": BODY})
        assert response.status_code == 200 and 'id="receipt"' in response.get_data(as_text=True)
        for _ in range(3):
            wrong = browser.post("/tips/follow-up", data={"receipt": receipts.new_receipt()})
            assert wrong.status_code == 200


def test_tip_pages_in_chinese(client: Any) -> None:
    html = client.get("/tips/new?lang=zh").get_data(as_text=True)
    assert "举报数据造假" in html and "提交举报" in html
    html = client.get("/tips/follow-up?lang=zh").get_data(as_text=True)
    assert "查询举报进展" in html


def test_a_resent_form_adds_nothing(tip_client: Any, make_unit: Any) -> None:
    unit = make_unit()
    html = tip_client.get("/tips/new").get_data(as_text=True)
    nonce = html.split('id="nonce" name="nonce" type="hidden" value="', 1)[1].split('"', 1)[0]
    data = {"unit": unit.id, "body": BODY, "nonce": nonce}
    first = tip_client.post("/tips/new", data=data)
    assert 'id="receipt"' in first.get_data(as_text=True)
    again = tip_client.post("/tips/new", data=data)
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and "already received" in html and 'id="receipt"' not in html
    assert db.session.scalar(select(func.count(Tip.id))) == 1
    assert db.session.scalar(select(Tip.nonce_hash)) not in (None, nonce)
