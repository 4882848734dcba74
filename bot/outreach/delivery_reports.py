"""What Twilio reports about our texts (status callbacks): recorded idempotently, never
moving a message's status backwards; an error that means the patient opted out, or that the
number takes no texts, is recorded on the patient as well."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.outreach.deliveries import RANK
from bot.outreach.twilio_errors import MEANINGS, NOT_SMS_CAPABLE, OPTED_OUT, mark_opted_out
from store.db import transaction
from store.models import Message, MessageStatus, Patient

# Twilio's MessageStatus values, as ours. "read" is a delivered text that was read;
# "canceled" never left Twilio.
STATUSES = {
    "accepted": MessageStatus.QUEUED,
    "scheduled": MessageStatus.QUEUED,
    "queued": MessageStatus.QUEUED,
    "sending": MessageStatus.SENDING,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "partially_delivered": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}


def apply_status(
    sessions: sessionmaker[Session],
    sid: str,
    reported: str,
    error_code: int | None,
    message_id: int | None,
    now: dt.datetime,
) -> str:
    """Record what Twilio says about one of our texts; say what was done (for the log)."""
    status = STATUSES.get(reported.lower())
    with transaction(sessions) as session:
        message = session.scalar(select(Message).where(Message.sid == sid).with_for_update())
        if message is None and message_id is not None:
            # The send's answer was lost (a worker killed mid-send): the callback URL names
            # the row, so the SID is recorded here and the send is not repeated.
            candidate = session.scalar(
                select(Message).where(Message.id == message_id).with_for_update()
            )
            if candidate is not None and candidate.sid is None and candidate.phone:
                candidate.sid = sid
                message = candidate
        if message is None:
            return "unknown SID"
        if status is None:
            return f"status {reported!r} not tracked"
        moved = RANK[status] > RANK[message.status]
        if moved:
            message.status = status
        if error_code is not None and status in (MessageStatus.UNDELIVERED, MessageStatus.FAILED):
            message.error_code = error_code
            message.error = f"Twilio error {error_code}: {MEANINGS.get(error_code, reported)}."
            patient = session.get(Patient, message.patient_id) if message.patient_id else None
            if patient is not None and error_code in OPTED_OUT and not patient.opted_out:
                mark_opted_out(session, patient, message, now)
            if patient is not None and error_code in NOT_SMS_CAPABLE:
                patient.sms_capable = False
                patient.updated_at = now
        return f"status {message.status.value}" if moved else "kept (no step back)"


class DeliveryReports:
    """The status callback's handler (bot/channels/status.py), installed by the app factory."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def record(
        self, sid: str, reported: str, error_code: int | None, message_id: int | None
    ) -> str:
        return apply_status(self.sessions, sid, reported, error_code, message_id, self.clock.now())
