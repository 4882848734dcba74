"""Records for inbox tests: staff accounts, review items of each kind, a second pharmacy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.inbox import auth
from store.accounts import Membership, Role, User
from store.models import (
    Channel,
    CheckIn,
    CheckInStatus,
    Direction,
    Enrollment,
    EnrollmentStatus,
    Message,
    MessageStatus,
    Patient,
    Pharmacy,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)
from tests.helpers import NOW, new_sid

PASSWORD = "correct horse battery staple"
XSS = "<script>alert(1)</script>"
FLAGGED_ANSWERS: dict[str, Any] = {
    "hospital": "yes",
    "changes": "no",
    "missed_doses": "no",
    "anything_else": XSS,
    "still_coming": "yes",
}


def main_pharmacy(session: Session) -> Pharmacy:
    found = session.scalar(select(Pharmacy).where(Pharmacy.twilio_number == "+12125550100"))
    assert found is not None, "seed the demo pharmacy first"
    return found


def patient(session: Session, external_id: str, pharmacy_id: int | None = None) -> Patient:
    query = select(Patient).where(Patient.external_id == external_id)
    if pharmacy_id is not None:
        query = query.where(Patient.pharmacy_id == pharmacy_id)
    found = session.scalar(query)
    assert found is not None, external_id
    return found


def add_user(
    session: Session,
    email: str,
    role: Role,
    pharmacy_ids: list[int],
    name: str = "",
    password: str = PASSWORD,
) -> User:
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=auth.hasher.hash(password),
        active=True,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(user)
    session.flush()
    for pharmacy_id in pharmacy_ids:
        session.add(Membership(user_id=user.id, pharmacy_id=pharmacy_id))
    session.flush()
    return user


def uptown(session: Session) -> tuple[Pharmacy, Patient]:
    """A second pharmacy with one patient: for proving that scope holds."""
    pharmacy = Pharmacy(
        name="Uptown Pharmacy",
        phone="+12125550299",
        twilio_number="+12125550200",
        timezone="America/New_York",
        state="NY",
        created_at=NOW,
    )
    session.add(pharmacy)
    session.flush()
    person = Patient(
        pharmacy_id=pharmacy.id,
        external_id="U9001",
        first_name="Una",
        last_name="Uptown",
        birth_date=dt.date(1950, 1, 1),
        phone="+12125550901",
        language="en",
        opted_out=False,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(person)
    session.flush()
    return pharmacy, person


def enroll(
    session: Session,
    person: Patient,
    status: EnrollmentStatus = EnrollmentStatus.ACTIVE,
    day: int = 15,
    next_anchor: dt.date | None = dt.date(2026, 12, 15),
) -> Enrollment:
    enrollment = Enrollment(
        patient_id=person.id,
        status=status,
        anchor_day=day,
        cycle="monthly",
        next_anchor_date=next_anchor,
        updated_at=NOW,
    )
    session.add(enrollment)
    session.flush()
    return enrollment


def flagged_check_in(
    session: Session,
    person: Patient,
    anchor: dt.date = dt.date(2026, 12, 15),
    answers: dict[str, Any] | None = None,
    created_at: dt.datetime = NOW,
) -> ReviewItem:
    answers = dict(FLAGGED_ANSWERS if answers is None else answers)
    if session.scalar(select(Enrollment).where(Enrollment.patient_id == person.id)) is None:
        enroll(session, person, EnrollmentStatus.ACTIVE, anchor.day, anchor)
    flags = [k for k in ("hospital", "anything_else") if k in answers]
    check_in = CheckIn(
        patient_id=person.id,
        anchor_date=anchor,
        status=CheckInStatus.FLAGGED,
        definition="check_in@1",
        answers=answers,
        flags=flags,
        opened_at=created_at - dt.timedelta(hours=1),
        completed_at=created_at,
    )
    session.add(check_in)
    session.flush()
    item = ReviewItem(
        pharmacy_id=person.pharmacy_id,
        patient_id=person.id,
        phone=person.phone,
        kind=ReviewKind.FLAGGED_CHECK_IN,
        status=ReviewStatus.PENDING,
        priority=0,
        summary=f"Check-in for the {anchor:%b %d, %Y} pickup needs review: hospital stay or ER "
        "visit. The fill is on hold.",
        details={"answers": answers, "flags": flags},
        check_in_id=check_in.id,
        created_at=created_at,
    )
    session.add(item)
    session.flush()
    return item


def new_enrollment(
    session: Session,
    person: Patient,
    day: int = 15,
    next_anchor: dt.date = dt.date(2026, 12, 15),
    created_at: dt.datetime = NOW,
) -> ReviewItem:
    enroll(session, person, EnrollmentStatus.PENDING_REVIEW, day, next_anchor)
    item = ReviewItem(
        pharmacy_id=person.pharmacy_id,
        patient_id=person.id,
        phone=person.phone,
        kind=ReviewKind.NEW_ENROLLMENT,
        status=ReviewStatus.PENDING,
        priority=1,
        summary=f"New enrollment: pickup day {day}, first synced pickup "
        f"{next_anchor:%b %d, %Y}. Please review the sync plan and approve.",
        details={"anchor_day": day, "first_pickup": next_anchor.isoformat()},
        created_at=created_at,
    )
    session.add(item)
    session.flush()
    return item


def written_item(
    session: Session,
    pharmacy_id: int,
    body: str,
    person: Patient | None = None,
    phone: str = "+19175550000",
    kind: ReviewKind = ReviewKind.MESSAGE,
    priority: int = 0,
    created_at: dt.datetime = NOW,
) -> ReviewItem:
    """An item opened by something a patient (or a stranger) wrote."""
    number = person.phone if person else phone
    message = Message(
        pharmacy_id=pharmacy_id,
        patient_id=person.id if person else None,
        direction=Direction.INBOUND,
        channel=Channel.SMS,
        sid=new_sid(),
        phone=number,
        body=body,
        status=MessageStatus.RECEIVED,
        created_at=created_at,
    )
    session.add(message)
    session.flush()
    item = ReviewItem(
        pharmacy_id=pharmacy_id,
        patient_id=person.id if person else None,
        phone=number,
        kind=kind,
        status=ReviewStatus.PENDING,
        priority=priority,
        summary="A patient wrote something no dialog was waiting for. Please read it.",
        details={},
        message_id=message.id,
        created_at=created_at,
    )
    session.add(item)
    session.flush()
    return item


def renewal_item(
    patient: Patient,
    rx_number: str,
    anchor_date: dt.date,
    status: ReviewStatus = ReviewStatus.PENDING,
    summary: str = "Ask the prescriber to renew it.",
) -> ReviewItem:
    """A renewal review item for one prescription of one pickup (bot/program/renewals.py keeps
    the pickup's anchor date in its details), for the caller to add."""
    return ReviewItem(
        pharmacy_id=patient.pharmacy_id,
        patient_id=patient.id,
        phone=patient.phone,
        kind=ReviewKind.RENEWAL,
        status=status,
        priority=1,
        summary=summary,
        details={"rx_number": rx_number, "anchor_date": anchor_date.isoformat()},
        created_at=NOW,
    )
