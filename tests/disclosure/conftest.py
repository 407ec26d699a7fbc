"""A published city for disclosure tests: the scoring worked example, computed and published."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from citizenvoice.extensions import db
from tests.scoring.conftest import (  # noqa: F401 (fixtures)
    IN_PERIOD,
    add_evaluations,
    add_figure,
    add_ratings,
    make_cycle,
    make_node,
    worked_example,
)


@pytest.fixture
def published(app: Flask, worked_example: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    """The worked example's cycle computed and published (version 1)."""
    from citizenvoice.scoring import services as scoring

    cycle = worked_example["cycle"]
    scoring.compute_cycle(cycle.id)
    worked_example["publication"] = scoring.publish(cycle.id)
    db.session.commit()
    return worked_example


@pytest.fixture
def queries(app: Flask) -> Callable[[], list[str]]:
    """Record every SQL statement run from now on; call the fixture to read them."""
    from sqlalchemy import event

    seen: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    yield lambda: list(seen)  # type: ignore[misc]
    event.remove(engine, "before_cursor_execute", listener)


@pytest.fixture
def page_charts(client: FlaskClient) -> Callable[[str], tuple[str, dict[str, Any]]]:
    """Open a page and fetch its charts as static/js/charts.js does: (the HTML, figures by name).

    The page embeds no figure; its charts all name one charts.json, which answers JSON with a
    figure for each chart name the page shows.
    """

    def fetch(path: str) -> tuple[str, dict[str, Any]]:
        html = client.get(path).get_data(as_text=True)
        assert 'type="application/json"' not in html
        urls = {unescape(url) for url in re.findall(r'data-chart-url="([^"]*)"', html)}
        if not urls:
            return html, {}
        assert len(urls) == 1, urls
        response = client.get(urls.pop())
        assert response.status_code == 200 and response.mimetype == "application/json"
        figures: dict[str, Any] = response.get_json()["charts"]
        names = re.findall(r'data-chart-name="([^"]*)"', html)
        assert names and set(names) <= set(figures), (names, sorted(figures))
        return html, figures

    return fetch
