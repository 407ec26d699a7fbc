"""``flask --app citizenvoice tips-purge`` and ``tips-rotate-key``."""

from __future__ import annotations

import click

from citizenvoice.audit.services import Actor, acting_as
from citizenvoice.extensions import db
from citizenvoice.tips import services


@click.command("tips-purge")
@click.option(
    "--days",
    type=int,
    default=None,
    help="Retention in days after closing (default: the TIPS_RETENTION_DAYS setting).",
)
def tips_purge(days: int | None) -> None:
    """Destroy closed tips whose retention period has passed (safe to run again)."""
    with acting_as(Actor(None, "cli:tips-purge")):
        report = services.purge(retention_days=days)
    db.session.commit()
    services.remove_files(report)
    click.echo(
        f"Destroyed {report.tips} tip(s), {report.messages} message(s), "
        f"{report.notes} note(s) and {report.files} file(s)."
    )


@click.command("tips-rotate-key")
def tips_rotate_key() -> None:
    """Re-encrypt tip texts and files under the newest key (TIPS_KEY); then drop old keys."""
    with acting_as(Actor(None, "cli:tips-rotate-key")):
        counts = services.rotate_keys()
    db.session.commit()
    click.echo(f"Re-encrypted {counts['texts']} text(s) and {counts['files']} file(s).")
