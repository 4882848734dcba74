"""Which medicines join the sync, the sentence that says why, and who is eligible."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dialogs.plan.model import Medication, PlanError, ProgramSettings
from dialogs.plan.reconcile import (
    Reconciliation,
    SyncStatus,
    check_eligibility,
    reconcile,
    settle_unit_of_use,
    supply_fits_cycle,
)
from tests.plan.factories import med

DEFAULTS = ProgramSettings()
CONTROLLED_ON = ProgramSettings(sync_controlled_c3_c5=True)


@pytest.mark.parametrize(
    ("medication", "settings", "status", "reason"),
    [
        (med(), DEFAULTS, SyncStatus.SYNCED, "Maintenance medicine: synced."),
        (
            med(prn=True, daily_quantity=None),
            DEFAULTS,
            SyncStatus.NOT_SYNCED,
            "Taken as needed (PRN): not synced.",
        ),
        (
            med(maintenance=False, antibiotic=True),
            DEFAULTS,
            SyncStatus.NOT_SYNCED,
            "Acute course (not maintenance): not synced.",
        ),
        # Schedule II wins over "acute": the law holds whatever the clinical picture.
        (
            med(dea_schedule="CII", maintenance=False),
            CONTROLLED_ON,
            SyncStatus.NOT_SYNCED,
            "Schedule II controlled substance: never synced.",
        ),
        (
            med(dea_schedule="CIV"),
            DEFAULTS,
            SyncStatus.NOT_SYNCED,
            "Schedule IV: controlled substances III-V are off in this pharmacy's settings.",
        ),
        (med(dea_schedule="CV"), CONTROLLED_ON, SyncStatus.SYNCED, "Maintenance medicine: synced."),
        (
            med(dea_schedule="CIII"),
            ProgramSettings(sync_controlled_c3_c5=True, state="ok"),
            SyncStatus.NOT_SYNCED,
            "Schedule III: OK law excludes it from med sync.",
        ),
        (
            med(dea_schedule="CIII"),
            ProgramSettings(sync_controlled_c3_c5=True, state="NY"),
            SyncStatus.SYNCED,
            "Maintenance medicine: synced.",
        ),
        (
            med(package="inhaler", daily_quantity=None),
            DEFAULTS,
            SyncStatus.FLAG_UNIT_OF_USE,
            "Unit-of-use package (inhaler) cannot be short-filled: it becomes the anchor or "
            "stays out, flagged for the pharmacist.",
        ),
        (
            med(daily_quantity=None),
            DEFAULTS,
            SyncStatus.NEEDS_REVIEW,
            "No daily quantity in the directions: a short fill cannot be worked out; the "
            "pharmacist checks the sig.",
        ),
    ],
)
def test_reconcile_gives_a_status_and_a_sentence(
    medication: Medication, settings: ProgramSettings, status: SyncStatus, reason: str
) -> None:
    result = reconcile(medication, settings)
    assert (result.status, result.reason) == (status, reason)


def _statuses(*statuses: SyncStatus) -> list[Reconciliation]:
    return [Reconciliation(med(rx_number=f"RX{n}"), s, "") for n, s in enumerate(statuses)]


@pytest.mark.parametrize(
    ("statuses", "eligible"),
    [
        ((SyncStatus.SYNCED, SyncStatus.SYNCED), True),
        ((SyncStatus.SYNCED, SyncStatus.FLAG_UNIT_OF_USE), True),
        ((SyncStatus.FLAG_UNIT_OF_USE, SyncStatus.FLAG_UNIT_OF_USE), False),  # one can anchor
        ((SyncStatus.SYNCED, SyncStatus.NOT_SYNCED, SyncStatus.NEEDS_REVIEW), False),
        ((), False),
    ],
)
def test_eligibility_needs_two_syncable_medicines(
    statuses: tuple[SyncStatus, ...], eligible: bool
) -> None:
    assert check_eligibility(_statuses(*statuses)).eligible is eligible


def test_package_due_on_the_anchor_is_aligned() -> None:
    pen = med(package="insulin", days_supply=30, last_fill_date=dt.date(2026, 11, 15))
    flagged = reconcile(pen, DEFAULTS)
    settled = settle_unit_of_use(flagged, dt.date(2026, 12, 15), dt.date(2026, 11, 29), DEFAULTS)
    assert settled.status is SyncStatus.ALIGNED_BY_ANCHOR
    assert "on its due date" in settled.reason
    assert "does not match" not in settled.reason


def test_package_due_well_after_the_anchor_stays_out_and_is_flagged() -> None:
    drops = med(package="eye_drops", days_supply=25, last_fill_date=dt.date(2026, 11, 27))
    settled = settle_unit_of_use(
        reconcile(drops, DEFAULTS), dt.date(2026, 12, 10), dt.date(2026, 11, 29), DEFAULTS
    )
    assert settled.status is SyncStatus.FLAG_UNIT_OF_USE
    assert settled.reason == (
        "Unit-of-use package (eye drops) cannot be short-filled and is next due Dec 22, 2026, "
        "not on the Dec 10, 2026 anchor: left out, flagged for the pharmacist."
    )


def test_settling_leaves_other_medicines_alone() -> None:
    synced = reconcile(med(), DEFAULTS)
    assert settle_unit_of_use(synced, dt.date(2026, 12, 15), dt.date(2026, 11, 29), DEFAULTS) is (
        synced
    )


@pytest.mark.parametrize(
    ("days", "cycle", "fits"),
    [(30, "monthly", True), (28, "monthly", True), (37, "monthly", False), (90, "monthly", True),
     (25, "monthly", False), (28, "28_day", True), (30, "28_day", False), (90, "90_day", True)],
)  # fmt: skip
def test_whole_packages_keep_pace_only_when_the_supply_matches_the_cycle(
    days: int, cycle: str, fits: bool
) -> None:
    assert supply_fits_cycle(days, cycle) is fits  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "fields",
    [
        {"days_supply": 0},
        {"daily_quantity": Decimal(0)},
        {"refills_remaining": -1},
        {"dea_schedule": "C2"},
        {"package": "box"},
        {"coinsurance": Decimal("0.2")},  # without a cost per day
        {"coinsurance": Decimal("1.5"), "cost_per_day": Decimal(1)},
    ],
)
def test_bad_prescription_data_is_refused_with_a_sentence(fields: dict[str, object]) -> None:
    with pytest.raises(PlanError, match=r"^RX1: .+\.$"):
        med(**fields)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(PlanError, match="refill window"):
        ProgramSettings(refill_window_pct=0)
    with pytest.raises(PlanError, match="unknown cycle"):
        ProgramSettings(cycle="weekly")  # type: ignore[arg-type]
