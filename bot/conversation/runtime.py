"""The conversation runtime: the only place where dialogs meet the store.

One inbound message is one transaction: lock the conversation, answer a retry from what
was stored, step the dialog, apply its effects, store both messages and the new state.
Jobs (sending outbound texts) are enqueued after the commit by whoever holds the `Outbound`.

Beside this module: context.py (what the dialog may know), effects.py (applying each kind
of effect), messages.py (message rows and phone numbers), text_writer.py (the text, its reply
and the state written at the end of the step); rendering is bot/channels/.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.sms import InboundText, render_sms
from bot.channels.sms_text import compose
from bot.clock import Clock, SystemClock, local_date
from bot.conversation.context import dialog_context, open_staff_thread, subject_of
from bot.conversation.effects import apply_effects
from bot.conversation.messages import (
    EMPTY_TWIML,
    Outbound,
    asks,
    inbound_message,
    normalize_phone,
    outbound_message,
    together,
)
from bot.conversation.text_writer import TextWriter
from bot.languages import catalogs, serving
from bot.program import caregivers, renewals
from bot.settings import Settings
from dialogs import engine, prompts
from dialogs.state import load
from dialogs.turn import (
    Event,
    Say,
    Start,
    Text,
    Timeout,
    Turn,
)
from store import queries
from store.db import transaction
from store.models import (
    Channel,
    Conversation,
    Message,
    MessageStatus,
    Patient,
    Pharmacy,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)
from store.phone_read import PhoneRead

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """A conversation step's outcome, before any channel renders it."""

    turn: Turn
    language: str
    patient_id: int | None


class NotEnrolled(Exception):
    """A check-in was asked for a patient who has no pickup day yet."""


class PatientNotFound(Exception):
    pass


class Runtime:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        render_sms: Callable[[Sequence[str]], str],
        preparation_days: int = 3,
        decline_quiet_days: int = 180,
    ) -> None:
        self.sessions = sessions
        TextWriter.watch(sessions)
        self.clock = clock
        self.render_sms = render_sms
        self.preparation_days = preparation_days
        self.decline_quiet_days = decline_quiet_days

    # ------------------------------------------------------------------ inbound

    def handle_text(self, inbound: InboundText) -> str:
        """Answer one inbound text with TwiML; a retried MessageSid gets the same answer.

        A database failure propagates (the webhook answers 5xx and Twilio retries); any other
        failure still keeps the message for staff and answers the patient.
        """
        try:
            return self._handle_text(inbound)
        except SQLAlchemyError:
            raise
        except Exception:
            log.exception("a dialog failed on message %s; keeping it for staff", inbound.sid)
            return self._keep_for_staff(inbound)

    def _locate(
        self, session: Session, inbound: InboundText, now: dt.datetime, check_sid: bool = True
    ) -> queries.Located | str:
        """The pharmacy and the sender's locked conversation; or the TwiML to answer when
        there is nothing new to do (no pharmacy owns the number, or, unless `check_sid` is
        False because the caller looks with its next statement, a retried MessageSid, which
        gets what it got before)."""
        found = queries.pharmacy_and_conversation(
            session, normalize_phone(inbound.to), normalize_phone(inbound.from_), now
        )
        if found is None:
            log.error("inbound text to a number no pharmacy owns; see `medsync pharmacy add`")
            return EMPTY_TWIML
        if not check_sid:
            return found
        earlier = queries.message_by_sid(session, inbound.sid)
        if earlier is not None:
            return earlier.reply or EMPTY_TWIML
        return found

    def _keep_for_staff(self, inbound: InboundText) -> str:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            located = self._locate(session, inbound, now)
            if isinstance(located, str):
                return located
            pharmacy, conversation = located.pharmacy, located.conversation
            phone = conversation.phone
            patients = queries.patients_with_phone(session, pharmacy.id, phone)
            subject = subject_of(patients, load(conversation.state))
            language = (
                catalogs.served_language(subject.language, serving.overrides(pharmacy))
                if subject
                else catalogs.DEFAULT_LANGUAGE
            )
            twiml = self.render_sms([compose([Say(prompts.PASSED_ON)], language)])
            message = inbound_message(conversation, inbound, now)
            message.patient_id = subject.id if subject else None
            message.reply = twiml
            session.add(message)
            session.flush()
            session.add(
                ReviewItem(
                    pharmacy_id=pharmacy.id,
                    patient_id=message.patient_id,
                    phone=phone,
                    kind=ReviewKind.MESSAGE,
                    status=ReviewStatus.PENDING,
                    priority=0,
                    summary="MedSync could not handle this message automatically. "
                    "Please read it and reply to the patient.",
                    details={},
                    message_id=message.id,
                    created_at=now,
                )
            )
        return twiml

    def _handle_text(self, inbound: InboundText) -> str:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            located = self._locate(session, inbound, now, check_sid=False)
            if isinstance(located, str):
                return located
            pharmacy, conversation = located.pharmacy, located.conversation
            # The phone's patients and all the step needs of them, and whether this
            # MessageSid was answered before (a retry gets what it got), in one statement
            # after the conversation is locked (store/phone_read.py).
            found = caregivers.view_for_step(session, pharmacy.id, conversation.phone, inbound.sid)
            if found[1].earlier_reply is not None:
                return found[1].earlier_reply or EMPTY_TWIML
            # The text (and on PostgreSQL its reply) got their ids from the locking statement:
            # the effects point at the text before it is written, and both rows are one
            # INSERT at the end of the step, the reply set first (TextWriter). With no ids
            # (a number no pharmacy owns, answered by the only pharmacy) the text is flushed
            # before the effects and its reply updated, as before issue 19.
            ids = located.message_ids
            message = inbound_message(conversation, inbound, now)
            writer = TextWriter(session, message, ids) if ids else None
            event = Text(inbound.body, num_media=inbound.num_media)
            answer = self.converse(
                session, pharmacy, conversation, event, message, now, found, writer is not None
            )
            replies = () if inbound.answered_by_twilio else answer.turn.replies
            body = compose(replies, answer.language)
            twiml = self.render_sms([body]) if body else EMPTY_TWIML
            message.reply = twiml
            reply = None
            if body:
                reply = self.record_reply(session, message, body, answer.language, writer is None)
            if writer is not None:
                writer.finish(reply, conversation, answer.turn.state.to_json(), now)
        return twiml

    def converse(
        self,
        session: Session,
        pharmacy: Pharmacy,
        conversation: Conversation,
        event: Event,
        message: Message | None,
        now: dt.datetime,
        seen: tuple[caregivers.PhoneView, PhoneRead] | None = None,
        written_by_caller: bool = False,
    ) -> Answer:
        """One step of the conversation on a locked row, for any channel.

        Stores `message` (the inbound text or call input) against the patient it is about,
        applies the turn's effects and saves the new state; the caller renders the replies.
        `seen`: what the caller read of the phone (`caregivers.view_for_step`).
        `written_by_caller`: the caller writes `message` and the new state (`TextWriter`).
        """
        found, read = seen or caregivers.view_for_step(session, pharmacy.id, conversation.phone)
        patients = found.patients
        before = load(conversation.state)
        today = local_date(self.clock, pharmacy.timezone)
        ctx = dialog_context(
            session,
            pharmacy,
            patients,
            before,
            event,
            today,
            found,
            self.preparation_days,
            self.decline_quiet_days,
            open_staff_thread(conversation, now),
            read,
        )
        turn = engine.step(before, event, ctx)
        subject = subject_of(patients, turn.state)
        if message is not None:
            # On a shared phone the answer belongs to whom it answered, even when the turn
            # then moves on to the next person.
            about = subject_of(patients, before) if before.subject else None
            about = about or subject
            message.patient_id = about.id if about else None
            if not written_by_caller:
                session.add(message)
                session.flush()  # the effects point at it
        channel = message.channel if message is not None else Channel.SMS
        apply_effects(
            session,
            pharmacy,
            patients,
            turn.effects,
            message,
            conversation.phone,
            now,
            channel,
            conversation,
        )
        if not written_by_caller:
            conversation.state = turn.state.to_json()
            conversation.updated_at = now
        language = (
            serving.language_for(session, pharmacy, subject, now)
            if subject
            else catalogs.DEFAULT_LANGUAGE
        )
        return Answer(turn=turn, language=language, patient_id=subject.id if subject else None)

    @staticmethod
    def record_reply(
        session: Session, inbound: Message, body: str, language: str, add: bool = True
    ) -> Message:
        """Store what we answered in the webhook's own response (it has no SID of its own);
        `add` False: the caller writes the row (`TextWriter`)."""
        reply = outbound_message(
            inbound.conversation_id,
            inbound.pharmacy_id,
            inbound.patient_id,
            inbound.phone,
            body,
            language,
            inbound.created_at,
            channel=inbound.channel,
            status=MessageStatus.SENT,  # it went out as the webhook's answer
        )
        if add:
            session.add(reply)
        return reply

    # ------------------------------------------------------------------ outbound

    def open_check_in(
        self, pharmacy_id: int, external_id: str, anchor_date: dt.date | None = None
    ) -> Outbound | None:
        """Open this cycle's check-in and write its first text; None if it was open already."""
        now = self.clock.now()
        with transaction(self.sessions) as session:
            pharmacy = session.get(Pharmacy, pharmacy_id)
            assert pharmacy is not None
            patient = queries.patient_by_external_id(session, pharmacy_id, external_id)
            if patient is None:
                raise PatientNotFound(f"No patient {external_id} at {pharmacy.name}.")
            enrollment = queries.enrollments_of(session, [patient.id]).get(patient.id)
            if enrollment is None or enrollment.anchor_day is None:
                raise NotEnrolled(f"Patient {external_id} has not chosen a pickup day yet.")
            when = anchor_date or enrollment.next_anchor_date
            assert when is not None
            if queries.check_in_for(session, patient.id, when) is not None:
                return None
            today = local_date(self.clock, pharmacy.timezone)
            renewals.ask_in_time(session, patient, enrollment.anchor_day, when, today, now)
            key = f"check_in:{patient.id}:{when.isoformat()}:open"
            opens = Start("check_in", {"patient_id": patient.id, "anchor_date": when})
            sent = [self._start(session, pharmacy, patient, opens, key=key, now=now)]
            for phone in caregivers.recipients(session, patient, textable=False):
                sent.append(
                    self._start(
                        session, pharmacy, patient, opens, f"{key}:{phone}", now, phone=phone
                    )
                )
            return together(sent)

    def invite(self, pharmacy_id: int, external_id: str, key: str) -> Outbound | None:
        """Write the med sync invitation (the enrollment dialog's offer) in the patient's
        language; None if it was written already under `key` or may not be sent."""
        now = self.clock.now()
        with transaction(self.sessions) as session:
            patient = queries.patient_by_external_id(session, pharmacy_id, external_id)
            pharmacy = session.get(Pharmacy, pharmacy_id)
            if patient is None or pharmacy is None:
                raise PatientNotFound(f"No patient {external_id} at pharmacy {pharmacy_id}.")
            if session.scalar(select(Message.id).where(Message.idempotency_key == key)):
                return None
            return self.invite_in(session, pharmacy, patient, key, now)

    def invite_in(
        self, session: Session, pharmacy: Pharmacy, patient: Patient, key: str, now: dt.datetime
    ) -> Outbound | None:
        """`invite` inside the caller's transaction, `key` known to be unused (a campaign
        writes a chunk of invitations in one transaction)."""
        event = Start("enrollment", {"patient_id": patient.id})
        return self._start(session, pharmacy, patient, event, key=key, now=now)

    def start_assessment(
        self, pharmacy_id: int, patient_id: int, key: str, sending: str
    ) -> Outbound | None:
        """Send a standalone assessment's first question; None when nothing goes out now
        (it was sent already, it waits for the dialog the phone is in, or the patient opted
        out). The answers are saved under `key` ("name@version")."""
        now = self.clock.now()
        with transaction(self.sessions) as session:
            patient = session.get(Patient, patient_id)
            pharmacy = session.get(Pharmacy, pharmacy_id)
            if patient is None or pharmacy is None or patient.pharmacy_id != pharmacy_id:
                raise PatientNotFound(f"No patient {patient_id} at pharmacy {pharmacy_id}.")
            idempotency_key = f"assessment:{patient.id}:{sending}"
            if session.scalar(select(Message.id).where(Message.idempotency_key == idempotency_key)):
                return None
            params = {"patient_id": patient.id, "assessment": key, "sending": sending}
            event = Start("assessment", params)
            return self._start(session, pharmacy, patient, event, key=idempotency_key, now=now)

    def follow_up(
        self, pharmacy_id: int, external_id: str, anchor_date: dt.date
    ) -> Outbound | None:
        """Re-ask the open check-in question (no answer for a while); None if the patient
        is no longer in that check-in or the reminder was written already."""
        now = self.clock.now()
        with transaction(self.sessions) as session:
            patient = queries.patient_by_external_id(session, pharmacy_id, external_id)
            pharmacy = session.get(Pharmacy, pharmacy_id)
            if patient is None or pharmacy is None:
                raise PatientNotFound(f"No patient {external_id} at pharmacy {pharmacy_id}.")
            key = f"check_in:{patient.id}:{anchor_date.isoformat()}:follow_up"
            if session.scalar(select(Message.id).where(Message.idempotency_key == key)):
                return None
            sent = []
            for phone in caregivers.recipients(session, patient, textable=True):
                conversation = queries.locked_conversation(session, pharmacy.id, phone, now)
                state = load(conversation.state)
                waiting = state.dialog == "check_in" and state.subject == patient.id
                if waiting and state.data.get("anchor_date") == anchor_date.isoformat():
                    own = phone == patient.phone
                    at = key if own else f"{key}:{phone}"
                    sent.append(self._start(session, pharmacy, patient, Timeout(), at, now, phone))
            return together(sent)

    def _start(
        self,
        session: Session,
        pharmacy: Pharmacy,
        patient: Patient,
        event: Start | Timeout,
        key: str,
        now: dt.datetime,
        phone: str | None = None,
    ) -> Outbound | None:
        """Step the conversation on the patient's phone (or a caregiver's `phone`) and write
        what it says as a queued text."""
        phone = phone or patient.phone
        conversation = queries.locked_conversation(session, pharmacy.id, phone, now)
        answer = self.converse(session, pharmacy, conversation, event, None, now)
        if not answer.turn.replies:
            return None
        body = compose(answer.turn.replies, answer.language, automated=True)
        message = outbound_message(
            conversation.id,
            pharmacy.id,
            patient.id,
            phone,
            body,
            answer.language,
            now,
            idempotency_key=key,
        )
        # What it asks: the send job drops it if the patient answers before it may go.
        message.asks = asks(answer.turn.state)
        session.add(message)
        session.flush()
        return Outbound(message.id, body)


def runtime_for(
    settings: Settings, sessions: sessionmaker[Session], clock: Clock | None = None
) -> Runtime:
    """The runtime as the settings configure it (the web app, the worker and the CLI)."""
    return Runtime(
        sessions,
        clock or SystemClock(),
        render_sms=render_sms,
        preparation_days=settings.preparation_days,
        decline_quiet_days=settings.decline_quiet_days,
    )
