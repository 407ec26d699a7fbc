"""Staff pages: export an indicator tree as CSV or JSON, import one (all rows or none)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from citizenvoice.core.access import roles_required
from citizenvoice.core.errors import DomainError
from citizenvoice.extensions import db
from citizenvoice.indicators import services, transfer
from citizenvoice.indicators.forms import TreeImportForm
from citizenvoice.indicators.manage import MANAGERS, bp

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@bp.route("/cycles/<int:cycle_id>/tree.<fmt>")
@roles_required(*MANAGERS)
def tree_export(cycle_id: int, fmt: str) -> Any:
    if fmt not in MEDIA_TYPES:
        abort(404)
    cycle = services.get_cycle(cycle_id)
    body = transfer.export_csv(cycle) if fmt == "csv" else transfer.export_json(cycle)
    return Response(
        body,
        mimetype=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="indicators-{cycle.code}.{fmt}"'},
    )


@bp.route("/cycles/<int:cycle_id>/import", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def tree_import(cycle_id: int) -> Any:
    cycle = services.get_cycle(cycle_id)
    form = TreeImportForm()
    errors: list[tuple[int, str]] = []
    if form.validate_on_submit():
        upload = form.file.data
        fmt = "json" if (upload.filename or "").lower().endswith(".json") else "csv"
        try:
            count = transfer.import_tree(cycle, upload.read().decode("utf-8"), fmt, current_user.id)
        except UnicodeDecodeError:
            errors = [(1, _("The file is not UTF-8 text."))]
        except transfer.TreeImportFailed as exc:
            db.session.rollback()
            errors = exc.errors
        except DomainError as exc:
            db.session.rollback()
            errors = [(1, str(exc))]
        else:
            db.session.commit()
            flash(_("Imported %(count)s nodes.", count=count), "success")
            return redirect(url_for(".cycle_detail", cycle_id=cycle.id))
    return render_template("indicators/import.html", form=form, errors=errors, cycle=cycle)
