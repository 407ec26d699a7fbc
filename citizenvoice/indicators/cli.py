"""``flask indicators-export`` and ``flask indicators-import``: the tree of a cycle as a file."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from citizenvoice.audit.services import Actor, acting_as
from citizenvoice.core.errors import DomainError
from citizenvoice.extensions import db
from citizenvoice.indicators import transfer
from citizenvoice.indicators.models import Cycle


def _cycle(code: str) -> Cycle:
    cycle = db.session.scalar(select(Cycle).where(Cycle.code == code))
    if cycle is None:
        raise click.ClickException(f"No cycle with the code {code!r}.")
    return cycle


@click.command("indicators-export")
@click.argument("cycle_code")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
def indicators_export(cycle_code: str, fmt: str) -> None:
    """Print the indicator tree of a cycle as CSV or JSON."""
    cycle = _cycle(cycle_code)
    click.echo(
        transfer.export_csv(cycle) if fmt == "csv" else transfer.export_json(cycle), nl=False
    )


@click.command("indicators-import")
@click.argument("cycle_code")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def indicators_import(cycle_code: str, path: Path) -> None:
    """Add the nodes of a CSV or JSON file to a cycle's tree (all rows or none)."""
    cycle = _cycle(cycle_code)
    fmt = "json" if path.suffix.lower() == ".json" else "csv"
    with acting_as(Actor(None, "cli:indicators-import")):
        try:
            count = transfer.import_tree(cycle, path.read_text(encoding="utf-8"), fmt, None)
        except transfer.TreeImportFailed as exc:
            db.session.rollback()
            for line, message in exc.errors:
                click.echo(f"line {line}: {message}", err=True)
            raise click.ClickException("Nothing was imported.") from exc
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Imported {count} nodes into {cycle.code}.")


COMMANDS = [indicators_export, indicators_import]
