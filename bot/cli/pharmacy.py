"""`medsync pharmacy`: pharmacies, their Twilio numbers and their sync-program settings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

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

    from bot.program.open_days import open_days_of
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
            settings = program_from(pharmacy.state, chosen, open_days_of(pharmacy))
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


@pharmacy.command("days")
@click.option("--pharmacy", "which", default=None)
@click.option("--close-weekday", multiple=True, metavar="DAY", help="Closed every week (Sunday).")
@click.option("--open-weekday", multiple=True, metavar="DAY", help="Open again on this weekday.")
@click.option(
    "--holidays",
    "holiday_country",
    default=None,
    metavar="COUNTRY|none",
    help="Closed on this country's public holidays (US, the default), or none.",
)
@click.option(
    "--holiday-subdivision",
    default=None,
    metavar="STATE|none",
    help="Also the state's own holidays (NY), or none.",
)
@click.option(
    "--observed/--not-observed",
    default=None,
    help="Also closed on the weekday a weekend holiday is observed.",
)
@click.option(
    "--open-on-holiday", multiple=True, metavar="NAME", help='Open anyway ("Columbus Day").'
)
@click.option(
    "--close-on-holiday", multiple=True, metavar="NAME", help="Closed again on this holiday."
)
@click.option("--close", "close_dates", multiple=True, metavar="YYYY-MM-DD", help="A closed date.")
@click.option("--reopen", "reopen_dates", multiple=True, metavar="YYYY-MM-DD")
@click.option("--hours", default=None, help='Opening hours as patients read them ("Mon-Fri 9-7").')
@click.option(
    "--upcoming", type=click.IntRange(0, 366), default=31, help="List closed days this far ahead."
)
def pharmacy_days(
    which: str | None,
    close_weekday: tuple[str, ...],
    open_weekday: tuple[str, ...],
    holiday_country: str | None,
    holiday_subdivision: str | None,
    observed: bool | None,
    open_on_holiday: tuple[str, ...],
    close_on_holiday: tuple[str, ...],
    close_dates: tuple[str, ...],
    reopen_dates: tuple[str, ...],
    hours: str | None,
    upcoming: int,
) -> None:
    """When the pharmacy is closed (weekdays, holidays, its own dates) and its hours: no pickup,
    short fill or prep day is planned on a closed day (it moves to the previous open day)."""
    from bot.clock import SystemClock, local_date
    from bot.program import open_days as days
    from dialogs.plan.model import PlanError
    from store.audit import record

    with transaction(sessions_for(get_settings())) as session:
        found = pharmacy_named(session, which)
        before = {"open_days": found.open_days, "hours": found.hours}
        try:
            calendar = days.to_stored(days.open_days_of(found))
            weekdays = set(calendar["closed_weekdays"])
            weekdays |= {days.weekday_number(d) for d in close_weekday}
            weekdays -= {days.weekday_number(d) for d in open_weekday}
            calendar["closed_weekdays"] = sorted(weekdays)
            if holiday_country is not None:
                none = holiday_country.lower() == "none"
                calendar["holidays"] = None if none else holiday_country.upper()
                if none:
                    calendar["holiday_subdivision"] = None
            if holiday_subdivision is not None:
                none = holiday_subdivision.lower() == "none"
                calendar["holiday_subdivision"] = None if none else holiday_subdivision.upper()
            if observed is not None:
                calendar["observed"] = observed
            opened = (set(calendar["open_on_holidays"]) | set(open_on_holiday)) - set(
                close_on_holiday
            )
            calendar["open_on_holidays"] = sorted(opened)
            dates = set(calendar["closed_dates"])
            dates |= {_iso(d) for d in close_dates}
            dates -= {_iso(d) for d in reopen_dates}
            calendar["closed_dates"] = sorted(dates)
            checked = days.from_stored(calendar)  # refuses what cannot be used, in a sentence
            today = local_date(SystemClock(), found.timezone)
            checked.open_on_or_before(today + dt.timedelta(days=upcoming))
        except PlanError as error:
            raise Fail(str(error)) from None
        new_days = days.to_stored(checked)
        new_hours = found.hours if hours is None else (hours.strip() or None)
        after = {"open_days": new_days, "hours": new_hours}
        if after != before:
            found.open_days = new_days
            found.hours = new_hours
            record(
                session,
                actor="cli",
                action="pharmacy.open_days",
                subject=f"pharmacy:{found.id}",
                before=before,
                after=after,
                now=dt.datetime.now(dt.UTC),
            )
        click.echo(f"Open days at {found.name}:")
        for line in days.describe(checked, found.hours):
            click.echo(f"  {line}")
        closed = list(days.closed_between(checked, today, today + dt.timedelta(days=upcoming)))
        if closed:
            click.echo(f"Closed in the next {upcoming} days:")
            for day, because in closed:
                click.echo(f"  {day:%a %b %d, %Y}: {because}")


def _iso(raw: str) -> str:
    from dialogs.plan.model import PlanError

    try:
        return dt.date.fromisoformat(raw.strip()).isoformat()
    except ValueError:
        raise PlanError(f"{raw!r} is not a date; write YYYY-MM-DD.") from None


@pharmacy.command("state")
@click.option("--pharmacy", "which", default=None)
@click.argument("code", required=False)
def pharmacy_state(which: str | None, code: str | None) -> None:
    """The pharmacy's state (two letters, or none): which state sync law prorates short-fill
    copays for the payers it binds, and which schedules it leaves out."""
    import holidays

    from bot.program.plans import pharmacy_program
    from store.audit import record

    with transaction(sessions_for(get_settings())) as session:
        found = pharmacy_named(session, which)
        if code is not None:
            wanted = None if code.lower() == "none" else code.strip().upper()
            known = holidays.list_supported_countries()["US"]
            if wanted is not None and (len(wanted) != 2 or wanted not in known):
                raise Fail(f"{code!r} is not a US state code; write two letters like NY (or none).")
            if wanted != found.state:
                record(
                    session,
                    actor="cli",
                    action="pharmacy.state",
                    subject=f"pharmacy:{found.id}",
                    before={"state": found.state},
                    after={"state": wanted},
                    now=dt.datetime.now(dt.UTC),
                )
                found.state = wanted
        law = pharmacy_program(found).sync_law()
        click.echo(f"{found.name}: state {found.state or 'not set'}.")
        if law is None:
            click.echo(
                "  No state sync law known for it: commercial and Medicaid short fills are "
                "estimated at the full copay; Medicare Part D pays its daily rate."
            )
        else:
            payers = ", ".join(sorted(law.payers))
            left_out = ", ".join(sorted(law.excluded_schedules)) or "none"
            click.echo(
                f"  {law.citation}: prorates short-fill copays for {payers} plans "
                f"(schedules left out: {left_out}); Medicare Part D pays its daily rate."
            )


@pharmacy.command("services")
@click.option("--pharmacy", "which", default=None)
@click.option("--clear", is_flag=True, help="Offer no services at pickup.")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def pharmacy_services(which: str | None, clear: bool, file: Path | None) -> None:
    """The services offered at pickup (flu or shingles shot, blood pressure check, medication
    review) and their rules, from a TOML file (docs/SERVICES.md)."""
    from bot.program.services import ServicesError, parse
    from store.audit import record

    with transaction(sessions_for(get_settings())) as session:
        found = pharmacy_named(session, which)
        wanted = found.services
        if clear:
            wanted = None
        elif file is not None:
            try:
                wanted = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                raise Fail(f"Could not read {file} as a UTF-8 text file.") from None
        try:
            offered = parse(wanted) if wanted else ()
        except ServicesError as error:
            raise Fail(f"{error} Nothing was changed.") from None
        if wanted != found.services:
            record(
                session,
                actor="cli",
                action="pharmacy.services",
                subject=f"pharmacy:{found.id}",
                before={"services": found.services},
                after={"services": wanted},
                now=dt.datetime.now(dt.UTC),
            )
            found.services = wanted
        if not offered:
            click.echo(f"{found.name} offers no services at pickup.")
        else:
            click.echo(f"Services offered at pickup at {found.name} (the first that applies):")
            for service in offered:
                click.echo(f"  {service.describe()}")


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
