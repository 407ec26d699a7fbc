"""The rating path: the form token names its point and version; re-sends add nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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


# ---- the plain reading of a submission never accepts what the form refuses -----------------

_TEXTS = st.one_of(
    st.sampled_from(["", " ", "1", "0", "5", "6", "05", " 3", "-1", "x", "false", "on", "yes"]),
    st.text(max_size=8),
    st.text(alphabet="ab\t\n\x00\x1f名", min_size=0, max_size=3).map(lambda s: s * 700),
)


@given(data=st.data())
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_plain_answers_agree_with_the_rating_form(app: Flask, point: Any, data: Any) -> None:
    from werkzeug.datastructures import MultiDict

    from citizenvoice.surveys.forms import HONEYPOT, plain_answers, rating_form
    from citizenvoice.surveys.intake import VersionShape

    version = VersionShape.of(services.current_version(services.default_survey()))
    names = [
        "overall",
        "service",
        "comment",
        "contact_name",
        "contact_details",
        "consent",
        HONEYPOT,
        *(f"q_{q.code}" for q in version.questions),
    ]
    sent = data.draw(st.dictionaries(st.sampled_from(names), _TEXTS, max_size=len(names)))
    if data.draw(st.booleans()):  # most citizens do answer the main question
        sent["overall"] = data.draw(st.sampled_from("12345"))
    formdata = MultiDict(sent)
    with app.test_request_context(method="POST", data=sent):
        plain = plain_answers(formdata, version)
        form = rating_form(version, [], "en", formdata=formdata)
        valid = form.validate()
    if plain is None:
        return
    assert valid, (sent, form.errors)
    assert plain.overall == form.overall.data
    assert plain.answers == form.answers(version)
    assert plain.service_id == (form.service.data or None)
    assert (plain.comment, plain.contact_name, plain.contact_details) == (
        form.comment.data or "",
        form.contact_name.data or "",
        form.contact_details.data or "",
    )
    assert plain.honeypot == (getattr(form, HONEYPOT).data or "")


def test_a_plain_submission_is_read_without_the_form(app: Flask, point: Any) -> None:
    from werkzeug.datastructures import MultiDict

    from citizenvoice.surveys.forms import plain_answers
    from citizenvoice.surveys.intake import VersionShape

    version = VersionShape.of(services.current_version(services.default_survey()))
    waiting = version.question_id("waiting")
    sent = MultiDict({"overall": "2", "q_waiting": "4", "service": "0", "comment": "Slow queue"})
    plain = plain_answers(sent, version)
    assert plain is not None and plain.overall == 2 and plain.answers == {waiting: 4}
    assert plain.comment == "Slow queue" and plain.service_id is None
    # Contact details without consent are left to the form, which explains what is missing.
    assert plain_answers(MultiDict({"overall": "2", "contact_details": "a@b.cn"}), version) is None
