"""Was a cycle picked up? Pure: the fills around one anchor in, the cycle's state out.

A fill belongs to the cycle of anchor A when it was prepared, or picked up, from
`lead_days` before A to `grace_days` after it (the window). The medicines expected are those
filled for the window and not reversed or returned to stock. The cycle is:

- picked up: every medicine expected was picked up in the window;
- partly picked up: some were;
- not picked up: none was (including nothing filled at all).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

PICKED_UP = "picked_up"
PARTLY_PICKED_UP = "partly_picked_up"
NOT_PICKED_UP = "not_picked_up"
COUNTED = ("dispensed", "picked_up")


@dataclass(frozen=True)
class FillSeen:
    rx_number: str
    fill_date: dt.date
    state: str  # dispensed, picked_up, returned_to_stock, reversed
    picked_up_on: dt.date | None = None


def window(anchor: dt.date, grace_days: int, lead_days: int = 7) -> tuple[dt.date, dt.date]:
    return anchor - dt.timedelta(days=lead_days), anchor + dt.timedelta(days=grace_days)


def cycle_state(
    anchor: dt.date, fills: Iterable[FillSeen], grace_days: int, lead_days: int = 7
) -> str:
    start, end = window(anchor, grace_days, lead_days)
    expected: set[str] = set()
    picked: set[str] = set()
    for fill in fills:
        if fill.state not in COUNTED:
            continue
        if fill.state == "picked_up" and fill.picked_up_on and start <= fill.picked_up_on <= end:
            picked.add(fill.rx_number)
            expected.add(fill.rx_number)
        elif start <= fill.fill_date <= end:
            expected.add(fill.rx_number)
    if not picked:
        return NOT_PICKED_UP
    return PICKED_UP if expected <= picked else PARTLY_PICKED_UP
