"""The verification recipe of the publication record, with nothing but the open data."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.disclosure.test_publication import _raw_update


def _recipe(client: FlaskClient) -> dict[str, Any]:
    """Steps 1-3 of /publications: the listing, the snapshot as stored, its SHA-256."""
    record = client.get("/api/v1/publications").get_json()["data"][0]
    body = client.get(record["snapshot_url"].removeprefix("http://localhost")).data
    return {**record, "downloaded_sha256": hashlib.sha256(body).hexdigest(), "body": body}


@pytest.mark.parametrize("rehash", [False, True], ids=["payload", "payload-and-hash"])
def test_the_recipe_catches_a_snapshot_altered_in_the_database(
    client: FlaskClient, published: dict[str, Any], rehash: bool
) -> None:
    kept = _recipe(client)  # what a reader downloaded and kept on the day of publication
    assert kept["downloaded_sha256"] == kept["sha256"]
    publication = published["publication"]
    forged = publication.payload.replace('"grade":"good"', '"grade":"excellent"')
    digest = hashlib.sha256(forged.encode()).hexdigest() if rehash else publication.sha256
    _raw_update(
        "UPDATE result_publications SET payload = :p, sha256 = :h WHERE id = :i",
        p=forged,
        h=digest,
        i=publication.id,
    )
    later = _recipe(client)
    assert b'"grade":"excellent"' in later["body"]  # the forgery is served
    if rehash:
        # Step 4: the listing now names another hash for the same audit entry.
        assert later["downloaded_sha256"] == later["sha256"] != kept["sha256"]
        assert (later["audit_seq"], later["audit_hash"]) == (kept["audit_seq"], kept["audit_hash"])
    else:
        # Step 3: the snapshot no longer hashes to the published hash.
        assert later["downloaded_sha256"] != later["sha256"] == kept["sha256"]
