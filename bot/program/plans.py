"""The sync plan for a stored patient: prescriptions in, dialogs.plan arithmetic out."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from bot.program.open_days import open_days_of
from dialogs.context import TripPlan
from dialogs.plan.day_plan import DayPlan, first_pickup
from dialogs.plan.model import (
    Medication,
    Package,
    PayerKind,
    PlanError,
    ProgramSettings,
    Schedule,
)
from dialogs.plan.open_days import MovedDate, OpenDays
from dialogs.plan.plan import NotEligible, SyncPlan, build_plan, plan_on_day, recommend
from dialogs.plan.reconcile import check_eligibility, reconcile_all
from store.models import Patient, Pharmacy, Prescription

FALLBACK_DAY = 15  # only when no plan can be made: a mid-month day every month has


def medication(rx: Prescription) -> Medication:
    return Medication(
        rx_number=rx.rx_number,
        drug_name=rx.drug_name,
        daily_quantity=rx.daily_quantity,
        days_supply=rx.days_supply,
        quantity=rx.quantity,
        last_fill_date=rx.last_fill_date,
        refills_remaining=rx.refills_remaining,
        written_date=rx.written_date,
        dea_schedule=cast(Schedule | None, rx.dea_schedule),
        prn=rx.prn,
        maintenance=rx.maintenance,
        package=cast(Package | None, rx.package),
        copay=rx.copay,
        payer=cast(PayerKind | None, rx.payer),
        max_days_supply=rx.max_days_supply,
    )


# What a pharmacy may set, and how a value typed at the command line becomes one.
PROGRAM_KEYS: dict[str, type] = {
    "preparation_days": int,
    "refill_window_pct": int,
    "sync_controlled_c3_c5": bool,
    "anchor_policy": str,
    "cycle": str,
    "dropout_cycles": int,
    "not_picked_up_days": int,
    "month_supply_days": int,
    "max_days_supply": int,
    "sync_visit_overrides": bool,
}


def program_from(
    state: str | None, chosen: dict[str, Any], open_days: OpenDays | None = None
) -> ProgramSettings:
    """The pharmacy's program: its choices over the documented defaults.

    Raises PlanError with a sentence for an unknown setting or a value that cannot be used.
    """
    unknown = sorted(set(chosen) - set(PROGRAM_KEYS))
    if unknown:
        raise PlanError(
            f"Unknown program setting {', '.join(unknown)}; known: {', '.join(PROGRAM_KEYS)}."
        )
    if open_days is None:
        return ProgramSettings(state=state, **chosen)
    return ProgramSettings(state=state, open_days=open_days, **chosen)


def parse_program_value(key: str, raw: str) -> Any:
    kind = PROGRAM_KEYS.get(key)
    if kind is None:
        raise PlanError(f"Unknown program setting {key}; known: {', '.join(PROGRAM_KEYS)}.")
    if kind is bool:
        if raw.lower() not in {"true", "false", "yes", "no", "1", "0"}:
            raise PlanError(f"{key} is true or false (got {raw!r}).")
        return raw.lower() in {"true", "yes", "1"}
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise PlanError(f"{key} is a whole number (got {raw!r}).") from None
    return raw


def program_settings(patient: Patient) -> ProgramSettings:
    pharmacy = patient.pharmacy
    return pharmacy_program(pharmacy)


def pharmacy_program(pharmacy: Pharmacy) -> ProgramSettings:
    """The pharmacy's program with its calendar (closed days) and state."""
    return program_from(pharmacy.state, dict(pharmacy.program or {}), open_days_of(pharmacy))


@dataclass(frozen=True)
class Proposal:
    """What the anchor dialog may offer this patient."""

    eligible: bool
    day: int
    reason: str


def plan_for(patient: Patient, today: dt.date, anchor_day: int | None = None) -> SyncPlan:
    """The plan, or NotEligible / PlanError with a sentence for the pharmacist."""
    meds = [medication(rx) for rx in patient.prescriptions if rx.active]
    return build_plan(meds, today, program_settings(patient), anchor_day=anchor_day)


def eligible(patient: Patient) -> bool:
    """Whether two or more medicines can be synced, without planning any day (cheap)."""
    try:
        meds = [medication(rx) for rx in patient.prescriptions if rx.active]
        return check_eligibility(reconcile_all(meds, program_settings(patient))).eligible
    except PlanError:
        return True  # bad data is the pharmacist's to fix, as in `proposal`


def proposal(patient: Patient, today: dt.date) -> Proposal:
    """What the anchor dialog may offer, worked out once per set of inputs: a patient who
    texts "hi", "yes", then a day gets the plan computed for the first text only, and again
    only when a prescription, the program's settings or the day change (the cache is keyed
    on their values, so a change is never missed)."""
    try:
        meds = tuple(medication(rx) for rx in patient.prescriptions if rx.active)
        settings = program_settings(patient)
    except PlanError as error:
        return Proposal(True, FALLBACK_DAY, str(error))
    key = (meds, today, repr(settings))  # the settings carry the pharmacy's closed days
    with _plans_guard:
        found = _plans.get(key)
        if found is not None:
            _plans.move_to_end(key)
            return found
    made = _proposal(meds, today, settings)
    with _plans_guard:
        _plans[key] = made
        while len(_plans) > PLANS_KEPT:
            _plans.popitem(last=False)
    return made


PLANS_KEPT = 20_000  # proposals remembered per process (a few hundred bytes each)
_plans: OrderedDict[tuple[object, ...], Proposal] = OrderedDict()
_plans_guard = threading.Lock()


def _proposal(meds: tuple[Medication, ...], today: dt.date, settings: ProgramSettings) -> Proposal:
    try:
        recommended = recommend(meds, today, settings)
    except NotEligible as error:
        return Proposal(False, FALLBACK_DAY, error.eligibility.reason)
    except PlanError as error:
        # Bad data is the pharmacist's to fix; the patient may still choose a day.
        return Proposal(True, FALLBACK_DAY, str(error))
    return Proposal(True, recommended.day, recommended.reason)


class DayPlans:
    """A patient's plan for each pickup day, worked out only when asked and then kept: the
    anchor dialog asks about the day a patient chose, for its cost and its trips, and a plan is
    ~6 ms, so nothing is planned on a text that does not need it."""

    def __init__(self, patient: Patient, today: dt.date) -> None:
        self.patient, self.today = patient, today
        self._known: dict[int, DayPlan | None] = {}

    def get(self, day: int) -> DayPlan | None:
        # Only the day's own plan (`plan_on_day`): `plan_for` would plan all 28 days again to
        # say which it recommends, which neither the trips nor the cost need (issue 19).
        if not 1 <= day <= 28:
            return None
        if day not in self._known:
            try:
                meds = [medication(rx) for rx in self.patient.prescriptions if rx.active]
                settings = program_settings(self.patient)
                self._known[day] = plan_on_day(meds, self.today, settings, day)
            except PlanError:
                self._known[day] = None
        return self._known[day]


@dataclass(frozen=True)
class FirstPickup:
    """Where a pickup day chosen by hand starts: the first pickup with every medicine."""

    pickup: MovedDate  # its anchor by the calendar, and the day it really happens
    visits: tuple[dt.date, ...]  # the plan's trips before it (sync visit, short fills)

    def sentence(self) -> str:
        """ "next pickup Thu Dec 24, 2026 (moved from Fri Dec 25: the pharmacy is closed,
        Christmas Day; the open day before)", for the pharmacist's screen."""
        real, planned = self.pickup.actual, self.pickup.planned
        when = f"next pickup {real:%a %b} {real.day}, {real.year}"
        if self.pickup.moved:
            when += (
                f" (moved from {planned:%a %b} {planned.day}: the pharmacy is closed, "
                f"{self.pickup.because}; the open day before)"
            )
        if self.visits:
            days = ", ".join(f"{d:%b} {d.day}" for d in self.visits)
            when += f"; visits before it for the short fills: {days} (see the plan)"
        return when


def first_synced_pickup(patient: Patient, day: int, today: dt.date) -> FirstPickup:
    """The first pickup on `day` as the patient's plan has it (dialogs.plan: the anchor where
    every medicine has joined, moved to the previous open day when the pharmacy is closed),
    the one an enrollment keeps, as the anchor dialog does. Without a plan (fewer than two
    medicines, bad data) the first anchor the pharmacy can prepare, moved off a closed day
    by the same rule."""
    settings = program_settings(patient)
    try:
        plan = plan_for(patient, today, anchor_day=day)
    except PlanError:
        return FirstPickup(first_pickup(day, today, settings), ())
    anchor = plan.first_synced_anchor
    because = settings.open_days.closed_because(anchor) or ""
    return FirstPickup(
        MovedDate(anchor, plan.first_synced_pickup, because),
        tuple(t.date for t in plan.visits_before_sync),
    )


def trip_plan(plan: SyncPlan | DayPlan) -> TripPlan:
    """What the anchor dialog tells the patient about getting in sync on this plan's day."""
    visit = plan.sync_visit
    return TripPlan(
        first_synced_anchor=plan.first_synced_anchor,
        first_synced_pickup=plan.first_synced_pickup,
        visits=tuple(t.date for t in plan.visits_before_sync),
        overrides=visit.overrides if visit is not None and visit.adopted else (),
    )


class TripPlans(Mapping[int, TripPlan]):
    """The trips for each day 1-28, each worked out when a dialog asks about it."""

    def __init__(self, plans: DayPlans) -> None:
        self._plans = plans

    def __getitem__(self, day: int) -> TripPlan:
        found = self._plans.get(day)
        if found is None:
            raise KeyError(day)
        return trip_plan(found)

    def __iter__(self) -> Iterator[int]:
        return (day for day in range(1, 29) if day in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)
