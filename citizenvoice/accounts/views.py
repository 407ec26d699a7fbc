"""Login and logout."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from citizenvoice.accounts import services
from citizenvoice.accounts.forms import LoginForm
from citizenvoice.audit.services import Actor, acting_as, record_event
from citizenvoice.core.forms import EmptyForm
from citizenvoice.core.ratelimit import keyed
from citizenvoice.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def _failed_login(_response: Any) -> bool:
    return bool(g.get("login_failed"))


def _account_key() -> str:
    return keyed((request.form.get("username") or "").strip().lower(), "login-account")


def _safe_next(target: str | None) -> str:
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("manage_home.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    "10 per 15 minutes", key_func=_account_key, methods=["POST"], deduct_when=_failed_login
)
@limiter.limit("30 per 15 minutes", methods=["POST"], deduct_when=_failed_login)
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("manage_home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data or "", form.password.data or "")
        if user is None:
            g.login_failed = True
            form.password.errors = [_("The username or password is not correct.")]
            return render_template("accounts/login.html", form=form), 200
        next_url = _safe_next(request.args.get("next"))
        session.clear()
        with acting_as(Actor(user.id, user.username)):
            services.start_session(user)
            record_event("login", "users", user.id, user.unit_id)
        db.session.commit()
        login_user(user)
        return redirect(next_url)
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    form = EmptyForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        services.end_session(user)
        record_event("logout", "users", user.id, user.unit_id)
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You have logged out."), "info")
    return redirect(url_for("core.home"))
