"""Creating accounts and checking passwords, in constant time whether or not the account exists."""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from citizenvoice.accounts.models import Role, User, new_login_token
from citizenvoice.core.db import utcnow
from citizenvoice.core.errors import DomainError
from citizenvoice.extensions import db

log = logging.getLogger(__name__)
MIN_PASSWORD_LENGTH = 12
_dummy_hash: dict[str, str] = {}


class AccountError(DomainError):
    """An account cannot be created or changed as asked; ``field`` names the form field."""

    def __init__(self, message: object, field: str = "username") -> None:
        super().__init__(str(message))
        self.field = field


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _l("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
        )
    if len(set(password)) < 6:
        raise AccountError(_l("The password is too repetitive."))


def find_user(username: str) -> User | None:
    if "\x00" in username:  # PostgreSQL refuses NUL in text (a 5xx); no account has one
        return None
    return db.session.scalar(select(User).where(User.username == username.strip().lower()))


def create_user(
    username: str,
    password: str,
    role: Role,
    display_name: str = "",
    unit_id: int | None = None,
    email: str = "",
    language: str = "",
) -> User:
    """Create a staff account; unit officials must be attached to a unit."""
    username = username.strip().lower()
    if not username or len(username) > 80:
        raise AccountError(_l("A username of 1 to 80 characters is required."))
    if find_user(username):
        raise AccountError(_l("This username is taken."))
    if role is Role.UNIT_OFFICIAL and unit_id is None:
        raise AccountError(_l("A unit official must belong to a unit."))
    check_password_strength(password)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        unit_id=unit_id,
    )
    set_contact(user, email, language)
    db.session.add(user)
    db.session.flush()
    return user


def set_contact(user: User, email: str, language: str) -> None:
    """Set (or, with "", remove) the account's e-mail address and the language of its e-mail."""
    from citizenvoice.mail.services import is_address

    email = email.strip()
    if email and not is_address(email):
        raise AccountError(_l("Please enter one e-mail address, like name@example.org."), "email")
    if language and language not in current_app.config["LANGUAGES"]:
        raise AccountError(_l("Choose a language from the list."), "language")
    user.email = email or None
    user.language = language or None


def update_account(user: User, display_name: str, email: str, language: str) -> None:
    display_name = display_name.strip()
    if not display_name:
        raise AccountError(_l("A full name is required."), "display_name")
    set_contact(user, email, language)
    user.display_name = display_name[:120]
    db.session.flush()


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None. Takes the same time either way."""
    user = find_user(username)
    if user is None or not user.is_active:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        if method not in _dummy_hash:
            _dummy_hash[method] = generate_password_hash("not-a-real-password", method=method)
        check_password_hash(_dummy_hash[method], password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


def start_session(user: User) -> None:
    """Rotate the session identifier at login."""
    user.login_token = new_login_token()
    user.last_login_at = utcnow()
    db.session.flush()


def end_session(user: User) -> None:
    """Rotate again at logout so that any copy of the old cookie is dead."""
    user.login_token = new_login_token()
    db.session.flush()


def set_password(user: User, password: str) -> None:
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.login_token = new_login_token()
    db.session.flush()


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id))) or 0
