"""The anchor cycle: what is due now, found with a few set-based queries.

Run every few minutes (an RQ job on `medsync worker`, a thread in `medsync serve` without
Redis). Each step happens once per patient per cycle however often this runs and on
however many workers: a (patient, anchor date, kind) row in cycle_event is the proof, and
the check-in and message rows have unique keys of their own.

Every "T-n" counts back from the day the patient really comes: a pickup whose anchor falls on a
day the pharmacy is closed (a Sunday, Christmas Day, the pharmacy's own dates) is handed out on
the previous open day (bot/program/open_days.py), and the texts name that day. The cycle still
counts from the anchor by the calendar (enrollment.next_anchor_date).

- T-7: open the check-in (its first question goes out as a text).
- 48 h after it opened with the check-in still open: one follow-up that re-asks the question.
- T-3 and still no answer (or no way to text): the patient goes on the staff call list.
- T-1 with the check-in clear: the pickup reminder.
- After the pickup day: the anchor becomes a pickup cycle (bot/outreach/pickups.py), judged
  `not_picked_up_days` later from the dispensing records, and the enrollment moves on to its
  next anchor date.
- Queued texts whose time has come and no job in sight are handed to the jobs again.

This module runs the steps in that order, per pharmacy, and moves the anchors and sweeps the
queue itself. The check-in's steps (T-7, the follow-up, T-3) are in
bot/outreach/check_in_steps.py, the T-1 reminder in bot/outreach/pickup_reminders.py, what
they share in bot/outreach/cycle_events.py, and the run's counts (`DueReport`) in
bot/outreach/due_report.py.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import cast

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, local_date
from bot.conversation.runtime import Runtime
from bot.outreach import pickups as pickup_steps
from bot.outreach.check_in_steps import call_list, follow_ups, open_check_ins
from bot.outreach.due_report import DueReport, PharmacyRun
from bot.outreach.jobs import Jobs, send_all
from bot.outreach.pickup_reminders import pickup_reminders
from bot.program.open_days import open_days_of
from bot.settings.outreach import OutreachSettings
from dialogs.plan.cycles import next_anchor
from dialogs.plan.model import Cycle, PlanError
from dialogs.plan.open_days import OpenDays
from store.db import transaction
from store.models import (
    Channel,
    Direction,
    Enrollment,
    EnrollmentStatus,
    Message,
    MessageStatus,
    Patient,
    Pharmacy,
)

log = logging.getLogger(__name__)
CYCLES = ("monthly", "28_day", "84_day", "91_day", "90_day")
SWEEP_LIMIT = 500


class Scheduler:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        runtime: Runtime,
        clock: Clock,
        settings: OutreachSettings | None = None,
    ) -> None:
        self.sessions = sessions
        self.runtime = runtime
        self.clock = clock
        self.settings = settings or OutreachSettings()

    def run(self, jobs: Jobs) -> DueReport:
        """Find and write what is due, then hand the new texts to the jobs (after commit)."""
        report = self.find_due()
        send_all(jobs, report.to_send)  # a morning's reminders go in batch jobs on RQ
        return report

    def find_due(self) -> DueReport:
        report = DueReport()
        with transaction(self.sessions) as session:
            pharmacies = [
                (p.id, p.timezone, _calendar(p)) for p in session.scalars(select(Pharmacy))
            ]
        for pharmacy_id, zone, days in pharmacies:
            today = local_date(self.clock, zone)
            self._pickup_cycles(pharmacy_id, today, report)  # before the anchors move on
            self._move_anchors(pharmacy_id, today, report)
            run = PharmacyRun(
                self.sessions, self.clock, self.settings, pharmacy_id, today, report, days
            )
            open_check_ins(run, self.runtime)
            follow_ups(run, self.runtime)
            call_list(run)
            pickup_reminders(run)
        self._sweep(report)
        return report

    # ------------------------------------------------------------------ the steps

    def _pickup_cycles(self, pharmacy_id: int, today: dt.date, report: DueReport) -> None:
        """Passed anchors become pickup cycles; those past their grace days are judged
        (bot/outreach/pickups.py: not picked up, dropped out)."""
        now = self.clock.now()
        with transaction(self.sessions) as session:
            opened = pickup_steps.open_cycles(session, pharmacy_id, today, now)
            report.pickups.cycles_opened += opened
            pharmacy = session.get(Pharmacy, pharmacy_id)
            assert pharmacy is not None
            pickup_steps.judge_cycles(session, pharmacy, today, now, report.pickups, report.to_send)

    def _move_anchors(self, pharmacy_id: int, today: dt.date, report: DueReport) -> None:
        with transaction(self.sessions) as session:
            rows = session.execute(
                select(Enrollment.id, Enrollment.next_anchor_date, Enrollment.cycle)
                .join(Patient, Patient.id == Enrollment.patient_id)
                .where(
                    Patient.pharmacy_id == pharmacy_id,
                    Enrollment.status == EnrollmentStatus.ACTIVE,
                    Enrollment.next_anchor_date < today,
                )
            ).all()
            for enrollment_id, anchor, cycle in rows:
                if cycle not in CYCLES or anchor is None:
                    log.warning("enrollment %s has an unknown cycle; not moved", enrollment_id)
                    continue
                following = anchor
                try:
                    while following < today:
                        following = next_anchor(following, cast(Cycle, cycle))
                except PlanError:
                    log.warning("enrollment %s has a pickup day past 28; not moved", enrollment_id)
                    continue
                # Compare-and-set: a second worker doing the same finds nothing to change.
                moved = session.execute(
                    update(Enrollment)
                    .where(Enrollment.id == enrollment_id, Enrollment.next_anchor_date == anchor)
                    .values(next_anchor_date=following, updated_at=self.clock.now())
                )
                report.anchors_moved += int(getattr(moved, "rowcount", 0))

    def _sweep(self, report: DueReport) -> None:
        """Queued texts past their time with no job in sight (a deferral on the embedded
        default, a lost job, a worker that died mid-send) go to the jobs again."""
        now = self.clock.now()
        grace = now - dt.timedelta(seconds=self.settings.sweep_grace_seconds)
        stale = now - dt.timedelta(seconds=self.settings.send_lease_seconds)
        with transaction(self.sessions) as session:
            ids = session.scalars(
                select(Message.id)
                .where(
                    Message.direction == Direction.OUTBOUND,
                    Message.channel == Channel.SMS,
                    or_(
                        and_(
                            Message.status == MessageStatus.QUEUED,
                            or_(
                                Message.deferred_until <= grace,
                                and_(Message.deferred_until.is_(None), Message.created_at <= grace),
                            ),
                        ),
                        and_(
                            Message.status == MessageStatus.SENDING,
                            Message.sid.is_(None),
                            Message.sent_at <= stale,
                        ),
                    ),
                )
                .order_by(Message.id)
                .limit(SWEEP_LIMIT)
            ).all()
        fresh = set(report.to_send)
        again = [i for i in ids if i not in fresh]
        report.resent += len(again)
        report.to_send.extend(again)


def _calendar(pharmacy: Pharmacy) -> OpenDays:
    try:
        return open_days_of(pharmacy)
    except PlanError as error:  # only `medsync pharmacy days` writes it, and it checks
        log.warning("pharmacy %s: its open days cannot be used (%s)", pharmacy.id, error)
        return OpenDays()
