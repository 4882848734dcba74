"""Changing a patient's pickup day by hand (the item page's enrollment form, the patient page):
the next pickup is recomputed from today as the anchor dialog would, audited with the day the
patient comes when the pharmacy is closed on the anchor. The patient is not texted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from bot.inbox.claiming import BadRequest, Outcome, enrollment_state, must_be_allowed, patient_for
from bot.inbox.policy import Permission
from bot.inbox.staff import Actor
from bot.program.pickup_day import set_pickup_day
from bot.program.plans import first_synced_pickup
from dialogs.plan.dates import check_anchor_day
from dialogs.plan.model import PlanError
from store import queries
from store.audit import record
from store.models import EnrollmentStatus


def set_anchor_day(
    session: Session,
    actor: Actor,
    patient_id: int,
    day: int,
    now: dt.datetime,
    today: dt.date,
    preparation_days: int,
) -> Outcome:
    """Move the patient's pickup day; the next pickup is recomputed from today."""
    must_be_allowed(actor, Permission.CHANGE_PICKUP_DAY)
    patient = patient_for(session, actor, patient_id)
    try:
        check_anchor_day(day)
    except PlanError:
        raise BadRequest("Choose a pickup day from 1 to 28, so it comes every month.") from None
    enrollment = queries.enrollments_of(session, [patient.id]).get(patient.id)
    if enrollment is None or enrollment.status in (
        EnrollmentStatus.DECLINED,
        EnrollmentStatus.DISENROLLED,
    ):
        raise BadRequest("The patient is not enrolled in med sync, so there is no pickup day.")
    before = enrollment_state(enrollment)
    # As the anchor dialog does: the enrollment keeps the plan's first synced pickup (its
    # visits before it are on the prep-day worklist), moved off a closed day when shown.
    first = first_synced_pickup(patient, day, today)
    set_pickup_day(enrollment, day, first.pickup.planned, today)
    enrollment.updated_at = now
    record(
        session,
        actor.audit_name,
        "edit_anchor_day",
        f"patient:{patient.id}",
        now,
        before={"enrollment": before},
        after={
            "enrollment": enrollment_state(enrollment),
            # The day the patient comes, when the pharmacy is closed on the anchor.
            **(
                {
                    "pickup": {
                        "date": first.pickup.actual.isoformat(),
                        "closed": first.pickup.because,
                    }
                }
                if first.pickup.moved
                else {}
            ),
        },
    )
    return Outcome(
        f"Pickup day set to day {day}; {first.sentence()}. "
        "The patient was not texted: tell them (reply or call)."
    )
