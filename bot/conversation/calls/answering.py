"""A call begins: a patient calls in, or a call we placed is picked up. What is due is said
first (a check-in, the invitation, a reminder), else a short menu; a machine gets a voicemail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.channels import voice_instructions as said
from bot.channels.voice_twiml import (
    HangUp,
)
from bot.clock import local_date
from bot.conversation.calls import verifying
from bot.conversation.calls.gathering import after_turn, ask, due_check_in, menu
from bot.conversation.calls.leg import Leg, converse, emit, params, pharmacy_phone, subject_of
from bot.conversation.calls.transferring import offer
from bot.program import preferences, renewals, services
from bot.program.open_days import real_pickup
from bot.program.plans import proposal
from dialogs import engine
from dialogs.state import State, load
from dialogs.turn import Ask, NoInput, Say, Start, Timeout
from store import queries
from store.calls import CallMode, CallPurpose
from store.models import CheckInStatus, EnrollmentStatus, Patient


def open_inbound(leg: Leg, patients: Sequence[Patient]) -> str:
    if not patients:
        # The engine notes the unknown number for staff and says who we are.
        answer = converse(leg, NoInput(), None)
        return offer(leg, list(answer.turn.replies), None)
    if verifying.must_confirm(leg, patients):
        return verifying.ask_birth_date(leg, patients)
    if any(p.opted_out for p in patients):
        return offer(leg, [Say(said.OPTED_OUT, params(leg))], None)
    state = load(leg.conversation.state)
    if state.dialog == "who":
        # Asked by text who it was about; a call asks afresh.
        leg.conversation.state = state.idle().to_json()
        state = state.idle()
    if state.dialog in engine.DIALOGS and state.subject is not None:
        answer = converse(leg, Timeout(), None)
        if any(isinstance(r, Ask) for r in answer.turn.replies):
            return after_turn(leg, State(), answer, None)
    due = due_check_in(leg, patients)
    if due is not None:
        return start_check_in(leg, *due)
    subject = subject_of(patients, state)
    if subject is not None and not may_be_invited(leg, subject):
        return menu(leg, [], None)
    return after_turn(leg, State(), converse(leg, NoInput(), None), None)


def open_outbound(leg: Leg) -> str:
    call = leg.call
    patient = leg.session.get(Patient, call.patient_id) if call.patient_id else None
    if patient is None or patient.opted_out:
        return emit(leg, [Say(said.GOODBYE)], HangUp(), CallMode.DONE)
    state = load(leg.conversation.state)
    waiting = state.subject == patient.id and state.dialog is not None
    if call.purpose == CallPurpose.CHECK_IN and call.anchor_date is not None:
        anchor = call.anchor_date.isoformat()
        if waiting and state.dialog == "check_in" and state.data.get("anchor_date") == anchor:
            return after_turn(leg, State(), converse(leg, Timeout(), None), None)
        done = queries.check_in_for(leg.session, patient.id, call.anchor_date)
        if done is None or done.status == CheckInStatus.OPEN:
            return start_check_in(leg, patient, call.anchor_date)
    elif call.purpose == CallPurpose.REMINDER and call.anchor_date is not None:
        # The reminder (no medicine named), then a service offer or the menu: the pharmacist
        # is one key away.
        # The day the patient really comes (the open day before a closed anchor).
        today = local_date(leg.runtime.clock, leg.pharmacy.timezone)
        pickup = real_pickup(leg.pharmacy, call.anchor_date, today)
        # While a renewal of the pickup is pending, the day and that one prescription waits on
        # the doctor, as the reminder text says it (nothing promised ready).
        waits = call.anchor_date in renewals.pending_anchors(leg.session, patient.id)
        # A patient who has their medicines delivered hears that they will be, as the text.
        delivery = patient.id in preferences.delivering(leg.session, [patient.id])
        reminder = renewals.pickup_reminder(leg.pharmacy.name, pickup, waits, delivery)
        # A service the pharmacy offers with the reminder, as the reminder text would ask it
        # (bot/program/services.py: the same rules, no condition named, no extra call).
        offered = services.offer_with_reminder(
            leg.session, leg.pharmacy, patient, leg.conversation, call.anchor_date, pickup, leg.now
        )
        if offered is not None:
            return ask(leg, [reminder, offered], offered, None)
        return menu(leg, [reminder], None)
    elif call.purpose == CallPurpose.INVITATION:
        if waiting and state.dialog in ("enrollment", "anchor"):
            return after_turn(leg, State(), converse(leg, Timeout(), None), None)
        start = Start("enrollment", {"patient_id": patient.id})
        return after_turn(leg, State(), converse(leg, start, None), None)
    return open_inbound(leg, [patient])


def start_check_in(leg: Leg, patient: Patient, anchor_date: dt.date) -> str:
    started = list(leg.call.notes.get("check_ins", []))
    leg.call.notes = {**leg.call.notes, "check_ins": [*started, patient.id]}
    event = Start("check_in", {"patient_id": patient.id, "anchor_date": anchor_date})
    return after_turn(leg, State(), converse(leg, event, None), None)


def may_be_invited(leg: Leg, patient: Patient) -> bool:
    """Nothing to offer a patient who is not eligible: the call goes to the menu."""
    enrollment = queries.enrollments_of(leg.session, [patient.id]).get(patient.id)
    if enrollment is not None and enrollment.status not in (
        EnrollmentStatus.DECLINED,
        EnrollmentStatus.DISENROLLED,
    ):
        return True
    return proposal(patient, local_date(leg.runtime.clock, leg.pharmacy.timezone)).eligible


def voicemail(leg: Leg) -> str:
    """An answering machine: the pharmacy's name and number, nothing else."""
    leg.call.notes = {**leg.call.notes, "voicemail": True}
    params = {"pharmacy": leg.pharmacy.name, "pharmacy_phone": pharmacy_phone(leg)}
    return emit(leg, [Say(said.VOICEMAIL, params)], HangUp(), CallMode.DONE, label="[voicemail] ")
