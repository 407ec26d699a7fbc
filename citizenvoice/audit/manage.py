"""The audit trail (/manage/audit): officials read their own unit's entries."""

from __future__ import annotations

import json
from typing import Any

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select

from citizenvoice.accounts.models import Role
from citizenvoice.audit import services
from citizenvoice.audit.models import AuditEntry
from citizenvoice.core.access import roles_required, staff_blueprint
from citizenvoice.extensions import db
from citizenvoice.org.services import descendant_ids

bp = staff_blueprint(
    "audit_manage",
    __name__,
    "/manage/audit",
    {Role.ADMIN, Role.MANAGER, Role.UNIT_OFFICIAL, Role.INSPECTOR},
)
PAGE_SIZE = 50


@bp.route("/")
def trail() -> Any:
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = select(AuditEntry).order_by(AuditEntry.seq.desc())
    if current_user.role is Role.UNIT_OFFICIAL:
        scope = descendant_ids(current_user.unit_id) if current_user.unit_id else set()
        query = query.where(AuditEntry.unit_id.in_(scope))
    entries = db.session.scalars(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    rows = [(e, json.loads(e.payload).get("details", {})) for e in entries[:PAGE_SIZE]]
    return render_template(
        "audit/trail.html", rows=rows, page=page, has_more=len(entries) > PAGE_SIZE
    )


@bp.route("/verify")
@roles_required(Role.ADMIN, Role.MANAGER, Role.INSPECTOR)
def verify() -> Any:
    report = services.verify()
    return render_template("audit/verify.html", report=report)
