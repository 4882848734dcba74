"""Dispensing events and the pickup cycles they close (issue 16).

An event comes from the fills file, `POST /api/v1/dispensing-events` or a FHIR
MedicationDispense; all three go through bot/imports/dispensing.py. An event is kept once per
(pharmacy, event_id): the same event again changes nothing, and the same id with other content
is refused. The fill it concerns (store/fills.py, keyed by patient, rx_number and fill date)
carries the resulting state.

A pickup cycle is one anchor date of an active enrollment, judged after the pharmacy's grace
days: picked up, partly picked up or not picked up (bot/outreach/pickups.py)."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base


class EventKind(enum.StrEnum):
    DISPENSED = "dispensed"  # filled and ready (or handed over, if no pickup is reported)
    PICKED_UP = "picked_up"  # handed over to the patient or their agent
    RETURNED_TO_STOCK = "returned_to_stock"  # never collected: back on the shelf
    REVERSED = "reversed"  # the claim was reversed: the fill did not happen


class CycleState(enum.StrEnum):
    OPEN = "open"  # the anchor has passed, the grace days have not
    PICKED_UP = "picked_up"
    PARTLY_PICKED_UP = "partly_picked_up"
    NOT_PICKED_UP = "not_picked_up"


class DispensingEvent(Base):
    """What the pharmacy system said happened to a fill, once per event id."""

    __tablename__ = "dispensing_event"
    __table_args__ = (
        UniqueConstraint("pharmacy_id", "event_id", name="uq_dispensing_event_id"),
        Index("ix_dispensing_event_patient", "patient_id", "fill_date"),
        # The scheduler's "since when does this pharmacy report pickups" on every tick.
        Index("ix_dispensing_event_kind", "pharmacy_id", "kind", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacy.id"))
    event_id: Mapped[str] = mapped_column(String(128))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    rx_number: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    fill_date: Mapped[dt.date] = mapped_column(Date)  # the fill it concerns (prepared)
    occurred_on: Mapped[dt.date] = mapped_column(Date)  # e.g. the day it was picked up
    days_supply: Mapped[int | None] = mapped_column(Integer)
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    source: Mapped[str] = mapped_column(String(16))  # file, api, fhir
    recorded_at: Mapped[dt.datetime]


class PickupCycle(Base):
    """One anchor date of an enrolled patient, and whether its fills were collected."""

    __tablename__ = "pickup_cycle"
    __table_args__ = (
        UniqueConstraint("patient_id", "anchor_date", name="uq_pickup_cycle"),
        Index("ix_pickup_cycle_state", "state", "anchor_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    anchor_date: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20))
    judged_at: Mapped[dt.datetime | None]  # when the grace days ran out (None: still open)
    updated_at: Mapped[dt.datetime]
