"""`medsync pharmacy questions`: a pharmacy's own check-in questions, from a TOML file; and
`medsync assessments`: standalone assessments (a vaccine offer, a survey) in the same format,
loaded, turned on or off, sent to chosen patients and reported."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path

import click

from dialogs.assessment import Assessment
from dialogs.assessment_file import DEFAULT_FILE, AssessmentFileError, load, load_standalone


@click.command("questions")
@click.option("--pharmacy", "which", default=None)
@click.option(
    "--load",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Check this TOML file and use it for the pharmacy's check-ins.",
)
@click.option("--show", is_flag=True, help="Print the definition in use.")
@click.option("--reset", is_flag=True, help="Back to the default check-in.")
def pharmacy_questions(which: str | None, path: Path | None, show: bool, reset: bool) -> None:
    """The check-in questions a pharmacy asks; start from `--show` and edit a copy."""
    from bot.cli.common import Fail, pharmacy_named, sessions_for
    from bot.settings import get_settings
    from store.audit import record
    from store.db import transaction

    if path is not None and reset:
        raise Fail("Give --load FILE or --reset, not both.")
    new_text: str | None = None
    if path is not None:
        try:
            new_text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise Fail(f"{path} is not a UTF-8 text file.") from None
        try:
            definition = load(new_text)
        except AssessmentFileError as error:
            raise Fail(f"{path}: {error}. Nothing was changed.") from None
    with transaction(sessions_for(get_settings())) as session:
        pharmacy = pharmacy_named(session, which)
        before = pharmacy.check_in_definition
        if path is not None or reset:
            if path is not None:
                old = _loaded(before) if before is not None else load(DEFAULT_FILE.read_text())
                if old is not None and old.key == definition.key and old != definition:
                    raise Fail(
                        f"{path}: the questions changed but the version did not "
                        f"({definition.key}); raise the version so old answers keep their "
                        "meaning. Nothing was changed."
                    )
            if new_text != before:
                pharmacy.check_in_definition = new_text
                record(
                    session,
                    actor=f"cli:{getpass.getuser()}",
                    action="pharmacy.questions",
                    subject=f"pharmacy:{pharmacy.id}",
                    now=dt.datetime.now(dt.UTC),
                    before={"check_in_definition": before},
                    after={"check_in_definition": new_text},
                )
        text = pharmacy.check_in_definition
        if show:
            click.echo(text if text is not None else DEFAULT_FILE.read_text(encoding="utf-8"))
            return
        in_use = _loaded(text) if text is not None else load(DEFAULT_FILE.read_text("utf-8"))
        if in_use is None:
            click.echo(
                f"{pharmacy.name}'s stored questions no longer load ({_problem(text)}); "
                "patients get the default check-in until a fixed file is loaded."
            )
            return
        origin = "its own questions" if text is not None else "the default check-in"
        click.echo(f"{pharmacy.name} asks {origin} ({in_use.key}):")
        for q in in_use.questions:
            condition = f"  (only if {q.ask_if[0]} = {q.ask_if[1]})" if q.ask_if else ""
            flag = f"  -> review: {q.flag_reason}" if q.flag != "never" else ""
            click.echo(f"  {q.id} [{q.kind}]{condition}{flag}")


def _loaded(text: str | None) -> Assessment | None:
    try:
        return load(text) if text is not None else None
    except AssessmentFileError:
        return None


def _problem(text: str | None) -> str:
    try:
        load(text or "")
    except AssessmentFileError as error:
        return str(error)
    return ""


# ---------------------------------------------------------------------- standalone assessments


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _read(path: Path) -> str:
    from bot.cli.common import Fail

    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise Fail(f"{path} is not a UTF-8 text file.") from None


@click.group("assessments")
def assessments() -> None:
    """A pharmacy's own questions sent on their own: a vaccine offer, a side-effect survey.

    Same file format as the check-in (see `medsync pharmacy questions --show`)."""


@assessments.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", default=None, help="The file's id, as a check that it is the right file.")
@click.option("--pharmacy", "which", default=None)
def assessments_load(path: Path, name: str | None, which: str | None) -> None:
    """Check FILE and keep it as the newest version of its assessment."""
    from bot.cli.common import Fail, pharmacy_named, sessions_for
    from bot.settings import get_settings
    from store import assessment_responses as store
    from store.assessment_responses import AssessmentDefinition
    from store.audit import record
    from store.db import transaction

    text = _read(path)
    try:
        definition = load_standalone(text)
    except AssessmentFileError as error:
        raise Fail(f"{path}: {error}. Nothing was changed.") from None
    if name is not None and name != definition.id:
        raise Fail(
            f"{path} defines the assessment {definition.id!r}, not {name!r}: change its id or "
            "the --name. Nothing was changed."
        )
    if definition.id == "check_in":
        raise Fail(
            f"{path}: the check-in's questions are loaded with `medsync pharmacy questions "
            "--load`. Nothing was changed."
        )
    now = dt.datetime.now(dt.UTC)
    with transaction(sessions_for(get_settings())) as session:
        pharmacy = pharmacy_named(session, which)
        versions = store.definitions_named(session, pharmacy.id, definition.id)
        newest = versions[-1] if versions else None
        same = next((v for v in versions if v.version == definition.version), None)
        if same is not None and same.text == text:
            click.echo(f"{definition.key} is loaded already; nothing changed.")
            return
        if same is not None:
            raise Fail(
                f"{path}: the questions changed but the version did not ({definition.key}); "
                "raise the version so old answers keep their meaning. Nothing was changed."
            )
        if newest is not None and newest.version > definition.version:
            raise Fail(
                f"{path}: version {definition.version} is older than the loaded "
                f"{newest.key}; raise it above {newest.version}. Nothing was changed."
            )
        enabled = newest.enabled if newest is not None else True
        row = AssessmentDefinition(
            pharmacy_id=pharmacy.id,
            name=definition.id,
            version=definition.version,
            text=text,
            enabled=enabled,
            loaded_at=now,
        )
        session.add(row)
        session.flush()
        record(
            session,
            _actor(),
            "assessment.load",
            f"assessment_definition:{row.id}",
            now,
            before={"newest": newest.key if newest else None},
            after={"definition": definition.key, "text": text},
        )
        state = "on" if enabled else "off"
        click.echo(f"Loaded {definition.key} for {pharmacy.name} ({state}):")
        for q in definition.questions:
            condition = f"  (only if {q.ask_if[0]} = {q.ask_if[1]})" if q.ask_if else ""
            flag = f"  -> review: {q.flag_reason}" if q.flag != "never" else ""
            click.echo(f"  {q.id} [{q.kind}]{condition}{flag}")


def _switch(name: str, which: str | None, enabled: bool) -> None:
    from bot.cli.common import Fail, pharmacy_named, sessions_for
    from bot.settings import get_settings
    from store import assessment_responses as store
    from store.audit import record
    from store.db import transaction

    with transaction(sessions_for(get_settings())) as session:
        pharmacy = pharmacy_named(session, which)
        versions = store.definitions_named(session, pharmacy.id, name)
        if not versions:
            raise Fail(f"No assessment named {name!r}. See `medsync assessments list`.")
        word = "on" if enabled else "off"
        if all(v.enabled == enabled for v in versions):
            click.echo(f"{name} is {word} already.")
            return
        for v in versions:
            v.enabled = enabled
        record(
            session,
            _actor(),
            f"assessment.{word}",
            f"assessment:{pharmacy.id}:{name}",
            dt.datetime.now(dt.UTC),
            before={"enabled": not enabled},
            after={"enabled": enabled},
        )
        click.echo(f"{name} is {word}.")


@assessments.command("on")
@click.argument("name")
@click.option("--pharmacy", "which", default=None)
def assessments_on(name: str, which: str | None) -> None:
    """Allow NAME to be sent."""
    _switch(name, which, True)


@assessments.command("off")
@click.argument("name")
@click.option("--pharmacy", "which", default=None)
def assessments_off(name: str, which: str | None) -> None:
    """Stop NAME from being sent (patients answering it now may finish)."""
    _switch(name, which, False)


@assessments.command("list")
@click.option("--pharmacy", "which", default=None)
def assessments_list(which: str | None) -> None:
    """Every assessment, its newest version, on or off, and how many patients answered."""
    from sqlalchemy import func, select

    from bot.cli.common import pharmacy_named, sessions_for
    from bot.settings import get_settings
    from store import assessment_responses as store
    from store.assessment_responses import AssessmentResponse
    from store.db import transaction

    with transaction(sessions_for(get_settings())) as session:
        pharmacy = pharmacy_named(session, which)
        rows = store.all_newest(session, pharmacy.id)
        if not rows:
            click.echo(
                f"{pharmacy.name} has no assessments; load one with `medsync assessments load`."
            )
            return
        for row in rows:
            count = session.scalar(
                select(func.count(AssessmentResponse.id))
                .where(AssessmentResponse.pharmacy_id == pharmacy.id)
                .where(AssessmentResponse.name == row.name)
            )
            state = "on" if row.enabled else "off"
            click.echo(f"{row.key} ({state}): sent to {count} patient(s)")


@assessments.command("send")
@click.argument("name")
@click.option("--patients", default=None, help="Patient ids from the export: P1001,P1002")
@click.option("--enrolled", is_flag=True, help="Every patient in med sync (approved plans).")
@click.option("--pharmacy", "which", default=None)
def assessments_send(name: str, patients: str | None, enrolled: bool, which: str | None) -> None:
    """Text NAME's first question to patients, within sending hours and caps.

    A patient whose phone is in another conversation (an invitation, a check-in) gets it
    when that is done; a landline patient answers it when they call the pharmacy."""
    from sqlalchemy import select

    from bot.cli.common import Fail, pharmacy_named, sessions_for
    from bot.clock import SystemClock, local_date
    from bot.conversation.runtime import runtime_for
    from bot.outreach.sender import sender_for
    from bot.program import assessments as flows
    from bot.settings import get_settings
    from bot.web.outreach import outreach_jobs
    from store import assessment_responses as store
    from store import queries
    from store.audit import record
    from store.db import transaction
    from store.models import Enrollment, EnrollmentStatus, Patient

    if (patients is None) == (not enrolled):
        raise Fail("Say who gets it: --patients P1001,P1002 or --enrolled.")
    settings = get_settings()
    sessions = sessions_for(settings)
    clock = SystemClock()
    with transaction(sessions) as session:
        pharmacy = pharmacy_named(session, which)
        newest = store.newest(session, pharmacy.id, name)
        if newest is None:
            raise Fail(f"No assessment named {name!r}. See `medsync assessments list`.")
        if not newest.enabled:
            raise Fail(f"{name} is off; turn it on with `medsync assessments on {name}`.")
        key, uses_date = newest.key, "%(date)s" in newest.text
        sending = flows.sending_for(key, local_date(clock, pharmacy.timezone))
        if enrolled:
            chosen = list(
                session.scalars(
                    select(Patient)
                    .join(Enrollment, Enrollment.patient_id == Patient.id)
                    .where(Patient.pharmacy_id == pharmacy.id)
                    .where(Enrollment.status == EnrollmentStatus.ACTIVE)
                    .order_by(Patient.external_id)
                )
            )
        else:
            ids = [i.strip() for i in (patients or "").split(",") if i.strip()]
            chosen = []
            for external_id in ids:
                found = queries.patient_by_external_id(session, pharmacy.id, external_id)
                if found is None:
                    raise Fail(f"No patient {external_id} at {pharmacy.name}. Nothing was sent.")
                chosen.append(found)
        enrollments = queries.enrollments_of(session, [p.id for p in chosen])
        plan = []
        for p in chosen:
            enrollment = enrollments.get(p.id)
            if p.opted_out:
                plan.append((p.external_id, p.id, "opted out: not sent"))
            elif uses_date and (enrollment is None or enrollment.next_anchor_date is None):
                plan.append((p.external_id, p.id, "no pickup date for its %(date)s: not sent"))
            else:
                landline = p.phone_type == "landline" or p.sms_capable is False
                plan.append((p.external_id, p.id, "landline" if landline else ""))
        record(
            session,
            _actor(),
            "assessment.send",
            f"assessment:{pharmacy.id}:{name}",
            clock.now(),
            after={"definition": key, "sending": sending, "patients": [e for e, _, _ in plan]},
        )
        pharmacy_id = pharmacy.id
    runtime = runtime_for(settings, sessions, clock)
    jobs = outreach_jobs(settings, sessions, sender_for(settings), clock)
    said: list[str] = getattr(jobs, "results", [])
    for external_id, patient_id, note in plan:
        if note not in ("", "landline"):
            click.echo(f"{external_id}: {note}")
            continue
        outbound = runtime.start_assessment(pharmacy_id, patient_id, key, sending)
        with transaction(sessions) as session:
            response = store.response_for(session, patient_id, sending)
            status = response.status.value if response else None
        if outbound is not None:
            jobs.send(outbound.message_id)  # a landline's text is suppressed there, with why
        if note == "landline":
            click.echo(f"{external_id}: landline: asked when they call the pharmacy")
        elif outbound is not None:
            click.echo(f"{external_id}: {said[-1] if said else 'queued'}")
        elif status == "waiting":
            click.echo(f"{external_id}: waits until the conversation in progress is done")
        else:
            click.echo(f"{external_id}: sent already today ({status})")
