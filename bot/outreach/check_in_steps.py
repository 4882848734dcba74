"""The scheduler's check-in steps, counted back from the day the patient really comes.

- T-7: `open_check_ins` opens the check-in (its first question goes out as a text; a patient
  who cannot be texted, or asked for calls, waits for a call).
- 48 h after it opened with the check-in still open: `follow_ups` sends one follow-up that
  re-asks the question.
- T-3 and still no answer (or no way to text): `call_list` puts the patient on the staff call
  list (a "No answer" review item).

Each step happens once per patient per cycle (bot/outreach/cycle_events.py). Run by the
anchor-cycle scheduler (bot/outreach/scheduler.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.conversation.runtime import Runtime
from bot.languages.catalogs import format_date
from bot.outreach.cycle_events import claimed, closure_slack, pickup_day, record_event, textable
from bot.outreach.due_report import PharmacyRun
from bot.program.preferences import calling
from store.caregivers import caregivers_of
from store.db import transaction
from store.models import (
    CheckIn,
    CheckInStatus,
    Enrollment,
    EnrollmentStatus,
    Patient,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)
from store.outreach import CycleEventKind


def open_check_ins(run: PharmacyRun, runtime: Runtime) -> None:
    """T-7: open the check-in; its first question goes out as a text (or it waits for a call)."""
    s = run.settings
    anchor = Enrollment.next_anchor_date
    slack = dt.timedelta(days=closure_slack(run.days))
    with transaction(run.sessions) as session:
        found = session.execute(
            select(Patient, anchor)
            .join(Enrollment, Enrollment.patient_id == Patient.id)
            .where(
                Patient.pharmacy_id == run.pharmacy_id,
                Patient.opted_out.is_(False),
                Enrollment.status == EnrollmentStatus.ACTIVE,
                anchor <= run.today + dt.timedelta(days=s.check_in_days_before) + slack,
                # Too late for a text once the call list has taken over.
                anchor > run.today + dt.timedelta(days=s.call_list_days_before),
                ~claimed(CycleEventKind.CHECK_IN, anchor),  # type: ignore[operator]
            )
        ).all()
        # Counted back from the day the patient comes (moved off a closed day).
        due = [
            (p, a)
            for p, a in found
            if a is not None
            and pickup_day(run.days, a, run.today) - dt.timedelta(days=s.check_in_days_before)
            <= run.today
            and pickup_day(run.days, a, run.today)
            > run.today + dt.timedelta(days=s.call_list_days_before)
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
            with transaction(run.sessions) as session:
                record_event(
                    session,
                    patient_id,
                    anchor_date,
                    CycleEventKind.CHECK_IN,
                    run.clock.now(),
                    note="No SMS-capable number: the check-in waits for a call.",
                )
            continue
        try:
            outbound = runtime.open_check_in(run.pharmacy_id, external_id, anchor_date)
        except IntegrityError:
            continue  # another worker opened it at the same moment
        with transaction(run.sessions) as session:
            message_id = outbound.message_id if outbound else None
            note = None if outbound else "The check-in was open already, or nothing to send."
            if record_event(
                session,
                patient_id,
                anchor_date,
                CycleEventKind.CHECK_IN,
                run.clock.now(),
                message_id,
                note,
            ):
                run.report.check_ins += 1
        if outbound is not None:
            run.report.to_send.append(outbound.message_id)
            run.report.to_send.extend(outbound.others)  # the patient's caregivers


def follow_ups(run: PharmacyRun, runtime: Runtime) -> None:
    """48 h after it opened with the check-in still open: one follow-up re-asking the question."""
    now = run.clock.now()
    waited = now - dt.timedelta(hours=run.settings.follow_up_hours)
    with transaction(run.sessions) as session:
        due = session.execute(
            select(Patient.id, Patient.external_id, CheckIn.anchor_date)
            .join(CheckIn, CheckIn.patient_id == Patient.id)
            .where(
                Patient.pharmacy_id == run.pharmacy_id,
                Patient.opted_out.is_(False),
                CheckIn.status == CheckInStatus.OPEN,
                CheckIn.opened_at <= waited,
                CheckIn.anchor_date > run.today,
                ~claimed(CycleEventKind.FOLLOW_UP, CheckIn.anchor_date),  # type: ignore[operator]
            )
        ).all()
    for patient_id, external_id, anchor_date in due:
        try:
            outbound = runtime.follow_up(run.pharmacy_id, external_id, anchor_date)
        except IntegrityError:
            continue
        with transaction(run.sessions) as session:
            if record_event(
                session,
                patient_id,
                anchor_date,
                CycleEventKind.FOLLOW_UP,
                run.clock.now(),
                outbound.message_id if outbound else None,
                None if outbound else "The patient was no longer in this check-in.",
            ):
                run.report.follow_ups += 1
        if outbound is not None:
            run.report.to_send.append(outbound.message_id)
            run.report.to_send.extend(outbound.others)  # the patient's caregivers


def call_list(run: PharmacyRun) -> None:
    """T-3 and still no answer (or no way to text): the patient goes on the staff call list."""
    s = run.settings
    anchor = Enrollment.next_anchor_date
    now = run.clock.now()
    slack = dt.timedelta(days=closure_slack(run.days))
    with transaction(run.sessions) as session:
        due = session.execute(
            select(Patient.id, anchor, CheckIn.id)
            .join(Enrollment, Enrollment.patient_id == Patient.id)
            .outerjoin(
                CheckIn, and_(CheckIn.patient_id == Patient.id, CheckIn.anchor_date == anchor)
            )
            .where(
                Patient.pharmacy_id == run.pharmacy_id,
                Enrollment.status == EnrollmentStatus.ACTIVE,
                anchor >= run.today,
                anchor <= run.today + dt.timedelta(days=s.call_list_days_before) + slack,
                or_(CheckIn.id.is_(None), CheckIn.status == CheckInStatus.OPEN),
                ~claimed(CycleEventKind.CALL_LIST, anchor),  # type: ignore[operator]
            )
        ).all()
        # Staff call on an open day: T-3 from the real pickup, or the open day before it.
        due = [
            row
            for row in due
            if row[1] is not None
            and pickup_day(run.days, row[1], run.today) >= run.today
            and run.days.open_on_or_before(
                pickup_day(run.days, row[1], run.today) - dt.timedelta(days=s.call_list_days_before)
            )
            <= run.today
        ]
        for patient_id, anchor_date, check_in_id in due:
            # The event and the review item commit together: exactly one item per cycle.
            if anchor_date is None or not record_event(
                session, patient_id, anchor_date, CycleEventKind.CALL_LIST, now
            ):
                continue
            when = format_date(pickup_day(run.days, anchor_date, run.today), "en")
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
                    pharmacy_id=run.pharmacy_id,
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
            run.report.call_list += 1
