"""Staff accounts (/manage/accounts): administrators only."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from citizenvoice.accounts import services
from citizenvoice.accounts.forms import ROLE_LABELS, UserEditForm, UserForm
from citizenvoice.accounts.models import Role, User
from citizenvoice.core.access import staff_blueprint
from citizenvoice.core.errors import DomainError
from citizenvoice.core.forms import EmptyForm
from citizenvoice.extensions import db
from citizenvoice.org.models import Unit

bp = staff_blueprint("accounts_manage", __name__, "/manage/accounts", {Role.ADMIN})


@bp.route("/")
def users() -> Any:
    items = db.session.scalars(select(User).order_by(User.role, User.username)).all()
    return render_template(
        "accounts/users.html", users=items, role_labels=ROLE_LABELS, action_form=EmptyForm()
    )


@bp.route("/new", methods=["GET", "POST"])
def user_new() -> Any:
    form = UserForm()
    form.unit_id.choices = [(0, _("(no unit)"))] + [
        (u.id, u.name) for u in db.session.scalars(select(Unit).order_by(Unit.name))
    ]
    if form.validate_on_submit():
        try:
            services.create_user(
                form.username.data or "",
                form.password.data or "",
                Role(form.role.data),
                form.display_name.data or "",
                form.unit_id.data or None,
                form.email.data or "",
                form.language.data or "",
            )
        except services.AccountError as exc:
            db.session.rollback()
            field = getattr(form, exc.field)
            field.errors = [*field.errors, str(exc)]
        except DomainError as exc:
            db.session.rollback()
            form.username.errors = [*form.username.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("The account was created."), "success")
            return redirect(url_for(".users"))
    return render_template("accounts/user_form.html", form=form)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
def user_edit(user_id: int) -> Any:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = UserEditForm(obj=user) if request.method == "GET" else UserEditForm()
    if request.method == "GET":
        form.email.data, form.language.data = user.email or "", user.language or ""
    elif form.validate_on_submit():
        try:
            services.update_account(
                user, form.display_name.data or "", form.email.data or "", form.language.data or ""
            )
        except services.AccountError as exc:
            db.session.rollback()
            field = getattr(form, exc.field)
            field.errors = [*field.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("The account was updated."), "success")
            return redirect(url_for(".users"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/user_edit.html", form=form, user=user), status


@bp.route("/<int:user_id>/active", methods=["POST"])
def user_active(user_id: int) -> Any:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        if user.id == current_user.id:
            flash(_("You cannot deactivate your own account."), "error")
        else:
            user.is_active = request.form.get("active") == "1"
            services.end_session(user)
            db.session.commit()
            flash(_("The account was updated."), "success")
    return redirect(url_for(".users"))
