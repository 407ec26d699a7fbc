"""The rating path: the form token names its point and version; re-sends add nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from citizenvoice.extensions import db
from citizenvoice.surveys import editor, services
from citizenvoice.surveys.models import QuestionKind, Rating, RatingAnswer, RatingRollup
from tests.surveys.conftest import counts, token_from_page


@pytest.fixture(autouse=True)
def _people_answer_at_test_speed(app: Flask) -> None:
    app.config["SURVEY_MIN_SECONDS"] = 0


def _answers(page: str, overall: int = 4) -> dict[str, str]:
    return {"ft": token_from_page(page), "overall": str(overall), "q_waiting": "5"}


def test_a_form_shown_at_one_point_cannot_rate_another(
    app: Flask, point: Any, make_point: Any
) -> None:
    other = make_point(code="other-hall")
    db.session.commit()
    phone = app.test_client()
    page = phone.get(f"/s/{point.token}").get_data(as_text=True)
    response = phone.post(f"/s/{other.token}", data=_answers(page))
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert counts() == (0, 0)
    # The same answers at the point that showed the form are stored.
    assert phone.post(f"/s/{point.token}", data=_answers(page)).status_code == 303
    assert counts() == (1, 1)


def test_a_rating_keeps_the_version_it_was_shown_with(app: Flask, point: Any) -> None:
    first = app.test_client()
    page_v1 = first.get(f"/s/{point.token}").get_data(as_text=True)
    assert first.post(f"/s/{point.token}", data=_answers(page_v1)).status_code == 303
    db.session.rollback()
    survey = services.default_survey()
    v1 = services.current_version(survey)
    # A phone opens the form; meanwhile a manager edits the (now locked) survey: version 2.
    phone = app.test_client()
    page = phone.get(f"/s/{point.token}").get_data(as_text=True)
    db.session.rollback()
    v2 = editor.add_question(
        survey, "parking", QuestionKind.YES_NO, "Could you park?", "停车方便吗？"
    )
    db.session.commit()
    assert v2.number == v1.number + 1
    assert phone.post(f"/s/{point.token}", data=_answers(page)).status_code == 303
    versions = db.session.scalars(select(Rating.survey_version_id).order_by(Rating.id)).all()
    assert versions == [v1.id, v1.id]
    # A phone that opens the form now answers version 2, including the new question.
    late = app.test_client()
    page_v2 = late.get(f"/s/{point.token}").get_data(as_text=True)
    assert "Could you park?" in page_v2
    parking = next(q for q in v2.questions if q.code == "parking")
    response = late.post(f"/s/{point.token}", data={**_answers(page_v2), "q_parking": "1"})
    assert response.status_code == 303
    last = db.session.scalars(select(Rating).order_by(Rating.id.desc())).first()
    assert last is not None and last.survey_version_id == v2.id
    stored = db.session.get(RatingAnswer, (last.id, parking.id))
    assert stored is not None and stored.value == 1


def test_a_resent_form_returns_the_first_result_and_counts_once(app: Flask, point: Any) -> None:
    phone = app.test_client()
    page = phone.get(f"/s/{point.token}").get_data(as_text=True)
    data = _answers(page, overall=2)  # a low rating also opens a case
    first = phone.post(f"/s/{point.token}", data=data)
    again = phone.post(f"/s/{point.token}", data=data)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert counts() == (1, 1)
    assert db.session.scalar(select(func.sum(RatingRollup.ratings))) == 1
    from citizenvoice.casework.models import Case, Notification

    assert db.session.scalar(select(func.count(Case.id))) == 1
    assert db.session.scalar(select(func.count(Notification.id))) == 1
