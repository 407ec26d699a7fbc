"""The publication record and ``verify-publication``: altered snapshots are caught."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from citizenvoice.extensions import db


def test_publication_record_page(client: FlaskClient, published: dict[str, Any]) -> None:
    publication = published["publication"]
    html = client.get("/publications").get_data(as_text=True)
    assert publication.sha256 in html
    assert "Audit chain head now" in html
    assert "sha256sum" in html and "/api/v1/cycles/2026-q3/snapshots/1" in html


def test_verify_publication_passes_on_intact_data(app: Flask, published: dict[str, Any]) -> None:
    result = app.test_cli_runner().invoke(args=["verify-publication"])
    assert result.exit_code == 0, result.output
    assert "All 1 published snapshots match" in result.output


def _raw_update(sql: str, **params: Any) -> None:
    """Change the table behind the application's back (the ORM refuses to)."""
    db.session.execute(text(sql), params)
    db.session.commit()


def test_a_snapshot_altered_in_the_database_is_caught(
    app: Flask, client: FlaskClient, published: dict[str, Any]
) -> None:
    publication = published["publication"]
    forged = publication.payload.replace('"grade":"good"', '"grade":"excellent"')
    assert forged != publication.payload
    _raw_update(
        "UPDATE result_publications SET payload = :p WHERE id = :i", p=forged, i=publication.id
    )
    result = app.test_cli_runner().invoke(args=["verify-publication"])
    assert result.exit_code == 1
    assert "2026-q3 v1: stored payload hashes to" in result.output


def test_a_snapshot_rehashed_in_the_database_is_caught_by_the_audit_chain(
    app: Flask, published: dict[str, Any]
) -> None:
    import hashlib

    publication = published["publication"]
    forged = publication.payload.replace('"grade":"good"', '"grade":"excellent"')
    digest = hashlib.sha256(forged.encode()).hexdigest()
    _raw_update(
        "UPDATE result_publications SET payload = :p, sha256 = :h WHERE id = :i",
        p=forged,
        h=digest,
        i=publication.id,
    )
    result = app.test_cli_runner().invoke(args=["verify-publication"])
    assert result.exit_code == 1
    assert "audit entry" in result.output and "records" in result.output


def test_a_rewritten_audit_entry_is_caught(app: Flask, published: dict[str, Any]) -> None:
    _raw_update("UPDATE audit_entries SET actor_label = 'someone else' WHERE seq = 1")
    result = app.test_cli_runner().invoke(args=["verify-publication"])
    assert result.exit_code == 1
    assert "the audit chain is broken at entry 1" in result.output
