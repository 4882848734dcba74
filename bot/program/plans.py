"""The sync plan for a stored patient: prescriptions in, dialogs.plan arithmetic out."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, cast

from dialogs.plan.model import Medication, Package, PlanError, ProgramSettings, Schedule
from dialogs.plan.plan import NotEligible, SyncPlan, build_plan
from store.models import Patient, Prescription

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
    )


# What a pharmacy may set, and how a value typed at the command line becomes one.
PROGRAM_KEYS: dict[str, type] = {
    "preparation_days": int,
    "refill_window_pct": int,
    "sync_controlled_c3_c5": bool,
    "anchor_policy": str,
    "cycle": str,
    "dropout_cycles": int,
    "month_supply_days": int,
}


def program_from(state: str | None, chosen: dict[str, Any]) -> ProgramSettings:
    """The pharmacy's program: its choices over the documented defaults.

    Raises PlanError with a sentence for an unknown setting or a value that cannot be used.
    """
    unknown = sorted(set(chosen) - set(PROGRAM_KEYS))
    if unknown:
        raise PlanError(
            f"Unknown program setting {', '.join(unknown)}; known: {', '.join(PROGRAM_KEYS)}."
        )
    return ProgramSettings(state=state, **chosen)


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
    return program_from(pharmacy.state, dict(pharmacy.program or {}))


@dataclass(frozen=True)
class Proposal:
    """What the anchor dialog may offer this patient."""

    eligible: bool
    day: int
    reason: str


def plan_for(patient: Patient, today: dt.date, anchor_day: int | None = None) -> SyncPlan:
    """The plan, or NotEligible / PlanError with a sentence for the pharmacist."""
    meds = [medication(rx) for rx in patient.prescriptions]
    return build_plan(meds, today, program_settings(patient), anchor_day=anchor_day)


def proposal(patient: Patient, today: dt.date) -> Proposal:
    """What the anchor dialog may offer, worked out once per set of inputs: a patient who
    texts "hi", "yes", then a day gets the plan computed for the first text only, and again
    only when a prescription, the program's settings or the day change (the cache is keyed
    on their values, so a change is never missed)."""
    try:
        meds = tuple(medication(rx) for rx in patient.prescriptions)
        settings = program_settings(patient)
    except PlanError as error:
        return Proposal(True, FALLBACK_DAY, str(error))
    key = (meds, today, repr(settings))
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
        plan = build_plan(list(meds), today, settings)
    except NotEligible as error:
        return Proposal(False, FALLBACK_DAY, error.eligibility.reason)
    except PlanError as error:
        # Bad data is the pharmacist's to fix; the patient may still choose a day.
        return Proposal(True, FALLBACK_DAY, str(error))
    return Proposal(True, plan.anchor_day, plan.anchor_reason)
