"""The tip box cannot identify a reporter: no address, no browser identification, anywhere.

QUALITY.md, "Anonymous tips": a canary run from a marked address and browser, then a search of
the logs, every column of every table, the limiter storage (Redis), the upload folder and the
cookies; plus checks that no code on the tip path reads those values at all.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import io
import logging
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.tips import receipts
from tests.conftest import redis_reachable, require_service

ROOT = Path(__file__).resolve().parents[2]
CANARY_IP = "203.0.113.77"
CANARY_FORWARDED_IP = "198.51.100.99"
CANARY_UA = "CanaryAgent/9.9"
MARKED = {
    "environ_overrides": {"REMOTE_ADDR": CANARY_IP},
    "headers": {"User-Agent": CANARY_UA, "X-Forwarded-For": CANARY_FORWARDED_IP},
}
FORBIDDEN = re.compile(r"remote_addr|access_route|x[-_]forwarded[-_]for|user[-_]agent", re.I)


def test_no_tip_source_names_the_client_address_or_browser() -> None:
    import ast

    files = sorted((ROOT / "citizenvoice" / "tips").glob("*.py"))
    files += sorted((ROOT / "templates" / "tips").glob("*.html"))
    assert len(files) >= 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not FORBIDDEN.search(text), f"{path.name}: {FORBIDDEN.search(text)}"
        if path.suffix == ".py":
            tree = ast.parse(text)
            names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
            names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
            imported = {
                alias.name
                for n in ast.walk(tree)
                if isinstance(n, ast.ImportFrom | ast.Import)
                for alias in n.names
            }
            assert not {"remote_addr", "access_route", "user_agent", "client_key"} & (
                names | imported
            ), path.name
            modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
            assert "citizenvoice.core.ratelimit" not in modules, path.name


def test_the_application_never_sees_the_address_or_browser_on_tip_paths(
    make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flask import Request, request

    app = make_app(PROXY_COUNT=1)
    seen: dict[str, list[str]] = {}

    addresses: dict[str, Any] = {}

    def capture() -> None:
        seen[request.path] = sorted(request.environ)
        addresses[request.path] = request.environ.get("REMOTE_ADDR")

    # Runs before every other hook of the app, including the core ones.
    app.before_request_funcs.setdefault(None, []).insert(1, capture)
    reads: list[tuple[str, str]] = []
    for name in ("access_route", "user_agent"):
        original = inspect.getattr_static(Request, name)

        def spy(self: Any, _name: str = name, _original: Any = original) -> Any:
            reads.append((self.path, _name))
            return _original.__get__(self, type(self))

        monkeypatch.setattr(Request, name, property(spy))
    key_calls: list[str] = []
    from citizenvoice.core import ratelimit

    class RequestSpy:
        """Stands in for ``request`` inside core/ratelimit.py and records each use."""

        def __getattr__(self, attr: str) -> Any:
            key_calls.append(request.path)
            return getattr(request, attr)

    monkeypatch.setattr(ratelimit, "request", RequestSpy())
    client = app.test_client()
    with app.app_context():
        client.get("/tips/new", **MARKED)
        client.post("/tips/new", data={"body": "too short"}, **MARKED)
        client.get("/tips/follow-up", **MARKED)
        client.post("/tips/follow-up", data={"receipt": receipts.new_receipt()}, **MARKED)
        client.post("/tips/follow-up/reply", data={"receipt": "x", "body": "y"}, **MARKED)
        client.get("/login", **MARKED)
    for path in ("/tips/new", "/tips/follow-up", "/tips/follow-up/reply"):
        keys = seen[path]
        assert "REMOTE_ADDR" not in keys and "HTTP_USER_AGENT" not in keys, path
        assert "HTTP_X_FORWARDED_FOR" not in keys and "HTTP_FORWARDED" not in keys, path
    assert [r for r in reads if r[0].startswith("/tips")] == []
    assert {p: a for p, a in addresses.items() if p.startswith("/tips")} == dict.fromkeys(
        ("/tips/new", "/tips/follow-up", "/tips/follow-up/reply")
    )
    assert [p for p in key_calls if p.startswith("/tips")] == []
    # Control: elsewhere the address is there (ProxyFix took it from X-Forwarded-For) and the
    # site-wide limiter keys on it — so the checks above are not vacuous.
    assert addresses["/login"] == CANARY_FORWARDED_IP and "/login" in key_calls


def test_tip_pages_headers_and_cookies(client: Any) -> None:
    response = client.get("/tips/new?lang=zh", **MARKED)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    assert '<meta name="robots" content="noindex' in html
    assert '<meta name="referrer" content="no-referrer">' in html
    assert not re.search(r"""(src|href|action)=["']?(https?:)?//""", html)
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("SameSite=Strict" in c for c in cookies)
    assert not any(c.startswith("session=") for c in cookies)
    tip_cookie = next(c for c in cookies if c.startswith("cv_tip="))
    assert "HttpOnly" in tip_cookie and "Path=/tips" in tip_cookie
    for path in ("/tips/follow-up",):
        headers = client.get(path).headers
        assert (
            headers["Referrer-Policy"] == "no-referrer" and "no-store" in headers["Cache-Control"]
        )


def test_a_logged_in_staff_member_stays_logged_in_and_is_not_linked(
    client: Any, make_user: Any, make_unit: Any
) -> None:
    from citizenvoice.accounts.models import Role
    from citizenvoice.tips.models import Tip
    from tests.conftest import login

    unit = make_unit()
    login(client, make_user(Role.MANAGER))
    client.get("/tips/new")
    body = "A staff member can report too; the tip does not know who they are."
    response = client.post("/tips/new", data={"unit": unit.id, "body": body})
    assert response.status_code == 200
    assert "Log out" not in response.get_data(as_text=True)  # no staff identity on tip pages
    assert client.get("/manage/tips/").status_code == 200  # still logged in
    assert db.session.scalar(select(Tip)) is not None


def _dump_database() -> str:
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()):
            parts.append(" ".join(repr(v) if isinstance(v, bytes) else str(v) for v in row))
    return "\n".join(parts)


def _cookie_values(client: Any, app: Any) -> list[str]:
    values = []
    for cookie in client._cookies.values():
        values.append(cookie.value)
        if cookie.key == "cv_tip":
            values.append(
                str(
                    URLSafeSerializer(app.config["SECRET_KEY"], salt="tips-client").loads(
                        cookie.value
                    )
                )
            )
        if cookie.key == app.config.get("SESSION_COOKIE_NAME", "session"):
            serializer = app.session_interface.get_signing_serializer(app)
            values.append(str(serializer.loads(cookie.value)))
    return values


@pytest.mark.timeout(600)
def test_canary_100_tips_and_100_follow_ups_leave_no_trace(
    make_app: Any, make_unit: Any, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    require_service("Redis", redis_reachable())
    import redis

    prefix = f"cvtipcanary{uuid.uuid4().hex[:10]}"
    redis_url = "redis://127.0.0.1:6379/13"
    app = make_app(
        PROXY_COUNT=1,
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_KEY_PREFIX=prefix,
        TIPS_SUBMIT_LIMIT="1000 per hour",
    )
    store = redis.Redis.from_url(redis_url)
    caplog.set_level(logging.DEBUG)
    try:
        with app.app_context():
            _run_canary(app, make_unit, caplog, store, prefix)
    finally:
        for key in store.scan_iter(match=f"*{prefix}*"):
            store.delete(key)
        control = _client_key_hash(app)
        for key in store.scan_iter(match=f"*{control}*"):
            store.delete(key)
        store.close()


def _client_key_hash(app: Any) -> str:
    secret = str(app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, CANARY_FORWARDED_IP.encode(), hashlib.sha256).hexdigest()[:32]


def _run_canary(app: Any, make_unit: Any, caplog: Any, store: Any, prefix: str) -> None:
    from citizenvoice.tips.models import Tip, TipFile, TipMessage

    units = [make_unit() for _ in range(3)]
    client = app.test_client()
    assert client.get("/tips/new", **MARKED).status_code == 200
    issued: list[tuple[str, str]] = []
    texts: list[str] = []
    for n in range(100):
        text = f"Canary tip {n}: the waiting times of week {n} were rewritten by a supervisor."
        texts.append(text)
        data: dict[str, Any] = {"unit": units[n % 3].id, "body": text, "figure": f"figure {n}"}
        if n % 5 == 0:
            data["evidence"] = (io.BytesIO(f"register extract {n} CANARYFILE".encode()), "r.csv")
        response = client.post("/tips/new", data=data, content_type="multipart/form-data", **MARKED)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        html = response.get_data(as_text=True)
        start = html.index('<code id="receipt">') + len('<code id="receipt">')
        issued.append((html[start : html.index("</code>", start)], text))
    assert client.get("/tips/follow-up", **MARKED).status_code == 200
    for n, (receipt, text) in enumerate(issued):
        response = client.post("/tips/follow-up", data={"receipt": receipt}, **MARKED)
        assert response.status_code == 200 and text in response.get_data(as_text=True)
        if n % 2 == 0:
            reply = f"Canary reply {n}: the paper log is in the second drawer."
            texts.append(reply)
            data = {"receipt": receipt, "body": reply}
            if n % 10 == 0:
                data["evidence"] = (io.BytesIO(b"%PDF-1.4 CANARYFILE"), "log.pdf")
            response = client.post(
                "/tips/follow-up/reply", data=data, content_type="multipart/form-data", **MARKED
            )
            assert response.status_code == 200
    for _ in range(3):  # a few wrong receipts, so that the limiter storage holds keys
        client.post("/tips/follow-up", data={"receipt": receipts.new_receipt()}, **MARKED)

    assert db.session.query(Tip).count() == 100
    assert db.session.query(TipMessage).count() == 50
    assert db.session.query(TipFile).count() == 30

    markers = [CANARY_IP, CANARY_FORWARDED_IP, CANARY_UA, "CanaryAgent"]
    secrets_ = [r for r, _ in issued] + [receipts.normalize(r) or "" for r, _ in issued]

    # 1. Logs.
    logged = caplog.text + "\n".join(
        f"{r.getMessage()} {r.args!r} {getattr(r, '__dict__', {})!r}" for r in caplog.records
    )
    for value in markers + secrets_ + texts:
        assert value not in logged

    # 2. Every column of every table.
    dump = _dump_database()
    for value in markers + secrets_ + texts + ["CANARYFILE"]:
        assert value not in dump

    # 3. The limiter storage (Redis): key names and dumped values.
    keys = list(store.scan_iter(match="*"))
    assert any(prefix.encode() in key for key in keys), "the throttle wrote nothing to Redis"
    control = _client_key_hash(app).encode()
    for key in keys:
        blob = key + (store.dump(key) or b"")
        for value in markers:
            assert value.encode() not in blob
        assert control not in blob  # not even the site limiter's keyed hash of the address

    # 4. The upload folder.
    folder = Path(app.config["UPLOAD_FOLDER"])
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert len(files) == 30
    for path in files:
        data = path.read_bytes()
        assert re.fullmatch(r"[0-9a-f]{32}", path.name)
        for value in [*markers, "CANARYFILE", "register extract", "%PDF"]:
            assert value.encode() not in data

    # 5. Cookies, decoded.
    values = _cookie_values(client, app)
    assert values and not any(c.key == "session" for c in client._cookies.values())
    for value in values:
        for marker in markers:
            assert marker not in value

    # Control: a non-tip page with the same client does put the keyed address into the limiter.
    client.get("/", **MARKED)
    assert any(control in key for key in store.scan_iter(match="*"))
