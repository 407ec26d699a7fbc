"""Improvement commitments as open data: exactly the ones the unit page lists, nothing internal."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from html import unescape
from typing import Any

from flask.testing import FlaskClient

from citizenvoice.accounts.models import Role
from citizenvoice.core.db import utcnow
from citizenvoice.extensions import db

INTERNAL = ("Ms Wang Fang", "Queues are too long", "Internal memo 12", "Ask the clerks too")


def _commitments(published: dict[str, Any], make_unit: Any, make_user: Any, make_cycle: Any,
                 make_node: Any) -> dict[str, Any]:  # fmt: skip
    from citizenvoice.casework import services as casework
    from citizenvoice.indicators.models import CycleState

    manager = make_user(Role.MANAGER)
    cycle, nodes = published["cycle"], published["nodes"]
    unit, sub, elsewhere = published["unit"], published["sub"], make_unit("elsewhere")
    today = utcnow().date()

    def plan(
        owner_unit: Any, cycle_id: int, node_id: int, action: str, due: date, **kw: Any
    ) -> Any:
        return casework.create_plan(
            manager, owner_unit.id, cycle_id, node_id, "Queues are too long at the counter",
            action, "Ms Wang Fang", due, **kw,
        )  # fmt: skip

    done = plan(
        unit, cycle.id, nodes["sat"].id, "Open a second window", today, self_identified=True
    )
    casework.update_progress(done, 100, "Internal memo 12")
    casework.comment_on_plan(done, make_user(Role.EXPERT), "Ask the clerks too")
    late = plan(sub, cycle.id, nodes["ontime"].id, "Answer <b>letters</b> within 5 days",
                today - timedelta(days=3))  # fmt: skip
    casework.update_progress(late, 40, "")
    later = make_cycle("2026-q4", CycleState.PLANNING, units=[unit])
    plan(unit, later.id, make_node(later, code="sat-q4").id, "Train the counter staff",
         today + timedelta(days=60))  # fmt: skip
    other = make_cycle("other", CycleState.PLANNING, units=[elsewhere])
    plan(elsewhere, other.id, make_node(other).id, "Not the bureau's", today + timedelta(days=9))
    db.session.commit()
    return {"today": today, "done": done}


def _as_on_the_page(row: dict[str, Any]) -> str:
    text = f"{row['action']} — due {row['due_on']}, {row['progress']} per cent done"
    return text + (" (self-identified)" if row["self_identified"] else "")


def test_commitments_are_the_ones_the_unit_page_shows(
    client: FlaskClient, published: dict[str, Any], make_unit: Any, make_user: Any,
    make_cycle: Any, make_node: Any,
) -> None:  # fmt: skip
    made = _commitments(published, make_unit, make_user, make_cycle, make_node)
    today = made["today"]
    html = client.get("/units/bureau").get_data(as_text=True)
    listed = re.search(r'<ul class="plans">(.*?)</ul>', html, re.S)
    assert listed is not None
    on_page = [" ".join(unescape(li).split()) for li in re.findall(r"<li>(.*?)</li>", listed[1])]

    response = client.get("/api/v1/commitments?unit=bureau")
    assert response.status_code == 200
    rows = response.get_json()["data"]
    assert sorted(_as_on_the_page(r) for r in rows) == sorted(on_page)
    assert len(rows) == 3 and response.get_json()["meta"]["total"] == 3
    assert rows == [
        {
            "unit_code": "bureau-office", "cycle_code": "2026-q3", "indicator_code": "ontime",
            "indicator_name": "Node 6", "indicator_name_zh": None,
            "action": "Answer <b>letters</b> within 5 days",
            "due_on": (today - timedelta(days=3)).isoformat(), "progress": 40,
            "status": "overdue", "completed_on": None, "self_identified": False,
        },
        {
            "unit_code": "bureau", "cycle_code": "2026-q3", "indicator_code": "sat",
            "indicator_name": "Citizen satisfaction", "indicator_name_zh": None,
            "action": "Open a second window", "due_on": today.isoformat(), "progress": 100,
            "status": "completed", "completed_on": made["done"].completed_at.date().isoformat(),
            "self_identified": True,
        },
        {  # its cycle is not published: neither the cycle nor its indicator is named
            "unit_code": "bureau", "cycle_code": None, "indicator_code": None,
            "indicator_name": None, "indicator_name_zh": None,
            "action": "Train the counter staff",
            "due_on": (today + timedelta(days=60)).isoformat(), "progress": 0,
            "status": "in_progress", "completed_on": None, "self_identified": False,
        },
    ]  # fmt: skip
    # The whole list: the other unit's commitment too; nothing internal anywhere.
    everything = client.get("/api/v1/commitments")
    assert [r["unit_code"] for r in everything.get_json()["data"]].count("elsewhere") == 1
    as_csv = client.get("/api/v1/commitments?format=csv").get_data(as_text=True)
    for body in (response.get_data(as_text=True), everything.get_data(as_text=True), as_csv):
        for text in INTERNAL:
            assert text not in body
        assert "2026-q4" not in body and "sat-q4" not in body
    assert "<b>" not in response.get_data(as_text=True)  # escaped in JSON


def test_commitments_as_csv_with_paging_and_caching(
    client: FlaskClient, published: dict[str, Any], make_unit: Any, make_user: Any,
    make_cycle: Any, make_node: Any,
) -> None:  # fmt: skip
    _commitments(published, make_unit, make_user, make_cycle, make_node)
    first = client.get("/api/v1/commitments?unit=bureau&limit=2")
    meta = first.get_json()["meta"]
    assert (meta["total"], meta["next_offset"], first.headers["X-Total-Count"]) == (3, 2, "3")
    assert "offset=2" in first.headers["Link"]
    again = client.get(
        "/api/v1/commitments?unit=bureau&limit=2", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    response = client.get("/api/v1/commitments?unit=bureau&format=csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == [
        "unit_code", "cycle_code", "indicator_code", "indicator_name", "indicator_name_zh",
        "action", "due_on", "progress", "status", "completed_on", "self_identified",
    ]  # fmt: skip
    assert [(r["status"], r["self_identified"], r["cycle_code"]) for r in rows] == [
        ("overdue", "false", "2026-q3"),
        ("completed", "true", "2026-q3"),
        ("in_progress", "false", ""),
    ]
    assert client.get("/api/v1/commitments?unit=nobody").get_json()["data"] == []
    assert client.get("/api/v1/commitments?unit=%3Cx%3E").status_code == 400


def test_commitments_are_documented(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/commitments"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["unit", "limit", "offset", "format"]
    schema = document["components"]["schemas"]["commitments"]
    dictionary = client.get("/api/v1/dictionary").get_json()["commitments"]
    assert [f["name"] for f in dictionary["fields"]] == schema["required"]
    assert set(schema["properties"]) == set(schema["required"])
    assert schema["properties"]["completed_on"]["format"] == "date"
    assert "commitments" in client.get("/api/v1/").get_json()["datasets"]


def test_a_long_list_names_what_is_left_out_and_links_the_whole_list(
    client: FlaskClient, published: dict[str, Any], make_unit: Any, make_user: Any,
    make_cycle: Any, make_node: Any, monkeypatch: Any,
) -> None:  # fmt: skip
    from citizenvoice.casework import services as casework

    _commitments(published, make_unit, make_user, make_cycle, make_node)
    html = client.get("/units/bureau").get_data(as_text=True)
    assert html.count("per cent done") == 3 and "due first of" not in html
    monkeypatch.setattr(casework, "PUBLIC_PLANS_SHOWN", 2)
    html = client.get("/units/bureau").get_data(as_text=True)
    listed = re.search(r'<ul class="plans">(.*?)</ul>', html, re.S)
    assert listed is not None
    actions = [unescape(li).split(" — ")[0] for li in re.findall(r"<li>(.*?)</li>", listed[1])]
    assert actions == ["Answer <b>letters</b> within 5 days", "Open a second window"]
    assert "The 2 due first of 3 commitments are listed here" in html
    links = re.findall(r'href="(/api/v1/commitments\?[^"]+)"', html)
    assert [unescape(link) for link in links] == [
        "/api/v1/commitments?unit=bureau",
        "/api/v1/commitments?unit=bureau&format=csv",
    ]
    whole = client.get(unescape(links[0])).get_json()
    assert whole["meta"]["total"] == 3 and len(whole["data"]) == 3
