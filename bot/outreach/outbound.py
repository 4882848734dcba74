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
from typing import Protocol, runtime_checkable

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.outreach.deliveries import RANK, Claim, Delivery, SendingPolicy, locked
from bot.outreach.send_checks import Lookups, claim_row, may_go
from bot.outreach.sender import Sender, SendError
from bot.outreach.twilio_errors import refused
from store.db import transaction
from store.models import MessageStatus, Patient, Pharmacy

log = logging.getLogger(__name__)


@runtime_checkable
class FindsSentMessages(Protocol):
    def find_sms(self, to: str, from_: str, body: str, since: dt.datetime) -> str | None: ...


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
        return refused(sessions, message_id, claim, error, clock, policy)
    except requests.exceptions.ConnectTimeout as error:
        # Nothing reached Twilio: safe to try again.
        return refused(sessions, message_id, claim, SendError(str(error), None, 503), clock, policy)
    except requests.exceptions.RequestException:
        # The request may have reached Twilio (a read timeout, a dropped connection): leave the
        # row claimed; the next run asks Twilio before sending again.
        log.warning(
            "send of message %s lost its answer; it will be checked with Twilio", message_id
        )
        at = clock.now() + dt.timedelta(seconds=policy.settings.send_lease_seconds)
        return Delivery("retry", "not known whether it went: checking with Twilio later", at)
    with transaction(sessions) as session:
        sent = locked(session, message_id)
        assert sent is not None
        sent.sid = sent.sid or sid
        if RANK[sent.status] < RANK[MessageStatus.SENT]:
            sent.status = MessageStatus.SENT
        sent.error = None
    return Delivery("sent", "sent")


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
        message = locked(session, message_id)
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
            message = locked(session, message_id)
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
        message = locked(session, message_id)
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


def _claim(
    sessions: sessionmaker[Session], message_id: int, now: dt.datetime, policy: SendingPolicy
) -> Claim | Delivery:
    with transaction(sessions) as session:
        message = locked(session, message_id)
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
        return Claim(
            message.phone, pharmacy.twilio_number, message.body, segments, message.attempts
        )
