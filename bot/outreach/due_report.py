"""One run of the anchor-cycle scheduler: what each of its steps works with at one pharmacy
(`PharmacyRun`), and what the run did, in counts (`DueReport`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.outreach import pickups as pickup_steps
from bot.settings.outreach import OutreachSettings
from dialogs.plan.open_days import ALWAYS_OPEN, OpenDays


@dataclass
class DueReport:
    """What one run did, in counts (ids only: this may be logged)."""

    anchors_moved: int = 0
    check_ins: int = 0
    follow_ups: int = 0
    call_list: int = 0
    reminders: int = 0
    resent: int = 0
    to_send: list[int] = field(default_factory=list)
    pickups: pickup_steps.PickupReport = field(default_factory=pickup_steps.PickupReport)

    def summary(self) -> str:
        text = (
            f"{self.check_ins} check-ins opened, {self.follow_ups} follow-ups, "
            f"{self.reminders} pickup reminders, {self.call_list} added to the call list, "
            f"{self.anchors_moved} pickup dates moved on, {self.resent} queued texts handed "
            "to the sender again"
        )
        p = self.pickups
        if p.not_picked_up or p.picked_up or p.partly_picked_up:
            text += (
                f"; pickups: {p.picked_up} picked up, {p.partly_picked_up} partly, "
                f"{p.not_picked_up} not picked up, {p.dropped_out} dropped out"
            )
        return text


@dataclass(frozen=True)
class PharmacyRun:
    """The scheduler's run at one pharmacy, as each step sees it (bot/outreach/
    check_in_steps.py, pickup_reminders.py): where to read and write, the time, the settings,
    the pharmacy's local day and open days, and the report the steps count into."""

    sessions: sessionmaker[Session]
    clock: Clock
    settings: OutreachSettings
    pharmacy_id: int
    today: dt.date
    report: DueReport
    days: OpenDays = ALWAYS_OPEN
