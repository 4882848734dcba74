"""Phone calls: one row per call, keyed by Twilio's CallSid once it is known.

A call's row is also its state between Twilio's requests: which step the call is at, what it
is waiting for, and the TwiML that step answered, so a repeated or out-of-order request gets
the same answer and changes nothing. An outbound call's row is written before the call is
placed (its CallSid comes later), and a retry is a row of its own with `attempt` 2.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Date, Enum, ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.models import Base, Direction, ReviewItem, ReviewKind, ReviewStatus


def _enum(cls: type[enum.Enum]) -> Enum:
    # Plain strings, as in store/models.py: a new member is a code change, not a type change.
    return Enum(
        cls,
        native_enum=False,
        length=32,
        create_constraint=False,
        values_callable=lambda e: [m.value for m in e],
    )


class CallPurpose(enum.StrEnum):
    INBOUND = "inbound"  # the patient called the pharmacy's number
    INVITATION = "invitation"  # we call to offer med sync
    CHECK_IN = "check_in"  # we call for the check-in before a pickup
    REMINDER = "reminder"  # we call the day before a pickup, for patients who get no texts


class CallStatus(enum.StrEnum):
    # Ours, before Twilio has the call:
    SCHEDULED = "scheduled"  # to be placed at `scheduled_for`
    PLACING = "placing"  # calls.create is under way
    SUPPRESSED = "suppressed"  # not placed on purpose (opted out, ...): the reason is in `error`
    # Twilio's CallStatus values:
    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"


# Status moves forward only: a late "ringing" never undoes "completed".
STATUS_ORDER: dict[CallStatus, int] = {
    CallStatus.SCHEDULED: 0,
    CallStatus.PLACING: 1,
    CallStatus.QUEUED: 2,
    CallStatus.INITIATED: 3,
    CallStatus.RINGING: 4,
    CallStatus.IN_PROGRESS: 5,
}
FINAL = frozenset(
    {
        CallStatus.COMPLETED,
        CallStatus.BUSY,
        CallStatus.NO_ANSWER,
        CallStatus.FAILED,
        CallStatus.CANCELED,
        CallStatus.SUPPRESSED,
    }
)
# Nobody picked up: worth one more try.
UNANSWERED = frozenset({CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.FAILED})


class CallMode(enum.StrEnum):
    """What the call's latest TwiML waits for."""

    STARTING = "starting"  # nothing answered yet
    QUESTION = "question"  # a dialog's question (<Gather>)
    MENU = "menu"  # nothing is due: talk to the pharmacy, leave a message, stop
    OFFER = "offer"  # after silence or unclear answers: talk to the pharmacy or leave a message
    DIAL = "dial"  # transferred to the pharmacy (<Dial>)
    RECORD = "record"  # leaving a message (<Record>)
    DONE = "done"  # hung up, or a voicemail was left


class Call(Base):
    __tablename__ = "phone_call"
    __table_args__ = (
        Index("ix_phone_call_phone", "pharmacy_id", "phone", "created_at"),
        Index("ix_phone_call_due", "status", "scheduled_for"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacy.id"))
    phone: Mapped[str] = mapped_column(String(20))  # the patient's side of the call
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"))
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    purpose: Mapped[CallPurpose] = mapped_column(_enum(CallPurpose))
    anchor_date: Mapped[dt.date | None] = mapped_column(Date)  # a check-in call's pickup date
    status: Mapped[CallStatus] = mapped_column(_enum(CallStatus))
    answered_by: Mapped[str | None] = mapped_column(String(32))  # human, machine_end_beep, fax...
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    retry_of_id: Mapped[int | None] = mapped_column(ForeignKey("phone_call.id"))
    # Deterministic for outbound calls: scheduling twice never places two calls.
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    scheduled_for: Mapped[dt.datetime | None]
    # The conversation over the phone: the step whose answer we wait for, and what kind.
    mode: Mapped[CallMode] = mapped_column(_enum(CallMode))
    step: Mapped[int] = mapped_column(Integer, default=0)
    reprompts: Mapped[int] = mapped_column(Integer, default=0)  # on the current question
    silences: Mapped[int] = mapped_column(Integer, default=0)  # in a row, on the current question
    question: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the open question, to re-ask
    twiml: Mapped[str | None] = mapped_column(Text)  # the latest answer: repeats get it again
    language: Mapped[str | None] = mapped_column(String(16))  # the language the call speaks
    notes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recording_sid: Mapped[str | None] = mapped_column(String(64))
    recording_url: Mapped[str | None] = mapped_column(Text)
    duration: Mapped[int | None] = mapped_column(Integer)  # seconds, from the final callback
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    started_at: Mapped[dt.datetime | None]  # answered
    ended_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime]


def call_by_sid(session: Session, call_sid: str) -> Call | None:
    return session.scalar(select(Call).where(Call.call_sid == call_sid))


def call_by_key(session: Session, key: str) -> Call | None:
    return session.scalar(select(Call).where(Call.idempotency_key == key))


def locked_call(session: Session, call_id: int) -> Call:
    """The call's row, locked until the transaction ends (two requests apply one by one)."""
    return session.scalars(
        select(Call)
        .where(Call.id == call_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def due_calls(session: Session, now: dt.datetime) -> Sequence[int]:
    """Ids of scheduled outbound calls whose time has come, oldest first."""
    return session.scalars(
        select(Call.id)
        .where(Call.status == CallStatus.SCHEDULED, Call.scheduled_for <= now)
        .order_by(Call.scheduled_for, Call.id)
    ).all()


def calls_with(session: Session, pharmacy_id: int, phone: str) -> Sequence[Call]:
    """Every call with this phone, for the transcript beside its messages."""
    return session.scalars(
        select(Call)
        .where(Call.pharmacy_id == pharmacy_id, Call.phone == phone)
        .order_by(Call.created_at, Call.id)
    ).all()


def pending_note(
    session: Session, pharmacy_id: int, patient_id: int | None, phone: str, summary: str
) -> ReviewItem | None:
    """A pending review item with exactly this summary: one note of a kind is enough."""
    query = select(ReviewItem).where(
        ReviewItem.pharmacy_id == pharmacy_id,
        ReviewItem.status == ReviewStatus.PENDING,
        ReviewItem.kind.in_((ReviewKind.MESSAGE, ReviewKind.CALL_BACK)),
        ReviewItem.summary == summary,
    )
    if patient_id is not None:
        query = query.where(ReviewItem.patient_id == patient_id)
    else:
        query = query.where(ReviewItem.patient_id.is_(None), ReviewItem.phone == phone)
    return session.scalars(query.limit(1)).first()
