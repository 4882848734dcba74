"""The dates around one anchor: check-in, follow-up, call list, preparation, reminder."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dialogs.plan.model import ProgramSettings


@dataclass(frozen=True)
class CycleCalendar:
    anchor: dt.date
    check_in: dt.date  # the pre-appointment questions go out
    no_answer_reminder: dt.date  # a second nudge when the check-in is unanswered
    call_list: dt.date  # still no answer: staff phone the patient
    prepare: dt.date  # fills ready, so rejections and renewals surface in time
    pickup_reminder: dt.date


def cycle_calendar(
    anchor: dt.date, settings: ProgramSettings, not_before: dt.date | None = None
) -> CycleCalendar:
    """The dates for one anchor; none earlier than `not_before` (today, for a first anchor).

    `anchor` is the day of the pickup itself (already moved off a closed day). The staff's
    days, preparing the fills and phoning, move to the previous open day; texts go any day.
    """

    def before(days: int, staff: bool = False) -> dt.date:
        day = anchor - dt.timedelta(days=days)
        if staff:
            day = settings.open_days.open_on_or_before(day)
        return day if not_before is None else max(day, not_before)

    check_in = before(settings.checkin_lead_days)
    call_list = before(settings.call_list_days_before, staff=True)
    # Whole days: the bot decides the hour; a 48 h follow-up lands two days after the check-in,
    # and never after the patient is already on the call list.
    followup_days = -(-settings.no_answer_followup_hours // 24)
    return CycleCalendar(
        anchor=anchor,
        check_in=check_in,
        no_answer_reminder=min(check_in + dt.timedelta(days=followup_days), call_list),
        call_list=call_list,
        prepare=before(settings.preparation_days, staff=True),
        pickup_reminder=before(settings.reminder_days_before),
    )


def disenrolls(missed_cycles: int, settings: ProgramSettings) -> bool:
    """Whether this many anchors in a row without a synced pickup end the enrollment."""
    return missed_cycles >= settings.dropout_cycles
