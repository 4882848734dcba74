"""`medsync worklist`: what to fill on a preparation day, as text or CSV, and ticking it off."""

from __future__ import annotations

import datetime as dt

import click

from bot.cli.common import Fail, pharmacy_named, sessions_for
from bot.settings import get_settings
from store.db import transaction


@click.command("worklist")
@click.option("--pharmacy", "which", default=None)
@click.option(
    "--date",
    "on",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The preparation day (default: today at the pharmacy).",
)
@click.option("--csv", "as_csv", is_flag=True, help="One row per fill, for a spreadsheet.")
@click.option("--tick", "to_tick", multiple=True, metavar="PATIENT:RX", help="Mark a fill as done.")
@click.option(
    "--untick", "to_untick", multiple=True, metavar="PATIENT:RX", help="Take a tick back."
)
@click.option("--by", "actor", default="cli", help="Who ticks, for the audit trail.")
def worklist_command(
    which: str | None,
    on: dt.datetime | None,
    as_csv: bool,
    to_tick: tuple[str, ...],
    to_untick: tuple[str, ...],
    actor: str,
) -> None:
    """The prep-day worklist: for each pickup prepared that day, each patient and prescription
    to fill (full or short fill, days, units), the check-in (clear / held / no answer),
    renewals pending, delivery or pickup, and what staff ticked off. The sync visits of a
    new plan (the short fills before its first synced pickup: a first cycle, a changed pickup
    day, an enrollment again) are listed on their own days."""
    from bot.clock import SystemClock, local_date
    from bot.program import worklist as work
    from bot.program import worklist_export, worklist_ticks
    from store import queries

    with transaction(sessions_for(get_settings())) as session:
        pharmacy = pharmacy_named(session, which)
        day = on.date() if on else local_date(SystemClock(), pharmacy.timezone)
        listed = work.worklist(session, pharmacy, day)
        changed = []
        for raw, undo in [*((t, False) for t in to_tick), *((t, True) for t in to_untick)]:
            external_id, sep, rx_number = raw.partition(":")
            if not sep or not rx_number.strip():
                raise Fail(f"Write the fill as PATIENT:RX, as the worklist shows it (got {raw!r}).")
            found = work.on_list(listed, external_id.strip(), rx_number.strip())
            if found is None:
                raise Fail(
                    f"{external_id.strip()} is not on the worklist for {day:%b %d, %Y}. "
                    "Nothing was ticked."
                )
            patient = queries.patient_by_external_id(session, pharmacy.id, found.external_id)
            assert patient is not None
            try:
                done = worklist_ticks.tick(
                    session,
                    pharmacy,
                    patient,
                    rx_number.strip(),
                    found.anchor_date,
                    found.pickup_date,
                    actor,
                    dt.datetime.now(dt.UTC),
                    undo=undo,
                    listed={f.rx_number for f in found.fills},
                )
            except worklist_ticks.WorklistError as error:
                raise Fail(f"{error} Nothing was ticked.") from None
            verb = "Unticked" if undo else "Ticked"
            changed.append(f"{verb} {raw}." if done else f"{raw} was already {verb.lower()}.")
        if changed:
            session.flush()
            listed = work.worklist(session, pharmacy, day)
    if as_csv:
        click.echo(worklist_export.as_csv(listed), nl=False)
        return
    for line in changed:
        click.echo(line)
    for line in worklist_export.lines(listed):
        click.echo(line)
