"""Fixtures of the surveys tests: a point with the default survey, form tokens, posting."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from citizenvoice.extensions import db


@pytest.fixture
def point(app: Flask, make_point: Callable[..., Any]) -> Any:
    """An active service point, with the default survey in place."""
    from citizenvoice.surveys import services

    services.default_survey()
    db.session.commit()
    return make_point()


def form_token(age: float = 10.0) -> str:
    """A genuine form token as if the form had been shown ``age`` seconds ago."""
    from citizenvoice.surveys.integrity import issue_form_token

    return issue_form_token(time.time() - age)


def rating_data(overall: int = 5, age: float = 10.0, **extra: Any) -> dict[str, Any]:
    return {"ft": form_token(age), "overall": str(overall), **extra}


def token_from_page(html: str) -> str:
    match = re.search(r'name="ft" type="hidden" value="([^"]+)"', html) or re.search(
        r'id="ft" name="ft" type="hidden" value="([^"]+)"', html
    )
    assert match, "no form token on the page"
    return match.group(1)


def post_rating(client: FlaskClient, token: str, **data: Any) -> Any:
    payload = rating_data(**data)
    return client.post(f"/s/{token}", data=payload)


def counts() -> tuple[int, int]:
    """(all ratings, counted ratings)."""
    from sqlalchemy import func, select

    from citizenvoice.surveys.models import Rating

    total = db.session.scalar(select(func.count(Rating.id))) or 0
    counted = db.session.scalar(select(func.count(Rating.id)).where(Rating.is_counted)) or 0
    return total, counted
