"""`medsync caregiver add / remove / list`: staff record a patient's permission for a
caregiver's phone, or take it back. Every change is a consent event and an audit row."""

from __future__ import annotations

import datetime as dt
import getpass

import click
from sqlalchemy.orm import Session

from bot.cli.common import Fail, pharmacy_named, send_now, sessions_for
from bot.program import caregivers
from bot.program.caregivers import CaregiverError
from bot.settings import get_settings
from dialogs.caregiver import display
from store import caregivers as store
from store import queries
from store.audit import record
from store.db import transaction
from store.models import Channel, Patient, Pharmacy


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _patient(session: Session, pharmacy: Pharmacy, external_id: str) -> Patient:
    patient = queries.patient_by_external_id(session, pharmacy.id, external_id)
    if patient is None:
        raise Fail(f"No patient {external_id} at {pharmacy.name}.")
    return patient


@click.group()
def caregiver() -> None:
    """A caregiver's phone gets a patient's texts and may answer for them."""


@caregiver.command("add")
@click.argument("patient_id")
@click.argument("phone")
@click.option("--name", default=None, help="The caregiver's name, for staff.")
@click.option(
    "--permission",
    required=True,
    help='How the patient said yes, e.g. "patient said yes at the counter".',
)
@click.option("--pharmacy", "which", default=None, help="Name or Twilio number of the pharmacy.")
def caregiver_add(
    patient_id: str, phone: str, name: str | None, permission: str, which: str | None
) -> None:
    """Record PATIENT_ID's permission for PHONE to get their texts and answer for them."""
    settings = get_settings()
    sessions = sessions_for(settings)
    now = dt.datetime.now(dt.UTC)
    who = _who()
    try:
        with transaction(sessions) as session:
            pharmacy = pharmacy_named(session, which)
            patient = _patient(session, pharmacy, patient_id)
            number = caregivers.e164(phone)
            change = caregivers.add(
                session, pharmacy, patient, number, name, permission, f"staff:{who}",
                Channel.STAFF, now,
            )  # fmt: skip
            if change.send:
                record(
                    session,
                    who,
                    "caregiver_add",
                    f"patient:{patient.id}",
                    now,
                    after={"phone": number, "name": name, "permission": permission},
                )
    except CaregiverError as problem:
        raise Fail(str(problem)) from None
    click.echo(change.message)
    if change.send:
        jobs = send_now(settings, sessions)
        for message_id in change.send:
            jobs.send(message_id)
            click.echo(f"Their first text: {jobs.results[-1]}.")


@caregiver.command("remove")
@click.argument("patient_id")
@click.argument("phone")
@click.option("--reason", default="removed by staff", help="Why, in the patient's words if any.")
@click.option("--pharmacy", "which", default=None, help="Name or Twilio number of the pharmacy.")
def caregiver_remove(patient_id: str, phone: str, reason: str, which: str | None) -> None:
    """Withdraw PHONE's permission to get PATIENT_ID's texts."""
    now = dt.datetime.now(dt.UTC)
    who = _who()
    try:
        with transaction(sessions_for(get_settings())) as session:
            pharmacy = pharmacy_named(session, which)
            patient = _patient(session, pharmacy, patient_id)
            number = caregivers.e164(phone)
            before = [c.phone for c in store.caregivers_of(session, patient.id)]
            change = caregivers.remove(
                session, pharmacy, patient, number, reason, f"staff:{who}", Channel.STAFF, now
            )
            if number in before:
                record(
                    session,
                    who,
                    "caregiver_remove",
                    f"patient:{patient.id}",
                    now,
                    before={"phone": number},
                    after={"reason": reason},
                )
    except CaregiverError as problem:
        raise Fail(str(problem)) from None
    click.echo(change.message)


@caregiver.command("list")
@click.argument("patient_id")
@click.option("--pharmacy", "which", default=None, help="Name or Twilio number of the pharmacy.")
def caregiver_list(patient_id: str, which: str | None) -> None:
    """PATIENT_ID's caregivers, and every grant and withdrawal with its words."""
    with transaction(sessions_for(get_settings())) as session:
        pharmacy = pharmacy_named(session, which)
        patient = _patient(session, pharmacy, patient_id)
        standing = store.caregivers_of(session, patient.id)
        events = store.history(session, patient.id)
        if not events:
            click.echo(f"{patient.first_name} has no caregivers.")
            return
        for c in standing:
            click.echo(f"caregiver: {display(c.phone)}{f' ({c.name})' if c.name else ''}")
        if not standing:
            click.echo(f"{patient.first_name} has no caregivers now.")
        for c, event, by in events:
            kind = "granted" if event.kind == store.GRANTED else "withdrawn"
            click.echo(
                f"{event.created_at:%Y-%m-%d %H:%M} UTC  {kind:9}  {display(c.phone)}  "
                f"by {by}: {event.wording}"
            )
