"""Figures 4 and 5: the survey page's weight and the QR code's version.

Page weight: the bytes a phone downloads to show ``GET /s/<token>`` — the HTML plus every
stylesheet it links, uncompressed (the worst case: no gzip in front). Scripts are listed
too: the page must work without JavaScript, so any script counts against it.

QR version: ``citizenvoice.surveys.qr`` encodes ``<base URL>/S/<token>``; with a 40-character
base URL (scheme and host) and error correction M it must fit version 3 (29 × 29 modules),
which stays scannable on a printed sign from arm's length.
"""

from __future__ import annotations

import gzip
from typing import Any

from bench import common, forms, seed

PAGE_GOAL = 25 * 1024
QR_GOAL = 3
#: 40 characters, scheme and host, as the goal states; the other shapes are reported too.
BASE_URLS = [
    "https://ratings.civic-service.example.cn",
    "https://pingjia.zhengwu-fuwu.example.org",
    "https://rate.example.cn:8443",
    "http://127.0.0.1:5000",
]


def page_weight(kind: str = "sqlite") -> dict[str, Any]:
    with common.database(kind, "page") as db:
        app = common.make_app(db)
        common.create_schema(db)
        office = seed.office(app, points=1)
        token = office.points[0][1]
        client = app.test_client()
        response = client.get(f"/s/{token}")
        if response.status_code != 200:
            raise common.BenchError(f"GET /s/<token> answered {response.status_code}")
        html = response.get_data()
        page = forms.parse(html)
        css: dict[str, int] = {}
        css_gzip = 0
        for href in page.stylesheets:
            sheet = client.get(href)
            body = sheet.get_data()
            sheet.close()
            css[href] = len(body)
            css_gzip += len(gzip.compress(body))
        external = [
            h for h in page.stylesheets + page.scripts if h.startswith(("http:", "https:", "//"))
        ]
        with app.app_context():
            from citizenvoice.extensions import db as sqla

            sqla.session.remove()
            sqla.engine.dispose()
    total = len(html) + sum(css.values())
    return {
        "html_bytes": len(html),
        "css_bytes": css,
        "total_bytes": total,
        "total_gzip_bytes": len(gzip.compress(html)) + css_gzip,
        "scripts": page.scripts,
        "external": external,
        "goal": f"<= {PAGE_GOAL} bytes (25 KB), no JavaScript",
        "met": total <= PAGE_GOAL and not page.scripts and not external,
    }


def qr_versions() -> dict[str, Any]:
    from citizenvoice.surveys import qr

    token = qr.new_point_token()
    rows: list[dict[str, Any]] = []
    for base in BASE_URLS:
        url = qr.point_url(base, token)
        symbol = qr.build_qr(url, "M")
        rows.append(
            {
                "base_url": base,
                "base_length": len(base),
                "encoded": url,
                "mode": symbol.mode,
                "version": symbol.version,
                "modules": symbol.size,
            }
        )
    forty = [r for r in rows if r["base_length"] == 40]
    worst = max(int(r["version"]) for r in forty)
    return {
        "error_correction": "M",
        "urls": rows,
        "version_at_40_chars": worst,
        "goal": f"<= {QR_GOAL}",
        "met": worst <= QR_GOAL,
    }
