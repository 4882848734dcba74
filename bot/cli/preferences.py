"""`medsync preferences P1001 [--set delivery=yes --set channel=call --set time=morning
--set detailed=no]`: show or change a patient's preferences, audited."""

from __future__ import annotations

import datetime as dt
import getpass

import click

from bot.cli.common import Fail, pharmacy_named, sessions_for
from bot.program import preferences
from bot.settings import get_settings
from store import queries
from store.audit import record
from store.db import transaction


def _who() -> str:
    """The audit trail's actor for a terminal command: the operating-system account."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@click.command("preferences")
@click.argument("patient_id")
@click.option(
    "--set",
    "to_set",
    multiple=True,
    metavar="NAME=VALUE",
    help="delivery=yes|no, channel=text|call, time=morning|afternoon|evening, detailed=yes|no.",
)
@click.option("--pharmacy", "which", default=None)
def preferences_command(patient_id: str, to_set: tuple[str, ...], which: str | None) -> None:
    """A patient's preferences: pickup or delivery, texts or calls, the time of day for
    messages, and detailed messages (drug names; a consent). Changes are audited."""
    now = dt.datetime.now(dt.UTC)
    wanted: list[tuple[str, str]] = []
    for item in to_set:
        name, sep, raw = item.partition("=")
        if not sep:
            raise Fail(f"Write --set NAME=VALUE (got {item!r}).")
        try:
            wanted.append((name.strip(), preferences.parse(name.strip(), raw)))
        except preferences.PreferenceError as error:
            raise Fail(str(error)) from None
    actor = _who()
    with transaction(sessions_for(get_settings())) as session:
        pharmacy = pharmacy_named(session, which)
        patient = queries.patient_by_external_id(session, pharmacy.id, patient_id)
        if patient is None:
            raise Fail(f"No patient {patient_id} at {pharmacy.name}.")
        before = preferences.of(session, patient).as_dict()
        changed = [
            (name, value)
            for name, value in wanted
            if preferences.change(session, patient, name, value, "staff", now, changed_by=actor)
        ]
        after = preferences.of(session, patient).as_dict()
        if changed:
            record(
                session,
                actor=actor,
                action="patient.preferences",
                subject=f"patient:{patient.id}",
                now=now,
                before={n: before[n] for n, _ in changed},
                after={n: after[n] for n, _ in changed},
            )
        click.echo(f"Preferences of {patient.first_name} {patient.last_name} ({patient_id}):")
        for name, shown in after.items():
            click.echo(f"  {name}: {shown}")
        if wanted and not changed:
            click.echo("Nothing changed: those were the preferences already.")
