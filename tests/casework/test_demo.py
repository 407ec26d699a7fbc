"""The demo city's closed loop: every case state, plans, upheld appeals (one with a corrected
figure) and a rejected one."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from citizenvoice.accounts.models import User
from citizenvoice.audit.models import AuditEntry
from citizenvoice.casework.models import (
    Appeal,
    AppealKind,
    AppealStatus,
    Case,
    CaseStatus,
    ImprovementPlan,
)
from citizenvoice.extensions import db
from citizenvoice.indicators.models import IndicatorNode
from citizenvoice.mail.models import OutboxMessage
from citizenvoice.org.models import Unit
from citizenvoice.scoring import services as scoring


def test_demo_has_the_closed_loop(runner) -> None:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    cases = db.session.scalars(select(Case)).all()
    statuses = {c.status for c in cases}
    assert {CaseStatus.OPEN, CaseStatus.SOLVED, CaseStatus.REOPENED} <= statuses
    assert any(c.escalated_at is not None and c.status is CaseStatus.OPEN for c in cases)
    assert len(db.session.scalars(select(ImprovementPlan)).all()) == 2
    appeals = db.session.scalars(select(Appeal).order_by(Appeal.id)).all()
    assert {a.status for a in appeals} == {AppealStatus.UPHELD, AppealStatus.REJECTED}
    upheld = [a for a in appeals if a.status is AppealStatus.UPHELD]
    assert [a.kind for a in upheld] == [AppealKind.RATING, AppealKind.RESULT]
    # Later demo steps (inspections) may publish further corrections of the same cycle.
    versions = {p.version: p for p in scoring.publications(upheld[0].cycle_id)}
    for appeal in upheld:
        assert appeal.correction_version is not None and appeal.correction_version >= 2
        assert f"Appeal {appeal.id} upheld" in versions[appeal.correction_version].reason
    _shows_the_corrected_result(upheld[1], versions)
    # Staff have example addresses only (RFC 2606), and without SMTP no e-mail is written.
    addresses = {user.email or "" for user in db.session.scalars(select(User))}
    assert addresses and all(address.endswith("@example.org") for address in addresses)
    assert db.session.scalars(select(OutboxMessage)).all() == []


def _shows_the_corrected_result(appeal: Appeal, versions: dict[int, Any]) -> None:
    """The version of the upheld result appeal carries the reviewer's figure and a new score."""
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "figure.corrected")
    ).one()
    details = json.loads(entry.payload)["details"]
    assert details["appeal_id"] == appeal.id and details["corrected"] != details["reported"]
    code = db.session.get_one(IndicatorNode, details["indicator_id"]).code
    unit = db.session.get_one(Unit, appeal.unit_id).code

    def line(version: int) -> dict[str, Any]:
        units = json.loads(versions[version].payload)["units"]
        indicator: dict[str, Any] = next(u for u in units if u["code"] == unit)["indicators"][code]
        return indicator

    before, after = line(appeal.correction_version - 1), line(appeal.correction_version)
    assert (before["value"], after["value"]) == (details["reported"], details["corrected"])
    assert after["score"] > before["score"]
    assert "the reviewer corrected it to" in versions[appeal.correction_version].reason
