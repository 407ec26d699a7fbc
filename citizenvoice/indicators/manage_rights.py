"""The evaluated unit's rights page: its indicators, targets, criteria, weights and subjects."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import roles_required
from citizenvoice.extensions import db
from citizenvoice.indicators import services
from citizenvoice.indicators.forms import SOURCE_LABELS
from citizenvoice.indicators.manage import MANAGERS, bp, scope
from citizenvoice.indicators.models import DEFAULT_SUBJECT_WEIGHTS, SUBJECT_LABELS
from citizenvoice.indicators.wording import describe_criteria
from citizenvoice.org.models import Unit


@bp.route("/cycles/<int:cycle_id>/units/<int:unit_id>/rights")
@roles_required(*MANAGERS, Role.UNIT_OFFICIAL, Role.INSPECTOR)
def rights(cycle_id: int, unit_id: int) -> Any:
    cycle = services.get_cycle(cycle_id)
    visible = scope()
    if (visible is not None and unit_id not in visible) or unit_id not in services.participant_ids(
        cycle
    ):
        abort(404)
    unit = db.session.get(Unit, unit_id)
    applying = {n.id for n in services.indicators_for_unit(cycle, unit_id)}
    shares = services.effective_shares(cycle, unit_id)
    rows = []
    for node in services.tree_nodes(cycle):
        if node.is_indicator and node.id not in applying:
            continue
        rows.append(
            {
                "node": node,
                "target": services.target_for(node, unit_id) if node.is_indicator else None,
                "criteria": describe_criteria(node.criteria, node.direction.value),
                "share": shares.get(node.id, 0.0),
            }
        )
    return render_template(
        "indicators/rights.html",
        cycle=cycle,
        unit=unit,
        rows=rows,
        subject_labels=SUBJECT_LABELS,
        source_labels=SOURCE_LABELS,
        defaults=DEFAULT_SUBJECT_WEIGHTS,
    )
