"""The simulated phones of the throughput benchmark (``bench/forms.py``): the citizens of the
goal's mix rate as the demo's citizens do, and what they post is what gets stored."""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask
from sqlalchemy import select

from bench import forms
from citizenvoice.extensions import db
from citizenvoice.surveys.models import (
    Question,
    QuestionKind,
    Rating,
    RatingAnswer,
    RatingContact,
)


def _point_with_services(make_point: Any) -> Any:
    from citizenvoice.org import services as org
    from citizenvoice.surveys import services

    services.default_survey()
    offered = [org.create_service(f"svc-{n}", f"Service {n}", f"事项{n}").id for n in range(3)]
    db.session.commit()
    return make_point(service_ids=offered)


def test_the_benchmark_citizens_posts_are_stored_as_sent(app: Flask, make_point: Any) -> None:
    app.config["SURVEY_MIN_SECONDS"] = 0  # the simulated phones answer at once
    point = _point_with_services(make_point)
    rng = random.Random(5)
    sent: list[dict[str, str]] = []
    for _ in range(60):
        phone = app.test_client()
        page = forms.parse(phone.get(f"/s/{point.token}").data)
        body = forms.citizen_answers(page, rng)
        response = phone.post(
            page.action, data=body, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
        fields = dict(parse_qsl(body.decode(), keep_blank_values=True))
        fields["nonce"] = response.headers["Location"].rsplit("/thanks/", 1)[1]
        sent.append(fields)

    db.session.rollback()  # a new read: the ratings were written on connections of their own
    codes = {q.id: q.code for q in db.session.scalars(select(Question))}
    for fields in sent:
        rating = db.session.scalar(select(Rating).where(Rating.nonce == fields["nonce"]))
        assert rating is not None
        assert rating.overall == int(fields["overall"])
        assert (rating.service_id or 0) == int(fields["service"])
        assert (rating.comment or "") == fields["comment"]
        answers = {
            codes[a.question_id]: a.value
            for a in db.session.scalars(select(RatingAnswer).where(RatingAnswer.rating == rating))
        }
        assert answers == {k[2:]: int(v) for k, v in fields.items() if k.startswith("q_")}
        contact = db.session.get(RatingContact, rating.id)
        assert (contact.details if contact else "") == fields["contact_details"]
    # Sixty citizens: some answer only the overall question, some say which service they
    # came for, some leave a comment.
    assert any(not any(k.startswith("q_") for k in f) for f in sent)
    assert any(f["service"] != "0" for f in sent)
    assert any(f["comment"] for f in sent)


def test_the_goals_mix_is_a_citys_and_the_uniform_mix_answers_everything() -> None:
    page = forms.FormPage()
    page.radios = {"overall": ["1", "2", "3", "4", "5"]}
    for code in ("waiting", "staff", "clarity"):
        page.radios[f"q_{code}"] = ["1", "2", "3", "4", "5"]
    for code in ("resolved", "gifts"):
        page.radios[f"q_{code}"] = ["1", "0"]
    page.texts = ["comment", "contact_name", "contact_details", "website"]
    assert [q.kind for q in forms.questions(page)] == [QuestionKind.SCALE] * 3 + [
        QuestionKind.YES_NO
    ] * 2
    rng = random.Random(1)
    city = [dict(parse_qsl(forms.citizen_answers(page, rng).decode())) for _ in range(20_000)]
    low = sum(int(f["overall"]) <= 2 for f in city) / len(city)
    gifts = sum(f.get("q_gifts") == "1" for f in city) / len(city)
    answered = sum(sum(k.startswith("q_") for k in f) for f in city) / len(city)
    assert 0.03 < low < 0.12  # a decent office: a few bad visits in a hundred
    assert gifts < 0.02  # asking for gifts is rare, and rarely reported
    assert 2.0 < answered < 3.5  # a third answer only the overall question
    assert all(f.get("website", "") == "" for f in city)  # never the honeypot
    uniform = [dict(parse_qsl(forms.answers(page, rng).decode())) for _ in range(2_000)]
    assert all(sum(k.startswith("q_") for k in f) == 5 for f in uniform)
    assert 0.4 < sum(f["q_gifts"] == "1" for f in uniform) / len(uniform) < 0.6
