from datetime import date, datetime

from tests.access import EVERYONE, STAFF, Rule, allow


def _unit(w):
    return {"code": w.unit_a.code}


def _point(w):
    return {"code": w.point_a.code}


def _cycle(w):
    return {"code": w.extra["disclosure_cycle"].code}


RULES = {
    "disclosure.units": Rule(EVERYONE),
    "disclosure.unit": Rule(EVERYONE, params=_unit),
    "disclosure.unit_charts": Rule(EVERYONE, params=_unit),
    "disclosure.unit_comments": Rule(EVERYONE, params=_unit),
    "disclosure.point": Rule(EVERYONE, params=_point),
    "disclosure.point_charts": Rule(EVERYONE, params=_point),
    "disclosure.point_comments": Rule(EVERYONE, params=_point),
    "disclosure.search": Rule(EVERYONE, query=lambda w: {"q": "unit"}),
    "disclosure.compare": Rule(EVERYONE, query=lambda w: {"cycle": _cycle(w)["code"]}),
    "disclosure.compare_charts": Rule(EVERYONE, query=lambda w: {"cycle": _cycle(w)["code"]}),
    "disclosure.methodology": Rule(EVERYONE),
    "disclosure.publications": Rule(EVERYONE),
    "open_data.index": Rule(EVERYONE),
    "open_data.units": Rule(EVERYONE),
    "open_data.services_list": Rule(EVERYONE),
    "open_data.points": Rule(EVERYONE),
    "open_data.cycles": Rule(EVERYONE),
    "open_data.cycle_results": Rule(EVERYONE, params=_cycle),
    "open_data.cycle_indicators": Rule(EVERYONE, params=_cycle),
    "open_data.snapshot": Rule(EVERYONE, params=lambda w: {**_cycle(w), "version": 1}),
    "open_data.unit_results": Rule(EVERYONE, params=_unit),
    "open_data.publications": Rule(EVERYONE),
    "open_data.closed_loop": Rule(EVERYONE),
    "open_data.commitments": Rule(EVERYONE),
    "open_data.appeals": Rule(EVERYONE),
    "open_data.rating_aggregates": Rule(EVERYONE),
    "open_data.dictionary": Rule(EVERYONE),
    "open_data.openapi": Rule(EVERYONE),
    "dashboard_manage.index": Rule(STAFF),
    # Unit A's dashboard: its officials and the performance office; everyone else gets 404.
    "dashboard_manage.unit": Rule(allow("admin", "manager", "official_a"), params=_unit),
    "dashboard_manage.unit_live_csv": Rule(allow("admin", "manager", "official_a"), params=_unit),
    "dashboard_manage.unit_charts": Rule(allow("admin", "manager", "official_a"), params=_unit),
}


def extend_world(world):
    """A published cycle for units A and B, and a collecting one for the dashboard."""
    from citizenvoice.extensions import db
    from citizenvoice.indicators.models import (
        Cycle,
        CycleKind,
        CycleState,
        CycleUnit,
        DataSource,
        IndicatorNode,
        NodeKind,
    )
    from citizenvoice.scoring import services

    def cycle(code, state, start, end):
        found = Cycle(
            code=code,
            name=f"Cycle {code}",
            kind=CycleKind.QUARTER,
            period_start=start,
            period_end=end,
            self_report_deadline=datetime(end.year, end.month, 28),
            evaluation_deadline=datetime(end.year, end.month, 28),
            review_opens_on=end,
            review_closes_on=end,
            state=state,
        )
        db.session.add(found)
        db.session.flush()
        for unit in (world.unit_a, world.sub_a, world.unit_b):
            db.session.add(CycleUnit(cycle_id=found.id, unit_id=unit.id))
        db.session.add(
            IndicatorNode(
                cycle_id=found.id,
                kind=NodeKind.INDICATOR,
                code="satisfaction",
                name="Citizen satisfaction",
                weight=100,
                target_value=85,
                data_source=DataSource.CITIZEN_RATING,
            )
        )
        db.session.flush()
        return found

    published = cycle(
        "disclosure-world", CycleState.EVALUATING, date(2026, 1, 1), date(2026, 3, 31)
    )
    services.compute_cycle(published.id)
    services.publish(published.id)
    cycle("disclosure-live", CycleState.COLLECTING, date(2026, 10, 1), date(2026, 12, 31))
    world.extra["disclosure_cycle"] = published
