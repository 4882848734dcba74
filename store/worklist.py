"""The prep-day worklist's ticks, and the services at pickup offered to patients.

Ticks: a staff member marked one prescription of one pickup as
filled. Append-only: a tick taken back is a second row (`undone`), so the list shows who
ticked and who took it back, and the audit trail has both."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base


class WorklistTick(Base):
    __tablename__ = "worklist_tick"
    __table_args__ = (Index("ix_worklist_tick_pickup", "pharmacy_id", "pickup_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacy.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    rx_number: Mapped[str] = mapped_column(String(64))
    # The pickup's anchor by the calendar (what the cycle counts from), not the moved day.
    anchor_date: Mapped[dt.date] = mapped_column(Date)
    pickup_date: Mapped[dt.date] = mapped_column(Date)  # the day it is handed out
    undone: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    actor: Mapped[str] = mapped_column(String(200))  # who ticked, as the audit trail names them
    created_at: Mapped[dt.datetime]


class ServiceOffer(Base):
    """A service at pickup (a flu shot...) offered for one cycle, and the patient's answer:
    offered, accepted, declined, no_answer. One row per patient, service and anchor."""

    __tablename__ = "service_offer"
    __table_args__ = (UniqueConstraint("patient_id", "service", "anchor_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    service: Mapped[str] = mapped_column(String(64))  # its id in the pharmacy's services file
    kind: Mapped[str] = mapped_column(String(32))  # flu_shot, shingles_shot, ...
    anchor_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    offered_at: Mapped[dt.datetime]
    answered_at: Mapped[dt.datetime | None]
