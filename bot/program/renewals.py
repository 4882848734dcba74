"""Renewals: at check-in time, prescriptions that need the prescriber before this pickup become
review items, one per prescription and pickup, so staff ask in time (DOMAIN.md, rule 9)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.program.plans import plan_for
from dialogs import prompts
from dialogs.plan.model import PlanError
from dialogs.turn import Say
from store import queries
from store.models import Patient, ReviewItem, ReviewKind, ReviewStatus
from store.phone_read import anchor_dates


def ask_in_time(
    session: Session,
    patient: Patient,
    anchor_day: int,
    anchor_date: dt.date,
    today: dt.date,
    now: dt.datetime,
    blocked_only: bool = False,
) -> None:
    """One renewal review item per prescription that needs the prescriber by `anchor_date`.
    `blocked_only`: only those a planned fill already waits for (the plan asks today), not
    those the check-in asks for in time."""
    try:
        plan = plan_for(patient, today, anchor_day)
    except PlanError:
        return  # not plannable: the pharmacist sees why on the patient's page
    already = {
        (item.details or {}).get("rx_number")
        for item in queries.review_items_of(session, patient.id, ReviewKind.RENEWAL)
        if (item.details or {}).get("anchor_date") == anchor_date.isoformat()
    }
    for renewal in plan.renewals:
        if renewal.rx_number in already or (blocked_only and renewal.request_on > today):
            continue
        session.add(
            ReviewItem(
                pharmacy_id=patient.pharmacy_id,
                patient_id=patient.id,
                phone=patient.phone,
                kind=ReviewKind.RENEWAL,
                status=ReviewStatus.PENDING,
                priority=1,
                summary=f"Ask the prescriber to renew {renewal.drug_name} "
                f"({renewal.rx_number}) by {renewal.request_on:%b %d, %Y}. {renewal.reason}",
                details={
                    "rx_number": renewal.rx_number,
                    "anchor_date": anchor_date.isoformat(),
                },
                created_at=now,
            )
        )


def pending_anchors(session: Session, patient_id: int) -> tuple[dt.date, ...]:
    """The pickups (anchor dates) for which a renewal of the patient's is still pending. The
    inbound path reads these with the phone's patients (store/phone_read.py); this is for a
    step that did not."""
    return pending_anchors_of(session, [patient_id]).get(patient_id, ())


def pending_anchors_of(
    session: Session, patient_ids: Sequence[int]
) -> dict[int, tuple[dt.date, ...]]:
    """`pending_anchors` for many patients in one statement (the scheduler's reminders): each
    patient with a pending renewal -> its pickups; the others are left out."""
    if not patient_ids:
        return {}
    rows = session.execute(
        select(ReviewItem.patient_id, ReviewItem.details).where(
            ReviewItem.patient_id.in_(list(patient_ids)),
            ReviewItem.kind == ReviewKind.RENEWAL,
            ReviewItem.status == ReviewStatus.PENDING,
        )
    ).all()
    values: dict[int, list[object]] = {}
    for patient_id, details in rows:
        values.setdefault(patient_id, []).append((details or {}).get("anchor_date"))
    found = {patient_id: anchor_dates(anchors) for patient_id, anchors in values.items()}
    return {patient_id: days for patient_id, days in found.items() if days}


def pickup_reminder(pharmacy: str, pickup: dt.date, renewing: bool, delivery: bool = False) -> Say:
    """The pickup reminder (text or call), naming no medicine: "ready for pickup on ...", or,
    while a renewal of that pickup is still asked of the prescriber, the pickup day and that
    one prescription waits on a new order (nothing promised ready). To a patient who has their
    medicines delivered (the delivery preference on), "we will deliver your medicines for your
    pickup date", or "your delivery is planned for" the day while a renewal is pending. The
    reminder to a shared phone (bot/program/households.py) and the detailed one follow from
    it (the detailed one only for pickup)."""
    return Say(_REMINDERS[delivery, renewing], {"pharmacy": pharmacy, "date": pickup})


# (delivery, renewal pending) -> the reminder.
_REMINDERS = {
    (False, False): prompts.PICKUP_REMINDER,
    (False, True): prompts.PICKUP_REMINDER_RENEWAL,
    (True, False): prompts.PICKUP_REMINDER_DELIVERY,
    (True, True): prompts.PICKUP_REMINDER_DELIVERY_RENEWAL,
}
