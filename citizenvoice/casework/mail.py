"""E-mail of the case work: notifications to staff, private replies to citizens.

Messages are composed in the recipient's language when they are written to the outbox (a staff
account's language, the language the citizen rated in) and sent later by ``flask mail-send``.
Who is told by e-mail:

- a notification for a unit: the unit's own active officials (not those of superior units,
  who see it in their list; an escalation is addressed to the superior unit itself);
- a notification for the inspectors: active inspectors, except those attached to the case's
  unit or a unit above it (a conflict of interest, as in their list);
- an appeal waiting for a reviewer: the performance managers.

A staff message names the case and links to it; it quotes nothing the citizen wrote.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from citizenvoice.accounts.models import Role, User
from citizenvoice.extensions import db
from citizenvoice.mail import services as mail
from citizenvoice.org.models import Unit
from citizenvoice.org.services import descendant_ids
from citizenvoice.surveys.models import Rating, RatingContact


def _language(language: str | None) -> str:
    languages: list[str] = current_app.config["LANGUAGES"]
    return language if language in languages else str(current_app.config["BABEL_DEFAULT_LOCALE"])


def _base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def _staff_recipients(
    unit_id: int | None, for_inspectors: bool, case_unit_id: int | None
) -> list[User]:
    query = select(User).where(User.is_active.is_(True), User.email.is_not(None), User.email != "")
    if for_inspectors:
        inspectors = _users(query.where(User.role == Role.INSPECTOR))
        return [
            user
            for user in inspectors
            if case_unit_id is None
            or user.unit_id is None
            or case_unit_id not in descendant_ids(user.unit_id)
        ]
    if unit_id is not None:
        return _users(query.where(User.role == Role.UNIT_OFFICIAL, User.unit_id == unit_id))
    return _users(query.where(User.role == Role.MANAGER))


def _users(query: Any) -> list[User]:
    return list(db.session.scalars(query.order_by(User.id)))


def notification_rows(
    unit_id: int | None,
    case_id: int | None,
    kind: str,
    text: object,
    for_inspectors: bool = False,
    case_unit_id: int | None = None,
) -> list[dict[str, Any]]:
    """Outbox rows telling the staff concerned about a notification (none without SMTP)."""
    if not mail.is_enabled():
        return []
    rows = []
    for user in _staff_recipients(unit_id, for_inspectors, case_unit_id):
        language = _language(user.language)
        with force_locale(language):
            if case_id is not None:
                link = f"{_base_url()}/manage/casework/{case_id}"
                where = _("Case %(number)s: %(url)s", number=case_id, url=link)
            else:
                link = f"{_base_url()}/manage/casework/appeals"
                where = _("Appeals: %(url)s", url=link)
            subject = _("CitizenVoice: %(text)s", text=str(text))
            body = "\n\n".join(
                [
                    str(text),
                    where,
                    _(
                        "You receive this e-mail because it is the address of your CitizenVoice "
                        "staff account. An administrator can remove it."
                    ),
                ]
            )
        rows.append(mail.outbox_row(user.email or "", language, subject, body, f"case.{kind}"))
    return rows


def citizen_address(rating: Rating) -> str | None:
    """The e-mail address the citizen left with the rating, if what they left is one."""
    if not rating.has_contact:
        return None
    contact = db.session.get(RatingContact, rating.id)
    details = contact.details.strip() if contact else ""
    return details if mail.is_address(details) else None


def reply_row(
    rating: Rating, unit: Unit, private_reply: str, language: str | None
) -> dict[str, Any] | None:
    """The outbox row e-mailing a private reply to the citizen (None: no address or no SMTP)."""
    if not mail.is_enabled():
        return None
    address = citizen_address(rating)
    if address is None:
        return None
    language = _language(language)
    point = rating.service_point
    with force_locale(language):
        subject = _("Reply from %(unit)s to your rating", unit=unit.display_name(language))
        parts = [
            _(
                "Thank you for your rating of %(point)s on %(day)s. The unit replies:",
                point=point.display_name(language),
                day=rating.created_at.date().isoformat(),
            ),
            private_reply,
        ]
        if rating.follow_up_code:
            link = f"{_base_url()}/f/{rating.follow_up_code}"
            parts.append(_("Please tell us whether the problem was solved: %(url)s", url=link))
        parts.append(
            _(
                "You receive this e-mail because you left this address with your rating. "
                "It is used only to answer you."
            )
        )
    return mail.outbox_row(address, language, subject, "\n\n".join(parts), "case.private_reply")
