"""Staff blueprints: every route is guarded in one ``before_request``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

from citizenvoice.accounts.models import Role

F = TypeVar("F", bound=Callable[..., Any])
ALL_STAFF = frozenset(Role)


def staff_blueprint(
    name: str, import_name: str, url_prefix: str, roles: Iterable[Role]
) -> Blueprint:
    """A blueprint under /manage whose routes need a logged-in user with one of ``roles``."""
    allowed = frozenset(roles)
    blueprint = Blueprint(name, import_name, url_prefix=url_prefix)

    @blueprint.before_request
    def _guard() -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        if current_user.role not in allowed:
            abort(403)
        return None

    return blueprint


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Narrow a staff route to some roles (the blueprint guard has already required a login)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
