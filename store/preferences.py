"""A patient's preferences: pickup or delivery, text or call, the time of day for messages.

Detailed messages (drug names allowed) are a consent, not a preference: they live in the
append-only consent_event table (detailed_messages_on/off, the latest wins). Every change of
a preference is kept in preference_change: who made it, when, and on which channel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.models import Base, ConsentEvent, ConsentKind, Patient

DETAILED = (ConsentKind.DETAILED_MESSAGES_ON, ConsentKind.DETAILED_MESSAGES_OFF)


class PatientPreference(Base):
    __tablename__ = "patient_preference"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), primary_key=True)
    delivery: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # None: not asked
    channel: Mapped[str | None] = mapped_column(String(8), nullable=True)  # "text" or "call"
    time_of_day: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # When the questions were first put to the patient: each is asked once, then only on request.
    asked_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    updated_at: Mapped[dt.datetime]


class PreferenceChange(Base):
    """One change of one preference (append-only, like the audit trail)."""

    __tablename__ = "preference_change"
    __table_args__ = (Index("ix_preference_change_patient", "patient_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    name: Mapped[str] = mapped_column(String(16))  # delivery, channel, time, detailed
    value: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))  # sms, voice, staff, cli
    # The staff member's account (email) for a staff change; None when the patient made it.
    changed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime]


def preference_of(session: Session, patient_id: int) -> PatientPreference | None:
    """The patient's preference row; a row this transaction found missing is not looked for
    again (`preferences_known`: the inbound path read it with everything else)."""
    kept = session.info.get("medsync_preferences")
    if kept is not None and kept[0] is session.get_transaction() and patient_id in kept[1]:
        found: PatientPreference | None = kept[1][patient_id]
        if found is not None and found in session:
            return found
        if found is None:
            # Missing when read; one added since is pending, or flushed into the identity map.
            for added in session.new:
                if isinstance(added, PatientPreference) and added.patient_id == patient_id:
                    return added
            key = session.identity_key(PatientPreference, patient_id)
            known = session.identity_map.get(key)
            return known if isinstance(known, PatientPreference) else None
    return session.get(PatientPreference, patient_id)


def preferences_known(
    session: Session, patient_ids: Sequence[int], found: dict[int, PatientPreference | None]
) -> None:
    """These patients' preference rows (or their absence) were read in this transaction."""
    kept = session.info.get("medsync_preferences")
    transaction = session.get_transaction()
    if kept is None or kept[0] is not transaction:
        kept = (transaction, {})
        session.info["medsync_preferences"] = kept
    read: dict[int, PatientPreference | None] = kept[1]
    for patient_id in patient_ids:
        read[patient_id] = found.get(patient_id)


def preferences_of(session: Session, patient_ids: list[int]) -> dict[int, PatientPreference]:
    if not patient_ids:
        return {}
    rows = session.scalars(
        select(PatientPreference).where(PatientPreference.patient_id.in_(patient_ids))
    )
    return {row.patient_id: row for row in rows}


def latest_detailed_consent() -> Any:
    """The patient's latest answer about drug names in texts (a consent kind), as a scalar
    subquery correlated to `Patient`: None when never asked."""
    return (
        select(ConsentEvent.kind)
        .where(ConsentEvent.patient_id == Patient.id, ConsentEvent.kind.in_(DETAILED))
        .order_by(ConsentEvent.created_at.desc(), ConsentEvent.id.desc())
        .limit(1)
        .correlate(Patient)
        .scalar_subquery()
    )


def preferences_and_consent(
    session: Session, patient_ids: list[int]
) -> dict[int, tuple[PatientPreference | None, bool]]:
    """Each patient's preference row and whether they allow drug names, in one statement
    (this runs on every inbound message)."""
    if not patient_ids:
        return {}
    latest = latest_detailed_consent()
    rows = session.execute(
        select(Patient.id, PatientPreference, latest)
        .outerjoin(PatientPreference, PatientPreference.patient_id == Patient.id)
        .where(Patient.id.in_(patient_ids))
    ).all()
    return {pid: (row, kind == ConsentKind.DETAILED_MESSAGES_ON) for pid, row, kind in rows}


def detailed_messages(session: Session, patient_ids: list[int]) -> dict[int, bool]:
    """Whether each patient allows drug names in messages: the latest consent wins; off by
    default."""
    if not patient_ids:
        return {}
    rows = session.execute(
        select(ConsentEvent.patient_id, ConsentEvent.kind)
        .where(ConsentEvent.patient_id.in_(patient_ids), ConsentEvent.kind.in_(DETAILED))
        .order_by(ConsentEvent.created_at, ConsentEvent.id)
    ).all()
    allowed = dict.fromkeys(patient_ids, False)
    for patient_id, kind in rows:
        allowed[patient_id] = kind == ConsentKind.DETAILED_MESSAGES_ON
    return allowed


def changes_of(session: Session, patient_id: int) -> list[PreferenceChange]:
    return list(
        session.scalars(
            select(PreferenceChange)
            .where(PreferenceChange.patient_id == patient_id)
            .order_by(PreferenceChange.created_at.desc(), PreferenceChange.id.desc())
        )
    )
