"""What the patient pays for a short fill, by payer: Medicare Part D's daily cost-sharing, a
state med sync law's proration, the full copay where no rule prorates it, cash by the unit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from dialogs.plan.cycles import cycles_per_fill
from dialogs.plan.dates import plural
from dialogs.plan.model import (
    PAYER_NAMES,
    SCHEDULE_NAMES,
    Medication,
    PlanError,
    SyncLaw,
)
from dialogs.plan.short_fill import units_for_days

CENT = Decimal("0.01")
# A month's supply is 28-31 days: a package whose supply divides into such months has its own.
SHORTEST_MONTH, LONGEST_MONTH = 28, 31

ChargeRule = Literal[
    "part_d_daily_rate",  # 42 CFR 423.153(b)(4)
    "part_d_exception",  # antibiotics, original containers: the full copay
    "state_law",  # a state med sync law prorates the copay
    "schedule_excluded",  # the state law leaves this schedule out: the full copay
    "no_law",  # nothing makes the plan prorate: it may charge the full copay
    "coinsurance",  # a percentage of what is dispensed: proportional already
    "cash_per_unit",  # cash pays for the units dispensed
]
MAY_CHARGE_FULL_COPAY = "Your plan may charge a full copay for this shorter fill."


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


def package_month_days(days_supply: int, plan_month_days: int = 30) -> int:
    """The days a month of this package covers, which its copay pays for.

    A 28-day pack (or 56, 84) is a 28-day month: dividing its copay by 30 would charge two days
    too few for every 28. Supplies that do not divide into 28-31 day months (25-day pens,
    45 days) use the plan's month.
    """
    months = cycles_per_fill(days_supply, "monthly")
    if days_supply % months == 0 and SHORTEST_MONTH <= days_supply // months <= LONGEST_MONTH:
        return days_supply // months
    return plan_month_days


def coinsurance_cost(rate: Decimal, cost_per_day: Decimal, days: int) -> Decimal:
    """Coinsurance applies to the cost of what is dispensed, so it prorates by itself."""
    return to_cents(rate * cost_per_day * days)


def full_fill_cost(medication: Medication, month_supply_days: int = 30) -> Decimal:
    """The patient's cost for a regular month's fill on the anchor."""
    if medication.coinsurance is not None and medication.cost_per_day is not None:
        month = package_month_days(medication.days_supply, month_supply_days)
        return coinsurance_cost(medication.coinsurance, medication.cost_per_day, month)
    return medication.copay


def cash_price(medication: Medication, units: int, month_supply_days: int = 30) -> Decimal:
    """Cash pays for the units dispensed: the month's price over the month's units."""
    if medication.daily_quantity is None:
        return medication.copay  # a package is sold whole
    month = package_month_days(medication.days_supply, month_supply_days)
    month_units = units_for_days(month, medication.daily_quantity)
    return to_cents(medication.copay * units / month_units)


@dataclass(frozen=True)
class ShortFillCharge:
    patient_pays: Decimal
    full_fill_cost: Decimal  # for comparison: what a regular month's fill costs the patient
    dispensing_fee: Decimal  # paid by the plan in full: state sync laws forbid prorating it
    prorated: bool
    basis: str
    rule: ChargeRule = "part_d_daily_rate"
    # For the patient's estimate: a sentence when the amount is not assured ("your plan may
    # charge a full copay"), or when the payer was not known and Part D was assumed.
    note: str | None = None


def _sync_law(state: str | None, sync_laws: Mapping[str, SyncLaw] | None) -> SyncLaw | None:
    return None if state is None or sync_laws is None else sync_laws.get(state.upper())


def charge_rule(
    medication: Medication,
    state: str | None = None,
    sync_laws: Mapping[str, SyncLaw] | None = None,
) -> ChargeRule:
    """How the prescription's payer charges a short fill, whatever its days."""
    payer = medication.payer
    if payer == "cash":
        return "cash_per_unit"
    if payer in (None, "medicare_d") and (medication.antibiotic or medication.original_container):
        return "part_d_exception"
    if medication.coinsurance is not None and medication.cost_per_day is not None:
        return "coinsurance"
    if payer in (None, "medicare_d"):
        return "part_d_daily_rate"
    law = _sync_law(state, sync_laws)
    if law is None or payer not in law.payers:
        return "no_law"
    schedule = medication.dea_schedule
    if schedule is not None and schedule in law.excluded_schedules:
        return "schedule_excluded"
    return "state_law"


def patient_pays(
    medication: Medication, rule: ChargeRule, days: int, month_supply_days: int = 30
) -> Decimal:
    """What the patient pays for a short fill billed for `days` under `rule` (`charge_rule`)."""
    if rule == "cash_per_unit":
        units = units_for_days(days, medication.daily_quantity or Decimal(0))
        return cash_price(medication, units, month_supply_days)
    if rule == "coinsurance":
        assert medication.coinsurance is not None and medication.cost_per_day is not None
        return coinsurance_cost(medication.coinsurance, medication.cost_per_day, days)
    if rule in ("part_d_daily_rate", "state_law"):
        month = package_month_days(medication.days_supply, month_supply_days)
        return prorated_copay(medication.copay, days, month)
    return full_fill_cost(medication, month_supply_days)  # nothing prorates it


def short_fill_charge(
    medication: Medication,
    days: int,
    month_supply_days: int = 30,
    dispensing_fee: Decimal = Decimal("0.00"),
    *,
    state: str | None = None,
    sync_laws: Mapping[str, SyncLaw] | None = None,
) -> ShortFillCharge:
    """The patient's cost for a short fill billed for `days`, by the prescription's payer.

    `state` is the pharmacy's; `sync_laws` the state laws known (ProgramSettings.sync_laws).
    """
    rule = charge_rule(medication, state, sync_laws)
    pays = patient_pays(medication, rule, days, month_supply_days)
    full = full_fill_cost(medication, month_supply_days)
    prorated = rule not in ("part_d_exception", "no_law", "schedule_excluded")

    def charge(basis: str, note: str | None = None) -> ShortFillCharge:
        return ShortFillCharge(pays, full, dispensing_fee, prorated, basis, rule, note)

    payer = medication.payer
    if rule == "cash_per_unit":
        units = units_for_days(days, medication.daily_quantity or Decimal(0))
        return charge(f"Cash: {plural(units, 'unit')} at the month's price (${medication.copay}).")
    if rule == "part_d_exception":
        what = "An antibiotic" if medication.antibiotic else "Dispensed in the original container"
        return charge(f"{what}: Part D daily cost-sharing does not apply.")
    if rule == "coinsurance":
        assert medication.coinsurance is not None
        pct = to_cents(medication.coinsurance * 100).normalize()
        return charge(f"{pct:f}% coinsurance on {days} days at ${medication.cost_per_day} a day.")
    law = _sync_law(state, sync_laws)
    if rule in ("part_d_daily_rate", "state_law"):
        month = package_month_days(medication.days_supply, month_supply_days)
        rate = daily_cost_share(medication.copay, month)
        tail = "" if law is None or rule == "part_d_daily_rate" else f" ({law.citation})"
        unknown = "The payer is not in the export: estimated with Part D's daily rate."
        return charge(
            f"${rate} a day (${medication.copay} / {month} days) for {days} days{tail}.",
            unknown if payer is None else None,
        )
    if rule == "no_law":
        assert payer is not None and payer != "cash"
        where = f"in {state.upper()}" if state else "here"
        return charge(
            f"No state med sync law makes {PAYER_NAMES[payer]} plans prorate the copay {where}.",
            MAY_CHARGE_FULL_COPAY,
        )
    assert law is not None and medication.dea_schedule is not None
    return charge(
        f"{SCHEDULE_NAMES[medication.dea_schedule]}: {law.citation} leaves it out.",
        MAY_CHARGE_FULL_COPAY,
    )
