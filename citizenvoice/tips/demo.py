"""Demo data: one tip about the housing bureau, under investigation, with messages both ways.

The receipt is not printed or kept anywhere: the demo tip cannot be followed up.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from citizenvoice.tips import services
from citizenvoice.tips.models import TipStatus

BODY = (
    "The housing bureau reported that 98% of construction permits in the second quarter were "
    "issued within the legal time limit. At the permit window, applications that are late are "
    "logged as 'returned for correction' and entered again with a new date, so the clock starts "
    "over. About a third of the files I handled were treated this way."
)
FIGURE = "Construction permits issued on time, second quarter: 98%"


def build_demo(city: Any) -> None:
    """Add this domain's demo data to the city."""
    unit = city.units.get("housing") or next(iter(city.units.values()))
    point = next((p for p in city.points if p.unit_id == unit.id), None)
    tip, _receipt = services.submit_tip(unit.id, BODY, FIGURE, point.id if point else None)
    investigator = city.staff.get("inspector")
    if investigator is not None and investigator in services.investigators_for(tip):
        services.assign(tip, investigator.id)
    services.change_status(tip, TipStatus.TRIAGED)
    services.change_status(tip, TipStatus.INVESTIGATING)
    author = investigator or city.staff.get("manager")
    services.send_message(
        tip,
        author,
        "Thank you for your report. Can you tell us roughly which weeks the re-entered "
        "files were from? Please do not send anything that names you.",
    )
    services.reporter_reply(
        tip, "Mostly May and June. The correction log at the window shows the original dates."
    )
    services.add_note(tip, author, "Compare the window's correction log with the permit register.")
    start = services.today() - timedelta(days=12)
    tip.submitted_on = start
    for n, message in enumerate(tip.messages):
        message.sent_on = start + timedelta(days=3 + 2 * n)
    tip.last_activity_on = tip.messages[-1].sent_on
