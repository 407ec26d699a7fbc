"""The unit page's record: appeals filed and upheld, corrections, commitments and completion."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from citizenvoice.accounts.models import Role
from citizenvoice.casework import services as casework
from citizenvoice.casework.models import AppealKind
from citizenvoice.extensions import db
from citizenvoice.indicators.models import IndicatorNode
from tests.casework.test_appeals import IN_WINDOW, setting  # noqa: F401 (a fixture)


def test_unit_page_shows_appeals_corrections_and_commitments(
    client: FlaskClient,
    setting: dict[str, Any],  # noqa: F811 (the fixture imported above)
    make_user: Any,
) -> None:
    unit, other, cycle, official = (setting[k] for k in ("unit", "other", "cycle", "official"))
    reviewer = make_user(Role.INSPECTOR, other)
    upheld = casework.file_appeal(
        official, cycle.id, AppealKind.RATING, "A competitor rated us", setting["rating"].id,
        on=IN_WINDOW,
    )  # fmt: skip
    casework.decide_appeal(upheld, reviewer, True, "Same device rated ten units in a minute")
    rejected = casework.file_appeal(
        official, cycle.id, AppealKind.RESULT, "The sample was too small", on=IN_WINDOW
    )
    casework.decide_appeal(rejected, reviewer, False, "The sample met the minimum")
    casework.file_appeal(official, cycle.id, AppealKind.RESULT, "Still pending", on=IN_WINDOW)
    node_id = db.session.scalar(select(IndicatorNode.id).where(IndicatorNode.cycle_id == cycle.id))
    plans = [
        casework.create_plan(
            official,
            unit.id,
            cycle.id,
            node_id,
            "Queues are too long",
            action,
            "Head of office",
            date(2026, 12, 31),
        )
        for action in ("Open a second window at noon", "Publish the waiting time online")
    ]
    casework.update_progress(plans[0], 100, "The window opened on 1 November")
    casework.update_progress(plans[1], 40, "Screens ordered")
    db.session.commit()

    html = client.get("/units/office").get_data(as_text=True)
    assert re.search(r"Appeals filed, upheld, rejected</th><td>3, 1, 1</td>", html)
    assert re.search(r"Improvement commitments \(completed\)</th><td>2 \(1\)</td>", html)
    assert "Open a second window at noon — due 2026-12-31, 100 per cent done" in html
    assert "Publish the waiting time online — due 2026-12-31, 40 per cent done" in html
    corrections = html.split('id="corr-h"')[1].split("</section>")[0]
    assert f"Appeal {upheld.id} upheld" in corrections
    assert re.search(r"</th><td>2</td>", corrections)
    # The other unit filed nothing.
    other_html = client.get("/units/other").get_data(as_text=True)
    assert re.search(r"Appeals filed, upheld, rejected</th><td>0, 0, 0</td>", other_html)
    # The same figures in the open data (every public number traceable to it).
    row = next(
        r
        for r in client.get("/api/v1/closed-loop").get_json()["data"]
        if r["unit_code"] == "office"
    )
    assert (row["appeals_filed"], row["appeals_upheld"], row["appeals_rejected"]) == (3, 1, 1)
    assert (row["commitments"], row["commitments_completed"]) == (2, 1)


def test_unit_page_compares_the_unit_with_its_own_past(
    client: FlaskClient, worked_example: dict[str, Any], make_cycle: Any
) -> None:
    """The vertical comparison computed by the scoring engine is what the unit page shows."""
    import json

    from citizenvoice.indicators.models import CycleState
    from citizenvoice.scoring import services as scoring
    from citizenvoice.scoring.models import UnitResult

    cycle, unit = worked_example["cycle"], worked_example["unit"]
    earlier = make_cycle(
        "2026-q2", CycleState.PUBLISHED, units=[unit],
        period_start=date(2026, 4, 1), period_end=date(2026, 6, 30),
    )  # fmt: skip
    db.session.add(
        UnitResult(cycle_id=earlier.id, unit_id=unit.id, total=70.0, total_lower=68, total_upper=72)
    )
    db.session.commit()
    scoring.compute_cycle(cycle.id)
    publication = scoring.publish(cycle.id)
    db.session.commit()
    mine = next(u for u in json.loads(publication.payload)["units"] if u["code"] == "bureau")
    change = mine["details"]["vertical"]["against_previous"]
    html = client.get("/units/bureau").get_data(as_text=True)
    section = html.split("Compared with its own past")[1].split("</table>")[0]
    row = section.split("The previous cycle")[1].split("</tr>")[0]
    assert f"<td>{change['reference']:.1f}</td><td>{change['difference']:+.1f}</td>" in row
    assert "<td>significant</td>" in row
