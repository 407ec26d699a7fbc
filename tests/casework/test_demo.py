"""The demo city's closed loop: every case state, plans and an upheld and a rejected appeal."""

from __future__ import annotations

from sqlalchemy import select

from citizenvoice.accounts.models import User
from citizenvoice.casework.models import Appeal, AppealStatus, Case, CaseStatus, ImprovementPlan
from citizenvoice.extensions import db
from citizenvoice.mail.models import OutboxMessage
from citizenvoice.scoring import services as scoring


def test_demo_has_the_closed_loop(runner) -> None:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    cases = db.session.scalars(select(Case)).all()
    statuses = {c.status for c in cases}
    assert {CaseStatus.OPEN, CaseStatus.SOLVED, CaseStatus.REOPENED} <= statuses
    assert any(c.escalated_at is not None and c.status is CaseStatus.OPEN for c in cases)
    assert len(db.session.scalars(select(ImprovementPlan)).all()) == 2
    appeals = {a.status: a for a in db.session.scalars(select(Appeal))}
    assert set(appeals) == {AppealStatus.UPHELD, AppealStatus.REJECTED}
    upheld = appeals[AppealStatus.UPHELD]
    # Later demo steps (inspections) may publish further corrections of the same cycle.
    versions = {p.version: p for p in scoring.publications(upheld.cycle_id)}
    assert upheld.correction_version is not None and upheld.correction_version >= 2
    assert f"Appeal {upheld.id} upheld" in versions[upheld.correction_version].reason
    # Staff have example addresses only (RFC 2606), and without SMTP no e-mail is written.
    addresses = {user.email or "" for user in db.session.scalars(select(User))}
    assert addresses and all(address.endswith("@example.org") for address in addresses)
    assert db.session.scalars(select(OutboxMessage)).all() == []
