"""The prep-day worklist: what to fill on a preparation day, for each pickup prepared then.

A pickup's preparation day is `preparation_days` before the day the patient really comes
(the anchor, or the open day before it when the pharmacy is closed), moved to the previous
open day when the pharmacy is closed then (dialogs/plan/timeline.py). For each active
enrollment whose pickup is prepared on the day asked, the patient's plan for that pickup
(one anchor day worked out, not the 28 a recommendation compares) gives each prescription to
fill: a full fill on the anchor, a short fill, or a unit-of-use package, with its days and
units. Beside it: the check-in's state, renewals still pending, delivery or pickup, and
whether staff ticked it off (store/worklist.py, append-only, audited).

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

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, selectinload

from bot.program import services
from bot.program.plans import medication, pharmacy_program
from bot.program.spreadsheet import safe_row
from dialogs.plan.day_plan import day_plan
from dialogs.plan.model import PlanError, ProgramSettings
from dialogs.plan.open_days import LONGEST_CLOSURE_DAYS, pickup_day
from dialogs.plan.reconcile import reconcile_all
from dialogs.plan.trips import Trip, TripFill
from dialogs.services import NAMES
from store.audit import record
from store.dispensing import PickupCycle
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
from store.worklist import WorklistTick

# What the check-in says about the fill, in the pharmacy's words.
CHECK_IN_STATES = {
    CheckInStatus.READY: "clear",
    CheckInStatus.APPROVED: "clear",
    CheckInStatus.FLAGGED: "held",
    CheckInStatus.NO_ANSWER: "no answer",
    CheckInStatus.OPEN: "waiting for answers",
}
KIND_NAMES = {"anchor_fill": "full fill", "short_fill": "short fill", "package": "package"}
CSV_COLUMNS = (
    "pickup_date",
    "anchor_date",
    "patient_id",
    "patient",
    "rx_number",
    "drug",
    "fill",
    "days",
    "units",
    "override",
    "check_in",
    "renewal_pending",
    "delivery",
    "services",
    "ticked_by",
    "trip",
)
SYNC_VISIT = "sync visit"
SYNCED_PICKUP = "synced pickup"
NO_CHECK_IN = "none (sync visit)"
# How far after a preparation day a first synced pickup may be and still have sync visits
# prepared that day: the longest first cycle a plan makes (a 90-day supply joining late).
FIRST_CYCLE_DAYS = 120


class WorklistError(ValueError):
    """A tick that cannot be recorded: the sentence says why."""


@dataclass(frozen=True)
class Tick:
    actor: str
    at: dt.datetime


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


def prepare_day(pickup: dt.date, settings: ProgramSettings) -> dt.date:
    """The day the fills for `pickup` (a real pickup day) are made ready."""
    return settings.open_days.open_on_or_before(
        pickup - dt.timedelta(days=settings.preparation_days)
    )


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
    visits = _sync_visits(session, pharmacy, prepare_on, settings)
    ids = sorted({p.id for p, _, _ in due} | {v.patient.id for v in visits})
    check_ins = _check_ins(session, [(p.id, a) for p, a, _ in due])
    renewals = _renewals(session, ids)
    prefs = preferences_of(session, ids)
    ticks = _ticks(session, pharmacy.id, [a for _, a, _ in due] + [v.trip.date for v in visits])
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
        fills, problem = _fills(patient, anchor, pickup, prepare_on, settings)
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


@dataclass(frozen=True)
class _Visit:
    patient: Patient
    trip: Trip
    synced_pickup: dt.date


def _sync_visits(
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


def _fills(
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


def _ticks(
    session: Session, pharmacy_id: int, anchors: Iterable[dt.date]
) -> dict[tuple[int, str, dt.date], Tick]:
    wanted = sorted(set(anchors))
    if not wanted:
        return {}
    rows = session.scalars(
        select(WorklistTick)
        .where(WorklistTick.pharmacy_id == pharmacy_id, WorklistTick.anchor_date.in_(wanted))
        .order_by(WorklistTick.id)
    )
    ticks: dict[tuple[int, str, dt.date], Tick] = {}
    for row in rows:  # the latest row for each prescription says whether it is ticked
        key = (row.patient_id, row.rx_number, row.anchor_date)
        if row.undone:
            ticks.pop(key, None)
        else:
            ticks[key] = Tick(row.actor, row.created_at)
    return ticks


def tick(
    session: Session,
    pharmacy: Pharmacy,
    patient: Patient,
    rx_number: str,
    anchor_date: dt.date,
    pickup_date: dt.date,
    actor: str,
    now: dt.datetime,
    undo: bool = False,
) -> bool:
    """Record that `actor` ticked (or un-ticked) one prescription of one pickup, with an audit
    row; False when it was so already (nothing written)."""
    if patient.pharmacy_id != pharmacy.id:
        raise WorklistError("That patient is not at this pharmacy.")
    if rx_number not in {rx.rx_number for rx in patient.prescriptions}:
        raise WorklistError(f"{patient.external_id} has no prescription {rx_number}.")
    current = _ticks(session, pharmacy.id, [anchor_date]).get((patient.id, rx_number, anchor_date))
    if (current is None) == undo:
        return False
    session.add(
        WorklistTick(
            pharmacy_id=pharmacy.id,
            patient_id=patient.id,
            rx_number=rx_number,
            anchor_date=anchor_date,
            pickup_date=pickup_date,
            undone=undo,
            actor=actor,
            created_at=now,
        )
    )
    detail = {"rx_number": rx_number, "anchor_date": anchor_date.isoformat()}
    record(
        session,
        actor,
        "worklist.untick" if undo else "worklist.tick",
        f"patient:{patient.id}",
        now,
        before={**detail, "ticked": undo},
        after={**detail, "ticked": not undo},
    )
    return True


def on_list(listed: Worklist, external_id: str, rx_number: str = "") -> PatientPickup | None:
    """The patient's entry on the list, the one with `rx_number` when they have two (a sync
    visit and the synced pickup prepared on one day)."""
    found = [p for d in listed.days for p in d.patients if p.external_id == external_id]
    with_rx = [p for p in found if any(f.rx_number == rx_number for f in p.fills)]
    return next(iter(with_rx or found), None)


def as_csv(listed: Worklist) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for day in listed.days:
        for p in day.patients:
            for f in p.fills:
                writer.writerow(
                    safe_row(
                        [
                            day.date.isoformat(),
                            p.anchor_date.isoformat(),
                            p.external_id,
                            p.name,
                            f.rx_number,
                            f.drug_name,
                            f.kind,
                            f.days,
                            "" if f.units is None else f.units,
                            "yes" if f.needs_override else "",
                            p.check_in,
                            "yes" if f.renewal_pending else "",
                            "delivery" if p.delivery else "pickup",
                            "; ".join(p.services),
                            f.tick.actor if f.tick else "",
                            p.trip,
                        ]
                    )
                )
    return out.getvalue()


def lines(listed: Worklist) -> list[str]:
    """The worklist as text, for `medsync worklist`."""
    head = f"Prep-day worklist at {listed.pharmacy} for {listed.prepare_on:%a %b %d, %Y}"
    shown = [head + (f" (the pharmacy is closed: {listed.closed})" if listed.closed else "")]
    if not listed.days:
        shown.append("Nothing to prepare: no pickup or sync visit is prepared this day.")
    for day in listed.days:
        count = sum(len(p.fills) for p in day.patients)
        shown.append(f"Pickup {day.date:%a %b %d, %Y}: {len(day.patients)} patients, {count} fills")
        for p in day.patients:
            moved = f" (anchor {p.anchor_date:%b %d}, closed)" if p.moved_because else ""
            how = "delivery" if p.delivery else "pickup"
            if p.synced_pickup is not None:
                shown.append(
                    f"  {p.name} ({p.external_id}): sync visit before the first synced pickup "
                    f"{p.synced_pickup:%a %b %d}, no check-in; {how}"
                )
            else:
                shown.append(f"  {p.name} ({p.external_id}){moved}: check-in {p.check_in}; {how}")
            if p.services:
                shown.append(f"    Services accepted: {', '.join(p.services)}")
            if p.problem:
                shown.append(f"    {p.problem}")
            for f in p.fills:
                units = "" if f.units is None else f", {f.units} units"
                notes = [
                    *(["needs a refill-too-soon override"] if f.needs_override else []),
                    *(["renewal pending"] if f.renewal_pending else []),
                    *([f"ticked by {f.tick.actor}"] if f.tick else []),
                ]
                tail = f" [{'; '.join(notes)}]" if notes else ""
                shown.append(
                    f"    [{'x' if f.tick else ' '}] {f.rx_number} {f.drug_name}: {f.kind}, "
                    f"{f.days} days{units}{tail}"
                )
    return shown
