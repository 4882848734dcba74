"""The prep-day worklist: what to fill on a preparation day, for each pickup prepared then.

A pickup's preparation day is `preparation_days` before the day the patient really comes
(the anchor, or the open day before it when the pharmacy is closed), moved to the previous
open day when the pharmacy is closed then (dialogs/plan/timeline.py). For each active
enrollment whose pickup is prepared on the day asked, the patient's plan for that pickup
(one anchor day worked out, not the 28 a recommendation compares) gives each prescription to
fill: a full fill on the anchor, a short fill, or a unit-of-use package, with its days and
units. Beside it: the check-in's state, renewals still pending, delivery or pickup, and
whether staff ticked it off (bot/program/worklist_ticks.py; store/worklist.py, append-only,
audited). The preparation day and the plan's trips are worked out in bot/program/prep_day.py;
the list as CSV and as text is bot/program/worklist_export.py.

The first cycle needs more trips than the synced pickup: the plan's visits before it (the sync
visit, short fills on their own due dates, an anchor pickup before every medicine has joined).
So does a cycle after the pickup day changed or the patient enrolled again. An enrollment
that has not reached the synced pickup of its current plan (no pickup cycle on or after the
day the plan was made, enrollment.planned_on) is planned as of that day, the plan the patient
was told, and each of those trips prepared on the day asked is listed too, marked as a sync
visit, its anchor date being the visit's own day (so ticks of a visit and of the synced pickup
stay apart). A sync visit has no check-in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.program import services
from bot.program.plans import pharmacy_program
from bot.program.prep_day import pickup_fills, prepare_day, sync_visits
from bot.program.worklist_ticks import Tick, ticked
from dialogs.plan.open_days import LONGEST_CLOSURE_DAYS, pickup_day
from dialogs.plan.trips import TripFill
from dialogs.services import NAMES
from store.models import (
    CheckIn,
    CheckInStatus,
    Enrollment,
    EnrollmentStatus,
    Patient,
    Pharmacy,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)
from store.preferences import preferences_of

# What the check-in says about the fill, in the pharmacy's words.
CHECK_IN_STATES = {
    CheckInStatus.READY: "clear",
    CheckInStatus.APPROVED: "clear",
    CheckInStatus.FLAGGED: "held",
    CheckInStatus.NO_ANSWER: "no answer",
    CheckInStatus.OPEN: "waiting for answers",
}
KIND_NAMES = {"anchor_fill": "full fill", "short_fill": "short fill", "package": "package"}
SYNC_VISIT = "sync visit"
SYNCED_PICKUP = "synced pickup"
NO_CHECK_IN = "none (sync visit)"


@dataclass(frozen=True)
class FillRow:
    rx_number: str
    drug_name: str
    kind: str  # full fill, short fill, package
    days: int
    units: int | None
    needs_override: bool
    renewal_pending: bool
    tick: Tick | None


@dataclass(frozen=True)
class PatientPickup:
    patient_id: int
    external_id: str
    name: str
    anchor_date: dt.date  # by the calendar: what the cycle counts from
    pickup_date: dt.date  # the day the patient comes
    check_in: str  # clear, held, no answer, waiting for answers, not sent
    delivery: bool
    fills: tuple[FillRow, ...]
    problem: str | None = None  # no plan could be made: why, for the pharmacist
    services: tuple[str, ...] = ()  # services at pickup the patient accepted ("a flu shot")
    # A trip of the first cycle before the first synced pickup (that pickup's day when so).
    synced_pickup: dt.date | None = None

    @property
    def sync_visit(self) -> bool:
        return self.synced_pickup is not None

    @property
    def trip(self) -> str:
        return SYNC_VISIT if self.sync_visit else SYNCED_PICKUP

    @property
    def moved_because(self) -> str | None:
        return None if self.anchor_date == self.pickup_date else "closed on the anchor"


@dataclass(frozen=True)
class PickupDay:
    date: dt.date
    patients: tuple[PatientPickup, ...]


@dataclass(frozen=True)
class Worklist:
    pharmacy: str
    prepare_on: dt.date
    closed: str | None  # why the pharmacy is closed on prepare_on, if it is
    days: tuple[PickupDay, ...] = field(default=())

    @property
    def fills(self) -> int:
        return sum(len(p.fills) for d in self.days for p in d.patients)


def worklist(session: Session, pharmacy: Pharmacy, prepare_on: dt.date) -> Worklist:
    """Everything to fill on `prepare_on`, grouped by pickup day then patient."""
    settings = pharmacy_program(pharmacy)
    days = settings.open_days
    closed = days.closed_because(prepare_on)
    # Anchors whose pickup may be prepared on this day: the anchor is at least the
    # preparation days after it, and at most a run of closed days further.
    soonest = prepare_on + dt.timedelta(days=settings.preparation_days)
    latest = soonest + dt.timedelta(days=2 * LONGEST_CLOSURE_DAYS)
    # Dates first (two columns), the patients and their prescriptions only for those due.
    candidates = session.execute(
        select(Enrollment.patient_id, Enrollment.next_anchor_date)
        .join(Patient, Patient.id == Enrollment.patient_id)
        .where(
            Patient.pharmacy_id == pharmacy.id,
            Enrollment.status == EnrollmentStatus.ACTIVE,
            Enrollment.next_anchor_date >= prepare_on,
            Enrollment.next_anchor_date <= latest,
        )
    ).all()
    when: dict[int, tuple[dt.date, dt.date]] = {}
    for patient_id, anchor in candidates:
        if anchor is None:
            continue
        pickup = pickup_day(anchor, days, not_before=prepare_on).actual
        if prepare_day(pickup, settings) == prepare_on:
            when[patient_id] = (anchor, pickup)
    patients = (
        session.scalars(
            select(Patient)
            .where(Patient.id.in_(sorted(when)))
            .options(selectinload(Patient.prescriptions))
            .order_by(Patient.last_name, Patient.first_name, Patient.id)
        ).all()
        if when
        else []
    )
    due = [(p, *when[p.id]) for p in patients]
    visits = sync_visits(session, pharmacy, prepare_on, settings)
    ids = sorted({p.id for p, _, _ in due} | {v.patient.id for v in visits})
    check_ins = _check_ins(session, [(p.id, a) for p, a, _ in due])
    renewals = _renewals(session, ids)
    prefs = preferences_of(session, ids)
    ticks = ticked(session, pharmacy.id, [a for _, a, _ in due] + [v.trip.date for v in visits])
    accepted = services.accepted_for(session, ids, [a for _, a, _ in due])
    order = {
        p.id: (p.last_name, p.first_name, p.id)
        for p in [*(p for p, _, _ in due), *(v.patient for v in visits)]
    }
    by_day: dict[dt.date, list[PatientPickup]] = {}
    for visit in visits:  # the first cycle's trips before the synced pickup
        patient, day = visit.patient, visit.trip.date
        pref = prefs.get(patient.id)
        by_day.setdefault(day, []).append(
            PatientPickup(
                patient.id,
                patient.external_id,
                f"{patient.first_name} {patient.last_name}",
                day,
                day,
                NO_CHECK_IN,
                bool(pref and pref.delivery),
                _rows(visit.trip.fills, patient.id, day, renewals, ticks),
                synced_pickup=visit.synced_pickup,
            )
        )
    for patient, anchor, pickup in due:
        fills, problem = pickup_fills(patient, anchor, pickup, prepare_on, settings)
        rows_out = _rows(fills, patient.id, anchor, renewals, ticks)
        pref = prefs.get(patient.id)
        by_day.setdefault(pickup, []).append(
            PatientPickup(
                patient.id,
                patient.external_id,
                f"{patient.first_name} {patient.last_name}",
                anchor,
                pickup,
                check_ins.get((patient.id, anchor), "not sent"),
                bool(pref and pref.delivery),
                rows_out,
                problem,
                tuple(NAMES.get(k, k) for k in accepted.get((patient.id, anchor), [])),
            )
        )
    return Worklist(
        pharmacy.name,
        prepare_on,
        closed,
        tuple(
            PickupDay(d, tuple(sorted(by_day[d], key=lambda p: order[p.patient_id])))
            for d in sorted(by_day)
        ),
    )


def _rows(
    fills: Sequence[TripFill],
    patient_id: int,
    anchor: dt.date,
    renewals: set[tuple[int, str]],
    ticks: dict[tuple[int, str, dt.date], Tick],
) -> tuple[FillRow, ...]:
    return tuple(
        FillRow(
            f.rx_number,
            f.drug_name,
            KIND_NAMES[f.kind],
            f.days,
            f.units,
            f.needs_override,
            (patient_id, f.rx_number) in renewals,
            ticks.get((patient_id, f.rx_number, anchor)),
        )
        for f in fills
    )


def _check_ins(
    session: Session, keys: Sequence[tuple[int, dt.date]]
) -> dict[tuple[int, dt.date], str]:
    if not keys:
        return {}
    patient_ids = sorted({k[0] for k in keys})
    found = session.execute(
        select(CheckIn.patient_id, CheckIn.anchor_date, CheckIn.status).where(
            CheckIn.patient_id.in_(patient_ids),
            CheckIn.anchor_date.in_(sorted({k[1] for k in keys})),
        )
    ).all()
    return {(p, a): CHECK_IN_STATES.get(s, s.value) for p, a, s in found}


def _renewals(session: Session, patient_ids: Sequence[int]) -> set[tuple[int, str]]:
    if not patient_ids:
        return set()
    items = session.execute(
        select(ReviewItem.patient_id, ReviewItem.details).where(
            ReviewItem.patient_id.in_(patient_ids),
            ReviewItem.kind == ReviewKind.RENEWAL,
            ReviewItem.status == ReviewStatus.PENDING,
        )
    ).all()
    return {(p, str((d or {}).get("rx_number"))) for p, d in items if p is not None}


def on_list(listed: Worklist, external_id: str, rx_number: str = "") -> PatientPickup | None:
    """The patient's entry on the list, the one with `rx_number` when they have two (a sync
    visit and the synced pickup prepared on one day)."""
    found = [p for d in listed.days for p in d.patients if p.external_id == external_id]
    with_rx = [p for p in found if any(f.rx_number == rx_number for f in p.fills)]
    return next(iter(with_rx or found), None)
