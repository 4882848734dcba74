"""Dispensing history: one row per fill, imported from the pharmacy system's fills file.

Proportion of Days Covered (adherence) is computed from these rows. The same fill imported
twice is one row: (patient, rx_number, fill_date) is unique, so re-importing is idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base

COUNTED = ("dispensed", "picked_up")  # the states a fill covers days in (adherence, pickups)


class Fill(Base):
    __tablename__ = "fill"
    __table_args__ = (
        UniqueConstraint("patient_id", "rx_number", "fill_date", name="uq_fill_patient_rx_date"),
        Index("ix_fill_patient_date", "patient_id", "fill_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    rx_number: Mapped[str] = mapped_column(String(64))
    fill_date: Mapped[dt.date] = mapped_column(Date)
    days_supply: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    imported_at: Mapped[dt.datetime]
    # What became of it (dispensing events, issue 16): dispensed (ready, or handed over when no
    # pickup is reported), picked_up (on picked_up_on), returned_to_stock or reversed. The last
    # two count for no adherence and no pickup.
    state: Mapped[str] = mapped_column(String(20), default="dispensed", server_default="dispensed")
    picked_up_on: Mapped[dt.date | None] = mapped_column(Date)
