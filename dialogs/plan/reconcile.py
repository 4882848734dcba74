"""Which of a patient's medicines join the sync, and why the others do not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum

from dialogs.plan.cycles import NOMINAL_CYCLE_DAYS, cycles_per_fill
from dialogs.plan.dates import format_date, plural
from dialogs.plan.model import PACKAGE_NAMES, SCHEDULE_NAMES, Cycle, Medication, ProgramSettings
from dialogs.plan.unit_of_use import fits_anchor, projected_due

CYCLE_NAMES: dict[Cycle, str] = {
    "monthly": "monthly",
    "28_day": "28-day",
    "84_day": "84-day",
    "91_day": "91-day",
    "90_day": "90-day",
}


def supply_fits_cycle(days_supply: int, cycle: Cycle) -> bool:
    """Whether whole packages keep pace with the anchors (a month is 28-31 days)."""
    spans = cycles_per_fill(days_supply, cycle)
    if cycle == "monthly":
        return 28 * spans <= days_supply <= 31 * spans
    return days_supply == spans * NOMINAL_CYCLE_DAYS[cycle]


class SyncStatus(Enum):
    SYNCED = "synced"  # short-filled (or already due) onto the anchor
    ALIGNED_BY_ANCHOR = "aligned_by_anchor"  # a unit-of-use package dispensed whole on the anchor
    FLAG_UNIT_OF_USE = "flag_unit_of_use"  # a unit-of-use package left out: the pharmacist decides
    NOT_SYNCED = "not_synced"  # PRN, acute, controlled, excluded by state law
    NEEDS_REVIEW = "needs_review"  # the export lacks what the arithmetic needs


@dataclass(frozen=True)
class Reconciliation:
    medication: Medication
    status: SyncStatus
    reason: str


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str


def reconcile(medication: Medication, settings: ProgramSettings) -> Reconciliation:
    """Decide from the prescription alone; unit-of-use packages are settled once the anchor is."""

    def out(reason: str, status: SyncStatus = SyncStatus.NOT_SYNCED) -> Reconciliation:
        return Reconciliation(medication, status, reason)

    schedule = medication.dea_schedule
    # Legal exclusions first: they hold whatever the clinical picture.
    if schedule == "CII":
        return out("Schedule II controlled substance: never synced.")
    if schedule is not None and schedule in settings.state_exclusions():
        state = (settings.state or "").upper()
        return out(f"{SCHEDULE_NAMES[schedule]}: {state} law excludes it from med sync.")
    if medication.prn:
        return out("Taken as needed (PRN): not synced.")
    if not medication.maintenance:
        return out("Acute course (not maintenance): not synced.")
    if schedule is not None and not settings.sync_controlled_c3_c5:
        return out(
            f"{SCHEDULE_NAMES[schedule]}: controlled substances III-V are off in this "
            "pharmacy's settings."
        )
    if medication.package is not None:
        return out(
            f"Unit-of-use package ({PACKAGE_NAMES[medication.package]}) cannot be short-filled: "
            "it becomes the anchor or stays out, flagged for the pharmacist.",
            SyncStatus.FLAG_UNIT_OF_USE,
        )
    if medication.daily_quantity is None:
        return out(
            "No daily quantity in the directions: a short fill cannot be worked out; "
            "the pharmacist checks the sig.",
            SyncStatus.NEEDS_REVIEW,
        )
    return out("Maintenance medicine: synced.", SyncStatus.SYNCED)


def reconcile_all(
    medications: Sequence[Medication], settings: ProgramSettings
) -> list[Reconciliation]:
    return [reconcile(medication, settings) for medication in medications]


def check_eligibility(reconciliations: Sequence[Reconciliation]) -> Eligibility:
    """Two or more maintenance medicines that can be synced.

    Only one unit-of-use package counts: the anchor can follow one of them, not two.
    """
    short_fillable = sum(r.status is SyncStatus.SYNCED for r in reconciliations)
    packages = sum(r.status is SyncStatus.FLAG_UNIT_OF_USE for r in reconciliations)
    syncable = short_fillable + min(packages, 1)
    if syncable >= 2:
        return Eligibility(True, f"{syncable} maintenance medicines can be synced.")
    count = "No medicine" if syncable == 0 else "Only one medicine"
    return Eligibility(
        False, f"{count} can be synced; the program needs two or more maintenance medicines."
    )


def settle_unit_of_use(
    reconciliation: Reconciliation, anchor: dt.date, today: dt.date, settings: ProgramSettings
) -> Reconciliation:
    """Align a package with the first anchor when a whole package fits it, else flag it."""
    medication = reconciliation.medication
    if reconciliation.status is not SyncStatus.FLAG_UNIT_OF_USE or medication.package is None:
        return reconciliation
    kind = PACKAGE_NAMES[medication.package]
    due = projected_due(medication, today, anchor)
    if fits_anchor(medication, anchor, today, settings.refill_window_pct):
        early = plural((due - anchor).days, "day")
        when = "on its due date" if due == anchor else f"{early} early"
        reason = (
            f"Unit-of-use package ({kind}): a whole package on the anchor, {when}, "
            "inside the refill window."
        )
        if not supply_fits_cycle(medication.days_supply, settings.cycle):
            reason += (
                f" Its {medication.days_supply}-day supply does not match the "
                f"{CYCLE_NAMES[settings.cycle]} cycle: the pharmacist adjusts the package count."
            )
        return replace(reconciliation, status=SyncStatus.ALIGNED_BY_ANCHOR, reason=reason)
    return replace(
        reconciliation,
        reason=(
            f"Unit-of-use package ({kind}) cannot be short-filled and is next due "
            f"{format_date(due)}, not on the {format_date(anchor)} anchor: left out, "
            "flagged for the pharmacist."
        ),
    )
