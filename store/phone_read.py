"""Everything one step of a conversation reads about the phone's patients, in one statement.

An inbound text needs, for each patient on the phone (their own and those it looks after as a
caregiver): the patient, whether a caregiver row touches them, the enrollment, the preference
row and the latest detailed-messages consent, the household and the prescriptions (the sync
plan's inputs); and whether its MessageSid was answered before. Issue 19 folded the six
statements that read these into one joined SELECT (the prescriptions make one row each; the
rest is one-to-one with the patient). The statement runs after the conversation row is locked,
so a retried MessageSid racing its first delivery sees the first one's committed message.

What was read is remembered for the transaction (`store.queries.enrollment_of`,
`store.preferences.preference_of`), so the effects that write these rows read nothing again.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, String, bindparam, cast, func, select
from sqlalchemy.orm import Session, contains_eager

from store import queries
from store.caregivers import near_phone
from store.households import HouseholdMember
from store.models import (
    Enrollment,
    Message,
    Patient,
    Prescription,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)
from store.preferences import (
    DETAILED,
    PatientPreference,
    latest_detailed_consent,
    preferences_known,
)


@dataclass
class PhoneRead:
    """The phone's patients by birth date, each with whether a caregiver row touches them or
    the phone, and what the dialog's context needs of them."""

    patients: list[tuple[Patient, bool]]
    enrollments: dict[int, Enrollment] = field(default_factory=dict)
    # patient id -> (preference row or None, allows drug names)
    preferences: dict[int, tuple[PatientPreference | None, bool]] = field(default_factory=dict)
    households: dict[int, int] = field(default_factory=dict)  # patient id -> household id
    # patient id -> the pickups (anchor dates) a pending renewal review item is for
    renewals: dict[int, tuple[dt.date, ...]] = field(default_factory=dict)
    # The reply stored for this MessageSid ("" when it had none); None: a new MessageSid.
    earlier_reply: str | None = None

    def households_of(self, patient_ids: Sequence[int]) -> dict[int, int]:
        return {pid: self.households[pid] for pid in patient_ids if pid in self.households}


@functools.cache
def _statement(with_sid: bool) -> Any:
    """The statement, built once per process (its values are bound parameters: building it
    for every text cost more of the text's time than running it)."""
    pharmacy_id = bindparam("pharmacy_id", type_=Integer)
    phone = bindparam("phone", type_=String)
    found, touched = near_phone(pharmacy_id, phone)
    detailed = latest_detailed_consent()
    pending = (
        select(
            func.aggregate_strings(
                cast(ReviewItem.kind, String).concat(":").concat(cast(ReviewItem.id, String)), ","
            )
        )
        .where(
            ReviewItem.patient_id == Patient.id,
            ReviewItem.pharmacy_id == pharmacy_id,
            ReviewItem.status == ReviewStatus.PENDING,
        )
        .correlate(Patient)
        .scalar_subquery()
    )
    # The pickups the pending renewals are for (bot/program/renewals.py keeps the anchor date
    # in the item's details): the check-in does not promise "ready" for those.
    renewing = (
        select(func.aggregate_strings(ReviewItem.details["anchor_date"].as_string(), ","))
        .where(
            ReviewItem.patient_id == Patient.id,
            ReviewItem.pharmacy_id == pharmacy_id,
            ReviewItem.status == ReviewStatus.PENDING,
            ReviewItem.kind == ReviewKind.RENEWAL,
        )
        .correlate(Patient)
        .scalar_subquery()
    )
    columns: list[Any] = [
        Patient,
        touched.label("touched"),
        Enrollment,
        PatientPreference,
        detailed.label("detailed"),
        HouseholdMember.household_id,
        pending.label("pending"),
        renewing.label("renewing"),
    ]
    if with_sid:
        earlier = select(func.coalesce(Message.reply, "")).where(Message.sid == bindparam("sid"))
        columns.append(earlier.scalar_subquery().label("earlier"))
    return (
        select(*columns)
        .outerjoin(Enrollment, Enrollment.patient_id == Patient.id)
        .outerjoin(PatientPreference, PatientPreference.patient_id == Patient.id)
        .outerjoin(HouseholdMember, HouseholdMember.patient_id == Patient.id)
        .outerjoin(Prescription, Prescription.patient_id == Patient.id)
        .options(contains_eager(Patient.prescriptions))
        .where(found)
        .order_by(Patient.birth_date, Patient.id, Prescription.rx_number)
    )


def read_phone(session: Session, pharmacy_id: int, phone: str, sid: str | None = None) -> PhoneRead:
    """One statement (two for a phone with no patient and a `sid` to look up)."""
    params = {"pharmacy_id": pharmacy_id, "phone": phone}
    if sid is not None:
        params["sid"] = sid
    rows = session.execute(_statement(sid is not None), params).unique().all()
    read = PhoneRead([(row[0], bool(row[1])) for row in rows])
    pending_items: dict[int, dict[ReviewKind, int]] = {}
    for row in rows:
        patient, enrollment, preference, kind, household = row[0], row[2], row[3], row[4], row[5]
        items = pending_items.setdefault(patient.id, {})
        for entry in (row[6] or "").split(","):
            if entry:
                item_kind, item_id = entry.rsplit(":", 1)
                known = items.get(ReviewKind(item_kind))
                items[ReviewKind(item_kind)] = min(int(item_id), known or int(item_id))
        if row[7] and patient.id not in read.renewals:
            read.renewals[patient.id] = renewal_anchors(row[7])
        if enrollment is not None:
            read.enrollments[patient.id] = enrollment
        read.preferences[patient.id] = (preference, kind == DETAILED[0])
        if household is not None:
            read.households[patient.id] = household
    ids = [patient.id for patient, _ in read.patients]
    queries.enrollments_known(session, ids, read.enrollments)
    preferences_known(session, ids, {pid: pref for pid, (pref, _) in read.preferences.items()})
    queries.pending_items_known(session, pharmacy_id, pending_items)
    if sid is not None:
        if rows:
            read.earlier_reply = rows[0][8]
        else:
            earlier_message = queries.message_by_sid(session, sid)
            if earlier_message is not None:
                read.earlier_reply = earlier_message.reply or ""
    return read


def renewal_anchors(text: str) -> tuple[dt.date, ...]:
    """The anchor dates of "2026-12-15,2026-12-15,..." (a renewal item without one is left out)."""
    return anchor_dates(text.split(","))


def anchor_dates(values: Iterable[object]) -> tuple[dt.date, ...]:
    """The distinct dates among renewal items' `anchor_date` values, in order; anything that
    is not an ISO date (missing, mistyped) is left out."""
    found: set[dt.date] = set()
    for value in values:
        if isinstance(value, str):
            try:
                found.add(dt.date.fromisoformat(value.strip()))
            except ValueError:
                continue
    return tuple(sorted(found))
