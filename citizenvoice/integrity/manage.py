"""Integrity analytics for staff: detector findings, flags and inspection candidates."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import roles_required, staff_blueprint
from citizenvoice.core.forms import EmptyForm
from citizenvoice.core.staff_menu import MenuItem, register
from citizenvoice.extensions import db
from citizenvoice.integrity import services
from citizenvoice.integrity.detectors import FindingKind
from citizenvoice.integrity.models import FindingSubject

bp = staff_blueprint(
    "integrity_manage", __name__, "/manage/integrity", {Role.ADMIN, Role.MANAGER, Role.INSPECTOR}
)

register(
    MenuItem(
        "integrity_manage.index",
        _l("Integrity findings"),
        _l("Patterns the detectors found in ratings and figures; flags and inspection candidates."),
        frozenset({Role.ADMIN, Role.MANAGER, Role.INSPECTOR}),
    )
)

KIND_LABELS = {
    FindingKind.BURST.value: _l("Burst of ratings in one hour"),
    FindingKind.DEVICE_CLUSTER.value: _l("Many ratings from one device"),
    FindingKind.IP_CLUSTER.value: _l("Identical ratings from one network address"),
    FindingKind.OFF_HOURS.value: _l("Ratings outside opening hours"),
    FindingKind.TOO_FAST.value: _l("Ratings answered too fast"),
    FindingKind.DISTRIBUTION_SHIFT.value: _l("Sudden shift of the rating distribution"),
    FindingKind.COPIED_COMMENT.value: _l("Copied comments"),
    FindingKind.IDENTICAL_BURST.value: _l("Burst of identical ratings"),
    FindingKind.FIGURE_JUMP.value: _l("Figure far from the unit's own history"),
    FindingKind.ROUND_HEAPING.value: _l("Too many round figures"),
    FindingKind.BENFORD_FIRST_DIGIT.value: _l("First digits depart from Benford's law"),
    FindingKind.BENFORD_SECOND_DIGIT.value: _l("Second digits depart from Benford's law"),
    FindingKind.SCORE_DIVERGENCE.value: _l("Internal score far from the citizens' index"),
}
SUBJECT_LABELS = {
    FindingSubject.RATINGS: _l("Ratings"),
    FindingSubject.FIGURES: _l("Figures"),
}


@bp.route("/")
def index() -> Any:
    kind = request.args.get("kind", "")
    kind = kind if kind in KIND_LABELS else ""
    subject_arg = request.args.get("subject", "")
    subject = FindingSubject(subject_arg) if subject_arg in {"ratings", "figures"} else None
    candidates = request.args.get("candidates") == "1"
    found = services.findings(kind or None, subject, candidates)
    return render_template(
        "integrity/index.html",
        findings=found,
        units=services.units_of(found),
        counts=services.counts_by_kind(),
        kind=kind,
        subject=subject_arg if subject else "",
        candidates=candidates,
        kind_labels=KIND_LABELS,
        subject_labels=SUBJECT_LABELS,
        scan_form=EmptyForm(),
        can_scan=current_user.role in (Role.ADMIN, Role.MANAGER),
    )


@bp.route("/findings/<int:finding_id>")
def finding(finding_id: int) -> Any:
    stored = services.get_finding(finding_id)
    return render_template(
        "integrity/finding.html",
        finding=stored,
        units=services.units_of([stored]),
        kind_labels=KIND_LABELS,
        subject_labels=SUBJECT_LABELS,
    )


@bp.route("/scan", methods=["POST"])
@roles_required(Role.ADMIN, Role.MANAGER)
def scan() -> Any:
    form = EmptyForm()
    if form.validate_on_submit():
        report = services.scan()
        db.session.commit()
        flash(
            _(
                "Scan done: %(added)s new findings, %(flags)s ratings flagged, "
                "%(candidates)s inspection candidates.",
                added=report.findings_added,
                flags=report.flags_added,
                candidates=report.candidates_added,
            ),
            "success",
        )
    return redirect(url_for("integrity_manage.index"))
