"""Sending a stored outbound message: re-check, send, record the SID.

The row is written first, in the transaction that caused it; this runs after the commit
(in a job on RQ, or in-process on the embedded default). Every run re-reads the row and
re-checks what may have changed since it was written: an opt-out, quiet hours, the
frequency caps, a paused or cancelled campaign. A run claims the row (status sending) in
one transaction and records Twilio's SID in the next, so a second run sends nothing; a
run that died between the two (a killed worker) is settled by asking Twilio whether the
text arrived there before anything is sent again.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.conversation.messages import still_asked
from bot.outreach.sender import Sender, SendError
from bot.outreach.sending_rules import (
    LocalThrottle,
    Throttle,
    cap_free_at,
    is_automated,
    next_preferred,
    sms_segments,
    windows_for,
)
from bot.program.caregivers import caregiver_may_receive, caregiver_unsubscribed
from bot.program.preferences import time_of_day
from bot.settings.outreach import OutreachSettings
from store.db import transaction
from store.models import (
    Channel,
    ConsentEvent,
    ConsentKind,
    Conversation,
    Message,
    MessageStatus,
    Patient,
    Pharmacy,
)
from store.outreach import Campaign, CampaignRecipient, CampaignStatus

log = logging.getLogger(__name__)

Outcome = Literal["sent", "deferred", "retry", "suppressed", "failed", "already", "missing"]

# Twilio error codes (COMPLIANCE.md): what each one means for the patient's record.
OPTED_OUT = {21610}  # the number texted STOP to Twilio: never retry
NOT_SMS_CAPABLE = {30006, 21614}  # landline or unreachable carrier: a call is needed instead
TRANSIENT = {30003, 20429}  # unreachable handset, too many requests: retry with backoff
MEANINGS = {
    21610: "the patient has opted out (texted STOP)",
    30006: "the number cannot receive texts (landline or unreachable carrier)",
    21614: "the number is not a mobile number",
    30003: "the handset is unreachable",
    20429: "Twilio asked us to slow down",
    21211: "the phone number is not valid",
    30007: "the carrier filtered the message",
    30008: "unknown error from the carrier",
}
# Status moves forward only: a late "sent" callback never undoes "delivered".
RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.UNDELIVERED: 3,
    MessageStatus.FAILED: 3,
    MessageStatus.SUPPRESSED: 3,
}


@dataclass(frozen=True)
class Delivery:
    """What one run did with a message; `at` is when to run again (deferred, retry)."""

    outcome: Outcome
    detail: str
    at: dt.datetime | None = None

    def __str__(self) -> str:
        return self.detail


@dataclass
class SendingPolicy:
    """Everything a send needs besides the row: the rules, the throttle, the callback URL."""

    settings: OutreachSettings = field(default_factory=OutreachSettings)
    throttle: Throttle | None = None
    # Twilio's StatusCallback for our messages: the public base URL + "/twilio/status".
    status_callback: str | None = None
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if self.throttle is None:
            self.throttle = LocalThrottle(self.settings.segments_per_second)


@runtime_checkable
class FindsSentMessages(Protocol):
    def find_sms(self, to: str, from_: str, body: str, since: dt.datetime) -> str | None: ...


@dataclass(frozen=True)
class _Claim:
    to: str
    from_: str
    body: str
    segments: int
    attempt: int


def deliver(
    sessions: sessionmaker[Session],
    sender: Sender,
    message_id: int,
    clock: Clock,
    policy: SendingPolicy | None = None,
) -> Delivery:
    """Send message `message_id` unless it went already or may not go now; say what happened."""
    policy = policy or SendingPolicy()
    settled = _settle_unfinished_send(sessions, sender, message_id, clock, policy)
    if settled is not None:
        return settled
    claim = _claim(sessions, message_id, clock.now(), policy)
    if isinstance(claim, Delivery):
        return claim
    assert policy.throttle is not None
    wait = policy.throttle.reserve(claim.from_, claim.segments)
    if wait > 0:
        policy.sleep(wait)
    callback = f"{policy.status_callback}?message={message_id}" if policy.status_callback else None
    try:
        sid = sender.send_sms(
            to=claim.to, from_=claim.from_, body=claim.body, status_callback=callback
        )
    except SendError as error:
        return _refused(sessions, message_id, claim, error, clock, policy)
    except requests.exceptions.ConnectTimeout as error:
        # Nothing reached Twilio: safe to try again.
        return _refused(
            sessions, message_id, claim, SendError(str(error), None, 503), clock, policy
        )
    except requests.exceptions.RequestException:
        # The request may have reached Twilio (a read timeout, a dropped connection): leave the
        # row claimed; the next run asks Twilio before sending again.
        log.warning(
            "send of message %s lost its answer; it will be checked with Twilio", message_id
        )
        at = clock.now() + dt.timedelta(seconds=policy.settings.send_lease_seconds)
        return Delivery("retry", "not known whether it went: checking with Twilio later", at)
    with transaction(sessions) as session:
        sent = _locked(session, message_id)
        assert sent is not None
        sent.sid = sent.sid or sid
        if RANK[sent.status] < RANK[MessageStatus.SENT]:
            sent.status = MessageStatus.SENT
        sent.error = None
    return Delivery("sent", "sent")


def _locked(session: Session, message_id: int) -> Message | None:
    return session.scalar(
        select(Message)
        .where(Message.id == message_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _settle_unfinished_send(
    sessions: sessionmaker[Session],
    sender: Sender,
    message_id: int,
    clock: Clock,
    policy: SendingPolicy,
) -> Delivery | None:
    """A row left 'sending' by a run that never came back: did Twilio get it?"""
    now = clock.now()
    lease = dt.timedelta(seconds=policy.settings.send_lease_seconds)
    with transaction(sessions) as session:
        message = _locked(session, message_id)
        if message is None or message.status != MessageStatus.SENDING or message.sid:
            return None
        started = message.sent_at or message.created_at
        if now - started < lease:
            return Delivery("retry", "another run is sending it now", started + lease)
        pharmacy = session.get(Pharmacy, message.pharmacy_id)
        assert pharmacy is not None
        to, from_, body = message.phone, pharmacy.twilio_number, message.body
    if not isinstance(sender, FindsSentMessages):
        with transaction(sessions) as session:
            message = _locked(session, message_id)
            assert message is not None
            message.status = MessageStatus.FAILED
            message.error = (
                "A send was interrupted and this sender cannot tell whether the text went out; "
                "it was not sent again. Check with the patient."
            )
        return Delivery("failed", "interrupted send could not be checked; not sent again")
    try:
        found = sender.find_sms(to, from_, body, started - dt.timedelta(days=1))
    except (SendError, requests.exceptions.RequestException) as error:
        log.warning("could not ask Twilio about message %s: %s", message_id, type(error).__name__)
        return Delivery("retry", "could not check with Twilio yet", now + lease)
    with transaction(sessions) as session:
        message = _locked(session, message_id)
        assert message is not None
        if message.status != MessageStatus.SENDING or message.sid:
            return Delivery("already", f"already {message.status.value}")
        if found is not None:
            message.sid = found
            message.status = MessageStatus.SENT
            message.error = None
            return Delivery("sent", "sent (an interrupted send had reached Twilio)")
        # Twilio never got it: the row is queued again and goes through every check anew.
        message.status = MessageStatus.QUEUED
        message.sent_at = None
    return None


class Lookups:
    """What the rules read besides the message, its patient and pharmacy: one query each
    here; bot/outreach/batches.py reads them for a whole batch at once."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def campaign(self, message: Message) -> Campaign | None:
        return self.session.scalar(
            select(Campaign)
            .join(CampaignRecipient, CampaignRecipient.campaign_id == Campaign.id)
            .where(CampaignRecipient.message_id == message.id)
        )

    def time_of_day(self, patient_id: int) -> str | None:
        return time_of_day(self.session, patient_id)

    def cap_free_at(
        self, message: Message, patient_id: int, now: dt.datetime, settings: OutreachSettings
    ) -> dt.datetime | None:
        return cap_free_at(
            self.session, patient_id, now, settings, excluding=message.id, phone=message.phone
        )


def _claim(
    sessions: sessionmaker[Session], message_id: int, now: dt.datetime, policy: SendingPolicy
) -> _Claim | Delivery:
    with transaction(sessions) as session:
        message = _locked(session, message_id)
        if message is None:
            return Delivery("missing", "no such message")
        if message.status != MessageStatus.QUEUED or message.sid:
            return Delivery("already", f"already {message.status.value}")
        patient = (
            session.scalar(
                select(Patient)
                .where(Patient.id == message.patient_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            if message.patient_id
            else None
        )
        pharmacy = session.get(Pharmacy, message.pharmacy_id)
        assert pharmacy is not None
        held = may_go(session, message, patient, pharmacy, now, policy.settings, Lookups(session))
        if held is not None:
            return held
        segments = claim_row(message, now)
        return _Claim(
            message.phone, pharmacy.twilio_number, message.body, segments, message.attempts
        )


def _conversation(session: Session, message: Message) -> Conversation | None:
    if message.asks is None or message.conversation_id is None:
        return None
    return session.get(Conversation, message.conversation_id, populate_existing=True)


def claim_row(message: Message, now: dt.datetime) -> int:
    """The row is being sent: a second run leaves it alone, a run that died is settled.
    Returns its segments."""
    message.status = MessageStatus.SENDING
    message.sent_at = now
    message.attempts += 1
    message.deferred_until = None
    message.segments = segments = sms_segments(message.body)
    return segments


def may_go(
    session: Session,
    message: Message,
    patient: Patient | None,
    pharmacy: Pharmacy,
    now: dt.datetime,
    settings: OutreachSettings,
    lookups: Lookups,
) -> Delivery | None:
    """Every rule re-checked on a queued row: None when it may go now, else what was done
    with it instead (suppressed, deferred, held for its campaign)."""
    held = _campaign_hold(message, now, settings, lookups.campaign(message))
    if held is not None:
        return held
    # To a caregiver's phone (bot/caregivers.py): only while the permission stands.
    to_caregiver = patient is not None and message.phone != patient.phone
    if to_caregiver and not caregiver_may_receive(session, message):
        return _suppress(
            message,
            "The caregiver's permission was withdrawn, or their phone opted out.",
            "not sent: no longer a caregiver",
        )
    if patient is not None and patient.opted_out:
        return _suppress(message, "The patient has opted out of texts.", "not sent: opted out")
    if not still_asked(message, _conversation(session, message)):
        return _suppress(
            message,
            "The patient answered this question before it could be sent (it waited for "
            "sending hours or the caps), so it was not sent.",
            "not sent: answered already",
        )
    if (
        patient is not None
        and not to_caregiver
        and (patient.sms_capable is False or patient.phone_type == "landline")
    ):
        return _suppress(
            message,
            "The number cannot receive texts (landline): the patient needs a call.",
            "not sent: not an SMS-capable number",
        )
    windows = windows_for(
        message.phone,
        patient.timezone if patient else None,
        pharmacy.timezone,
        pharmacy.state,
        settings,
    )
    # Automated messages wait for the part of the day the patient prefers, if any.
    automated = patient is not None and is_automated(message)
    preferred = lookups.time_of_day(patient.id) if patient and automated else None
    at = next_preferred(now, windows, preferred)
    if at == now and patient is not None and automated:
        free = lookups.cap_free_at(message, patient.id, now, settings)
        if free is not None:
            at = next_preferred(free, windows, preferred)
            return _defer(message, at, "the frequency caps are reached")
    if at > now:
        return _defer(message, at, "quiet hours in the patient's time zone")
    return None


def _campaign_hold(
    message: Message, now: dt.datetime, settings: OutreachSettings, campaign: Campaign | None
) -> Delivery | None:
    if campaign is None:
        return None
    if campaign.status == CampaignStatus.CANCELLED:
        return _suppress(
            message, f"Campaign {campaign.name!r} was cancelled.", "not sent: cancelled"
        )
    if campaign.status == CampaignStatus.PAUSED:
        at = now + dt.timedelta(seconds=settings.scheduler_interval)
        return _defer(message, at, f"campaign {campaign.name!r} is paused")
    return None


def _suppress(message: Message, reason: str, detail: str) -> Delivery:
    message.status = MessageStatus.SUPPRESSED
    message.error = reason
    return Delivery("suppressed", detail)


def _defer(message: Message, at: dt.datetime, why: str) -> Delivery:
    message.deferred_until = at
    return Delivery("deferred", f"deferred to {at:%Y-%m-%d %H:%M} UTC: {why}", at)


def _reason(error: SendError) -> str:
    code = error.code if error.code and error.code != error.status else None
    if code is not None:
        meaning = MEANINGS.get(code, str(error))
        return f"Twilio error {code}: {meaning}."
    if error.status:
        return f"Twilio answered HTTP {error.status}: {str(error).rstrip('.')}."
    return f"Twilio could not be reached: {str(error).rstrip('.')}."


def is_transient(error: SendError) -> bool:
    status = error.status or 0
    return error.code in TRANSIENT or status == 429 or status >= 500 or error.status is None


def _refused(
    sessions: sessionmaker[Session],
    message_id: int,
    claim: _Claim,
    error: SendError,
    clock: Clock,
    policy: SendingPolicy,
) -> Delivery:
    now = clock.now()
    reason = _reason(error)
    with transaction(sessions) as session:
        message = _locked(session, message_id)
        assert message is not None
        message.error = reason
        message.error_code = error.code if error.code != error.status else None
        patient = session.get(Patient, message.patient_id) if message.patient_id else None
        if error.code in OPTED_OUT:
            message.status = MessageStatus.FAILED
            # A caregiver's phone that unsubscribed opts out that phone, not the patient.
            if patient is not None and message.phone != patient.phone:
                caregiver_unsubscribed(session, message, now)
            elif patient is not None and not patient.opted_out:
                mark_opted_out(session, patient, message, now)
            return Delivery("failed", "failed: the patient has opted out at Twilio")
        if error.code in NOT_SMS_CAPABLE:
            message.status = MessageStatus.FAILED
            if patient is not None and message.phone == patient.phone:
                patient.sms_capable = False
                patient.updated_at = now
            return Delivery("failed", "failed: the number cannot receive texts")
        if is_transient(error):
            if claim.attempt >= policy.settings.max_attempts:
                message.status = MessageStatus.FAILED
                message.error = f"{reason} Gave up after {claim.attempt} attempts."
                return Delivery("failed", f"failed after {claim.attempt} attempts")
            at = now + dt.timedelta(seconds=policy.settings.retry_delay(claim.attempt))
            message.status = MessageStatus.QUEUED
            message.sent_at = None
            message.deferred_until = at
            return Delivery("retry", f"will retry: {reason}", at)
        message.status = MessageStatus.FAILED
        return Delivery("failed", f"failed ({reason})")


def mark_opted_out(session: Session, patient: Patient, message: Message, now: dt.datetime) -> None:
    """Twilio says the number is unsubscribed: record it like any opt-out (append-only)."""
    patient.opted_out = True
    patient.updated_at = now
    session.add(
        ConsentEvent(
            patient_id=patient.id,
            kind=ConsentKind.OPT_OUT,
            channel=Channel.SMS,
            message_id=message.id,
            wording="(reported by Twilio, error 21610: the number is unsubscribed)",
            prompt=None,
            language=patient.language,
            created_at=now,
        )
    )
