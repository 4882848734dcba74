"""A pharmacy's saved replies: a short text staff pick on an item's page instead of typing it,
one row per language (the patient gets the one in their language). Admins keep them on the
"Saved replies" page (bot/inbox/saved_replies.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.models import Base


class SavedReply(Base):
    __tablename__ = "saved_reply"
    __table_args__ = (UniqueConstraint("pharmacy_id", "name", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacy.id"))
    name: Mapped[str] = mapped_column(String(80))  # what staff pick it by: "Ready for pickup"
    language: Mapped[str] = mapped_column(String(16))  # a catalog tag: en, es, zh-Hans, ...
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime]
    updated_by: Mapped[str] = mapped_column(String(200))


def of_pharmacy(session: Session, pharmacy_id: int) -> Sequence[SavedReply]:
    return session.scalars(
        select(SavedReply)
        .where(SavedReply.pharmacy_id == pharmacy_id)
        .order_by(SavedReply.name, SavedReply.language)
    ).all()


def find(session: Session, pharmacy_id: int, name: str, language: str) -> SavedReply | None:
    return session.scalar(
        select(SavedReply).where(
            SavedReply.pharmacy_id == pharmacy_id,
            SavedReply.name == name,
            SavedReply.language == language,
        )
    )
