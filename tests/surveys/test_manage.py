"""Staff flows: flag review, the rating stream scoped to a unit, the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from citizenvoice.accounts.models import Role
from citizenvoice.audit.models import AuditEntry
from citizenvoice.extensions import db
from citizenvoice.surveys import services
from citizenvoice.surveys.models import FlagKind, FlagStatus, RatingFlag
from citizenvoice.surveys.rollups import recomputed_rows, rollup_rows


def rate(point: Any, overall: int = 4, **kw: Any) -> Any:
    version = services.version_for_point(point)
    rating = services.submit_rating(point, version, services.Submission(overall=overall, **kw))
    db.session.commit()
    return rating


def test_flag_review_confirm_and_clear_are_audited_and_adjust_rollups(
    client: FlaskClient, point: Any, login_as: Any
):
    manager = login_as(Role.MANAGER)
    honey = rate(point, 5, is_honeypot=True)
    fast = rate(point, 1, answered_seconds=0.4)
    assert not honey.is_counted and not fast.is_counted
    page = client.get("/manage/surveys/flags").get_data(as_text=True)
    assert "2 open flags" in page and "honeypot" in page and "too_fast" in page
    flags = {f.kind: f for f in db.session.scalars(select(RatingFlag))}
    refused = client.post(
        f"/manage/surveys/flags/{flags[FlagKind.TOO_FAST].id}/decide",
        data={"decision": "clear", "reason": ""},
    )
    assert refused.status_code == 302
    db.session.expire_all()
    assert flags[FlagKind.TOO_FAST].status is FlagStatus.OPEN
    client.post(
        f"/manage/surveys/flags/{flags[FlagKind.TOO_FAST].id}/decide",
        data={"decision": "clear", "reason": "a regular, fast reader"},
    )
    client.post(
        f"/manage/surveys/flags/{flags[FlagKind.HONEYPOT].id}/decide",
        data={"decision": "confirm", "reason": "bot"},
    )
    db.session.expire_all()
    assert fast.is_counted and not honey.is_counted
    cleared = flags[FlagKind.TOO_FAST]
    assert cleared.status is FlagStatus.CLEARED and cleared.decided_by_id == manager.id
    assert rollup_rows() == recomputed_rows()
    assert sum(v[0] for v in rollup_rows().values()) == 1
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"rating_flag.cleared", "rating_flag.confirmed"} <= actions
    again = client.post(
        f"/manage/surveys/flags/{cleared.id}/decide",
        data={"decision": "confirm", "reason": "changed my mind"},
    )
    assert again.status_code == 302
    db.session.expire_all()
    assert cleared.status is FlagStatus.CLEARED


def test_stream_is_scoped_to_the_officials_unit_and_masks_comments(
    client: FlaskClient, make_unit: Any, make_point: Any, login_as: Any, point: Any
):
    unit_a = make_unit("a")
    sub_a = make_unit("a-sub", parent=unit_a)
    unit_b = make_unit("b")
    pa, psub, pb = make_point(unit_a), make_point(sub_a), make_point(unit_b)
    rate(pa, 2, comment="Rude at window A, call 13800138000")
    rate(psub, 3, comment="Sub-unit comment")
    rate(pb, 5, comment="Unit B comment")
    login_as(Role.UNIT_OFFICIAL, unit_a)
    html = client.get("/manage/surveys/ratings").get_data(as_text=True)
    assert "Rude at window A" in html and "Sub-unit comment" in html
    assert "Unit B comment" not in html
    assert "13800138000" not in html and "[phone]" in html
    assert "2 ratings" in html
    filtered = client.get(f"/manage/surveys/ratings?point={psub.id}").get_data(as_text=True)
    assert "Sub-unit comment" in filtered and "Rude at window A" not in filtered
    outside = client.get(f"/manage/surveys/ratings?point={pb.id}").get_data(as_text=True)
    assert "Unit B comment" not in outside
    export = client.get("/manage/surveys/ratings.csv")
    assert "attachment" in export.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert len(rows) == 2 and {r["service_point"] for r in rows} == {pa.code, psub.code}


def test_stream_date_filter_and_pagination(client: FlaskClient, point: Any, login_as: Any):
    for day in range(1, 31):
        rate(point, 1 + day % 5, created_at=datetime(2026, 4, day, 10))
    for n in range(40):
        rate(point, 3, created_at=datetime(2026, 5, 1, 9, n))
    login_as(Role.MANAGER)
    html = client.get("/manage/surveys/ratings?since=2026-04-10&until=2026-04-12").get_data(
        as_text=True
    )
    assert "3 ratings" in html
    first = client.get("/manage/surveys/ratings").get_data(as_text=True)
    assert "70 ratings" in first and "Page 1 of 2" in first
    second = client.get("/manage/surveys/ratings?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second and "2026-04-01" in second
    assert client.get("/manage/surveys/ratings?since=garbage&page=x").status_code == 200


def test_csv_export_has_no_hashes_contacts_or_raw_comments(
    client: FlaskClient, point: Any, login_as: Any
):
    rating = rate(
        point,
        2,
        comment="=HYPERLINK(bad) phone 13800138000",
        contact_details="li@example.cn",
        device_hash="d" * 32,
        ip_hash="e" * 32,
    )
    assert rating.device_hash
    login_as(Role.ADMIN)
    body = client.get("/manage/surveys/ratings.csv").get_data(as_text=True)
    for secret in ("d" * 32, "e" * 32, "13800138000", "li@example.cn"):
        assert secret not in body
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows[0]["comment"].startswith("'=HYPERLINK") and rows[0]["has_contact"] == "1"
    assert "device" not in ",".join(rows[0]) and "ip" not in rows[0]


def test_contact_details_only_for_the_units_officials(
    client: FlaskClient, point: Any, make_user: Any
):
    from tests.conftest import login

    rating = rate(point, 1, comment="Call me", contact_details="13800138000", contact_name="Li")
    official = make_user(Role.UNIT_OFFICIAL, point.unit)
    manager = make_user(Role.MANAGER)
    login(client, manager)
    html = client.get(f"/manage/surveys/ratings/{rating.id}").get_data(as_text=True)
    assert "13800138000" not in html and "visible to the unit" in html
    client.post("/logout")
    login(client, official)
    html = client.get(f"/manage/surveys/ratings/{rating.id}").get_data(as_text=True)
    assert "13800138000" in html and "Li" in html


def test_staff_home_lists_the_survey_pages(client: FlaskClient, point: Any, login_as: Any):
    login_as(Role.UNIT_OFFICIAL, point.unit)
    html = client.get("/manage/").get_data(as_text=True)
    assert "/manage/surveys/ratings" in html or "/manage/surveys/" in html
    assert "/manage/surveys/points" in html and "/manage/surveys/flags" not in html
