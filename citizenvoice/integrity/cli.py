"""``flask --app citizenvoice integrity-scan``: run the detectors and store what they find."""

from __future__ import annotations

import click
from flask import current_app

from citizenvoice.audit.services import Actor, acting_as
from citizenvoice.extensions import db
from citizenvoice.integrity import services


@click.command("integrity-scan")
@click.option(
    "--days",
    type=click.IntRange(1, 3660),
    default=services.DEFAULT_DAYS,
    show_default=True,
    help="How many days of ratings to examine.",
)
def integrity_scan(days: int) -> None:
    """Run every detector; store new findings once, flag ratings, list inspection candidates."""
    offset = float(
        current_app.config.get("INTEGRITY_UTC_OFFSET_HOURS", services.DEFAULT_UTC_OFFSET_HOURS)
    )
    with acting_as(Actor(None, "cli:integrity-scan")):
        report = services.scan(days=days, utc_offset_hours=offset)
    db.session.commit()
    click.echo(
        f"Examined {report.ratings_scanned} ratings and {report.figures_scanned} figures: "
        f"{report.findings_seen} findings, {report.findings_added} new, "
        f"{report.flags_added} ratings flagged, {report.candidates_added} inspection candidates."
    )
