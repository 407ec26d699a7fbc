import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text, update

from citizenvoice.accounts.models import Role
from citizenvoice.audit import services
from citizenvoice.audit.chain import GENESIS, StoredEntry, canonical, entry_hash, verify_chain
from citizenvoice.audit.models import AuditEntry
from citizenvoice.extensions import db


def entries() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_staff_write_is_recorded_with_actor_and_before_after(client, login_as, make_unit) -> None:
    unit = make_unit(name="Old name")
    manager = login_as(Role.MANAGER)
    client.post(
        f"/manage/org/units/{unit.id}/edit",
        data={"code": unit.code, "name": "New name", "kind": "bureau", "parent_id": 0},
    )
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "update", AuditEntry.entity_type == "units")
    )
    details = json.loads(entry.payload)["details"]
    assert entry.actor_label == manager.username and entry.actor_id == manager.id
    assert details["before"]["name"] == "Old name" and details["after"]["name"] == "New name"
    assert entry.unit_id == unit.id


def test_secrets_never_enter_the_log(app, make_user) -> None:
    make_user(Role.ADMIN, username="keeper")
    payloads = " ".join(e.payload for e in entries())
    assert "pbkdf2" not in payloads and '"password_hash":"<set>"' in payloads


def test_chain_verifies_then_detects_an_edited_row(runner, make_unit) -> None:
    for _ in range(3):
        make_unit()
    assert runner.invoke(args=["audit-verify"]).exit_code == 0
    second = entries()[1]
    tampered = second.payload.replace("Unit", "Tinu")
    db.session.execute(
        update(AuditEntry).where(AuditEntry.id == second.id).values(payload=tampered)
    )
    db.session.commit()
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1 and f"BROKEN at entry {second.seq}" in result.output


def test_chain_detects_a_changed_column_and_a_deleted_row(app, make_unit) -> None:
    for _ in range(3):
        make_unit()
    rows = entries()
    first_id, label = rows[0].id, rows[0].actor_label
    db.session.execute(
        update(AuditEntry).where(AuditEntry.id == first_id).values(actor_label="nobody")
    )
    db.session.commit()
    report = services.verify()
    assert not report.ok and report.first_broken_seq == 1 and "actor_label" in report.reason
    db.session.execute(
        update(AuditEntry).where(AuditEntry.id == first_id).values(actor_label=label)
    )
    db.session.execute(text("DELETE FROM audit_entries WHERE seq = 2"))
    db.session.commit()
    report = services.verify()
    assert not report.ok and report.first_broken_seq == 3 and "missing" in report.reason


def test_domain_events_join_the_chain(app) -> None:
    services.record_event("cycle.published", "cycles", 7, None, reason="end of quarter")
    db.session.commit()
    entry = entries()[-1]
    assert entry.action == "cycle.published"
    assert json.loads(entry.payload)["details"] == {"reason": "end of quarter"}
    assert services.verify().ok and services.chain_head() == (entry.seq, entry.hash)


def test_official_reads_only_own_units_trail(client, login_as, make_unit) -> None:
    mine, theirs = make_unit(name="Mine"), make_unit(name="Theirs")
    login_as(Role.UNIT_OFFICIAL, mine)
    page = client.get("/manage/audit/").get_data(as_text=True)
    assert f"units #{mine.id}" in page and f"units #{theirs.id}" not in page


def test_verify_page_for_managers(client, login_as, make_unit) -> None:
    make_unit()
    login_as(Role.MANAGER)
    assert "The chain is intact" in client.get("/manage/audit/verify").get_data(as_text=True)


@given(st.lists(st.text(max_size=20), min_size=1, max_size=8), st.data())
def test_pure_chain_detects_any_single_edit(payloads, data) -> None:
    chain, prev = [], GENESIS
    for seq, body in enumerate(payloads, start=1):
        payload = canonical({"seq": seq, "body": body})
        digest = entry_hash(prev, payload)
        chain.append(StoredEntry(seq, payload, prev, digest, {"seq": seq}))
        prev = digest
    assert verify_chain(chain).ok
    victim = data.draw(st.integers(0, len(chain) - 1))
    edited = chain[victim]
    forged = canonical({"seq": edited.seq, "body": edited.payload + "x"})
    chain[victim] = StoredEntry(edited.seq, forged, edited.prev_hash, edited.hash, edited.columns)
    report = verify_chain(chain)
    assert not report.ok and report.first_broken_seq == victim + 1


@pytest.mark.parametrize("threads", [8])
def test_concurrent_writers_keep_one_chain(make_app, threads: int) -> None:
    """Concurrent staff writes from several sessions still form a single unbroken chain."""
    import threading

    from citizenvoice.org import services as org
    from citizenvoice.org.models import UnitKind

    app = make_app()
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            with app.app_context():
                for i in range(5):
                    org.create_unit(f"t{n}-{i}", f"Unit {n}-{i}", UnitKind.OFFICE)
                    db.session.commit()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors
    with app.app_context():
        report = services.verify()
        assert report.ok and report.checked == threads * 5
