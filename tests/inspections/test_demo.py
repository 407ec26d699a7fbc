"""The demo city's inspections: a falsified figure that corrected published results, and the
detector findings on the planted abuse of the demo ratings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.inspections.models import FigureVerification, SampleSurvey, Visit, VisitKind
from citizenvoice.integrity.models import StoredFinding
from citizenvoice.scoring.models import Publication


def test_the_demo_inspection_finds_a_falsified_figure_and_the_scan_finds_the_abuse(
    runner: Any,
) -> None:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    verification = db.session.scalars(select(FigureVerification)).one()
    # Version 1 is the original publication; earlier demo steps (appeals) may add corrections.
    assert verification.is_falsified and (verification.correction_version or 0) >= 2
    correction = db.session.scalars(
        select(Publication).where(
            Publication.cycle_id == verification.cycle_id,
            Publication.version == verification.correction_version,
        )
    ).one()
    assert "Inspection verification" in correction.reason
    kinds = set(db.session.scalars(select(StoredFinding.kind)))
    # the surveys demo plants one device rating a point 20 times and a burst of identical ratings
    assert {"burst", "device_cluster", "identical_burst"} <= kinds, kinds
    visits = list(db.session.scalars(select(Visit)))
    assert {v.kind for v in visits} == {VisitKind.OPEN, VisitKind.UNANNOUNCED}
    assert db.session.scalars(select(SampleSurvey)).first() is not None
    again = runner.invoke(args=["integrity-scan"])
    assert again.exit_code == 0 and " 0 new," in again.output, again.output
