"""Writing e-mail into the outbox and sending the outbox over SMTP.

Whoever tells something by e-mail writes an :class:`OutboxMessage` in its own transaction, so
the message exists exactly when what it tells was committed, whether or not the server is up.
``flask mail-send`` (run periodically) claims pending messages, sends them over one SMTP
connection and marks each one sent in its own commit. A server that cannot be reached leaves
everything pending and counts no attempt; a message the server refuses is tried again on the
next runs, up to ``MAIL_MAX_ATTEMPTS`` times, then kept as failed. Logs name messages by id and
kind, never by address.
"""

from __future__ import annotations

import logging
import re
import secrets
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select, update

from citizenvoice.core.db import utcnow
from citizenvoice.extensions import db
from citizenvoice.mail.models import MailStatus, OutboxMessage

log = logging.getLogger(__name__)

#: A claim older than this belongs to a run that died; another run may take the message over.
CLAIM_SECONDS = 600
_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\]+")


def is_enabled() -> bool:
    """E-mail is written only when an SMTP server is configured (``SMTP_HOST``)."""
    return bool(str(current_app.config.get("SMTP_HOST") or "").strip())


def is_address(text: str | None) -> bool:
    """Whether the text is one plain e-mail address (a phone number or a sentence is not)."""
    text = (text or "").strip()
    return len(text) <= 254 and _ADDRESS.fullmatch(text) is not None


def _one_line(text: str, limit: int) -> str:
    return " ".join(str(text).split())[:limit]


def outbox_row(recipient: str, language: str, subject: str, body: str, kind: str) -> dict[str, Any]:
    """The columns of one pending message (for plain INSERTs on the rating path)."""
    return {
        "kind": kind[:40],
        "recipient": recipient.strip(),
        "language": language if language in current_app.config["LANGUAGES"] else "en",
        "subject": _one_line(subject, 200),
        "body": body,
        "status": MailStatus.PENDING,
        "created_at": utcnow(),
        "attempts": 0,
        "last_error": "",
    }


def enqueue(recipient: str, language: str, subject: str, body: str, kind: str) -> OutboxMessage:
    """Add one message to the outbox in the current transaction."""
    message = OutboxMessage(**outbox_row(recipient, language, subject, body, kind))
    db.session.add(message)
    return message


# ---- sending -----------------------------------------------------------------------------------


@dataclass
class SendReport:
    sent: int = 0
    #: refused this time, tried again by a later run
    refused: int = 0
    #: refused for the last allowed time: kept as failed
    failed: int = 0
    #: the server could not be reached (the reason, without any address of a recipient)
    unreachable: str = ""


def claim(limit: int, now: datetime | None = None) -> list[OutboxMessage]:
    """Claim up to ``limit`` pending messages for this run (flushes; the caller commits)."""
    now = now or utcnow()
    token = secrets.token_hex(16)
    claimable = (OutboxMessage.status == MailStatus.PENDING) & or_(
        OutboxMessage.claimed_at.is_(None),
        OutboxMessage.claimed_at < now - timedelta(seconds=CLAIM_SECONDS),
    )
    oldest = select(OutboxMessage.id).where(claimable).order_by(OutboxMessage.id).limit(limit)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(oldest.scalar_subquery()), claimable)
        .values(claimed_at=now, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.claim_token == token)
            .order_by(OutboxMessage.id)
        )
    )


def release(messages: Iterable[OutboxMessage]) -> None:
    """Give back claimed messages that were not sent (they stay pending)."""
    for message in messages:
        if message.status is MailStatus.PENDING:
            message.claimed_at, message.claim_token = None, None
    db.session.flush()


def mark_sent(message: OutboxMessage) -> None:
    message.status, message.sent_at = MailStatus.SENT, utcnow()
    message.claimed_at, message.claim_token = None, None
    db.session.flush()
    log.info("mail %s (%s) sent", message.id, message.kind)


def mark_refused(message: OutboxMessage, error: Exception) -> bool:
    """Count a refusal; True when it was the last allowed attempt (the message has failed)."""
    message.attempts += 1
    message.last_error = _error_text(error)
    message.claimed_at, message.claim_token = None, None
    given_up = message.attempts >= int(current_app.config["MAIL_MAX_ATTEMPTS"])
    if given_up:
        message.status = MailStatus.FAILED
    db.session.flush()
    log.warning(
        "mail %s (%s) refused (%s), attempt %s%s",
        message.id, message.kind, message.last_error, message.attempts,
        ", given up" if given_up else "",
    )  # fmt: skip
    return given_up


def _error_text(error: Exception) -> str:
    """The kind and SMTP code of an error; server texts can quote the address, so never them."""
    code = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(c) for c, _text in error.recipients.values()})
        code = ",".join(codes)
    return f"{type(error).__name__} {code}".strip() if code else type(error).__name__


def build_message(message: OutboxMessage) -> EmailMessage:
    config = current_app.config
    sender = str(config["MAIL_FROM"])
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(usegmt=True)
    # Stable per outbox row: a message sent again after a crash can be recognised as the same.
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "localhost"
    email["Message-ID"] = f"<outbox-{message.id}@{domain}>"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body)
    # After set_content, which replaces every Content-* header.
    email["Content-Language"] = "zh-Hans" if message.language == "zh" else message.language
    return email


def connect() -> smtplib.SMTP:
    """An SMTP connection as configured: STARTTLS and login when set."""
    config = current_app.config
    smtp = smtplib.SMTP(
        str(config["SMTP_HOST"]), int(config["SMTP_PORT"]), timeout=int(config["SMTP_TIMEOUT"])
    )
    try:
        if config.get("SMTP_STARTTLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USER"):
            smtp.login(str(config["SMTP_USER"]), str(config.get("SMTP_PASSWORD") or ""))
    except Exception:
        smtp.close()
        raise
    return smtp


#: Refusals of one message; anything else means the connection (not the message) failed.
MESSAGE_REFUSALS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPNotSupportedError,
)


def server_name() -> str:
    config = current_app.config
    return f"{config['SMTP_HOST']}:{config['SMTP_PORT']}"


def pending_count() -> int:
    query = select(func.count(OutboxMessage.id)).where(OutboxMessage.status == MailStatus.PENDING)
    return db.session.scalar(query) or 0


def _unreachable(report: SendReport, error: Exception, unsent: list[OutboxMessage]) -> None:
    release(unsent)
    db.session.commit()
    report.unreachable = _error_text(error)
    log.warning(
        "mail: SMTP server %s unreachable (%s); %s message(s) stay pending",
        server_name(), report.unreachable, len(unsent),
    )  # fmt: skip


def send_outbox(limit: int = 500) -> SendReport:
    """Send up to ``limit`` pending messages over one connection.

    The command's own transaction boundaries: it commits its claim, then after each message,
    so that a message marked sent is never sent again and a crash loses no mark already made.
    """
    report = SendReport()
    messages = claim(limit)
    db.session.commit()
    if not messages:
        return report
    try:
        smtp = connect()
    except (OSError, smtplib.SMTPException) as exc:
        _unreachable(report, exc, messages)
        return report
    try:
        while messages:
            message = messages[0]
            try:
                smtp.send_message(build_message(message))
            except MESSAGE_REFUSALS as exc:
                if mark_refused(message, exc):
                    report.failed += 1
                else:
                    report.refused += 1
            else:
                mark_sent(message)
                report.sent += 1
            db.session.commit()
            messages.pop(0)
    except (OSError, smtplib.SMTPException) as exc:  # the connection broke during the run
        _unreachable(report, exc, messages)
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return report
