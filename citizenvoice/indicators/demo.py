"""Demo data: two past quarters (taken to review; the evaluations step publishes them) and the
current quarter, collecting, each with a tree of 28 shared indicators in 5 categories plus two
expected ones, consultations and self-reported figures with evidence notes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app

from citizenvoice.core.db import utcnow
from citizenvoice.extensions import db
from citizenvoice.indicators import consultation, figures, services
from citizenvoice.indicators.models import (
    Acceptance,
    Cycle,
    CycleKind,
    CycleState,
    DataSource,
    Direction,
    IndicatorNode,
    NodeKind,
    Origin,
    SelfReportedFigure,
)

CR, IE, SR, IV = (
    DataSource.CITIZEN_RATING,
    DataSource.INTERNAL_EVALUATION,
    DataSource.SELF_REPORTED,
    DataSource.INSPECTION_VERIFIED,
)
HI, LO = Direction.HIGHER, Direction.LOWER
PUBLIC = {"public": 50, "service_users": 50}
INTERNAL = {"superiors": 40, "peoples_congress": 20, "experts": 20, "peer_units": 10, "self": 10}
SELF = {"self": 100}
VERIFIED = {"superiors": 100}


def _linear(target: float, floor: float, step: float, per: float = 1) -> dict[str, Any]:
    return {"kind": "linear", "target": target, "floor": floor, "step": step, "per": per}


def _bands(*bands: tuple[float, float]) -> dict[str, Any]:
    return {"kind": "bands", "bands": [list(b) for b in bands]}


DIRECT: dict[str, Any] = {"kind": "direct"}
# (code, English, Chinese, weight, source, direction, target, unit, criteria, subjects, dimension)
Row = tuple[str, str, str, float, DataSource, Direction, float | None, str, dict, dict, str]
TREE: list[tuple[str, str, str, float, list[Row]]] = [
    ("satisfaction", "Public satisfaction", "公众满意度", 30, [
        ("overall-satisfaction", "Overall satisfaction", "总体满意度", 30, CR, HI, 90, "%",
         _linear(90, 60, 2), PUBLIC, ""),
        ("waiting-satisfaction", "Satisfaction with waiting time", "等候时间满意度", 15, CR, HI,
         85, "%", _linear(85, 55, 2), PUBLIC, "waiting"),
        ("attitude-satisfaction", "Satisfaction with staff attitude", "服务态度满意度", 15, CR,
         HI, 90, "%", _linear(90, 60, 2), PUBLIC, "attitude"),
        ("clarity-satisfaction", "Clarity of information", "告知清晰度", 15, CR, HI, 85, "%",
         _linear(85, 55, 2), PUBLIC, "clarity"),
        ("matters-resolved", "Matters resolved at the visit", "事项当场办结率", 15, CR, HI, 90,
         "%", _bands((90, 100), (80, 80), (70, 60)), PUBLIC, "resolved"),
        ("complaints-replied", "Complaints replied within 5 working days", "投诉5日内答复率", 10,
         SR, HI, 98, "%", _linear(98, 80, 5), SELF, ""),
    ]),
    ("efficiency", "Administrative efficiency", "行政效能", 20, [
        ("cases-on-time", "Cases closed on time", "按时办结率", 20, SR, HI, 98, "%",
         _linear(98, 85, 5), SELF, ""),
        ("processing-days", "Average processing time", "平均办理时长", 15, SR, LO, 3, "days",
         _bands((3, 100), (5, 80), (8, 60)), SELF, ""),
        ("online-rate", "Matters handled online", "网上可办率", 20, SR, HI, 90, "%",
         _linear(90, 60, 3), SELF, ""),
        ("one-visit-rate", "Matters done in one visit", "最多跑一次比例", 15, IV, HI, 95, "%",
         _linear(95, 70, 4), VERIFIED, ""),
        ("queue-minutes", "Queue time at windows (sampled)", "窗口排队时间（抽查）", 15, IV, LO,
         15, "minutes", _linear(15, 60, 2), VERIFIED, ""),
        ("simplification", "Simplification of procedures", "流程简化", 15, IE, HI, None, "",
         DIRECT, INTERNAL, ""),
    ]),
    ("rule-of-law", "Rule of law and openness", "依法行政与公开", 20, [
        ("lawful-decisions", "Lawfulness of decisions", "决策合法性", 20, IE, HI, None, "",
         DIRECT, INTERNAL, ""),
        ("reversals", "Decisions reversed on review", "复议纠错数", 15, SR, LO, 0, "cases",
         _bands((0, 100), (2, 80), (5, 50)), SELF, ""),
        ("transparency", "Transparency of government affairs", "政务公开", 20, IE, HI, None, "",
         DIRECT, INTERNAL, ""),
        ("inspection-findings", "Findings of unannounced inspections", "暗访发现问题数", 15, IV,
         LO, 0, "findings", _bands((0, 100), (1, 85), (3, 60)), VERIFIED, ""),
        ("deputies-proposals", "Handling of deputies' proposals", "人大代表建议办理", 15, IE, HI,
         None, "", DIRECT, {"peoples_congress": 70, "superiors": 30}, ""),
        ("penalties-disclosed", "Administrative penalties disclosed", "行政处罚公示率", 15, SR,
         HI, 100, "%", _linear(100, 80, 5), SELF, ""),
    ]),
    ("capacity", "Organisational capacity", "组织能力", 15, [
        ("strategic-planning", "Strategic planning", "战略规划", 20, IE, HI, None, "", DIRECT,
         {"self": 50, "superiors": 30, "experts": 20}, ""),
        ("training-hours", "Training per staff member", "人均培训学时", 20, SR, HI, 40, "hours",
         _linear(40, 10, 5, 5), SELF, ""),
        ("budget-execution", "Budget execution", "预算执行率", 20, SR, HI, 95, "%",
         _linear(95, 70, 4), SELF, ""),
        ("digital-government", "Digital government", "数字政府建设", 20, IE, HI, None, "",
         DIRECT, INTERNAL, ""),
        ("integrity", "Integrity and conduct", "廉洁自律", 20, IE, HI, None, "", DIRECT,
         {"superiors": 60, "subordinate_units": 20, "self": 20}, ""),
    ]),
    ("improvement", "Improvement and innovation", "改进与创新", 15, [
        ("plans-done", "Improvement actions done on time", "整改按期完成率", 25, SR, HI, 90, "%",
         _linear(90, 60, 3), SELF, ""),
        ("follow-ups", "Citizens' follow-ups confirmed fixed", "群众确认已整改比例", 20, SR, HI,
         80, "%", _linear(80, 50, 3), SELF, ""),
        ("innovation", "Innovation in service", "服务创新", 20, IE, HI, None, "", DIRECT,
         {"experts": 60, "superiors": 40}, ""),
        ("peer-cooperation", "Cooperation with other units", "协同配合", 20, IE, HI, None, "",
         DIRECT, {"peer_units": 70, "superiors": 30}, ""),
        ("responsiveness", "Responsiveness to hotline requests", "热线诉求响应", 15, SR, HI, 95,
         "%", _linear(95, 70, 5), SELF, ""),
    ]),
]  # fmt: skip
#: (unit code, category, code, English, Chinese, target, unit of measure)
EXPECTED = [
    ("market", "efficiency", "food-inspections", "Food safety inspections per month",
     "每月食品安全检查次数", 120.0, "inspections"),
    ("east", "improvement", "street-complaints", "Street complaints closed within 7 days",
     "街道投诉7日内办结率", 92.0, "%"),
]  # fmt: skip


def _quarter(day: date, back: int) -> tuple[date, date]:
    index = (day.year * 4 + (day.month - 1) // 3) - back
    year, quarter = divmod(index, 4)
    start = date(year, quarter * 3 + 1, 1)
    end_index = index + 1
    end = date(end_index // 4, (end_index % 4) * 3 + 1, 1) - timedelta(days=1)
    return start, end


def _cycle_fields(start: date, end: date) -> services.CycleFields:
    quarter = (start.month - 1) // 3 + 1
    close = datetime.combine(end, datetime.min.time())
    return services.CycleFields(
        code=f"{start.year}-q{quarter}",
        name=f"{start.year} Q{quarter}",
        name_zh=f"{start.year}年第{quarter}季度",
        kind=CycleKind.QUARTER,
        period_start=start,
        period_end=end,
        self_report_deadline=close + timedelta(days=10, hours=17),
        evaluation_deadline=close + timedelta(days=20, hours=17),
        review_opens_on=end + timedelta(days=25),
        review_closes_on=end + timedelta(days=40),
    )


def _build_tree(cycle: Cycle, city: Any) -> None:
    manager = city.staff["manager"].id
    for position, (code, name, name_zh, weight, rows) in enumerate(TREE):
        fields = services.NodeFields(code=code, name=name, name_zh=name_zh, weight=weight)
        fields.position = position
        category = services.create_node(cycle, NodeKind.CATEGORY, fields, manager)
        for n, row in enumerate(rows):
            code, name, name_zh, weight, source, direction, target, unit, criteria, who, dim = row
            services.create_node(
                cycle, NodeKind.INDICATOR,
                services.NodeFields(
                    code=code, name=name, name_zh=name_zh, weight=weight, parent_id=category.id,
                    position=n, definition=f"{name}, measured over the quarter.",
                    unit_of_measure=unit, direction=direction, target_value=target,
                    criteria=criteria, data_source=source, survey_dimension=dim,
                    subject_weights=dict(who),
                ),
                manager,
            )  # fmt: skip
    for unit_code, parent, code, name, name_zh, target, unit in EXPECTED:
        official = "official" if unit_code == "market" else "official-east"
        parent_node = _node(cycle, parent)
        services.create_node(
            cycle, NodeKind.INDICATOR,
            services.NodeFields(
                code=code, name=name, name_zh=name_zh, weight=10, parent_id=parent_node.id,
                position=99, definition=f"{name}, proposed by the unit itself.",
                unit_of_measure=unit, target_value=target,
                criteria=_linear(target, target * 0.6, 5, target / 20), data_source=SR,
                subject_weights=dict(SELF),
            ),
            city.staff[official].id, Origin.EXPECTED, city.units[unit_code].id,
        )  # fmt: skip


def _node(cycle: Cycle, code: str) -> IndicatorNode:
    return next(n for n in services.tree_nodes(cycle) if n.code == code)


def _agree_on_paper(node: IndicatorNode, city: Any, when: datetime) -> None:
    """Record the acceptances of a signed target-responsibility letter, then agree."""
    manager = city.staff["manager"].id
    note = "Signed target-responsibility letter, recorded by the Performance Office"
    node.open_consultation()
    rows = [Acceptance(indicator_id=node.id, unit_id=None, user_id=manager, created_at=when)]
    for unit_id in sorted(consultation.required_units(node)):
        rows.append(
            Acceptance(
                indicator_id=node.id, unit_id=unit_id, user_id=manager, note=note, created_at=when
            )
        )
    db.session.add_all(rows)
    node.mark_agreed()
    node.agreed_at = when


def _past_figures(cycle: Cycle, city: Any) -> None:
    """Figures of a closed quarter, most on time, a few late, a few corrected."""
    rng = city.rng
    rows = []
    for unit_id in sorted(services.participant_ids(cycle)):
        for node in services.indicators_for_unit(cycle, unit_id):
            if node.data_source is not SR:
                continue
            value = _plausible(node, rng)
            late = rng.random() < 0.06
            when = cycle.self_report_deadline + timedelta(
                days=rng.randint(1, 4) if late else -rng.randint(1, 9)
            )
            rows.append(
                SelfReportedFigure(
                    cycle_id=cycle.id, unit_id=unit_id, indicator_id=node.id, value=value,
                    note=rng.choice(NOTES), submitted_at=when, is_late=late,
                    submitted_by_id=_official_for(city, unit_id),
                )
            )  # fmt: skip
    db.session.add_all(rows)


NOTES = [
    "Counted from the case management system export at quarter end.",
    "Register of the service hall, checked by the deputy director.",
    "Monthly statistics report, signed copies kept in the archive.",
    "Figures from the online platform's back office, screenshot on file.",
]


def _plausible(node: IndicatorNode, rng: Any) -> float:
    target = node.target_value if node.target_value is not None else 80.0
    if node.direction is Direction.LOWER:
        return round(max(0.0, target + rng.uniform(-0.5, 3.0)), 1)
    if node.unit_of_measure == "%":
        return round(min(100.0, target + rng.uniform(-12, 3)), 1)
    return round(target * rng.uniform(0.75, 1.1), 1)


def _official_for(city: Any, unit_id: int) -> int | None:
    for username in ("official", "official-east"):
        user = city.staff.get(username)
        if user is not None and user.unit_id == unit_id:
            return int(user.id)
    return None


def _advance(cycle: Cycle, target: CycleState, city: Any, when: datetime) -> None:
    step = services.transition_cycle(cycle, target, city.staff["manager"].id)
    step.created_at = when


def _past_cycle(city: Any, start: date, end: date, source: Cycle | None) -> Cycle:
    cycle = services.create_cycle(_cycle_fields(start, end), copy_from=source)
    if source is None:
        _build_tree(cycle, city)
    agreed_at = datetime.combine(start, datetime.min.time()) - timedelta(days=5)
    for node in services.indicators(cycle):
        _agree_on_paper(node, city, agreed_at)
    db.session.flush()
    _advance(cycle, CycleState.COLLECTING, city, agreed_at + timedelta(days=1))
    _past_figures(cycle, city)
    _advance(cycle, CycleState.EVALUATING, city, cycle.self_report_deadline)
    _advance(cycle, CycleState.REVIEWING, city, cycle.evaluation_deadline)
    return cycle


def _consult(cycle: Cycle, city: Any) -> None:
    """The current quarter: most indicators agreed, a few still being discussed."""
    staff = city.staff
    talk = {"overall-satisfaction", "cases-on-time", "food-inspections", "street-complaints"}
    agreed_at = datetime.combine(cycle.period_start, datetime.min.time()) - timedelta(days=3)
    for node in services.indicators(cycle):
        if node.code not in talk:
            _agree_on_paper(node, city, agreed_at)
    db.session.flush()
    shared = _node(cycle, "cases-on-time")
    consultation.add_comment(
        shared, staff["official"],
        "Licence cases wait for other bureaus' opinions; 98% on time is out of our hands.",
        proposed_target=95.0,
    )  # fmt: skip
    consultation.add_comment(
        shared, staff["expert"],
        "Count the waiting time for other bureaus separately rather than lowering the target.",
    )  # fmt: skip
    consultation.add_comment(
        _node(cycle, "overall-satisfaction"), staff["official-east"],
        "Street offices serve many elderly residents; please keep the target but publish the "
        "sample sizes next to the score.",
    )  # fmt: skip
    expected = _node(cycle, "food-inspections")
    proposal = consultation.add_comment(
        expected, staff["manager"], "The province asks for 150 inspections a month.",
        proposed_target=150.0,
    )  # fmt: skip
    consultation.add_comment(
        expected, staff["official"], "We have 12 inspectors; 130 is realistic this quarter."
    )
    consultation.decide_proposal(proposal, staff["official"], accept=False)
    consultation.add_comment(
        expected, staff["official"], "Counter-proposal: 130 a month.", proposed_target=130.0
    )
    consultation.accept(expected, staff["official"])
    street = _node(cycle, "street-complaints")
    consultation.accept(street, staff["official-east"])
    consultation.accept(street, staff["manager"])


def _current_figures(cycle: Cycle, city: Any) -> None:
    root = current_app.config["UPLOAD_FOLDER"]
    market = city.units["market"].id
    staff = city.staff["official"].id
    for node in services.indicators_for_unit(cycle, market):
        if node.data_source is SR and node.code in ("cases-on-time", "online-rate"):
            figures.submit_figure(
                node, market, _plausible(node, city.rng), NOTES[0], [], staff, root
            )
    node = _node(cycle, "cases-on-time")
    evidence = figures.Upload("cases-export.csv", b"month,closed,on_time\n1,412,398\n2,388,380\n")
    figures.submit_figure(
        node, market, 97.4, "Corrected: two cases were counted twice in the first export.",
        [evidence], staff, root,
    )  # fmt: skip


def build_demo(city: Any) -> None:
    """Add this domain's demo data to the city."""
    today = utcnow().date()
    (s2, e2), (s1, e1), (s0, e0) = (_quarter(today, n) for n in (2, 1, 0))
    older = _past_cycle(city, s2, e2, None)
    _past_cycle(city, s1, e1, older)
    current = services.create_cycle(_cycle_fields(s0, e0), copy_from=services.latest_cycle())
    _consult(current, city)
    db.session.flush()
    services.transition_cycle(
        current, CycleState.COLLECTING, city.staff["manager"].id,
    )  # fmt: skip
    _current_figures(current, city)
    db.session.flush()
