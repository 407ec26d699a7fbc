"""Command-line tools: ``flask --app citizenvoice <command>``, calling the site's services."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click
from flask import Flask

from citizenvoice.accounts import services as accounts
from citizenvoice.accounts.models import Role
from citizenvoice.audit.services import Actor, acting_as
from citizenvoice.audit.services import verify as verify_audit
from citizenvoice.core.errors import DomainError
from citizenvoice.extensions import db
from citizenvoice.org import importer


def _cli_actor(command: str) -> Actor:
    return Actor(None, f"cli:{command}")


@click.command("create-admin")
@click.argument("username")
@click.option(
    "--password", envvar="CITIZENVOICE_ADMIN_PASSWORD", help="Read from a prompt when omitted."
)
def create_admin(username: str, password: str | None) -> None:
    """Create an administrator account."""
    password = password or getpass.getpass("Password (12 characters or more): ")
    with acting_as(_cli_actor("create-admin")):
        try:
            accounts.create_user(username, password, Role.ADMIN, display_name=username)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Administrator {username} created.")


@click.command("audit-verify")
def audit_verify() -> None:
    """Check the audit chain; report the first broken link."""
    report = verify_audit()
    if report.ok:
        click.echo(f"Audit chain intact: {report.checked} entries, head {report.head}.")
        return
    click.echo(f"Audit chain BROKEN at entry {report.first_broken_seq}: {report.reason}.", err=True)
    click.echo(f"{report.checked} entries before it verified.", err=True)
    sys.exit(1)


@click.command("import-units")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_units(path: Path) -> None:
    """Import units and service points from a CSV file (all rows or none)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException("The file is not UTF-8 text.") from exc
    rows = max(text.count("\n") - 1, 1)
    with (
        acting_as(_cli_actor("import-units")),
        click.progressbar(length=rows, label="Importing") as bar,
    ):
        try:
            report = importer.import_units(text, progress=bar.update)
        except importer.ImportFailed as exc:
            db.session.rollback()
            for line, message in exc.errors:
                click.echo(f"line {line}: {message}", err=True)
            raise click.ClickException(
                f"{len(exc.errors)} problem(s); nothing was imported."
            ) from exc
    db.session.commit()
    click.echo(f"Imported: {report.created} created, {report.updated} updated.")


def register_cli(app: Flask) -> None:
    from citizenvoice.demo import demo_command
    from citizenvoice.disclosure.cli import verify_publication
    from citizenvoice.scoring.cli import compute_command
    from citizenvoice.tips.commands import tips_purge, tips_rotate_key

    for command in (create_admin, audit_verify, import_units, demo_command, compute_command):
        app.cli.add_command(command)
    app.cli.add_command(verify_publication)
    for command in (tips_purge, tips_rotate_key):
        app.cli.add_command(command)
    from citizenvoice.surveys.cli import COMMANDS as SURVEY_COMMANDS

    for command in SURVEY_COMMANDS:
        app.cli.add_command(command)
    from citizenvoice.integrity.cli import integrity_scan

    app.cli.add_command(integrity_scan)
    from citizenvoice.indicators.cli import COMMANDS as INDICATOR_COMMANDS

    for command in INDICATOR_COMMANDS:
        app.cli.add_command(command)
    from citizenvoice.casework.cli import COMMANDS as CASEWORK_COMMANDS

    for command in CASEWORK_COMMANDS:
        app.cli.add_command(command)
    from citizenvoice.mail.cli import COMMANDS as MAIL_COMMANDS

    for command in MAIL_COMMANDS:
        app.cli.add_command(command)
