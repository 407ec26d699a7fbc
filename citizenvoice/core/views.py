"""The public shell: home page and health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from sqlalchemy import select, text

from citizenvoice.extensions import db
from citizenvoice.org.models import Unit

bp = Blueprint("core", __name__)


@bp.route("/")
def home() -> Any:
    units = db.session.scalars(
        select(Unit)
        .where(Unit.is_active.is_(True))
        .order_by(Unit.parent_id.is_not(None), Unit.name)
    ).all()
    return render_template("core/home.html", units=units)


@bp.route("/healthz")
def health() -> Any:
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
