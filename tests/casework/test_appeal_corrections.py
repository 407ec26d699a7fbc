"""Upheld result appeals with a corrected figure: a new published version, the old one kept."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select

from citizenvoice.accounts.models import Role
from citizenvoice.audit.models import AuditEntry
from citizenvoice.casework import appeals
from citizenvoice.casework.corrections import CorrectionError, FigureCorrection
from citizenvoice.casework.models import Appeal, AppealKind, AppealStatus
from citizenvoice.extensions import db
from citizenvoice.indicators.models import SelfReportedFigure
from citizenvoice.scoring import services as scoring
from tests.casework.helpers import add_figure_indicator, cycle_with_results, rate
from tests.casework.test_appeals import IN_WINDOW

REPORTED = 60.0


@pytest.fixture
def setting(make_unit, make_point, make_user):
    unit, other = make_unit("office"), make_unit("other")
    point = make_point(unit)
    rating = rate(point, 5, created_at=datetime(2026, 8, 3, 10))
    cycle = cycle_with_results([unit, other])
    node = add_figure_indicator(cycle, unit, REPORTED)
    scoring.compute_cycle(cycle.id)
    scoring.publish(cycle.id)
    official = make_user(Role.UNIT_OFFICIAL, unit)
    appeal = appeals.file_appeal(
        official, cycle.id, AppealKind.RESULT,
        "Our on-time figure was read from last quarter's register.", on=IN_WINDOW,
    )  # fmt: skip
    db.session.commit()
    return {"cycle": cycle, "unit": unit, "node": node, "appeal": appeal, "rating": rating,
            "official": official, "reviewer": make_user(Role.EXPERT, other)}  # fmt: skip


def _unit_in(payload: str, code: str) -> dict:
    return next(u for u in json.loads(payload)["units"] if u["code"] == code)


def _figures(setting) -> list[SelfReportedFigure]:
    query = select(SelfReportedFigure).where(SelfReportedFigure.indicator_id == setting["node"].id)
    return list(db.session.scalars(query.order_by(SelfReportedFigure.id)))


def _corrections_audited() -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == "figure.corrected")
    return list(db.session.scalars(query))


def test_upheld_appeal_with_a_corrected_figure_publishes_a_corrected_version(setting) -> None:
    appeal, node = setting["appeal"], setting["node"]
    appeals.decide_appeal(
        appeal, setting["reviewer"], True, "The register of this quarter shows 85 per cent.",
        FigureCorrection(node.id, 85.0),
    )  # fmt: skip
    db.session.commit()
    assert appeal.status is AppealStatus.UPHELD and appeal.correction_version == 2
    first, second = scoring.publications(setting["cycle"].id)
    old = _unit_in(first.payload, setting["unit"].code)
    new = _unit_in(second.payload, setting["unit"].code)
    assert (old["indicators"]["on-time"]["value"], old["indicators"]["on-time"]["score"]) == (
        60.0,
        60.0,
    )
    assert (new["indicators"]["on-time"]["value"], new["indicators"]["on-time"]["score"]) == (
        85.0,
        85.0,
    )
    assert new["total"] > old["total"]
    assert second.reason.startswith(f"Appeal {appeal.id} upheld: The register of this quarter")
    assert "reported 60 for Cases closed on time; the reviewer corrected it to 85" in second.reason
    # The unit's figure is kept, superseded by the corrected one.
    reported, corrected = _figures(setting)
    assert (reported.value, reported.is_superseded) == (60.0, True)
    assert (corrected.value, corrected.is_superseded, corrected.version) == (85.0, False, 2)
    assert corrected.submitted_by_id == setting["reviewer"].id
    (entry,) = _corrections_audited()
    details = json.loads(entry.payload)["details"]
    assert entry.entity_id == str(corrected.id) and entry.unit_id == setting["unit"].id
    assert (details["appeal_id"], details["reported"], details["corrected"]) == (appeal.id, 60, 85)
    # Version 1 stays readable as it was published.
    kept = scoring.published_results(setting["cycle"].id, 1)
    assert kept.unit(setting["unit"].code)["indicators"]["on-time"]["value"] == 60.0
    assert kept.versions == (1, 2)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"value": "150"}, "value", "a score from 0 to 100"),
        ({"value": "nan"}, "value", "Enter a number."),
        ({"value": "many"}, "value", "Not a valid float value"),
        ({"value": ""}, "indicator_id", "Enter the corrected value, or choose no figure."),
        ({"value": "70", "indicator_id": "0"}, "value", "Choose the figure this value corrects."),
        ({"value": "70", "decision": "reject"}, "value", "goes with upholding the appeal"),
    ],
)
def test_a_refused_value_changes_nothing(
    app, client, setting, login_as, data, field, message
) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    appeal_id = setting["appeal"].id
    login_as(Role.MANAGER)
    form = {"decision": "uphold", "reasons": "The register shows a different figure.",
            "indicator_id": str(setting["node"].id), **data}  # fmt: skip
    response = client.post(f"/manage/casework/appeals/{appeal_id}/decide", data=form)
    assert response.status_code == 400
    # The message stands in the field's own block, below its input.
    before = response.text[: response.text.index(message)]
    assert before.rfind(f'name="{field}"') > before.rfind('<div class="field')
    db.session.expire_all()
    appeal = db.session.get_one(Appeal, appeal_id)
    assert (appeal.status, appeal.decision_reasons, appeal.reviewer_id) == (
        AppealStatus.PENDING,
        "",
        None,
    )
    assert len(scoring.publications(setting["cycle"].id)) == 1
    assert [f.value for f in _figures(setting)] == [REPORTED]
    assert _corrections_audited() == []


def test_a_verified_figure_is_corrected_by_the_inspection_not_the_appeal(
    setting, monkeypatch
) -> None:
    unit, node = setting["unit"], setting["node"]
    sources = [*scoring.VERIFIED_FIGURE_SOURCES, lambda _cycle: [(unit.id, node.id, 52.0)]]
    monkeypatch.setattr(scoring, "VERIFIED_FIGURE_SOURCES", sources)
    with pytest.raises(CorrectionError, match="inspection verified this figure"):
        appeals.decide_appeal(
            setting["appeal"], setting["reviewer"], True, "The register shows 85 per cent.",
            FigureCorrection(node.id, 85),
        )  # fmt: skip
    assert setting["appeal"].status is AppealStatus.PENDING


def test_a_rating_appeal_corrects_no_figure(setting) -> None:
    appeal = appeals.file_appeal(
        setting["official"], setting["cycle"].id, AppealKind.RATING,
        "A competitor's staff rated us.", setting["rating"].id, on=IN_WINDOW,
    )  # fmt: skip
    with pytest.raises(CorrectionError, match="Only an appeal against a result"):
        appeals.decide_appeal(appeal, setting["reviewer"], True, "Same device, ten units.",
                               FigureCorrection(setting["node"].id, 85))  # fmt: skip
    assert appeal.status is AppealStatus.PENDING and setting["rating"].is_counted


def test_upheld_grade_appeal_without_a_value_recomputes_as_today(setting) -> None:
    appeal = setting["appeal"]
    appeals.decide_appeal(appeal, setting["reviewer"], True, "The grade boundary was misread.")
    db.session.commit()
    first, second = scoring.publications(setting["cycle"].id)
    assert appeal.correction_version == 2 and second.reason.startswith(f"Appeal {appeal.id}")
    old = _unit_in(first.payload, setting["unit"].code)
    assert _unit_in(second.payload, setting["unit"].code)["total"] == old["total"]
    assert [f.value for f in _figures(setting)] == [REPORTED]


def test_rejected_result_appeal_publishes_nothing(setting) -> None:
    appeals.decide_appeal(setting["appeal"], setting["reviewer"], False, "The register is right.")
    db.session.commit()
    assert setting["appeal"].status is AppealStatus.REJECTED
    assert len(scoring.publications(setting["cycle"].id)) == 1
    assert [f.value for f in _figures(setting)] == [REPORTED]


def test_the_reviewer_corrects_on_the_page_and_the_unit_reads_the_reasons(
    app, client, setting, login_as
) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    appeal_id, unit = setting["appeal"].id, setting["unit"]
    login_as(Role.MANAGER)
    page = client.get(f"/manage/casework/appeals/{appeal_id}").text
    assert "Corrected value" in page and "Cases closed on time: reported 60" in page
    assert "Choose none for an appeal against the grade" in page
    response = client.post(
        f"/manage/casework/appeals/{appeal_id}/decide",
        data={"decision": "uphold", "reasons": "This quarter's register shows 85 per cent.",
              "indicator_id": str(setting["node"].id), "value": "85"},
    )  # fmt: skip
    assert response.status_code == 302
    versions = f"/manage/scoring/{setting['cycle'].id}/versions"
    assert "the reviewer corrected it to 85" in client.get(f"{versions}/2").text
    assert "reviewer corrected" not in client.get(f"{versions}/1").text
    client.post("/logout")
    login_as(Role.UNIT_OFFICIAL, unit)
    seen = client.get(f"/manage/casework/appeals/{appeal_id}").text
    assert "This quarter&#39;s register shows 85 per cent." in seen
    assert 'id="appeal-status">upheld' in seen
