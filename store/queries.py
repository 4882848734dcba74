"""Query functions: each takes a session and never commits (the caller owns the transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from store.models import (
    CheckIn,
    Conversation,
    Enrollment,
    Message,
    Patient,
    Pharmacy,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)


def pharmacy_for_number(session: Session, twilio_number: str) -> Pharmacy | None:
    """The pharmacy that owns this Twilio number; the only pharmacy when there is just one."""
    found = session.scalar(select(Pharmacy).where(Pharmacy.twilio_number == twilio_number))
    if found is not None:
        return found
    return only_pharmacy(session)


def only_pharmacy(session: Session) -> Pharmacy | None:
    first_two = session.scalars(select(Pharmacy).order_by(Pharmacy.id).limit(2)).all()
    return first_two[0] if len(first_two) == 1 else None


def locked_conversation(
    session: Session, pharmacy_id: int, phone: str, now: dt.datetime, looked: bool = False
) -> Conversation:
    """The conversation with this phone, created if new, locked until the transaction ends.

    On PostgreSQL the row lock makes two messages from one phone apply one after the other;
    SQLite's IMMEDIATE transactions already serialise writers.
    """
    locked = (
        select(Conversation)
        .where(Conversation.pharmacy_id == pharmacy_id, Conversation.phone == phone)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    # Most texts come from a phone already talking to us: lock first, insert only if new
    # (one statement instead of two on the hot path; tests/bench/statements.py).
    # (`looked`: the caller has just looked for it and found none.)
    conversation = None if looked else session.scalars(locked).one_or_none()
    if conversation is not None:
        return conversation
    values = {"pharmacy_id": pharmacy_id, "phone": phone, "state": {}, "updated_at": now}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(pg_insert(Conversation).values(**values).on_conflict_do_nothing())
    else:
        session.execute(sqlite_insert(Conversation).values(**values).on_conflict_do_nothing())
    return session.scalars(locked).one()


def pharmacy_and_conversation(
    session: Session, twilio_number: str, phone: str, now: dt.datetime
) -> tuple[Pharmacy, Conversation] | None:
    """The pharmacy owning `twilio_number` and its locked conversation with `phone`, in one
    statement when the phone has written before (the hot path: a text's first statement);
    else as `pharmacy_for_number` and `locked_conversation` find or make them."""
    row = session.execute(
        select(Pharmacy, Conversation)
        .join(Conversation, Conversation.pharmacy_id == Pharmacy.id)
        .where(Pharmacy.twilio_number == twilio_number, Conversation.phone == phone)
        .with_for_update(of=Conversation)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is not None:
        return row[0], row[1]
    pharmacy = pharmacy_for_number(session, twilio_number)
    if pharmacy is None:
        return None
    # The join found no conversation of this pharmacy's number with the phone: make it (or
    # find it, if another request just did) without looking for it again.
    new = pharmacy.twilio_number == twilio_number
    return pharmacy, locked_conversation(session, pharmacy.id, phone, now, looked=new)


def message_by_sid(session: Session, sid: str) -> Message | None:
    return session.scalar(select(Message).where(Message.sid == sid))


def patients_with_phone(session: Session, pharmacy_id: int, phone: str) -> Sequence[Patient]:
    return session.scalars(
        select(Patient)
        .where(Patient.pharmacy_id == pharmacy_id, Patient.phone == phone)
        .order_by(Patient.birth_date, Patient.id)
    ).all()


def patient_by_external_id(session: Session, pharmacy_id: int, external_id: str) -> Patient | None:
    return session.scalar(
        select(Patient).where(
            Patient.pharmacy_id == pharmacy_id, Patient.external_id == external_id
        )
    )


def enrollments_of(session: Session, patient_ids: Sequence[int]) -> dict[int, Enrollment]:
    if not patient_ids:
        return {}
    rows = session.scalars(select(Enrollment).where(Enrollment.patient_id.in_(patient_ids)))
    found = {e.patient_id: e for e in rows}
    read = _enrollments_read(session)
    for patient_id in patient_ids:
        read[patient_id] = found.get(patient_id)
    return found


def enrollment_of(session: Session, patient_id: int) -> Enrollment | None:
    """The patient's enrollment; read again only if this transaction has not read it yet (an
    inbound text reads it for the dialog, then its effects write it: one statement, not two).
    The object read first is the one the second read returned anyway (the identity map)."""
    read = _enrollments_read(session)
    if patient_id in read:
        return read[patient_id]
    return enrollments_of(session, [patient_id]).get(patient_id)


def enrollments_known(
    session: Session, patient_ids: Sequence[int], found: dict[int, Enrollment]
) -> None:
    """These patients' enrollments were read by another statement (store/phone_read.py):
    `enrollment_of` finds them, or their absence, without reading again."""
    read = _enrollments_read(session)
    for patient_id in patient_ids:
        read[patient_id] = found.get(patient_id)


def enrollment_added(session: Session, enrollment: Enrollment) -> None:
    """A new enrollment was added in this transaction: later reads find it."""
    _enrollments_read(session)[enrollment.patient_id] = enrollment


def _enrollments_read(session: Session) -> dict[int, Enrollment | None]:
    """What this transaction has read of enrollments (forgotten with the transaction)."""
    transaction = session.get_transaction()
    kept = session.info.get("medsync_enrollments")
    if kept is None or kept[0] is not transaction:
        kept = (transaction, {})
        session.info["medsync_enrollments"] = kept
    read: dict[int, Enrollment | None] = kept[1]
    return read


def check_in_for(session: Session, patient_id: int, anchor_date: dt.date) -> CheckIn | None:
    return session.scalar(
        select(CheckIn).where(CheckIn.patient_id == patient_id, CheckIn.anchor_date == anchor_date)
    )


def pending_review_item(
    session: Session, pharmacy_id: int, kind: ReviewKind, patient_id: int | None, phone: str | None
) -> ReviewItem | None:
    query = select(ReviewItem).where(
        ReviewItem.pharmacy_id == pharmacy_id,
        ReviewItem.kind == kind,
        ReviewItem.status == ReviewStatus.PENDING,
    )
    if patient_id is not None:
        query = query.where(ReviewItem.patient_id == patient_id)
    else:
        query = query.where(ReviewItem.patient_id.is_(None), ReviewItem.phone == phone)
    return session.scalars(query.limit(1)).first()


def review_items_of(session: Session, patient_id: int, kind: ReviewKind) -> Sequence[ReviewItem]:
    return session.scalars(
        select(ReviewItem).where(ReviewItem.patient_id == patient_id, ReviewItem.kind == kind)
    ).all()


def review_items(session: Session, pharmacy_id: int | None = None) -> Sequence[ReviewItem]:
    """The queue: pending first, flagged before routine, oldest first."""
    query = select(ReviewItem)
    if pharmacy_id is not None:
        query = query.where(ReviewItem.pharmacy_id == pharmacy_id)
    pending_first = func.coalesce(ReviewItem.status != ReviewStatus.PENDING, False)
    return session.scalars(
        query.order_by(pending_first, ReviewItem.priority, ReviewItem.created_at, ReviewItem.id)
    ).all()


def transcript(session: Session, pharmacy_id: int, phone: str) -> Sequence[Message]:
    return session.scalars(
        select(Message)
        .where(Message.pharmacy_id == pharmacy_id, Message.phone == phone)
        .order_by(Message.created_at, Message.id)
    ).all()
