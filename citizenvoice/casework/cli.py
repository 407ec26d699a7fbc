"""flask --app citizenvoice cases-escalate: hand overdue cases to the superior unit."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext

from citizenvoice.casework import services
from citizenvoice.extensions import db


@click.command("cases-escalate")
@click.option("--on", "on", default=None, help="Pretend today is this date (YYYY-MM-DD).")
@with_appcontext
def cases_escalate(on: str | None) -> None:
    """Escalate open cases past their reply deadline (running it twice escalates nothing new)."""
    day = date.fromisoformat(on) if on else None
    count = services.escalate_overdue(day)
    db.session.commit()
    click.echo(f"{count} case(s) escalated")


COMMANDS = [cases_escalate]
