"""The report's period: whole local days in the pharmacy's time zone, both ends included."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.reports.errors import ReportError

DEFAULT_DAYS = 90  # without --from: the 90 days that end on --to (today by default)
LONGEST_DAYS = 3 * 366  # a longer period is almost always a typo in the year


@dataclass(frozen=True)
class Period:
    first: dt.date  # the first day counted
    last: dt.date  # the last day counted
    timezone: str

    @property
    def start(self) -> dt.datetime:
        """The first instant counted, in UTC: midnight at the pharmacy on the first day."""
        return _midnight(self.first, self.timezone)

    @property
    def end(self) -> dt.datetime:
        """The first instant not counted: midnight at the pharmacy after the last day."""
        return _midnight(self.last + dt.timedelta(days=1), self.timezone)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def local_date(self, when: dt.datetime) -> dt.date:
        return when.astimezone(ZoneInfo(self.timezone)).date()

    def describe(self) -> str:
        return f"{self.first.isoformat()} to {self.last.isoformat()}"


def _midnight(day: dt.date, timezone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), ZoneInfo(timezone)).astimezone(dt.UTC)


def parse_day(raw: str | None, what: str) -> dt.date | None:
    """A YYYY-MM-DD date, or None when not given; a sentence when it is not a date."""
    text = (raw or "").replace("\x00", "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10]) if len(text) == 10 else _refuse(text, what)
    except ValueError:
        return _refuse(text, what)


def _refuse(text: str, what: str) -> dt.date:
    shown = text if len(text) <= 20 else text[:20] + "..."
    raise ReportError(f"The {what} date {shown!r} is not a date: write it as YYYY-MM-DD.")


def period_for(
    first: dt.date | None, last: dt.date | None, today: dt.date, timezone: str
) -> Period:
    """The period asked for, with the defaults filled in, or ReportError with a sentence."""
    end = last or today
    start = first or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ReportError(
            f"The period starts ({start.isoformat()}) after it ends ({end.isoformat()})."
        )
    if (end - start).days + 1 > LONGEST_DAYS:
        raise ReportError(f"Choose a period of at most {LONGEST_DAYS} days.")
    return Period(start, end, timezone)
