"""Answering Twilio's requests on a call: the same dialogs over a phone call, in and out.

Every Twilio request on a call is one transaction: lock the conversation (as a text would),
lock the call's row, check that the request answers the step the call is waiting for, step
the dialog through `Runtime.converse`, and store the TwiML that answered it. A repeated
request (same CallSid and step) or an out-of-order one gets the stored TwiML again and
changes nothing. The call, not the dialog, owns what only a call has: silence, unclear
speech, at most two re-prompts per question, a length cap, a transfer to the pharmacy, a
message left after the tone, and the voicemail an answering machine gets.

The steps live beside this module: answering (a call begins), gathering (questions and the
menu), transferring (a person, or a message after the tone) and recording (that message).
Placing calls and their status callbacks belong to outreach (bot/outreach/call_desk.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.channels import voice_instructions as said
from bot.channels.voice import CallForm
from bot.channels.voice_twiml import (
    HangUp,
    Transfer,
    hang_up,
    not_in_service,
    sentences,
    speaker_for,
    twiml,
)
from bot.conversation.call_records import PURPOSE_WORDS, keep_recording, move_status
from bot.conversation.calls.answering import open_inbound, open_outbound, voicemail
from bot.conversation.calls.gathering import end_too_long, on_menu, on_offer, on_question, too_long
from bot.conversation.calls.leg import Leg, emit, mark, subject_of
from bot.conversation.calls.recording import on_recorded
from bot.conversation.calls.transferring import on_dialed
from bot.conversation.calls.verifying import on_birth_date
from bot.conversation.messages import normalize_phone
from bot.conversation.runtime import Runtime
from bot.program import caregivers
from bot.settings.outreach import OutreachSettings
from bot.settings.voice import VoiceSettings
from dialogs import prompts
from dialogs.state import load
from dialogs.turn import Say
from store import queries
from store.calls import Call, CallMode, CallPurpose, CallStatus, call_by_sid, locked_call
from store.db import transaction
from store.models import Conversation, Direction, Pharmacy

log = logging.getLogger(__name__)


class Calls:
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

    def _leg(
        self,
        session: Session,
        pharmacy: Pharmacy,
        conversation: Conversation,
        call: Call,
        now: dt.datetime,
        base: str,
    ) -> Leg:
        tools = (self.runtime, self.settings, self.outreach)
        return Leg(session, pharmacy, conversation, call, now, base, *tools)

    def incoming(self, form: CallForm, base: str) -> str:
        """A patient calls the pharmacy's number: the dialog that is due, else a short menu."""
        return self._guarded(form, lambda: self._incoming(form, base))

    def answered(self, call_id: int | None, form: CallForm, base: str) -> str:
        """Our outbound call was picked up: a person gets the dialog, a machine a voicemail."""
        return self._guarded(form, lambda: self._answered(call_id, form, base))

    def respond(self, form: CallForm, step: int, base: str) -> str:
        """Every action request (Gather, Dial, Record) of a call, answered once per step."""
        return self._guarded(form, lambda: self._respond(form, step, base))

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
            subject = subject_of(patients, load(conversation.state))
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
            leg = self._leg(session, pharmacy, conversation, call, now, base)
            mark(leg, Direction.INBOUND, "[phone call from the patient]")
            return open_inbound(leg, patients)

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
            leg = self._leg(session, pharmacy, conversation, call, now, base)
            answered_by = (call.answered_by or "").lower()
            if answered_by.startswith("machine"):
                return voicemail(leg)
            if answered_by == "fax":
                mark(leg, Direction.OUTBOUND, "[a fax machine answered: hung up]")
                return emit(leg, [], HangUp(), CallMode.DONE)
            purpose = PURPOSE_WORDS[call.purpose]
            mark(leg, Direction.OUTBOUND, f"[phone call to the patient: {purpose}]")
            return open_outbound(leg)

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
            leg = self._leg(session, pharmacy, conversation, call, now, base)
            if call.mode in (CallMode.QUESTION, CallMode.MENU, CallMode.OFFER) and too_long(leg):
                return end_too_long(leg)
            match call.mode:
                case CallMode.QUESTION if call.notes.get("verifying"):
                    return on_birth_date(leg, form, open_inbound)
                case CallMode.QUESTION:
                    return on_question(leg, form)
                case CallMode.MENU:
                    return on_menu(leg, form)
                case CallMode.OFFER:
                    return on_offer(leg, form)
                case CallMode.DIAL:
                    return on_dialed(leg, form)
                case CallMode.RECORD:
                    return on_recorded(leg, form)
            return call.twiml or hang_up()

    @staticmethod
    def _find(session: Session, call_id: int | None, call_sid: str) -> Call | None:
        found = session.get(Call, call_id) if call_id is not None else None
        if found is None and call_sid:
            found = call_by_sid(session, call_sid)
        return found
