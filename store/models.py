"""The pharmacy's records, as SQLAlchemy 2 typed models.

A phone number is not a patient: conversations are keyed by (pharmacy, phone), and a
conversation's state names the patient it is currently about.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as plain strings with a CHECK, so a new member is a migration, not a type change.
    return Enum(
        cls,
        native_enum=False,
        length=32,
        create_constraint=False,
        values_callable=lambda e: [m.value for m in e],
    )


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Channel(enum.StrEnum):
    SMS = "sms"
    VOICE = "voice"
    STAFF = "staff"
    IMPORT = "import"


class MessageStatus(enum.StrEnum):
    RECEIVED = "received"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    SUPPRESSED = "suppressed"  # not sent on purpose (opted out, ...): the reason is in `error`


class ConsentKind(enum.StrEnum):
    ENROLLMENT_ACCEPTED = "enrollment_accepted"
    ENROLLMENT_DECLINED = "enrollment_declined"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    CAREGIVER_GRANTED = "caregiver_granted"  # the patient lets a caregiver's phone act for them
    CAREGIVER_WITHDRAWN = "caregiver_withdrawn"  # withdrawn by the patient or the caregiver
    DETAILED_MESSAGES_ON = "detailed_messages_on"  # drug names may appear in texts and calls
    DETAILED_MESSAGES_OFF = "detailed_messages_off"
    HOUSEHOLD_JOINED = "household_joined"  # on a shared phone: pick up with the others there
    HOUSEHOLD_DECLINED = "household_declined"


class EnrollmentStatus(enum.StrEnum):
    CONSENTED = "consented"  # said yes, anchor day not chosen yet
    PENDING_REVIEW = "pending_review"  # anchor chosen, waiting for a pharmacist
    ACTIVE = "active"
    DECLINED = "declined"
    DISENROLLED = "disenrolled"


class CheckInStatus(enum.StrEnum):
    OPEN = "open"
    FLAGGED = "flagged"  # fill on hold until a pharmacist reviews it
    READY = "ready"  # all answers clear: the fill proceeds
    APPROVED = "approved"
    NO_ANSWER = "no_answer"


class ReviewKind(enum.StrEnum):
    NEW_ENROLLMENT = "new_enrollment"
    FLAGGED_CHECK_IN = "flagged_check_in"
    CALL_BACK = "call_back"
    POSSIBLE_OPT_OUT = "possible_opt_out"
    UNKNOWN_SENDER = "unknown_sender"
    NO_ANSWER = "no_answer"
    MESSAGE = "message"  # a patient wrote something no dialog was waiting for
    LANGUAGE_UNAVAILABLE = "language_unavailable"  # the patient gets English instead of theirs
    RENEWAL = "renewal"  # a prescription needs the prescriber's renewal before the pickup
    ASSESSMENT = "assessment"  # a standalone assessment's answers flagged for review
    NOT_PICKED_UP = "not_picked_up"  # a cycle's fills not collected by the grace days (issue 16)
    DROPPED_OUT = "dropped_out"  # disenrolled after the program's missed cycles in a row
    SERVICE = "service"  # the patient accepted a service at pickup (a flu shot...)


class ReviewStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    DONE = "done"


class Pharmacy(Base):
    __tablename__ = "pharmacy"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20))
    twilio_number: Mapped[str] = mapped_column(String(20), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    state: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[dt.datetime]
    # Languages this pharmacy turned on or off ({"ko": false}); the rest follow
    # locales/languages.toml. See `medsync pharmacy languages`.
    language_overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The pharmacy's choices for its sync program ({"refill_window_pct": 75}); the rest
    # are the documented defaults (dialogs/plan/model.py ProgramSettings). `medsync pharmacy
    # program` sets them.
    program: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The pharmacy's own check-in questions as TOML (dialogs/assessment_file.py); None: the
    # default dialogs/check_in.toml. `medsync pharmacy questions` sets it.
    check_in_definition: Mapped[str | None] = mapped_column(Text)
    # An inbound call says and changes nothing about a patient until the caller confirms the
    # patient's birth date (issue 17). `medsync pharmacy callers` turns it off or on.
    verify_callers: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # When the pharmacy is closed (issue 16): {"closed_weekdays": [6], "holidays": "US",
    # "holiday_subdivision": null, "open_on_holidays": [...], "closed_dates": ["2026-12-26"]};
    # None: closed on US federal holidays only. bot/program/open_days.py reads it; `medsync
    # pharmacy days` sets it.
    open_days: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The opening hours as patients should read them ("Mon-Fri 9am-7pm, Sat 9am-1pm").
    hours: Mapped[str | None] = mapped_column(Text)
    # The services offered at pickup and their rules, as TOML (bot/program/services.py); None:
    # none. `medsync pharmacy services` sets it.
    services: Mapped[str | None] = mapped_column(Text)


class Patient(Base):
    __tablename__ = "patient"
    __table_args__ = (
        UniqueConstraint("pharmacy_id", "external_id"),
        Index("ix_patient_phone", "pharmacy_id", "phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacy.id"))
    external_id: Mapped[str] = mapped_column(String(64))  # the pharmacy system's patient_id
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    phone_type: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(16), default="en")
    # False when the pharmacy's export left the language blank: the first message asks.
    language_confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where `language` came from (issue 20): "export" (the pharmacy's export), "patient" (chosen
    # by text or on a call; a later export never overwrites it) or "default" (English after two
    # unclear answers to the language menu). None: not recorded (patients from before 0022).
    language_source: Mapped[str | None] = mapped_column(String(16))
    # When a conversation last set it (the patient's choice or the default), and how: sms, voice.
    language_set_at: Mapped[dt.datetime | None]
    language_set_via: Mapped[str | None] = mapped_column(String(16))
    # The export's own language column, kept even while the patient's choice applies.
    export_language: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # False once Twilio says the number cannot take texts (30006); None: not known yet.
    sms_capable: Mapped[bool | None] = mapped_column(Boolean)
    # The home address from the export (optional): households and delivery. Never put in a text.
    address: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    pharmacy: Mapped[Pharmacy] = relationship()
    prescriptions: Mapped[list[Prescription]] = relationship(
        back_populates="patient", order_by="Prescription.rx_number"
    )


class Prescription(Base):
    __tablename__ = "prescription"
    __table_args__ = (UniqueConstraint("patient_id", "rx_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    rx_number: Mapped[str] = mapped_column(String(64))
    drug_name: Mapped[str] = mapped_column(String(200))
    daily_quantity: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
    days_supply: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    last_fill_date: Mapped[dt.date] = mapped_column(Date)
    refills_remaining: Mapped[int] = mapped_column(Integer)
    written_date: Mapped[dt.date] = mapped_column(Date)
    dea_schedule: Mapped[str | None] = mapped_column(String(4))
    prn: Mapped[bool] = mapped_column(Boolean)
    maintenance: Mapped[bool] = mapped_column(Boolean)
    package: Mapped[str | None] = mapped_column(String(16))
    copay: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    # Optional export flags (outreach priority): filled by mail order; dispensed under 340B.
    mail_order: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    program_340b: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The export's `status` column (issue 16): active, inactive, discontinued or transferred.
    # Anything but active is out of the sync plan, the worklist and the cost estimate; a
    # prescription is never deleted. `medsync import --full` marks the absent ones inactive.
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    status_changed_at: Mapped[dt.datetime | None]
    # Optional export columns (issue 16): who pays (medicare_d, medicaid, commercial, cash;
    # None: not in the export) and the plan's most days' supply for one fill of this drug.
    payer: Mapped[str | None] = mapped_column(String(16))
    max_days_supply: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime]

    patient: Mapped[Patient] = relationship(back_populates="prescriptions")

    @property
    def active(self) -> bool:
        # None: a record not stored yet, which gets the default (active) when it is.
        return self.status in (None, "active")


class Enrollment(Base):
    __tablename__ = "enrollment"
    # The scheduler's tick: active enrollments by next pickup date (migration 0015).
    __table_args__ = (Index("ix_enrollment_due", "status", "next_anchor_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), unique=True)
    status: Mapped[EnrollmentStatus] = mapped_column(_enum(EnrollmentStatus))
    anchor_day: Mapped[int | None] = mapped_column(Integer)
    cycle: Mapped[str] = mapped_column(String(16), default="monthly")
    next_anchor_date: Mapped[dt.date | None] = mapped_column(Date)
    declined_until: Mapped[dt.date | None] = mapped_column(Date)
    updated_at: Mapped[dt.datetime]
    # The pharmacy's local date the plan behind `anchor_day` was made: set whenever the pickup
    # day is set or changed (bot/program/enrollments.py), not when the scheduler moves
    # `next_anchor_date` on. None: set before migration 0024 (`updated_at` stands in for it).
    planned_on: Mapped[dt.date | None] = mapped_column(Date)


class ConsentEvent(Base):
    """Append-only: consents, declines, opt-outs and opt-ins, with the patient's own words."""

    __tablename__ = "consent_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    kind: Mapped[ConsentKind] = mapped_column(_enum(ConsentKind))
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    wording: Mapped[str] = mapped_column(Text)  # exactly what the patient answered
    prompt: Mapped[str | None] = mapped_column(Text)  # the text they were answering
    language: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime]

    # Never set or read: it makes a flush insert the message before the events pointing at it,
    # so the inbound path can write its text (its id taken from the sequence first) and the
    # effects in one flush (issue 19).
    message: Mapped[Message | None] = relationship(foreign_keys=[message_id])


class Conversation(Base):
    __tablename__ = "conversation"
    __table_args__ = (
        UniqueConstraint("pharmacy_id", "phone"),
        Index("ix_conversation_staff_thread", "staff_thread_item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacy.id"))
    phone: Mapped[str] = mapped_column(String(20))
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime]
    # A staff member's reply opens a two-way thread (issue 18): until `staff_thread_until`
    # (or until the item is decided) what the patient writes outside a dialog question goes
    # to this review item, not to a canned answer. (No foreign key: review items point at
    # messages, which point at conversations; a key back would make a cycle.)
    staff_thread_item_id: Mapped[int | None] = mapped_column(Integer)
    staff_thread_until: Mapped[dt.datetime | None]


class Message(Base):
    __tablename__ = "message"
    __table_args__ = (Index("ix_message_patient", "patient_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacy.id"))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversation.id"))
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Deterministic key for an outbound message: a second enqueue or job run never sends twice.
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    phone: Mapped[str] = mapped_column(String(20))  # the patient's side of the exchange
    body: Mapped[str] = mapped_column(Text, default="")
    num_media: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[MessageStatus] = mapped_column(_enum(MessageStatus))
    error: Mapped[str | None] = mapped_column(Text)
    reply: Mapped[str | None] = mapped_column(Text)  # inbound: the TwiML we answered, for retries
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime]
    # Outbound sending (bot/outbound.py): why and when it may go, and what Twilio said.
    purpose: Mapped[str | None] = mapped_column(String(32))  # "pharmacist" is not automated
    deferred_until: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]  # when the send was attempted (the caps count it)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    segments: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[int | None] = mapped_column(Integer)
    # A queued automated question: the point of the conversation it asks (the send job drops
    # it if the patient has answered by the time it may go; bot/conversation/messages.py).
    asks: Mapped[str | None] = mapped_column(String(200))


class CheckIn(Base):
    __tablename__ = "check_in"
    __table_args__ = (
        UniqueConstraint("patient_id", "anchor_date"),
        # The scheduler's follow-ups and pickup reminders (migration 0015).
        Index("ix_check_in_due", "status", "anchor_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    anchor_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[CheckInStatus] = mapped_column(_enum(CheckInStatus))
    definition: Mapped[str] = mapped_column(String(64))  # e.g. "check_in@1"
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The patient's own words behind each answer (question id -> text), written with them.
    words: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default="{}")
    opened_at: Mapped[dt.datetime]
    completed_at: Mapped[dt.datetime | None]
    # Who gave the answers: "patient" or "caregiver" (which one: store/caregivers.py).
    answered_by: Mapped[str | None] = mapped_column(String(16))
    caregiver_id: Mapped[int | None] = mapped_column(
        ForeignKey("caregiver.id", name="fk_check_in_caregiver_id")
    )


class ReviewItem(Base):
    __tablename__ = "review_item"
    __table_args__ = (Index("ix_review_queue", "pharmacy_id", "status", "priority", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacy.id"))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"))
    phone: Mapped[str | None] = mapped_column(String(20))  # who wrote, when no patient matched
    kind: Mapped[ReviewKind] = mapped_column(_enum(ReviewKind))
    status: Mapped[ReviewStatus] = mapped_column(_enum(ReviewStatus))
    priority: Mapped[int] = mapped_column(Integer, default=1)  # 0 flagged, 1 routine
    summary: Mapped[str] = mapped_column(Text)  # a plain sentence for staff
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    check_in_id: Mapped[int | None] = mapped_column(ForeignKey("check_in.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    created_at: Mapped[dt.datetime]
    decided_at: Mapped[dt.datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_note: Mapped[str | None] = mapped_column(Text)
    # The patient's latest text that reached this item (a staff thread, issue 18), when, and
    # whether staff have opened the item since (False once anyone has).
    latest_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", name="fk_review_item_latest_message_id")
    )
    latest_at: Mapped[dt.datetime | None]
    unread: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # Never set or read: a flush inserts the messages before the items pointing at them (as
    # ConsentEvent.message).
    message: Mapped[Message | None] = relationship(foreign_keys=[message_id])
    latest_message: Mapped[Message | None] = relationship(foreign_keys=[latest_message_id])


class AuditEvent(Base):
    """Append-only: who did what to which record, with before and after.

    Tamper-evident (store/audit.py): each row carries a SHA-256 over its own contents and
    the hash of the row before it in its pharmacy's chain, so a changed, removed or
    inserted row shows up in `medsync audit verify`."""

    __tablename__ = "audit_event"
    __table_args__ = (
        UniqueConstraint("chain", "seq", name="uq_audit_event_chain_seq"),
        Index("ix_audit_event_actor", "actor", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64))  # e.g. "patient:12"
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    # The pharmacy whose chain the row is in (0: none, e.g. a staff account's sign-in).
    chain: Mapped[int] = mapped_column(Integer, default=0)
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 ... within the chain
    # "ok", "refused" (a role or a scope said no: 403) or "not_found" (404: missing, or
    # another pharmacy's, which reads the same to the person who asked).
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    # Every patient the action showed or touched, as " 12 15 " (filtering by patient).
    patients: Mapped[str | None] = mapped_column(Text)
    chain_hash: Mapped[str] = mapped_column(String(64))


class AuditChain(Base):
    """The head of each pharmacy's audit chain: the last row's position and hash. Writers
    lock it (SELECT ... FOR UPDATE on PostgreSQL; SQLite has one writer at a time), so
    two requests never chain onto the same row."""

    __tablename__ = "audit_chain"

    chain: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an append-only record."""


def _refuse_change(mapper: Any, connection: Any, target: Any) -> None:
    raise AppendOnlyError(f"{type(target).__name__} records are append-only")


for _model in (ConsentEvent, AuditEvent):
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_change(state: Any) -> None:
    if state.is_update or state.is_delete:
        for mapper in state.all_mappers:
            if mapper.class_ in (ConsentEvent, AuditEvent):
                raise AppendOnlyError(f"{mapper.class_.__name__} records are append-only")
