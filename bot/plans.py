"""The sync plan for a stored patient: prescriptions in, dialogs.plan arithmetic out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

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


def program_settings(patient: Patient) -> ProgramSettings:
    return ProgramSettings(state=patient.pharmacy.state)


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
    try:
        plan = plan_for(patient, today)
    except NotEligible as error:
        return Proposal(False, FALLBACK_DAY, error.eligibility.reason)
    except PlanError as error:
        # Bad data is the pharmacist's to fix; the patient may still choose a day.
        return Proposal(True, FALLBACK_DAY, str(error))
    return Proposal(True, plan.anchor_day, plan.anchor_reason)
