"""Caregivers: another phone that receives a patient's messages and may answer for them.

The permission itself is a ConsentEvent (caregiver_granted / caregiver_withdrawn, with the
words and who recorded them); `caregiver_consent` ties each such event to the caregiver it
is about. Both are append-only: the current state of a caregiver is its latest event.
A phone that texted STOP while it was only a caregiver's phone is opted out in
`caregiver_phone_event` (append-only too), since no patient's own opt-out covers it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    exists,
    func,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.models import AppendOnlyError, Base, ConsentEvent, ConsentKind, Patient

GRANTED = ConsentKind.CAREGIVER_GRANTED
WITHDRAWN = ConsentKind.CAREGIVER_WITHDRAWN


class Caregiver(Base):
    """A (patient, phone) pair that was ever granted; whether it still is: `is_active`."""

    __tablename__ = "caregiver"
    __table_args__ = (
        UniqueConstraint("patient_id", "phone", name="uq_caregiver_patient_phone"),
        Index("ix_caregiver_phone", "pharmacy_id", "phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacy.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    name: Mapped[str | None] = mapped_column(String(100))  # as staff or the patient gave it
    created_at: Mapped[dt.datetime]


class CaregiverConsent(Base):
    """Which caregiver a caregiver_granted / caregiver_withdrawn consent event is about."""

    __tablename__ = "caregiver_consent"

    consent_event_id: Mapped[int] = mapped_column(ForeignKey("consent_event.id"), primary_key=True)
    caregiver_id: Mapped[int] = mapped_column(ForeignKey("caregiver.id"), index=True)
    # "patient", "caregiver", or "staff:<name>": who gave or took back the permission.
    recorded_by: Mapped[str] = mapped_column(String(200))


class CaregiverPhoneEvent(Base):
    """STOP and START from a phone that is only a caregiver's (no patient of its own)."""

    __tablename__ = "caregiver_phone_event"
    __table_args__ = (Index("ix_caregiver_phone_event", "pharmacy_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacy.id"))
    phone: Mapped[str] = mapped_column(String(20))
    opted_out: Mapped[bool] = mapped_column(Boolean)
    wording: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]


def _refuse_change(mapper: Any, connection: Any, target: Any) -> None:
    raise AppendOnlyError(f"{type(target).__name__} records are append-only")


for _model in (CaregiverConsent, CaregiverPhoneEvent):
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)


# ---------------------------------------------------------------------- writing


def record(
    session: Session,
    caregiver: Caregiver,
    granted: bool,
    wording: str,
    recorded_by: str,
    channel: Any,
    language: str,
    now: dt.datetime,
    message_id: int | None = None,
    prompt: str | None = None,
) -> ConsentEvent:
    """Append a granted or withdrawn event for this caregiver (the caller owns the commit)."""
    consent = ConsentEvent(
        patient_id=caregiver.patient_id,
        kind=GRANTED if granted else WITHDRAWN,
        channel=channel,
        message_id=message_id,
        wording=wording,
        prompt=prompt,
        language=language,
        created_at=now,
    )
    session.add(consent)
    session.flush()
    session.add(
        CaregiverConsent(
            consent_event_id=consent.id, caregiver_id=caregiver.id, recorded_by=recorded_by[:200]
        )
    )
    session.flush()
    return consent


def caregiver_row(
    session: Session, patient: Patient, phone: str, name: str | None, now: dt.datetime
) -> Caregiver:
    """The (patient, phone) row, created the first time; a new name replaces the old one."""
    row = link(session, patient.id, phone)
    if row is None:
        row = Caregiver(
            pharmacy_id=patient.pharmacy_id,
            patient_id=patient.id,
            phone=phone,
            name=name,
            created_at=now,
        )
        session.add(row)
        session.flush()
    elif name:
        row.name = name
    return row


def record_phone(
    session: Session, pharmacy_id: int, phone: str, opted_out: bool, wording: str, now: dt.datetime
) -> None:
    session.add(
        CaregiverPhoneEvent(
            pharmacy_id=pharmacy_id,
            phone=phone,
            opted_out=opted_out,
            wording=wording,
            created_at=now,
        )
    )


# ---------------------------------------------------------------------- reading


def _latest_kinds(session: Session, caregiver_ids: Sequence[int]) -> dict[int, ConsentKind]:
    if not caregiver_ids:
        return {}
    latest = (
        select(
            CaregiverConsent.caregiver_id,
            func.max(CaregiverConsent.consent_event_id).label("event_id"),
        )
        .where(CaregiverConsent.caregiver_id.in_(caregiver_ids))
        .group_by(CaregiverConsent.caregiver_id)
        .subquery()
    )
    rows = session.execute(
        select(latest.c.caregiver_id, ConsentEvent.kind).join(
            ConsentEvent, ConsentEvent.id == latest.c.event_id
        )
    ).all()
    return {caregiver_id: kind for caregiver_id, kind in rows}


def _active(session: Session, rows: Sequence[Caregiver]) -> list[Caregiver]:
    kinds = _latest_kinds(session, [r.id for r in rows])
    return [r for r in rows if kinds.get(r.id) == GRANTED]


def patients_near(session: Session, pharmacy_id: int, phone: str) -> list[tuple[Patient, bool]]:
    """In one statement: the phone's own patients and every patient it has ever been a
    caregiver for, by birth date, each with whether any caregiver row touches them or this
    phone (when none does, the inbound path needs no further caregiver lookup)."""
    found, touched = near_phone(pharmacy_id, phone)
    rows = session.execute(
        select(Patient, touched.label("touched"))
        .where(found)
        .order_by(Patient.birth_date, Patient.id)
    ).all()
    return [(patient, bool(flag)) for patient, flag in rows]


def near_phone(pharmacy_id: Any, phone: Any) -> tuple[Any, Any]:
    """The condition on `Patient` for the phone's own patients and those it has ever been a
    caregiver for, and whether any caregiver row touches the patient or this phone (an EXISTS
    correlated to `Patient`). Values or bound parameters (the inbound path's read,
    store/phone_read.py, builds its statement once)."""
    # The two ways in as a UNION of ids, each found through its index, and the patients by
    # their keys: `pharmacy_id = ? AND (phone = ? OR id IN (...))` read every patient of the
    # pharmacy (3.8 ms a text on SQLite at 30,000 patients, 0.2 ms now; issue 19).
    own = select(Patient.id).where(Patient.pharmacy_id == pharmacy_id, Patient.phone == phone)
    for_phone = (
        select(Caregiver.patient_id)
        .join(Patient, Patient.id == Caregiver.patient_id)
        .where(
            Caregiver.pharmacy_id == pharmacy_id,
            Caregiver.phone == phone,
            Patient.pharmacy_id == pharmacy_id,
        )
    )
    touched = (
        exists()
        .where(
            Caregiver.pharmacy_id == pharmacy_id,
            or_(Caregiver.patient_id == Patient.id, Caregiver.phone == phone),
        )
        .correlate(Patient)
    )
    return Patient.id.in_(union(own, for_phone)), touched


def near(session: Session, pharmacy_id: int, phone: str, patient_ids: set[int]) -> list[Caregiver]:
    """Every caregiver row (standing or not) of this phone, or of these patients."""
    about = Caregiver.phone == phone
    if patient_ids:
        about = about | Caregiver.patient_id.in_(sorted(patient_ids))
    return list(
        session.scalars(
            select(Caregiver)
            .where(Caregiver.pharmacy_id == pharmacy_id, about)
            .order_by(Caregiver.id)
        )
    )


def standing(session: Session, rows: Sequence[Caregiver]) -> list[Caregiver]:
    """Those of `rows` whose permission stands."""
    return _active(session, rows)


def link(session: Session, patient_id: int, phone: str) -> Caregiver | None:
    return session.scalar(
        select(Caregiver).where(Caregiver.patient_id == patient_id, Caregiver.phone == phone)
    )


def is_active(session: Session, caregiver: Caregiver) -> bool:
    return bool(_active(session, [caregiver]))


def caregivers_of(session: Session, patient_id: int) -> list[Caregiver]:
    """The patient's caregivers whose permission stands, oldest first."""
    rows = session.scalars(
        select(Caregiver).where(Caregiver.patient_id == patient_id).order_by(Caregiver.id)
    ).all()
    return _active(session, rows)


def links_of_phone(session: Session, pharmacy_id: int, phone: str) -> list[Caregiver]:
    """The standing caregiver links of this phone (one per patient it looks after)."""
    rows = session.scalars(
        select(Caregiver)
        .where(Caregiver.pharmacy_id == pharmacy_id, Caregiver.phone == phone)
        .order_by(Caregiver.id)
    ).all()
    return _active(session, rows)


def phone_opted_out(session: Session, pharmacy_id: int, phone: str) -> bool:
    """True when this caregiver-only phone's latest word was STOP (not START since)."""
    latest = session.scalar(
        select(CaregiverPhoneEvent.opted_out)
        .where(CaregiverPhoneEvent.pharmacy_id == pharmacy_id, CaregiverPhoneEvent.phone == phone)
        .order_by(CaregiverPhoneEvent.id.desc())
        .limit(1)
    )
    return bool(latest)


def history(session: Session, patient_id: int) -> list[tuple[Caregiver, ConsentEvent, str]]:
    """Every grant and withdrawal for the patient's caregivers, oldest first."""
    rows = session.execute(
        select(Caregiver, ConsentEvent, CaregiverConsent.recorded_by)
        .join(CaregiverConsent, CaregiverConsent.caregiver_id == Caregiver.id)
        .join(ConsentEvent, ConsentEvent.id == CaregiverConsent.consent_event_id)
        .where(Caregiver.patient_id == patient_id)
        .order_by(ConsentEvent.id)
    ).all()
    return [(c, e, by) for c, e, by in rows]
