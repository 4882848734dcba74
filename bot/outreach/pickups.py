"""The cycle follows reality: the scheduler's pickup steps (issue 16).

Run by the anchor-cycle scheduler (bot/outreach/scheduler.py) on every tick, per pharmacy:

1. `open_cycles`: an anchor that has passed becomes an open pickup cycle, before the
   enrollment moves on to its next anchor.
2. `judge_cycles`: an open cycle whose grace days (`not_picked_up_days`, default 7) have run out
   is judged from the dispensing records: picked up, partly picked up or not picked up.
   Not picked up raises a "Not picked up" review item and a reminder text (no drug names),
   once per cycle (a cycle_event row is the proof). When the program's `dropout_cycles`
   (default 3) latest cycles in a row were not picked up, the enrollment is disenrolled, with
   a "Dropped out" review item, an audit row and a note to the patient instead of the reminder.

A pharmacy whose system never reported a pickup is not judged (bot/program/pickups.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.channels.sms_text import compose
from bot.conversation.messages import display_phone, outbound_message
from bot.languages import serving
from bot.outreach.cycle_events import record_event, textable
from bot.program import pickups
from bot.program.caregivers import recipients as caregiver_phones
from bot.program.preferences import calling
from dialogs import prompts
from dialogs.plan.pickups import NOT_PICKED_UP, PARTLY_PICKED_UP
from dialogs.turn import Say
from store import queries
from store.audit import record
from store.models import (
    Enrollment,
    EnrollmentStatus,
    Patient,
    Pharmacy,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)
from store.outreach import CycleEventKind

ACTOR = "medsync scheduler"


@dataclass
class PickupReport:
    cycles_opened: int = 0
    picked_up: int = 0
    partly_picked_up: int = 0
    not_picked_up: int = 0
    dropped_out: int = 0


def open_cycles(session: Session, pharmacy_id: int, today: dt.date, now: dt.datetime) -> int:
    return pickups.open_cycles(session, pharmacy_id, today, now)


def judge_cycles(
    session: Session,
    pharmacy: Pharmacy,
    today: dt.date,
    now: dt.datetime,
    report: PickupReport,
    to_send: list[int],
) -> None:
    """Judge the cycles past their grace days; items, texts and drop-outs for the missed."""
    settings = pickups.settings_of(pharmacy)
    for cycle_id, patient_id, anchor in pickups.due_for_judging(session, pharmacy, today):
        state = pickups.judge(session, pharmacy, cycle_id, patient_id, anchor, now)
        if state is None:
            continue  # another worker judged it
        if state == PARTLY_PICKED_UP:
            report.partly_picked_up += 1
        if state != NOT_PICKED_UP:
            report.picked_up += int(state != PARTLY_PICKED_UP)
            continue
        if not record_event(session, patient_id, anchor, CycleEventKind.NOT_PICKED_UP, now):
            continue  # judged before, reopened by a reversal: one item and text per cycle
        report.not_picked_up += 1
        patient = session.get(Patient, patient_id)
        assert patient is not None
        missed = pickups.missed_in_a_row(session, patient_id)
        enrollment = queries.enrollments_of(session, [patient_id]).get(patient_id)
        active = enrollment is not None and enrollment.status == EnrollmentStatus.ACTIVE
        if active and missed >= settings.dropout_cycles:
            _drop_out(session, pharmacy, patient, anchor, missed, now, to_send)
            report.dropped_out += 1
            continue
        when = anchor.strftime("%b %d, %Y").replace(" 0", " ")
        session.add(
            ReviewItem(
                pharmacy_id=pharmacy.id,
                patient_id=patient_id,
                kind=ReviewKind.NOT_PICKED_UP,
                status=ReviewStatus.PENDING,
                priority=1,
                summary=(
                    f"The fills for the pickup on {when} were not picked up within "
                    f"{settings.not_picked_up_days} days ({missed} cycle"
                    f"{'' if missed == 1 else 's'} in a row; {settings.dropout_cycles} "
                    "disenroll). A reminder text was sent where the patient can get one."
                ),
                details={"anchor_date": anchor.isoformat(), "missed_in_a_row": missed},
                created_at=now,
            )
        )
        if active:
            to_send.extend(_text(session, pharmacy, patient, prompts.NOT_PICKED_UP, anchor, now))


def _drop_out(
    session: Session,
    pharmacy: Pharmacy,
    patient: Patient,
    anchor: dt.date,
    missed: int,
    now: dt.datetime,
    to_send: list[int],
) -> None:
    moved = session.execute(
        update(Enrollment)
        .where(Enrollment.patient_id == patient.id, Enrollment.status == EnrollmentStatus.ACTIVE)
        .values(status=EnrollmentStatus.DISENROLLED, updated_at=now)
    )
    if not getattr(moved, "rowcount", 0):
        return
    record_event(session, patient.id, anchor, CycleEventKind.DROPPED_OUT, now)
    record(
        session,
        ACTOR,
        "disenroll_missed_cycles",
        f"patient:{patient.id}",
        now,
        before={"enrollment": EnrollmentStatus.ACTIVE.value},
        after={
            "enrollment": EnrollmentStatus.DISENROLLED.value,
            "missed_in_a_row": missed,
            "last_anchor": anchor.isoformat(),
        },
    )
    session.add(
        ReviewItem(
            pharmacy_id=pharmacy.id,
            patient_id=patient.id,
            kind=ReviewKind.DROPPED_OUT,
            status=ReviewStatus.PENDING,
            priority=1,
            summary=(
                f"Disenrolled: {missed} pickups in a row were not picked up (the last on "
                f"{anchor.isoformat()}). The patient was sent a note; enroll them again if they "
                "want to come back."
            ),
            details={"anchor_date": anchor.isoformat(), "missed_in_a_row": missed},
            created_at=now,
        )
    )
    to_send.extend(_text(session, pharmacy, patient, prompts.PICKUPS_STOPPED, anchor, now))


def _text(
    session: Session,
    pharmacy: Pharmacy,
    patient: Patient,
    msgid: str,
    anchor: dt.date,
    now: dt.datetime,
) -> list[int]:
    """The text to the patient's phone (unless they get calls instead) and each caregiver's;
    the message ids to send. Nothing for a patient who opted out."""
    if patient.opted_out:
        return []
    texted = textable(patient) and patient.id not in calling(session, [patient.id])
    phones = caregiver_phones(session, patient, texted)
    if not phones:
        return []
    phone = display_phone(pharmacy.phone)
    say = Say(msgid, {"pharmacy": pharmacy.name, "date": anchor, "pharmacy_phone": phone})
    language = serving.language_for(session, pharmacy, patient, now)
    body = compose([say], language, True)
    kind = "not_picked_up" if msgid == prompts.NOT_PICKED_UP else "pickups_stopped"
    key = f"pickup:{patient.id}:{anchor.isoformat()}:{kind}"
    written = []
    for phone in phones:
        conversation = queries.locked_conversation(session, pharmacy.id, phone, now)
        written.append(
            outbound_message(
                conversation.id,
                pharmacy.id,
                patient.id,
                phone,
                body,
                language,
                now,
                idempotency_key=key if phone == patient.phone else f"{key}:{phone}",
            )
        )
    session.add_all(written)
    session.flush()
    return [m.id for m in written]
