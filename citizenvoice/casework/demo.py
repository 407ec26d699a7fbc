"""Demo cases (open, overdue, solved, reopened), improvement plans and decided appeals (a rating
excluded, a result corrected with the reviewer's figure, one rejected)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from citizenvoice.casework import appeals, corrections, services
from citizenvoice.casework.models import AppealKind, Verdict
from citizenvoice.core.db import utcnow
from citizenvoice.extensions import db
from citizenvoice.indicators.models import Cycle, CycleState, IndicatorNode
from citizenvoice.surveys import services as surveys
from citizenvoice.surveys.models import Rating

COMPLAINTS = [
    ("The queue took two hours and nobody explained why.", "138 0000 1111"),
    ("The clerk asked me to come back three times for the same form.", "demo1@example.org"),
    ("The online booking showed free slots that did not exist.", "demo2@example.org"),
    ("Nobody answered the phone all week.", "139 0000 2222"),
]


def _rating(point: Any, comment: str, contact: str, days_ago: int) -> Rating:
    version = surveys.version_for_point(point)
    return surveys.submit_rating(
        point,
        version,
        surveys.Submission(
            overall=1,
            comment=comment,
            contact_details=contact,
            answered_seconds=40.0,
            created_at=utcnow() - timedelta(days=days_ago),
        ),
    )


def _cases(city: Any) -> None:
    official = city.staff["official"]
    points = [p for p in city.points if p.unit_id == city.units["market"].id]
    services.add_holiday(date(utcnow().year, 10, 1), "National Day")
    made = []
    for (comment, contact), days_ago, point in zip(COMPLAINTS, (0, 20, 9, 8), points, strict=False):
        rating = _rating(point, comment, contact, days_ago)
        case = services.case_for_rating(rating)
        assert case is not None  # a level-1 rating always opens a case
        made.append(case)
    _open, overdue, solved, reopened = made
    del _open, overdue  # left as they are: one new, one past its deadlines
    for case in (solved, reopened):
        services.acknowledge(case, official)
        services.investigate(case, official)
    services.reply(
        solved,
        official,
        "Booking system fixed; slots now match the counters.",
        "You told us the online booking showed slots that did not exist. We fixed the "
        "booking system so that it only offers slots the counters can serve.",
        "Thank you for reporting this; you can book a new slot online now.",
    )
    services.give_verdict(solved, Verdict.SOLVED)
    services.reply(
        reopened,
        official,
        "Phone line moved to the front desk.",
        "",
        "We moved the phone line to the front desk so that it is answered all day.",
    )
    services.give_verdict(reopened, Verdict.NOT_SOLVED)
    services.escalate_overdue()


def _published_cycle() -> Cycle | None:
    from citizenvoice.scoring import services as scoring

    cycles = db.session.scalars(
        select(Cycle)
        .where(Cycle.state.in_({CycleState.PUBLISHED, CycleState.REVIEWING}))
        .order_by(Cycle.period_start.desc())
    ).all()
    return next((c for c in cycles if scoring.publications(c.id)), None)


def _plans_and_appeals(city: Any) -> None:
    cycle = _published_cycle()
    if cycle is None:
        return
    market = city.units["market"]
    official, expert = city.staff["official"], city.staff["expert"]
    node_ids = list(
        db.session.scalars(
            select(IndicatorNode.id)
            .where(IndicatorNode.cycle_id == cycle.id, IndicatorNode.parent_id.is_not(None))
            .order_by(IndicatorNode.id)
        )
    )
    if node_ids:
        first = services.create_plan(
            official, market.id, cycle.id, node_ids[0], "Waiting times above target at window 2",
            "Add a second clerk at peak hours", "Head of the licensing section",
            cycle.review_closes_on + timedelta(days=60), self_identified=True,
        )  # fmt: skip
        services.update_progress(first, 60, "Rota changed; waiting times logged weekly.")
        done = services.create_plan(
            official, market.id, cycle.id, node_ids[-1], "Forms were unclear",
            "Rewrite the three most used forms in plain language", "Office manager",
            cycle.review_closes_on + timedelta(days=30),
        )  # fmt: skip
        services.update_progress(done, 100, "New forms in use since the start of the month.")
        services.comment_on_plan(done, expert, "Good: please measure the error rate on the forms.")
    start, end = cycle.period_start, cycle.period_end
    rating = db.session.scalar(
        select(Rating)
        .where(
            Rating.service_point.has(unit_id=market.id),
            Rating.is_counted,
            Rating.overall == 1,
            Rating.created_at >= start,
            Rating.created_at < end,
        )
        .order_by(Rating.id)
        .limit(1)
    )
    on = cycle.review_opens_on
    if rating is not None:
        upheld = appeals.file_appeal(
            official, cycle.id, AppealKind.RATING,
            "This rating came from a competitor's staff device during a training day.",
            rating.id, on=on,
        )  # fmt: skip
        appeals.decide_appeal(
            upheld, expert, True, "The device rated the same desk repeatedly in minutes."
        )
    rejected = appeals.file_appeal(
        official, cycle.id, AppealKind.RESULT,
        "Our satisfaction result should not include the weeks of the system outage.", on=on,
    )  # fmt: skip
    appeals.decide_appeal(
        rejected, expert, False, "The outage affected citizens too; their ratings stand."
    )
    _corrected_result(official, expert, cycle)


def _corrected_result(official: Any, expert: Any, cycle: Cycle) -> None:
    """An upheld appeal against an indicator's result: the reviewer corrects the figure."""
    from citizenvoice.scoring.models import IndicatorResult

    for figure in corrections.current_figures(cycle.id, official.unit_id):
        result = db.session.get(IndicatorResult, (cycle.id, figure.unit_id, figure.indicator_id))
        target = figure.indicator.target_value
        if result is None or result.score is None or result.score >= 100 or target is None:
            continue  # a figure already at its target would publish the same score
        appeal = appeals.file_appeal(
            official, cycle.id, AppealKind.RESULT,
            "Our reported figure was copied from the previous quarter's statistics by mistake.",
            on=cycle.review_opens_on,
        )  # fmt: skip
        appeals.decide_appeal(
            appeal, expert, True,
            "The quarter's own register, signed by the deputy director, shows the target met.",
            corrections.FigureCorrection(figure.indicator_id, target),
        )  # fmt: skip
        return


def build_demo(city: Any) -> None:
    """Add cases, improvement plans and appeals to the demo city."""
    _cases(city)
    _plans_and_appeals(city)
    db.session.flush()
