"""The one-time short fill that makes a medicine run out on its anchor date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from dialogs.plan.cycles import anchor_on_or_after
from dialogs.plan.dates import format_date, refill_eligible_date
from dialogs.plan.model import Cycle, Medication, PlanError

_HUNDREDTH = Decimal("0.01")
WEEK = 7


@dataclass(frozen=True)
class ShortFill:
    rx_number: str
    due_date: dt.date  # when the last fill runs out
    sync_date: dt.date  # the anchor it runs out on after this fill
    fill_date: dt.date
    days: int  # the days' supply billed: what the whole units dispensed cover
    units: int  # whole units dispensed
    eligible_on: dt.date  # first day the payer accepts a refill after the last fill
    needs_override: bool  # refill-too-soon: the claim needs an override code
    # The first day the patient takes from this fill: the due date, or today when overdue.
    # The fill is handed out then or earlier (at a sync visit), never later.
    supply_from: dt.date

    @property
    def days_to_sync(self) -> int:
        """The days from `supply_from` to the anchor; `days` is more for a weekly tablet."""
        return (self.sync_date - self.supply_from).days


def units_for_days(days: int, daily_quantity: Decimal) -> int:
    """Whole units for `days` at `daily_quantity`, rounded up so no day goes without."""
    # Exported daily quantities are rounded (0.142857 is one a week): snap the product to
    # hundredths first, or 28 days at 0.142858 would come to 5 tablets instead of 4.
    exact = (Decimal(days) * daily_quantity).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)
    return int(exact.to_integral_value(rounding=ROUND_CEILING))


def days_per_unit(daily_quantity: Decimal) -> int | None:
    """Days one unit lasts when each dose is one whole unit every few days (weekly: 7).

    None for daily dosing: half a tablet a day (0.5) is a day's dose, and a short fill bills
    its days (DOMAIN example 4). From a week apart (0.142857) a unit is a dose that lasts its
    days, and a claim for it bills them all: one weekly tablet is 7 days, never 6.
    """
    if daily_quantity <= 0:
        return None
    per_unit = Decimal(1) / daily_quantity
    whole = int(per_unit.to_integral_value(rounding=ROUND_HALF_UP))
    if whole >= WEEK and abs(per_unit - whole) <= whole * _HUNDREDTH:
        return whole
    return None


def days_billed(days: int, units: int, daily_quantity: Decimal) -> int:
    """The days' supply on the claim for `units` dispensed to cover `days`."""
    per_unit = days_per_unit(daily_quantity)
    return days if per_unit is None else units * per_unit


def supply_start(medication: Medication, today: dt.date) -> dt.date:
    """The first day the patient needs new supply: the due date, or today if it has passed."""
    return max(medication.next_due, today)


def sync_date_for(
    medication: Medication, first_anchor: dt.date, cycle: Cycle, today: dt.date
) -> dt.date:
    """The anchor the medicine joins: the first one, or the first after its due date.

    A medicine with supply left on the first anchor waits for its due date and is short-filled
    to the next anchor; filling it early would be the repeating pattern payers audit.
    """
    return anchor_on_or_after(first_anchor, cycle, supply_start(medication, today))


def short_fill(
    medication: Medication,
    sync_date: dt.date,
    today: dt.date,
    window_pct: int,
    fill_on: dt.date | None = None,
) -> ShortFill | None:
    """The short fill from the medicine's due date (or today) up to `sync_date`; None if none.

    `fill_on` dispenses it on another day, e.g. with the rest at one visit: earlier than the due
    date it may need a refill-too-soon override; later than the due date would leave a gap.
    """
    if medication.daily_quantity is None:
        raise PlanError(f"{medication.label}: no daily quantity, so no short fill.")
    start = supply_start(medication, today)
    days = (sync_date - start).days
    if days < 0:
        raise PlanError(
            f"{medication.label} has supply until {format_date(start)}, past the "
            f"{format_date(sync_date)} anchor: sync it to a later anchor."
        )
    if days == 0:
        return None
    fill_date = start if fill_on is None else fill_on
    if fill_date > start:
        raise PlanError(
            f"{medication.label}: a fill on {format_date(fill_date)} leaves the days from "
            f"{format_date(start)} without medicine."
        )
    eligible_on = refill_eligible_date(
        medication.last_fill_date, medication.days_supply, window_pct
    )
    units = units_for_days(days, medication.daily_quantity)
    return ShortFill(
        rx_number=medication.rx_number,
        due_date=medication.next_due,
        sync_date=sync_date,
        fill_date=fill_date,
        days=days_billed(days, units, medication.daily_quantity),
        units=units,
        eligible_on=eligible_on,
        needs_override=fill_date < eligible_on,
        supply_from=start,
    )
