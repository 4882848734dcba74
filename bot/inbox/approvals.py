"""Approving a review item: a new enrollment starts (its first synced pickup moved to what the
plan makes of today when approved late) or a flagged check-in's fill proceeds, and the patient is
texted the confirmation in the language they are served. The entry point, with the role and
state checks, is `approve` in bot/inbox/decisions.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy.orm import Session

from bot.channels.sms_text import compose
from bot.inbox.claiming import (
    BadRequest,
    Outcome,
    cannot_text,
    claim,
    enrollment_state,
    pharmacy_of,
    queue_text,
)
from bot.inbox.staff import Actor
from bot.languages import serving
from bot.program import renewals
from bot.program.open_days import real_pickup
from bot.program.pickup_day import set_pickup_day
from bot.program.plans import first_synced_pickup
from bot.program.preferences import delivering
from dialogs import prompts
from dialogs.check_in import ready_prompt
from dialogs.turn import Param, Say
from store import queries
from store.audit import record
from store.models import CheckIn, CheckInStatus, EnrollmentStatus, Patient, ReviewItem, ReviewStatus


def _automated(msgid: str, params: Mapping[str, Param], language: str) -> str:
    # A confirmation the patient did not just ask for is outreach: it says how to stop.
    return compose([Say(msgid, params)], language, automated=True)


def _text_approval(
    session: Session,
    item: ReviewItem,
    patient: Patient,
    msgid: str,
    params: Mapping[str, Param],
    now: dt.datetime,
) -> int:
    """Queue the patient's confirmation of an approval, in the language they are served."""
    language = serving.language_for(session, pharmacy_of(session, item.pharmacy_id), patient, now)
    body = _automated(msgid, params, language)
    key = f"review:{item.id}:approved"
    return queue_text(session, item, patient, patient.phone, body, key, language, now).id


def approve_enrollment(
    session: Session,
    actor: Actor,
    item: ReviewItem,
    patient: Patient | None,
    note: str,
    now: dt.datetime,
    today: dt.date,
    preparation_days: int,
) -> Outcome:
    if patient is None:
        raise BadRequest("This enrollment has no patient attached; it cannot be approved.")
    enrollment = queries.enrollments_of(session, [patient.id]).get(patient.id)
    if enrollment is None or enrollment.anchor_day is None:
        raise BadRequest("The patient has not chosen a pickup day yet; nothing to approve.")
    if enrollment.status in (EnrollmentStatus.DECLINED, EnrollmentStatus.DISENROLLED):
        raise BadRequest(
            f"The patient's enrollment is now {enrollment.status.value}; it cannot be approved."
        )
    claim(session, actor, item, ReviewStatus.APPROVED, note, now)
    before = enrollment_state(enrollment)
    earliest = today + dt.timedelta(days=preparation_days)
    first_anchor = enrollment.next_anchor_date
    if first_anchor is None or first_anchor < earliest:
        # Approved late: the first synced pickup moves to what the plan makes of today (the
        # next anchor the pharmacy can prepare with every medicine joined; off closed days),
        # so the plan behind the day is today's.
        first_anchor = first_synced_pickup(patient, enrollment.anchor_day, today).pickup.planned
        set_pickup_day(enrollment, enrollment.anchor_day, first_anchor, today)
    enrollment.status = EnrollmentStatus.ACTIVE
    enrollment.updated_at = now
    # A prescription a planned fill already waits for (expired, no refills) is asked for now:
    # the first cycle's sync visit comes before its check-in, which asks for the rest.
    renewals.ask_in_time(
        session, patient, enrollment.anchor_day, first_anchor, today, now, blocked_only=True
    )
    pharmacy = pharmacy_of(session, item.pharmacy_id)
    # The day the patient comes: the first synced anchor, or the open day before it if closed.
    pickup = real_pickup(pharmacy, first_anchor, today)
    sent: list[int] = []
    reason = cannot_text(patient)
    told = f"{reason}: call them with the pickup day."
    if reason is None:
        params: dict[str, Param] = {
            "first_name": patient.first_name,
            "pharmacy": pharmacy.name,
            "day": enrollment.anchor_day,
            "date": pickup,
        }
        sent.append(
            _text_approval(session, item, patient, prompts.ENROLLMENT_APPROVED, params, now)
        )
        told = "The patient is being texted their pickup day."
    record(
        session,
        actor.audit_name,
        "approve",
        f"review_item:{item.id}",
        now,
        before={"review_item": {"status": "pending"}, "enrollment": before},
        after={
            "review_item": {"status": "approved", "note": note},
            "enrollment": enrollment_state(enrollment),
            "messages": sent,
        },
    )
    return Outcome(
        f"Enrollment approved: first synced pickup {pickup:%b %d, %Y}. {told}", tuple(sent)
    )


def approve_check_in(
    session: Session,
    actor: Actor,
    item: ReviewItem,
    patient: Patient | None,
    note: str,
    now: dt.datetime,
    today: dt.date,
) -> Outcome:
    check_in = session.get(CheckIn, item.check_in_id) if item.check_in_id else None
    claim(session, actor, item, ReviewStatus.APPROVED, note, now)
    before = {"status": check_in.status.value} if check_in else None
    sent: list[int] = []
    told = "No text was sent."
    if check_in is not None:
        check_in.status = CheckInStatus.APPROVED
        if patient is None:
            told = "No patient is attached, so no text was sent."
        elif cannot_text(patient):
            told = f"{cannot_text(patient)}: call them to say the fill is ready."
        elif check_in.anchor_date < today:
            told = "The pickup date has passed, so no text was sent: call the patient."
        else:
            params: dict[str, Param] = {"date": check_in.anchor_date}
            # A renewal still asked of the prescriber for this pickup: "ready" is not promised;
            # a patient who has their medicines delivered is told so, as the check-in does.
            renewing = check_in.anchor_date in renewals.pending_anchors(session, patient.id)
            delivery = patient.id in delivering(session, [patient.id])
            ready = ready_prompt(delivery, renewing)
            sent.append(_text_approval(session, item, patient, ready, params, now))
            told = (
                "The patient is being texted the pickup day and that a renewal is being asked "
                "for (the renewal item is still pending)."
                if renewing
                else "The patient is being texted that the medicines will be delivered."
                if delivery
                else "The patient is being texted that the medicines will be ready."
            )
    record(
        session,
        actor.audit_name,
        "approve",
        f"review_item:{item.id}",
        now,
        before={"review_item": {"status": "pending"}, "check_in": before},
        after={
            "review_item": {"status": "approved", "note": note},
            "check_in": {"status": check_in.status.value} if check_in else None,
            "messages": sent,
        },
    )
    return Outcome(f"Approved: the fill proceeds. {told}", tuple(sent))
