from tests.access import Rule, allow

READERS = allow("admin", "manager", "inspector")

RULES = {
    "integrity_manage.index": Rule(READERS, query=lambda w: {"subject": "ratings"}),
    "integrity_manage.finding": Rule(
        READERS, params=lambda w: {"finding_id": w.extra["integrity_finding"].id}
    ),
    "integrity_manage.scan": Rule(allow("admin", "manager")),
}


def extend_world(world):
    """One stored burst finding at unit A's service point."""
    import json

    from citizenvoice.extensions import db
    from citizenvoice.integrity.models import FindingSubject, StoredFinding

    finding = StoredFinding(
        fingerprint="0" * 64, kind="burst", subject=FindingSubject.RATINGS,
        unit_id=world.unit_a.id, service_point_id=world.point_a.id,
        record_ids_json=json.dumps([1, 2, 3]), statistic=12.0, p_value=1e-9,
        params_json=json.dumps({"count": 12, "expected": 0.4}),
    )  # fmt: skip
    db.session.add(finding)
    db.session.flush()
    world.extra["integrity_finding"] = finding
