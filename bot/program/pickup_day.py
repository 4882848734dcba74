"""Setting an enrollment's pickup day: the one place the day, its first synced pickup and the
day their plan was made (`planned_on`) change together.

The patient choosing a day in the enrollment dialog, staff changing it in the inbox, and a
late approval that moves the first synced pickup all come here. The scheduler moving
`next_anchor_date` on each cycle does not: the plan behind the day stays the one it was. The
prep-day worklist lists the plan's sync visits until a pickup cycle on or after `planned_on`
is behind the patient (bot/program/worklist.py).
"""

from __future__ import annotations

import datetime as dt

from store.models import Enrollment


def set_pickup_day(
    enrollment: Enrollment, day: int, first_synced_anchor: dt.date | None, today: dt.date
) -> None:
    """`day` is the enrollment's pickup day from now on, its first synced pickup the plan's as
    of `today` (the pharmacy's local date)."""
    enrollment.anchor_day = day
    enrollment.next_anchor_date = first_synced_anchor
    enrollment.planned_on = today
