"""Fixtures of the tip box tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from citizenvoice.extensions import db


@pytest.fixture
def submit_tip(app: Any) -> Callable[..., Any]:
    """Create a tip through the service; returns (tip, receipt)."""
    from citizenvoice.tips import services

    def make(unit: Any, body: str = "The figures of the second quarter were invented.", **kw: Any):
        tip, receipt = services.submit_tip(unit.id, body, **kw)
        db.session.commit()
        return tip, receipt

    return make


@pytest.fixture
def tip_client(client: FlaskClient) -> FlaskClient:
    """A browser that has opened the tip box once (it holds the tip cookie)."""
    assert client.get("/tips/new").status_code == 200
    return client
