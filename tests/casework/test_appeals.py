"""Appeals: the review window, the reviewer's conflict rule, upheld and rejected decisions."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from citizenvoice.accounts.models import Role
from citizenvoice.casework import appeals, services
from citizenvoice.casework.models import Appeal, AppealKind, AppealStatus
from citizenvoice.core.errors import Forbidden, InvalidTransition
from citizenvoice.extensions import db
from citizenvoice.scoring import services as scoring
from tests.casework.helpers import cycle_with_results, rate

IN_WINDOW = date(2026, 10, 20)


@pytest.fixture
def setting(make_unit, make_point, make_user):
    parent = make_unit("city")
    unit, other = make_unit("office", parent=parent), make_unit("other")
    point = make_point(unit)
    ratings = [rate(point, level, created_at=datetime(2026, 8, 3, 10)) for level in (1, 5, 5, 4)]
    cycle = cycle_with_results([unit, other])
    scoring.compute_cycle(cycle.id)
    scoring.publish(cycle.id)
    db.session.commit()
    return {
        "cycle": cycle,
        "unit": unit,
        "parent": parent,
        "other": other,
        "rating": ratings[0],
        "official": make_user(Role.UNIT_OFFICIAL, unit),
    }


def _appeal(s, kind=AppealKind.RATING, on=IN_WINDOW):
    return appeals.file_appeal(
        s["official"], s["cycle"].id, kind, "A competitor's staff rated us", s["rating"].id, on=on
    )


def test_appeals_only_in_the_review_window_by_officials(setting, make_user) -> None:
    with pytest.raises(services.CaseError):
        _appeal(setting, on=date(2026, 11, 1))
    with pytest.raises(Forbidden):
        appeals.file_appeal(make_user(Role.MANAGER), setting["cycle"].id, AppealKind.RESULT,
                             "The result is wrong", on=IN_WINDOW)  # fmt: skip
    with pytest.raises(services.CaseError):  # a rating that is not the unit's own
        appeals.file_appeal(setting["official"], setting["cycle"].id, AppealKind.RATING,
                             "Not ours at all", 10**9, on=IN_WINDOW)  # fmt: skip


def test_conflict_rule_for_reviewers(setting, make_user, make_unit) -> None:
    appeal = _appeal(setting)
    assert appeals.has_conflict(setting["official"], appeal)  # the filer
    assert appeals.has_conflict(make_user(Role.INSPECTOR, setting["unit"]), appeal)
    assert appeals.has_conflict(make_user(Role.INSPECTOR, setting["parent"]), appeal)
    sub = make_unit("office-sub", parent=setting["unit"])
    assert appeals.has_conflict(make_user(Role.EXPERT, sub), appeal)
    assert not appeals.has_conflict(make_user(Role.INSPECTOR, setting["other"]), appeal)
    assert not appeals.has_conflict(make_user(Role.MANAGER), appeal)
    with pytest.raises(services.CaseError):
        appeals.decide_appeal(appeal, make_user(Role.INSPECTOR, setting["parent"]), True,
                               "Looks malicious to me")  # fmt: skip
    assert appeal.status is AppealStatus.PENDING


def test_upheld_rating_appeal_excludes_it_and_publishes_a_correction(setting, make_user):
    before = json.loads(scoring.publications(setting["cycle"].id)[-1].payload)
    appeal = _appeal(setting)
    reviewer = make_user(Role.INSPECTOR, setting["other"])
    appeals.decide_appeal(appeal, reviewer, True, "Same device rated ten units in a minute")
    db.session.commit()
    assert appeal.status is AppealStatus.UPHELD and appeal.correction_version == 2
    rating = setting["rating"]
    assert rating.is_counted is False  # kept, marked by a confirmed flag
    assert rating.flags[-1].status.value == "confirmed"
    latest = scoring.publications(setting["cycle"].id)[-1]
    assert latest.version == 2 and f"Appeal {appeal.id} upheld" in latest.reason
    after = json.loads(latest.payload)

    def flagged(data):
        unit = next(u for u in data["units"] if u["code"] == setting["unit"].code)
        return unit["indicators"]["satisfaction"]["ratings_flagged"]

    assert flagged(after) == flagged(before) + 1
    with pytest.raises(InvalidTransition):
        appeals.decide_appeal(appeal, reviewer, False, "Changed my mind entirely")


def test_rejected_appeal_keeps_the_results(setting, make_user) -> None:
    appeal = _appeal(setting, kind=AppealKind.RESULT)
    appeals.decide_appeal(appeal, make_user(Role.MANAGER), False, "The figures were checked")
    db.session.commit()
    assert appeal.status is AppealStatus.REJECTED
    assert appeal.decision_reasons == "The figures were checked"
    assert len(scoring.publications(setting["cycle"].id)) == 1
    figures = services.figures({setting["unit"].id})
    assert (figures.appeals_filed, figures.appeals_rejected) == (1, 1)


def test_appeal_pages_file_and_decide(app, client, setting, make_user, login_as) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    appeal = _appeal(setting)
    db.session.commit()
    login_as(Role.INSPECTOR, setting["parent"])  # the appealing unit's superior: a conflict
    page = client.get(f"/manage/casework/appeals/{appeal.id}")
    assert "conflict of interest" in page.text
    refused = client.post(
        f"/manage/casework/appeals/{appeal.id}/decide",
        data={"decision": "uphold", "reasons": "Looks malicious to me"},
    )
    assert refused.status_code == 400
    assert db.session.get_one(Appeal, appeal.id).status is AppealStatus.PENDING
    client.post("/logout")
    login_as(Role.EXPERT)
    response = client.post(
        f"/manage/casework/appeals/{appeal.id}/decide",
        data={"decision": "reject", "reasons": "The rating looks genuine"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get_one(Appeal, appeal.id).status is AppealStatus.REJECTED


def test_integrity_notifications_skip_the_inspectors_own_unit(make_point, make_user) -> None:
    point = make_point()
    rate(point, 5, gifts=True)
    db.session.commit()
    own = make_user(Role.INSPECTOR, point.unit)
    other = make_user(Role.INSPECTOR, None)
    assert services.notifications_for(own) == []
    assert [n.kind for n in services.notifications_for(other)] == ["integrity"]


def test_a_reviewer_decides_within_ten_working_days_counted_with_holidays(
    setting, clock, client, make_user, login_as
) -> None:
    clock(datetime(2026, 10, 20, 9, 0))  # a Tuesday
    appeal = _appeal(setting)
    db.session.commit()
    (deadline,) = appeals.appeal_deadlines([appeal], on=date(2026, 11, 3)).values()
    assert deadline == appeals.AppealDeadline(date(2026, 11, 3), False)  # two weeks later
    late = appeals.appeal_deadlines([appeal], on=date(2026, 11, 4))[appeal.id]
    assert late.is_overdue
    services.add_holiday(date(2026, 10, 26), "A public holiday")
    db.session.commit()
    moved = appeals.appeal_deadlines([appeal], on=date(2026, 11, 4))[appeal.id]
    assert moved == appeals.AppealDeadline(date(2026, 11, 4), False)
    clock(datetime(2026, 11, 5, 9, 0))
    login_as(Role.MANAGER)
    listing = client.get("/manage/casework/appeals").text
    assert "2026-11-04" in listing and "Overdue" in listing
    appeals.decide_appeal(appeal, make_user(Role.EXPERT), False, "The rating looks genuine")
    db.session.commit()
    assert not appeals.appeal_deadlines([appeal], on=date(2026, 12, 1))[appeal.id].is_overdue
    page = client.get(f"/manage/casework/appeals/{appeal.id}").text
    assert "10 working days after filing" in page and "Overdue" not in page


def test_appeal_statistics_are_open_data_per_unit_and_cycle(setting, make_user, client) -> None:
    upheld = _appeal(setting)
    appeals.decide_appeal(upheld, make_user(Role.MANAGER), True, "Same device rated ten units")
    rejected = _appeal(setting, kind=AppealKind.RESULT)
    appeals.decide_appeal(rejected, make_user(Role.MANAGER), False, "The figures were checked")
    _appeal(setting, kind=AppealKind.RESULT)  # not decided yet
    db.session.commit()
    body = client.get("/api/v1/appeals").get_json()
    unit, cycle = setting["unit"].code, setting["cycle"].code
    assert body["data"] == [
        {"unit_code": unit, "cycle_code": cycle, "kind": "rating", "filed": 1, "upheld": 1,
         "rejected": 0, "pending": 0},
        {"unit_code": unit, "cycle_code": cycle, "kind": "result", "filed": 2, "upheld": 0,
         "rejected": 1, "pending": 1},
    ]  # fmt: skip
    csv = client.get("/api/v1/appeals?format=csv").get_data(as_text=True).splitlines()
    assert csv[0] == "unit_code,cycle_code,kind,filed,upheld,rejected,pending"
    assert csv[2] == f"{unit},{cycle},result,2,0,1,1"
    # The same counts as the unit's page and the closed-loop figures.
    figures = services.figures({setting["unit"].id})
    assert (figures.appeals_filed, figures.appeals_upheld, figures.appeals_rejected) == (3, 1, 1)


def test_appeals_of_an_unpublished_cycle_are_not_open_data(make_unit, make_user, client) -> None:
    unit = make_unit("quiet-office")
    cycle = cycle_with_results([unit], code="unpublished-cycle")
    official = make_user(Role.UNIT_OFFICIAL, unit)
    appeals.file_appeal(
        official, cycle.id, AppealKind.RESULT, "The figures we sent were misread", on=IN_WINDOW
    )
    db.session.commit()
    assert client.get("/api/v1/appeals").get_json()["data"] == []
