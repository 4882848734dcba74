"""Query functions: each takes a session and never commits (the caller owns the transaction)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, bindparam, func, insert, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

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


@dataclass(frozen=True)
class Located:
    """An inbound text's pharmacy and locked conversation, and the ids the text and its reply
    will have, so the runtime can write them (and effects pointing at them) at the end of the
    step without reading an id back first."""

    pharmacy: Pharmacy
    conversation: Conversation
    # PostgreSQL: two ids from the sequence; SQLite: the text's (the reply's is its own).
    message_ids: tuple[int, int | None] | None = None


def pharmacy_and_conversation(
    session: Session, twilio_number: str, phone: str, now: dt.datetime
) -> Located | None:
    """The pharmacy owning `twilio_number` and its locked conversation with `phone`, in one
    statement when the phone has written before (the hot path: a text's first statement);
    a phone's first text makes (or finds) it with one more on PostgreSQL, an upsert that
    locks the row (two on SQLite); a number no pharmacy owns falls back to
    `pharmacy_for_number` (the only pharmacy) and `locked_conversation`."""
    postgres = session.get_bind().dialect.name == "postgresql"
    params = {"twilio_number": twilio_number, "phone": phone}
    row = session.execute(_locking_statement(postgres), params).one_or_none()
    if row is not None:
        return Located(row[0], row[1], (row[2], row[3] if postgres else None))
    made = (_made_conversation if postgres else _made_on_sqlite)(session, twilio_number, phone, now)
    if made is not None:
        return made
    pharmacy = pharmacy_for_number(session, twilio_number)
    if pharmacy is None:
        return None
    # The join found no conversation of this pharmacy's number with the phone: make it (or
    # find it, if another request just did) without looking for it again.
    new = pharmacy.twilio_number == twilio_number
    return Located(pharmacy, locked_conversation(session, pharmacy.id, phone, now, looked=new))


@functools.cache
def _locking_statement(postgres: bool) -> Any:
    """Built once per process (bound parameters only)."""
    ids = _message_ids() if postgres else [_next_message_id()]
    return (
        select(Pharmacy, Conversation, *ids)
        .join(Conversation, Conversation.pharmacy_id == Pharmacy.id)
        .where(
            Pharmacy.twilio_number == bindparam("twilio_number"),
            Conversation.phone == bindparam("phone"),
        )
        .with_for_update(of=Conversation)
        .execution_options(populate_existing=True)
    )


def _message_ids() -> list[Any]:
    sequence = func.pg_get_serial_sequence("message", "id")
    return [func.nextval(sequence).label("first_id"), func.nextval(sequence).label("second_id")]


def _next_message_id() -> Any:
    """SQLite: the id the next message row would get (its rowid: the largest plus one; no
    AUTOINCREMENT, and messages are never deleted). Safe because the transaction holds the
    database's write lock from its first statement (BEGIN IMMEDIATE, store/sqlite_writers.py)
    and the runtime writes the text before anything else can insert a message."""
    return select(func.coalesce(func.max(Message.id), 0) + 1).scalar_subquery().label("first_id")


def _made_conversation(
    session: Session, twilio_number: str, phone: str, now: dt.datetime
) -> Located | None:
    """PostgreSQL, a phone's first text to the pharmacy owning `twilio_number`: insert its
    conversation, or on a concurrent insert take that row (ON CONFLICT DO UPDATE locks it, as
    FOR UPDATE would), and return it with its pharmacy: one statement. None when no pharmacy
    owns the number."""
    params = {"twilio_number": twilio_number, "phone": phone, "state": {}, "now": now}
    row = session.execute(_making_statement(), params).one_or_none()
    if row is None:
        return None
    return Located(row[0], row[1], (row[2], row[3]))


def _made_on_sqlite(
    session: Session, twilio_number: str, phone: str, now: dt.datetime
) -> Located | None:
    """SQLite, a phone's first text (no data-modifying CTE there): the conversation inserted
    for the pharmacy owning the number by one Core statement (no ORM objects: the ORM's
    RETURNING path cost a sixth of a first text), then taken, locked, with its pharmacy and
    the next message id by the locking statement again: two statements. None when no
    pharmacy owns the number. No other transaction can have made it in between: the
    transaction holds the database's write lock from its first statement."""
    params = {"twilio_number": twilio_number, "phone": phone, "state": {}, "now": now}
    made = session.connection().execute(_sqlite_making_statement(), params)
    if made.rowcount != 1:
        return None
    row = session.execute(_locking_statement(False), params).one()
    return Located(row[0], row[1], (row[2], None))


@functools.cache
def _sqlite_making_statement() -> Any:
    """`_made_on_sqlite`'s insert, built once per process (bound parameters only): building
    it for every first text cost more than running it."""
    table = Conversation.__table__.c
    owner = (
        select(
            Pharmacy.id,
            bindparam("phone", type_=String),
            bindparam("state", type_=table.state.type),
            bindparam("now", type_=table.updated_at.type),
        )
        .where(Pharmacy.twilio_number == bindparam("twilio_number"))
        .order_by(Pharmacy.id)
        .limit(1)
    )
    made = sqlite_insert(Conversation).from_select(
        ["pharmacy_id", "phone", "state", "updated_at"], owner
    )
    return made.on_conflict_do_nothing(index_elements=["pharmacy_id", "phone"])


@functools.cache
def _making_statement() -> Any:
    """`_made_conversation`'s statement, built once per process (bound parameters only)."""
    table = Conversation.__table__.c
    made = pg_insert(Conversation).from_select(
        ["pharmacy_id", "phone", "state", "updated_at"],
        select(
            Pharmacy.id,
            bindparam("phone", type_=String),
            bindparam("state", type_=table.state.type),
            bindparam("now", type_=table.updated_at.type),
        ).where(Pharmacy.twilio_number == bindparam("twilio_number")),
    )
    made = made.on_conflict_do_update(
        index_elements=["pharmacy_id", "phone"], set_={"phone": made.excluded.phone}
    )
    cte = made.returning(*Conversation.__table__.c).cte("made")
    conversation = aliased(Conversation, cte)
    return (
        select(Pharmacy, conversation, *_message_ids())
        .join(cte, cte.c.pharmacy_id == Pharmacy.id)
        .execution_options(populate_existing=True)
    )


# Where `write_messages` lists the rows it wrote outside the unit of work, for this transaction.
WRITTEN_MESSAGES = "medsync.written_messages"


def write_messages(
    session: Session,
    messages: Sequence[Message],
    conversation: Conversation | None = None,
    state: dict[str, Any] | None = None,
) -> None:
    """Insert these message rows (their ids set, as `Located.message_ids` gives them) with one
    Core statement; with `conversation`, its new `state` and `updated_at` are written by the
    same statement on PostgreSQL (a CTE), by a second one elsewhere. The objects stay out of
    the session: nothing after the step reads them back, and no ORM flush event sees them, so
    they are listed in `session.info[WRITTEN_MESSAGES]` for the commit's listeners (the
    inbox's live news, bot/inbox/live.py)."""
    session.info.setdefault(WRITTEN_MESSAGES, []).extend(messages)
    postgres = session.get_bind().dialect.name == "postgresql"
    params: dict[str, Any] = {}
    for n, message in enumerate(messages):
        params.update({f"{key}_{n}": value for key, value in _message_row(message).items()})
    if conversation is not None:
        params.update(
            conversation_id=conversation.id,
            conversation_state=state,
            conversation_updated_at=conversation.updated_at,
        )
    together = postgres and conversation is not None and bool(messages)
    if conversation is not None and not together:
        session.connection().execute(_state_statement(), params)
    if messages:
        session.connection().execute(_messages_statement(len(messages), together), params)


@functools.cache
def _state_statement() -> Any:
    """The conversation's new state, with bound parameters only: compiled once (cached)."""
    return (
        update(Conversation)
        .where(Conversation.id == bindparam("conversation_id"))
        .values(
            state=bindparam("conversation_state", type_=Conversation.__table__.c.state.type),
            updated_at=bindparam("conversation_updated_at"),
        )
    )


@functools.cache
def _messages_statement(count: int, with_state: bool) -> Any:
    """INSERT of `count` message rows (and on PostgreSQL the state's UPDATE as a CTE), with
    bound parameters named per row ("body_0"): the same statement each time, so SQLAlchemy
    compiles it once. (INSERT ... SELECT, UNION ALL: a multi-row VALUES is never cached.)"""
    columns = list(Message.__table__.columns)
    rows = [
        select(*[bindparam(f"{c.key}_{n}", type_=c.type).label(c.key) for c in columns])
        for n in range(count)
    ]
    statement = insert(Message).from_select(
        [c.key for c in columns], rows[0] if count == 1 else union_all(*rows)
    )
    if with_state:
        statement = statement.add_cte(_state_statement().cte("conversation_state"))
    return statement


def _message_row(message: Message) -> dict[str, Any]:
    """Every column of a transient message, the columns' own defaults where it has None (every
    row of one INSERT has the same keys)."""
    row: dict[str, Any] = {}
    for column in Message.__table__.columns:
        value = message.__dict__.get(column.key)
        default = column.default
        if value is None and default is not None and getattr(default, "is_scalar", False):
            value = default.arg
        row[column.key] = value
    return row


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


def pending_items_known(
    session: Session, pharmacy_id: int, found: dict[int, dict[ReviewKind, int]]
) -> None:
    """The pending review items of these patients (patient id -> kind -> item id) were read
    in this transaction (store/phone_read.py): `pending_review_item` reads nothing for them."""
    transaction = session.get_transaction()
    session.info["medsync_pending_items"] = (transaction, pharmacy_id, found)


def _pending_known(
    session: Session, pharmacy_id: int, kind: ReviewKind, patient_id: int
) -> ReviewItem | bool | None:
    """What this transaction knows of the patient's pending item of `kind`: the item, None
    (there is none), or False (not known: look)."""
    kept = session.info.get("medsync_pending_items")
    if kept is None or kept[0] is not session.get_transaction() or kept[1] != pharmacy_id:
        return False
    if patient_id not in kept[2]:
        return False
    # One added or flushed since the read is found as the query (after its autoflush) would.
    for obj in [*session.new, *session.identity_map.values()]:
        if (
            isinstance(obj, ReviewItem)
            and obj.pharmacy_id == pharmacy_id
            and obj.kind == kind
            and obj.status == ReviewStatus.PENDING
            and obj.patient_id == patient_id
        ):
            return obj
    item_id = kept[2][patient_id].get(kind)
    if item_id is None:
        return None
    item = session.get(ReviewItem, item_id)
    return item if item is not None and item.status == ReviewStatus.PENDING else None


def pending_review_item(
    session: Session, pharmacy_id: int, kind: ReviewKind, patient_id: int | None, phone: str | None
) -> ReviewItem | None:
    if patient_id is not None:
        known = _pending_known(session, pharmacy_id, kind, patient_id)
        if known is not False:
            return known if isinstance(known, ReviewItem) else None
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
