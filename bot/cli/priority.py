"""`medsync adherence PATIENT` and `medsync campaign candidates`: adherence and who to invite
first (bot/adherence.py, bot/priority.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import click

from bot.cli.common import Fail, pharmacy_named, sessions_for
from bot.clock import SystemClock, local_date
from bot.settings import get_settings

DATE = click.DateTime(["%Y-%m-%d"])


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


def _shown(percent: Decimal | None) -> str:
    if percent is None:
        return "not measurable"
    verdict = "adherent" if percent >= 80 else "below 80%"
    return f"{percent}% ({verdict})"


@click.command("adherence")
@click.argument("patient_id")
@click.option("--from", "start", type=DATE, default=None, help="First day (default: a year ago).")
@click.option("--to", "end", type=DATE, default=None, help="Last day (default: today).")
@click.option("--pharmacy", "which", default=None)
def adherence(
    patient_id: str, start: dt.datetime | None, end: dt.datetime | None, which: str | None
) -> None:
    """A patient's adherence (PQA Proportion of Days Covered) per therapy class, from the
    imported fills; for an enrolled patient, before and since enrollment."""
    from bot.program import therapy_classes
    from bot.program.adherence import enrollment_dates, patient_adherence
    from store import queries
    from store.db import transaction

    with transaction(sessions_for(get_settings())) as session:
        pharmacy = pharmacy_named(session, which)
        patient = queries.patient_by_external_id(session, pharmacy.id, patient_id)
        if patient is None:
            raise Fail(f"No patient {patient_id} at {pharmacy.name}.")
        last = _day(end) or local_date(SystemClock(), pharmacy.timezone)
        first = _day(start) or last - dt.timedelta(days=364)
        if last < first:
            raise Fail(f"--to ({last}) is before --from ({first}).")
        rows = patient_adherence(session, patient, first, last)
        enrolled_on = enrollment_dates(session, pharmacy.id, [patient.id]).get(patient.id)
        name = f"{patient.first_name} {patient.last_name} ({patient.external_id})"
    click.echo(f"Adherence for {name}, {first:%b %d, %Y} to {last:%b %d, %Y} (PDC, PQA):")
    if not rows:
        click.echo(
            "  No fills of a tracked therapy class in this period "
            "(import the pharmacy's fills file: docs/IMPORT.md)."
        )
        return
    split = enrolled_on is not None and enrolled_on <= last
    if split:
        click.echo(f"  Enrolled in med sync on {enrolled_on:%b %d, %Y}.")
    for row in rows:
        label = therapy_classes.label(row.therapy_class)
        if split:
            click.echo(
                f"  {label}: before enrollment {_shown(row.before)}; "
                f"since enrollment {_shown(row.after)}"
            )
        else:
            click.echo(f"  {label}: {_shown(row.before)}")
    if any(
        value is None
        for row in rows
        for value in ((row.before, row.after) if split else (row.before,))
    ):
        click.echo(
            "  (Not measurable: fewer than two fills, or the first less than 91 days before the "
            "period's end.)"
        )


@click.command("candidates")
@click.option("--top", type=click.IntRange(min=1), default=None, help="Only the first N.")
@click.option("--as-of", "as_of", type=DATE, default=None, help="Score as of this day.")
@click.option("--pharmacy", "which", default=None)
def candidates_command(top: int | None, as_of: dt.datetime | None, which: str | None) -> None:
    """Patients to invite, highest priority first, each with the reasons for its score
    (weights: docs/OUTREACH_PRIORITY.md)."""
    from bot.outreach.priority import candidates
    from store.db import transaction

    with transaction(sessions_for(get_settings())) as session:
        pharmacy = pharmacy_named(session, which)
        today = _day(as_of) or local_date(SystemClock(), pharmacy.timezone)
        found = candidates(session, pharmacy, today, top)
    if not found:
        click.echo("No patients to invite: everyone eligible is enrolled, invited or opted out.")
        return
    noun = "candidate" if len(found) == 1 else "candidates"
    click.echo(f"{len(found)} {noun} for an invitation, as of {today:%b %d, %Y}:")
    width = len(str(len(found)))
    for n, candidate in enumerate(found, 1):
        click.echo(
            f"{n:>{width}}. {candidate.external_id} {candidate.name}: score {candidate.score}: "
            f"{candidate.explanation}"
        )
