"""Renewals: at check-in time, prescriptions that need the prescriber before this pickup become
review items, one per prescription and pickup, so staff ask in time (DOMAIN.md, rule 9)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from bot.program.plans import plan_for
from dialogs.plan.model import PlanError
from store import queries
from store.models import Patient, ReviewItem, ReviewKind, ReviewStatus


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
    found: set[dt.date] = set()
    for item in queries.review_items_of(session, patient_id, ReviewKind.RENEWAL):
        anchor = (item.details or {}).get("anchor_date")
        if item.status == ReviewStatus.PENDING and isinstance(anchor, str):
            try:
                found.add(dt.date.fromisoformat(anchor))
            except ValueError:
                continue
    return tuple(sorted(found))
