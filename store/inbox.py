"""Queries behind the pharmacist's inbox: the queue, its counts, a patient's history.

The queue is paged by key (the sort key of the last row shown), so page 200 of a
10,000-item queue costs what page 1 costs and an item decided meanwhile shifts nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, tuple_
from sqlalchemy.orm import Session

from store.models import (
    AuditEvent,
    CheckIn,
    ConsentEvent,
    ConsentKind,
    Conversation,
    Message,
    Patient,
    Pharmacy,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)

STATUS_FILTERS = ("pending", "approved", "declined", "done", "all")
Query = TypeVar("Query", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True)
class QueueFilter:
    """What the user may see (None: every pharmacy) and what they chose to see."""

    allowed_pharmacies: Collection[int] | None
    pharmacy_id: int | None = None
    kind: ReviewKind | None = None
    status: str = "pending"  # one of STATUS_FILTERS
    search: str = ""  # a name, a phone number or a patient id (see `matches`)


@dataclass(frozen=True)
class Cursor:
    """The sort key of a row: pending first, flagged first, oldest first, then id."""

    rank: int
    priority: int
    created_at: dt.datetime
    id: int

    def encode(self) -> str:
        micros = round(self.created_at.timestamp() * 1_000_000)
        return f"{self.rank}_{self.priority}_{micros}_{self.id}"

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        """None for anything that is not a cursor we made (a hand-edited URL)."""
        parts = text.split("_")
        if len(parts) != 4 or not all(p.lstrip("-").isdigit() for p in parts):
            return None
        if any(len(p) > 20 for p in parts):
            return None
        rank, priority, micros, row_id = (int(p) for p in parts)
        # Values no row has would reach the database as integers it cannot hold.
        if rank not in (0, 1) or not 0 <= priority < 2**31 or not 1 <= row_id < 2**31:
            return None
        try:
            created = dt.datetime.fromtimestamp(micros / 1_000_000, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return cls(rank, priority, created, row_id)

    @classmethod
    def of(cls, item: ReviewItem) -> Cursor:
        rank = 0 if item.status == ReviewStatus.PENDING else 1
        return cls(rank, item.priority, item.created_at, item.id)


@dataclass(frozen=True)
class QueuePage:
    items: Sequence[ReviewItem]
    next_cursor: Cursor | None
    previous_cursor: Cursor | None


def _scoped(query: Query, f: QueueFilter) -> Query:
    if f.allowed_pharmacies is not None:
        query = query.where(ReviewItem.pharmacy_id.in_(list(f.allowed_pharmacies)))
    if f.pharmacy_id is not None:
        query = query.where(ReviewItem.pharmacy_id == f.pharmacy_id)
    if f.status != "all":
        query = query.where(ReviewItem.status == ReviewStatus(f.status))
    if f.search.strip():
        query = query.where(matches(f.search))
    return query


def matches(text: str) -> ColumnElement[bool]:
    """Items whose patient (or unknown number) answers to `text`: every word in the first or
    last name, or the pharmacy's patient id, or our patient number; or, with three digits or
    more, part of the phone number. Wildcards typed by staff are plain characters."""
    text = text.strip()[:100]
    digits = "".join(c for c in text if c.isdigit())
    words = text.split()
    named = and_(
        *(
            or_(
                Patient.first_name.icontains(word, autoescape=True),
                Patient.last_name.icontains(word, autoescape=True),
            )
            for word in words
        )
    )
    who: list[ColumnElement[bool]] = [named, func.lower(Patient.external_id) == text.lower()]
    if text.isdigit() and len(text) < 10:
        who.append(Patient.id == int(text))
    phone_like = len(digits) >= 3 and set(text) <= set("0123456789+-() .")
    if phone_like:
        who.append(Patient.phone.contains(digits, autoescape=True))
    patients = select(Patient.id).where(or_(*who))
    found: list[ColumnElement[bool]] = [ReviewItem.patient_id.in_(patients)]
    if phone_like:
        found.append(ReviewItem.phone.contains(digits, autoescape=True))
    return or_(*found)


def _rank() -> ColumnElement[int]:
    return case((ReviewItem.status == ReviewStatus.PENDING, 0), else_=1)


def _sort_key(f: QueueFilter) -> list[Any]:
    # With one status the rank is constant: leaving it out lets the indexes give the order.
    key: list[Any] = [ReviewItem.priority, ReviewItem.created_at, ReviewItem.id]
    return key if f.status != "all" else [_rank(), *key]


def _values(cursor: Cursor, f: QueueFilter) -> list[object]:
    values: list[object] = [cursor.priority, cursor.created_at, cursor.id]
    return values if f.status != "all" else [cursor.rank, *values]


def queue_page(
    session: Session,
    f: QueueFilter,
    limit: int,
    after: Cursor | None = None,
    before: Cursor | None = None,
) -> QueuePage:
    """One page of the queue after (or before) a cursor; the first page without one."""
    query = select(ReviewItem)
    if f.kind is not None:
        query = query.where(ReviewItem.kind == f.kind)
    query = _scoped(query, f)
    key = _sort_key(f)
    if before is not None:
        query = query.where(tuple_(*key) < tuple_(*_values(before, f)))
        rows = list(
            session.scalars(query.order_by(*(k.desc() for k in key)).limit(limit + 1)).all()
        )
        more_before = len(rows) > limit
        rows = rows[:limit][::-1]
        return QueuePage(
            items=rows,
            next_cursor=Cursor.of(rows[-1]) if rows else None,
            previous_cursor=Cursor.of(rows[0]) if rows and more_before else None,
        )
    if after is not None:
        query = query.where(tuple_(*key) > tuple_(*_values(after, f)))
    rows = list(session.scalars(query.order_by(*key).limit(limit + 1)).all())
    more_after = len(rows) > limit
    rows = rows[:limit]
    return QueuePage(
        items=rows,
        next_cursor=Cursor.of(rows[-1]) if rows and more_after else None,
        previous_cursor=Cursor.of(rows[0]) if rows and after is not None else None,
    )


def queue_counts(session: Session, f: QueueFilter) -> dict[ReviewKind, int]:
    """Items per kind under the filter (the kind filter aside), in one GROUP BY."""
    query = _scoped(
        select(ReviewItem.kind, func.count()).group_by(ReviewItem.kind),
        f,
    )
    counts = {kind: 0 for kind in ReviewKind}
    for kind, count in session.execute(query):
        counts[ReviewKind(kind)] = int(count)
    return counts


def patients_by_id(session: Session, ids: Collection[int]) -> dict[int, Patient]:
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Patient).where(Patient.id.in_(list(ids))))}


def pharmacies_by_id(session: Session, ids: Collection[int] | None = None) -> dict[int, Pharmacy]:
    query = select(Pharmacy).order_by(Pharmacy.name, Pharmacy.id)
    if ids is not None:
        query = query.where(Pharmacy.id.in_(list(ids)))
    return {p.id: p for p in session.scalars(query)}


def thread(session: Session, pharmacy_id: int, phone: str, limit: int = 200) -> list[Message]:
    """The latest messages with this phone, oldest first: what a pharmacist scrolls through."""
    newest = session.scalars(
        select(Message)
        .where(Message.pharmacy_id == pharmacy_id, Message.phone == phone)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(newest))


def items_of_patient(session: Session, patient_id: int, limit: int = 100) -> Sequence[ReviewItem]:
    return session.scalars(
        select(ReviewItem)
        .where(ReviewItem.patient_id == patient_id)
        .order_by(ReviewItem.created_at.desc(), ReviewItem.id.desc())
        .limit(limit)
    ).all()


def audit_of(
    session: Session, subjects: Collection[str], limit: int = 100, with_views: bool = False
) -> Sequence[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.subject.in_(list(subjects)))
    if not with_views:
        query = query.where(AuditEvent.action.not_like("view%"))
    return session.scalars(
        query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)
    ).all()


def audit_page(
    session: Session,
    limit: int,
    before_id: int | None = None,
    actor: str | None = None,
    subject: str | None = None,
) -> Sequence[AuditEvent]:
    """The trail, newest first, paged by id."""
    query = select(AuditEvent)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if subject:
        query = query.where(AuditEvent.subject == subject)
    return session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)).all()


def consents_of(session: Session, patient_id: int) -> Sequence[ConsentEvent]:
    return session.scalars(
        select(ConsentEvent)
        .where(ConsentEvent.patient_id == patient_id)
        .order_by(ConsentEvent.created_at.desc(), ConsentEvent.id.desc())
    ).all()


def latest_consent(
    session: Session, patient_id: int | None, kind: ConsentKind
) -> ConsentEvent | None:
    """The patient's newest consent record of `kind` (its wording is their own words)."""
    if patient_id is None:
        return None
    return session.scalar(
        select(ConsentEvent)
        .where(ConsentEvent.patient_id == patient_id, ConsentEvent.kind == kind)
        .order_by(ConsentEvent.created_at.desc(), ConsentEvent.id.desc())
        .limit(1)
    )


def check_ins_of(session: Session, patient_id: int, limit: int = 24) -> Sequence[CheckIn]:
    return session.scalars(
        select(CheckIn)
        .where(CheckIn.patient_id == patient_id)
        .order_by(CheckIn.anchor_date.desc())
        .limit(limit)
    ).all()


def conversation_id(session: Session, pharmacy_id: int, phone: str) -> int | None:
    return session.scalar(
        select(Conversation.id).where(
            Conversation.pharmacy_id == pharmacy_id, Conversation.phone == phone
        )
    )
