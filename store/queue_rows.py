"""What a queue row shows beyond the item itself: the patient's latest words, who has read
the item (and when), and how many other items of the same patient are open.

Everything here is asked for the fifty rows of one page at once (one query each), so a
10,000-item queue costs what a short one costs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, Select, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.models import Base, Direction, Message, ReviewItem, ReviewStatus


class ItemRead(Base):
    """Staff member `user_id` last opened item `item_id` at `read_at`, when the patient's
    latest text was `seen_message_id`: the item is unread for them while a later text exists
    (or they never opened it). Ids, not times, say "later": two texts can share a second."""

    __tablename__ = "item_read"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("review_item.id", ondelete="CASCADE"), primary_key=True
    )
    read_at: Mapped[dt.datetime]
    seen_message_id: Mapped[int | None] = mapped_column(Integer)


# The latest text of a phone without a patient (and the thread of one): by (pharmacy, phone).
PHONE_INDEX = Index("ix_message_pharmacy_phone", Message.pharmacy_id, Message.phone, Message.id)


@dataclass(frozen=True)
class Words:
    """A patient's latest text: what they wrote, when, and its message id."""

    body: str
    at: dt.datetime
    message_id: int


@dataclass(frozen=True)
class Read:
    at: dt.datetime
    seen_message_id: int | None


def texts_of(item: ReviewItem) -> Select[Any]:
    """The ids of what this item's patient (or unknown number) wrote."""
    query = select(Message.id).where(
        Message.pharmacy_id == item.pharmacy_id, Message.direction == Direction.INBOUND
    )
    if item.patient_id is not None:
        return query.where(Message.patient_id == item.patient_id)
    return query.where(Message.phone == (item.phone or ""), Message.patient_id.is_(None))


def mark_read(session: Session, user_id: int, item: ReviewItem, now: dt.datetime) -> None:
    """Record that this staff member has the item open now, having seen the latest text."""
    seen = session.scalar(select(func.max(texts_of(item).subquery().c.id)))
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(ItemRead).values(
        user_id=user_id, item_id=item.id, read_at=now, seen_message_id=seen
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[ItemRead.user_id, ItemRead.item_id],
            set_={"read_at": now, "seen_message_id": seen},
        )
    )


def reads(session: Session, user_id: int, item_ids: Collection[int]) -> dict[int, Read]:
    if not item_ids:
        return {}
    rows = session.execute(
        select(ItemRead.item_id, ItemRead.read_at, ItemRead.seen_message_id).where(
            ItemRead.user_id == user_id, ItemRead.item_id.in_(list(item_ids))
        )
    )
    return {item_id: Read(at, seen) for item_id, at, seen in rows}


def texts_since(session: Session, item: ReviewItem, seen_message_id: int | None) -> int:
    """How many texts the patient sent after the one this staff member last saw (up to 100)."""
    query = texts_of(item)
    if seen_message_id is not None:
        query = query.where(Message.id > seen_message_id)
    return len(session.scalars(query.limit(100)).all())


def latest_words_of_patients(session: Session, patient_ids: Collection[int]) -> dict[int, Words]:
    """Each patient's latest inbound text (by id: the order texts were stored in)."""
    if not patient_ids:
        return {}
    newest = (
        select(func.max(Message.id))
        .where(Message.patient_id.in_(list(patient_ids)), Message.direction == Direction.INBOUND)
        .group_by(Message.patient_id)
    )
    rows = session.execute(
        select(Message.patient_id, Message.body, Message.created_at, Message.id).where(
            Message.id.in_(newest)
        )
    )
    return {pid: Words(body or "", at, mid) for pid, body, at, mid in rows if pid is not None}


def latest_words_of_phones(
    session: Session, phones: Collection[tuple[int, str]]
) -> dict[tuple[int, str], Words]:
    """The latest inbound text of each (pharmacy, phone) that no patient matched."""
    found: dict[tuple[int, str], Words] = {}
    for pharmacy_id in {p for p, _ in phones}:
        numbers = [phone for p, phone in phones if p == pharmacy_id]
        newest = (
            select(func.max(Message.id))
            .where(
                Message.pharmacy_id == pharmacy_id,
                Message.phone.in_(numbers),
                Message.direction == Direction.INBOUND,
            )
            .group_by(Message.phone)
        )
        rows = session.execute(
            select(Message.phone, Message.body, Message.created_at, Message.id).where(
                Message.id.in_(newest)
            )
        )
        for phone, body, at, mid in rows:
            found[(pharmacy_id, phone)] = Words(body or "", at, mid)
    return found


def open_items_per_patient(session: Session, patient_ids: Collection[int]) -> dict[int, int]:
    """How many pending items each patient has (all pages, every kind)."""
    if not patient_ids:
        return {}
    rows = session.execute(
        select(ReviewItem.patient_id, func.count())
        .where(
            ReviewItem.patient_id.in_(list(patient_ids)),
            ReviewItem.status == ReviewStatus.PENDING,
        )
        .group_by(ReviewItem.patient_id)
    )
    return {pid: int(n) for pid, n in rows if pid is not None}


def pending_ids(session: Session, ids: Sequence[int]) -> list[int]:
    """Which of these items are still pending (for a bulk action's recheck)."""
    if not ids:
        return []
    return list(
        session.scalars(
            select(ReviewItem.id).where(
                ReviewItem.id.in_(list(ids)), ReviewItem.status == ReviewStatus.PENDING
            )
        )
    )
