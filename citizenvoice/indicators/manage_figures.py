"""Staff pages: self-reported figures with evidence, and evidence downloads."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import roles_required
from citizenvoice.core.errors import DomainError
from citizenvoice.extensions import db
from citizenvoice.indicators import figures, services
from citizenvoice.indicators.forms import FigureForm
from citizenvoice.indicators.manage import MANAGERS, bp, field_error, scope
from citizenvoice.indicators.models import DataSource
from citizenvoice.org.models import Unit

READERS = (*MANAGERS, Role.UNIT_OFFICIAL, Role.INSPECTOR)


def _reportable(cycle: Any, unit_ids: set[int]) -> list[tuple[Unit, Any, Any]]:
    """(unit, indicator, current figure) for every self-reported indicator of these units."""
    rows = []
    for unit_id in sorted(unit_ids & services.participant_ids(cycle)):
        unit = db.session.get(Unit, unit_id)
        if unit is None:
            continue
        for node in services.indicators_for_unit(cycle, unit_id):
            if node.data_source is DataSource.SELF_REPORTED:
                rows.append((unit, node, figures.current_figure(cycle, unit_id, node.id)))
    return rows


@bp.route("/cycles/<int:cycle_id>/figures")
@roles_required(*READERS)
def figure_list(cycle_id: int) -> Any:
    cycle = services.get_cycle(cycle_id)
    visible = scope()
    units = visible if visible is not None else services.participant_ids(cycle)
    return render_template(
        "indicators/figures.html",
        cycle=cycle,
        due=_reportable(cycle, units) if current_user.role is Role.UNIT_OFFICIAL else [],
        history=figures.figure_history(cycle, visible),
        is_open=cycle.state in figures.REPORTING_STATES,
    )


@bp.route(
    "/cycles/<int:cycle_id>/figures/<int:indicator_id>/<int:unit_id>", methods=["GET", "POST"]
)
@roles_required(Role.UNIT_OFFICIAL)
def figure_new(cycle_id: int, indicator_id: int, unit_id: int) -> Any:
    cycle = services.get_cycle(cycle_id)
    node = services.get_node(indicator_id)
    if unit_id not in (scope() or set()) or node.cycle_id != cycle.id:
        abort(404)
    if not services.applies_to(node, unit_id) or node.data_source is not DataSource.SELF_REPORTED:
        abort(404)
    form = FigureForm()
    if form.validate_on_submit():
        uploads = [
            figures.Upload(f.filename or "", f.read())
            for f in request.files.getlist(form.files.name)
            if f and f.filename
        ]
        try:
            figures.submit_figure(
                node, unit_id, float(form.value.data or 0), form.note.data or "", uploads,
                current_user.id, current_app.config["UPLOAD_FOLDER"],
            )  # fmt: skip
        except DomainError as exc:
            db.session.rollback()
            field_error(form, exc, "files")
        else:
            db.session.commit()
            flash(_("The figure was recorded."), "success")
            return redirect(url_for(".figure_list", cycle_id=cycle.id))
    return render_template(
        "indicators/figure_form.html",
        form=form,
        cycle=cycle,
        node=node,
        unit=db.session.get(Unit, unit_id),
        current=figures.current_figure(cycle, unit_id, node.id),
    )


@bp.route("/evidence/<int:evidence_id>")
@roles_required(*READERS)
def evidence_download(evidence_id: int) -> Any:
    evidence = figures.get_evidence(evidence_id)
    visible = scope()
    if visible is not None and evidence.unit_id not in visible:
        abort(404)
    path = figures.evidence_path(evidence, current_app.config["UPLOAD_FOLDER"])
    response = send_file(
        path,
        mimetype=evidence.content_type,
        as_attachment=True,
        download_name=evidence.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
