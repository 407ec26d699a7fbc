from sqlalchemy import func, select

from citizenvoice.accounts.models import Role, User
from citizenvoice.audit.services import verify
from citizenvoice.demo import DEMO_PASSWORD, STAFF
from citizenvoice.extensions import db
from citizenvoice.org.models import ServicePoint, Unit


def test_demo_city_builds_once_with_every_role(runner, client) -> None:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "citizenvoice-demo" in result.output
    assert 14 <= db.session.scalar(select(func.count(Unit.id))) <= 20
    assert 50 <= db.session.scalar(select(func.count(ServicePoint.id))) <= 70
    roles = set(db.session.scalars(select(User.role)))
    assert roles == set(Role)
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0 and "was not loaded" in result.output
    assert verify().ok
    for username, *_ in STAFF:
        c = client.application.test_client()
        assert (
            c.post("/login", data={"username": username, "password": DEMO_PASSWORD}).status_code
            == 302
        )
        assert c.get("/manage/").status_code == 200
