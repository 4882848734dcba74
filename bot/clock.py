"""Time as a dependency: the real clock, or a frozen one for tests and golden runs."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """Aware UTC."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FrozenClock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def now(self) -> dt.datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at = self.at + dt.timedelta(**delta)


def local_date(clock: Clock, timezone: str) -> dt.date:
    """Today where the pharmacy is: check-ins and pickups are local dates."""
    return clock.now().astimezone(ZoneInfo(timezone)).date()
