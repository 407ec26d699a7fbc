"""Rating integrity at submission (QUALITY.md, at test scale)."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select, text

from citizenvoice.extensions import db
from citizenvoice.surveys.models import FlagKind, Rating, RatingFlag
from tests.surveys.conftest import counts, form_token, post_rating, rating_data, token_from_page


def flag_kinds() -> list[str]:
    return sorted(k.value for k in db.session.scalars(select(RatingFlag.kind)))


def test_resent_form_returns_the_first_result_and_adds_nothing(client: FlaskClient, point: Any):
    data = rating_data(comment="fine")
    first = client.post(f"/s/{point.token}", data=data)
    again = client.post(f"/s/{point.token}", data=data)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert counts() == (1, 1)


def test_concurrent_resends_of_one_form_store_one_rating(app: Flask, point: Any):
    app.config["SURVEY_COOKIELESS_LIMIT"] = "10000 per hour"
    data, url = rating_data(), f"/s/{point.token}"
    statuses: list[int] = []

    def send() -> None:
        statuses.append(app.test_client().post(url, data=data).status_code)

    db.session.rollback()  # the test's own read transaction would hold SQLite's write lock
    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.expire_all()
    assert statuses == [303] * 8
    assert counts() == (1, 1)


def test_one_device_twenty_times_counts_once(app: Flask, client: FlaskClient, point: Any):
    app.config["SURVEY_DEVICE_LIMIT"] = "100 per hour"
    client.get(f"/s/{point.token}")  # sets the device cookie
    statuses = [post_rating(client, point.token).status_code for _ in range(20)]
    assert statuses == [303] * 20
    assert counts() == (20, 1)
    assert flag_kinds() == ["duplicate_device"] * 19


def test_one_device_sending_at_once_counts_once(app: Flask, point: Any):
    """Eight forms of one phone sent at the same moment: one counts, seven are flagged."""
    app.config["SURVEY_DEVICE_LIMIT"] = "100 per hour"
    phone = app.test_client()
    phone.get(f"/s/{point.token}")  # sets the device cookie
    cookie = phone.get_cookie("cv_device")
    assert cookie is not None
    forms = [rating_data() for _ in range(8)]
    url = f"/s/{point.token}"
    statuses: list[int] = []

    def send(data: dict[str, Any]) -> None:
        other_tab = app.test_client()
        other_tab.set_cookie("cv_device", cookie.value)
        statuses.append(other_tab.post(url, data=data).status_code)

    db.session.rollback()  # the test's own read transaction would hold SQLite's write lock
    threads = [threading.Thread(target=send, args=(data,)) for data in forms]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.expire_all()
    assert statuses == [303] * 8
    assert counts() == (8, 1)
    assert flag_kinds() == ["duplicate_device"] * 7


def test_a_device_submitting_while_its_first_rating_commits_is_flagged(app: Flask, point: Any):
    """The second submission of a device waits for the first to commit, then sees it."""
    import time

    from citizenvoice.surveys import services
    from citizenvoice.surveys.intake import VersionShape

    version = VersionShape.of(services.version_for_point(point))
    point_id, unit_id = point.id, point.unit_id
    db.session.rollback()
    second_started = threading.Event()
    results: dict[str, bool] = {}

    def submit(name: str) -> None:
        with app.app_context():
            sub = services.Submission(overall=4, device_hash="d" * 32, nonce=name)
            if name == "second":
                second_started.set()
            stored = services.store_rating(point_id, unit_id, version, sub)
            if name == "first":  # hold the transaction open while the second one checks
                assert second_started.wait(5)
                time.sleep(0.5)
            db.session.commit()
            results[name] = stored.is_counted

    first = threading.Thread(target=submit, args=("first",))
    first.start()
    time.sleep(0.3)  # the first has stored its rating and holds its transaction
    second = threading.Thread(target=submit, args=("second",))
    second.start()
    first.join()
    second.join()
    assert results == {"first": True, "second": False}
    db.session.expire_all()
    assert counts() == (2, 1)
    assert flag_kinds() == ["duplicate_device"]


def test_device_window_is_per_point(client: FlaskClient, point: Any, make_point: Any):
    other = make_point(point.unit)
    client.get(f"/s/{point.token}")
    post_rating(client, point.token)
    post_rating(client, other.token)
    assert counts() == (2, 2)


def test_device_limit_answers_429(client: FlaskClient, point: Any):
    client.get(f"/s/{point.token}")
    statuses = [post_rating(client, point.token).status_code for _ in range(12)]
    assert statuses[:10] == [303] * 10 and statuses[10:] == [429, 429]


def test_three_hundred_phones_behind_one_address_all_count(app: Flask, point: Any):
    statuses = []
    for _ in range(300):
        phone = app.test_client()
        assert phone.get(f"/s/{point.token}").status_code == 200
        statuses.append(post_rating(phone, point.token, overall=random.randint(1, 5)).status_code)
    assert statuses.count(303) == 300
    assert counts() == (300, 300)


def test_cookieless_flood_from_one_address(app: Flask, point: Any):
    client = app.test_client(use_cookies=False)
    statuses = [post_rating(client, point.token).status_code for _ in range(200)]
    assert all(s < 500 for s in statuses)
    accepted = statuses.count(303)
    assert accepted <= 10 and statuses.count(429) == 200 - accepted
    assert counts()[0] == accepted


def test_fresh_clients_without_a_form_page_share_the_address_limit(app: Flask, point: Any):
    statuses = []
    for _ in range(30):
        response = app.test_client().post(f"/s/{point.token}", data=rating_data())
        statuses.append(response.status_code)
    assert statuses.count(303) == 10 and statuses.count(429) == 20


def test_spoofed_forwarded_for_does_not_bypass_limits(app: Flask, point: Any):
    assert app.config["PROXY_COUNT"] == 0
    statuses = []
    for n in range(30):
        spoof = {"X-Forwarded-For": f"198.51.100.{n}", "X-Real-IP": f"198.51.100.{n}"}
        response = app.test_client().post(f"/s/{point.token}", data=rating_data(), headers=spoof)
        statuses.append(response.status_code)
    assert statuses.count(303) == 10 and statuses.count(429) == 20


def test_honeypot_is_stored_but_not_counted(client: FlaskClient, point: Any):
    client.get(f"/s/{point.token}")
    assert post_rating(client, point.token, website="http://spam.example").status_code == 303
    assert counts() == (1, 0)
    assert flag_kinds() == ["honeypot"]


def test_too_fast_submit_is_flagged(client: FlaskClient, point: Any):
    client.get(f"/s/{point.token}")
    assert post_rating(client, point.token, age=0.5).status_code == 303
    assert counts() == (1, 0)
    assert flag_kinds() == ["too_fast"]


def test_a_normal_pace_is_not_flagged(client: FlaskClient, point: Any):
    client.get(f"/s/{point.token}")
    post_rating(client, point.token, age=4)
    assert counts() == (1, 1)


def _mangled(token: str, rng: random.Random) -> list[str]:
    chars = list(token)
    # The last character of a base64 part carries padding bits: changing it may leave the decoded
    # bytes, and so the signed token, as they were. Any other character changes them.
    inner = [i for i in range(len(chars) - 1) if "." not in (chars[i], chars[i + 1])]
    i = rng.choice(inner)
    chars[i] = "A" if chars[i] != "A" else "B"
    return [
        "".join(chars),
        token[:-1],
        token[: len(token) // 2],
        token + "x",
        "".join(rng.choice("abcdefXYZ0123456789-_.") for _ in range(len(token))),
        "",
        "x" * 5000,
    ]


def test_tampered_truncated_and_random_form_tokens_are_refused(
    app: Flask, client: FlaskClient, point: Any
):
    app.config["SURVEY_COOKIELESS_LIMIT"] = app.config["SURVEY_DEVICE_LIMIT"] = "1000 per hour"
    rng = random.Random(7)
    statuses = []
    for _ in range(20):
        for bad in _mangled(form_token(), rng):
            statuses.append(
                client.post(f"/s/{point.token}", data={"ft": bad, "overall": "5"}).status_code
            )
    assert set(statuses) == {400}
    assert counts() == (0, 0)


def test_tampered_and_random_point_tokens_and_tickets_accept_nothing(app: Flask, point: Any):
    from citizenvoice.surveys import channels
    from citizenvoice.surveys.qr import new_point_token

    app.config["SURVEY_COOKIELESS_LIMIT"] = "10000 per hour"
    _batch, codes = channels.create_ticket_batch(point, 5, None)
    db.session.commit()
    rng = random.Random(11)
    client = app.test_client()
    statuses = []
    for good, prefix in [(point.token, "/s/"), (codes[0], "/t/")]:
        for _ in range(15):
            for bad in [*_mangled(good, rng)[:5], new_point_token()]:
                if not bad or bad.upper() == good.upper():
                    continue
                statuses.append(client.get(prefix + bad).status_code)
                statuses.append(client.post(prefix + bad, data=rating_data()).status_code)
    assert statuses and set(statuses) <= {404, 405}
    assert counts() == (0, 0)


def test_ticket_rating_is_verified_and_single_use(app: Flask, client: FlaskClient, point: Any):
    from citizenvoice.surveys import channels

    _batch, codes = channels.create_ticket_batch(point, 2, None)
    db.session.commit()
    assert client.get(f"/t/{codes[0].lower()}").status_code == 200
    assert client.post(f"/t/{codes[0]}", data=rating_data()).status_code == 303
    rating = db.session.scalars(select(Rating)).one()
    assert rating.is_verified and rating.ticket_id is not None
    used = client.get(f"/t/{codes[0]}")
    assert used.status_code == 410
    assert "already been used" in used.get_data(as_text=True)
    assert client.post(f"/t/{codes[0]}", data=rating_data()).status_code == 410
    assert counts() == (1, 1)


@pytest.mark.slow
def test_one_ticket_one_rating_under_concurrency(app: Flask, point: Any):
    """50 tickets × 5 concurrent posts each (distinct forms) → exactly 50 ratings."""
    from citizenvoice.surveys import channels

    app.config["SURVEY_COOKIELESS_LIMIT"] = "100000 per hour"
    _batch, codes = channels.create_ticket_batch(point, 50, None)
    db.session.commit()
    forms = {code: [rating_data() for _ in range(5)] for code in codes}
    statuses: list[int] = []
    lock = threading.Lock()

    def send(code: str, data: dict[str, Any]) -> None:
        status = app.test_client().post(f"/t/{code}", data=data).status_code
        with lock:
            statuses.append(status)

    threads = [
        threading.Thread(target=send, args=(code, data)) for code in codes for data in forms[code]
    ]
    random.Random(3).shuffle(threads)
    db.session.rollback()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.expire_all()
    assert len(statuses) == 250 and all(s < 500 for s in statuses)
    assert statuses.count(303) == 50 and statuses.count(410) == 200
    assert counts() == (50, 50)
    verified = db.session.scalar(text("SELECT COUNT(DISTINCT ticket_id) FROM ratings"))
    assert verified == 50


MARKED_IP = "203.0.113.77"
MARKED_UA = "MarkedAgent/9.9 (zqxj-unique-ua)"


def test_no_raw_address_or_user_agent_is_stored_anywhere(app: Flask, point: Any):
    client = app.test_client()
    env = {"REMOTE_ADDR": MARKED_IP, "HTTP_USER_AGENT": MARKED_UA}
    client.get(f"/s/{point.token}", environ_base=env)
    for overall in (1, 5):
        response = client.post(
            f"/s/{point.token}",
            data=rating_data(overall=overall, comment="ok", contact_details="a@b.cn", consent="y"),
            environ_base=env,
        )
        assert response.status_code == 303
    rating = db.session.scalars(select(Rating)).first()
    assert rating is not None and rating.ip_hash and rating.device_hash
    found = []
    needles = [MARKED_IP, "203.0.113", "zqxj-unique-ua", "MarkedAgent"]
    connection = db.session.connection()
    for table in inspect(connection).get_table_names():
        for row in connection.execute(text(f'SELECT * FROM "{table}"')):
            for value in row:
                if any(n in str(value) for n in needles):
                    found.append((table, value))
    assert found == []


def test_ip_hash_changes_with_the_day_salt(app: Flask):
    from datetime import date

    from citizenvoice.surveys import integrity

    with app.test_request_context(environ_base={"REMOTE_ADDR": MARKED_IP}):
        a = integrity.salt_for(date(2026, 1, 1))
        b = integrity.salt_for(date(2026, 1, 2))
        assert a != b and len(a) == 64
        assert integrity.salt_for(date(2026, 1, 1)) == a


def test_flag_kinds_exist():
    assert {k.value for k in FlagKind} >= {"duplicate_device", "too_fast", "honeypot", "burst"}


def test_per_address_limit_applies_across_devices(app: Flask, point: Any):
    app.config["SURVEY_IP_LIMIT"] = "5 per hour"
    statuses = []
    for _ in range(8):
        phone = app.test_client()
        phone.get(f"/s/{point.token}")
        statuses.append(post_rating(phone, point.token).status_code)
    assert statuses == [303] * 5 + [429] * 3
    assert counts() == (5, 5)


def test_a_form_from_another_browser_is_refused_when_csrf_is_on(make_app: Any, point: Any):
    """The rating form's CSRF token is its form token, bound to the phone's device cookie."""
    strict = make_app(WTF_CSRF_ENABLED=True, SURVEY_MIN_SECONDS=0)
    url = f"/s/{point.token}"
    db.session.rollback()  # end this reader's transaction: the other app writes next
    client = strict.test_client()
    page = client.get(url).get_data(as_text=True)
    other = strict.test_client().get(url).get_data(as_text=True)
    for data in (rating_data(), {**rating_data(), "ft": token_from_page(other)}):
        response = client.post(url, data=data)
        assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    accepted = client.post(url, data={**rating_data(), "ft": token_from_page(page)})
    assert accepted.status_code == 303
    with strict.app_context():
        assert counts() == (1, 1)


def test_ticket_of_an_inactive_point_is_a_friendly_410(client: FlaskClient, point: Any):
    from citizenvoice.org.services import set_point_active
    from citizenvoice.surveys import channels

    _batch, codes = channels.create_ticket_batch(point, 1, None)
    set_point_active(point, False)
    db.session.commit()
    response = client.get(f"/t/{codes[0]}")
    assert response.status_code == 410
    assert "no longer takes ratings" in response.get_data(as_text=True)
    assert client.post(f"/t/{codes[0]}", data=rating_data()).status_code == 410
    assert counts() == (0, 0)
