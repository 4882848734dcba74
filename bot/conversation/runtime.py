"""The conversation runtime: the only place where dialogs meet the store.

One inbound message is one transaction: lock the conversation, answer a retry from what
was stored, step the dialog, apply its effects, store both messages and the new state.
Jobs (sending outbound texts) are enqueued after the commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import phonenumbers
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.sms_text import compose
from bot.clock import Clock, local_date
from bot.languages import catalogs, serving
from bot.program import assessments, caregivers, households
from bot.program.plans import plan_for, proposal
from bot.program.preferences import Preferences, cost_estimates
from bot.program.preferences import change as change_preference
from bot.program.preferences import of_all as preferences_of
from dialogs import engine, prompts
from dialogs.assessment_file import check_in_for
from dialogs.context import Context, PatientFacts
from dialogs.plan.model import PlanError
from dialogs.state import State, load
from dialogs.turn import (
    Effect,
    Event,
    OpenReviewItem,
    RecordConsent,
    SaveAssessment,
    SaveCheckIn,
    Say,
    SetCaregiver,
    SetCaregiverPhone,
    SetEnrollment,
    SetLanguage,
    SetPreference,
    Start,
    Text,
    Timeout,
    Turn,
)
from store import queries
from store.db import transaction
from store.models import (
    Channel,
    CheckIn,
    CheckInStatus,
    ConsentEvent,
    ConsentKind,
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

log = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@dataclass(frozen=True)
class InboundText:
    sid: str
    from_: str
    to: str
    body: str
    num_media: int = 0
    # Twilio's Advanced Opt-Out already answered this STOP, START or HELP (OptOutType is set):
    # record what it means, but send no second confirmation.
    answered_by_twilio: bool = False


@dataclass(frozen=True)
class Answer:
    """A conversation step's outcome, before any channel renders it."""

    turn: Turn
    language: str
    patient_id: int | None


@dataclass(frozen=True)
class Outbound:
    """An outbound message row written in a transaction, to be sent after the commit."""

    message_id: int
    body: str
    # The same text to the patient's caregivers (bot/caregivers.py): send these too.
    others: tuple[int, ...] = ()


class NotEnrolled(Exception):
    """A check-in was asked for a patient who has no pickup day yet."""


class PatientNotFound(Exception):
    pass


def display_phone(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, "US")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def normalize_phone(raw: str) -> str:
    """E.164 when it parses, else the raw text (an odd From still gets an answer); at most
    the 20 characters the phone columns hold."""
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        return raw.strip()[:20]
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[:20]


def _inbound_message(conversation: Conversation, inbound: InboundText, now: dt.datetime) -> Message:
    return Message(
        pharmacy_id=conversation.pharmacy_id,
        conversation_id=conversation.id,
        direction=Direction.INBOUND,
        channel=Channel.SMS,
        sid=inbound.sid,
        phone=conversation.phone,
        body=inbound.body,
        num_media=inbound.num_media,
        status=MessageStatus.RECEIVED,
        created_at=now,
    )


def outbound_message(
    conversation_id: int | None,
    pharmacy_id: int,
    patient_id: int | None,
    phone: str,
    body: str,
    language: str,
    now: dt.datetime,
    channel: Channel = Channel.SMS,
    status: MessageStatus = MessageStatus.QUEUED,
    idempotency_key: str | None = None,
) -> Message:
    """An outbound row: queued for a job to send, unless it went out another way."""
    return Message(
        pharmacy_id=pharmacy_id,
        patient_id=patient_id,
        conversation_id=conversation_id,
        direction=Direction.OUTBOUND,
        channel=channel,
        idempotency_key=idempotency_key,
        phone=phone,
        body=body,
        status=status,
        language=language,
        created_at=now,
    )


def _together(sent: Sequence[Outbound | None]) -> Outbound | None:
    """One patient's texts to several phones: the first, carrying the others."""
    written = [o for o in sent if o is not None]
    if not written:
        return None
    first, *rest = written
    return Outbound(first.message_id, first.body, tuple(o.message_id for o in rest))


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
        self, session: Session, inbound: InboundText, now: dt.datetime
    ) -> tuple[Pharmacy, Conversation] | str:
        """The pharmacy and the sender's locked conversation; or the TwiML to answer when
        there is nothing new to do (no pharmacy owns the number, or a retried MessageSid,
        which gets what it got before)."""
        pharmacy = queries.pharmacy_for_number(session, normalize_phone(inbound.to))
        if pharmacy is None:
            log.error("inbound text to a number no pharmacy owns; see `medsync pharmacy add`")
            return EMPTY_TWIML
        phone = normalize_phone(inbound.from_)
        conversation = queries.locked_conversation(session, pharmacy.id, phone, now)
        earlier = queries.message_by_sid(session, inbound.sid)
        if earlier is not None:
            return earlier.reply or EMPTY_TWIML
        return pharmacy, conversation

    def _keep_for_staff(self, inbound: InboundText) -> str:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            located = self._locate(session, inbound, now)
            if isinstance(located, str):
                return located
            pharmacy, conversation = located
            phone = conversation.phone
            patients = queries.patients_with_phone(session, pharmacy.id, phone)
            subject = self._subject(patients, load(conversation.state))
            language = (
                catalogs.served_language(subject.language, serving.overrides(pharmacy))
                if subject
                else catalogs.DEFAULT_LANGUAGE
            )
            twiml = self.render_sms([compose([Say(prompts.PASSED_ON)], language)])
            message = _inbound_message(conversation, inbound, now)
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
            located = self._locate(session, inbound, now)
            if isinstance(located, str):
                return located
            pharmacy, conversation = located
            message = _inbound_message(conversation, inbound, now)
            event = Text(inbound.body, num_media=inbound.num_media)
            answer = self.converse(session, pharmacy, conversation, event, message, now)
            replies = () if inbound.answered_by_twilio else answer.turn.replies
            body = compose(replies, answer.language)
            twiml = self.render_sms([body]) if body else EMPTY_TWIML
            message.reply = twiml
            if body:
                self.record_reply(session, message, body, answer.language)
        return twiml

    def converse(
        self,
        session: Session,
        pharmacy: Pharmacy,
        conversation: Conversation,
        event: Event,
        message: Message | None,
        now: dt.datetime,
    ) -> Answer:
        """One step of the conversation on a locked row, for any channel.

        Stores `message` (the inbound text or call input) against the patient it is about,
        applies the turn's effects and saves the new state; the caller renders the replies.
        """
        found = caregivers.view(session, pharmacy.id, conversation.phone)
        patients = found.patients
        before = load(conversation.state)
        turn = self._step(session, pharmacy, patients, before, event, now, found)
        subject = self._subject(patients, turn.state)
        if message is not None:
            # On a shared phone the answer belongs to whom it answered, even when the turn
            # then moves on to the next person.
            about = self._subject(patients, before) if before.subject else None
            about = about or subject
            message.patient_id = about.id if about else None
            session.add(message)
            session.flush()
        channel = message.channel if message is not None else Channel.SMS
        self._apply(
            session, pharmacy, patients, turn.effects, message, conversation.phone, now, channel
        )
        conversation.state = turn.state.to_json()
        conversation.updated_at = now
        language = (
            serving.language_for(session, pharmacy, subject, now)
            if subject
            else catalogs.DEFAULT_LANGUAGE
        )
        return Answer(turn=turn, language=language, patient_id=subject.id if subject else None)

    @staticmethod
    def record_reply(session: Session, inbound: Message, body: str, language: str) -> Message:
        """Store what we answered in the webhook's own response (it has no SID of its own)."""
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
            self._renewal_tasks(session, pharmacy, patient, enrollment.anchor_day, when, now)
            key = f"check_in:{patient.id}:{when.isoformat()}:open"
            opens = Start("check_in", {"patient_id": patient.id, "anchor_date": when})
            sent = [self._start(session, pharmacy, patient, opens, key=key, now=now)]
            for phone in caregivers.recipients(session, patient, textable=False):
                sent.append(
                    self._start(
                        session, pharmacy, patient, opens, f"{key}:{phone}", now, phone=phone
                    )
                )
            return _together(sent)

    def _renewal_tasks(
        self,
        session: Session,
        pharmacy: Pharmacy,
        patient: Patient,
        anchor_day: int,
        anchor_date: dt.date,
        now: dt.datetime,
    ) -> None:
        """At check-in time, prescriptions that need the prescriber before this pickup become
        review items, one per prescription and pickup, so staff ask in time."""
        try:
            plan = plan_for(patient, local_date(self.clock, pharmacy.timezone), anchor_day)
        except PlanError:
            return  # not plannable: the pharmacist sees why on the patient's page
        already = {
            (item.details or {}).get("rx_number")
            for item in queries.review_items_of(session, patient.id, ReviewKind.RENEWAL)
            if (item.details or {}).get("anchor_date") == anchor_date.isoformat()
        }
        for renewal in plan.renewals:
            if renewal.rx_number in already:
                continue
            session.add(
                ReviewItem(
                    pharmacy_id=pharmacy.id,
                    patient_id=patient.id,
                    phone=patient.phone,
                    kind=ReviewKind.RENEWAL,
                    status=ReviewStatus.PENDING,
                    priority=1,
                    summary=f"Ask the prescriber to renew {renewal.drug_name} "
                    f"({renewal.rx_number}) by {renewal.request_on:%b %d, %Y}. {renewal.reason}",
                    details={
                        "rx_number": renewal.rx_number,
                        "anchor_date": anchor_date.isoformat(),
                    },
                    created_at=now,
                )
            )

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
            return _together(sent)

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
        session.add(message)
        session.flush()
        return Outbound(message.id, body)

    # ------------------------------------------------------------------ the step

    def _step(
        self,
        session: Session,
        pharmacy: Pharmacy,
        patients: Sequence[Patient],
        state: State,
        event: Event,
        now: dt.datetime,
        found: caregivers.PhoneView | None = None,
    ) -> Turn:
        today = local_date(self.clock, pharmacy.timezone)
        enrollments = queries.enrollments_of(session, [p.id for p in patients])
        prefs = preferences_of(session, patients)
        facts = tuple(
            self._facts(p, enrollments.get(p.id), today, prefs.get(p.id)) for p in patients
        )
        facts = households.with_households(session, patients, facts, today)
        subject = self._subject(patients, state)
        language = subject.language if subject else (patients[0].language if patients else "en")
        ctx = Context(
            today=today,
            pharmacy_name=pharmacy.name,
            pharmacy_phone=display_phone(pharmacy.phone),
            patients=facts,
            vocab=catalogs.vocabulary_for(language),
            preparation_days=self.preparation_days,
            decline_quiet_days=self.decline_quiet_days,
            languages=serving.offered(pharmacy),
            check_in=check_in_for(pharmacy.check_in_definition),
            assessments=assessments.in_play(session, pharmacy.id, state.to_json(), event),
        )
        if found is not None:
            ctx = caregivers.in_context(found, ctx)
        return engine.step(state, event, ctx)

    def _facts(
        self,
        patient: Patient,
        enrollment: Enrollment | None,
        today: dt.date,
        prefs: Preferences | None = None,
    ) -> PatientFacts:
        status = enrollment.status.value if enrollment else None
        # The sync plan is worked out only for patients who may be about to choose a day.
        choosing = status in (None, "consented", "declined", "disenrolled")
        offer = proposal(patient, today) if choosing else None
        return PatientFacts(
            id=patient.id,
            first_name=patient.first_name,
            language=patient.language,
            birth_year=patient.birth_date.year if patient.birth_date else None,
            opted_out=patient.opted_out,
            enrollment=status,
            anchor_day=enrollment.anchor_day if enrollment else None,
            next_anchor_date=enrollment.next_anchor_date if enrollment else None,
            eligible=offer.eligible if offer else True,
            proposed_anchor_day=offer.day if offer else 15,
            language_confirmed=patient.language_confirmed,
            delivery=prefs.delivery if prefs else None,
            channel=prefs.channel if prefs else None,
            time_of_day=prefs.time_of_day if prefs else None,
            detailed_messages=prefs.detailed if prefs else False,
            preferences_asked=prefs.asked if prefs else False,
            can_text=patient.sms_capable is not False and patient.phone_type != "landline",
            # Only while the pickup day is being chosen: the anchor dialog tells the cost.
            cost_estimates=cost_estimates(patient, today) if status == "consented" else {},
        )

    @staticmethod
    def _subject(patients: Sequence[Patient], state: State) -> Patient | None:
        for p in patients:
            if p.id == state.subject:
                return p
        return patients[0] if len(patients) == 1 else None

    # ------------------------------------------------------------------ effects

    def _apply(
        self,
        session: Session,
        pharmacy: Pharmacy,
        patients: Sequence[Patient],
        effects: Sequence[Effect],
        message: Message | None,
        phone: str,
        now: dt.datetime,
        channel: Channel = Channel.SMS,
    ) -> None:
        by_id = {p.id: p for p in patients}
        for effect in effects:
            match effect:
                case RecordConsent():
                    patient = by_id[effect.patient_id]
                    session.add(
                        ConsentEvent(
                            patient_id=patient.id,
                            kind=ConsentKind(effect.kind),
                            channel=channel,
                            message_id=message.id if message else None,
                            wording=effect.wording,
                            prompt=effect.prompt,
                            # the language the patient was asked in, not only the one they have
                            language=catalogs.served_language(
                                patient.language, serving.overrides(pharmacy)
                            ),
                            created_at=now,
                        )
                    )
                    if effect.kind in ("opt_out", "opt_in"):
                        patient.opted_out = effect.kind == "opt_out"
                        patient.updated_at = now
                    if effect.kind == "household_joined":
                        households.join_on_phone(session, patient, patients, now)
                case SetEnrollment():
                    self._set_enrollment(session, effect, now)
                case SetLanguage():
                    by_id[effect.patient_id].language = effect.language
                    by_id[effect.patient_id].language_confirmed = True
                    by_id[effect.patient_id].updated_at = now
                case SaveCheckIn():
                    self._save_check_in(session, effect, now)
                    self._answered_by(session, by_id.get(effect.patient_id), effect, phone, now)
                case SetCaregiver() | SetCaregiverPhone():
                    caregivers.apply(session, pharmacy, by_id, effect, message, phone, now, channel)
                case SaveAssessment():
                    assessments.save_response(session, pharmacy.id, effect, now)
                case SetPreference():
                    patient = by_id[effect.patient_id]
                    change_preference(session, patient, effect.name, effect.value, channel, now)
                case OpenReviewItem():
                    self._open_review_item(session, pharmacy, effect, message, phone, now)

    @staticmethod
    def _set_enrollment(session: Session, effect: SetEnrollment, now: dt.datetime) -> None:
        enrollment = queries.enrollments_of(session, [effect.patient_id]).get(effect.patient_id)
        if enrollment is None:
            enrollment = Enrollment(patient_id=effect.patient_id, cycle="monthly")
            session.add(enrollment)
        enrollment.status = EnrollmentStatus(effect.status)
        if effect.anchor_day is not None:
            enrollment.anchor_day = effect.anchor_day
            enrollment.next_anchor_date = effect.next_anchor_date
        enrollment.declined_until = effect.declined_until
        enrollment.updated_at = now

    @staticmethod
    def _answered_by(
        session: Session, patient: Patient | None, effect: SaveCheckIn, phone: str, now: dt.datetime
    ) -> None:
        """Whose phone answered (the patient's or a caregiver's); a finished check-in no
        longer waits on the patient's other phones."""
        check_in = queries.check_in_for(session, effect.patient_id, effect.anchor_date)
        if patient is None or check_in is None or not effect.answers:
            return
        check_in.answered_by, check_in.caregiver_id = caregivers.answered_by(
            session, patient, phone
        )
        if effect.status != "open":
            caregivers.close_elsewhere(session, patient, effect.anchor_date, phone, now)

    @staticmethod
    def _save_check_in(session: Session, effect: SaveCheckIn, now: dt.datetime) -> None:
        check_in = queries.check_in_for(session, effect.patient_id, effect.anchor_date)
        if check_in is None:
            check_in = CheckIn(
                patient_id=effect.patient_id, anchor_date=effect.anchor_date, opened_at=now
            )
            session.add(check_in)
        check_in.status = CheckInStatus(effect.status)
        check_in.definition = effect.definition
        check_in.answers = dict(effect.answers)
        check_in.flags = list(effect.flags)
        check_in.completed_at = None if effect.status == "open" else now
        session.flush()

    @staticmethod
    def _open_review_item(
        session: Session,
        pharmacy: Pharmacy,
        effect: OpenReviewItem,
        message: Message | None,
        phone: str,
        now: dt.datetime,
    ) -> None:
        kind = ReviewKind(effect.kind)
        check_in_id = None
        if effect.check_in_anchor_date is not None and effect.patient_id is not None:
            check_in = queries.check_in_for(session, effect.patient_id, effect.check_in_anchor_date)
            check_in_id = check_in.id if check_in else None
        elif kind != ReviewKind.ASSESSMENT and queries.pending_review_item(
            session, pharmacy.id, kind, effect.patient_id, phone
        ):
            return  # one pending item of a kind per patient; the transcript shows every message
        session.add(
            ReviewItem(
                pharmacy_id=pharmacy.id,
                patient_id=effect.patient_id,
                phone=phone,
                kind=kind,
                status=ReviewStatus.PENDING,
                priority=0 if effect.flagged else 1,
                summary=effect.summary,
                details=dict(effect.details),
                check_in_id=check_in_id,
                message_id=message.id if message else None,
                created_at=now,
            )
        )
