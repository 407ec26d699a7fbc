from sqlalchemy import select

from citizenvoice.accounts.models import Role, User
from citizenvoice.extensions import db


def test_admin_creates_an_official_for_a_unit(client, login_as, make_unit) -> None:
    unit = make_unit()
    login_as(Role.ADMIN)
    response = client.post(
        "/manage/accounts/new",
        data={
            "username": "Li.Wei",
            "display_name": "Li Wei",
            "role": "unit_official",
            "unit_id": unit.id,
            "password": "a-long-password-42",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "li.wei"))
    assert user.role is Role.UNIT_OFFICIAL and user.unit_id == unit.id


def test_bad_account_input_is_shown_and_nothing_is_written(client, login_as) -> None:
    login_as(Role.ADMIN)
    before = db.session.query(User).count()
    response = client.post(
        "/manage/accounts/new",
        data={
            "username": "x",
            "display_name": "X",
            "role": "unit_official",
            "unit_id": 0,
            "password": "a-long-password-42",
        },
    )
    assert response.status_code == 200
    assert "A unit official must belong to a unit." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.query(User).count() == before


def test_admin_deactivates_an_account(client, login_as, make_user) -> None:
    login_as(Role.ADMIN)
    target = make_user(Role.EVALUATOR)
    client.post(f"/manage/accounts/{target.id}/active", data={"active": "0"})
    db.session.expire_all()
    assert db.session.get(User, target.id).is_active is False


def test_admin_gives_an_account_an_e_mail_address_and_a_language(
    client, login_as, make_user
) -> None:
    login_as(Role.ADMIN)
    target = make_user(Role.EVALUATOR)
    page = client.get(f"/manage/accounts/{target.id}/edit")
    assert page.status_code == 200 and "E-mail address (optional)" in page.text
    response = client.post(
        f"/manage/accounts/{target.id}/edit",
        data={"display_name": "Li Wei", "email": " li.wei@example.org ", "language": "zh"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get_one(User, target.id)
    assert (user.display_name, user.email, user.language) == ("Li Wei", "li.wei@example.org", "zh")
    assert "li.wei@example.org" in client.get("/manage/accounts/").text
    client.post(
        f"/manage/accounts/{target.id}/edit",
        data={"display_name": "Li Wei", "email": "", "language": ""},
    )
    db.session.expire_all()
    user = db.session.get_one(User, target.id)
    assert (user.email, user.language) == (None, None)


def test_a_bad_e_mail_address_is_shown_beside_the_field_and_nothing_changes(
    client, login_as, make_user
) -> None:
    login_as(Role.ADMIN)
    target = make_user(Role.EVALUATOR)
    for bad in ("li.wei at example.org", "a@b.c, d@e.f", "13800138000"):
        response = client.post(
            f"/manage/accounts/{target.id}/edit",
            data={"display_name": "Li Wei", "email": bad, "language": "en"},
        )
        assert response.status_code == 400
        assert "Please enter one e-mail address, like name@example.org." in response.text
    db.session.expire_all()
    assert db.session.get_one(User, target.id).email is None
    response = client.post(
        "/manage/accounts/new",
        data={
            "username": "wang.fang", "display_name": "Wang Fang", "role": "evaluator",
            "unit_id": 0, "password": "a-long-password-42", "email": "not-an-address",
        },
    )  # fmt: skip
    assert response.status_code == 200 and "like name@example.org" in response.text
    assert db.session.scalar(select(User).where(User.username == "wang.fang")) is None


def test_a_new_account_keeps_its_e_mail_address(client, login_as) -> None:
    login_as(Role.ADMIN)
    client.post(
        "/manage/accounts/new",
        data={
            "username": "wang.fang", "display_name": "Wang Fang", "role": "evaluator",
            "unit_id": 0, "password": "a-long-password-42", "email": "wang.fang@example.org",
            "language": "zh",
        },
    )  # fmt: skip
    user = db.session.scalar(select(User).where(User.username == "wang.fang"))
    assert user is not None and (user.email, user.language) == ("wang.fang@example.org", "zh")
