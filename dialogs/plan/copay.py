"""What the patient pays for a short fill (Medicare Part D daily cost-sharing, state sync laws)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from dialogs.plan.model import Medication, PlanError

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def daily_cost_share(monthly_copay: Decimal, month_supply_days: int = 30) -> Decimal:
    """42 CFR 423.153(b)(4): the copay divided by the month's days, rounded to the cent."""
    if month_supply_days < 1:
        raise PlanError(f"A month's supply must be at least a day (got {month_supply_days}).")
    return to_cents(monthly_copay / Decimal(month_supply_days))


def prorated_copay(monthly_copay: Decimal, days: int, month_supply_days: int = 30) -> Decimal:
    """The daily rate times the days dispensed, never more than the full copay."""
    if days < 0:
        raise PlanError(f"Days dispensed cannot be negative (got {days}).")
    if days >= month_supply_days:
        return monthly_copay
    # The rate is rounded to the cent, sometimes up: $0.50 a month is $0.02 a day, and 29 of those
    # would be more than the copay for the whole month.
    return min(daily_cost_share(monthly_copay, month_supply_days) * days, monthly_copay)


def coinsurance_cost(rate: Decimal, cost_per_day: Decimal, days: int) -> Decimal:
    """Coinsurance applies to the cost of what is dispensed, so it prorates by itself."""
    return to_cents(rate * cost_per_day * days)


def full_fill_cost(medication: Medication, month_supply_days: int = 30) -> Decimal:
    """The patient's cost for a regular month's fill on the anchor."""
    if medication.coinsurance is not None and medication.cost_per_day is not None:
        return coinsurance_cost(medication.coinsurance, medication.cost_per_day, month_supply_days)
    return medication.copay


@dataclass(frozen=True)
class ShortFillCharge:
    patient_pays: Decimal
    full_fill_cost: Decimal  # for comparison: what a regular month's fill costs the patient
    dispensing_fee: Decimal  # paid by the plan in full: state sync laws forbid prorating it
    prorated: bool
    basis: str


def short_fill_charge(
    medication: Medication,
    days: int,
    month_supply_days: int = 30,
    dispensing_fee: Decimal = Decimal("0.00"),
) -> ShortFillCharge:
    full = full_fill_cost(medication, month_supply_days)

    def charge(pays: Decimal, prorated: bool, basis: str) -> ShortFillCharge:
        return ShortFillCharge(pays, full, dispensing_fee, prorated, basis)

    if medication.antibiotic or medication.original_container:
        what = "An antibiotic" if medication.antibiotic else "Dispensed in the original container"
        return charge(full, False, f"{what}: Part D daily cost-sharing does not apply.")
    if medication.coinsurance is not None and medication.cost_per_day is not None:
        pct = to_cents(medication.coinsurance * 100).normalize()
        return charge(
            coinsurance_cost(medication.coinsurance, medication.cost_per_day, days),
            True,
            f"{pct:f}% coinsurance on {days} days at ${medication.cost_per_day} a day.",
        )
    rate = daily_cost_share(medication.copay, month_supply_days)
    return charge(
        prorated_copay(medication.copay, days, month_supply_days),
        True,
        f"${rate} a day (${medication.copay} / {month_supply_days} days) for {days} days.",
    )
