"""The days a pharmacy is open: weekly closed days, public holidays and its own closed dates.

A pickup, a short fill or a preparation day that falls on a closed day moves to the PREVIOUS
open day, so no medicine runs out while the pharmacy is shut. Holidays come from the
`holidays` library (deterministic calendar rules, computed for the years asked; no clock).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

import holidays

from dialogs.plan.errors import PlanError

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SUNDAY = 6
# Long enough for any run of closed days a pharmacy has (a long weekend with a holiday);
# a longer run means the settings are wrong, and a sentence says so.
LONGEST_CLOSURE_DAYS = 14


@lru_cache(maxsize=1)
def _supported() -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType(
        {country: tuple(subs) for country, subs in holidays.list_supported_countries().items()}
    )


@lru_cache(maxsize=256)
def _holidays_of_year(
    country: str, subdivision: str | None, observed: bool, year: int
) -> Mapping[dt.date, str]:
    found = holidays.country_holidays(country, subdiv=subdivision, years=year, observed=observed)
    return MappingProxyType(dict(found.items()))


@dataclass(frozen=True)
class OpenDays:
    """When a pharmacy can hand out medicine. The default: open every day but US federal holidays.

    `closed_weekdays` uses Python's numbering (0 Monday .. 6 Sunday). `holiday_country` is a
    country code the holidays library knows ("US"), or None for no public holidays;
    `holiday_subdivision` adds a state's own holidays ("NY" adds Lincoln's Birthday, Election
    Day...), which few pharmacies close for, so it is off by default. `observed` also closes
    the weekday on which a weekend holiday is observed (federal offices do; a shop is usually
    shut on the holiday itself). `open_on_holidays` names holidays, as the library spells them,
    on which the pharmacy opens anyway ("Columbus Day", "Veterans Day").
    """

    closed_weekdays: frozenset[int] = frozenset()
    closed_dates: frozenset[dt.date] = frozenset()
    holiday_country: str | None = "US"
    holiday_subdivision: str | None = None
    observed: bool = False
    open_on_holidays: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        problems: list[str] = []
        wrong = sorted(d for d in self.closed_weekdays if not 0 <= d <= SUNDAY)
        if wrong:
            problems.append(f"weekdays are 0 (Monday) to 6 (Sunday), not {wrong}")
        elif len(self.closed_weekdays) == len(WEEKDAY_NAMES):
            problems.append("a pharmacy closed every day of the week cannot run a sync program")
        if self.holiday_country is None:
            if self.holiday_subdivision is not None:
                problems.append("a holiday subdivision needs a holiday country")
        elif self.holiday_country not in _supported():
            problems.append(f"no holiday calendar for country {self.holiday_country!r}")
        elif (
            self.holiday_subdivision is not None
            and self.holiday_subdivision not in _supported()[self.holiday_country]
        ):
            problems.append(
                f"no holiday calendar for {self.holiday_country} subdivision "
                f"{self.holiday_subdivision!r}"
            )
        if problems:
            raise PlanError("Open days: " + "; ".join(problems) + ".")

    def holiday(self, day: dt.date) -> str | None:
        """The name of the holiday the pharmacy closes for on `day`, if any."""
        if self.holiday_country is None:
            return None
        names = _holidays_of_year(
            self.holiday_country, self.holiday_subdivision, self.observed, day.year
        ).get(day)
        if names is None:
            return None
        # The library joins two holidays on one day with "; ".
        closing = [n for n in names.split("; ") if n not in self.open_on_holidays]
        return "; ".join(closing) or None

    def closed_because(self, day: dt.date) -> str | None:
        """Why the pharmacy is closed on `day` ("Christmas Day", "Sunday"), or None if open."""
        if day in self.closed_dates:
            return "the pharmacy's closed date"
        holiday = self.holiday(day)
        if holiday is not None:
            return holiday
        if day.weekday() in self.closed_weekdays:
            return f"a {WEEKDAY_NAMES[day.weekday()]}"
        return None

    def is_open(self, day: dt.date) -> bool:
        return self.closed_because(day) is None

    def open_on_or_before(self, day: dt.date) -> dt.date:
        """`day` if the pharmacy is open then, else the previous open day."""
        return day if self.never_closed else _walk(self, day, -1)

    def open_on_or_after(self, day: dt.date) -> dt.date:
        """`day` if the pharmacy is open then, else the next open day."""
        return day if self.never_closed else _walk(self, day, 1)

    @property
    def never_closed(self) -> bool:
        return self.holiday_country is None and not self.closed_weekdays and not self.closed_dates


# A plan asks about the same few dates many times (every anchor day is planned to compare them).
@lru_cache(maxsize=4096)
def _walk(open_days: OpenDays, day: dt.date, step: int) -> dt.date:
    for offset in range(LONGEST_CLOSURE_DAYS + 1):
        candidate = day + dt.timedelta(days=step * offset)
        if open_days.is_open(candidate):
            return candidate
    raise PlanError(
        f"Open days: the pharmacy is closed for more than {LONGEST_CLOSURE_DAYS} days in a "
        f"row around {day.isoformat()}; check its closed dates."
    )


# For callers that know nothing of the pharmacy's calendar: no date ever moves.
ALWAYS_OPEN = OpenDays(holiday_country=None)
US_FEDERAL_HOLIDAYS = OpenDays()


@dataclass(frozen=True)
class MovedDate:
    """A date the calendar asked for and the day it really happens on."""

    planned: dt.date
    actual: dt.date
    because: str  # why `planned` cannot be used: "Christmas Day", "a Sunday"

    @property
    def moved(self) -> bool:
        return self.planned != self.actual


@lru_cache(maxsize=8192)  # pure, and asked about the same few dates while days are compared
def pickup_day(planned: dt.date, open_days: OpenDays, not_before: dt.date) -> MovedDate:
    """The day to hand out what is planned for `planned`: the previous open day when closed.

    Never before `not_before` (today): when every day from then to `planned` is closed, the
    next open day, the only day the pharmacy can do it.
    """
    because = open_days.closed_because(planned) or ""
    actual = open_days.open_on_or_before(planned)
    if actual < not_before:
        actual = open_days.open_on_or_after(max(planned, not_before))
    return MovedDate(planned, actual, because)
