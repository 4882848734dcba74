"""What a phone call leaves in the store: lines in the patient's transcript, notes for staff,
the message left after the tone, the call's status, and the question it is waiting on.

Functions of a session; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dialogs.turn import Ask, Param
from store.calls import FINAL, STATUS_ORDER, Call, CallPurpose, CallStatus, pending_note
from store.models import (
    Channel,
    Conversation,
    Direction,
    Message,
    MessageStatus,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)

log = logging.getLogger(__name__)

PURPOSE_WORDS = {
    CallPurpose.CHECK_IN: "check-in",
    CallPurpose.INVITATION: "med sync invitation",
    CallPurpose.REMINDER: "pickup reminder",
    CallPurpose.INBOUND: "call",
}


def conversation_id(session: Session, call: Call) -> int | None:
    return session.scalar(
        select(Conversation.id).where(
            Conversation.pharmacy_id == call.pharmacy_id, Conversation.phone == call.phone
        )
    )


def transcript_line(
    session: Session,
    call: Call,
    direction: Direction,
    body: str,
    now: dt.datetime,
    language: str | None = None,
    status: MessageStatus | None = None,
) -> Message:
    """A line in the patient's transcript: what was said on the call, or what happened to it."""
    if status is None:
        status = MessageStatus.RECEIVED if direction == Direction.INBOUND else MessageStatus.SENT
    message = Message(
        pharmacy_id=call.pharmacy_id,
        patient_id=call.patient_id,
        conversation_id=conversation_id(session, call),
        direction=direction,
        channel=Channel.VOICE,
        phone=call.phone,
        body=body,
        status=status,
        language=language,
        error=call.error if status == MessageStatus.FAILED else None,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def note_for_staff(
    session: Session,
    call: Call,
    kind: ReviewKind,
    summary: str,
    now: dt.datetime,
    flagged: bool = False,
    message: Message | None = None,
) -> None:
    """A review item about the call's patient (or number), once while one like it is pending."""
    if pending_note(session, call.pharmacy_id, call.patient_id, call.phone, summary):
        return
    session.add(
        ReviewItem(
            pharmacy_id=call.pharmacy_id,
            patient_id=call.patient_id,
            phone=call.phone,
            kind=kind,
            status=ReviewStatus.PENDING,
            priority=0 if flagged else 1,
            summary=summary,
            details={"call_sid": call.call_sid},
            message_id=message.id if message else None,
            created_at=now,
        )
    )


def keep_recording(
    session: Session, call: Call, url: str, sid: str, seconds: int, now: dt.datetime
) -> None:
    """The message left after the tone: in the transcript and first in the review queue.

    A call takes one message; Twilio brings it twice (the Record action and the recording
    callback), and whichever comes first keeps it.
    """
    if not url or call.recording_url is not None:
        return
    call.recording_sid = sid or None
    call.recording_url = url
    call.updated_at = now
    message = transcript_line(
        session, call, Direction.INBOUND, f"[voice message, {seconds} s] {url}", now
    )
    session.add(
        ReviewItem(
            pharmacy_id=call.pharmacy_id,
            patient_id=call.patient_id,
            phone=call.phone,
            kind=ReviewKind.MESSAGE,
            status=ReviewStatus.PENDING,
            # Nobody knows what a recording says until someone listens: flagged.
            priority=0,
            summary=f"The patient left a voice message ({seconds} seconds). "
            "Please listen to it and call them back.",
            details={
                "recording_url": url,
                "recording_sid": sid,
                "call_sid": call.call_sid,
                "duration": seconds,
            },
            message_id=message.id,
            created_at=now,
        )
    )


def note_unanswered(session: Session, call: Call, now: dt.datetime) -> None:
    body = f"[phone call to the patient: {PURPOSE_WORDS[call.purpose]}, {call.status.value}]"
    transcript_line(session, call, Direction.OUTBOUND, body, now, status=MessageStatus.FAILED)


def move_status(call: Call, raw: str, now: dt.datetime) -> bool:
    """Forward only (a late "ringing" never undoes "completed"); a status Twilio adds
    tomorrow is logged, not fatal. True when the status changed."""
    try:
        status = CallStatus(raw.lower())
    except ValueError:
        if raw:
            log.warning("unknown call status %r; kept %s", raw[:32], call.status.value)
        return False
    if call.status in FINAL or status == call.status:
        return False
    if status not in FINAL and STATUS_ORDER.get(status, 0) <= STATUS_ORDER.get(call.status, 0):
        return False
    call.status = status
    call.updated_at = now
    if status in FINAL:
        call.ended_at = call.ended_at or now
    return True


# ---------------------------------------------------------------------- the open question


def encode_question(ask: Ask) -> dict[str, Any]:
    """The question a call waits on, as JSON, so a re-prompt says it again word for word."""
    return {
        "msgid": ask.msgid,
        "params": {k: _encode_param(v) for k, v in ask.params.items()},
        "expects": ask.expects,
        "choices": list(ask.choices),
        "opt_out_notice": ask.opt_out_notice,
    }


def _encode_param(value: Param) -> Any:
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, tuple):
        return {"names": list(value)}
    return value


def decode_question(raw: Mapping[str, Any]) -> Ask:
    params: dict[str, Param] = {}
    for key, value in dict(raw.get("params", {})).items():
        if isinstance(value, dict) and "date" in value:
            params[key] = dt.date.fromisoformat(value["date"])
        elif isinstance(value, dict) and "names" in value:
            params[key] = tuple(value["names"])
        else:
            params[key] = value
    return Ask(
        str(raw["msgid"]),
        params,
        expects=raw.get("expects", "yes_no"),
        choices=tuple(raw.get("choices", ())),
        opt_out_notice=bool(raw.get("opt_out_notice", False)),
    )
