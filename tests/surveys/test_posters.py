"""QR posters, downloads, new QR codes and the export-qr / purge-salts commands."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from citizenvoice.accounts.models import Role
from citizenvoice.core.db import utcnow
from citizenvoice.extensions import db
from citizenvoice.surveys.qr import point_url


def test_poster_has_inline_svg_without_style_or_script(
    app: Flask, client: FlaskClient, point: Any, login_as: Any
):
    login_as(Role.UNIT_OFFICIAL, point.unit)
    html = client.get(f"/manage/surveys/points/{point.id}/poster").get_data(as_text=True)
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "style=" not in html and "<script" not in html
    assert 'shape-rendering="crispEdges"' in svg
    assert "请扫码评价我们的服务" in html and "Scan to rate our service" in html
    assert point_url(app.config["BASE_URL"], point.token) in html


def test_poster_sheet_shows_every_active_point_of_the_unit(
    client: FlaskClient, point: Any, make_point: Any, login_as: Any
):
    from citizenvoice.org.services import set_point_active

    second, retired = make_point(point.unit), make_point(point.unit)
    set_point_active(retired, False)
    db.session.commit()
    login_as(Role.MANAGER)
    html = client.get(f"/manage/surveys/units/{point.unit_id}/posters").get_data(as_text=True)
    assert html.count("<svg") == 2
    assert point.token in html and second.token in html and retired.token not in html


def test_png_and_svg_downloads_are_attachments(client: FlaskClient, point: Any, login_as: Any):
    login_as(Role.MANAGER)
    png = client.get(f"/manage/surveys/points/{point.id}/qr.png")
    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    assert f'attachment; filename="{point.code}.png"' == png.headers["Content-Disposition"]
    svg = client.get(f"/manage/surveys/points/{point.id}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<svg")
    assert "attachment" in svg.headers["Content-Disposition"]


def test_regenerate_retires_the_old_code(client: FlaskClient, point: Any, login_as: Any):
    login_as(Role.UNIT_OFFICIAL, point.unit)
    old = point.token
    response = client.post(f"/manage/surveys/points/{point.id}/regenerate")
    assert response.status_code == 302
    db.session.expire_all()
    assert point.token != old
    assert client.get(f"/s/{old}").status_code == 410
    assert client.get(f"/s/{point.token}").status_code == 200


def test_other_units_points_are_not_found(
    client: FlaskClient, point: Any, make_unit: Any, login_as: Any
):
    login_as(Role.UNIT_OFFICIAL, make_unit("other"))
    for path in ("poster", "qr.png", "qr.svg", "tickets", "kiosks"):
        assert client.get(f"/manage/surveys/points/{point.id}/{path}").status_code == 404
    assert client.post(f"/manage/surveys/points/{point.id}/regenerate").status_code == 404


def test_export_qr_writes_png_and_svg_for_active_points(
    app: Flask, point: Any, make_point: Any, tmp_path: Path
):
    from citizenvoice.org.services import set_point_active

    inactive = make_point(point.unit)
    set_point_active(inactive, False)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["export-qr", str(tmp_path / "qr")])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "qr").iterdir())
    assert files == [f"{point.code}.png", f"{point.code}.svg"]
    assert "1 service points" in result.output


def test_purge_salts_deletes_only_old_salts(app: Flask):
    from citizenvoice.surveys import integrity
    from citizenvoice.surveys.models import IpSalt

    today = utcnow().date()
    for age in (0, 5, 30, 31, 400):
        db.session.add(IpSalt(day=today - timedelta(days=age), salt=f"{age:064d}"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["purge-salts"])
    assert result.exit_code == 0 and "Deleted 2 salts" in result.output
    assert [(today - d).days for d in integrity.salt_days()] == [30, 5, 0]
