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
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.sms_text import compose
from bot.clock import Clock, local_date
from bot.conversation.messages import outbound_message
from bot.conversation.runtime import Runtime
from bot.languages import serving
from bot.languages.catalogs import format_date
from bot.outreach import pickups as pickup_steps
from bot.outreach.cycle_events import record_event, textable
from bot.outreach.jobs import Jobs, send_all
from bot.program import households, services
from bot.program.caregivers import recipients as caregiver_phones
from bot.program.open_days import open_days_of, pickup_on
from bot.program.preferences import calling
from bot.settings.outreach import OutreachSettings
from dialogs import prompts
from dialogs.plan.cycles import next_anchor
from dialogs.plan.model import Cycle, PlanError
from dialogs.plan.open_days import ALWAYS_OPEN, LONGEST_CLOSURE_DAYS, OpenDays
from dialogs.turn import Say
from store import queries
from store.caregivers import caregivers_of
from store.db import transaction
from store.models import (
    Channel,
    CheckIn,
    CheckInStatus,
    Conversation,
    Direction,
    Enrollment,
    EnrollmentStatus,
    Message,
    MessageStatus,
    Patient,
    Pharmacy,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)
from store.outreach import CycleEvent, CycleEventKind
from store.preferences import detailed_messages

log = logging.getLogger(__name__)
CYCLES = ("monthly", "28_day", "84_day", "91_day", "90_day")
SWEEP_LIMIT = 500


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


def _claimed(kind: CycleEventKind, anchor: object) -> object:
    return exists().where(
        CycleEvent.patient_id == Patient.id,
        CycleEvent.anchor_date == anchor,
        CycleEvent.kind == kind.value,
    )


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
            self._open_check_ins(pharmacy_id, today, report, days)
            self._follow_ups(pharmacy_id, today, report)
            self._call_list(pharmacy_id, today, report, days)
            self._pickup_reminders(pharmacy_id, today, report, days)
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

    def _open_check_ins(
        self, pharmacy_id: int, today: dt.date, report: DueReport, days: OpenDays = ALWAYS_OPEN
    ) -> None:
        s = self.settings
        anchor = Enrollment.next_anchor_date
        slack = dt.timedelta(days=_slack(days))
        with transaction(self.sessions) as session:
            found = session.execute(
                select(Patient, anchor)
                .join(Enrollment, Enrollment.patient_id == Patient.id)
                .where(
                    Patient.pharmacy_id == pharmacy_id,
                    Patient.opted_out.is_(False),
                    Enrollment.status == EnrollmentStatus.ACTIVE,
                    anchor <= today + dt.timedelta(days=s.check_in_days_before) + slack,
                    # Too late for a text once the call list has taken over.
                    anchor > today + dt.timedelta(days=s.call_list_days_before),
                    ~_claimed(CycleEventKind.CHECK_IN, anchor),  # type: ignore[operator]
                )
            ).all()
            # Counted back from the day the patient comes (moved off a closed day).
            due = [
                (p, a)
                for p, a in found
                if a is not None
                and _pickup(days, a, today) - dt.timedelta(days=s.check_in_days_before) <= today
                and _pickup(days, a, today) > today + dt.timedelta(days=s.call_list_days_before)
            ]
            # A patient without a textable phone is still texted through a caregiver's.
            work = [
                (p.id, p.external_id, textable(p) or bool(caregivers_of(session, p.id)), a)
                for p, a in due
                if a is not None
            ]
            # Patients who asked for calls get their check-in by phone (bot/call_placing.py).
            wants_calls = calling(session, [w[0] for w in work])
            work = [(i, e, can and i not in wants_calls, a) for i, e, can, a in work]
        for patient_id, external_id, can_text, anchor_date in work:
            if not can_text:
                with transaction(self.sessions) as session:
                    record_event(
                        session,
                        patient_id,
                        anchor_date,
                        CycleEventKind.CHECK_IN,
                        self.clock.now(),
                        note="No SMS-capable number: the check-in waits for a call.",
                    )
                continue
            try:
                outbound = self.runtime.open_check_in(pharmacy_id, external_id, anchor_date)
            except IntegrityError:
                continue  # another worker opened it at the same moment
            with transaction(self.sessions) as session:
                message_id = outbound.message_id if outbound else None
                note = None if outbound else "The check-in was open already, or nothing to send."
                if record_event(
                    session,
                    patient_id,
                    anchor_date,
                    CycleEventKind.CHECK_IN,
                    self.clock.now(),
                    message_id,
                    note,
                ):
                    report.check_ins += 1
            if outbound is not None:
                report.to_send.append(outbound.message_id)
                report.to_send.extend(outbound.others)  # the patient's caregivers

    def _follow_ups(self, pharmacy_id: int, today: dt.date, report: DueReport) -> None:
        now = self.clock.now()
        waited = now - dt.timedelta(hours=self.settings.follow_up_hours)
        with transaction(self.sessions) as session:
            due = session.execute(
                select(Patient.id, Patient.external_id, CheckIn.anchor_date)
                .join(CheckIn, CheckIn.patient_id == Patient.id)
                .where(
                    Patient.pharmacy_id == pharmacy_id,
                    Patient.opted_out.is_(False),
                    CheckIn.status == CheckInStatus.OPEN,
                    CheckIn.opened_at <= waited,
                    CheckIn.anchor_date > today,
                    ~_claimed(CycleEventKind.FOLLOW_UP, CheckIn.anchor_date),  # type: ignore[operator]
                )
            ).all()
        for patient_id, external_id, anchor_date in due:
            try:
                outbound = self.runtime.follow_up(pharmacy_id, external_id, anchor_date)
            except IntegrityError:
                continue
            with transaction(self.sessions) as session:
                if record_event(
                    session,
                    patient_id,
                    anchor_date,
                    CycleEventKind.FOLLOW_UP,
                    self.clock.now(),
                    outbound.message_id if outbound else None,
                    None if outbound else "The patient was no longer in this check-in.",
                ):
                    report.follow_ups += 1
            if outbound is not None:
                report.to_send.append(outbound.message_id)
                report.to_send.extend(outbound.others)  # the patient's caregivers

    def _call_list(
        self, pharmacy_id: int, today: dt.date, report: DueReport, days: OpenDays = ALWAYS_OPEN
    ) -> None:
        s = self.settings
        anchor = Enrollment.next_anchor_date
        now = self.clock.now()
        slack = dt.timedelta(days=_slack(days))
        with transaction(self.sessions) as session:
            due = session.execute(
                select(Patient.id, anchor, CheckIn.id)
                .join(Enrollment, Enrollment.patient_id == Patient.id)
                .outerjoin(
                    CheckIn, and_(CheckIn.patient_id == Patient.id, CheckIn.anchor_date == anchor)
                )
                .where(
                    Patient.pharmacy_id == pharmacy_id,
                    Enrollment.status == EnrollmentStatus.ACTIVE,
                    anchor >= today,
                    anchor <= today + dt.timedelta(days=s.call_list_days_before) + slack,
                    or_(CheckIn.id.is_(None), CheckIn.status == CheckInStatus.OPEN),
                    ~_claimed(CycleEventKind.CALL_LIST, anchor),  # type: ignore[operator]
                )
            ).all()
            # Staff call on an open day: T-3 from the real pickup, or the open day before it.
            due = [
                row
                for row in due
                if row[1] is not None
                and _pickup(days, row[1], today) >= today
                and days.open_on_or_before(
                    _pickup(days, row[1], today) - dt.timedelta(days=s.call_list_days_before)
                )
                <= today
            ]
            for patient_id, anchor_date, check_in_id in due:
                # The event and the review item commit together: exactly one item per cycle.
                if anchor_date is None or not record_event(
                    session, patient_id, anchor_date, CycleEventKind.CALL_LIST, now
                ):
                    continue
                when = format_date(_pickup(days, anchor_date, today), "en")
                if check_in_id is None:
                    summary = (
                        f"No check-in could be sent by text before the pickup on {when}. "
                        "Please call the patient."
                    )
                else:
                    summary = (
                        f"No answer to the check-in before the pickup on {when}. "
                        "Please call the patient."
                    )
                    session.execute(
                        update(CheckIn)
                        .where(CheckIn.id == check_in_id, CheckIn.status == CheckInStatus.OPEN)
                        .values(status=CheckInStatus.NO_ANSWER)
                    )
                session.add(
                    ReviewItem(
                        pharmacy_id=pharmacy_id,
                        patient_id=patient_id,
                        kind=ReviewKind.NO_ANSWER,
                        status=ReviewStatus.PENDING,
                        priority=1,
                        summary=summary,
                        details={"anchor_date": anchor_date.isoformat()},
                        check_in_id=check_in_id,
                        created_at=now,
                    )
                )
                report.call_list += 1

    def _pickup_reminders(
        self, pharmacy_id: int, today: dt.date, report: DueReport, days: OpenDays = ALWAYS_OPEN
    ) -> None:
        ahead = today + dt.timedelta(days=self.settings.pickup_reminder_days_before)
        slack = dt.timedelta(days=_slack(days))
        now = self.clock.now()
        with transaction(self.sessions) as session:
            pharmacy = session.get(Pharmacy, pharmacy_id)
            assert pharmacy is not None
            found_reminders = session.execute(
                select(Patient, CheckIn.anchor_date)
                .join(CheckIn, CheckIn.patient_id == Patient.id)
                .where(
                    Patient.pharmacy_id == pharmacy_id,
                    Patient.opted_out.is_(False),
                    CheckIn.status.in_((CheckInStatus.READY, CheckInStatus.APPROVED)),
                    CheckIn.anchor_date > today,
                    CheckIn.anchor_date <= ahead + slack,
                    ~_claimed(CycleEventKind.PICKUP_REMINDER, CheckIn.anchor_date),  # type: ignore[operator]
                )
            ).all()
            # The day before the patient really comes, which the text names.
            due = [(p, a) for p, a in found_reminders if today < _pickup(days, a, today) <= ahead]
            wants_calls = calling(session, [p.id for p, _ in due])
            detailed = detailed_messages(session, [p.id for p, _ in due])
            for patient, anchor_date in due:
                # No text to the patient's own phone when they asked for calls instead.
                texted = textable(patient) and patient.id not in wants_calls
                phones = caregiver_phones(session, patient, texted)
                if not phones:
                    record_event(
                        session,
                        patient.id,
                        anchor_date,
                        CycleEventKind.PICKUP_REMINDER,
                        now,
                        note="No text reminder: a landline or calls asked for (a reminder call).",
                    )
                    continue
                if not record_event(
                    session, patient.id, anchor_date, CycleEventKind.PICKUP_REMINDER, now
                ):
                    continue
                pickup = _pickup(days, anchor_date, today)
                say = Say(prompts.PICKUP_REMINDER, {"pharmacy": pharmacy.name, "date": pickup})
                say = households.reminder_naming(session, patient, say)
                # Medicines are named only to the patient's own phone, and only if they opted in.
                own = _detailed_reminder(patient, say) if detailed[patient.id] else say
                language = serving.language_for(session, pharmacy, patient, now)
                key = f"pickup:{patient.id}:{anchor_date.isoformat()}:reminder"
                written = []
                for phone in phones:  # the patient's own phone first, then each caregiver's
                    conversation = queries.locked_conversation(session, pharmacy_id, phone, now)
                    replies: list[Say] = [own if phone == patient.phone else say]
                    if phone == patient.phone and pharmacy.services:
                        replies += _offer_with_reminder(
                            session, pharmacy, patient, conversation, anchor_date, pickup, now
                        )
                    written.append(
                        outbound_message(
                            conversation.id,
                            pharmacy_id,
                            patient.id,
                            phone,
                            compose(replies, language, True),
                            language,
                            now,
                            idempotency_key=key if phone == patient.phone else f"{key}:{phone}",
                        )
                    )
                session.add_all(written)
                session.flush()
                message = written[0]
                report.to_send.extend(m.id for m in written[1:])
                session.execute(
                    update(CycleEvent)
                    .where(
                        CycleEvent.patient_id == patient.id,
                        CycleEvent.anchor_date == anchor_date,
                        CycleEvent.kind == CycleEventKind.PICKUP_REMINDER.value,
                    )
                    .values(message_id=message.id)
                )
                report.reminders += 1
                report.to_send.append(message.id)

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


def _offer_with_reminder(
    session: Session,
    pharmacy: Pharmacy,
    patient: Patient,
    conversation: Conversation,
    anchor: dt.date,
    pickup: dt.date,
    now: dt.datetime,
) -> list[Say]:
    """A service the pharmacy offers with the reminder (docs/SERVICES.md), asked in the same
    text, when the patient's own conversation is not waiting for another answer."""
    asked = services.offer_with_reminder(
        session, pharmacy, patient, conversation, anchor, pickup, now
    )
    return [] if asked is None else [asked]


def _calendar(pharmacy: Pharmacy) -> OpenDays:
    try:
        return open_days_of(pharmacy)
    except PlanError as error:  # only `medsync pharmacy days` writes it, and it checks
        log.warning("pharmacy %s: its open days cannot be used (%s)", pharmacy.id, error)
        return OpenDays()


def _slack(days: OpenDays) -> int:
    """How much earlier than its anchor a pickup may be (a run of closed days)."""
    return 0 if days.never_closed else LONGEST_CLOSURE_DAYS


def _pickup(days: OpenDays, anchor: dt.date, today: dt.date) -> dt.date:
    return pickup_on(days, anchor, today).actual


def _detailed_reminder(patient: Patient, plain: Say) -> Say:
    """The reminder naming the patient's regular medicines (they opted in to detailed
    messages); the plain one when none is on file."""
    names = sorted(
        {
            rx.drug_name
            for rx in patient.prescriptions
            if rx.active and rx.maintenance and not rx.prn
        }
    )
    if not names:
        return plain
    return Say(prompts.PICKUP_REMINDER_DETAILED, {**plain.params, "medicines": ", ".join(names)})
