"""Who a campaign may invite: one patient judged from their rows (`verdict`, at the end),
and the same rules judged in SQL, for a whole pharmacy or a list of patients in a few
statements, without loading a patient, a prescription or a plan.

`verdict` decides from one patient's rows: opted out, already in the program, declined until
a later day, prescription data that cannot be planned (a `PlanError`), fewer than two
medicines that can be synced (`dialogs.plan.reconcile`), then a landline or not. Here the
prescription side is one aggregate a patient: how many active prescriptions `reconcile`
marks SYNCED, whether one is a unit-of-use package (FLAG_UNIT_OF_USE; only one counts), and
whether any active prescription's data may not make a `Medication` ("doubtful"). A doubtful
patient is judged by `verdict` itself (rare: the import checks the same things), so the
sentence given for bad data is the one the plan would give.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, get_args

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from bot.outreach import cycle_events
from bot.program.plans import medication, program_settings
from dialogs.plan.model import Package, PayerKind, PlanError, ProgramSettings, Schedule
from dialogs.plan.reconcile import check_eligibility, reconcile_all
from store.models import Enrollment, EnrollmentStatus, Patient, Prescription
from store.outreach import Campaign, CampaignRecipient, RecipientStatus

IN_PROGRAM = (EnrollmentStatus.CONSENTED, EnrollmentStatus.PENDING_REVIEW, EnrollmentStatus.ACTIVE)
OPTED_OUT = "opted out of texts"
IN_SYNC = "already in med sync"
LANDLINE = "no SMS-capable number: waits for a call"


def declined(until: dt.date) -> str:
    return f"declined med sync (no invitations until {until})"


def eligibility_reason(syncable: int) -> str:
    """`check_eligibility`'s sentence for this many medicines that can be synced."""
    if syncable >= 2:
        return f"{syncable} maintenance medicines can be synced."
    count = "No medicine" if syncable == 0 else "Only one medicine"
    return f"{count} can be synced; the program needs two or more maintenance medicines."


@dataclass(frozen=True)
class Judged:
    """One patient's facts for the verdict, from one row of `facts_query`."""

    patient_id: int
    external_id: str
    opted_out: bool
    textable: bool
    enrollment: EnrollmentStatus | None
    declined_until: dt.date | None
    synced: int  # active prescriptions reconcile() marks SYNCED
    packages: int  # 1 if any active prescription is a unit-of-use package the program takes
    doubtful: bool  # some active prescription may not make a Medication: ask verdict()
    invited: bool  # invited by an earlier campaign of the pharmacy (when asked for)


def _active() -> ColumnElement[bool]:
    return or_(Prescription.status.is_(None), Prescription.status == "active")


def _takes(program: ProgramSettings) -> ColumnElement[bool]:
    """reconcile()'s exclusions, in its order: Schedule II, the state's law, PRN, acute,
    controlled III-V unless the pharmacy syncs them. What passes is SYNCED (a daily quantity,
    no package), FLAG_UNIT_OF_USE (a package) or NEEDS_REVIEW (no daily quantity)."""
    schedule = Prescription.dea_schedule
    if program.sync_controlled_c3_c5:
        barred = sorted({"CII"} | set(program.state_exclusions()))
        schedule_ok: ColumnElement[bool] = or_(schedule.is_(None), schedule.not_in(barred))
    else:
        schedule_ok = schedule.is_(None)
    return and_(
        schedule_ok,
        or_(Prescription.prn.is_(None), Prescription.prn == false()),
        Prescription.maintenance == true(),
    )


def _doubtful() -> ColumnElement[bool]:
    """Every way `Medication.__post_init__` refuses a prescription (and a few it would trip
    on): such a patient is judged by verdict() itself. Wider than needed is safe."""
    rx = Prescription
    return or_(
        rx.days_supply.is_(None),
        rx.days_supply <= 0,
        and_(rx.daily_quantity.is_not(None), rx.daily_quantity <= 0),
        rx.quantity.is_(None),
        rx.quantity < 0,
        rx.refills_remaining.is_(None),
        rx.refills_remaining < 0,
        and_(rx.dea_schedule.is_not(None), rx.dea_schedule.not_in(get_args(Schedule))),
        and_(rx.package.is_not(None), rx.package.not_in(get_args(Package))),
        rx.copay.is_(None),
        rx.copay < 0,
        and_(rx.payer.is_not(None), rx.payer.not_in(get_args(PayerKind))),
        and_(rx.max_days_supply.is_not(None), rx.max_days_supply < 1),
        rx.last_fill_date.is_(None),
        rx.written_date.is_(None),
        rx.prn.is_(None),
        rx.maintenance.is_(None),
    )


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def facts_query(
    pharmacy_id: int,
    program: ProgramSettings,
    patients: ColumnElement[bool] | None = None,
    invited: bool = False,
) -> Select[*tuple[Any, ...]]:
    """Per patient of the pharmacy (or those of them `patients`, a condition on Patient,
    picks), the columns of `Judged` by name; usable as a subquery. The condition goes into
    the prescriptions' aggregate too, so a chunk's facts do not add up the whole pharmacy.
    `invited` (whether an earlier campaign invited the patient) is read only when asked
    for: only "all eligible not yet invited" needs it, and it reads every invitation."""
    chosen = [Patient.pharmacy_id == pharmacy_id]
    if patients is not None:
        chosen.append(patients)
    takes = and_(_active(), _takes(program))
    synced = and_(takes, Prescription.package.is_(None), Prescription.daily_quantity.is_not(None))
    rx = (
        select(
            Prescription.patient_id.label("patient_id"),
            func.sum(_flag(synced)).label("synced"),
            func.max(_flag(and_(takes, Prescription.package.is_not(None)))).label("packages"),
            func.max(_flag(and_(_active(), _doubtful()))).label("doubtful"),
        )
        .join(Patient, Patient.id == Prescription.patient_id)
        .where(*chosen)
        .group_by(Prescription.patient_id)
        .subquery("rx")
    )
    earlier = (
        select(CampaignRecipient.patient_id)
        .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
        .where(
            Campaign.pharmacy_id == pharmacy_id,
            CampaignRecipient.status == RecipientStatus.INVITED,
        )
    )
    return (
        select(
            Patient.id.label("patient_id"),
            Patient.external_id.label("external_id"),
            _flag(Patient.opted_out == true()).label("opted_out"),
            _flag(textable()).label("textable"),
            Enrollment.status.label("enrollment"),
            Enrollment.declined_until.label("declined_until"),
            func.coalesce(rx.c.synced, 0).label("synced"),
            func.coalesce(rx.c.packages, 0).label("packages"),
            func.coalesce(rx.c.doubtful, 0).label("doubtful"),
            (_flag(Patient.id.in_(earlier)) if invited else literal(0)).label("invited"),
        )
        .select_from(Patient)
        .outerjoin(Enrollment, Enrollment.patient_id == Patient.id)
        .outerjoin(rx, rx.c.patient_id == Patient.id)
        .where(*chosen)
    )


def textable() -> ColumnElement[bool]:
    """`cycle_events.textable` in SQL."""
    return and_(
        or_(Patient.sms_capable.is_(None), Patient.sms_capable == true()),
        or_(Patient.phone_type.is_(None), Patient.phone_type != "landline"),
    )


def judged(row: Sequence[Any]) -> Judged:
    return Judged(
        patient_id=row[0],
        external_id=row[1],
        opted_out=bool(row[2]),
        textable=bool(row[3]),
        enrollment=row[4],
        declined_until=row[5],
        synced=int(row[6]),
        packages=int(row[7]),
        doubtful=bool(row[8]),
        invited=bool(row[9]),
    )


def read_facts(
    session: Session, pharmacy_id: int, program: ProgramSettings, patient_ids: Sequence[int]
) -> dict[int, Judged]:
    """The facts of these patients (one statement)."""
    query = facts_query(pharmacy_id, program, Patient.id.in_(list(patient_ids)))
    return {j.patient_id: j for j in map(judged, session.execute(query))}


def decide(facts: Judged, today: dt.date) -> tuple[RecipientStatus, str] | None:
    """`verdict` from the facts: (status, reason); None when verdict() must judge (doubtful
    prescription data, whose sentence names the prescription)."""
    if facts.opted_out:
        return RecipientStatus.SKIPPED, OPTED_OUT
    if facts.enrollment in IN_PROGRAM:
        return RecipientStatus.SKIPPED, IN_SYNC
    if facts.declined_until is not None and facts.declined_until > today:
        return RecipientStatus.SKIPPED, declined(facts.declined_until)
    if facts.doubtful:
        return None
    syncable = facts.synced + min(facts.packages, 1)
    if syncable < 2:
        return RecipientStatus.SKIPPED, eligibility_reason(syncable)
    if not facts.textable:
        return RecipientStatus.LANDLINE, LANDLINE
    return RecipientStatus.PENDING, eligibility_reason(syncable)


def eligible_where(facts: Any, today: dt.date) -> list[ColumnElement[bool]]:
    """`decide` giving PENDING or LANDLINE, as conditions on `facts_query` as a subquery, for
    the patients who are not doubtful (those are judged one by one)."""
    return [
        facts.c.opted_out == 0,
        or_(facts.c.enrollment.is_(None), facts.c.enrollment.not_in(IN_PROGRAM)),
        or_(facts.c.declined_until.is_(None), facts.c.declined_until <= today),
        facts.c.doubtful == 0,
        facts.c.synced + case((facts.c.packages > 0, 1), else_=0) >= 2,
    ]


@dataclass(frozen=True)
class Verdict:
    status: RecipientStatus | None  # PENDING, LANDLINE or SKIPPED; None: leave out entirely
    reason: str


def verdict(
    patient: Patient,
    enrollment: Enrollment | None,
    today: dt.date,
    program: ProgramSettings | None = None,
) -> Verdict:
    """Whether a patient may be invited now, and why not."""
    if patient.opted_out:
        return Verdict(RecipientStatus.SKIPPED, "opted out of texts")
    if enrollment is not None and enrollment.status in IN_PROGRAM:
        return Verdict(RecipientStatus.SKIPPED, "already in med sync")
    if (
        enrollment is not None
        and enrollment.declined_until is not None
        and enrollment.declined_until > today
    ):
        return Verdict(
            RecipientStatus.SKIPPED,
            f"declined med sync (no invitations until {enrollment.declined_until})",
        )
    try:
        meds = [medication(rx) for rx in patient.prescriptions if rx.active]
    except PlanError as error:
        return Verdict(RecipientStatus.SKIPPED, f"prescription data needs review: {error}")
    program = program or program_settings(patient)  # a campaign works it out once
    eligibility = check_eligibility(reconcile_all(meds, program))
    if not eligibility.eligible:
        return Verdict(RecipientStatus.SKIPPED, eligibility.reason)
    if not cycle_events.textable(patient):
        return Verdict(RecipientStatus.LANDLINE, "no SMS-capable number: waits for a call")
    return Verdict(RecipientStatus.PENDING, eligibility.reason)


def enrollments_at(session: Session, pharmacy_id: int) -> dict[int, Enrollment]:
    """Every enrollment of the pharmacy's patients, by patient id (one statement)."""
    return {
        e.patient_id: e
        for e in session.scalars(
            select(Enrollment)
            .join(Patient, Patient.id == Enrollment.patient_id)
            .where(Patient.pharmacy_id == pharmacy_id)
        )
    }
