"""A pharmacy's open days and hours, as stored on the pharmacy (pharmacy.open_days, .hours).

The rules are dialogs/plan/open_days.py's (pure); this reads and writes the pharmacy's choice:
which weekdays it closes, which holiday calendar it keeps (US federal holidays unless told
otherwise, from the `holidays` library), the holidays it opens on anyway, and its own closed
dates. Nothing stored (None) means closed on US federal holidays only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from dialogs.plan.model import PlanError
from dialogs.plan.open_days import WEEKDAY_NAMES, MovedDate, OpenDays, pickup_day
from store.models import Pharmacy

KEYS = (
    "closed_weekdays",
    "holidays",
    "holiday_subdivision",
    "observed",
    "open_on_holidays",
    "closed_dates",
)


def from_stored(stored: Mapping[str, Any] | None) -> OpenDays:
    """The calendar a stored value means; PlanError with a sentence when it cannot be used."""
    if not stored:
        return OpenDays()
    unknown = sorted(set(stored) - set(KEYS))
    if unknown:
        raise PlanError(f"Open days: unknown setting {', '.join(unknown)}.")
    try:
        dates = frozenset(dt.date.fromisoformat(str(d)) for d in stored.get("closed_dates", ()))
    except ValueError as error:
        raise PlanError(f"Open days: a closed date is not YYYY-MM-DD ({error}).") from None
    return OpenDays(
        closed_weekdays=frozenset(int(d) for d in stored.get("closed_weekdays", ())),
        closed_dates=dates,
        holiday_country=stored.get("holidays", "US"),
        holiday_subdivision=stored.get("holiday_subdivision"),
        observed=bool(stored.get("observed", False)),
        open_on_holidays=frozenset(str(n) for n in stored.get("open_on_holidays", ())),
    )


def to_stored(days: OpenDays) -> dict[str, Any]:
    return {
        "closed_weekdays": sorted(days.closed_weekdays),
        "holidays": days.holiday_country,
        "holiday_subdivision": days.holiday_subdivision,
        "observed": days.observed,
        "open_on_holidays": sorted(days.open_on_holidays),
        "closed_dates": [d.isoformat() for d in sorted(days.closed_dates)],
    }


def open_days_of(pharmacy: Pharmacy) -> OpenDays:
    return from_stored(pharmacy.open_days)


def pickup_on(days: OpenDays, anchor: dt.date, today: dt.date | None = None) -> MovedDate:
    """The day what is due on `anchor` is handed out: the previous open day when closed."""
    return pickup_day(anchor, days, not_before=today or anchor - dt.timedelta(days=30))


def real_pickup(pharmacy: Pharmacy, anchor: dt.date, today: dt.date) -> dt.date:
    """The day `pharmacy` hands out what is due on `anchor` (the open day before, if closed)."""
    return pickup_on(open_days_of(pharmacy), anchor, today).actual


def next_pickup(pharmacy: Pharmacy, anchor: dt.date | None, today: dt.date) -> MovedDate | None:
    """An enrollment's next anchor and the day the patient really comes, for staff screens."""
    return None if anchor is None else pickup_on(open_days_of(pharmacy), anchor, today)


def weekday_number(name: str) -> int:
    """ "sun", "Sunday" or "6" -> 6; PlanError with a sentence otherwise."""
    text = name.strip().lower()
    if text.isdigit() and 0 <= int(text) <= 6:
        return int(text)
    for number, full in enumerate(WEEKDAY_NAMES):
        if len(text) >= 3 and full.lower().startswith(text):
            return number
    raise PlanError(f"{name!r} is not a weekday; write Monday .. Sunday (or Mon .. Sun).")


def describe(days: OpenDays, hours: str | None) -> list[str]:
    """The calendar in sentences, for `medsync pharmacy days` and the pharmacist's screens."""
    closed = ", ".join(WEEKDAY_NAMES[d] for d in sorted(days.closed_weekdays)) or "none"
    if days.holiday_country is None:
        holidays = "none (open on public holidays)"
    else:
        holidays = days.holiday_country + (
            f" and {days.holiday_subdivision}" if days.holiday_subdivision else ""
        )
        if days.observed:
            holidays += ", also the weekday a weekend holiday is observed"
    shown = [
        f"Hours: {hours or 'not set'}",
        f"Closed every week: {closed}",
        f"Closed on holidays: {holidays}",
    ]
    if days.open_on_holidays:
        shown.append(f"Open anyway on: {', '.join(sorted(days.open_on_holidays))}")
    shown.append(
        "Closed dates: " + (", ".join(d.isoformat() for d in sorted(days.closed_dates)) or "none")
    )
    return shown


def closed_between(days: OpenDays, start: dt.date, end: dt.date) -> Iterable[tuple[dt.date, str]]:
    """Each closed day from `start` through `end`, with why."""
    day = start
    while day <= end:
        because = days.closed_because(day)
        if because is not None:
            yield day, because
        day += dt.timedelta(days=1)
