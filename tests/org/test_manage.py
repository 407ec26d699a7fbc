from sqlalchemy import select

from citizenvoice.accounts.models import Role
from citizenvoice.extensions import db
from citizenvoice.org import services
from citizenvoice.org.models import RetiredPointToken, ServicePoint, Unit


def test_manager_creates_unit_and_point(client, login_as, make_unit) -> None:
    parent = make_unit("city")
    login_as(Role.MANAGER)
    response = client.post(
        "/manage/org/units/new",
        data={
            "code": "civil",
            "name": "Civil Affairs",
            "name_zh": "民政局",
            "kind": "bureau",
            "parent_id": parent.id,
            "description": "",
        },
    )
    assert response.status_code == 302
    unit = db.session.scalar(select(Unit).where(Unit.code == "civil"))
    assert unit.parent_id == parent.id
    response = client.post(
        f"/manage/org/points/new?unit={unit.id}",
        data={
            "code": "civil-1",
            "name": "Marriage registration window",
            "address": "2 River Rd",
            "opening_hours": "mon-fri 09:00-17:00",
            "latitude": "",
            "longitude": "",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/manage/org/units/{unit.id}").get_data(as_text=True)
    assert "Marriage registration window" in page


def test_bad_point_input_is_explained_and_nothing_saved(client, login_as, make_unit) -> None:
    unit = make_unit()
    login_as(Role.MANAGER)
    response = client.post(
        f"/manage/org/points/new?unit={unit.id}",
        data={
            "code": "p-1",
            "name": "Window",
            "opening_hours": "every day",
            "latitude": "",
            "longitude": "",
        },
    )
    assert response.status_code == 200
    assert "Opening hours look like" in response.get_data(as_text=True)
    assert db.session.scalar(select(ServicePoint)) is None


def test_unit_cannot_move_under_its_own_child(client, login_as, make_unit) -> None:
    parent = make_unit()
    child = make_unit(parent=parent)
    login_as(Role.MANAGER)
    response = client.post(
        f"/manage/org/units/{parent.id}/edit",
        data={"code": parent.code, "name": parent.name, "kind": "bureau", "parent_id": child.id},
    )
    assert "cannot be placed under itself" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Unit, parent.id).parent_id is None


def test_deactivation_keeps_the_unit(client, login_as, make_unit) -> None:
    unit = make_unit()
    login_as(Role.ADMIN)
    client.post(f"/manage/org/units/{unit.id}/active", data={"active": "0"})
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).is_active is False


def test_official_sees_only_own_subtree(client, login_as, make_unit, make_point) -> None:
    mine, theirs = make_unit(), make_unit()
    sub = make_unit(parent=mine)
    their_point = make_point(theirs)
    login_as(Role.UNIT_OFFICIAL, mine)
    page = client.get("/manage/org/units").get_data(as_text=True)
    assert mine.name in page and sub.name in page and theirs.name not in page
    assert client.get(f"/manage/org/units/{theirs.id}").status_code == 404
    assert client.get(f"/manage/org/points/{their_point.id}/edit").status_code == 404
    assert (
        client.post(f"/manage/org/points/{their_point.id}/active", data={"active": "0"}).status_code
        == 404
    )
    assert client.get(f"/manage/org/units/{sub.id}").status_code == 200


def test_regenerated_token_is_retired(app, make_point) -> None:
    point = make_point()
    old = point.token
    new = services.regenerate_token(point)
    db.session.commit()
    assert new != old and db.session.get(RetiredPointToken, old).service_point_id == point.id


def test_descendants_of_a_deep_tree(make_unit) -> None:
    root = make_unit()
    level = root
    ids = {root.id}
    for _ in range(5):
        level = make_unit(parent=level)
        ids.add(level.id)
    make_unit()
    assert services.descendant_ids(root.id) == ids
