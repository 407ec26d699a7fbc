"""Staff accounts and roles."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citizenvoice.core.db import utcnow
from citizenvoice.extensions import Model
from citizenvoice.org.models import Unit


class Role(enum.StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    UNIT_OFFICIAL = "unit_official"
    EVALUATOR = "evaluator"
    EXPERT = "expert"
    INSPECTOR = "inspector"


def new_login_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, Model):
    __tablename__ = "users"
    __audited__ = True
    #: The e-mail address is personal data: the audit trail records that it changed, not what.
    __audit_exclude__ = frozenset({"password_hash", "login_token", "email"})

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name, stored lower-case.
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    #: A unit official's scope (the unit and its sub-units); for evaluators and inspectors
    #: their own unit, used for conflict-of-interest checks.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Optional; when SMTP is configured the account's notifications are e-mailed here.
    email: Mapped[str | None] = mapped_column(String(254))
    #: The language of its e-mail ("en", "zh"); None: the site's default language.
    language: Mapped[str | None] = mapped_column(String(5))
    #: The session identifier Flask-Login keeps in the cookie; rotated at each login and
    #: logout so a captured cookie dies with the session.
    login_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_login_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    unit: Mapped[Unit | None] = relationship()

    def get_id(self) -> str:
        return self.login_token

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def audit_unit_id(self) -> int | None:
        return self.unit_id

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
