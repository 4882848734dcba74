"""When Twilio refuses a text: what its error means for the message (failed, or queued again
to retry with backoff) and for the patient's record (opted out at Twilio, a number that takes
no texts). Status callbacks read the same codes (bot/outreach/delivery_reports.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.outreach.deliveries import Claim, Delivery, SendingPolicy, locked
from bot.outreach.sender import SendError
from bot.program.caregivers import caregiver_unsubscribed
from store.db import transaction
from store.models import Channel, ConsentEvent, ConsentKind, Message, MessageStatus, Patient

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


def refused(
    sessions: sessionmaker[Session],
    message_id: int,
    claim: Claim,
    error: SendError,
    clock: Clock,
    policy: SendingPolicy,
) -> Delivery:
    now = clock.now()
    reason = _reason(error)
    with transaction(sessions) as session:
        message = locked(session, message_id)
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
