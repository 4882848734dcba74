"""`medsync household`: link patients who share an address or a phone, so they pick up on
one day; unlink them; show a household; suggest candidates. Every change is audited."""

from __future__ import annotations

import datetime as dt
import getpass

import click
from sqlalchemy.orm import Session

from bot.cli.common import Fail, pharmacy_named, sessions_for
from bot.program import households
from bot.settings import get_settings
from store import queries
from store.db import transaction
from store.models import Patient


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _patient(session: Session, pharmacy_id: int, external_id: str) -> Patient:
    patient = queries.patient_by_external_id(session, pharmacy_id, external_id)
    if patient is None:
        raise Fail(f"No patient {external_id} at this pharmacy.")
    return patient


def _describe(session: Session, patients: list[Patient]) -> list[str]:
    enrollments = queries.enrollments_of(session, [p.id for p in patients])
    return [
        f"  {p.external_id}  {p.first_name} {p.last_name}: "
        f"{households.sync_status(enrollments.get(p.id))}"
        for p in patients
    ]


def _day_note(session: Session, patients: list[Patient]) -> str | None:
    enrollments = queries.enrollments_of(session, [p.id for p in patients])
    days = {
        e.anchor_day
        for e in enrollments.values()
        if e.status in households.CHOSEN and e.anchor_day is not None
    }
    if len(days) > 1:
        listed = ", ".join(str(d) for d in sorted(days))
        return f"Note: the members pick up on different days ({listed}); change one in the inbox."
    return None


@click.group("household")
def household() -> None:
    """Patients who pick up together on one day."""


@household.command("link")
@click.argument("external_ids", nargs=-1, required=True)
@click.option("--pharmacy", "which", default=None)
def link(external_ids: tuple[str, ...], which: str | None) -> None:
    """Link two or more patients (by patient id) as one household."""
    if len(set(external_ids)) < 2:
        raise Fail("Name two or more different patients, e.g. `medsync household link P1 P2`.")
    now = dt.datetime.now(dt.UTC)
    with transaction(sessions_for(get_settings())) as session:
        pharmacy = pharmacy_named(session, which)
        patients = [_patient(session, pharmacy.id, e) for e in external_ids]
        try:
            households.link(session, patients, _actor(), now)
        except households.HouseholdError as error:
            raise Fail(str(error)) from None
        together = households.members(session, patients[0])
        click.echo("Household:")
        for line in _describe(session, together):
            click.echo(line)
        note = _day_note(session, together)
        if note:
            click.echo(note)


@household.command("unlink")
@click.argument("external_id")
@click.option("--pharmacy", "which", default=None)
def unlink(external_id: str, which: str | None) -> None:
    """Take a patient out of their household."""
    now = dt.datetime.now(dt.UTC)
    with transaction(sessions_for(get_settings())) as session:
        pharmacy = pharmacy_named(session, which)
        patient = _patient(session, pharmacy.id, external_id)
        try:
            remaining = households.unlink(session, patient, _actor(), now)
        except households.HouseholdError as error:
            raise Fail(str(error)) from None
        if remaining:
            names = ", ".join(p.external_id for p in remaining)
            click.echo(f"{external_id} left the household; {names} remain together.")
        else:
            click.echo(f"{external_id} left the household; it had no one else, so it is gone.")


@household.command("show")
@click.argument("external_id")
@click.option("--pharmacy", "which", default=None)
def show(external_id: str, which: str | None) -> None:
    """The patient's household: each member and their sync status."""
    with transaction(sessions_for(get_settings())) as session:
        pharmacy = pharmacy_named(session, which)
        patient = _patient(session, pharmacy.id, external_id)
        together = households.members(session, patient)
        if not together:
            click.echo(f"{external_id} is not in a household.")
            return
        click.echo("Household:")
        for line in _describe(session, together):
            click.echo(line)
        note = _day_note(session, together)
        if note:
            click.echo(note)


@household.command("suggest")
@click.option("--pharmacy", "which", default=None)
def suggest(which: str | None) -> None:
    """Patients who share a phone or an address and are not linked yet."""
    with transaction(sessions_for(get_settings())) as session:
        pharmacy = pharmacy_named(session, which)
        found = households.suggest(session, pharmacy.id)
        if not found:
            click.echo("No patients share a phone or an address outside a household.")
            return
        for suggestion in found:
            ids = " ".join(p.external_id for p in suggestion.patients)
            click.echo(f"{suggestion.reason}:")
            for line in _describe(session, list(suggestion.patients)):
                click.echo(line)
            click.echo(f"  link them: medsync household link {ids}")
