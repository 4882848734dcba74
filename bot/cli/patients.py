"""`medsync import`, `checkin open`, `plan` and `queue`: the pharmacy's patients at the terminal."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from bot.cli.common import Fail, pharmacy_named, send_now, sessions_for
from bot.clock import SystemClock
from bot.conversation.runtime import NotEnrolled, PatientNotFound, runtime_for
from bot.imports.import_report import ImportFileError
from bot.imports.pharmacy_export import import_export
from bot.settings import get_settings
from store import queries
from store.db import transaction
from store.models import Pharmacy


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--pharmacy", "which", default=None, help="Name or Twilio number of the pharmacy.")
@click.option(
    "--fills", "fills", is_flag=True, help="FILE is a fills file (found by its header anyway)."
)
@click.option(
    "--full",
    is_flag=True,
    help="The export is the whole active list: prescriptions absent from it become inactive.",
)
def import_(file: Path, which: str | None, fills: bool, full: bool) -> None:
    """Import patients and prescriptions from the pharmacy's export (CSV), a fills file (CSV)
    or a FHIR Bundle of MedicationDispense resources (JSON)."""
    from bot.imports.fhir_dispense import looks_like_json
    from bot.imports.fills import import_fills, is_fills_header

    settings = get_settings()
    now = SystemClock().now()
    text, encoding = _export_text(file)
    try:
        with transaction(sessions_for(settings)) as session, io.StringIO(text, newline="") as f:
            first = f.readline()
            f.seek(0)
            pharmacy = pharmacy_named(session, which)
            if looks_like_json(first):
                if full:
                    raise Fail(
                        "--full is for the patients' export, not a FHIR bundle of dispensing "
                        "events."
                    )
                report: Any = _import_bundle(session, pharmacy, f.read(), now)
            elif fills or is_fills_header(first):
                if full:
                    raise Fail("--full is for the patients' export, not a fills file.")
                report = import_fills(session, pharmacy, f, now)
            else:
                report = import_export(session, pharmacy, f, now, full=full)
    except ImportFileError as error:
        raise Fail(str(error)) from None
    if encoding != "utf-8":
        click.echo(f"{file} is not UTF-8: it was read as {encoding} (Excel's plain CSV).")
    click.echo(report.summary())


def _export_text(file: Path) -> tuple[str, str]:
    """The file's text and how it was read: UTF-8 (with or without Excel's byte-order mark),
    else Windows-1252, which Excel's plain "CSV" writes on a US Windows machine. Anything
    that is neither (a spreadsheet saved as .xlsx, say) is refused with one sentence."""
    data = file.read_bytes()
    if data.startswith(b"PK\x03\x04") or b"\x00" in data:
        raise Fail(f"{file} is not a text file (a workbook?); save it as CSV UTF-8, then import.")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise Fail(f"{file} is not a UTF-8 text file; export it as CSV in UTF-8.") from None


def _import_bundle(session: Session, pharmacy: Pharmacy, text: str, now: dt.datetime) -> Any:
    from bot.imports.dispensing import record_events
    from bot.imports.fhir_dispense import events_from_bundle

    events, rejected = events_from_bundle(text)
    return record_events(session, pharmacy, events, now, "fhir", rejected=rejected)


# ---------------------------------------------------------------------- check-ins


@click.group()
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
        outbound = runtime_for(settings, sessions).open_check_in(
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
    jobs = send_now(settings, sessions)
    jobs.send(outbound.message_id)
    click.echo(f"Check-in opened for {patient_id}: {jobs.results[-1]}.")
    for other in outbound.others:  # the same question to each caregiver's phone
        jobs.send(other)
        click.echo(f"Also to a caregiver: {jobs.results[-1]}.")


# ---------------------------------------------------------------------- sync plan


@click.command()
@click.argument("patient_id")
@click.option(
    "--anchor", type=click.IntRange(1, 28), default=None, help="Plan on this day instead."
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--pharmacy", "which", default=None)
@click.option(
    "--date",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Plan as of this day (default: today at the pharmacy).",
)
def plan(
    patient_id: str, anchor: int | None, as_json: bool, which: str | None, as_of: dt.datetime | None
) -> None:
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
        today = as_of.date() if as_of else local_date(SystemClock(), pharmacy.timezone)
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


@click.command()
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
