"""The public shell: home page and health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from sqlalchemy import text

from citizenvoice.extensions import db

bp = Blueprint("core", __name__)


@bp.route("/")
def home() -> Any:
    from citizenvoice.disclosure.labels import GRADE_LABELS
    from citizenvoice.disclosure.services import at_a_glance, published_cycle

    glance = at_a_glance(published_cycle(None))
    return render_template("core/home.html", glance=glance, grade_labels=GRADE_LABELS)


@bp.route("/healthz")
def health() -> Any:
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
