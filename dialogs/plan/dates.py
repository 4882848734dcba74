"""Calendar arithmetic for fills and anchor days.  Every "today" is a parameter."""

from __future__ import annotations

import calendar
import datetime as dt
from functools import lru_cache

from dialogs.plan.model import PlanError

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Days 29-31 are missing from some months; a pickup day must exist every month.
LAST_ANCHOR_DAY = 28


def next_due(fill_date: dt.date, days_supply: int) -> dt.date:
    """A fill on F for D days covers F .. F+D-1, so the next one is due on F+D."""
    return fill_date + dt.timedelta(days=days_supply)


def refill_eligible_date(fill_date: dt.date, days_supply: int, window_pct: int) -> dt.date:
    """The first day a payer accepts the next claim: F + ceil(D x pct)."""
    # Integer ceiling: a Decimal or float product would make 30 x 80% = 24.000000001 possible.
    used_days = -(-days_supply * window_pct // 100)
    return fill_date + dt.timedelta(days=used_days)


def check_anchor_day(day: int) -> int:
    if not 1 <= day <= LAST_ANCHOR_DAY:
        raise PlanError(
            f"Anchor day must be 1-{LAST_ANCHOR_DAY} so that every month has it (got {day})."
        )
    return day


@lru_cache(maxsize=8192)
def add_months(start: dt.date, months: int) -> dt.date:
    """Same day-of-month `months` later; the 31st becomes the month's last day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def day_of_month_on_or_after(day: int, on_or_after: dt.date) -> dt.date:
    """The first date with this day-of-month (1-28) that is not before `on_or_after`."""
    check_anchor_day(day)
    candidate = on_or_after.replace(day=day)
    return candidate if candidate >= on_or_after else add_months(candidate, 1)


def first_anchor_date(day: int, today: dt.date, preparation_days: int) -> dt.date:
    """The patient's first pickup on `day`: at least `preparation_days` after today.

    The pharmacy prepares fills a few days ahead, so an anchor closer than that is next month's.
    """
    return day_of_month_on_or_after(day, today + dt.timedelta(days=preparation_days))


def format_date(day: dt.date) -> str:
    """ "Dec 3, 2026": English for the pharmacist, independent of the process locale."""
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def ordinal(day: int) -> str:
    """The 1st, 2nd, 3rd ... 28th, as pharmacists say anchor days."""
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
