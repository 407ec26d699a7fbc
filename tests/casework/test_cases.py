"""Opening rules, deadlines, the staff state machine, the citizen's verdict and escalation."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from citizenvoice.accounts.models import Role
from citizenvoice.casework import services
from citizenvoice.casework.models import (
    Case,
    CaseReason,
    CaseStatus,
    Notification,
    Verdict,
)
from citizenvoice.core.errors import InvalidTransition
from citizenvoice.extensions import db
from tests.casework.helpers import rate

FRIDAY_EVENING = datetime(2026, 10, 9, 18, 0)


def _case(point, **kw):
    rating = rate(point, created_at=kw.pop("created_at", FRIDAY_EVENING), **kw)
    db.session.commit()
    return rating, services.case_for_rating(rating)


def test_opening_rules(make_point) -> None:
    point = make_point()
    assert _case(point, overall=2)[1].reason is CaseReason.LOW_RATING
    assert _case(point, overall=3)[1] is None
    assert _case(point, overall=4, comment="Please call me")[1] is None  # no contact: no reply
    _r, asked = _case(point, overall=4, comment="Please call me", contact="123")
    assert asked.reason is CaseReason.REPLY_REQUESTED
    _r, gifts = _case(point, overall=5, gifts=True)
    assert gifts.reason is CaseReason.INTEGRITY
    inspectors = db.session.scalars(select(Notification).where(Notification.for_inspectors)).all()
    assert [n.case_id for n in inspectors] == [gifts.id]
    assert _case(point, overall=1, is_honeypot=True)[1] is None  # robots open nothing


def test_deadlines_count_working_days_and_holidays(make_point) -> None:
    point = make_point()
    _r, case = _case(point, overall=1)
    assert case.acknowledge_due == date(2026, 10, 12)  # Friday evening → Monday
    assert case.resolve_due == date(2026, 10, 16)
    services.add_holiday(date(2026, 10, 12), "Holiday")
    services.set_policy(point.unit_id, 2, 3)
    db.session.commit()
    _r, later = _case(point, overall=1)
    assert later.acknowledge_due == date(2026, 10, 14)
    assert later.resolve_due == date(2026, 10, 15)
    with pytest.raises(services.CaseError):
        services.set_policy(point.unit_id, 5, 2)


def test_staff_state_machine_and_replies(make_point, make_user, clock) -> None:
    point = make_point()
    official = make_user(Role.UNIT_OFFICIAL, point.unit)
    _r, case = _case(point, overall=1, comment="Rude staff", contact="a@b.c")
    with pytest.raises(InvalidTransition):
        services.reply(case, official, "Trained the staff", "We trained the staff well", "")
    clock(datetime(2026, 10, 12, 9, 0))
    services.acknowledge(case, official)
    assert not services.is_overdue(case, date(2026, 10, 13))
    services.investigate(case, official)
    with pytest.raises(InvalidTransition):
        services.acknowledge(case, official)
    canned = str(services.CANNED_REPLIES["staff"])
    with pytest.raises(services.CaseError) as refused:
        services.reply(case, official, "Trained the staff", canned, "")
    assert refused.value.field == "public_reply"
    with pytest.raises(services.CaseError):
        services.reply(case, official, "Trained the staff", "", "")
    clock(datetime(2026, 10, 16, 17, 0))
    services.reply(case, official, "Trained the staff", "We trained the counter staff.", "")
    db.session.commit()
    assert case.status is CaseStatus.REPLIED and case.replied_on_time is True


def test_overdue_replies_are_late(make_point, make_user, clock) -> None:
    point = make_point()
    official = make_user(Role.UNIT_OFFICIAL, point.unit)
    _r, case = _case(point, overall=1)
    assert services.is_overdue(case, date(2026, 10, 13))  # not acknowledged by Monday
    clock(datetime(2026, 10, 19, 9, 0))
    services.acknowledge(case, official)
    services.reply(case, official, "Opened a window", "", "We opened a second window for you.")
    assert case.replied_on_time is False


def test_citizen_verdict_reopens_once_and_escalates(make_unit, make_point, make_user, clock):
    parent = make_unit("parent")
    child = make_unit("child", parent=parent)
    point = make_point(child)
    official = make_user(Role.UNIT_OFFICIAL, child)
    _r, case = _case(point, overall=1, comment="Lost my papers", contact="555")
    clock(datetime(2026, 10, 12, 9, 0))
    services.acknowledge(case, official)
    services.reply(case, official, "Searched the archive", "", "We found your papers.")
    services.give_verdict(case, Verdict.NOT_SOLVED)
    assert case.status is CaseStatus.REOPENED and case.escalated_to_id == parent.id
    assert case.resolve_due == date(2026, 10, 19)
    kinds = {(n.unit_id, n.kind) for n in db.session.scalars(select(Notification))}
    assert (parent.id, "escalated") in kinds and (child.id, "reopened") in kinds
    with pytest.raises(InvalidTransition):
        services.give_verdict(case, Verdict.SOLVED)  # nothing new to answer yet
    services.reply(case, official, "Sent them by post", "", "We posted the papers today.")
    services.give_verdict(case, Verdict.NOT_SOLVED)
    assert case.status is CaseStatus.CLOSED_UNSOLVED and case.reopen_count == 1


def test_solved_verdict(make_point, make_user) -> None:
    point = make_point()
    official = make_user(Role.UNIT_OFFICIAL, point.unit)
    _r, case = _case(point, overall=2)
    services.acknowledge(case, official)
    services.reply(case, official, "Fixed the printer", "The printer works again now.", "")
    services.give_verdict(case, Verdict.SOLVED)
    assert case.status is CaseStatus.SOLVED
    figures = services.figures({point.unit_id})
    assert (figures.opened, figures.replied, figures.solved) == (1, 1, 1)


def test_escalation_of_overdue_cases_is_idempotent(make_unit, make_point, runner) -> None:
    parent = make_unit("top")
    point = make_point(make_unit("below", parent=parent))
    _r, case = _case(point, overall=1)
    assert services.escalate_overdue(date(2026, 10, 16)) == 0  # due that day: not yet overdue
    result = runner.invoke(args=["cases-escalate", "--on", "2026-10-17"])
    assert result.exit_code == 0 and "1 case(s) escalated" in result.output
    result = runner.invoke(args=["cases-escalate", "--on", "2026-10-20"])
    assert "0 case(s) escalated" in result.output
    db.session.refresh(case)
    assert case.escalated_to_id == parent.id
    assert db.session.scalar(select(Case.escalated_at).where(Case.id == case.id)) is not None


def test_unit_scoping(client, make_unit, make_point, make_user, login_as) -> None:
    unit_a, unit_b = make_unit("a"), make_unit("b")
    _r, case = _case(make_point(unit_a), overall=1)
    login_as(Role.UNIT_OFFICIAL, unit_b)
    assert client.get(f"/manage/casework/{case.id}").status_code == 404
    assert client.post(f"/manage/casework/{case.id}/acknowledge").status_code == 404
    assert f"#{case.id}" not in client.get("/manage/casework/").get_data(as_text=True)


def test_staff_pages_acknowledge_and_reply(app, client, make_point, login_as) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    point = make_point()
    _r, case = _case(point, overall=1, comment="Slow", contact="x@y.z")
    login_as(Role.UNIT_OFFICIAL, point.unit)
    page = client.get(f"/manage/casework/{case.id}").get_data(as_text=True)
    assert "Slow" in page and "Acknowledge" in page
    assert client.post(f"/manage/casework/{case.id}/acknowledge").status_code == 302
    canned = str(services.CANNED_REPLIES["thanks"])
    response = client.post(
        f"/manage/casework/{case.id}/reply",
        data={"what_changed": "Added staff", "public_reply": canned},
    )
    assert response.status_code == 400 and "replace the part in brackets" in response.text
    assert db.session.get_one(Case, case.id).status is CaseStatus.ACKNOWLEDGED
    response = client.post(
        f"/manage/casework/{case.id}/reply",
        data={"what_changed": "Added staff", "private_reply": "We added a second clerk."},
    )
    assert response.status_code == 302
    assert db.session.get_one(Case, case.id).status is CaseStatus.REPLIED


def test_follow_up_page_reply_and_verdict(app, client, make_point, make_user) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    point = make_point()
    rating, case = _case(point, overall=1, comment="Slow", contact="x@y.z")
    page = client.get(f"/f/{rating.follow_up_code}")
    assert "will appear on this page" in page.text
    official = make_user(Role.UNIT_OFFICIAL, point.unit)
    services.acknowledge(case, official)
    services.reply(case, official, "Added staff", "", "We added a second clerk.")
    db.session.commit()
    page = client.get(f"/f/{rating.follow_up_code}")
    assert "We added a second clerk." in page.text and 'name="verdict"' in page.text
    response = client.post(f"/f/{rating.follow_up_code}/verdict", data={"verdict": "not_solved"})
    assert response.status_code == 303
    assert db.session.get_one(Case, case.id).status is CaseStatus.REOPENED
    assert "Reopened" in client.get(f"/f/{rating.follow_up_code}").text
    again = client.post(f"/f/{rating.follow_up_code}/verdict", data={"verdict": "solved"})
    assert again.status_code == 409


def test_holiday_calendar_page(app, client, login_as) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    login_as(Role.MANAGER)
    response = client.post("/manage/casework/calendar", data={"day": "2026-10-01", "name": "NDay"})
    assert response.status_code == 302
    assert "2026-10-01" in client.get("/manage/casework/calendar").text
    assert client.post("/manage/casework/calendar/2026-10-01/remove").status_code == 302
    assert services.holidays() == []


def test_overdue_and_escalated_cases_show_on_the_officials_case_list(
    client, make_unit, make_point, login_as, runner, clock
) -> None:
    parent = make_unit("top-list")
    point = make_point(make_unit("below-list", parent=parent))
    _r, late = _case(point, overall=1)  # reply due Friday 2026-10-16
    _r, fresh = _case(point, overall=2, created_at=datetime(2026, 10, 19, 9, 0))
    assert runner.invoke(args=["cases-escalate", "--on", "2026-10-19"]).exit_code == 0
    clock(datetime(2026, 10, 19, 12, 0))
    login_as(Role.UNIT_OFFICIAL, point.unit)
    listing = client.get("/manage/casework/").text
    rows = {row.split("</a>")[0].rsplit("#", 1)[-1]: row for row in listing.split("<tr")[2:]}
    assert "Overdue" in rows[str(late.id)] and "Escalated" in rows[str(late.id)]
    assert "Overdue" not in rows[str(fresh.id)] and "Escalated" not in rows[str(fresh.id)]
    client.post("/logout")
    login_as(Role.UNIT_OFFICIAL, parent)  # the superior unit, which it was escalated to
    assert f"#{late.id}" in client.get("/manage/casework/").text
