"""The `medsync` command."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.common import Fail, e164, pharmacy_named, sessions_for, talking_to
from bot.clock import SystemClock
from bot.conversation.runtime import NotEnrolled, PatientNotFound, Runtime, normalize_phone
from bot.imports import demo
from bot.imports.pharmacy_export import ImportFileError, import_export
from bot.outreach.jobs import InProcessJobs
from bot.outreach.sender import sender_for
from bot.settings import Settings, get_settings
from store import queries
from store.db import transaction, upgrade
from store.models import Pharmacy


def _jobs(settings: Settings, sessions: sessionmaker[Session]) -> InProcessJobs:
    sender = sender_for(settings)
    return InProcessJobs(sessions, sender, SystemClock())


def _runtime(settings: Settings, sessions: sessionmaker[Session]) -> Runtime:
    from bot.channels.sms import render_sms

    return Runtime(
        sessions,
        SystemClock(),
        render_sms=render_sms,
        preparation_days=settings.preparation_days,
        decline_quiet_days=settings.decline_quiet_days,
    )


@click.group()
def main() -> None:
    """MedSync: a pharmacy's medication synchronization program over SMS."""


# ---------------------------------------------------------------------- serve


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo", "with_demo", is_flag=True, help="Seed a demo pharmacy and its patients.")
def serve(host: str, port: int, with_demo: bool) -> None:
    """Run the web app (Twilio webhooks)."""
    import uvicorn

    from bot.web.app import create_app

    settings = get_settings()
    if settings.database_url.startswith("sqlite"):
        upgrade(settings.database_url)  # the embedded default keeps itself current
    updates: dict[str, object] = {}
    if not settings.public_url:
        updates["public_url"] = f"http://{host}:{port}"
    if with_demo:
        token = settings.twilio_auth_token or demo.auth_token(Path(settings.demo_token_file))
        updates["twilio_auth_token"] = token
        with transaction(sessions_for(settings)) as session:
            lines = demo.seed(session, dt.datetime.now(dt.UTC))
        for line in lines:
            click.echo(line)
        click.echo(
            f"\nTry it: in another terminal, in this folder, run\n"
            f"  medsync chat {demo.DEMO_PATIENT_PHONE}\n"
            f"to text the bot as {demo.DEMO_PATIENT_NAME}.\n"
            f"The pharmacist's inbox: `medsync user add you@example.org --role admin`, then "
            f"open http://{host}:{port}/login\n"
        )
    elif not settings.twilio_auth_token:
        raise Fail("Set TWILIO_AUTH_TOKEN (or use --demo): every webhook is checked with it.")
    settings = settings.model_copy(update=updates)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


# ---------------------------------------------------------------------- db


@main.group()
def db() -> None:
    """The database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations."""
    settings = get_settings()
    upgrade(settings.database_url)
    click.echo("Database is up to date.")


# ---------------------------------------------------------------------- pharmacy


@main.group()
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


@pharmacy.command("list")
def pharmacy_list() -> None:
    """List the pharmacies."""
    with transaction(sessions_for(get_settings())) as session:
        for p in session.scalars(select(Pharmacy).order_by(Pharmacy.id)):
            click.echo(f"{p.id}\t{p.name}\t{p.twilio_number}\t{p.timezone}")


# ---------------------------------------------------------------------- import


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--pharmacy", "which", default=None, help="Name or Twilio number of the pharmacy.")
@click.option(
    "--fills", "fills", is_flag=True, help="FILE is a fills file (found by its header anyway)."
)
def import_(file: Path, which: str | None, fills: bool) -> None:
    """Import patients and prescriptions from the pharmacy's export (CSV), or a fills file."""
    from bot.imports.fills import import_fills, is_fills_header

    settings = get_settings()
    try:
        with transaction(sessions_for(settings)) as session, file.open(encoding="utf-8-sig") as f:
            fills = fills or is_fills_header(f.readline())
            f.seek(0)
            run = import_fills if fills else import_export
            report = run(session, pharmacy_named(session, which), f, dt.datetime.now(dt.UTC))
    except ImportFileError as error:
        raise Fail(str(error)) from None
    except UnicodeDecodeError:
        raise Fail(f"{file} is not a UTF-8 text file; export it as CSV in UTF-8.") from None
    click.echo(report.summary())


# ---------------------------------------------------------------------- check-ins


@main.group()
def checkin() -> None:
    """Pre-pickup check-ins."""


@checkin.command("open")
@click.argument("patient_id")
@click.option("--pharmacy", "which", default=None)
@click.option("--anchor-date", type=click.DateTime(["%Y-%m-%d"]), default=None)
def checkin_open(patient_id: str, which: str | None, anchor_date: dt.datetime | None) -> None:
    """Open this cycle's check-in for a patient (their patient_id in the export) and text them."""
    settings = get_settings()
    sessions = sessions_for(settings)
    with transaction(sessions) as session:
        pharmacy_id = pharmacy_named(session, which).id
    try:
        outbound = _runtime(settings, sessions).open_check_in(
            pharmacy_id, patient_id, anchor_date.date() if anchor_date else None
        )
    except (PatientNotFound, NotEnrolled) as error:
        raise Fail(str(error)) from None
    if outbound is None:
        click.echo(
            f"The check-in for {patient_id} is already open, waits for another patient's "
            "check-in on the same phone, or the patient has opted out."
        )
        return
    jobs = _jobs(settings, sessions)
    jobs.send(outbound.message_id)
    click.echo(f"Check-in opened for {patient_id}: {jobs.results[-1]}.")
    for other in outbound.others:  # the same question to each caregiver's phone
        jobs.send(other)
        click.echo(f"Also to a caregiver: {jobs.results[-1]}.")


# ---------------------------------------------------------------------- sync plan


@main.command()
@click.argument("patient_id")
@click.option(
    "--anchor", type=click.IntRange(1, 28), default=None, help="Plan on this day instead."
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--pharmacy", "which", default=None)
def plan(patient_id: str, anchor: int | None, as_json: bool, which: str | None) -> None:
    """The sync plan for a patient: anchor day, short fills, copays, exclusions, renewals."""
    import json

    from bot.clock import local_date
    from bot.program.plans import plan_for
    from dialogs.plan.model import PlanError
    from dialogs.plan.plan import NotEligible

    with transaction(sessions_for(get_settings())) as session:
        pharmacy = pharmacy_named(session, which)
        patient = queries.patient_by_external_id(session, pharmacy.id, patient_id)
        if patient is None:
            raise Fail(f"No patient {patient_id} at {pharmacy.name}.")
        today = local_date(SystemClock(), pharmacy.timezone)
        name = f"{patient.first_name} {patient.last_name} ({patient.external_id})"
        try:
            result = plan_for(patient, today, anchor_day=anchor)
        except NotEligible as error:
            if as_json:
                click.echo(
                    json.dumps(
                        {
                            "patient": patient.external_id,
                            "eligible": False,
                            "reason": error.eligibility.reason,
                            "medicines": [
                                {
                                    "rx_number": r.medication.rx_number,
                                    "status": r.status.value,
                                    "reason": r.reason,
                                }
                                for r in error.reconciliations
                            ],
                        },
                        indent=2,
                    )
                )
                return
            click.echo(f"{name} is not eligible for med sync: {error.eligibility.reason}")
            for r in error.reconciliations:
                click.echo(f"  {r.medication.drug_name} ({r.medication.rx_number}): {r.reason}")
            return
        except PlanError as error:
            raise Fail(f"No plan for {name}: {error}") from None
    if as_json:
        click.echo(
            json.dumps({"patient": patient_id, "eligible": True, **result.to_dict()}, indent=2)
        )
        return
    click.echo(f"Sync plan for {name}, as of {today:%b %d, %Y}")
    for line in result.lines_for_display():
        click.echo(line if line.startswith("  ") else f"- {line}")


# ---------------------------------------------------------------------- review queue


@main.command()
@click.option("--pharmacy", "which", default=None)
@click.option("--all", "show_all", is_flag=True, help="Include items already decided.")
def queue(which: str | None, show_all: bool) -> None:
    """The pharmacist's review queue: flagged first, oldest first."""
    from store.models import Patient, ReviewStatus

    with transaction(sessions_for(get_settings())) as session:
        pharmacy = pharmacy_named(session, which)
        items = [
            i
            for i in queries.review_items(session, pharmacy.id)
            if show_all or i.status == ReviewStatus.PENDING
        ]
        if not items:
            click.echo("The review queue is empty.")
            return
        for item in items:
            patient = session.get(Patient, item.patient_id) if item.patient_id else None
            who = (
                f"{patient.external_id} {patient.first_name} {patient.last_name}"
                if patient
                else f"unknown number {item.phone}"
            )
            mark = "FLAGGED " if item.priority == 0 else ""
            click.echo(
                f"#{item.id} [{item.status.value}] {mark}{item.kind.value.replace('_', ' ')}"
                f" - {who} - "
                f"{item.created_at:%Y-%m-%d %H:%M} UTC\n    {item.summary}"
            )


# ---------------------------------------------------------------------- chat


@main.command()
@click.argument("phone")
@click.option(
    "--url", default="http://127.0.0.1:8000", show_default=True, help="The running server."
)
@click.option(
    "--to", "to", default=None, help="The pharmacy's Twilio number (default: the only one)."
)
def chat(phone: str, url: str, to: str | None) -> None:
    """Text the running bot as the patient with this phone number (Ctrl-D to stop)."""
    from bot.cli.chat import Chat

    settings = get_settings()
    token = settings.twilio_auth_token or demo.read_token(Path(settings.demo_token_file))
    if not token:
        raise Fail("No auth token: set TWILIO_AUTH_TOKEN, or start the server with --demo here.")
    if to is None:
        with transaction(sessions_for(settings)) as session:
            to = pharmacy_named(session, None).twilio_number
    conversation = Chat(
        base_url=url,
        public_url=settings.public_url or url,
        token=token,
        from_=normalize_phone(phone),
        to=to,
    )
    click.echo(f"Texting {to} as {normalize_phone(phone)}. Type a message; Ctrl-D ends.")
    for line in sys.stdin:
        with talking_to(url):
            replies = conversation.send(line.rstrip("\n"))
        for reply in replies or ["(no reply)"]:
            click.echo(f"bot> {reply}")


from bot.cli.accounts import token_group, user_group  # noqa: E402

main.add_command(user_group)
main.add_command(token_group)

from bot.cli.outreach import campaign, scheduler, worker  # noqa: E402

main.add_command(worker)
main.add_command(scheduler)
main.add_command(campaign)

from bot.cli.reports import report  # noqa: E402

main.add_command(report)

from bot.cli.voice import call, phone  # noqa: E402

main.add_command(call)
main.add_command(phone)

from bot.cli.languages import catalogs, pharmacy_languages  # noqa: E402

main.add_command(catalogs)
pharmacy.add_command(pharmacy_languages)

from bot.cli.assessments import assessments, pharmacy_questions  # noqa: E402

pharmacy.add_command(pharmacy_questions)
main.add_command(assessments)

from bot.cli.priority import adherence, candidates_command  # noqa: E402

main.add_command(adherence)
campaign.add_command(candidates_command)

from bot.cli.caregivers import caregiver  # noqa: E402

main.add_command(caregiver)

from bot.cli.preferences import preferences_command  # noqa: E402

main.add_command(preferences_command)

from bot.cli.households import household  # noqa: E402

main.add_command(household)
