"""``flask --app citizenvoice verify-publication``: check every stored snapshot."""

from __future__ import annotations

import sys

import click

from citizenvoice.disclosure.services import verify_publications


@click.command("verify-publication")
def verify_publication() -> None:
    """Recompute each published snapshot's SHA-256 and compare it with the audit chain."""
    report = verify_publications()
    if report.ok:
        click.echo(f"All {report.checked} published snapshots match their recorded hashes.")
        return
    for problem in report.problems:
        click.echo(f"{problem.cycle_code} v{problem.version}: {problem.message}", err=True)
    click.echo(
        f"{len(report.problems)} problem(s) in {report.checked} published snapshots.", err=True
    )
    sys.exit(1)
