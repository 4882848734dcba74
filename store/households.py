"""Households: patients who share an address or a phone and pick up together on one day.

A household is a set of patients of one pharmacy; each patient belongs to at most one
(`patient_id` is unique among members). A household of one is dissolved: linking is about
two or more people. Who linked whom, and when, is in the audit trail (staff) or in the
patient's consent record (a patient who said yes on a shared phone)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models import Base, Patient


class Household(Base):
    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacy.id"), index=True)
    created_at: Mapped[dt.datetime]

    members: Mapped[list[HouseholdMember]] = relationship(
        back_populates="household", order_by="HouseholdMember.id"
    )


class HouseholdMember(Base):
    __tablename__ = "household_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), unique=True)
    # "staff:<email>", "cli:<user>" or "patient" (said yes to the offer on a shared phone)
    added_by: Mapped[str] = mapped_column(String(200))
    joined_at: Mapped[dt.datetime]

    household: Mapped[Household] = relationship(back_populates="members")
    patient: Mapped[Patient] = relationship()
