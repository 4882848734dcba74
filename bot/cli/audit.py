"""`medsync audit verify`: walk each pharmacy's audit chain and name the first broken row."""

from __future__ import annotations

import click
from sqlalchemy import select

from bot.cli.common import pharmacy_named, sessions_for
from bot.settings import get_settings
from store import audit as trail
from store.db import transaction
from store.models import Pharmacy


@click.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
@click.option("--pharmacy", "which", default=None, help="Only this pharmacy's chain.")
def audit_verify(which: str | None) -> None:
    """Recompute every audit row's hash, chain by chain. Exit code 1 and the first broken
    row when a row was changed, removed or inserted after it was written."""
    settings = get_settings()
    broken = 0
    with transaction(sessions_for(settings)) as session:
        names = {p.id: p.name for p in session.scalars(select(Pharmacy))}
        chosen = [pharmacy_named(session, which).id] if which else trail.chains(session)
        for chain in chosen:
            report = trail.verify(session, chain)
            label = names.get(chain, f"pharmacy #{chain}") if chain else "no pharmacy (accounts)"
            if report.intact:
                click.echo(
                    f"{label}: {report.rows} rows, intact; head {report.head_seq} "
                    f"{report.head_hash[:16]}"
                )
            else:
                broken += 1
                click.echo(f"{label}: BROKEN after {report.rows} good rows: {report.problem}.")
        if not chosen:
            click.echo("The audit trail is empty.")
    if broken:
        click.echo(
            f"{broken} chain(s) broken: the audit trail was changed outside MedSync "
            "(docs/SECURITY.md says what to do).",
            err=True,
        )
        raise click.exceptions.Exit(1)
