from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from tests.access import STAFF, Rule, World, allow

MANAGERS = allow("admin", "manager")
READERS = allow("admin", "manager", "official_a", "official_b", "inspector")
PDF = b"%PDF-1.4\n%evidence\n"


def extend_world(world: World) -> None:
    """A cycle in planning with a category, a shared, an expected and a self-reported indicator,
    a proposal by official A, an assignment and a figure with evidence for unit A."""
    from flask import current_app

    from citizenvoice.evaluations import services as evaluations
    from citizenvoice.extensions import db
    from citizenvoice.indicators import consultation, figures, services
    from citizenvoice.indicators.models import (
        CycleKind,
        CycleState,
        DataSource,
        NodeKind,
        Origin,
        Subject,
    )  # fmt: skip

    now = datetime.now()
    cycle = services.create_cycle(
        services.CycleFields(
            "world", "World cycle", CycleKind.YEAR, date(2026, 1, 1), date(2026, 12, 31),
            now + timedelta(days=5), now + timedelta(days=9), date(2027, 1, 10),
            date(2027, 1, 31),
        ),
        [world.unit_a.id, world.sub_a.id, world.unit_b.id],
    )  # fmt: skip

    def node(kind: NodeKind, code: str, weight: float, **kw: Any) -> Any:
        fields = services.NodeFields(
            code=code, name=code.title(), weight=weight, parent_id=kw.pop("parent", None),
            data_source=kw.pop("source", None), subject_weights={"superiors": 60, "self": 40},
        )  # fmt: skip
        return services.create_node(cycle, kind, fields, None, **kw)

    category = node(NodeKind.CATEGORY, "quality", 100)
    shared = node(
        NodeKind.INDICATOR, "shared", 50, parent=category.id,
        source=DataSource.INTERNAL_EVALUATION,
    )  # fmt: skip
    reported = node(
        NodeKind.INDICATOR, "reported", 50, parent=category.id, source=DataSource.SELF_REPORTED
    )
    expected = node(
        NodeKind.INDICATOR, "expected-a", 0, parent=category.id,
        source=DataSource.INTERNAL_EVALUATION, origin=Origin.EXPECTED, unit_id=world.unit_a.id,
    )  # fmt: skip
    proposal = consultation.add_comment(
        shared, world.users["official_a"], "Our target should be lower", proposed_target=80
    )
    assignment = evaluations.assign(
        cycle, world.users["evaluator"], Subject.SUPERIORS, world.unit_a.id, shared
    )
    cycle.state = CycleState.COLLECTING
    figure = figures.submit_figure(
        reported, world.unit_a.id, 97, "Register of cases", [figures.Upload("r.pdf", PDF)],
        None, current_app.config["UPLOAD_FOLDER"],
    )  # fmt: skip
    cycle.state = CycleState.PLANNING
    db.session.flush()
    world.extra.update(
        cycle=cycle, category=category, shared=shared, reported=reported, expected=expected,
        proposal=proposal, assignment=assignment, figure=figure, evidence=figure.evidence[0],
    )  # fmt: skip


def cycle(w: World) -> dict[str, Any]:
    return {"cycle_id": w.extra["cycle"].id}


def expected(w: World) -> dict[str, Any]:
    return {"node_id": w.extra["expected"].id}


RULES = {
    "indicators_manage.cycles": Rule(STAFF),
    "indicators_manage.cycle_new": Rule(MANAGERS),
    "indicators_manage.cycle_detail": Rule(STAFF, params=cycle),
    "indicators_manage.cycle_transition": Rule(MANAGERS, params=cycle),
    "indicators_manage.participants": Rule(
        MANAGERS, params=cycle, data=lambda w: {"unit_ids": [w.unit_a.id, w.unit_b.id]}
    ),
    "indicators_manage.node_new": Rule(MANAGERS, params=cycle),
    "indicators_manage.expected_new": Rule(allow("official_a", "official_b"), params=cycle),
    "indicators_manage.node_edit": Rule(allow("admin", "manager", "official_a"), params=expected),
    "indicators_manage.node_detail": Rule(
        allow("admin", "manager", "official_a", "expert"), params=expected
    ),
    "indicators_manage.node_comment": Rule(
        allow("admin", "manager", "official_a", "expert"),
        params=expected,
        data=lambda w: {"body": "A thoughtful remark"},
    ),
    "indicators_manage.node_accept": Rule(allow("admin", "manager", "official_a"), params=expected),
    "indicators_manage.node_open": Rule(MANAGERS, params=expected),
    "indicators_manage.comment_decide": Rule(
        MANAGERS,
        params=lambda w: {"comment_id": w.extra["proposal"].id},
        data=lambda w: {"decision": "accept"},
    ),
    "indicators_manage.rights": Rule(
        allow("admin", "manager", "official_a", "inspector"),
        params=lambda w: {"cycle_id": w.extra["cycle"].id, "unit_id": w.unit_a.id},
    ),
    "indicators_manage.figure_list": Rule(READERS, params=cycle),
    "indicators_manage.figure_new": Rule(
        allow("official_a"),
        params=lambda w: {
            "cycle_id": w.extra["cycle"].id,
            "indicator_id": w.extra["reported"].id,
            "unit_id": w.unit_a.id,
        },
        data=lambda w: {"value": "98", "note": "From the register"},
    ),
    "indicators_manage.evidence_download": Rule(
        allow("admin", "manager", "official_a", "inspector"),
        params=lambda w: {"evidence_id": w.extra["evidence"].id},
    ),
    "indicators_manage.tree_export": Rule(
        MANAGERS, params=lambda w: {"cycle_id": w.extra["cycle"].id, "fmt": "csv"}
    ),
    "indicators_manage.tree_import": Rule(MANAGERS, params=cycle),
}
