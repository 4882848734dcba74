"""Outbound calls: invitations and check-ins for patients whose number cannot take texts.

A call is written first (scheduled, with a deterministic key), placed when its time comes
and the patient's local time allows it, and an unanswered one (busy, no answer, failed) is
tried once more, later and inside the allowed hours. Placing is safe to run twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session, sessionmaker

from bot.clock import Clock, local_date
from bot.conversation.call_records import move_status, note_unanswered
from bot.conversation.runtime import NotEnrolled, PatientNotFound
from bot.outreach.caller import Caller, CallError
from bot.outreach.sending_rules import next_preferred, windows_for
from bot.program.open_days import open_days_of, pickup_on
from bot.program.plans import proposal
from bot.program.preferences import calling, time_of_day
from bot.settings.outreach import OutreachSettings
from bot.settings.voice import VoiceSettings
from dialogs.plan.open_days import LONGEST_CLOSURE_DAYS
from store import queries
from store.calls import (
    FINAL,
    UNANSWERED,
    Call,
    CallMode,
    CallPurpose,
    CallStatus,
    call_by_key,
    due_calls,
    locked_call,
)
from store.db import transaction
from store.models import (
    CheckIn,
    CheckInStatus,
    Direction,
    Enrollment,
    EnrollmentStatus,
    Patient,
    Pharmacy,
)


@dataclass(frozen=True)
class ScheduledCall:
    call_id: int
    at: dt.datetime
    already: bool = False  # scheduled before under the same key


class CallRefused(Exception):
    """A call that may not be placed: the sentence says why, for staff."""


def prefers_calls(patient: Patient) -> bool:
    """Invitations and check-ins go by phone call to numbers that cannot take texts."""
    return patient.phone_type == "landline" or patient.sms_capable is False


class CallPlacer:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        settings: VoiceSettings | None = None,
        outreach: OutreachSettings | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings or VoiceSettings()
        self.outreach = outreach or OutreachSettings()

    def schedule(
        self,
        pharmacy_id: int,
        external_id: str,
        purpose: CallPurpose,
        anchor_date: dt.date | None = None,
    ) -> ScheduledCall:
        """Write an outbound call (an invitation or a check-in) to be placed inside the allowed
        hours; scheduling the same call twice gives the first one back."""
        now = self.clock.now()
        with transaction(self.sessions) as session:
            pharmacy = session.get(Pharmacy, pharmacy_id)
            patient = queries.patient_by_external_id(session, pharmacy_id, external_id)
            if pharmacy is None or patient is None:
                raise PatientNotFound(f"No patient {external_id} at pharmacy {pharmacy_id}.")
            if patient.opted_out:
                raise CallRefused(f"{external_id} has opted out of calls and texts.")
            anchor_date, key = self._purpose(session, pharmacy, patient, purpose, anchor_date)
            earlier = call_by_key(session, key)
            if earlier is not None:
                return ScheduledCall(earlier.id, earlier.scheduled_for or now, already=True)
            at = self.allowed_at(patient, pharmacy, now)
            call = _outbound(patient, purpose, anchor_date, key, at, now)
            session.add(call)
            session.flush()
            return ScheduledCall(call.id, at)

    def _purpose(
        self,
        session: Session,
        pharmacy: Pharmacy,
        patient: Patient,
        purpose: CallPurpose,
        anchor_date: dt.date | None,
    ) -> tuple[dt.date | None, str]:
        """The call's pickup date and its key, once the purpose is one the patient may get."""
        enrollment = queries.enrollments_of(session, [patient.id]).get(patient.id)
        who = patient.external_id
        if purpose == CallPurpose.CHECK_IN:
            if enrollment is None or enrollment.anchor_day is None:
                raise NotEnrolled(f"Patient {who} has not chosen a pickup day yet.")
            anchor_date = anchor_date or enrollment.next_anchor_date
            assert anchor_date is not None
            done = queries.check_in_for(session, patient.id, anchor_date)
            if done is not None and done.status != CheckInStatus.OPEN:
                raise CallRefused(f"{who} has answered the check-in for {anchor_date:%b %d, %Y}.")
            return anchor_date, f"call:check_in:{patient.id}:{anchor_date.isoformat()}"
        if purpose == CallPurpose.INVITATION:
            joined = (
                EnrollmentStatus.CONSENTED,
                EnrollmentStatus.PENDING_REVIEW,
                EnrollmentStatus.ACTIVE,
            )
            if enrollment is not None and enrollment.status in joined:
                raise CallRefused(f"{who} has joined med sync already.")
            today = local_date(self.clock, pharmacy.timezone)
            if not proposal(patient, today).eligible:
                raise CallRefused(f"{who} is not eligible for med sync.")
            return None, f"call:invitation:{patient.id}:{today.isoformat()}"
        if purpose == CallPurpose.REMINDER:
            if enrollment is None or enrollment.anchor_day is None:
                raise NotEnrolled(f"Patient {who} has not chosen a pickup day yet.")
            anchor_date = anchor_date or enrollment.next_anchor_date
            assert anchor_date is not None
            done = queries.check_in_for(session, patient.id, anchor_date)
            if done is None or done.status not in (CheckInStatus.READY, CheckInStatus.APPROVED):
                raise CallRefused(
                    f"{who}'s fills for {anchor_date:%b %d, %Y} are not ready: no reminder yet."
                )
            return anchor_date, f"call:reminder:{patient.id}:{anchor_date.isoformat()}"
        raise CallRefused(f"Calls for {purpose.value!r} are not placed by MedSync.")

    def place(self, call_id: int, caller: Caller, base: str) -> str:
        """Place a scheduled call if its time has come and it may go; say what happened.

        Safe to run twice: a call that left the scheduled state is not placed again.
        """
        now = self.clock.now()
        with transaction(self.sessions) as session:
            call = locked_call(session, call_id)
            if call.status != CallStatus.SCHEDULED:
                return f"already {call.status.value}"
            patient = session.get(Patient, call.patient_id) if call.patient_id else None
            pharmacy = session.get(Pharmacy, call.pharmacy_id)
            assert pharmacy is not None
            if patient is None or patient.opted_out:
                call.status, call.mode, call.updated_at = CallStatus.SUPPRESSED, CallMode.DONE, now
                call.error = "The patient has opted out of calls and texts."
                return "not placed: the patient has opted out"
            if call.scheduled_for is not None and call.scheduled_for > now:
                return f"not due until {call.scheduled_for:%Y-%m-%d %H:%M} UTC"
            allowed = self.allowed_at(patient, pharmacy, now)
            if allowed > now:
                call.scheduled_for, call.updated_at = allowed, now
                return f"deferred to {allowed:%Y-%m-%d %H:%M} UTC (quiet hours)"
            call.status, call.updated_at = CallStatus.PLACING, now
            to, from_ = call.phone, pharmacy.twilio_number
        query = urlencode({"call": call_id})
        try:
            sid = caller.place_call(
                to=to,
                from_=from_,
                url=f"{base}/twilio/voice/outbound?{query}",
                status_callback=f"{base}/twilio/voice/status?{query}",
                machine_detection=self.settings.machine_detection,
                time_limit=self.settings.max_call_seconds,
            )
        except CallError as error:
            with transaction(self.sessions) as session:
                failed = locked_call(session, call_id)
                failed.error = f"Twilio error {error.code}: {error}" if error.code else str(error)
                self.after_status(session, failed, CallStatus.FAILED.value, self.clock.now())
            return f"failed ({error})"
        with transaction(self.sessions) as session:
            placed = locked_call(session, call_id)
            placed.call_sid = placed.call_sid or sid
            move_status(placed, CallStatus.QUEUED.value, self.clock.now())
        return "placed"

    def schedule_check_in_calls(self) -> list[ScheduledCall]:
        """A check-in call for every approved patient who cannot take texts and whose check-in
        is due (the week before a pickup, until the staff call list takes over at T-3), once
        per pickup. The texting side of the same rule is bot/scheduler.py."""
        s = self.outreach
        due: list[tuple[int, str, dt.date]] = []
        with transaction(self.sessions) as session:
            for pharmacy in session.scalars(select(Pharmacy)):
                today = local_date(self.clock, pharmacy.timezone)
                days = open_days_of(pharmacy)
                slack = dt.timedelta(days=0 if days.never_closed else LONGEST_CLOSURE_DAYS)
                rows = session.execute(
                    select(Patient, Enrollment.next_anchor_date)
                    .join(Enrollment, Enrollment.patient_id == Patient.id)
                    .where(
                        Patient.pharmacy_id == pharmacy.id,
                        Patient.opted_out.is_(False),
                        Enrollment.status == EnrollmentStatus.ACTIVE,
                        Enrollment.next_anchor_date
                        <= today + dt.timedelta(days=s.check_in_days_before) + slack,
                        Enrollment.next_anchor_date
                        > today + dt.timedelta(days=s.call_list_days_before),
                    )
                ).all()
                # Counted from the day the patient really comes, as the texts are.
                found = [
                    (p, a)
                    for p, a in rows
                    if a is not None
                    and today + dt.timedelta(days=s.call_list_days_before)
                    < pickup_on(days, a, today).actual
                    <= today + dt.timedelta(days=s.check_in_days_before)
                ]
                wants_calls = calling(session, [p.id for p, _ in found])
                due += [
                    (pharmacy.id, p.external_id, anchor)
                    for p, anchor in found
                    if prefers_calls(p) or p.id in wants_calls
                ]
        return self._schedule_each(due, CallPurpose.CHECK_IN)

    def schedule_reminder_calls(self) -> list[ScheduledCall]:
        """A pickup-reminder call for every patient who gets no texts (a landline, or calls
        asked for) whose fills are ready and whose pickup is within the reminder window, once
        per pickup. The texting side of the same rule is bot/scheduler.py."""
        ahead = self.outreach.pickup_reminder_days_before
        due: list[tuple[int, str, dt.date]] = []
        with transaction(self.sessions) as session:
            for pharmacy in session.scalars(select(Pharmacy)):
                today = local_date(self.clock, pharmacy.timezone)
                days = open_days_of(pharmacy)
                slack = dt.timedelta(days=0 if days.never_closed else LONGEST_CLOSURE_DAYS)
                rows = session.execute(
                    select(Patient, CheckIn.anchor_date)
                    .join(CheckIn, CheckIn.patient_id == Patient.id)
                    .where(
                        Patient.pharmacy_id == pharmacy.id,
                        Patient.opted_out.is_(False),
                        CheckIn.status.in_((CheckInStatus.READY, CheckInStatus.APPROVED)),
                        CheckIn.anchor_date > today,
                        CheckIn.anchor_date <= today + dt.timedelta(days=ahead) + slack,
                    )
                ).all()
                ready = [
                    (p, a)
                    for p, a in rows
                    if today < pickup_on(days, a, today).actual <= today + dt.timedelta(days=ahead)
                ]
                wants_calls = calling(session, [p.id for p, _ in ready])
                due += [
                    (pharmacy.id, p.external_id, anchor)
                    for p, anchor in ready
                    if prefers_calls(p) or p.id in wants_calls
                ]
        return self._schedule_each(due, CallPurpose.REMINDER)

    def _schedule_each(
        self, due: list[tuple[int, str, dt.date]], purpose: CallPurpose
    ) -> list[ScheduledCall]:
        """Schedule a `purpose` call for each (pharmacy, patient, pickup); the new ones."""
        scheduled = []
        for pharmacy_id, external_id, anchor in due:
            try:
                scheduled.append(self.schedule(pharmacy_id, external_id, purpose, anchor))
            except (CallRefused, NotEnrolled):
                continue  # answered or changed since: nothing to call about
        return [c for c in scheduled if not c.already]

    def place_due(self, caller: Caller, base: str) -> list[str]:
        """Place every scheduled call whose time has come (retries included)."""
        with transaction(self.sessions) as session:
            ids = due_calls(session, self.clock.now())
        return [f"call {i}: {self.place(i, caller, base)}" for i in ids]

    def after_status(self, session: Session, call: Call, status: str, now: dt.datetime) -> None:
        """Record a status; an outbound call nobody picked up goes in the transcript and gets
        its one retry."""
        if not move_status(call, status, now):
            return
        if call.status in FINAL:
            call.mode = CallMode.DONE
        if call.direction == Direction.OUTBOUND and call.status in UNANSWERED:
            note_unanswered(session, call, now)
            self._retry(session, call, now)

    def _retry(self, session: Session, call: Call, now: dt.datetime) -> None:
        if call.attempt >= 2 or call.idempotency_key is None or call.patient_id is None:
            return
        key = f"{call.idempotency_key}:retry"
        if call_by_key(session, key) is not None:
            return
        patient = session.get(Patient, call.patient_id)
        pharmacy = session.get(Pharmacy, call.pharmacy_id)
        if patient is None or pharmacy is None or patient.opted_out:
            return
        later = self.allowed_at(
            patient, pharmacy, now + dt.timedelta(minutes=self.settings.retry_after_minutes)
        )
        retry = _outbound(patient, call.purpose, call.anchor_date, key, later, now)
        retry.attempt, retry.retry_of_id, retry.language = call.attempt + 1, call.id, call.language
        session.add(retry)

    def allowed_at(self, patient: Patient, pharmacy: Pharmacy, at: dt.datetime) -> dt.datetime:
        """`at`, or the first later time the patient's local hours allow a call (the same
        quiet hours as texts: bot/sending_rules.py)."""
        windows = windows_for(
            patient.phone, patient.timezone, pharmacy.timezone, pharmacy.state, self.outreach
        )
        # Inside the part of the day the patient prefers, when they said (bot/preferences.py).
        session = object_session(patient)
        preferred = time_of_day(session, patient.id) if session is not None else None
        return next_preferred(at, windows, preferred)


def _outbound(
    patient: Patient,
    purpose: CallPurpose,
    anchor_date: dt.date | None,
    key: str,
    at: dt.datetime,
    now: dt.datetime,
) -> Call:
    return Call(
        pharmacy_id=patient.pharmacy_id,
        phone=patient.phone,
        patient_id=patient.id,
        direction=Direction.OUTBOUND,
        purpose=purpose,
        anchor_date=anchor_date,
        status=CallStatus.SCHEDULED,
        attempt=1,
        idempotency_key=key,
        scheduled_for=at,
        mode=CallMode.STARTING,
        step=0,
        reprompts=0,
        silences=0,
        language=patient.language,
        notes={},
        created_at=now,
        updated_at=now,
    )
