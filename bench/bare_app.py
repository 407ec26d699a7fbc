"""The baseline of the throughput figure: a bare Flask app that stores a rating with one INSERT.

No forms, CSRF, rate limits, sessions, integrity checks or rollups: it parses the posted
fields, inserts one row shaped like a citizen's rating into the same ``ratings`` table, commits
and answers 303 like the real flow. It uses the project's engine settings
(``citizenvoice.core.db``: WAL, ``busy_timeout`` and ``BEGIN IMMEDIATE`` on SQLite, the same
pool on PostgreSQL), so the ratio measures what the application adds, not the driver.

Run by gunicorn: ``gunicorn bench.bare_app:app`` with ``BENCH_DATABASE_URL`` set.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from flask import Flask, redirect, request
from sqlalchemy import create_engine, text

from citizenvoice.core.db import postgres_engine_options, sqlite_engine_options, utcnow

URL = os.environ.get("BENCH_DATABASE_URL", "sqlite://")
engine = create_engine(
    URL, **(sqlite_engine_options() if URL.startswith("sqlite") else postgres_engine_options())
)
INSERT = text(
    "INSERT INTO ratings (service_point_id, survey_version_id, overall, created_at,"
    " is_verified, is_counted, has_contact, device_hash, ip_hash, answered_seconds, nonce)"
    " VALUES (:point, :version, :overall, :now, false, true, false, :device, :ip, :seconds,"
    " :nonce)"
)

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return "ok"


@app.post("/bare/<int:point>")
def rate(point: int) -> Any:
    form = request.form
    nonce = form["n"]
    digest = hashlib.sha256(nonce.encode()).hexdigest()
    with engine.begin() as conn:
        conn.execute(
            INSERT,
            {
                "point": point,
                "version": int(form["v"]),
                "overall": int(form["overall"]),
                "now": utcnow(),
                "device": digest[:32],
                "ip": digest[32:],
                "seconds": 5.0,
                "nonce": nonce,
            },
        )
    return redirect(f"/thanks/{nonce}", code=303)
