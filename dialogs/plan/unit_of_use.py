"""Unit-of-use packages (inhalers, insulin pens, eye drops, patches, liquids).

They are dispensed whole, so they are never short-filled: the anchor follows them, or they stay out.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_FLOOR, Decimal

from dialogs.plan.dates import refill_eligible_date
from dialogs.plan.model import Medication, PlanError

DROPS_PER_ML = Decimal(20)  # the usual pharmacy assumption; real bottles give 15-20


def unit_of_use_days(package_doses: Decimal, doses_per_day: Decimal) -> int:
    """Days a whole package lasts, rounded down: a partial day is a day without medicine."""
    if doses_per_day <= 0:
        raise PlanError(f"Doses a day must be positive (got {doses_per_day}).")
    return int((package_doses / doses_per_day).to_integral_value(rounding=ROUND_FLOOR))


def inhaler_days(puffs: int, puffs_per_dose: int, doses_per_day: int) -> int:
    return unit_of_use_days(Decimal(puffs), Decimal(puffs_per_dose * doses_per_day))


def eye_drop_days(
    millilitres: Decimal,
    drops_per_dose: int,
    eyes: int,
    doses_per_day: int,
    drops_per_ml: Decimal = DROPS_PER_ML,
) -> int:
    drops_per_day = Decimal(drops_per_dose * eyes * doses_per_day)
    return unit_of_use_days(millilitres * drops_per_ml, drops_per_day)


def insulin_days(units_in_package: Decimal, units_per_day: Decimal) -> int:
    return unit_of_use_days(units_in_package, units_per_day)


def projected_due(medication: Medication, today: dt.date, not_before: dt.date) -> dt.date:
    """The package's first due date on or after `not_before`, refilled whole on each due date.

    An overdue package is assumed filled today.
    """
    due = max(medication.next_due, today)
    step = dt.timedelta(days=medication.days_supply)
    while due < not_before:
        due += step
    return due


def fits_anchor(medication: Medication, anchor: dt.date, today: dt.date, window_pct: int) -> bool:
    """Whether a whole package can be dispensed on the anchor without a gap or an override.

    That is: the anchor is on its due date, or early but inside the refill-too-soon window.
    """
    due = projected_due(medication, today, anchor)
    previous_fill = due - dt.timedelta(days=medication.days_supply)
    return refill_eligible_date(previous_fill, medication.days_supply, window_pct) <= anchor
