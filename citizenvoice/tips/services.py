"""Tips: submission and follow-up by receipt, investigation, retention and key rotation.

Services flush and never commit. Nothing here reads anything about the client: callers pass in
only what the reporter typed.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from citizenvoice.accounts.models import Role, User
from citizenvoice.audit.services import record_event
from citizenvoice.core.db import utcnow
from citizenvoice.core.errors import DomainError, Forbidden, InvalidTransition, NotFound
from citizenvoice.extensions import db
from citizenvoice.org.models import ServicePoint, Unit
from citizenvoice.org.services import descendant_ids
from citizenvoice.tips import receipts, triage, uploads
from citizenvoice.tips.crypto import TipCrypto
from citizenvoice.tips.models import (
    Author,
    Tip,
    TipFile,
    TipMessage,
    TipNote,
    TipOutcome,
    TipStatus,
)

#: Allowed status changes (the guard of :func:`change_status`).
TRANSITIONS: dict[TipStatus, frozenset[TipStatus]] = {
    TipStatus.NEW: frozenset({TipStatus.TRIAGED}),
    TipStatus.TRIAGED: frozenset({TipStatus.INVESTIGATING, TipStatus.CLOSED}),
    TipStatus.INVESTIGATING: frozenset({TipStatus.CLOSED}),
    TipStatus.CLOSED: frozenset(),
}
MAX_TEXT = 20_000


class TipError(DomainError):
    """A tip request that the rules refuse."""


@dataclass(frozen=True)
class Evidence:
    """An uploaded file already checked by :func:`check_evidence`."""

    kind: str
    data: bytes


def crypto() -> TipCrypto:
    """The keys of the current app (built once per app)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    box = app.extensions.get("tips_crypto")
    if box is None:
        box = app.extensions["tips_crypto"] = TipCrypto(app.config)
    return box


def today() -> date:
    return utcnow().date()


def check_evidence(filename: str, data: bytes) -> Evidence:
    limit = int(current_app.config["TIPS_MAX_FILE_BYTES"])
    if len(data) > limit:
        raise TipError(_l("The file is larger than %(mb)s MB.", mb=round(limit / (1024 * 1024), 1)))
    kind = uploads.detect_kind(filename, data)
    if kind is None:
        raise TipError(_l("Only PDF, PNG, JPEG, plain text and CSV files can be attached."))
    return Evidence(kind, data)


def active_units() -> list[Unit]:
    return list(
        db.session.scalars(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.name))
    )


def active_points() -> list[ServicePoint]:
    return list(
        db.session.scalars(
            select(ServicePoint)
            .join(Unit)
            .where(ServicePoint.is_active.is_(True), Unit.is_active.is_(True))
            .order_by(Unit.name, ServicePoint.name)
        )
    )


def _store_files(tip: Tip, evidence: list[Evidence]) -> None:
    root = current_app.config["UPLOAD_FOLDER"]
    written: list[str] = db.session.info.setdefault("tips_new_files", [])
    for item in evidence:
        name = uploads.store(root, item.data, crypto())
        written.append(name)
        tip.files.append(
            TipFile(stored_name=name, kind=item.kind, size=len(item.data), uploaded_on=today())
        )


def _discard_new_files(written: list[str]) -> None:
    root = current_app.config["UPLOAD_FOLDER"]
    for name in written:
        uploads.delete(root, name)


def commit() -> None:
    """Commit; if that fails, remove the evidence files written in this transaction."""
    written: list[str] = db.session.info.pop("tips_new_files", [])
    try:
        db.session.commit()
    except Exception:
        _discard_new_files(written)
        raise


def rollback() -> None:
    """Roll back, removing the evidence files written in this transaction."""
    db.session.rollback()
    _discard_new_files(db.session.info.pop("tips_new_files", []))


def _new_ref() -> str:
    return "T-" + secrets.token_hex(4).upper()


def submit_tip(
    unit_id: int,
    body: str,
    figure: str = "",
    point_id: int | None = None,
    evidence: list[Evidence] | None = None,
    nonce: str = "",
) -> tuple[Tip, str]:
    """Record a tip; return it with its receipt (to show once; only its keyed hash is kept).

    ``nonce`` is the one-time value of the form; :func:`already_sent` recognises it again.
    """
    unit = db.session.get(Unit, unit_id)
    if unit is None or not unit.is_active:
        raise TipError(_l("Please choose a unit from the list."))
    point = None
    if point_id:
        point = db.session.get(ServicePoint, point_id)
        if point is None or point.unit_id != unit.id or not point.is_active:
            raise TipError(_l("This service point does not belong to the unit you chose."))
    body = body.strip()
    if not body:
        raise TipError(_l("Please describe what was faked."))
    evidence = evidence or []
    day = today()
    others = db.session.scalar(
        select(func.count(Tip.id)).where(
            Tip.unit_id == unit.id,
            Tip.submitted_on >= day - timedelta(days=triage.CORROBORATION_DAYS),
        )
    )
    score = triage.criticality(
        triage.TipFacts(
            figure_named=bool(figure.strip()),
            point_named=point is not None,
            evidence_attached=bool(evidence),
            text_length=len(body),
            other_tips_on_unit=int(others or 0),
        )
    )
    box = crypto()
    receipt = receipts.new_receipt()
    normalized = receipts.normalize(receipt)
    assert normalized is not None
    tip = Tip(
        ref=_new_ref(),
        receipt_hash=box.receipt_hash(normalized),
        nonce_hash=box.nonce_hash(nonce) if nonce else None,
        unit_id=unit.id,
        service_point_id=point.id if point else None,
        figure_enc=box.encrypt(figure.strip()) if figure.strip() else "",
        body_enc=box.encrypt(body),
        status=TipStatus.NEW,
        score=score,
        submitted_on=day,
        last_activity_on=day,
    )
    db.session.add(tip)
    _store_files(tip, evidence)
    db.session.flush()
    return tip, receipt


def already_sent(nonce: str) -> bool:
    """Whether a tip was already recorded from the form with this one-time nonce."""
    if not nonce:
        return False
    digest = crypto().nonce_hash(nonce)
    return db.session.scalar(select(Tip.id).where(Tip.nonce_hash == digest)) is not None


def find_by_receipt(text: str) -> Tip | None:
    """The tip of a receipt as typed, or None (looked up by its keyed hash)."""
    normalized = receipts.normalize(text or "")
    if normalized is None:
        return None
    digest = crypto().receipt_hash(normalized)
    tip = db.session.scalar(select(Tip).where(Tip.receipt_hash == digest))
    # The index lookup compares keyed digests the caller cannot predict; compare again in
    # constant time so that no code path compares secrets byte by byte.
    if tip is None or not hmac.compare_digest(tip.receipt_hash, digest):
        return None
    return tip


def reporter_reply(tip: Tip, body: str, evidence: list[Evidence] | None = None) -> TipMessage:
    if tip.status is TipStatus.CLOSED:
        raise TipError(_l("This tip is closed; it no longer takes messages."))
    body = body.strip()
    if not body:
        raise TipError(_l("Please write a message."))
    message = TipMessage(author=Author.REPORTER, body_enc=crypto().encrypt(body), sent_on=today())
    tip.messages.append(message)
    _store_files(tip, evidence or [])
    tip.last_activity_on = today()
    db.session.flush()
    return message


# ---- reading, for the reporter and for staff ------------------------------------------------


def text_of(token: str) -> str:
    return crypto().decrypt(token) if token else ""


def figure_of(tip: Tip) -> str:
    return text_of(tip.figure_enc)


def body_of(tip: Tip) -> str:
    return text_of(tip.body_enc)


def is_overdue(tip: Tip, day: date | None = None) -> bool:
    """An open tip with no activity for TIPS_REMINDER_DAYS days."""
    if tip.status is TipStatus.CLOSED:
        return False
    days = int(current_app.config["TIPS_REMINDER_DAYS"])
    return (day or today()) - tip.last_activity_on >= timedelta(days=days)


# ---- investigation (staff) ---------------------------------------------------------------------


def conflicted(user: User, tip: Tip) -> bool:
    """Whether ``user`` belongs to the reported unit or one of its sub-units."""
    return user.unit_id is not None and user.unit_id in descendant_ids(tip.unit_id)


def visible_tips(
    user: User, status: TipStatus | None = None, overdue_only: bool = False
) -> list[Tip]:
    """Tips this user may see: all for admins and managers, unconflicted ones for inspectors."""
    query = select(Tip).order_by(Tip.score.desc(), Tip.id.desc())
    if status is not None:
        query = query.where(Tip.status == status)
    tips = list(db.session.scalars(query))
    if user.role is Role.INSPECTOR and user.unit_id is not None:
        tips = [tip for tip in tips if not conflicted(user, tip)]
    if overdue_only:
        tips = [tip for tip in tips if is_overdue(tip)]
    return tips


def get_tip_for(user: User, tip_id: int) -> Tip:
    tip = db.session.get(Tip, tip_id)
    if tip is None or user.role not in (Role.ADMIN, Role.MANAGER, Role.INSPECTOR):
        raise NotFound(_l("No such tip."))
    if user.role is Role.INSPECTOR and conflicted(user, tip):
        raise NotFound(_l("No such tip."))
    return tip


def record_view(tip: Tip) -> None:
    """Who read a tip's decrypted text is part of the audit trail."""
    _event("tip_viewed", tip)


def investigators_for(tip: Tip) -> list[User]:
    """Active inspectors who may investigate the tip (not from the reported unit's subtree)."""
    excluded = descendant_ids(tip.unit_id)
    users = db.session.scalars(
        select(User)
        .where(User.role == Role.INSPECTOR, User.is_active.is_(True))
        .order_by(User.display_name)
    )
    return [user for user in users if user.unit_id is None or user.unit_id not in excluded]


def _event(action: str, tip: Tip, **details: Any) -> None:
    # unit_id stays None: the reported unit's officials must not see the investigation.
    record_event(action, "tip", tip.id, None, ref=tip.ref, **details)


def assign(tip: Tip, investigator_id: int) -> None:
    investigator = db.session.get(User, investigator_id)
    if investigator is None or investigator not in investigators_for(tip):
        raise Forbidden(
            _l("This person cannot investigate the tip (not an inspector, or from the unit).")
        )
    if tip.status is TipStatus.CLOSED:
        raise InvalidTransition(_l("This tip is closed."))
    tip.assignee_id = investigator.id
    tip.last_activity_on = today()
    db.session.flush()
    _event("tip_assigned", tip, assignee=investigator.username)


def change_status(tip: Tip, new: TipStatus, outcome: TipOutcome | None = None) -> None:
    if new not in TRANSITIONS[tip.status]:
        raise InvalidTransition(_l("This status change is not allowed."))
    if new is TipStatus.CLOSED and outcome is None:
        raise TipError(_l("Choose an outcome to close the tip."))
    if new is not TipStatus.CLOSED and outcome is not None:
        raise TipError(_l("An outcome is only given when the tip is closed."))
    old = tip.status
    tip.status = new
    tip.outcome = outcome
    tip.last_activity_on = today()
    if new is TipStatus.CLOSED:
        tip.closed_on = today()
    db.session.flush()
    _event(
        "tip_status",
        tip,
        before=old.value,
        after=new.value,
        outcome=outcome.value if outcome else None,
    )


def add_note(tip: Tip, author: User, body: str) -> TipNote:
    body = body.strip()
    if not body:
        raise TipError(_l("Please write a note."))
    note = TipNote(author_id=author.id, body_enc=crypto().encrypt(body), written_on=today())
    tip.notes.append(note)
    tip.last_activity_on = today()
    db.session.flush()
    return note


def send_message(tip: Tip, author: User, body: str) -> TipMessage:
    if tip.status is TipStatus.CLOSED:
        raise TipError(_l("This tip is closed; it no longer takes messages."))
    body = body.strip()
    if not body:
        raise TipError(_l("Please write a message."))
    message = TipMessage(
        author=Author.INVESTIGATOR,
        staff_id=author.id,
        body_enc=crypto().encrypt(body),
        sent_on=today(),
    )
    tip.messages.append(message)
    tip.last_activity_on = today()
    db.session.flush()
    _event("tip_message", tip)
    return message


def evidence_file(tip: Tip, file_id: int) -> tuple[TipFile, bytes]:
    item = db.session.get(TipFile, file_id)
    if item is None or item.tip_id != tip.id:
        raise NotFound(_l("No such file."))
    data = uploads.read(current_app.config["UPLOAD_FOLDER"], item.stored_name, crypto())
    _event("tip_file_read", tip, file=item.id)
    return item, data


# ---- retention and key rotation ---------------------------------------------------------------


@dataclass(frozen=True)
class PurgeReport:
    tips: int
    messages: int
    notes: int
    files: int
    #: Stored names of the destroyed files, removed by :func:`remove_files` after the commit.
    stored_names: tuple[str, ...] = ()


def purge(day: date | None = None, retention_days: int | None = None) -> PurgeReport:
    """Destroy closed tips whose retention has passed (rows and files). Idempotent.

    One audit event records the counts (and nothing else) when anything was destroyed. Call
    :func:`remove_files` with the report after committing.
    """
    day = day or today()
    days = int(
        retention_days if retention_days is not None else current_app.config["TIPS_RETENTION_DAYS"]
    )
    cutoff = day - timedelta(days=days)
    ids = list(
        db.session.scalars(
            select(Tip.id).where(Tip.status == TipStatus.CLOSED, Tip.closed_on < cutoff)
        )
    )
    if not ids:
        return PurgeReport(0, 0, 0, 0)
    names = list(db.session.scalars(select(TipFile.stored_name).where(TipFile.tip_id.in_(ids))))
    counts = {}
    for name, model in (("files", TipFile), ("messages", TipMessage), ("notes", TipNote)):
        result = db.session.execute(delete(model).where(model.tip_id.in_(ids)))
        counts[name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    db.session.execute(delete(Tip).where(Tip.id.in_(ids)))
    db.session.expire_all()
    report = PurgeReport(
        len(ids), counts["messages"], counts["notes"], counts["files"], tuple(names)
    )
    record_event(
        "tips_purged",
        "tip",
        None,
        None,
        tips=report.tips,
        messages=report.messages,
        notes=report.notes,
        files=report.files,
    )
    return report


def remove_files(report: PurgeReport) -> None:
    root = current_app.config["UPLOAD_FOLDER"]
    for name in report.stored_names:
        uploads.delete(root, name)


def rotate_keys() -> dict[str, int]:
    """Re-encrypt every tip text, message, note and file under the newest key."""
    box = crypto()
    counts = {"texts": 0, "files": 0}

    def again(token: str) -> str:
        if not token or box.is_current(token.encode()):
            return token
        counts["texts"] += 1
        return box.rotate(token.encode()).decode("ascii")

    for tip in db.session.scalars(select(Tip)):
        tip.figure_enc = again(tip.figure_enc)
        tip.body_enc = again(tip.body_enc)
    for message in db.session.scalars(select(TipMessage)):
        message.body_enc = again(message.body_enc)
    for note in db.session.scalars(select(TipNote)):
        note.body_enc = again(note.body_enc)
    root = current_app.config["UPLOAD_FOLDER"]
    for item in db.session.scalars(select(TipFile)):
        if uploads.rotate(root, item.stored_name, box):
            counts["files"] += 1
    db.session.flush()
    record_event("tips_key_rotated", "tip", None, None, **counts)
    return counts
