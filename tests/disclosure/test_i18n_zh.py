"""The public pages speak Simplified Chinese."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient


def test_public_pages_in_chinese(client: FlaskClient, published: dict[str, Any]) -> None:
    expected = {
        "/units/bureau?lang=zh": "最新公布结果",
        "/compare?lang=zh": "漏斗图",
        "/methodology?lang=zh": "结果如何计算",
        "/publications?lang=zh": "如何自行核验快照",
        f"/points/{published['point'].code}?lang=zh": "回答分布",
        "/?lang=zh": "最新公布结果",
    }
    for path, text in expected.items():
        html = client.get(path).get_data(as_text=True)
        assert text in html, path
