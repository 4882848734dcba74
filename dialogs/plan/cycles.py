"""Pickup cycles: monthly on a day of month, or every 28, 84 or 91 days (whole weeks).

84 and 91 days are the 90-day cycles: a quarter by day of month is 89-92 days, and plans
reject 92 days' supply; 12 or 13 weeks keep the weekday and stay within the plan's maximum.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from dialogs.plan.dates import add_months, check_anchor_day, day_of_month_on_or_after
from dialogs.plan.model import Cycle, PlanError
from dialogs.plan.open_days import ALWAYS_OPEN, OpenDays

# The supply one cycle stands for; used to decide how many cycles one fill of a medicine spans.
NOMINAL_CYCLE_DAYS: dict[Cycle, int] = {
    "monthly": 30,
    "28_day": 28,
    "84_day": 84,
    "91_day": 91,
    "90_day": 90,
}


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


@lru_cache(maxsize=8192)
def next_anchor(anchor: dt.date, cycle: Cycle) -> dt.date:
    """The anchor date one cycle after `anchor` (kept: choosing a day asks this of the same
    few dates hundreds of times)."""
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


def _anchors_later(anchor: dt.date, cycle: Cycle, count: int) -> dt.date:
    for _ in range(count):
        anchor = next_anchor(anchor, cycle)
    return anchor


def cycle_fills(
    sync_date: dt.date,
    days_supply: int,
    cycle: Cycle,
    count: int,
    max_days_supply: int | None = None,
    open_days: OpenDays = ALWAYS_OPEN,
) -> list[CycleFill]:
    """The medicine's next `count` regular fills, starting on the anchor it is synced to.

    Each fill lasts until the medicine's next anchor fill, so a monthly cycle's fills are 28-31
    days long: a fixed 30 days would leave a day without medicine after every 31-day month.
    A fill spanning several anchors (a 90-day supply on a monthly cycle) spans one fewer when it
    would run past `max_days_supply` (three months from Mar 15 are 92 days). An anchor on a
    closed day is handed out on the previous open day (`fill_date`), but its days still count
    from the calendar's anchor (`sync_date` is one): the patient has a day or two in hand, and
    no fill grows longer than the cycle.
    """
    return list(_first_fills(sync_date, days_supply, cycle, count, max_days_supply, open_days))


def cycle_fills_through(
    sync_date: dt.date,
    days_supply: int,
    cycle: Cycle,
    through: dt.date,
    max_days_supply: int | None = None,
    open_days: OpenDays = ALWAYS_OPEN,
) -> list[CycleFill]:
    """The medicine's regular fills handed out from its sync anchor through `through`."""
    return list(_fills_through(sync_date, days_supply, cycle, through, max_days_supply, open_days))


# A plan compares all 28 anchor days, and patients on the same supplies share sync dates: the
# same fills are asked for again and again (issue 19: a "yes" spent half its time here).
@lru_cache(maxsize=16384)
def _first_fills(
    sync_date: dt.date,
    days_supply: int,
    cycle: Cycle,
    count: int,
    max_days_supply: int | None,
    open_days: OpenDays,
) -> tuple[CycleFill, ...]:
    fills: list[CycleFill] = []
    for fill in _regular_fills(sync_date, days_supply, cycle, max_days_supply, open_days):
        if len(fills) == count:
            break
        fills.append(fill)
    return tuple(fills)


@lru_cache(maxsize=16384)
def _fills_through(
    sync_date: dt.date,
    days_supply: int,
    cycle: Cycle,
    through: dt.date,
    max_days_supply: int | None,
    open_days: OpenDays,
) -> tuple[CycleFill, ...]:
    fills: list[CycleFill] = []
    for fill in _regular_fills(sync_date, days_supply, cycle, max_days_supply, open_days):
        if fill.fill_date > through:
            break
        fills.append(fill)
    return tuple(fills)


def _regular_fills(
    sync_date: dt.date,
    days_supply: int,
    cycle: Cycle,
    max_days_supply: int | None,
    open_days: OpenDays,
) -> Iterator[CycleFill]:
    step = cycles_per_fill(days_supply, cycle)
    current = sync_date
    while True:
        spans = step
        following = _anchors_later(current, cycle, spans)
        while (
            spans > 1
            and max_days_supply is not None
            and (following - current).days > max_days_supply
        ):
            spans -= 1
            following = _anchors_later(current, cycle, spans)
        yield CycleFill(open_days.open_on_or_before(current), (following - current).days)
        current = following
