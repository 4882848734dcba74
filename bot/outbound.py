"""Sending a stored outbound message: re-check, send, record the SID.

The row is written first, in the transaction that caused it; this runs after the commit,
in-process on the embedded default. It re-reads the row, so running it twice sends once.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.sender import Sender, SendError
from store.db import transaction
from store.models import Message, MessageStatus, Patient, Pharmacy


def deliver(sessions: sessionmaker[Session], sender: Sender, message_id: int, clock: Clock) -> str:
    """Send message `message_id` unless it went already or may not go; say what happened."""
    with transaction(sessions) as session:
        message = session.get(Message, message_id)
        if message is None:
            return "no such message"
        if message.status != MessageStatus.QUEUED:
            return f"already {message.status.value}"
        patient = session.get(Patient, message.patient_id) if message.patient_id else None
        if patient is not None and patient.opted_out:
            message.status = MessageStatus.SUPPRESSED
            message.error = "The patient has opted out of texts."
            return "not sent: the patient has opted out"
        pharmacy = session.get(Pharmacy, message.pharmacy_id)
        assert pharmacy is not None
        message.status = MessageStatus.SENDING
        to, from_, body = message.phone, pharmacy.twilio_number, message.body
    try:
        sid = sender.send_sms(to=to, from_=from_, body=body)
    except SendError as error:
        with transaction(sessions) as session:
            failed = session.get(Message, message_id)
            assert failed is not None
            failed.status = MessageStatus.FAILED
            failed.error = f"Twilio error {error.code}: {error}" if error.code else str(error)
        return f"failed ({error})"
    with transaction(sessions) as session:
        sent = session.get(Message, message_id)
        assert sent is not None
        sent.sid = sid
        sent.status = MessageStatus.SENT
    return "sent"
