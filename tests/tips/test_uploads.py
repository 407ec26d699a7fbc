"""Evidence uploads: allow-listed by content, random names, encrypted, staff-only downloads."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import g
from sqlalchemy import func, select

from citizenvoice.accounts.models import Role
from citizenvoice.extensions import db
from citizenvoice.tips.models import Tip, TipFile
from tests.conftest import login

BODY = "The complaint figures were lowered before the report went out."
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def _post(client: Any, unit: Any, filename: str, data: bytes) -> Any:
    return client.post(
        "/tips/new",
        data={"unit": unit.id, "body": BODY, "evidence": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _files(app: Any) -> list[Path]:
    return [p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    "filename",
    [
        "../../../etc/passwd.csv",
        "..\\..\\evil.csv",
        "/var/absolute-cv-test.csv",
        "a/b/../c.csv",
        ".csv",
    ],
)
def test_path_tricks_are_stored_under_a_random_name_inside_the_folder(
    app: Any, tip_client: Any, make_unit: Any, filename: str, tmp_path: Path
) -> None:
    response = _post(tip_client, make_unit(), filename, b"week,cases\n1,20\n")
    assert response.status_code in (200, 400)
    folder = (Path(app.config["UPLOAD_FOLDER"]) / "tips").resolve()
    for path in _files(app):
        assert path.resolve().parent == folder
        assert len(path.name) == 32 and all(c in "0123456789abcdef" for c in path.name)
    assert not (tmp_path / "etc").exists() and not Path("/var/absolute-cv-test.csv").exists()
    if response.status_code == 200:
        stored = db.session.scalar(select(TipFile))
        assert stored is not None and stored.kind == "csv"


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("report.pdf", b"<html><script>alert(1)</script></html>"),  # disguised HTML
        ("photo.png", b"<!DOCTYPE html><p>hi</p>"),
        ("photo.jpg", b"GIF89a not a jpeg"),
        ("notes.txt", b"<script>alert(1)</script>"),
        ("notes.txt", b"<svg onload=alert(1)>"),
        ("table.csv", b"a,b\x00,c"),  # NUL byte in content
        ("notes.txt", b"\xff\xfe not utf-8 \x80"),
        ("page.html", b"<p>hello</p>"),
        ("image.svg", b"<svg/>"),
        ("run.exe", b"MZ"),
        ("report.pdf\x00.html", b"%PDF-1.4"),  # NUL byte in the name
        ("empty.pdf", b""),
    ],
)
def test_refused_uploads_write_nothing(
    app: Any, tip_client: Any, make_unit: Any, filename: str, data: bytes
) -> None:
    response = _post(tip_client, make_unit(), filename, data)
    assert response.status_code == 400 or 'id="receipt"' not in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Tip.id))) == 0
    assert _files(app) == []


def test_oversize_is_refused_with_400_or_413(make_app: Any, make_unit: Any) -> None:
    app = make_app(TIPS_MAX_FILE_BYTES=1000, MAX_CONTENT_LENGTH=50_000)
    with app.app_context():
        unit = make_unit()
        client = app.test_client()
        client.get("/tips/new")
        assert _post(client, unit, "big.txt", b"a" * 1001).status_code == 400
        assert _post(client, unit, "huge.txt", b"a" * 60_000).status_code == 413
        assert db.session.scalar(select(func.count(Tip.id))) == 0
        assert _files(app) == []
        assert _post(client, unit, "ok.txt", b"a" * 1000).status_code == 200


def test_files_are_encrypted_and_served_to_staff_only_as_attachments(
    app: Any, tip_client: Any, make_unit: Any, make_user: Any
) -> None:
    unit = make_unit()
    content = b"%PDF-1.4\n<html><script>alert(1)</script> SECRET REGISTER"
    assert _post(tip_client, unit, "register.pdf", content).status_code == 200
    (path,) = _files(app)
    assert b"SECRET REGISTER" not in path.read_bytes() and b"%PDF" not in path.read_bytes()
    tip = db.session.scalar(select(Tip))
    item = tip.files[0]
    url = f"/manage/tips/{tip.id}/files/{item.id}"

    def as_(user: Any) -> Any:
        # The app fixture's context outlives requests; forget the previous request's user.
        g.pop("_login_user", None)
        browser = app.test_client()
        login(browser, user)
        g.pop("_login_user", None)
        return browser

    anonymous = app.test_client()
    assert anonymous.get(url).status_code == 302
    assert as_(make_user(Role.EVALUATOR)).get(url).status_code == 403
    assert as_(make_user(Role.INSPECTOR, unit)).get(url).status_code == 404
    staff = as_(make_user(Role.INSPECTOR, make_unit()))
    response = staff.get(url)
    assert response.status_code == 200 and response.data == content
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "register" not in response.headers["Content-Disposition"]  # original name not kept
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert staff.get(f"/manage/tips/{tip.id}/files/{item.id + 99}").status_code == 404


def test_reporter_can_attach_evidence_to_a_reply(
    app: Any, tip_client: Any, make_unit: Any, submit_tip: Any
) -> None:
    _tip, receipt = submit_tip(make_unit())
    response = tip_client.post(
        "/tips/follow-up/reply",
        data={"receipt": receipt, "body": "Here it is.", "evidence": (io.BytesIO(PNG), "p.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert db.session.scalar(select(TipFile.kind)) == "png"
    response = tip_client.post(
        "/tips/follow-up/reply",
        data={
            "receipt": receipt,
            "body": "And this.",
            "evidence": (io.BytesIO(b"<html>"), "x.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(TipFile.id))) == 1


def test_a_failed_commit_leaves_no_evidence_file(
    app: Any, tip_client: Any, make_unit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    unit = make_unit()

    def broken_commit() -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", broken_commit)
    response = _post(tip_client, unit, "register.csv", b"week,cases\n1,20\n")
    assert response.status_code == 500
    monkeypatch.undo()
    db.session.rollback()
    assert _files(app) == []
