"""A rating and everything it brings are stored by ``intake.store_and_count``: on PostgreSQL one
statement (``intake.STORE_AND_COUNT``), on SQLite its statements with their parameters made
ready before the write transaction. Either must leave the rows that the separate steps
(``intake.store``, ``open_case``, ``intake.count_stored``) leave: the rating, its answers,
contact and flags, its case and notices, and the day's rollups."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from citizenvoice.casework.models import Case, CaseReason, Notification
from citizenvoice.casework.services import case_opening, open_case
from citizenvoice.core.db import utcnow
from citizenvoice.extensions import db
from citizenvoice.surveys import intake, services
from citizenvoice.surveys.models import (
    AnswerRollup,
    FlagKind,
    Rating,
    RatingAnswer,
    RatingContact,
    RatingFlag,
    RatingRollup,
)


def _by_statements(
    point: Any,
    shape: Any,
    values: dict,
    answers: dict,
    flags: list,
    contact: Any,
    since: Any,
    reason: CaseReason | None,
) -> intake.Stored:
    cursor = intake.Cursor()
    stored = intake.store(point.id, shape, values, answers, flags, contact, cursor, since)
    if stored.id is not None:
        if reason is not None:
            open_case(stored.id, point.unit_id, reason, values["created_at"], cursor, "zh")
        intake.count_stored(stored, point.id, values, answers, cursor)
    return stored


def _in_one(
    point: Any,
    shape: Any,
    values: dict,
    answers: dict,
    flags: list,
    contact: Any,
    since: Any,
    reason: CaseReason | None,
) -> intake.Stored:
    day = values["created_at"].date()
    case = case_opening(point.unit_id, reason, day, "zh") if reason is not None else None
    return intake.store_and_count(
        point.id, shape, values, answers, flags, contact, intake.Cursor(), since, case
    )


def _rows(point_id: int) -> dict[str, Any]:
    """Everything stored for a point, without ids, nonces and codes."""
    ratings = list(
        db.session.scalars(
            select(Rating).where(Rating.service_point_id == point_id).order_by(Rating.id)
        )
    )
    found = []
    for rating in ratings:
        case = db.session.scalar(select(Case).where(Case.rating_id == rating.id))
        found.append(
            {
                "columns": (
                    rating.overall,
                    rating.is_counted,
                    rating.has_contact,
                    rating.comment,
                    rating.comment_masked,
                    rating.follow_up_code is not None,
                    rating.device_hash,
                    rating.answered_seconds,
                ),
                "answers": sorted(
                    (a.question_id, a.value)
                    for a in db.session.scalars(
                        select(RatingAnswer).where(RatingAnswer.rating_id == rating.id)
                    )
                ),
                "contact": [
                    (c.name, c.details, c.consented_at == rating.created_at)
                    for c in db.session.scalars(
                        select(RatingContact).where(RatingContact.rating_id == rating.id)
                    )
                ],
                "flags": sorted(
                    (f.kind.name, f.status.name, f.created_at == rating.created_at)
                    for f in db.session.scalars(
                        select(RatingFlag).where(RatingFlag.rating_id == rating.id)
                    )
                ),
                "case": None
                if case is None
                else (
                    case.reason.name,
                    case.status.name,
                    case.opened_at == rating.created_at,
                    case.acknowledge_due,
                    case.resolve_due,
                    case.language,
                    sorted(
                        (n.kind, n.for_inspectors, n.unit_id == case.unit_id)
                        for n in db.session.scalars(
                            select(Notification).where(Notification.case_id == case.id)
                        )
                    ),
                ),
            }
        )
    rollups = [
        (
            r.service_key,
            r.day,
            r.ratings,
            r.verified,
            r.overall_sum,
            r.level_1,
            r.level_2,
            r.level_3,
            r.level_4,
            r.level_5,
        )
        for r in db.session.scalars(
            select(RatingRollup).where(RatingRollup.service_point_id == point_id)
        )
    ]
    answer_rollups = sorted(
        (r.service_key, r.day, r.question_id, r.value, r.answers)
        for r in db.session.scalars(
            select(AnswerRollup).where(AnswerRollup.service_point_id == point_id)
        )
    )
    return {"ratings": found, "rollups": rollups, "answer_rollups": answer_rollups}


def test_one_statement_stores_what_the_statements_store(
    app: Flask, point: Any, make_point: Any
) -> None:
    other = make_point(code="second-hall")
    db.session.commit()
    version = services.current_version(services.default_survey())
    shape = intake.VersionShape.of(version)
    scale = [q.id for q in shape.questions if q.allows(5)]
    integrity_id = shape.question_id("gifts")
    now = utcnow()
    since = now - timedelta(hours=24)
    # (overall, answers, flags, contact, comment, device, reason)
    cases: list[tuple[int, dict, list, Any, str | None, str, CaseReason | None]] = [
        (5, dict.fromkeys(scale, 5), [], None, None, "phone-a", None),
        (1, dict.fromkeys(scale, 1), [], None, None, "phone-b", CaseReason.LOW_RATING),
        (4, {integrity_id: 1}, [], None, None, "phone-c", CaseReason.INTEGRITY),
        (
            3,
            {scale[0]: 3},
            [],
            ("Li", "a@example.org"),
            "Call me at 13812345678",
            "phone-d",
            CaseReason.REPLY_REQUESTED,
        ),
        (2, {}, [FlagKind.TOO_FAST], None, None, "phone-e", CaseReason.LOW_RATING),
        (4, {scale[0]: 4}, [], None, None, "phone-a", None),  # phone-a again: a duplicate
        (1, {}, [FlagKind.TOO_FAST], None, None, "phone-b", CaseReason.LOW_RATING),  # both flags
    ]
    results: dict[int, list[intake.Stored]] = {point.id: [], other.id: []}
    for target, how in ((point, _by_statements), (other, _in_one)):
        for n, (overall, answers, flags, contact, comment, device, reason) in enumerate(cases):
            values = {
                "overall": overall,
                "created_at": now + timedelta(seconds=n),
                "comment": comment,
                "device_hash": device,
                "answered_seconds": 1.5,
                "nonce": f"{target.id}-{n}",
            }
            stored = how(target, shape, values, answers, flags, contact, since, reason)
            results[target.id].append(stored)
        # The same nonce again adds nothing.
        again = how(
            target,
            shape,
            {"overall": 5, "created_at": now, "nonce": f"{target.id}-0"},
            {},
            [],
            None,
            since,
            CaseReason.LOW_RATING,
        )
        assert again.id is None
    db.session.commit()
    by_statements, in_one = _rows(point.id), _rows(other.id)
    assert by_statements == in_one
    counted = [r["columns"][1] for r in in_one["ratings"]]
    assert counted == [True, True, True, True, False, False, False]
    flags = [[f[0] for f in r["flags"]] for r in in_one["ratings"]]
    assert flags[4:] == [["TOO_FAST"], ["DUPLICATE_DEVICE"], ["DUPLICATE_DEVICE", "TOO_FAST"]]
    assert in_one["ratings"][2]["case"][-1] == [
        ("integrity", True, False),  # the inspectors', no unit's
        ("opened", False, True),
    ]
    assert in_one["rollups"][0][2] == 4  # the four counted ratings
    assert [s.is_counted for s in results[other.id]] == counted
