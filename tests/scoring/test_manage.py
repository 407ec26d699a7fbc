"""The staff results pages and the compute command."""

from __future__ import annotations

from sqlalchemy import func, select

from citizenvoice.accounts.models import Role
from citizenvoice.extensions import db
from citizenvoice.scoring import services
from citizenvoice.scoring.models import Publication, UnitResult


def test_managers_compute_publish_and_correct_from_the_page(
    client, login_as, worked_example
) -> None:
    cycle, unit = worked_example["cycle"], worked_example["unit"]
    login_as(Role.MANAGER)
    html = client.get(f"/manage/scoring/{cycle.id}").get_data(as_text=True)
    assert "Compute results" in html and "No results computed yet." in html
    response = client.post(f"/manage/scoring/{cycle.id}/compute")
    assert response.status_code == 302
    assert db.session.get(UnitResult, (cycle.id, unit.id)).grade == "good"
    html = client.get(f"/manage/scoring/{cycle.id}").get_data(as_text=True)
    assert "The results were computed." in html and "83.3" in html and "Good" in html
    client.post(f"/manage/scoring/{cycle.id}/publish")
    assert db.session.scalar(select(func.count(Publication.id))) == 1
    html = client.get(f"/manage/scoring/{cycle.id}").get_data(as_text=True)
    assert "The results were published." in html and "Publish a correction" in html

    # a second plain publication is refused with a message, nothing written
    client.post(f"/manage/scoring/{cycle.id}/publish")
    html = client.get(f"/manage/scoring/{cycle.id}").get_data(as_text=True)
    assert "already published" in html
    assert db.session.scalar(select(func.count(Publication.id))) == 1

    # a correction needs a reason, shown beside the field
    response = client.post(f"/manage/scoring/{cycle.id}/correct", data={"reason": "x"})
    assert response.status_code == 200 and 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Publication.id))) == 1
    response = client.post(
        f"/manage/scoring/{cycle.id}/correct", data={"reason": "Appeal 7 upheld a rating"}
    )
    assert response.status_code == 302
    html = client.get(f"/manage/scoring/{cycle.id}/versions/2").get_data(as_text=True)
    assert "Appeal 7 upheld a rating" in html and "v1" in html
    assert services.published_results(cycle.id).sha256 in html


def test_the_unit_page_shows_everything_in_both_languages(client, login_as, worked_example):
    cycle, unit = worked_example["cycle"], worked_example["unit"]
    services.compute_cycle(cycle.id, services.ScoringSettings(margin=1.0))
    db.session.commit()
    login_as(Role.MANAGER)
    html = client.get(f"/manage/scoring/{cycle.id}/units/{unit.id}?lang=en").get_data(as_text=True)
    for text in (
        "83.3", "Good", "95% interval", "Divergence alert", "Previous cycle",
        "No earlier result to compare with.", "Sensitivity to the top-level weights",
        "Insufficient data: fewer ratings than the minimum sample.", "Suggestions",
        "there were too few data to score it", "50 ratings used, 7 flagged",
    ):  # fmt: skip
        assert text in html, text
    html = client.get(f"/manage/scoring/{cycle.id}/units/{unit.id}?lang=zh").get_data(as_text=True)
    for text in ("良好", "偏差预警", "建议", "少于最低样本量", "95% 区间"):
        assert text in html, text


def test_officials_see_only_their_own_units(client, login_as, worked_example, make_unit):
    from citizenvoice.indicators.models import CycleUnit

    cycle, unit = worked_example["cycle"], worked_example["unit"]
    other = make_unit("other-bureau")
    db.session.add(CycleUnit(cycle_id=cycle.id, unit_id=other.id))
    db.session.commit()
    services.compute_cycle(cycle.id)
    db.session.commit()
    login_as(Role.UNIT_OFFICIAL, unit)
    assert client.get(f"/manage/scoring/{cycle.id}/units/{unit.id}").status_code == 200
    assert client.get(f"/manage/scoring/{cycle.id}/units/{other.id}").status_code == 404
    html = client.get(f"/manage/scoring/{cycle.id}").get_data(as_text=True)
    assert unit.name in html and other.name not in html and "Compute results" not in html
    assert client.post(f"/manage/scoring/{cycle.id}/compute").status_code == 403


def test_evaluators_have_no_access(client, login_as, worked_example) -> None:
    login_as(Role.EVALUATOR)
    assert client.get("/manage/scoring/").status_code == 403


def test_the_compute_command(app, worked_example) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["compute", "2026-q3"])
    assert result.exit_code == 0, result.output
    assert "Computing 2026-q3" in result.output
    assert "Computed 1 units and 6 indicator results for 2026-q3" in result.output
    assert "Ratings used: 50; flagged and left out: 7." in result.output
    fingerprint = db.session.scalar(select(services.Computation.fingerprint))
    assert f"Fingerprint: {fingerprint}" in result.output
    result = runner.invoke(args=["compute", "2026-q3", "--publish"])
    assert result.exit_code == 0 and "Published version 1" in result.output
    result = runner.invoke(args=["compute", "no-such-cycle"])
    assert result.exit_code != 0 and "No cycle with the code" in result.output
