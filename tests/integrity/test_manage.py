"""The integrity findings page."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from citizenvoice.accounts.models import Role
from citizenvoice.extensions import db
from citizenvoice.integrity.models import FindingSubject, StoredFinding


def _finding(unit: Any, kind: str = "burst", candidate: bool = False) -> StoredFinding:
    finding = StoredFinding(
        fingerprint=f"{kind}-{unit.id}".ljust(64, "0"), kind=kind,
        subject=FindingSubject.FIGURES if candidate else FindingSubject.RATINGS,
        unit_id=unit.id, record_ids_json=json.dumps([4, 5, 6]), statistic=14.0, p_value=1e-8,
        params_json=json.dumps({"count": 14}), flags_created=0 if candidate else 3,
        is_inspection_candidate=candidate,
    )  # fmt: skip
    db.session.add(finding)
    db.session.commit()
    return finding


def test_managers_see_findings_and_filter_candidates(
    client: Any, login_as: Any, make_unit: Any
) -> None:
    unit = make_unit()
    _finding(unit)
    jump = _finding(unit, "figure_jump", candidate=True)
    login_as(Role.MANAGER)
    html = client.get("/manage/integrity/").get_data(as_text=True)
    assert "Burst of ratings in one hour" in html and "3 ratings flagged" in html
    html = client.get("/manage/integrity/?candidates=1").get_data(as_text=True)
    assert "Burst of ratings in one hour</td>" not in html and "inspection candidate" in html
    detail = client.get(f"/manage/integrity/findings/{jump.id}").get_data(as_text=True)
    assert "4, 5, 6" in detail
    zh = client.get("/manage/integrity/?lang=zh").get_data(as_text=True)
    assert "诚信" in zh or "检测" in zh


def test_the_scan_button_runs_the_scan(client: Any, login_as: Any) -> None:
    login_as(Role.MANAGER)
    response = client.post("/manage/integrity/scan", follow_redirects=True)
    assert response.status_code == 200 and "Scan done" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(StoredFinding.id))) == 0


def test_unit_officials_have_no_access(client: Any, login_as: Any, make_unit: Any) -> None:
    login_as(Role.UNIT_OFFICIAL, make_unit())
    assert client.get("/manage/integrity/").status_code == 403


def test_findings_name_their_unit(client: Any, login_as: Any, make_unit: Any) -> None:
    unit = make_unit(name="Harbour Bureau")
    _finding(unit)
    login_as(Role.INSPECTOR)
    assert "Harbour Bureau" in client.get("/manage/integrity/").get_data(as_text=True)
