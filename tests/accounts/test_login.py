"""Staff login: throttling per account and per client, session rotation, logout, timing."""

from sqlalchemy import select

from citizenvoice.accounts import services
from citizenvoice.accounts.models import Role, User
from citizenvoice.extensions import db
from tests.conftest import PASSWORD, login


def test_login_and_staff_home_shows_role_menu(client, make_user) -> None:
    admin = make_user(Role.ADMIN)
    login(client, admin)
    html = client.get("/manage/").get_data(as_text=True)
    assert "Staff accounts" in html and "Audit trail" in html


def test_unit_official_menu_has_no_account_admin(client, make_user, make_unit) -> None:
    login(client, make_user(Role.UNIT_OFFICIAL, make_unit()))
    html = client.get("/manage/").get_data(as_text=True)
    assert "Units and service points" in html and "Staff accounts" not in html


def test_wrong_password_is_refused_without_saying_which_part(client, make_user) -> None:
    user = make_user(Role.MANAGER)
    for username in (user.username, "nobody-here"):
        response = client.post("/login", data={"username": username, "password": "wrong-password!"})
        assert response.status_code == 200
        assert "The username or password is not correct." in response.get_data(as_text=True)
    assert client.get("/manage/").status_code == 302


def test_account_is_throttled_without_touching_another(make_app, make_user) -> None:
    app = make_app()
    with app.app_context():
        victim, other = make_user(Role.EVALUATOR).username, make_user(Role.EVALUATOR).username
    attacker = app.test_client()
    codes = [
        attacker.post(
            "/login",
            data={"username": victim, "password": f"guess-{i}"},
            environ_overrides={"REMOTE_ADDR": f"10.0.0.{i}"},
        ).status_code
        for i in range(12)
    ]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]
    # The right password for the locked account is refused while the lock lasts...
    response = app.test_client().post("/login", data={"username": victim, "password": PASSWORD})
    assert response.status_code == 429
    # ...while another evaluator logs in normally.
    response = app.test_client().post("/login", data={"username": other, "password": PASSWORD})
    assert response.status_code == 302


def test_client_is_throttled_across_accounts(make_app) -> None:
    app = make_app()
    client = app.test_client()
    codes = [
        client.post("/login", data={"username": f"user{i}", "password": "x" * 12}).status_code
        for i in range(32)
    ]
    assert codes.count(200) == 30 and codes[-1] == 429


def test_successful_logins_are_not_counted(make_app, make_user) -> None:
    app = make_app()
    with app.app_context():
        username = make_user(Role.MANAGER).username
    for _ in range(15):
        client = app.test_client()
        assert (
            client.post("/login", data={"username": username, "password": PASSWORD}).status_code
            == 302
        )


def test_session_id_rotates_at_login_and_dies_at_logout(make_app, make_user) -> None:
    app = make_app()
    with app.app_context():
        user_id = make_user(Role.MANAGER, username="rotating").id
    client = app.test_client()
    client.post("/login", data={"username": "rotating", "password": PASSWORD})
    with app.app_context():
        first = db.session.get(User, user_id).login_token
    old_cookie = client.get_cookie("session").value
    client.post("/logout")
    client.post("/login", data={"username": "rotating", "password": PASSWORD})
    with app.app_context():
        second = db.session.get(User, user_id).login_token
    assert first != second
    client.post("/logout")
    assert client.get("/manage/").status_code == 302
    # A copy of the cookie taken before logout no longer opens the staff area.
    thief = app.test_client()
    thief.set_cookie("session", old_cookie)
    response = thief.get("/manage/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_missing_account_still_checks_a_password_hash(app, monkeypatch) -> None:
    calls = []
    original = services.check_password_hash
    monkeypatch.setattr(
        services, "check_password_hash", lambda h, p: calls.append(h) or original(h, p)
    )
    assert services.authenticate("no-such-user", "whatever-password") is None
    assert len(calls) == 1


def test_deactivated_account_cannot_log_in(client, make_user) -> None:
    user = make_user(Role.INSPECTOR)
    user.is_active = False
    db.session.commit()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200


def test_open_redirect_after_login_is_refused(client, make_user) -> None:
    user = make_user(Role.MANAGER)
    response = client.post(
        "/login?next=//evil.example/x", data={"username": user.username, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/manage/"


def test_create_admin_command(runner) -> None:
    result = runner.invoke(args=["create-admin", "root", "--password", "a-strong-password-1"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "root"))
    assert user.role is Role.ADMIN
    result = runner.invoke(args=["create-admin", "weak", "--password", "short"])
    assert result.exit_code != 0 and "at least 12" in result.output
