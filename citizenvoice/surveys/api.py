"""Authenticated JSON endpoints for offline kiosks (/api/v1/kiosk).

``POST /api/v1/kiosk/ratings`` with ``Authorization: Bearer <kiosk key>`` and a body
``{"ratings": [{"client_id": "<uuid>", "overall": 1-5, "answers": {"waiting": 4},
"service": "<service code>", "comment": "…", "created_at": "2026-05-01T09:30:00Z"}, …]}``.
Each item is stored at most once per kiosk (re-sent batches add nothing); the answer lists
``accepted``, ``duplicate`` or ``error`` per item.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from citizenvoice.core.db import utcnow
from citizenvoice.core.ratelimit import keyed
from citizenvoice.extensions import csrf, db, limiter
from citizenvoice.org.models import Service
from citizenvoice.surveys import channels, services
from citizenvoice.surveys.models import Kiosk, Rating

bp = Blueprint("surveys_api", __name__, url_prefix="/api/v1/kiosk")
csrf.exempt(bp)

MAX_ITEMS = 500
#: Kiosks may send ratings kept offline for up to this long.
MAX_AGE = timedelta(days=30)


def _kiosk_key() -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else ""


def _limit_key() -> str:
    return keyed(_kiosk_key() or "none", "kiosk")


def _error(status: int, message: str) -> Any:
    return jsonify(error=message, status=status), status


class ItemError(ValueError):
    """One item of a batch is malformed; the others are still stored."""


def _created_at(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise ItemError("created_at must be an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ItemError("created_at must be an ISO 8601 time") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    now = utcnow()
    if not now - MAX_AGE <= moment <= now + timedelta(minutes=5):
        raise ItemError("created_at is too far in the past or in the future")
    return moment


def _submission(kiosk: Kiosk, version: Any, item: Any) -> services.Submission:
    if not isinstance(item, dict):
        raise ItemError("each rating must be an object")
    try:
        client_id = str(uuid.UUID(str(item.get("client_id"))))
    except ValueError as exc:
        raise ItemError("client_id must be a UUID") from exc
    overall, answers, comment = item.get("overall"), item.get("answers") or {}, item.get("comment")
    if type(overall) is not int or not isinstance(answers, dict):
        raise ItemError("overall must be an integer 1-5 and answers an object")
    if comment is not None and (not isinstance(comment, str) or len(comment) > 2000):
        raise ItemError("comment must be text of at most 2000 characters")
    by_code = {q.code: q.id for q in version.questions}
    if set(answers) - set(by_code) or any(type(v) is not int for v in answers.values()):
        raise ItemError("answers must map question codes to integers")
    service_id = None
    if item.get("service") is not None:
        service_id = db.session.scalar(select(Service.id).where(Service.code == item["service"]))
        if service_id is None:
            raise ItemError("unknown service")
    return services.Submission(
        overall=overall,
        answers={by_code[code]: value for code, value in answers.items()},
        service_id=service_id,
        comment=comment or "",
        kiosk_id=kiosk.id,
        client_id=client_id,
        created_at=_created_at(item.get("created_at")),
    )


def _store(kiosk: Kiosk, version: Any, item: Any) -> dict[str, Any]:
    client_id = item.get("client_id") if isinstance(item, dict) else None
    try:
        submission = _submission(kiosk, version, item)
    except ItemError as exc:
        return {"client_id": client_id, "status": "error", "error": str(exc)}
    existing = db.session.scalar(
        select(Rating.id).where(
            Rating.kiosk_id == kiosk.id, Rating.client_id == submission.client_id
        )
    )
    if existing is not None:
        return {"client_id": submission.client_id, "status": "duplicate"}
    try:
        with db.session.begin_nested():
            services.submit_rating(kiosk.service_point, version, submission)
    except services.RatingError as exc:
        return {"client_id": submission.client_id, "status": "error", "error": str(exc)}
    except IntegrityError:  # the same item in a concurrent batch won the race
        return {"client_id": submission.client_id, "status": "duplicate"}
    return {"client_id": submission.client_id, "status": "accepted"}


@bp.route("/ratings", methods=["POST"])
@limiter.limit(lambda: current_app.config.get("KIOSK_LIMIT", "120 per minute"), key_func=_limit_key)
def post_ratings() -> Any:
    kiosk = channels.kiosk_by_key(_kiosk_key())
    if kiosk is None:
        # 403 rather than 401: no login of any kind opens this route, only a kiosk key.
        return _error(403, "a valid kiosk key is required (Authorization: Bearer <key>)")
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("ratings"), list):
        return _error(400, 'the body must be JSON: {"ratings": [...]}')
    items = payload["ratings"]
    if len(items) > MAX_ITEMS:
        return _error(400, f"at most {MAX_ITEMS} ratings per request")
    if not kiosk.service_point.is_active:
        abort(410)
    version = services.version_for_point(kiosk.service_point)
    results = [_store(kiosk, version, item) for item in items]
    db.session.commit()
    counts = {s: sum(r["status"] == s for r in results) for s in ("accepted", "duplicate", "error")}
    return jsonify(results=results, **counts)
