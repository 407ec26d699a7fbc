"""Publishing: immutable snapshots with their hash in the audit chain, corrections as versions."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

from citizenvoice.audit.models import AuditEntry
from citizenvoice.audit.services import verify
from citizenvoice.core.errors import InvalidTransition, NotFound
from citizenvoice.extensions import db
from citizenvoice.scoring import services
from citizenvoice.scoring.assembly import canonical_json
from citizenvoice.scoring.models import Publication, SnapshotImmutable


def test_publish_freezes_a_snapshot_with_its_hash_in_the_audit_chain(worked_example) -> None:
    cycle, unit = worked_example["cycle"], worked_example["unit"]
    services.compute_cycle(cycle.id)
    publication = services.publish(cycle.id)
    db.session.commit()
    assert publication.version == 1 and publication.reason == ""
    assert publication.sha256 == hashlib.sha256(publication.payload.encode()).hexdigest()
    data = json.loads(publication.payload)
    assert publication.payload == canonical_json(data)  # canonical: anyone can re-hash it
    assert data["cycle"]["code"] == "2026-q3" and data["version"] == 1
    assert [u["code"] for u in data["units"]] == ["bureau"]
    assert data["units"][0]["grade"] == "good"
    assert data["units"][0]["indicators"]["sat"]["ratings_flagged"] == 7

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "results.published"))
    details = json.loads(entry.payload)["details"]
    assert details["sha256"] == publication.sha256 and details["version"] == 1
    assert verify().ok

    published = services.published_results(cycle.id)
    assert published.sha256 == publication.sha256 and published.audit_seq == entry.seq
    assert published.audit_hash == entry.hash and published.unit("bureau")["total"] > 83
    latest = services.latest_publication(unit.id)
    assert latest is not None and latest.cycle_code == "2026-q3" and latest.version == 1
    assert latest.result["grade"] == "good"
    assert services.latest_publication(worked_example["sub"].id) is None


def test_a_published_snapshot_is_never_updated_or_deleted(worked_example) -> None:
    cycle = worked_example["cycle"]
    services.compute_cycle(cycle.id)
    publication = services.publish(cycle.id)
    db.session.commit()
    publication.payload = "{}"
    with pytest.raises(SnapshotImmutable):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(Publication, publication.id))
    with pytest.raises(SnapshotImmutable):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(InvalidTransition):
        services.publish(cycle.id)  # a second "version 1" is refused
    stored = db.session.get(Publication, publication.id)
    assert stored.sha256 == hashlib.sha256(stored.payload.encode()).hexdigest()


def test_corrections_make_new_versions_and_earlier_ones_stay_readable(
    worked_example, add_figure
) -> None:
    cycle = worked_example["cycle"]
    services.compute_cycle(cycle.id)
    first = services.publish(cycle.id)
    db.session.commit()
    first_payload = first.payload
    # an inspection finds the real on-time rate; the unit's figure is replaced
    from citizenvoice.indicators.models import SelfReportedFigure

    old = db.session.scalar(select(SelfReportedFigure))
    old.is_superseded = True
    add_figure(cycle, worked_example["unit"], worked_example["nodes"]["ontime"], 90.0)
    with pytest.raises(services.ScoringError):
        services.publish_correction(cycle.id, "  ")
    second = services.publish_correction(cycle.id, "Inspection 2026-11 corrected the figure")
    db.session.commit()
    assert second.version == 2 and second.reason.startswith("Inspection")
    assert second.sha256 != first.sha256
    v1 = services.published_results(cycle.id, 1)
    v2 = services.published_results(cycle.id)
    assert v1.version == 1 and v2.version == 2 and v2.versions == (1, 2)
    assert v1.unit("bureau")["indicators"]["ontime"]["value"] == 95
    assert v2.unit("bureau")["indicators"]["ontime"]["value"] == 90
    assert v2.data["reason"] == "Inspection 2026-11 corrected the figure"
    assert db.session.get(Publication, first.id).payload == first_payload
    events = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "results.published").order_by(AuditEntry.seq)
    ).all()
    assert [json.loads(e.payload)["details"]["version"] for e in events] == [1, 2]
    assert json.loads(events[1].payload)["details"]["sha256"] == second.sha256
    assert services.latest_publication(worked_example["unit"].id).version == 2
    with pytest.raises(NotFound):
        services.published_results(cycle.id, 3)


def test_publishing_needs_a_computation_and_an_evaluating_cycle(worked_example, make_cycle) -> None:
    with pytest.raises(InvalidTransition):
        services.publish(worked_example["cycle"].id)  # not computed yet
    with pytest.raises(InvalidTransition):
        services.publish(make_cycle().id)  # planning
    with pytest.raises(InvalidTransition):
        services.publish_correction(worked_example["cycle"].id, "No publication to correct")
