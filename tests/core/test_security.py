"""Security headers, error pages and CSRF, as a browser or an attacker would meet them."""

import re

import pytest
from sqlalchemy import func, select

from citizenvoice.accounts.models import Role
from citizenvoice.extensions import db
from citizenvoice.org.models import Unit
from tests.conftest import PASSWORD

PAGES = ["/", "/login", "/does-not-exist", "/manage/", "/static/css/site.css"]


def assert_security_headers(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_security_headers(client, path: str) -> None:
    response = client.get(path, buffered=True)
    assert_security_headers(response)


def test_error_pages_are_friendly_and_have_headers(client) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert_security_headers(response)
    text = response.get_data(as_text=True)
    assert "Page not found" in text and "Traceback" not in text


def test_wrong_method_is_405_with_allow_header(client) -> None:
    response = client.delete("/login")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "Please use the buttons" in response.get_data(as_text=True)


def test_unexpected_error_shows_500_page_without_traceback(make_app) -> None:
    app = make_app()

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Something went wrong" in text
    assert "secret internals" not in text and "Traceback" not in text
    assert_security_headers(response)


def test_database_outage_shows_503(make_app, tmp_path, caplog) -> None:
    app = make_app(DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/none")
    with caplog.at_level("ERROR", logger="citizenvoice.core.errors"):
        response = app.test_client().get("/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "briefly unavailable" in response.get_data(as_text=True)
    # The log says why (the driver's first line), so an operator can tell an outage from a lock.
    assert "database unavailable: OperationalError (connection failed" in caplog.text


def test_pages_reference_no_third_party_hosts(client) -> None:
    for path in ["/", "/login"]:
        html = client.get(path).get_data(as_text=True)
        urls = re.findall(r'(?:src|href|action)="([^"]+)"', html)
        assert urls and all(not re.match(r"^(https?:)?//", url) for url in urls), urls
        assert "<script>" not in html and " style=" not in html


def test_post_without_csrf_token_is_refused_and_changes_nothing(make_app, make_user) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        username = make_user(Role.ADMIN).username
        before = db.session.scalar(select(func.count(Unit.id)))
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    response = client.post(
        "/manage/org/units/new", data={"code": "x", "name": "X", "kind": "bureau"}
    )
    assert response.status_code in (302, 400)
    with app.app_context():
        assert db.session.scalar(select(func.count(Unit.id))) == before


def test_login_with_csrf_token_works(make_app, make_user) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        username = make_user(Role.ADMIN).username
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_forbidden_and_oversize_pages(make_app, make_user) -> None:
    app = make_app(MAX_CONTENT_LENGTH=1024)
    client = app.test_client()
    with app.app_context():
        user = make_user(Role.EVALUATOR)
        username = user.username
    client.post("/login", data={"username": username, "password": PASSWORD})
    response = client.get("/manage/accounts/")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.get_data(as_text=True)
    response = client.post("/login", data={"username": "x" * 5000, "password": "y"})
    assert response.status_code == 413
    assert "The upload is too large" in response.get_data(as_text=True)
    assert_security_headers(response)


def test_rate_limited_page_is_friendly(make_app) -> None:
    app = make_app()
    client = app.test_client()
    for i in range(31):
        response = client.post("/login", data={"username": f"u{i}", "password": "p" * 12})
    assert response.status_code == 429
    assert "Too many requests" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
