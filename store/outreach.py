"""Outreach bookkeeping: campaigns and their recipients, and the anchor-cycle events that
make each check-in, follow-up, reminder and call-list entry happen once per cycle."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base, Message


def _enum(cls: type[enum.Enum]) -> Enum:
    # Plain strings, as in store/models.py: a new member is a code change, not a type change.
    return Enum(
        cls,
        native_enum=False,
        length=32,
        create_constraint=False,
        values_callable=lambda e: [m.value for m in e],
    )


class CycleEventKind(enum.StrEnum):
    CHECK_IN = "check_in"  # the check-in opened (T-7)
    FOLLOW_UP = "follow_up"  # the reminder after 48 h without an answer
    CALL_LIST = "call_list"  # still no answer at T-3: on the staff call list
    PICKUP_REMINDER = "pickup_reminder"  # the day before the pickup
    NOT_PICKED_UP = "not_picked_up"  # not collected by the grace days: item and reminder
    DROPPED_OUT = "dropped_out"  # the missed cycles in a row disenrolled the patient


class CycleEvent(Base):
    """One thing the scheduler did for one patient's pickup: the unique key is the proof that
    it happens once per cycle, however often the periodic job runs and on however many workers."""

    __tablename__ = "cycle_event"
    __table_args__ = (UniqueConstraint("patient_id", "anchor_date", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    anchor_date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[CycleEventKind] = mapped_column(_enum(CycleEventKind))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    note: Mapped[str | None] = mapped_column(Text)  # why nothing was sent, for staff
    created_at: Mapped[dt.datetime]


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"  # created, never run
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"


class RecipientStatus(enum.StrEnum):
    PENDING = "pending"  # not invited yet
    INVITED = "invited"  # the invitation row is written; its message has the sending status
    LANDLINE = "landline"  # no SMS-capable number: waits for the voice channel
    SKIPPED = "skipped"  # no longer eligible when the campaign reached them (reason kept)


class Campaign(Base):
    __tablename__ = "campaign"
    __table_args__ = (UniqueConstraint("pharmacy_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacy.id"))
    name: Mapped[str] = mapped_column(String(200))
    # The catalog msgid that goes out (the English text): a report can say which text was sent.
    template: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(200))  # how recipients were chosen, for staff
    status: Mapped[CampaignStatus] = mapped_column(_enum(CampaignStatus))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class CampaignRecipient(Base):
    __tablename__ = "campaign_recipient"
    __table_args__ = (
        UniqueConstraint("campaign_id", "patient_id"),
        Index("ix_campaign_recipient_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    status: Mapped[RecipientStatus] = mapped_column(_enum(RecipientStatus))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"), unique=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


# The send sweeper's query: queued outbound rows whose time has come (made in 0004_outbound).
Index("ix_message_outbox", Message.status, Message.deferred_until)
