"""Pickup cycles: monthly on a day of month, every 28 days, or every 90 days."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dialogs.plan.dates import add_months, check_anchor_day, day_of_month_on_or_after
from dialogs.plan.model import Cycle, PlanError

# The supply one cycle stands for; used to decide how many cycles one fill of a medicine spans.
NOMINAL_CYCLE_DAYS: dict[Cycle, int] = {"monthly": 30, "28_day": 28, "90_day": 90}


@dataclass(frozen=True)
class CycleFill:
    """A regular fill on an anchor date, covering the days until the medicine's next anchor fill."""

    fill_date: dt.date
    days: int


def _check_first(first: dt.date, cycle: Cycle) -> None:
    if cycle == "monthly":
        check_anchor_day(first.day)
    elif cycle not in NOMINAL_CYCLE_DAYS:
        raise PlanError(f"Unknown cycle {cycle!r}.")


def next_anchor(anchor: dt.date, cycle: Cycle) -> dt.date:
    """The anchor date one cycle after `anchor`."""
    _check_first(anchor, cycle)
    if cycle == "monthly":
        return add_months(anchor, 1)
    return anchor + dt.timedelta(days=NOMINAL_CYCLE_DAYS[cycle])


def anchor_on_or_after(first: dt.date, cycle: Cycle, day: dt.date) -> dt.date:
    """The first anchor date of the cycle starting on `first` that is not before `day`."""
    _check_first(first, cycle)
    if day <= first:
        return first
    if cycle == "monthly":
        return day_of_month_on_or_after(first.day, day)
    step = NOMINAL_CYCLE_DAYS[cycle]
    cycles_ahead = -(-(day - first).days // step)
    return first + dt.timedelta(days=cycles_ahead * step)


def anchor_dates(first: dt.date, cycle: Cycle, until: dt.date) -> list[dt.date]:
    """Every anchor date from `first` through `until`, both included."""
    _check_first(first, cycle)
    dates: list[dt.date] = []
    current = first
    while current <= until:
        dates.append(current)
        current = next_anchor(current, cycle)
    return dates


def due_dates(fill_date: dt.date, days_supply: int, count: int) -> list[dt.date]:
    """Due dates if the medicine is refilled on each due date with the same supply."""
    return [fill_date + dt.timedelta(days=days_supply * n) for n in range(1, count + 1)]


def cycles_per_fill(days_supply: int, cycle: Cycle) -> int:
    """How many anchors one fill spans: a 90-day supply on a monthly cycle is every 3rd anchor."""
    nominal = NOMINAL_CYCLE_DAYS[cycle]
    # Half-up rounding so a 45-day supply on a monthly cycle counts as two months, not one.
    return max(1, (2 * days_supply + nominal) // (2 * nominal))


def cycle_fills(sync_date: dt.date, days_supply: int, cycle: Cycle, count: int) -> list[CycleFill]:
    """The medicine's next `count` regular fills, starting on the anchor it is synced to.

    Each fill lasts until the medicine's next anchor fill, so a monthly cycle's fills are 28-31
    days long: a fixed 30 days would leave a day without medicine after every 31-day month.
    """
    step = cycles_per_fill(days_supply, cycle)
    fills: list[CycleFill] = []
    current = sync_date
    for _ in range(count):
        following = current
        for _ in range(step):
            following = next_anchor(following, cycle)
        fills.append(CycleFill(current, (following - current).days))
        current = following
    return fills
