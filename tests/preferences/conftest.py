"""The jobs tests' world (a seeded pharmacy, a frozen clock, the fake Twilio API)."""

from __future__ import annotations

import datetime as dt

from tests.jobs.conftest import fake, world  # noqa: F401  (fixtures)

ANCHOR = dt.date(2026, 12, 15)


def at_ten_in_new_york(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 15, 0, tzinfo=dt.UTC)
