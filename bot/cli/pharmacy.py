"""`medsync pharmacy`: pharmacies, their Twilio numbers and their sync-program settings."""

from __future__ import annotations

import datetime as dt

import click
from sqlalchemy import select

from bot.cli.common import Fail, e164, pharmacy_named, sessions_for
from bot.settings import get_settings
from store.db import transaction
from store.models import Pharmacy


@click.group()
def pharmacy() -> None:
    """Pharmacies and their Twilio numbers."""


@pharmacy.command("add")
@click.argument("name")
@click.option("--phone", required=True, help="The number patients call.")
@click.option("--twilio-number", required=True, help="The Twilio number that texts patients.")
@click.option("--timezone", "tz", required=True, help="For example America/New_York.")
@click.option("--state", default=None, help="Two-letter state code, for state rules.")
def pharmacy_add(name: str, phone: str, twilio_number: str, tz: str, state: str | None) -> None:
    """Add a pharmacy."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise Fail(f"{tz!r} is not a time zone; use a name like America/New_York.") from None
    settings = get_settings()
    with transaction(sessions_for(settings)) as session:
        number = e164(twilio_number, "Twilio number")
        if session.scalar(select(Pharmacy).where(Pharmacy.twilio_number == number)):
            raise Fail(f"A pharmacy already uses the Twilio number {number}.")
        session.add(
            Pharmacy(
                name=name,
                phone=e164(phone, "Phone"),
                twilio_number=number,
                timezone=tz,
                state=state.upper() if state else None,
                created_at=dt.datetime.now(dt.UTC),
            )
        )
    click.echo(f"Added {name} (texts from {number}).")


@pharmacy.command("program")
@click.option("--pharmacy", "which", default=None)
@click.option("--set", "to_set", multiple=True, metavar="KEY=VALUE", help="Change a setting.")
@click.option("--unset", "to_unset", multiple=True, metavar="KEY", help="Back to the default.")
def pharmacy_program(which: str | None, to_set: tuple[str, ...], to_unset: tuple[str, ...]) -> None:
    """The pharmacy's sync-program settings (plans, anchor policy, controlled substances)."""
    from dataclasses import fields

    from bot.program.plans import PROGRAM_KEYS, parse_program_value, program_from
    from dialogs.plan.model import PlanError, ProgramSettings
    from store.audit import record

    with transaction(sessions_for(get_settings())) as session:
        pharmacy = pharmacy_named(session, which)
        before = dict(pharmacy.program or {})
        chosen = dict(before)
        try:
            for item in to_set:
                key, sep, raw = item.partition("=")
                if not sep:
                    raise PlanError(f"Write --set KEY=VALUE (got {item!r}).")
                chosen[key.strip()] = parse_program_value(key.strip(), raw.strip())
            for key in to_unset:
                chosen.pop(key, None)
            settings = program_from(pharmacy.state, chosen)
        except (PlanError, TypeError) as error:
            raise Fail(str(error)) from None
        if chosen != before:
            pharmacy.program = chosen
            record(
                session,
                actor="cli",
                action="pharmacy.program",
                subject=f"pharmacy:{pharmacy.id}",
                before=before,
                after=chosen,
                now=dt.datetime.now(dt.UTC),
            )
        defaults = ProgramSettings()
        click.echo(f"Sync program at {pharmacy.name}:")
        for field in fields(ProgramSettings):
            if field.name not in PROGRAM_KEYS:
                continue
            value = getattr(settings, field.name)
            mark = "" if value == getattr(defaults, field.name) else "   (this pharmacy's choice)"
            click.echo(f"  {field.name} = {value}{mark}")


@pharmacy.command("callers")
@click.option("--pharmacy", "which", default=None)
@click.option(
    "--check/--no-check",
    "check",
    default=None,
    help="Ask callers for the patient's birth date before saying anything about the patient "
    "(the default), or not.",
)
def pharmacy_callers(which: str | None, check: bool | None) -> None:
    """Whether an inbound call must confirm the patient's birth date first (on by default:
    caller ID can be spoofed)."""
    from store.audit import record

    with transaction(sessions_for(get_settings())) as session:
        found = pharmacy_named(session, which)
        if check is not None and check != found.verify_callers:
            record(
                session,
                actor="cli",
                action="pharmacy.verify_callers",
                subject=f"pharmacy:{found.id}",
                before={"verify_callers": found.verify_callers},
                after={"verify_callers": check},
                now=dt.datetime.now(dt.UTC),
            )
            found.verify_callers = check
        if found.verify_callers:
            click.echo(
                f"{found.name}: callers confirm the patient's birth date before the call says "
                "or changes anything about the patient."
            )
        else:
            click.echo(
                f"{found.name}: callers are NOT asked for a birth date; anyone whose caller ID "
                "shows a patient's number hears that patient's pickup dates and can change "
                "their preferences. Turn it back on with --check."
            )


@pharmacy.command("list")
def pharmacy_list() -> None:
    """List the pharmacies."""
    with transaction(sessions_for(get_settings())) as session:
        for p in session.scalars(select(Pharmacy).order_by(Pharmacy.id)):
            click.echo(f"{p.id}\t{p.name}\t{p.twilio_number}\t{p.timezone}")
