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
