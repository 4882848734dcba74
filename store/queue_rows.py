"""What a queue row shows beyond the item itself: the patient's latest words, who has read
the item (and when), and how many other items of the same patient are open.

Everything here is asked for the fifty rows of one page at once (one query each), so a
10,000-item queue costs what a short one costs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import ForeignKey, Index, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.models import Base, Direction, Message, ReviewItem, ReviewStatus


class ItemRead(Base):
    """Staff member `user_id` last opened item `item_id` at `read_at`: an item is unread for
    them while the patient's latest text is newer than that (or they never opened it)."""

    __tablename__ = "item_read"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("review_item.id", ondelete="CASCADE"), primary_key=True
    )
    read_at: Mapped[dt.datetime]


# The latest text of a phone without a patient (and the thread of one): by (pharmacy, phone).
PHONE_INDEX = Index("ix_message_pharmacy_phone", Message.pharmacy_id, Message.phone, Message.id)


@dataclass(frozen=True)
class Words:
    """A patient's latest text: what they wrote and when."""

    body: str
    at: dt.datetime


def mark_read(session: Session, user_id: int, item_id: int, now: dt.datetime) -> None:
    """Record that this staff member has the item open now (one row per person and item)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(ItemRead).values(user_id=user_id, item_id=item_id, read_at=now)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[ItemRead.user_id, ItemRead.item_id], set_={"read_at": now}
        )
    )


def read_times(session: Session, user_id: int, item_ids: Collection[int]) -> dict[int, dt.datetime]:
    if not item_ids:
        return {}
    rows = session.execute(
        select(ItemRead.item_id, ItemRead.read_at).where(
            ItemRead.user_id == user_id, ItemRead.item_id.in_(list(item_ids))
        )
    )
    return {item_id: read_at for item_id, read_at in rows}


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
        select(Message.patient_id, Message.body, Message.created_at).where(Message.id.in_(newest))
    )
    return {pid: Words(body or "", at) for pid, body, at in rows if pid is not None}


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
            select(Message.phone, Message.body, Message.created_at).where(Message.id.in_(newest))
        )
        for phone, body, at in rows:
            found[(pharmacy_id, phone)] = Words(body or "", at)
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
