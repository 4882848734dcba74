"""The prep-day worklist's ticks: a staff member marked one prescription of one pickup as
filled. Append-only: a tick taken back is a second row (`undone`), so the list shows who
ticked and who took it back, and the audit trail has both."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, false
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
