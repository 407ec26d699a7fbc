"""flask mail-send against a real SMTP server: sent once, kept while the server is down,
refusals retried a bounded number of times, and no address in any log line."""

from __future__ import annotations

import logging

from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.mail import services
from citizenvoice.mail.models import MailStatus, OutboxMessage
from tests.mail.smtp import SmtpServer


def _queue(*addresses: str) -> list[int]:
    messages = [
        services.enqueue(address, "en", "A case was opened", "Case 7: see the staff area.", "test")
        for address in addresses
    ]
    db.session.commit()
    return [m.id for m in messages]


def _statuses() -> dict[str, MailStatus]:
    db.session.expire_all()
    return {m.recipient: m.status for m in db.session.scalars(select(OutboxMessage))}


def test_pending_messages_are_sent_once_and_marked_sent(smtp_server: SmtpServer, mail_send) -> None:
    _queue("li.wei@example.org", "wang.fang@example.org")
    result = mail_send()
    assert result.exit_code == 0, result.output
    assert "2 sent, 0 refused (tried again later), 0 failed for good, 0 pending." in result.output
    received = sorted(m["To"] for m in smtp_server.messages)
    assert received == ["li.wei@example.org", "wang.fang@example.org"]
    first = smtp_server.recorder.to("li.wei@example.org")[0]
    assert first["Subject"] == "A case was opened"
    assert first["From"] == "citizenvoice@example.org"
    assert first.get_content().strip() == "Case 7: see the staff area."
    assert set(_statuses().values()) == {MailStatus.SENT}
    again = mail_send()
    assert "0 sent" in again.output and len(smtp_server.messages) == 2


def test_smtp_down_keeps_the_message_pending_and_a_later_run_sends_it_once(
    smtp_port: int, mail_send
) -> None:
    _queue("li.wei@example.org")
    down = mail_send()
    assert down.exit_code == 1
    assert f"The SMTP server 127.0.0.1:{smtp_port} could not be reached" in down.output
    assert "1 message(s) stay pending for the next run." in down.output
    db.session.expire_all()
    message = db.session.scalars(select(OutboxMessage)).one()
    assert (message.status, message.attempts, message.claim_token) == (MailStatus.PENDING, 0, None)
    server = SmtpServer(smtp_port)
    server.start()
    try:
        assert "1 sent" in mail_send().output
        assert "0 sent" in mail_send().output
    finally:
        server.stop()
    assert [m["To"] for m in server.messages] == ["li.wei@example.org"]
    assert _statuses() == {"li.wei@example.org": MailStatus.SENT}


def test_a_refused_message_is_retried_then_kept_as_failed(app, smtp_server, mail_send) -> None:
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    smtp_server.recorder.refused.add("gone@example.org")
    _queue("gone@example.org", "li.wei@example.org")
    first = mail_send()
    assert "1 sent, 1 refused (tried again later), 0 failed for good, 1 pending." in first.output
    second = mail_send()
    assert "0 sent, 0 refused (tried again later), 1 failed for good, 0 pending." in second.output
    assert "0 sent, 0 refused" in mail_send().output
    assert _statuses() == {
        "gone@example.org": MailStatus.FAILED,
        "li.wei@example.org": MailStatus.SENT,
    }
    gone = OutboxMessage.recipient == "gone@example.org"
    failed = db.session.scalar(select(OutboxMessage).where(gone))
    assert failed is not None and failed.attempts == 2
    assert failed.last_error == "SMTPRecipientsRefused 550"
    assert [m["To"] for m in smtp_server.messages] == ["li.wei@example.org"]


def test_no_log_line_names_an_address(smtp_port: int, mail_send, caplog, monkeypatch) -> None:
    # Alembic's logging.fileConfig (tests/test_migrations.py runs `db upgrade` in this process)
    # disables the loggers that exist by then; this test needs the mail logger's lines.
    monkeypatch.setattr(logging.getLogger(services.__name__), "disabled", False)
    caplog.set_level(logging.DEBUG)
    _queue("li.wei@example.org")
    mail_send()  # the server is down
    server = SmtpServer(smtp_port)
    server.recorder.refused.add("gone@example.org")
    server.start()
    try:
        _queue("gone@example.org")
        mail_send()
    finally:
        server.stop()
    # "mail.log" is the test server's own logger (aiosmtpd), which does quote addresses.
    ours = [r.getMessage() for r in caplog.records if r.name != "mail.log"]
    assert any("sent" in line for line in ours) and any("refused" in line for line in ours)
    assert any("unreachable" in line for line in ours)
    assert not [line for line in ours if "li.wei" in line or "gone@" in line]


def test_a_claimed_message_is_not_claimed_by_a_second_run(app) -> None:
    _queue("li.wei@example.org")
    first = services.claim(10)
    db.session.commit()
    assert [m.recipient for m in first] == ["li.wei@example.org"]
    assert services.claim(10) == []


def test_without_smtp_nothing_is_sent_and_the_command_says_why(app, mail_send) -> None:
    assert not services.is_enabled()
    result = mail_send()
    assert result.exit_code == 1
    assert "SMTP is not configured (set CITIZENVOICE_SMTP_HOST)" in result.output


def test_only_plain_addresses_count_as_e_mail() -> None:
    assert services.is_address("li.wei@example.org")
    for text in ("13800138000", "li wei@example.org", "a@b", "x@example.org, y@example.org",
                 "Li <li@example.org>", "", "li@example.org\nBcc: z@example.org"):  # fmt: skip
        assert not services.is_address(text), text
