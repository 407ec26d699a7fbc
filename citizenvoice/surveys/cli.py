"""Command-line tools of the surveys domain: ``export-qr`` and ``purge-salts``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.org.models import ServicePoint, Unit
from citizenvoice.surveys.integrity import purge_salts as purge_old_salts
from citizenvoice.surveys.qr import point_url, qr_png, qr_svg


@click.command("export-qr")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_qr(directory: Path) -> None:
    """Write a PNG and an SVG QR code for every active service point into DIRECTORY."""
    directory.mkdir(parents=True, exist_ok=True)
    base = str(current_app.config["BASE_URL"])
    points = db.session.scalars(
        select(ServicePoint)
        .join(Unit, ServicePoint.unit_id == Unit.id)
        .where(ServicePoint.is_active, Unit.is_active)
        .order_by(ServicePoint.code)
    ).all()
    with click.progressbar(points, label="Writing QR codes") as bar:
        for point in bar:
            url = point_url(base, point.token)
            (directory / f"{point.code}.png").write_bytes(qr_png(url, box_size=12))
            (directory / f"{point.code}.svg").write_text(qr_svg(url), encoding="utf-8")
    click.echo(f"{len(points)} service points: {2 * len(points)} files in {directory}.")


@click.command("purge-salts")
def purge_salts() -> None:
    """Delete the daily address-hash salts older than IP_SALT_RETENTION_DAYS."""
    days = int(current_app.config["IP_SALT_RETENTION_DAYS"])
    deleted = purge_old_salts(days)
    db.session.commit()
    click.echo(f"Deleted {deleted} salts older than {days} days.")


COMMANDS = [export_qr, purge_salts]
