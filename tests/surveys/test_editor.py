"""The survey editor: answered versions are locked, edits make a new version."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from citizenvoice.accounts.models import Role
from citizenvoice.extensions import db
from citizenvoice.surveys import editor, services
from citizenvoice.surveys.models import QuestionKind, Rating, SurveyVersion
from tests.surveys.conftest import post_rating


def test_edit_of_an_unanswered_version_changes_it_in_place(point: Any):
    survey = services.default_survey()
    version = editor.update_question(
        survey, "waiting", QuestionKind.SCALE, "How was the wait?", "等候如何？"
    )
    assert version.number == 1
    assert services.version_for_point(point).questions[0].text == "How was the wait?"


def test_answered_version_is_locked_and_edits_make_a_new_version(
    client: FlaskClient, point: Any, login_as: Any
):
    assert post_rating(client, point.token, q_waiting="2").status_code == 303
    survey = services.default_survey()
    first = services.current_version(survey)
    assert services.is_locked(first)
    login_as(Role.MANAGER)
    page = client.get(f"/manage/surveys/surveys/{survey.id}").get_data(as_text=True)
    assert "it is locked" in page
    question = first.questions[0]
    response = client.post(
        f"/manage/surveys/surveys/{survey.id}/questions",
        data={
            "prefix": f"q{question.id}",
            f"q{question.id}-code": "waiting",
            f"q{question.id}-kind": "scale",
            f"q{question.id}-text": "How short was the wait?",
            f"q{question.id}-text_zh": "等候时间是否合适？",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    versions = db.session.scalars(select(SurveyVersion).order_by(SurveyVersion.number)).all()
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].questions[0].text == "How satisfied are you with the waiting time?"
    assert versions[1].questions[0].text == "How short was the wait?"
    # the form now asks version 2; the old rating still points at version 1
    form = client.get(f"/s/{point.token}").get_data(as_text=True)
    assert "How short was the wait?" in form
    old = db.session.scalars(select(Rating)).one()
    assert old.survey_version_id == versions[0].id
    assert old.answers[0].question.text == "How satisfied are you with the waiting time?"
    post_rating(client, point.token, q_waiting="5")
    newest = db.session.scalars(select(Rating).order_by(Rating.id.desc())).first()
    assert newest is not None and newest.survey_version_id == versions[1].id


def test_add_and_remove_questions(client: FlaskClient, point: Any, login_as: Any):
    survey = services.default_survey()
    db.session.commit()
    login_as(Role.MANAGER)
    client.post(
        f"/manage/surveys/surveys/{survey.id}/questions",
        data={
            "prefix": "new",
            "new-code": "clean",
            "new-kind": "yes_no",
            "new-text": "Was the hall clean?",
        },
    )
    client.post(f"/manage/surveys/surveys/{survey.id}/questions/remove", data={"code": "gifts"})
    bad = client.post(
        f"/manage/surveys/surveys/{survey.id}/questions",
        data={"prefix": "new", "new-code": "Bad Code!", "new-kind": "scale", "new-text": "x"},
    )
    assert bad.status_code == 302
    db.session.expire_all()
    codes = [q.code for q in services.current_version(survey).questions]
    assert codes == ["waiting", "attitude", "clarity", "resolved", "clean"]
    assert "Was the hall clean?" in client.get(f"/s/{point.token}").get_data(as_text=True)


def test_new_survey_assigned_to_one_point(
    client: FlaskClient, point: Any, make_point: Any, login_as: Any
):
    other = make_point(point.unit)
    login_as(Role.MANAGER)
    response = client.post(
        "/manage/surveys/surveys", data={"code": "short", "name": "Short survey"}
    )
    assert response.status_code == 302
    survey = editor.get_survey(int(response.headers["Location"].rsplit("/", 1)[1]))
    editor.remove_question(survey, "clarity")
    db.session.commit()
    client.post(f"/manage/surveys/surveys/{survey.id}/assign", data={"point_id": point.id})
    assert "所需材料" not in client.get(f"/s/{point.token}?lang=zh").get_data(as_text=True)
    assert "所需材料" in client.get(f"/s/{other.token}?lang=zh").get_data(as_text=True)
