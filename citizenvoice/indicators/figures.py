"""Self-reported figures with evidence files.

Every submission is a new row: an earlier one is marked superseded (never changed otherwise), a
submission after the cycle's deadline is marked late. Evidence files are checked against an
allow-list by extension *and* content, stored under random names outside the static folder and
only ever served as attachments.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.utils import secure_filename

from citizenvoice.audit.services import record_event
from citizenvoice.core.db import utcnow
from citizenvoice.core.errors import DomainError, InvalidTransition, NotFound
from citizenvoice.extensions import db
from citizenvoice.indicators.models import (
    Cycle,
    CycleState,
    DataSource,
    Evidence,
    IndicatorNode,
    SelfReportedFigure,
)
from citizenvoice.indicators.services import applies_to

#: States in which units may (still) report figures; late ones are marked as such.
REPORTING_STATES = frozenset({CycleState.COLLECTING, CycleState.EVALUATING})
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
#: extension → (content type, accepted leading bytes; empty for text checked separately)
ALLOWED_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
    ),
    "csv": ("text/csv", ()),
}
_MARKUP = (b"<!doctype", b"<html", b"<script", b"<svg", b"<?xml", b"<body", b"<iframe")


class FigureError(DomainError):
    """A figure or an evidence file that cannot be accepted."""


@dataclass
class Upload:
    filename: str
    data: bytes


def evidence_folder(upload_root: str) -> Path:
    folder = Path(upload_root) / "evidence"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _looks_like_markup(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return any(marker in head for marker in _MARKUP)


def check_upload(upload: Upload, max_bytes: int = MAX_EVIDENCE_BYTES) -> tuple[str, str, str]:
    """Return (clean name, extension, content type) or raise FigureError."""
    if "\x00" in upload.filename:
        raise FigureError(_l("The file name contains characters that are not allowed."))
    clean = display_name(upload.filename)
    extension = clean.rsplit(".", 1)[-1].lower() if "." in clean else ""
    if extension not in ALLOWED_TYPES:
        raise FigureError(_l("Only PDF, PNG, JPEG, CSV and XLSX files are accepted."))
    if not upload.data:
        raise FigureError(_l("The file is empty."))
    if len(upload.data) > max_bytes:
        raise FigureError(
            _l("The file is larger than %(size)s MB.", size=f"{max_bytes / 1024 / 1024:g}")
        )
    content_type, magic = ALLOWED_TYPES[extension]
    if magic and not upload.data.startswith(magic):
        raise FigureError(_l("The file's content does not match its type."))
    if not magic:
        try:
            text = upload.data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FigureError(_l("A CSV file must be UTF-8 text.")) from exc
        if "\x00" in text or _looks_like_markup(upload.data):
            raise FigureError(_l("The file's content does not match its type."))
    return clean, extension, content_type


def display_name(filename: str) -> str:
    """The uploader's file name without any directory part or risky characters; Chinese names
    are kept (it is only ever a download name; files are stored under random names)."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>:|?*;')
    name = name.strip(". ")[-150:]
    return name or secure_filename(filename) or "evidence"


def _store(folder: Path, extension: str, data: bytes) -> str:
    name = f"{secrets.token_hex(16)}.{extension}"
    path = folder / name
    with open(path, "xb") as handle:  # "x": never overwrite an existing file
        handle.write(data)
    return name


def current_figure(cycle: Cycle, unit_id: int, indicator_id: int) -> SelfReportedFigure | None:
    return db.session.scalar(
        select(SelfReportedFigure).where(
            SelfReportedFigure.cycle_id == cycle.id,
            SelfReportedFigure.unit_id == unit_id,
            SelfReportedFigure.indicator_id == indicator_id,
            SelfReportedFigure.is_superseded.is_(False),
        )
    )


def figure_history(cycle: Cycle, unit_ids: set[int] | None = None) -> list[SelfReportedFigure]:
    query = select(SelfReportedFigure).where(SelfReportedFigure.cycle_id == cycle.id)
    if unit_ids is not None:
        query = query.where(SelfReportedFigure.unit_id.in_(unit_ids))
    order = (SelfReportedFigure.unit_id, SelfReportedFigure.indicator_id, SelfReportedFigure.id)
    return list(db.session.scalars(query.order_by(*order)))


def add_version(
    previous: SelfReportedFigure | None, now: datetime, **fields: Any
) -> SelfReportedFigure:
    """A unit's figure as a new version (flushed); the previous one is kept, marked superseded."""
    if previous is not None:
        previous.is_superseded, previous.superseded_at = True, now
        db.session.flush()
    figure = SelfReportedFigure(
        submitted_at=now, version=previous.version + 1 if previous else 1, **fields
    )
    db.session.add(figure)
    db.session.flush()
    return figure


def submit_figure(
    indicator: IndicatorNode,
    unit_id: int,
    value: float,
    note: str,
    uploads: list[Upload],
    user_id: int | None,
    upload_root: str,
) -> SelfReportedFigure:
    """Record a figure for a unit (a new version if one exists), with its evidence files."""
    cycle = indicator.cycle
    if indicator.data_source is not DataSource.SELF_REPORTED or not applies_to(indicator, unit_id):
        raise NotFound()
    if cycle.state not in REPORTING_STATES:
        raise InvalidTransition(_l("Figures are reported while the cycle is collecting."))
    checked = [(u, *check_upload(u)) for u in uploads if u.filename]
    now = utcnow()
    figure = add_version(
        current_figure(cycle, unit_id, indicator.id), now,
        cycle_id=cycle.id, unit_id=unit_id, indicator_id=indicator.id, value=value,
        note=note.strip(), submitted_by_id=user_id, is_late=now > cycle.self_report_deadline,
    )  # fmt: skip
    folder = evidence_folder(upload_root) if checked else None
    for upload, clean, extension, content_type in checked:
        assert folder is not None
        stored = _store(folder, extension, upload.data)
        db.session.add(
            Evidence(
                figure_id=figure.id, unit_id=unit_id, original_name=clean, stored_name=stored,
                content_type=content_type, size=len(upload.data),
            )
        )  # fmt: skip
    db.session.flush()
    record_event(
        "figure.submit", "self_reported_figures", figure.id, unit_id,
        value=value, is_late=figure.is_late, version=figure.version,
    )  # fmt: skip
    return figure


def get_evidence(evidence_id: int) -> Evidence:
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFound()
    return evidence


def evidence_path(evidence: Evidence, upload_root: str) -> str:
    """The stored file's path; the stored name is ours, but check it stays in the folder."""
    folder = os.path.realpath(evidence_folder(upload_root))
    path = os.path.realpath(os.path.join(folder, evidence.stored_name))
    if os.path.dirname(path) != folder or not os.path.isfile(path):
        raise NotFound()
    return path
