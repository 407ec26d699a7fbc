"""Case e-mail through a real SMTP server: staff notifications and private replies to citizens,
each in the recipient's language, written with the event and sent by ``flask mail-send``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from flask_babel import refresh
from sqlalchemy import func, select

from citizenvoice.accounts.models import Role
from citizenvoice.casework import services
from citizenvoice.extensions import db
from citizenvoice.mail.models import OutboxMessage
from tests.casework.helpers import rate
from tests.mail.smtp import SmtpServer


def _rate_in(app: Flask, lang: str, point: Any, *args: Any, **kw: Any) -> Any:
    """A rating given on a page shown in ``lang`` (the citizen's language)."""
    with app.test_request_context(f"/?lang={lang}"):
        refresh()
        rating = rate(point, *args, **kw)
        db.session.commit()
    return rating


def _official(make_user, unit, email: str | None, language: str | None = None) -> Any:
    user = make_user(Role.UNIT_OFFICIAL, unit)
    user.email, user.language = email, language
    db.session.commit()
    return user


def _outbox_count() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id))) or 0


def test_a_new_case_is_mailed_to_the_units_officials_in_their_language(
    app, make_point, make_unit, make_user, smtp_server: SmtpServer, mail_send
) -> None:
    point = make_point()
    _official(make_user, point.unit, "li.wei@example.org", "zh")
    _official(make_user, point.unit, "anna@example.org")  # no language: the site's default
    _official(make_user, point.unit, None)  # no address: sees the list only
    _official(make_user, make_unit(), "other@example.org")  # another unit
    rating = _rate_in(app, "en", point, 1, "The queue was far too long")
    case = services.case_for_rating(rating)
    assert case is not None
    result = mail_send()
    assert "2 sent" in result.output, result.output
    received = sorted(m["To"] for m in smtp_server.messages)
    assert received == ["anna@example.org", "li.wei@example.org"]
    link = f"https://cv.example.org/manage/casework/{case.id}"
    chinese = smtp_server.recorder.to("li.wei@example.org")[0]
    assert chinese["Subject"] == "民声评议：新建了一个工单。"
    assert f"工单 {case.id}：{link}" in chinese.get_content()
    english = smtp_server.recorder.to("anna@example.org")[0]
    assert english["Subject"] == "CitizenVoice: A new case was opened."
    assert f"Case {case.id}: {link}" in english.get_content()
    assert "queue" not in english.get_content()  # nothing the citizen wrote


def test_integrity_reports_are_mailed_to_inspectors_without_a_conflict(
    app, make_point, make_unit, make_user, smtp_server: SmtpServer, mail_send
) -> None:
    parent = make_unit()
    point = make_point(make_unit(parent=parent))
    free = make_user(Role.INSPECTOR, make_unit())
    conflicted = make_user(Role.INSPECTOR, parent)
    free.email, conflicted.email = "inspector@example.org", "conflicted@example.org"
    db.session.commit()
    _rate_in(app, "en", point, 4, gifts=True)
    assert "1 sent" in mail_send().output
    assert [m["To"] for m in smtp_server.messages] == ["inspector@example.org"]
    assert "gifts, favours or fees" in smtp_server.messages[0]["Subject"]


def test_a_private_reply_is_mailed_to_the_citizen_in_the_language_they_rated_in(
    app, make_point, make_user, smtp_server: SmtpServer, mail_send
) -> None:
    point = make_point(name_zh="一号窗口")
    official = make_user(Role.UNIT_OFFICIAL, point.unit)
    rating = _rate_in(app, "zh", point, 1, "排队太久", "citizen@example.org")
    case = services.case_for_rating(rating)
    assert case is not None and case.language == "zh"
    services.acknowledge(case, official)
    services.reply(case, official, "Added a clerk", "", "我们在柜台增加了一名工作人员。")
    db.session.commit()
    assert "1 sent" in mail_send().output
    (message,) = smtp_server.recorder.to("citizen@example.org")
    body = message.get_content()
    assert point.unit.name_zh in message["Subject"]
    assert "我们在柜台增加了一名工作人员。" in body
    assert f"https://cv.example.org/f/{rating.follow_up_code}" in body
    assert "一号窗口" in body and message["Content-Language"] == "zh-Hans"


def test_a_phone_number_or_a_public_reply_sends_no_e_mail(
    app, make_point, make_user, smtp_port: int
) -> None:
    point = make_point()
    official = make_user(Role.UNIT_OFFICIAL, point.unit)
    by_phone = services.case_for_rating(_rate_in(app, "en", point, 1, "Slow", "13800138000"))
    by_mail = services.case_for_rating(_rate_in(app, "en", point, 1, "Slow", "me@example.org"))
    assert by_phone is not None and by_mail is not None
    for case in (by_phone, by_mail):
        services.acknowledge(case, official)
    services.reply(by_phone, official, "Added a clerk", "", "We added a clerk at the counter.")
    services.reply(by_mail, official, "Added a clerk", "We added a clerk at the counter.", "")
    db.session.commit()
    assert _outbox_count() == 0


def test_without_smtp_no_e_mail_is_written(app, make_point, make_user) -> None:
    point = make_point()
    official = _official(make_user, point.unit, "li.wei@example.org")
    case = services.case_for_rating(_rate_in(app, "en", point, 1, "Slow", "me@example.org"))
    assert case is not None
    services.acknowledge(case, official)
    services.reply(case, official, "Added a clerk", "", "We added a clerk at the counter.")
    db.session.commit()
    assert _outbox_count() == 0


def test_the_outbox_row_is_part_of_the_cases_transaction(
    app, make_point, make_user, smtp_port: int
) -> None:
    point = make_point()
    official = _official(make_user, point.unit, "li.wei@example.org")
    case = services.case_for_rating(_rate_in(app, "en", point, 1, "Slow", "me@example.org"))
    assert case is not None and _outbox_count() == 1  # the opening
    services.acknowledge(case, official)
    services.reply(case, official, "Added a clerk", "", "We added a clerk at the counter.")
    db.session.rollback()  # the reply is not committed: neither is its e-mail
    assert _outbox_count() == 1
    services.acknowledge(case, official)
    services.reply(case, official, "Added a clerk", "", "We added a clerk at the counter.")
    db.session.commit()
    assert _outbox_count() == 2


def test_the_case_page_says_the_private_reply_is_e_mailed(
    app, client, make_point, login_as, smtp_port: int
) -> None:
    point = make_point()
    by_mail = services.case_for_rating(_rate_in(app, "en", point, 1, "Slow", "me@example.org"))
    by_phone = services.case_for_rating(_rate_in(app, "en", point, 1, "Slow", "13800138000"))
    assert by_mail is not None and by_phone is not None
    official = login_as(Role.UNIT_OFFICIAL, point.unit)
    services.acknowledge(by_mail, official)
    services.acknowledge(by_phone, official)
    db.session.commit()
    hint = "the private reply is also sent there"
    assert hint in client.get(f"/manage/casework/{by_mail.id}").text
    assert hint not in client.get(f"/manage/casework/{by_phone.id}").text
    assert "me@example.org" not in client.get(f"/manage/casework/{by_mail.id}").text


def test_an_escalation_by_the_periodic_command_is_mailed_to_the_superior_unit(
    app, make_point, make_unit, make_user, runner, smtp_server: SmtpServer, mail_send
) -> None:
    parent = make_unit("mail-top")
    point = make_point(make_unit("mail-below", parent=parent))
    _official(make_user, parent, "chief@example.org", "zh")
    rating = _rate_in(app, "en", point, 1, "Nobody answered")
    case = services.case_for_rating(rating)
    assert case is not None
    on = (case.resolve_due + timedelta(days=1)).isoformat()
    assert "1 case(s) escalated" in runner.invoke(args=["cases-escalate", "--on", on]).output
    assert "1 sent" in mail_send().output
    (message,) = smtp_server.recorder.to("chief@example.org")
    assert message["Subject"] == "民声评议：下级单位的一个工单已升级到本单位。"
    link = f"https://cv.example.org/manage/casework/{case.id}"
    assert f"工单 {case.id}：{link}" in message.get_content()
