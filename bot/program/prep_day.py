"""What is prepared on a preparation day, from the patient's plan (the prep-day worklist's
planning; the list itself is bot/program/worklist.py).

A pickup's preparation day is `preparation_days` before the day the patient really comes,
moved to the previous open day when the pharmacy is closed then (`prepare_day`). The fills
handed out on a pickup come from the plan with the anchor's day as the anchor day
(`pickup_fills`). Before the synced pickup of a plan not yet reached (the first cycle, or after
the pickup day changed or the patient enrolled again) the plan's earlier trips prepared on the
day are sync visits (`sync_visits`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, selectinload

from bot.program.plans import medication
from dialogs.plan.day_plan import day_plan
from dialogs.plan.model import PlanError, ProgramSettings
from dialogs.plan.open_days import pickup_day
from dialogs.plan.reconcile import reconcile_all
from dialogs.plan.trips import Trip, TripFill
from store.dispensing import PickupCycle
from store.models import Enrollment, EnrollmentStatus, Patient, Pharmacy

# How far after a preparation day a first synced pickup may be and still have sync visits
# prepared that day: the longest first cycle a plan makes (a 90-day supply joining late).
FIRST_CYCLE_DAYS = 120


def prepare_day(pickup: dt.date, settings: ProgramSettings) -> dt.date:
    """The day the fills for `pickup` (a real pickup day) are made ready."""
    return settings.open_days.open_on_or_before(
        pickup - dt.timedelta(days=settings.preparation_days)
    )


@dataclass(frozen=True)
class _Visit:
    patient: Patient
    trip: Trip
    synced_pickup: dt.date


def sync_visits(
    session: Session, pharmacy: Pharmacy, prepare_on: dt.date, settings: ProgramSettings
) -> list[_Visit]:
    """The trips before the synced pickup of a plan not yet reached that are prepared on
    `prepare_on`: the first cycle's, and those lining the medicines up again after the pickup
    day changed or the patient enrolled again.

    Only enrollments with no pickup cycle on or after the day their plan was made
    (enrollment.planned_on; before it was recorded, no pickup cycle at all) and their synced
    pickup after the trips prepared that day; each is planned as of that day (planned_on, or
    updated_at when it is not recorded; not after `prepare_on`), with the enrollment's anchor
    day: the plan whose trips the patient was told (dialogs/plan/day_plan.py), not a copy."""
    soonest = prepare_on + dt.timedelta(days=settings.preparation_days)
    # A cycle on or after the plan's day: that plan's synced pickup has been reached.
    reached = exists().where(
        PickupCycle.patient_id == Enrollment.patient_id,
        or_(Enrollment.planned_on.is_(None), PickupCycle.anchor_date >= Enrollment.planned_on),
    )
    found = session.scalars(
        select(Enrollment)
        .join(Patient, Patient.id == Enrollment.patient_id)
        .where(
            Patient.pharmacy_id == pharmacy.id,
            Enrollment.status == EnrollmentStatus.ACTIVE,
            Enrollment.next_anchor_date > soonest,
            Enrollment.next_anchor_date <= soonest + dt.timedelta(days=FIRST_CYCLE_DAYS),
            ~reached,
        )
    ).all()
    if not found:
        return []
    enrollments = {e.patient_id: e for e in found}
    patients = session.scalars(
        select(Patient)
        .where(Patient.id.in_(sorted(enrollments)))
        .options(selectinload(Patient.prescriptions))
        .order_by(Patient.id)
    ).all()
    zone = ZoneInfo(pharmacy.timezone)
    visits: list[_Visit] = []
    for patient in patients:
        enrollment = enrollments[patient.id]
        anchor = enrollment.next_anchor_date
        assert anchor is not None
        synced = pickup_day(anchor, settings.open_days, not_before=prepare_on).actual
        made = enrollment.planned_on or enrollment.updated_at.astimezone(zone).date()
        planned_on = min(prepare_on, made)
        day = enrollment.anchor_day or anchor.day
        try:
            meds = [medication(rx) for rx in patient.prescriptions if rx.active]
            plan = day_plan(day, reconcile_all(meds, settings), planned_on, settings, False)
        except PlanError:
            continue  # the synced pickup's own entry says why no plan could be made
        visits.extend(
            _Visit(patient, trip, synced)
            for trip in plan.trips
            if soonest <= trip.date < synced and prepare_day(trip.date, settings) == prepare_on
        )
    return visits


def pickup_fills(
    patient: Patient,
    anchor: dt.date,
    pickup: dt.date,
    prepare_on: dt.date,
    settings: ProgramSettings,
) -> tuple[Sequence[TripFill], str | None]:
    """The fills handed out on `pickup`, from the plan with `anchor`'s day as the anchor day.

    Planned as of the preparation day: what is due on the anchor is a full fill; a medicine
    still joining the cycle a short fill."""
    if anchor.day > 28:
        return (), f"The anchor {anchor:%b %d} is past the 28th: see `medsync plan`."
    try:
        meds = [medication(rx) for rx in patient.prescriptions if rx.active]
        plan = day_plan(anchor.day, reconcile_all(meds, settings), prepare_on, settings, False)
    except PlanError as error:
        return (), str(error)
    trip = next((t for t in plan.trips if t.date == pickup), None)
    if trip is None:
        return (), "Nothing is due on this pickup: every medicine has supply past it."
    return trip.fills, None
