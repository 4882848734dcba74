"""Message rows and phone numbers: what the runtime writes for each text, in and out."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from sqlalchemy.orm import Session

from bot.channels.sms import InboundText
from dialogs.state import State, load
from store.models import Channel, Conversation, Direction, Message, MessageStatus

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@dataclass(frozen=True)
class Outbound:
    """An outbound message row written in a transaction, to be sent after the commit."""

    message_id: int
    body: str
    # The same text to the patient's caregivers (bot/caregivers.py): send these too.
    others: tuple[int, ...] = ()


# Parsing a number is ~40 us and every text parses its two numbers (issue 19): the pharmacy's
# own number and its patients' phones repeat, so a bounded cache keeps the answers.
@lru_cache(maxsize=8192)
def display_phone(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, "US")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


@lru_cache(maxsize=8192)
def normalize_phone(raw: str) -> str:
    """E.164 when it parses, else the raw text (an odd From still gets an answer); at most
    the 20 characters the phone columns hold."""
    if _NANP_E164.fullmatch(raw):  # what Twilio sends for a US or Canadian phone: as is
        return raw
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        return raw.strip()[:20]
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[:20]


# A North American number in E.164 form, which parsing and formatting give back unchanged.
_NANP_E164 = re.compile(r"\+1[2-9]\d{9}", re.ASCII)


def inbound_message(conversation: Conversation, inbound: InboundText, now: dt.datetime) -> Message:
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


def when_written(session: Session, action: Callable[[], None]) -> None:
    """Run `action` (a statement pointing at the inbound text) once the text is written: at
    once, unless the runtime writes the text at the end of the step (text_writer.TextWriter),
    which then runs it after its INSERT instead of writing the text early."""
    waiting: list[Callable[[], None]] | None = session.info.get(WAITING_FOR_TEXT)
    if waiting is None:
        action()
    else:
        waiting.append(action)


WAITING_FOR_TEXT = "medsync_when_written"


def together(sent: Sequence[Outbound | None]) -> Outbound | None:
    """One patient's texts to several phones: the first, carrying the others."""
    written = [o for o in sent if o is not None]
    if not written:
        return None
    first, *rest = written
    return Outbound(first.message_id, first.body, tuple(o.message_id for o in rest))


def asks(state: State) -> str | None:
    """The point of a conversation a question asks, as a key ("check_in:hospital:12:
    2026-12-15"); None when nothing waits for an answer. A queued text written at one point
    is stale once the conversation has moved on from it (the patient answered meanwhile)."""
    if state.dialog is None or state.step is None:
        return None
    which = state.data.get("anchor_date") or state.data.get("sending") or ""
    return f"{state.dialog}:{state.step}:{state.subject or ''}:{which}"[:200]


def still_asked(message: Message, conversation: Conversation | None) -> bool:
    """Whether the question a queued text asks is still the one its conversation waits for
    (a text that asks nothing, or has no conversation, is never stale)."""
    if message.asks is None or conversation is None:
        return True
    return asks(load(conversation.state)) == message.asks
