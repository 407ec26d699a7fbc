"""Retention (tips-purge), key rotation (tips-rotate-key), the production check and the demo."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from citizenvoice.audit.models import AuditEntry
from citizenvoice.audit.services import verify
from citizenvoice.config import ConfigError, check_production
from citizenvoice.extensions import db
from citizenvoice.tips import services
from citizenvoice.tips.models import Tip, TipFile, TipMessage, TipNote, TipOutcome, TipStatus
from citizenvoice.tips.services import Evidence


def _close(tip: Tip, days_ago: int) -> None:
    services.change_status(tip, TipStatus.TRIAGED)
    services.change_status(tip, TipStatus.CLOSED, TipOutcome.UNSUBSTANTIATED)
    tip.closed_on = services.today() - timedelta(days=days_ago)


def test_purge_destroys_closed_tips_after_retention_and_is_idempotent(
    app: Any, runner: Any, make_unit: Any, make_user: Any
) -> None:
    from citizenvoice.accounts.models import Role

    unit = make_unit()
    staff = make_user(Role.INSPECTOR)
    old, _ = services.submit_tip(unit.id, "old tip text", evidence=[Evidence("txt", b"old")])
    recent, _ = services.submit_tip(unit.id, "recent tip text")
    open_tip, _ = services.submit_tip(unit.id, "open tip text")
    services.send_message(old, staff, "question")
    services.add_note(old, staff, "note")
    _close(old, 400)
    _close(recent, 10)
    db.session.commit()
    stored = Path(app.config["UPLOAD_FOLDER"]) / "tips" / old.files[0].stored_name
    assert stored.exists()
    result = runner.invoke(args=["tips-purge"])
    assert result.exit_code == 0, result.output
    assert "Destroyed 1 tip(s), 1 message(s), 1 note(s) and 1 file(s)." in result.output
    db.session.expire_all()
    assert {t.id for t in db.session.scalars(select(Tip))} == {recent.id, open_tip.id}
    assert db.session.scalar(select(func.count(TipFile.id))) == 0
    assert db.session.scalar(select(func.count(TipMessage.id))) == 0
    assert db.session.scalar(select(func.count(TipNote.id))) == 0
    assert not stored.exists()
    event = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "tips_purged"))
    assert event is not None and '"tips":1' in event.payload.replace(" ", "")
    assert "old tip text" not in event.payload and old.ref not in event.payload
    entries = db.session.scalar(select(func.count(AuditEntry.seq)))
    again = runner.invoke(args=["tips-purge"])
    assert "Destroyed 0 tip(s)" in again.output
    assert db.session.scalar(select(func.count(AuditEntry.seq))) == entries
    assert verify().ok


def test_rotate_key_reencrypts_texts_and_files(make_app: Any, make_unit: Any) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    first = make_app(TIPS_KEY=old_key)
    with first.app_context():
        unit = make_unit()
        tip, receipt = services.submit_tip(
            unit.id, "rotated text", "a figure", evidence=[Evidence("csv", b"a,b\n1,2\n")]
        )
        services.reporter_reply(tip, "a reply")
        db.session.commit()
        tip_id = tip.id
    second = make_app(TIPS_KEY=new_key, TIPS_OLD_KEYS=old_key)
    with second.app_context():
        result = second.test_cli_runner().invoke(args=["tips-rotate-key"])
        assert result.exit_code == 0, result.output
        assert "Re-encrypted 3 text(s) and 1 file(s)." in result.output
        again = second.test_cli_runner().invoke(args=["tips-rotate-key"])
        assert "Re-encrypted 0 text(s) and 0 file(s)." in again.output
    third = make_app(TIPS_KEY=new_key)
    with third.app_context():
        tip = db.session.get(Tip, tip_id)
        assert services.body_of(tip) == "rotated text" and services.figure_of(tip) == "a figure"
        assert services.text_of(tip.messages[0].body_enc) == "a reply"
        _item, data = services.evidence_file(tip, tip.files[0].id)
        assert data == b"a,b\n1,2\n"
        assert services.find_by_receipt(receipt) is not None  # receipts survive rotation


def test_production_requires_explicit_tip_keys() -> None:
    strong = "k8Zr2pQ9vW4xY7mN1bC6dF3gH5jL0sTq"
    base = {"PRODUCTION": True, "SECRET_KEY": strong, "TIPS_OLD_KEYS": ""}
    with pytest.raises(ConfigError, match="TIPS_KEY"):
        check_production({**base, "TIPS_KEY": "", "TIPS_RECEIPT_KEY": strong})
    with pytest.raises(ConfigError, match="TIPS_RECEIPT_KEY"):
        check_production(
            {**base, "TIPS_KEY": Fernet.generate_key().decode(), "TIPS_RECEIPT_KEY": ""}
        )
    check_production(
        {**base, "TIPS_KEY": Fernet.generate_key().decode(), "TIPS_RECEIPT_KEY": strong}
    )


def test_demo_adds_a_tip_with_messages_both_ways_and_prints_no_secret(
    app: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from citizenvoice.demo import build_demo

    build_demo(steps=["citizenvoice.tips.demo:build_demo"])
    db.session.commit()
    tip = db.session.scalar(select(Tip))
    assert tip is not None and tip.unit.code == "housing"
    assert tip.status is TipStatus.INVESTIGATING and tip.assignee is not None
    authors = [m.author.value for m in tip.messages]
    assert authors == ["investigator", "reporter"]
    out = capsys.readouterr()
    assert not re.search(r"[A-Z2-7]{4}-[A-Z2-7]{4}", out.out + out.err)
    assert tip.submitted_on < services.today()
    _ = io
