"""Staff pages: scoping (unit B never sees unit A's things), evidence downloads and uploads,
the transition form, import and export."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.indicators import services, transfer
from citizenvoice.indicators.models import CycleState, IndicatorNode, SelfReportedFigure
from tests.access import World
from tests.conftest import login
from tests.indicators.conftest import cycle_fields
from tests.indicators.test_flow import fresh
from tests.test_role_matrix import build_world

PDF = b"%PDF-1.4\n%evidence\n"


@pytest.fixture
def world(app, make_unit, make_point, make_user) -> World:
    return build_world(make_unit, make_point, make_user)


def as_user(app, world: World, persona: str):
    client = app.test_client()
    login(fresh(client), world.users[persona])
    return client


def status(client, url: str, method: str = "GET", **kw) -> int:
    return fresh(client).open(url, method=method, **kw).status_code


def test_officials_of_unit_b_get_404_on_unit_a_things(app, world) -> None:
    b = as_user(app, world, "official_b")
    x = world.extra
    cycle_id, unit_a = x["cycle"].id, world.unit_a.id
    for url in [
        f"/manage/indicators/nodes/{x['expected'].id}",
        f"/manage/indicators/nodes/{x['expected'].id}/edit",
        f"/manage/indicators/cycles/{cycle_id}/units/{unit_a}/rights",
        f"/manage/indicators/evidence/{x['evidence'].id}",
        f"/manage/indicators/cycles/{cycle_id}/figures/{x['reported'].id}/{unit_a}",
        f"/manage/indicators/cycles/{cycle_id}/expected/new?unit={unit_a}",
    ]:
        assert status(b, url) == 404, url
    for url in [
        f"/manage/indicators/nodes/{x['expected'].id}/comments",
        f"/manage/indicators/nodes/{x['expected'].id}/accept",
    ]:
        assert status(b, url, "POST", data={"body": "Let me in"}) == 404, url
    page = fresh(b).get(f"/manage/indicators/cycles/{cycle_id}").get_data(as_text=True)
    assert "expected-a" not in page and "shared" in page
    history = fresh(b).get(f"/manage/indicators/cycles/{cycle_id}/figures").get_data(as_text=True)
    assert "r.pdf" not in history and "Register of cases" not in history
    assert "Register of cases" in fresh(as_user(app, world, "official_a")).get(
        f"/manage/indicators/cycles/{cycle_id}/figures"
    ).get_data(as_text=True)


def test_evidence_is_served_as_an_attachment(app, world) -> None:
    response = fresh(as_user(app, world, "inspector")).get(
        f"/manage/indicators/evidence/{world.extra['evidence'].id}", buffered=True
    )
    response.close()
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "r.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/pdf"


def figure_form(app, world: World):
    """Unit A's official at the form of its reported figure, in a collecting cycle; the query
    of that figure's versions."""
    x = world.extra
    x["cycle"].state = CycleState.COLLECTING
    db.session.commit()
    client = as_user(app, world, "official_a")
    url = f"/manage/indicators/cycles/{x['cycle'].id}/figures/{x['reported'].id}/{world.unit_a.id}"
    mine = select(SelfReportedFigure).where(SelfReportedFigure.indicator_id == x["reported"].id)
    return client, url, mine


def test_a_disguised_upload_is_refused_beside_the_field(app, world) -> None:
    client, url, mine = figure_form(app, world)
    response = fresh(client).post(
        url,
        data={
            "value": "99",
            "note": "Corrected count",
            "files": (io.BytesIO(b"<html><script>alert(1)</script>"), "../../report.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "does not match its type" in response.get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.scalars(mine).all()) == 1
    response = fresh(client).post(
        url,
        data={"value": "99", "note": "Corrected count", "files": (io.BytesIO(PDF), "ok.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    versions = db.session.scalars(mine.order_by(SelfReportedFigure.id)).all()
    assert [(f.value, f.version, f.is_superseded) for f in versions] == [
        (97, 1, True),
        (99, 2, False),
    ]


def test_forcing_a_transition_needs_a_reason(app, world) -> None:
    x = world.extra
    x["cycle"].state = CycleState.COLLECTING
    db.session.commit()
    manager = as_user(app, world, "manager")
    url = f"/manage/indicators/cycles/{x['cycle'].id}"
    page = fresh(manager).get(url).get_data(as_text=True)
    assert "indicators are not agreed" in page and "Reason" in page
    fresh(manager).post(f"{url}/transition", data={"reason": ""})
    db.session.expire_all()
    assert services.get_cycle(x["cycle"].id).state is CycleState.COLLECTING
    fresh(manager).post(f"{url}/transition", data={"reason": "Council deadline"})
    db.session.expire_all()
    cycle = services.get_cycle(x["cycle"].id)
    assert cycle.state is CycleState.EVALUATING
    assert "Council deadline" in fresh(manager).get(url).get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_then_import_gives_the_same_tree(app, world, fmt) -> None:
    manager = as_user(app, world, "manager")
    response = fresh(manager).get(f"/manage/indicators/cycles/{world.extra['cycle'].id}/tree.{fmt}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    target = services.create_cycle(cycle_fields("copy"))
    db.session.commit()
    response = fresh(manager).post(
        f"/manage/indicators/cycles/{target.id}/import",
        data={"file": (io.BytesIO(response.data), f"tree.{fmt}")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    db.session.expire_all()
    source, copy = services.tree_nodes(world.extra["cycle"]), services.tree_nodes(target)

    def shape(nodes: list[IndicatorNode]) -> list[tuple]:
        return [
            (n.code, n.parent.code if n.parent else None, n.weight, n.criteria,
             n.subject_weights, n.data_source, n.unit_id, n.origin)
            for n in nodes
        ]  # fmt: skip

    assert shape(copy) == shape(source)


def test_a_bad_csv_is_refused_line_by_line_and_nothing_is_written(app, world) -> None:
    target = services.create_cycle(cycle_fields("copy"))
    db.session.commit()
    text = (
        "code,parent,kind,name,weight,data_source,criteria,subject_weights\n"
        "quality,,category,Quality,100,,,\n"
        "good,quality,indicator,Good,50,self_reported,,self:100\n"
        "orphan,nowhere,indicator,Orphan,50,self_reported,,self:100\n"
        "badjson,quality,indicator,Bad,50,self_reported,{oops,self:100\n"
        "heavy,quality,indicator,Heavy,abc,self_reported,,self:100\n"
        "weights,quality,indicator,W,50,self_reported,,self:60\n"
    )
    with pytest.raises(transfer.TreeImportFailed) as caught:
        transfer.import_tree(target, text, "csv", None)
    db.session.rollback()
    lines = [line for line, _message in caught.value.errors]
    assert lines == [4, 5, 6, 7]
    messages = dict(caught.value.errors)
    assert "unknown parent 'nowhere'" in messages[4]
    assert "must be a number" in messages[6] and "total 60" in messages[7]
    assert services.tree_nodes(target) == []
    manager = as_user(app, world, "manager")
    response = fresh(manager).post(
        f"/manage/indicators/cycles/{target.id}/import",
        data={"file": (io.BytesIO(text.encode()), "tree.csv")},
        content_type="multipart/form-data",
    )
    assert "Line 4: unknown parent" in response.get_data(as_text=True)


def test_json_import_errors_name_the_item(app) -> None:
    target = services.create_cycle(cycle_fields("copy"))
    text = json.dumps({"nodes": [{"code": "a", "kind": "category", "name": "A"}, "oops"]})
    with pytest.raises(transfer.TreeImportFailed) as caught:
        transfer.import_tree(target, text, "json", None)
    assert [line for line, _m in caught.value.errors] == [1, 2]
    with pytest.raises(transfer.TreeImportFailed, match="bad row"):
        transfer.import_tree(target, "{not json", "json", None)


def test_participants_page(app, world) -> None:
    manager = as_user(app, world, "manager")
    url = f"/manage/indicators/cycles/{world.extra['cycle'].id}/participants"
    assert world.unit_a.name in fresh(manager).get(url).get_data(as_text=True)
    response = fresh(manager).post(url, data={"unit_ids": [world.unit_b.id]})
    assert response.status_code == 302
    db.session.expire_all()
    assert services.participant_ids(services.get_cycle(world.extra["cycle"].id)) == {
        world.unit_b.id
    }
    world.extra["cycle"].state = CycleState.COLLECTING
    db.session.commit()
    response = fresh(manager).post(url, data={"unit_ids": [world.unit_a.id]})
    assert "only change during planning" in response.get_data(as_text=True)


@pytest.mark.parametrize("raw", ["NaN", "inf", "-Infinity", "1e309"])
def test_a_figure_that_is_not_a_number_is_refused_beside_the_field(app, world, raw) -> None:
    client, url, mine = figure_form(app, world)
    response = fresh(client).post(url, data={"value": raw, "note": "Count"})
    assert response.status_code == 200
    assert "Enter a number." in response.get_data(as_text=True)
    db.session.expire_all()
    assert [(f.value, f.version) for f in db.session.scalars(mine)] == [(97, 1)]
    response = fresh(client).post(url, data={"value": "97.5", "note": "Count"})
    assert response.status_code == 302
    db.session.expire_all()
    versions = db.session.scalars(mine.order_by(SelfReportedFigure.id)).all()
    assert [(f.value, f.version) for f in versions] == [(97, 1), (97.5, 2)]
