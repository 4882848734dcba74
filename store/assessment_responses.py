"""A pharmacy's standalone assessments (a vaccine offer, a side-effect survey) and the
answers patients gave them.

Every loaded version of a definition is kept: an answer names the version it was asked in
(`name`, `version`), so old answers keep their meaning after the pharmacy edits the file.
Query functions take a session and never commit.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.models import Base, _enum


class AssessmentDefinition(Base):
    """One version of a pharmacy's assessment file, as loaded (TOML text)."""

    __tablename__ = "assessment_definition"
    __table_args__ = (UniqueConstraint("pharmacy_id", "name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacy.id"))
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # Only the newest version of a name can be sent, and only while it is on.
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    loaded_at: Mapped[dt.datetime]

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"


class ResponseStatus(enum.StrEnum):
    WAITING = "waiting"  # sent, but another dialog on the phone goes first
    OPEN = "open"
    FLAGGED = "flagged"  # a pharmacist reviews the answers
    DONE = "done"
    STOPPED = "stopped"  # the patient opted out or gave up (unclear twice) before the end


class AssessmentResponse(Base):
    """One sending of an assessment to one patient, and the answers so far."""

    __tablename__ = "assessment_response"
    __table_args__ = (
        UniqueConstraint("patient_id", "sending"),
        Index("ix_assessment_response_name", "pharmacy_id", "name", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacy.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    # Which sending this is ("flu_offer@2:2026-11-29"): a second send the same day is the same.
    sending: Mapped[str] = mapped_column(String(128))
    status: Mapped[ResponseStatus] = mapped_column(_enum(ResponseStatus))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The patient's own words behind each answer (question id -> text), as on a check-in.
    words: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default="{}")
    sent_at: Mapped[dt.datetime]
    completed_at: Mapped[dt.datetime | None]


def definitions_named(session: Session, pharmacy_id: int, name: str) -> list[AssessmentDefinition]:
    """Every loaded version of `name`, oldest first."""
    return list(
        session.scalars(
            select(AssessmentDefinition)
            .where(AssessmentDefinition.pharmacy_id == pharmacy_id)
            .where(AssessmentDefinition.name == name)
            .order_by(AssessmentDefinition.version)
        )
    )


def newest(session: Session, pharmacy_id: int, name: str) -> AssessmentDefinition | None:
    versions = definitions_named(session, pharmacy_id, name)
    return versions[-1] if versions else None


def all_newest(session: Session, pharmacy_id: int) -> list[AssessmentDefinition]:
    """The newest version of each of the pharmacy's assessments, by name."""
    rows = session.scalars(
        select(AssessmentDefinition)
        .where(AssessmentDefinition.pharmacy_id == pharmacy_id)
        .order_by(AssessmentDefinition.name, AssessmentDefinition.version)
    )
    by_name: dict[str, AssessmentDefinition] = {}
    for row in rows:
        by_name[row.name] = row
    return list(by_name.values())


def definition_texts(
    session: Session, pharmacy_id: int, keys: set[tuple[str, int]]
) -> dict[str, str]:
    """The stored files of these (name, version) pairs, by "name@version"."""
    if not keys:
        return {}
    names = {name for name, _ in keys}
    rows = session.scalars(
        select(AssessmentDefinition)
        .where(AssessmentDefinition.pharmacy_id == pharmacy_id)
        .where(AssessmentDefinition.name.in_(names))
    )
    return {row.key: row.text for row in rows if (row.name, row.version) in keys}


def response_for(session: Session, patient_id: int, sending: str) -> AssessmentResponse | None:
    return session.scalar(
        select(AssessmentResponse)
        .where(AssessmentResponse.patient_id == patient_id)
        .where(AssessmentResponse.sending == sending)
    )
