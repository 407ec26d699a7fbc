"""Figure 3: full recompute of a cycle — 2,000 units × 40 indicators × 5,000,000 ratings.

The data: a city government with 2,000 units, one service point each offering three of twenty
services; a quarterly cycle (2026-Q3) with every unit taking part and an indicator tree of five
categories × eight indicators (citizen ratings overall, per service and per survey dimension;
internal evaluations with two submitted evaluations per unit; self-reported figures), made
with ``indicators.services.create_cycle``/``create_node`` like a manager would; then 5,000,000
ratings of the quarter with consistent rollups and 0.2 % flagged (``bench/datagen.py``).
Units, points, evaluations and figures are bulk-inserted (the audit chain records only the
cycle and its tree); the indicators are then marked agreed and the cycle set to "evaluating".

The figure: seconds of ``scoring.services.compute_cycle(cycle_id)`` plus the commit, and
ratings per second. For a ratio that survives a noisy machine, one plain GROUP BY over the
quarter's raw ratings (what a recompute that scanned ratings would at least cost) is timed
right after on the same database.
"""

from __future__ import annotations

import importlib
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text, update

from bench import common, datagen

SIZES = {"full": (2000, 5_000_000), "quick": (100, 100_000)}
PERIOD = (date(2026, 7, 1), date(2026, 9, 30))
CATEGORIES = 5
PER_CATEGORY = 8
SERVICES = 20
SCAN_QUERY = text(
    "SELECT service_point_id, COALESCE(service_id, 0), overall, COUNT(*) FROM ratings"
    " WHERE is_counted AND created_at >= :start AND created_at < :end"
    " GROUP BY service_point_id, COALESCE(service_id, 0), overall"
)


def compute_function() -> Any:
    """``citizenvoice.scoring.services.compute_cycle`` if it exists yet, else None."""
    try:
        module = importlib.import_module("citizenvoice.scoring.services")
    except ImportError:
        return None
    return getattr(module, "compute_cycle", None)


def _org(app: Any, units: int) -> tuple[list[int], list[tuple[int, list[int]]], list[int]]:
    """Bulk-insert the unit tree, points and services; returns unit ids, points, user ids."""
    from citizenvoice.accounts.models import Role, User
    from citizenvoice.extensions import db
    from citizenvoice.org.models import (
        Service,
        ServicePoint,
        Unit,
        UnitKind,
        service_point_services,
    )
    from citizenvoice.surveys.qr import new_point_token

    kinds = [UnitKind.DEPARTMENT, UnitKind.BUREAU, UnitKind.DISTRICT, UnitKind.OFFICE]
    with app.app_context():
        top = Unit(code="city", name="City government", kind=UnitKind.GOVERNMENT)
        db.session.add(top)
        db.session.flush()
        unit_rows = [
            {
                "code": f"unit-{n:04d}",
                "name": f"Unit {n}",
                "name_zh": f"单位{n}",
                "kind": kinds[n % len(kinds)],
                "parent_id": top.id,
                "description": "",
                "is_active": True,
                "created_at": datetime(2025, 1, 1),
            }
            for n in range(1, units + 1)
        ]
        db.session.execute(insert(Unit), unit_rows)
        service_rows = [
            {"code": f"svc-{n:02d}", "name": f"Service {n}", "description": "", "is_active": True}
            for n in range(1, SERVICES + 1)
        ]
        db.session.execute(insert(Service), service_rows)
        unit_ids = list(
            db.session.scalars(text("SELECT id FROM units WHERE parent_id IS NOT NULL ORDER BY id"))
        )
        service_ids = list(db.session.scalars(text("SELECT id FROM services ORDER BY id")))
        point_rows = [
            {
                "unit_id": unit_id,
                "code": f"point-{n:04d}",
                "name": f"Hall of unit {n}",
                "address": "",
                "opening_hours": "{}",
                "token": new_point_token(),
                "is_active": True,
                "created_at": datetime(2025, 1, 1),
            }
            for n, unit_id in enumerate(unit_ids, start=1)
        ]
        db.session.execute(insert(ServicePoint), point_rows)
        point_ids = list(db.session.scalars(text("SELECT id FROM service_points ORDER BY id")))
        offered = {
            p: [service_ids[(i + k * 7) % len(service_ids)] for k in range(3)]
            for i, p in enumerate(point_ids)
        }
        db.session.execute(
            insert(service_point_services),
            [{"service_point_id": p, "service_id": s} for p, ss in offered.items() for s in ss],
        )
        roles = [Role.EVALUATOR, Role.EXPERT]
        db.session.execute(
            insert(User),
            [
                {
                    "username": f"evaluator-{n}",
                    "display_name": f"Evaluator {n}",
                    "password_hash": "!",
                    "role": roles[n % 2],
                    "is_active": True,
                    "login_token": secrets.token_urlsafe(32),
                    "created_at": datetime(2025, 1, 1),
                }
                for n in range(10)
            ],
        )
        user_ids = list(db.session.scalars(text("SELECT id FROM users ORDER BY id")))
        db.session.commit()
        db.session.remove()
    return unit_ids, [(p, offered[p]) for p in point_ids], user_ids


def _cycle(app: Any, unit_ids: list[int], user_ids: list[int]) -> tuple[int, int]:
    """The cycle and its tree through the indicators services; returns (cycle id, indicators)."""
    from citizenvoice.evaluations.models import Assignment, EvaluationState
    from citizenvoice.extensions import db
    from citizenvoice.indicators import services as ind
    from citizenvoice.indicators.models import (
        DEFAULT_SUBJECT_WEIGHTS,
        CycleKind,
        CycleState,
        DataSource,
        Direction,
        IndicatorNode,
        IndicatorStatus,
        NodeKind,
        SelfReportedFigure,
        Subject,
    )
    from citizenvoice.surveys.services import DEFAULT_QUESTIONS

    with app.app_context():
        fields = ind.CycleFields(
            code="2026-q3",
            name="2026 third quarter",
            name_zh="2026年第三季度",
            kind=CycleKind.QUARTER,
            period_start=PERIOD[0],
            period_end=PERIOD[1],
            self_report_deadline=datetime(2026, 10, 15),
            evaluation_deadline=datetime(2026, 10, 31),
            review_opens_on=date(2026, 11, 1),
            review_closes_on=date(2026, 11, 15),
        )
        cycle = ind.create_cycle(fields, unit_ids)
        dimensions = [code for code, *_ in DEFAULT_QUESTIONS]
        internal: list[int] = []
        figures: list[int] = []
        n = 0
        for c in range(CATEGORIES):
            category = ind.create_node(
                cycle,
                NodeKind.CATEGORY,
                ind.NodeFields(
                    code=f"cat-{c + 1}", name=f"Category {c + 1}", weight=20, position=c
                ),
                None,
            )
            for i in range(PER_CATEGORY):
                n += 1
                slot = n % 4
                fields_ = ind.NodeFields(
                    code=f"ind-{n:02d}",
                    name=f"Indicator {n}",
                    weight=100 / PER_CATEGORY,
                    parent_id=category.id,
                    position=i,
                    subject_weights=dict(DEFAULT_SUBJECT_WEIGHTS),
                )
                if slot == 0:
                    fields_.data_source = DataSource.CITIZEN_RATING
                    if n % 8 == 4:
                        fields_.survey_dimension = dimensions[n % 3]
                    elif n % 12 == 0:
                        fields_.service_code = f"svc-{(n % SERVICES) + 1:02d}"
                elif slot == 1:
                    fields_.data_source = DataSource.INTERNAL_EVALUATION
                else:
                    fields_.data_source = DataSource.SELF_REPORTED
                    fields_.target_value = 95.0
                    if n % 3 == 0:
                        fields_.direction = Direction.HIGHER
                        fields_.criteria = {
                            "kind": "linear",
                            "target": 95,
                            "floor": 60,
                            "step": 2,
                            "per": 1,
                        }
                node = ind.create_node(cycle, NodeKind.INDICATOR, fields_, None)
                (internal if slot == 1 else figures if slot > 1 else []).append(node.id)
        db.session.execute(
            update(IndicatorNode)
            .where(IndicatorNode.cycle_id == cycle.id, IndicatorNode.kind == NodeKind.INDICATOR)
            .values(status=IndicatorStatus.AGREED, agreed_at=datetime(2026, 6, 20))
        )
        cycle.state = CycleState.EVALUATING
        cycle_id = cycle.id
        db.session.commit()
        subjects = [Subject.SUPERIORS, Subject.EXPERTS]
        assignments = [
            {
                "cycle_id": cycle_id,
                "evaluator_id": user_ids[(u + k) % len(user_ids)],
                "subject": subjects[k],
                "unit_id": unit_id,
                "indicator_id": node_id,
                "state": EvaluationState.SUBMITTED,
                "score": float(60 + (unit_id * 31 + node_id * 17 + k * 7) % 40),
                "justification": "Checked against the unit's records.",
                "submitted_at": datetime(2026, 10, 20),
                "reopen_reason": "",
                "created_at": datetime(2026, 10, 1),
            }
            for u, unit_id in enumerate(unit_ids)
            for node_id in internal
            for k in range(2)
        ]
        db.session.execute(insert(Assignment), assignments)
        figure_rows = [
            {
                "cycle_id": cycle_id,
                "unit_id": unit_id,
                "indicator_id": node_id,
                "value": float(55 + (unit_id * 13 + node_id * 29) % 45),
                "note": "",
                "submitted_at": datetime(2026, 10, 10),
                "is_late": False,
                "version": 1,
                "is_superseded": False,
            }
            for unit_id in unit_ids
            for node_id in figures
        ]
        db.session.execute(insert(SelfReportedFigure), figure_rows)
        db.session.commit()
        indicators = db.session.scalar(
            select(func.count(IndicatorNode.id)).where(
                IndicatorNode.cycle_id == cycle_id, IndicatorNode.kind == NodeKind.INDICATOR
            )
        )
        db.session.remove()
        db.engine.dispose()
    return cycle_id, int(indicators or 0)


def run(kind: str, quick: bool, log: Any) -> dict[str, Any]:
    units, total = SIZES["quick" if quick else "full"]
    compute = compute_function()
    result: dict[str, Any] = {"database": kind, "units": units, "ratings": total}
    with common.database(kind, "cycle") as db:
        app = common.make_app(db)
        common.create_schema(db)
        started = common.clock()
        unit_ids, points, user_ids = _org(app, units)
        cycle_id, indicators = _cycle(app, unit_ids, user_ids)
        with app.app_context():
            from citizenvoice.extensions import db as sqla
            from citizenvoice.surveys.services import current_version, default_survey

            version_id = current_version(default_survey()).id
            sqla.session.commit()
            sqla.session.remove()
            sqla.engine.dispose()
        setup_seconds = common.clock() - started
        log(f"  {kind}: {units} units, cycle with {indicators} indicators in {setup_seconds:.1f} s")
        load = datagen.load(db, points, datagen.days_between(*PERIOD), total, version_id)
        log(f"  {kind}: {total} ratings loaded in {load.seconds:.1f} s")
        result.update(indicators=indicators, setup_seconds=round(setup_seconds, 1))
        result["load"] = load.as_dict()
        if compute is None:
            result.update(status="pending", reason="scoring.services.compute_cycle not found")
            return result
        app = common.make_app(db)
        with app.app_context():
            from citizenvoice.extensions import db as sqla

            started = common.clock()
            report = compute(cycle_id)
            sqla.session.commit()
            seconds = common.clock() - started
            sqla.session.remove()
            sqla.engine.dispose()
        engine = create_engine(db.url)
        try:
            start = datetime.combine(PERIOD[0], time.min)
            end = datetime.combine(PERIOD[1] + timedelta(days=1), time.min)
            started = common.clock()
            with engine.connect() as conn:
                conn.execute(SCAN_QUERY, {"start": start, "end": end}).all()
            scan_seconds = common.clock() - started
        finally:
            engine.dispose()
        result.update(
            status="measured",
            compute_seconds=round(seconds, 2),
            ratings_per_s=round(total / seconds),
            units_per_s=round(units / seconds, 1),
            report={
                "units": getattr(report, "units", None),
                "indicator_rows": getattr(report, "indicator_rows", None),
                "ratings_used": getattr(report, "ratings_used", None),
                "ratings_flagged": getattr(report, "ratings_flagged", None),
            },
            raw_scan_seconds=round(scan_seconds, 2),
            ratio_to_raw_scan=round(seconds / scan_seconds, 2),
        )
    return result
