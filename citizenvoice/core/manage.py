"""The staff home: what each role can do."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user

from citizenvoice.core.access import ALL_STAFF, staff_blueprint
from citizenvoice.core.staff_menu import menu_for

bp = staff_blueprint("manage_home", __name__, "/manage", ALL_STAFF)


@bp.route("/")
def index() -> Any:
    return render_template("manage/home.html", menu=menu_for(current_user.role))
