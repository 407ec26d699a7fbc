"""``flask --app citizenvoice compute CYCLE``: compute a cycle's results with a progress bar."""

from __future__ import annotations

import time

import click
from flask import current_app
from sqlalchemy import func, select

from citizenvoice.audit.services import Actor, acting_as
from citizenvoice.core.errors import DomainError
from citizenvoice.extensions import db
from citizenvoice.indicators.models import Cycle, CycleUnit
from citizenvoice.scoring import services


def _find_cycle(reference: str) -> Cycle:
    cycle = services.cycle_by_code(reference.strip().lower())
    if cycle is None and reference.isdigit():
        cycle = db.session.get(Cycle, int(reference))
    if cycle is None:
        raise click.ClickException(f"No cycle with the code {reference!r}.")
    return cycle


@click.command("compute")
@click.argument("cycle_code")
@click.option("--publish", "publish_", is_flag=True, help="Publish version 1 after computing.")
def compute_command(cycle_code: str, publish_: bool) -> None:
    """Compute the results of the cycle CYCLE_CODE (its code, or its number)."""
    cycle = _find_cycle(cycle_code)
    participants = db.session.scalar(
        select(func.count()).select_from(CycleUnit).where(CycleUnit.cycle_id == cycle.id)
    )
    settings = services.ScoringSettings.from_config(current_app.config)
    started = time.perf_counter()
    with (
        acting_as(Actor(None, "cli:compute")),
        click.progressbar(length=participants or 0, label=f"Computing {cycle.code}") as bar,
    ):
        try:
            report = services.compute_cycle(cycle.id, settings, progress=bar.update)
            publication = services.publish(cycle.id) if publish_ else None
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
    db.session.commit()
    seconds = time.perf_counter() - started
    click.echo(
        f"Computed {report.units} units and {report.indicator_rows} indicator results "
        f"for {cycle.code} in {seconds:.1f} s."
    )
    click.echo(
        f"Ratings used: {report.ratings_used}; flagged and left out: {report.ratings_flagged}."
    )
    click.echo(f"Fingerprint: {report.fingerprint}")
    if publication is not None:
        click.echo(f"Published version {publication.version}, SHA-256 {publication.sha256}.")
