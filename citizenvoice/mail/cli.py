"""flask --app citizenvoice mail-send: send the e-mail waiting in the outbox."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from citizenvoice.mail import services


@click.command("mail-send")
@click.option("--limit", default=500, show_default=True, help="Most messages sent in this run.")
@with_appcontext
def mail_send(limit: int) -> None:
    """Send pending e-mail over SMTP (run it periodically; running it twice sends nothing twice).

    Exits 1 when SMTP is not configured or the server cannot be reached (nothing is lost: the
    messages stay pending for the next run).
    """
    if not services.is_enabled():
        raise click.ClickException(
            "SMTP is not configured (set CITIZENVOICE_SMTP_HOST); nothing was sent."
        )
    report = services.send_outbox(limit)
    left = services.pending_count()
    if report.unreachable:
        click.echo(
            f"The SMTP server {services.server_name()} could not be reached "
            f"({report.unreachable}); {left} message(s) stay pending for the next run.",
            err=True,
        )
        sys.exit(1)
    click.echo(
        f"{report.sent} sent, {report.refused} refused (tried again later), "
        f"{report.failed} failed for good, {left} pending."
    )


COMMANDS = [mail_send]
