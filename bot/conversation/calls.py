"""The call runtime: the same dialogs over a phone call, inbound and outbound.

Every Twilio request on a call is one transaction: lock the conversation (as a text would),
lock the call's row, check that the request answers the step the call is waiting for, step
the dialog through `Runtime.converse`, and store the TwiML that answered it. A repeated
request (same CallSid and step) or an out-of-order one gets the stored TwiML again and
changes nothing. The call, not the dialog, owns what only a call has: silence, unclear
speech, at most two re-prompts per question, a length cap, a transfer to the pharmacy, a
message left after the tone, and the voicemail an answering machine gets.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.channels import voice_instructions as said
from bot.channels.twilio_webhook import form_int
from bot.channels.voice_twiml import (
    HangUp,
    Listen,
    Speaker,
    TakeMessage,
    Then,
    Transfer,
    hang_up,
    not_in_service,
    sentences,
    speaker_for,
    twiml,
)
from bot.clock import local_date
from bot.conversation.call_records import (
    PURPOSE_WORDS,
    decode_question,
    encode_question,
    keep_recording,
    move_status,
    note_for_staff,
    transcript_line,
)
from bot.conversation.runtime import Answer, Runtime, display_phone, normalize_phone
from bot.languages.catalogs import vocabulary_for
from bot.outreach.call_placing import CallPlacer, ScheduledCall
from bot.outreach.caller import Caller
from bot.program import caregivers
from bot.program.plans import proposal
from bot.settings.outreach import OutreachSettings
from bot.settings.voice import VoiceSettings
from dialogs import engine, prompts
from dialogs.parse import asks_for_pharmacist, is_keyword
from dialogs.state import State, load
from dialogs.turn import Ask, Digits, Event, NoInput, Param, Reply, Say, Start, Text, Timeout
from store import queries
from store.calls import Call, CallMode, CallPurpose, CallStatus, call_by_sid, locked_call
from store.db import transaction
from store.models import (
    CheckInStatus,
    Conversation,
    Direction,
    EnrollmentStatus,
    Message,
    Patient,
    Pharmacy,
    ReviewKind,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallForm:
    """The parameters of one Twilio voice request that matter here."""

    call_sid: str
    from_: str = ""
    to: str = ""
    call_status: str = ""
    answered_by: str = ""
    digits: str = ""
    speech: str = ""
    confidence: float | None = None
    dial_status: str = ""
    recording_sid: str = ""
    recording_url: str = ""
    recording_status: str = ""
    recording_duration: int | None = None
    duration: int | None = None

    @classmethod
    def of(cls, form: Mapping[str, str]) -> CallForm:
        def clean(key: str) -> str:
            return form.get(key, "").replace("\x00", "").strip()

        return cls(
            call_sid=clean("CallSid")[:64],
            from_=clean("From"),
            to=clean("To"),
            call_status=clean("CallStatus"),
            answered_by=clean("AnsweredBy")[:32],
            digits=clean("Digits"),
            speech=clean("SpeechResult"),
            confidence=_number(clean("Confidence"), float),
            dial_status=clean("DialCallStatus"),
            recording_sid=clean("RecordingSid")[:64],
            recording_url=clean("RecordingUrl"),
            recording_status=clean("RecordingStatus"),
            recording_duration=_number(clean("RecordingDuration"), int),
            duration=_number(clean("CallDuration"), int),
        )


def _number(raw: str, kind: type[int] | type[float]) -> Any:
    if kind is int:
        return form_int(raw)  # a 32-bit column: a larger number is no number
    try:
        value = float(raw) if raw else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


# What each dialog is, for staff reading a review item.
_DIALOG_NAMES = {
    "enrollment": "the med sync invitation",
    "anchor": "choosing a pickup day",
    "check_in": "the check-in",
    "who": "saying who the call is about",
    "assessment": "the pharmacy's own questions (an assessment)",
}
# Replies that tell the patient something without finishing anything: the call goes on to the
# menu instead of saying goodbye.
_INFORMATION = frozenset(
    {
        prompts.NEXT_PICKUP,
        prompts.ENROLLMENT_IN_REVIEW,
        prompts.HELP,
        prompts.LANGUAGE_CHANGED,
        prompts.START_CONFIRMED,
        prompts.PASSED_ON,
        prompts.POSSIBLE_OPT_OUT,
    }
)
_CONNECTED = frozenset({"completed", "answered"})


@dataclass
class _Leg:
    """One request on one call, inside its transaction."""

    session: Session
    pharmacy: Pharmacy
    conversation: Conversation
    call: Call
    now: dt.datetime
    base: str


class CallDesk:
    def __init__(
        self,
        runtime: Runtime,
        settings: VoiceSettings | None = None,
        outreach: OutreachSettings | None = None,
    ) -> None:
        self.runtime = runtime
        self.sessions = runtime.sessions
        self.clock = runtime.clock
        self.settings = settings or VoiceSettings()
        self.outreach = outreach or OutreachSettings()
        self.placer = CallPlacer(self.sessions, self.clock, self.settings, self.outreach)

    # ================================================================== Twilio's requests

    def incoming(self, form: CallForm, base: str) -> str:
        """A patient calls the pharmacy's number: the dialog that is due, else a short menu."""
        return self._guarded(form, lambda: self._incoming(form, base))

    def answered(self, call_id: int | None, form: CallForm, base: str) -> str:
        """Our outbound call was picked up: a person gets the dialog, a machine a voicemail."""
        return self._guarded(form, lambda: self._answered(call_id, form, base))

    def respond(self, form: CallForm, step: int, base: str) -> str:
        """Every action request (Gather, Dial, Record) of a call, answered once per step."""
        return self._guarded(form, lambda: self._respond(form, step, base))

    def status(self, form: CallForm, call_id: int | None) -> None:
        """A call status callback: recorded, moving forward only; unanswered calls retried once."""
        now = self.clock.now()
        with transaction(self.sessions) as session:
            found = self._find(session, call_id, form.call_sid)
            if found is None:
                log.info("status callback for a call MedSync does not know; ignored")
                return
            call = locked_call(session, found.id)
            if call.call_sid is None and form.call_sid:
                call.call_sid = form.call_sid
            if form.answered_by and not call.answered_by:
                call.answered_by = form.answered_by
            if form.duration is not None:
                call.duration = form.duration
            self.placer.after_status(session, call, form.call_status, now)

    def recording(self, form: CallForm) -> None:
        """The message left after the tone is ready: it becomes a review item, once."""
        now = self.clock.now()
        with transaction(self.sessions) as session:
            found = call_by_sid(session, form.call_sid)
            if found is None:
                log.info("recording callback for a call MedSync does not know; ignored")
                return
            call = locked_call(session, found.id)
            if form.recording_status and form.recording_status != "completed":
                log.warning("a recording ended as %s; nothing to listen to", form.recording_status)
                return
            seconds = form.recording_duration or 0
            keep_recording(session, call, form.recording_url, form.recording_sid, seconds, now)

    # ================================================================== outbound calls

    def schedule(
        self,
        pharmacy_id: int,
        external_id: str,
        purpose: CallPurpose,
        anchor_date: dt.date | None = None,
    ) -> ScheduledCall:
        """Write an invitation or check-in call, placed inside the allowed hours (CallPlacer)."""
        return self.placer.schedule(pharmacy_id, external_id, purpose, anchor_date)

    def place(self, call_id: int, caller: Caller, base: str) -> str:
        return self.placer.place(call_id, caller, base)

    def place_due(self, caller: Caller, base: str) -> list[str]:
        return self.placer.place_due(caller, base)

    def run_due(self, caller: Caller, base: str) -> list[str]:
        """What a scheduler tick does for calls: write the check-in and pickup-reminder calls
        that are due for patients who get no texts, then place every call whose time has come."""
        self.placer.schedule_check_in_calls()
        self.placer.schedule_reminder_calls()
        return self.placer.place_due(caller, base)

    # ================================================================== the requests, inside

    def _guarded(self, form: CallForm, work: Any) -> str:
        """A database failure propagates (Twilio retries); any other failure still gets the
        caller to a person: say sorry and transfer them to the pharmacy."""
        try:
            result: str = work()
            return result
        except SQLAlchemyError:
            raise
        except Exception:
            log.exception("a call step failed; transferring the caller to the pharmacy")
            return self._trouble(form)

    def _trouble(self, form: CallForm) -> str:
        with transaction(self.sessions) as session:
            found = call_by_sid(session, form.call_sid) if form.call_sid else None
            pharmacy = (
                session.get(Pharmacy, found.pharmacy_id)
                if found
                else queries.pharmacy_for_number(session, normalize_phone(form.to))
            )
            if pharmacy is None:
                return not_in_service()
            speaker = speaker_for(found.language if found else None)
            replies = [Say(prompts.DIDNT_UNDERSTAND), Say(said.CONNECTING)]
            lines = sentences(replies, speaker, {})
            return twiml(speaker, lines, Transfer(pharmacy.phone, action=""))

    def _incoming(self, form: CallForm, base: str) -> str:
        now = self.clock.now()
        phone = normalize_phone(form.from_)[:20] or "unknown"
        with transaction(self.sessions) as session:
            if form.call_sid and (earlier := call_by_sid(session, form.call_sid)) is not None:
                return earlier.twiml or hang_up()
            pharmacy = queries.pharmacy_for_number(session, normalize_phone(form.to))
            if pharmacy is None or not form.call_sid:
                log.error("a call to a number no pharmacy owns; see `medsync pharmacy add`")
                return not_in_service()
            conversation = queries.locked_conversation(session, pharmacy.id, phone, now)
            earlier = call_by_sid(session, form.call_sid)  # the same request, twice at once
            if earlier is not None:
                return earlier.twiml or hang_up()
            patients, _ = caregivers.patients_at(session, pharmacy.id, phone)  # a caregiver too
            subject = _subject(patients, load(conversation.state))
            call = Call(
                call_sid=form.call_sid,
                pharmacy_id=pharmacy.id,
                phone=phone,
                patient_id=subject.id if subject else None,
                direction=Direction.INBOUND,
                purpose=CallPurpose.INBOUND,
                status=CallStatus.IN_PROGRESS,
                attempt=1,
                mode=CallMode.STARTING,
                step=0,
                reprompts=0,
                silences=0,
                language=subject.language if subject else None,
                notes={},
                created_at=now,
                started_at=now,
                updated_at=now,
            )
            session.add(call)
            session.flush()
            leg = _Leg(session, pharmacy, conversation, call, now, base)
            self._mark(leg, Direction.INBOUND, "[phone call from the patient]")
            return self._open_inbound(leg, patients)

    def _answered(self, call_id: int | None, form: CallForm, base: str) -> str:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            found = self._find(session, call_id, form.call_sid)
            if found is None or found.direction != Direction.OUTBOUND:
                log.warning("an answered call MedSync did not place; hanging up")
                return hang_up()
            pharmacy = session.get(Pharmacy, found.pharmacy_id)
            assert pharmacy is not None
            conversation = queries.locked_conversation(session, pharmacy.id, found.phone, now)
            call = locked_call(session, found.id)
            if call.step > 0 or call.mode == CallMode.DONE:
                return call.twiml or hang_up()
            if call.call_sid is None and form.call_sid:
                call.call_sid = form.call_sid
            call.answered_by = form.answered_by or call.answered_by
            call.started_at = now
            move_status(call, CallStatus.IN_PROGRESS.value, now)
            leg = _Leg(session, pharmacy, conversation, call, now, base)
            answered_by = (call.answered_by or "").lower()
            if answered_by.startswith("machine"):
                return self._voicemail(leg)
            if answered_by == "fax":
                self._mark(leg, Direction.OUTBOUND, "[a fax machine answered: hung up]")
                return self._emit(leg, [], HangUp(), CallMode.DONE)
            purpose = PURPOSE_WORDS[call.purpose]
            self._mark(leg, Direction.OUTBOUND, f"[phone call to the patient: {purpose}]")
            return self._open_outbound(leg)

    def _respond(self, form: CallForm, step: int, base: str) -> str:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            found = call_by_sid(session, form.call_sid) if form.call_sid else None
            if found is None:
                log.warning("a voice action for a call MedSync does not know; hanging up")
                return hang_up()
            pharmacy = session.get(Pharmacy, found.pharmacy_id)
            assert pharmacy is not None
            conversation = queries.locked_conversation(session, pharmacy.id, found.phone, now)
            call = locked_call(session, found.id)
            if step != call.step or call.mode in (CallMode.DONE, CallMode.STARTING):
                # A repeat, or a request for another step: the call's current answer, again.
                return call.twiml or hang_up()
            leg = _Leg(session, pharmacy, conversation, call, now, base)
            if call.mode in (CallMode.QUESTION, CallMode.MENU, CallMode.OFFER) and self._too_long(
                call, now
            ):
                return self._end_too_long(leg)
            match call.mode:
                case CallMode.QUESTION:
                    return self._on_question(leg, form)
                case CallMode.MENU:
                    return self._on_menu(leg, form)
                case CallMode.OFFER:
                    return self._on_offer(leg, form)
                case CallMode.DIAL:
                    return self._on_dialed(leg, form)
                case CallMode.RECORD:
                    return self._on_recorded(leg, form)
            return call.twiml or hang_up()

    # ================================================================== openings

    def _open_inbound(self, leg: _Leg, patients: Sequence[Patient]) -> str:
        if not patients:
            # The engine notes the unknown number for staff and says who we are.
            answer = self._converse(leg, NoInput(), None)
            return self._offer(leg, list(answer.turn.replies), None)
        if any(p.opted_out for p in patients):
            return self._offer(leg, [Say(said.OPTED_OUT, self._params(leg))], None)
        state = load(leg.conversation.state)
        if state.dialog == "who":
            # Asked by text who it was about; a call asks afresh.
            leg.conversation.state = state.idle().to_json()
            state = state.idle()
        if state.dialog in engine.DIALOGS and state.subject is not None:
            answer = self._converse(leg, Timeout(), None)
            if any(isinstance(r, Ask) for r in answer.turn.replies):
                return self._after_turn(leg, State(), answer, None)
        due = self._due_check_in(leg, patients)
        if due is not None:
            return self._start_check_in(leg, *due)
        subject = _subject(patients, state)
        if subject is not None and not self._may_be_invited(leg, subject):
            return self._menu(leg, [], None)
        return self._after_turn(leg, State(), self._converse(leg, NoInput(), None), None)

    def _open_outbound(self, leg: _Leg) -> str:
        call = leg.call
        patient = leg.session.get(Patient, call.patient_id) if call.patient_id else None
        if patient is None or patient.opted_out:
            return self._emit(leg, [Say(said.GOODBYE)], HangUp(), CallMode.DONE)
        state = load(leg.conversation.state)
        waiting = state.subject == patient.id and state.dialog is not None
        if call.purpose == CallPurpose.CHECK_IN and call.anchor_date is not None:
            anchor = call.anchor_date.isoformat()
            if waiting and state.dialog == "check_in" and state.data.get("anchor_date") == anchor:
                return self._after_turn(leg, State(), self._converse(leg, Timeout(), None), None)
            done = queries.check_in_for(leg.session, patient.id, call.anchor_date)
            if done is None or done.status == CheckInStatus.OPEN:
                return self._start_check_in(leg, patient, call.anchor_date)
        elif call.purpose == CallPurpose.REMINDER and call.anchor_date is not None:
            # The reminder (no medicine named), then the menu: the pharmacist is one key away.
            reminder = Say(
                prompts.PICKUP_REMINDER,
                {"pharmacy": leg.pharmacy.name, "date": call.anchor_date},
            )
            return self._menu(leg, [reminder], None)
        elif call.purpose == CallPurpose.INVITATION:
            if waiting and state.dialog in ("enrollment", "anchor"):
                return self._after_turn(leg, State(), self._converse(leg, Timeout(), None), None)
            start = Start("enrollment", {"patient_id": patient.id})
            return self._after_turn(leg, State(), self._converse(leg, start, None), None)
        return self._open_inbound(leg, [patient])

    def _start_check_in(self, leg: _Leg, patient: Patient, anchor_date: dt.date) -> str:
        started = list(leg.call.notes.get("check_ins", []))
        leg.call.notes = {**leg.call.notes, "check_ins": [*started, patient.id]}
        event = Start("check_in", {"patient_id": patient.id, "anchor_date": anchor_date})
        return self._after_turn(leg, State(), self._converse(leg, event, None), None)

    def _due_check_in(
        self, leg: _Leg, patients: Sequence[Patient]
    ) -> tuple[Patient, dt.date] | None:
        """A check-in this phone owes: about a week before a pickup, not answered yet, and not
        already run on this call."""
        today = local_date(self.clock, leg.pharmacy.timezone)
        enrollments = queries.enrollments_of(leg.session, [p.id for p in patients])
        ran = set(leg.call.notes.get("check_ins", []))
        for patient in patients:
            enrollment = enrollments.get(patient.id)
            if patient.opted_out or patient.id in ran or enrollment is None:
                continue
            anchor = enrollment.next_anchor_date
            # As the scheduler does: check-ins once a pharmacist has approved the plan.
            if enrollment.status != EnrollmentStatus.ACTIVE or anchor is None:
                continue
            if not 0 <= (anchor - today).days <= self.outreach.check_in_days_before:
                continue
            check_in = queries.check_in_for(leg.session, patient.id, anchor)
            if check_in is None or check_in.status == CheckInStatus.OPEN:
                return patient, anchor
        return None

    def _may_be_invited(self, leg: _Leg, patient: Patient) -> bool:
        """Nothing to offer a patient who is not eligible: the call goes to the menu."""
        enrollment = queries.enrollments_of(leg.session, [patient.id]).get(patient.id)
        if enrollment is not None and enrollment.status not in (
            EnrollmentStatus.DECLINED,
            EnrollmentStatus.DISENROLLED,
        ):
            return True
        return proposal(patient, local_date(self.clock, leg.pharmacy.timezone)).eligible

    def _voicemail(self, leg: _Leg) -> str:
        """An answering machine: the pharmacy's name and number, nothing else."""
        leg.call.notes = {**leg.call.notes, "voicemail": True}
        params = {"pharmacy": leg.pharmacy.name, "pharmacy_phone": self._pharmacy_phone(leg)}
        return self._emit(
            leg, [Say(said.VOICEMAIL, params)], HangUp(), CallMode.DONE, label="[voicemail] "
        )

    # ================================================================== answers

    def _on_question(self, leg: _Leg, form: CallForm) -> str:
        call = leg.call
        question = self._question(call)
        event = self._event(form)
        if isinstance(event, NoInput):
            inbound = self._inbound(leg, "[no answer]")
            call.silences += 1
            if call.silences >= 2 or call.reprompts >= self.settings.max_reprompts:
                return self._give_up(leg, "did not answer", Say(said.DIDNT_HEAR), inbound)
            call.reprompts += 1
            return self._ask(leg, [Say(said.DIDNT_HEAR), question], question, inbound)
        call.silences = 0
        if isinstance(event, Text) and self._unsure(event):
            inbound = self._inbound(leg, f"[unclear] {event.body}")
            if call.reprompts >= self.settings.max_reprompts:
                why = "could not be understood"
                return self._give_up(leg, why, Say(prompts.DIDNT_UNDERSTAND), inbound)
            call.reprompts += 1
            return self._ask(leg, [Say(prompts.DIDNT_UNDERSTAND), question], question, inbound)
        keyed_yes = isinstance(event, Digits) and event.digits.strip("#*") == "1"
        if keyed_yes and question.expects == "text_or_no":
            # "Press 1 and a pharmacist will call you about it": a yes, for the pharmacist.
            event = Text("keypad 1 (yes)")
        inbound = self._inbound(leg, _heard(event))
        before = load(leg.conversation.state)
        return self._after_turn(leg, before, self._converse(leg, event, inbound), inbound)

    def _on_menu(self, leg: _Leg, form: CallForm) -> str:
        call = leg.call
        event = self._event(form)
        if isinstance(event, NoInput):
            inbound = self._inbound(leg, "[no answer]")
            call.silences += 1
            if call.silences >= 2 or call.reprompts >= self.settings.max_reprompts:
                return self._emit(leg, [Say(said.GOODBYE)], HangUp(), CallMode.DONE, inbound)
            call.reprompts += 1
            return self._menu(leg, [Say(said.DIDNT_HEAR)], inbound)
        call.silences = 0
        if isinstance(event, Text) and self._unsure(event):
            inbound = self._inbound(leg, f"[unclear] {event.body}")
            return self._menu_again(leg, inbound)
        inbound = self._inbound(leg, _heard(event))
        if isinstance(event, Digits):
            key = event.digits.strip("#*")
            if key == "1":
                return self._take_message(leg, [], inbound)
            if key == MENU_KEY_PREFERENCES:
                before = load(leg.conversation.state)
                phone = leg.conversation.phone
                patients = queries.patients_with_phone(leg.session, leg.pharmacy.id, phone)
                subject = _subject(patients, before)
                if subject is not None:
                    event = Start("preferences", {"patient_id": subject.id})
                    answer = self._converse(leg, event, inbound)
                    return self._after_turn(leg, before, answer, inbound)
            if key not in (engine.KEY_PHARMACIST, engine.KEY_STOP):
                return self._menu_again(leg, inbound)
        before = load(leg.conversation.state)
        return self._after_turn(leg, before, self._converse(leg, event, inbound), inbound)

    def _menu_again(self, leg: _Leg, inbound: Message) -> str:
        if leg.call.reprompts >= self.settings.max_reprompts:
            return self._emit(leg, [Say(said.GOODBYE)], HangUp(), CallMode.DONE, inbound)
        leg.call.reprompts += 1
        return self._menu(leg, [Say(prompts.DIDNT_UNDERSTAND)], inbound)

    def _on_offer(self, leg: _Leg, form: CallForm) -> str:
        event = self._event(form)
        inbound = self._inbound(leg, _heard(event))
        vocab = vocabulary_for(leg.call.language or "en")
        if isinstance(event, Digits) and event.digits.strip("#*") == engine.KEY_PHARMACIST:
            return self._transfer(leg, [], inbound)
        if isinstance(event, Text) and not self._unsure(event):
            if asks_for_pharmacist(event.body, vocab):
                return self._transfer(leg, [], inbound)
            opted_out = any(p.opted_out for p in self._patients(leg))
            words = vocab.opt_in if opted_out else vocab.opt_out
            if is_keyword(event.body, words):
                before = load(leg.conversation.state)
                return self._after_turn(leg, before, self._converse(leg, event, inbound), inbound)
        return self._take_message(leg, [], inbound)

    def _on_dialed(self, leg: _Leg, form: CallForm) -> str:
        if form.dial_status.lower() in _CONNECTED:
            self._mark(leg, Direction.OUTBOUND, "[transferred to the pharmacy]")
            return self._emit(leg, [], HangUp(), CallMode.DONE)
        return self._take_message(leg, [Say(said.NO_ONE_ANSWERED)], None)

    def _on_recorded(self, leg: _Leg, form: CallForm) -> str:
        seconds = form.recording_duration or 0
        if form.recording_url and seconds > 0:
            keep_recording(
                leg.session, leg.call, form.recording_url, form.recording_sid, seconds, leg.now
            )
            return self._emit(leg, [Say(said.MESSAGE_THANKS)], HangUp(), CallMode.DONE)
        return self._emit(leg, [Say(said.NO_MESSAGE)], HangUp(), CallMode.DONE)

    # ================================================================== after a dialog step

    def _after_turn(self, leg: _Leg, before: State, answer: Answer, inbound: Message | None) -> str:
        call = leg.call
        turn = answer.turn
        call.patient_id = answer.patient_id or call.patient_id
        call.language = answer.language
        replies = list(turn.replies)
        msgids = {r.msgid for r in replies}
        asks = [r for r in replies if isinstance(r, Ask)]
        if prompts.STOP_CONFIRMED in msgids:
            return self._emit(leg, _says(replies), HangUp(), CallMode.DONE, inbound)
        if prompts.PHARMACIST_CALLBACK in msgids:
            return self._transfer(leg, [Say(prompts.PHARMACIST_CALLBACK)], inbound)
        if asks:
            same = before.dialog is not None and (before.dialog, before.step, before.subject) == (
                turn.state.dialog,
                turn.state.step,
                turn.state.subject,
            )
            if same and call.reprompts >= self.settings.max_reprompts:
                return self._give_up(
                    leg, "could not be understood", Say(prompts.DIDNT_UNDERSTAND), inbound
                )
            call.reprompts = call.reprompts + 1 if same else 0
            if not same:
                call.silences = 0
            return self._ask(leg, replies, asks[-1], inbound)
        if prompts.ESCALATED in msgids:
            return self._offer(leg, replies, inbound)  # the dialog asked staff to call already
        if turn.state.dialog is not None and call.question is not None:
            # The dialog still waits for an answer ("we will pass this on"): ask it again.
            question = self._question(call)
            if call.reprompts >= self.settings.max_reprompts:
                return self._give_up(leg, "did not answer", Say(said.DIDNT_HEAR), inbound)
            call.reprompts += 1
            return self._ask(leg, [*replies, question], question, inbound)
        due = self._due_check_in(leg, self._patients(leg))
        if due is not None:
            patient, anchor = due
            started = list(call.notes.get("check_ins", []))
            call.notes = {**call.notes, "check_ins": [*started, patient.id]}
            event = Start("check_in", {"patient_id": patient.id, "anchor_date": anchor})
            following = self._converse(leg, event, None)
            if following.turn.replies:
                turn = replace(following.turn, replies=(*replies, *following.turn.replies))
                return self._after_turn(leg, State(), replace(following, turn=turn), inbound)
        if msgids <= _INFORMATION and (
            call.mode != CallMode.MENU or call.reprompts < self.settings.max_reprompts
        ):
            if call.mode == CallMode.MENU:
                call.reprompts += 1
            return self._menu(leg, replies, inbound)
        return self._emit(leg, [*replies, Say(said.GOODBYE)], HangUp(), CallMode.DONE, inbound)

    def _give_up(self, leg: _Leg, why: str, lead: Reply, inbound: Message | None) -> str:
        """Past the re-prompts: staff are asked to call, the patient is offered a person."""
        state = load(leg.conversation.state)
        what = _DIALOG_NAMES.get(state.dialog or "", "the call")
        self._note(
            leg,
            ReviewKind.CALL_BACK,
            f"Could not finish {what} by phone: the patient {why}. Please call them.",
            flagged=True,
            message=inbound,
        )
        return self._offer(leg, [lead], inbound)

    def _end_too_long(self, leg: _Leg) -> str:
        state = load(leg.conversation.state)
        if state.dialog is not None:
            what = _DIALOG_NAMES.get(state.dialog, "the call")
            self._note(
                leg,
                ReviewKind.CALL_BACK,
                f"A call reached its length limit before the patient finished {what}. "
                "Please call them.",
                flagged=True,
            )
        return self._emit(leg, [Say(said.TOO_LONG)], HangUp(), CallMode.DONE)

    def _too_long(self, call: Call, now: dt.datetime) -> bool:
        started = call.started_at or call.created_at
        too_long = (now - started).total_seconds() > self.settings.max_call_seconds
        return too_long or call.step >= self.settings.max_steps

    # ================================================================== what the call says next

    def _ask(
        self, leg: _Leg, replies: Sequence[Reply], question: Ask, inbound: Message | None
    ) -> str:
        leg.call.question = encode_question(question)
        tell_keys = not leg.call.notes.get("keys_told", False)
        leg.call.notes = {**leg.call.notes, "keys_told": True}
        hints = question.choices if question.expects == "choice" else ()
        then = Listen(
            self._url(leg, "answer"),
            day=said.takes_a_day(question),
            hints=hints,
            number=said.takes_a_number(question),
        )
        return self._emit(leg, replies, then, CallMode.QUESTION, inbound, tell_keys=tell_keys)

    def _menu(self, leg: _Leg, replies: Sequence[Reply], inbound: Message | None) -> str:
        menu = said.MENU if self._speaker(leg).speech else said.MENU_KEYPAD
        then = Listen(self._url(leg, "answer"))
        choices = [Say(said.MENU_PREFERENCES), Say(menu)]
        return self._emit(leg, [*replies, *choices], then, CallMode.MENU, inbound)

    def _offer(self, leg: _Leg, replies: Sequence[Reply], inbound: Message | None) -> str:
        offer = said.OFFER if self._speaker(leg).speech else said.OFFER_KEYPAD
        then = Listen(self._url(leg, "answer"))
        return self._emit(leg, [*replies, Say(offer)], then, CallMode.OFFER, inbound)

    def _transfer(self, leg: _Leg, replies: Sequence[Reply], inbound: Message | None) -> str:
        said_already = any(r.msgid == prompts.PHARMACIST_CALLBACK for r in replies)
        lines = list(replies) if said_already else [*replies, Say(said.CONNECTING)]
        then = Transfer(
            leg.pharmacy.phone, self._url(leg, "answer"), timeout=self.settings.dial_timeout
        )
        return self._emit(leg, lines, then, CallMode.DIAL, inbound)

    def _take_message(self, leg: _Leg, replies: Sequence[Reply], inbound: Message | None) -> str:
        speaker = self._speaker(leg)
        after = tuple(sentences([Say(said.NO_MESSAGE)], speaker, self._params(leg)))
        then = TakeMessage(
            self._url(leg, "answer"),
            self._url(leg, "recording", step=False),
            max_length=self.settings.message_max_seconds,
            after=after,
        )
        return self._emit(leg, [*replies, Say(said.LEAVE_MESSAGE)], then, CallMode.RECORD, inbound)

    def _emit(
        self,
        leg: _Leg,
        replies: Sequence[Reply],
        then: Then,
        mode: CallMode,
        inbound: Message | None = None,
        tell_keys: bool = False,
        label: str = "",
    ) -> str:
        """Say `replies`, then `then`: the TwiML for the next step, kept for repeats and
        written to the transcript."""
        call = leg.call
        speaker = self._speaker(leg)
        lines = sentences(replies, speaker, self._params(leg), tell_keys=tell_keys)
        call.step += 1
        call.mode = mode
        if mode != CallMode.QUESTION:
            call.question = None
        call.twiml = twiml(speaker, lines, then, self.settings.gather_timeout)
        call.updated_at = leg.now
        if speaker.stand_in:
            self._language_note(leg, speaker)
        if lines:
            body = label + " ".join(lines)
            if inbound is not None:
                self.runtime.record_reply(leg.session, inbound, body, speaker.language)
            else:
                self._mark(leg, Direction.OUTBOUND, body, speaker.language)
        return call.twiml

    # ================================================================== small pieces

    def _converse(self, leg: _Leg, event: Event, inbound: Message | None) -> Answer:
        return self.runtime.converse(
            leg.session, leg.pharmacy, leg.conversation, event, inbound, leg.now
        )

    def _event(self, form: CallForm) -> Event:
        digits = "".join(c for c in form.digits if c.isdigit() or c in "#*")
        if digits.strip("#*"):
            return Digits(digits)
        if form.speech:
            return Text(form.speech[:1600], speech=True, confidence=form.confidence)
        return NoInput()

    def _unsure(self, event: Text) -> bool:
        threshold = self.settings.confidence_threshold
        return event.confidence is not None and event.confidence < threshold

    def _speaker(self, leg: _Leg) -> Speaker:
        language = leg.call.language
        if language is None:
            patients = self._patients(leg)
            language = patients[0].language if patients else None
        return speaker_for(language)

    def _patients(self, leg: _Leg) -> Sequence[Patient]:
        return caregivers.patients_at(leg.session, leg.pharmacy.id, leg.call.phone)[0]

    def _params(self, leg: _Leg) -> dict[str, Param]:
        return {"pharmacy": leg.pharmacy.name, "pharmacy_phone": self._pharmacy_phone(leg)}

    @staticmethod
    def _pharmacy_phone(leg: _Leg) -> str:
        return display_phone(leg.pharmacy.phone)

    @staticmethod
    def _url(leg: _Leg, route: str, step: bool = True) -> str:
        """A URL for the step `_emit` is about to write: action URLs name the step they answer,
        so a repeated or out-of-order request is recognised."""
        query = {"call": leg.call.call_sid or str(leg.call.id)}
        if step:
            query["step"] = str(leg.call.step + 1)
        return f"{leg.base}/twilio/voice/{route}?" + urlencode(query)

    @staticmethod
    def _inbound(leg: _Leg, body: str) -> Message:
        """What the patient keyed or said (or did not), as the transcript shows it."""
        return transcript_line(leg.session, leg.call, Direction.INBOUND, body, leg.now)

    @staticmethod
    def _mark(leg: _Leg, direction: Direction, body: str, language: str | None = None) -> None:
        transcript_line(leg.session, leg.call, direction, body, leg.now, language)

    @staticmethod
    def _note(
        leg: _Leg,
        kind: ReviewKind,
        summary: str,
        flagged: bool = False,
        message: Message | None = None,
    ) -> None:
        note_for_staff(leg.session, leg.call, kind, summary, leg.now, flagged, message)

    @staticmethod
    def _question(call: Call) -> Ask:
        # A question is stored with every QUESTION step; say something harmless if not.
        return decode_question(call.question) if call.question else Ask(said.GOODBYE)

    def _language_note(self, leg: _Leg, speaker: Speaker) -> None:
        if leg.call.notes.get("language_noted") or leg.call.patient_id is None:
            return
        leg.call.notes = {**leg.call.notes, "language_noted": True}
        self._note(
            leg,
            ReviewKind.MESSAGE,
            f"Phone calls cannot speak this patient's language ({leg.call.language}): "
            f"the call was said in {speaker.language} and took keypad answers only. "
            "Consider calling with an interpreter.",
        )

    @staticmethod
    def _find(session: Session, call_id: int | None, call_sid: str) -> Call | None:
        found = session.get(Call, call_id) if call_id is not None else None
        if found is None and call_sid:
            found = call_by_sid(session, call_sid)
        return found


# ---------------------------------------------------------------------- helpers


MENU_KEY_PREFERENCES = "2"  # the call's menu: delivery, calls or texts, time of day


def _subject(patients: Sequence[Patient], state: State) -> Patient | None:
    for p in patients:
        if p.id == state.subject:
            return p
    return patients[0] if len(patients) == 1 else None


def _says(replies: Sequence[Reply]) -> list[Reply]:
    return [r for r in replies if not isinstance(r, Ask)]


def _heard(event: Event) -> str:
    """What the patient did, as the transcript shows it."""
    if isinstance(event, Digits):
        return f"[keypad {event.digits}]"
    if isinstance(event, Text):
        return event.body
    return "[no answer]"
