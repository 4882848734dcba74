"""What a pharmacist does to a review item, shared by the web inbox and the JSON API.

Each function works inside the caller's transaction and never commits. A decision is
claimed with one conditional UPDATE (... WHERE status = 'pending'): of two pharmacists
acting at once, or one browser submitting twice, exactly one changes the row and the
other is told who decided first. Texts to the patient are written as queued outbound
rows in the same transaction; the caller sends `Outcome.send` after the commit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.channels.sms_text import compose
from bot.inbox import display, live, replies
from bot.inbox.policy import Permission, refusal
from bot.inbox.staff import Actor
from bot.languages import serving
from bot.program.open_days import real_pickup
from bot.program.pickup_day import set_pickup_day
from bot.program.plans import first_synced_pickup
from bot.settings.outreach import OutreachSettings
from dialogs import prompts
from dialogs.plan.dates import check_anchor_day
from dialogs.plan.model import PlanError
from dialogs.turn import Param, Say
from store import queries
from store.audit import record
from store.inbox import conversation_id
from store.models import (
    Channel,
    CheckIn,
    CheckInStatus,
    ConsentEvent,
    ConsentKind,
    Conversation,
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

MAX_NOTE = 2000
MAX_SMS = 1600  # Twilio refuses longer bodies
REPLY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
CLINICAL_KINDS = frozenset({ReviewKind.NEW_ENROLLMENT, ReviewKind.FLAGGED_CHECK_IN})


class InboxError(Exception):
    """A plain sentence for staff; nothing was changed."""


class NotFound(InboxError):
    pass


class NotAllowed(InboxError):
    pass


class BadRequest(InboxError):
    pass


class AlreadyDecided(InboxError):
    """Someone else (or this same form, submitted twice) decided first."""


@dataclass(frozen=True)
class Outcome:
    message: str  # what happened, for the person who acted
    send: tuple[int, ...] = field(default=())  # outbound message ids to send after the commit


def actions_for(item: ReviewItem) -> tuple[str, ...]:
    """What may be done to an item now, in the order the page offers it."""
    if item.status != ReviewStatus.PENDING:
        return ()
    if item.kind == ReviewKind.NEW_ENROLLMENT:
        return ("approve", "decline", "anchor_day", "called", "reply")
    if item.kind == ReviewKind.FLAGGED_CHECK_IN:
        return ("approve", "decline", "called", "reply")
    if item.kind == ReviewKind.POSSIBLE_OPT_OUT and item.patient_id is not None:
        return ("opt_out", "called", "reply", "done")
    return ("called", "reply", "done")


# ------------------------------------------------------------------ reading


def item_for(session: Session, actor: Actor, item_id: int) -> ReviewItem:
    """The item, if it exists and is in one of the actor's pharmacies."""
    item = session.get(ReviewItem, item_id)
    if item is None or not actor.sees(item.pharmacy_id):
        # Out of scope reads exactly like missing: the ids of other pharmacies stay private.
        raise NotFound(f"There is no review item #{item_id}.")
    return item


def patient_for(session: Session, actor: Actor, patient_id: int) -> Patient:
    patient = session.get(Patient, patient_id)
    if patient is None or not actor.sees(patient.pharmacy_id):
        raise NotFound(f"There is no patient #{patient_id}.")
    return patient


def local_time(when: dt.datetime, pharmacy: Pharmacy) -> str:
    return when.astimezone(ZoneInfo(pharmacy.timezone)).strftime("%H:%M")


def _pharmacy(session: Session, pharmacy_id: int) -> Pharmacy:
    pharmacy = session.get(Pharmacy, pharmacy_id)
    assert pharmacy is not None  # a foreign key
    return pharmacy


def _require(session: Session, item: ReviewItem, action: str) -> None:
    if item.status != ReviewStatus.PENDING:
        raise already_decided(session, item)
    if action not in actions_for(item):
        raise BadRequest(
            f"“{action.replace('_', ' ')}” does not apply to a "
            f"{item.kind.value.replace('_', ' ')} item."
        )


def _note(text: str | None, required: str | None = None) -> str:
    note = (text or "").replace("\x00", "").strip()
    if required and not note:
        raise BadRequest(required)
    if len(note) > MAX_NOTE:
        raise BadRequest(f"Please keep the note under {MAX_NOTE} characters.")
    return note


# ------------------------------------------------------------------ claiming a decision


def _claim(
    session: Session,
    actor: Actor,
    item: ReviewItem,
    status: ReviewStatus,
    note: str,
    now: dt.datetime,
) -> None:
    """Decide the item if it is still pending; else say who decided, and when."""
    result = session.execute(
        update(ReviewItem)
        .where(ReviewItem.id == item.id, ReviewItem.status == ReviewStatus.PENDING)
        .values(status=status, decided_at=now, decided_by=actor.decided_by, decision_note=note)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise already_decided(session, item)
    session.refresh(item)
    end_staff_thread(session, item)
    live.note_decision(session, item)  # colleagues' open pages hear it after the commit


def end_staff_thread(session: Session, item: ReviewItem) -> None:
    """A decided item's thread is over: the patient's next text goes to the dialogs again."""
    session.execute(
        update(Conversation)
        .where(
            Conversation.staff_thread_item_id == item.id,
            Conversation.pharmacy_id == item.pharmacy_id,
        )
        .values(staff_thread_item_id=None, staff_thread_until=None)
        .execution_options(synchronize_session=False)
    )


def open_staff_thread(
    session: Session, item: ReviewItem, phone: str, now: dt.datetime, hours: float
) -> Conversation:
    """A staff reply opens (or extends) the two-way thread on this phone for `hours`."""
    conversation = queries.locked_conversation(session, item.pharmacy_id, phone, now)
    conversation.staff_thread_item_id = item.id
    conversation.staff_thread_until = now + dt.timedelta(hours=hours)
    return conversation


def already_decided(session: Session, item: ReviewItem) -> AlreadyDecided:
    current = session.get(ReviewItem, item.id, populate_existing=True)
    assert current is not None
    status = "closed" if current.status == ReviewStatus.DONE else current.status.value
    when = (
        f" at {local_time(current.decided_at, _pharmacy(session, current.pharmacy_id))}"
        if current.decided_at
        else ""
    )
    who = f" by {current.decided_by}" if current.decided_by else ""
    return AlreadyDecided(f"Already {status}{who}{when}.")


# ------------------------------------------------------------------ texts to the patient


def cannot_text(patient: Patient) -> str | None:
    """Why this patient cannot be texted, as the start of a sentence; None when they can."""
    if patient.opted_out:
        return "The patient has opted out of texts"
    # Twilio said the number takes no texts (30006): a landline, reached by voice only.
    if getattr(patient, "sms_capable", None) is False:
        return "The patient's number cannot receive texts"
    return None


def _queue_text(
    session: Session,
    item: ReviewItem,
    patient: Patient | None,
    phone: str,
    body: str,
    key: str,
    language: str,
    now: dt.datetime,
) -> Message:
    message = Message(
        pharmacy_id=item.pharmacy_id,
        patient_id=patient.id if patient else None,
        conversation_id=conversation_id(session, item.pharmacy_id, phone),
        direction=Direction.OUTBOUND,
        channel=Channel.SMS,
        idempotency_key=key,
        phone=phone,
        body=body,
        status=MessageStatus.QUEUED,
        language=language,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


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
    language = serving.language_for(session, _pharmacy(session, item.pharmacy_id), patient, now)
    body = _automated(msgid, params, language)
    key = f"review:{item.id}:approved"
    return _queue_text(session, item, patient, patient.phone, body, key, language, now).id


# ------------------------------------------------------------------ the actions


def approve(
    session: Session,
    actor: Actor,
    item_id: int,
    now: dt.datetime,
    today: dt.date,
    preparation_days: int,
    note: str | None = None,
) -> Outcome:
    """Accept the flagged change (the fill proceeds) or the new enrollment (it starts)."""
    item = item_for(session, actor, item_id)
    _must_decide(actor)
    _require(session, item, "approve")
    text = _note(note)
    patient = session.get(Patient, item.patient_id) if item.patient_id else None
    if item.kind == ReviewKind.NEW_ENROLLMENT:
        return _approve_enrollment(
            session, actor, item, patient, text, now, today, preparation_days
        )
    return _approve_check_in(session, actor, item, patient, text, now, today)


def _must_decide(actor: Actor) -> None:
    must_be_allowed(actor, Permission.DECIDE)


def must_be_allowed(actor: Actor, permission: Permission) -> None:
    """NotAllowed (a 403, audited as refused) unless the policy lets the actor's role."""
    why = refusal(actor.role, permission)
    if why is not None:
        raise NotAllowed(why)


def _approve_enrollment(
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
    _claim(session, actor, item, ReviewStatus.APPROVED, note, now)
    before = _enrollment_state(enrollment)
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
    sent: list[int] = []
    reason = cannot_text(patient)
    told = f"{reason}: call them with the pickup day."
    if reason is None:
        pharmacy = _pharmacy(session, item.pharmacy_id)
        params: dict[str, Param] = {
            "first_name": patient.first_name,
            "pharmacy": pharmacy.name,
            "day": enrollment.anchor_day,
            # The day the patient comes: the anchor, or the open day before it when closed.
            "date": real_pickup(pharmacy, first_anchor, today),
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
            "enrollment": _enrollment_state(enrollment),
            "messages": sent,
        },
    )
    when = "?"
    if enrollment.next_anchor_date:
        pickup = real_pickup(
            _pharmacy(session, item.pharmacy_id), enrollment.next_anchor_date, today
        )
        when = f"{pickup:%b %d, %Y}"
    return Outcome(f"Enrollment approved: first synced pickup {when}. {told}", tuple(sent))


def _approve_check_in(
    session: Session,
    actor: Actor,
    item: ReviewItem,
    patient: Patient | None,
    note: str,
    now: dt.datetime,
    today: dt.date,
) -> Outcome:
    check_in = session.get(CheckIn, item.check_in_id) if item.check_in_id else None
    _claim(session, actor, item, ReviewStatus.APPROVED, note, now)
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
            sent.append(_text_approval(session, item, patient, prompts.CHECK_IN_READY, params, now))
            told = "The patient is being texted that the medicines will be ready."
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


def decline(
    session: Session, actor: Actor, item_id: int, reason: str | None, now: dt.datetime
) -> Outcome:
    """Refuse the change or the enrollment, with the reason. The patient is not texted."""
    item = item_for(session, actor, item_id)
    _must_decide(actor)
    _require(session, item, "decline")
    note = _note(reason, required="Please give the reason for declining.")
    _claim(session, actor, item, ReviewStatus.DECLINED, note, now)
    record(
        session,
        actor.audit_name,
        "decline",
        f"review_item:{item.id}",
        now,
        before={"review_item": {"status": "pending"}},
        after={"review_item": {"status": "declined", "note": note}},
    )
    held = " The fill stays on hold." if item.kind == ReviewKind.FLAGGED_CHECK_IN else ""
    return Outcome(f"Declined.{held} The patient was not texted: call the patient to explain.")


def mark_called(
    session: Session, actor: Actor, item_id: int, note: str | None, now: dt.datetime
) -> Outcome:
    """Log a call to the patient; it settles call-backs and messages, not clinical items."""
    item = item_for(session, actor, item_id)
    must_be_allowed(actor, Permission.LOG_CALL)
    _require(session, item, "called")
    text = _note(note, required="Please say what was agreed on the call.")
    # A call settles everything but a clinical decision, which still needs approve or decline.
    closes = item.kind not in CLINICAL_KINDS
    if closes:
        _claim(session, actor, item, ReviewStatus.DONE, f"Called the patient: {text}", now)
    record(
        session,
        actor.audit_name,
        "called_patient",
        f"patient:{item.patient_id}" if item.patient_id else f"review_item:{item.id}",
        now,
        before={"review_item": {"id": item.id, "status": "pending"}},
        after={"review_item": {"id": item.id, "status": item.status.value}, "note": text},
    )
    if closes:
        return Outcome("Call logged and the item closed.")
    return Outcome("Call logged. The item stays open until it is approved or declined.")


def close(
    session: Session, actor: Actor, item_id: int, note: str | None, now: dt.datetime
) -> Outcome:
    """Nothing more to do (a wrong number, a thank-you, not really an opt-out)."""
    item = item_for(session, actor, item_id)
    must_be_allowed(actor, Permission.CLOSE_ITEM)
    _require(session, item, "done")
    text = _note(note, required="Please say why nothing more is needed.")
    _claim(session, actor, item, ReviewStatus.DONE, text, now)
    record(
        session,
        actor.audit_name,
        "close",
        f"review_item:{item.id}",
        now,
        before={"review_item": {"status": "pending"}},
        after={"review_item": {"status": "done", "note": text}},
    )
    return Outcome("Item closed.")


def confirm_opt_out(
    session: Session, actor: Actor, item_id: int, now: dt.datetime, note: str | None = None
) -> Outcome:
    """The patient's words meant "stop": record the opt-out, as if they had texted STOP."""
    item = item_for(session, actor, item_id)
    must_be_allowed(actor, Permission.CONFIRM_OPT_OUT)
    _require(session, item, "opt_out")
    patient = session.get(Patient, item.patient_id) if item.patient_id else None
    if patient is None:
        raise BadRequest("No patient is attached to this number; there is no one to opt out.")
    text = _note(note)
    _claim(
        session,
        actor,
        item,
        ReviewStatus.APPROVED,
        text or "Opted out at the patient's request.",
        now,
    )
    words = session.get(Message, item.message_id) if item.message_id else None
    was = patient.opted_out
    session.add(
        ConsentEvent(
            patient_id=patient.id,
            kind=ConsentKind.OPT_OUT,
            channel=Channel.STAFF,
            message_id=words.id if words else None,
            wording=words.body if words else "(confirmed by staff)",
            prompt=None,
            language=patient.language,
            created_at=now,
        )
    )
    patient.opted_out = True
    patient.updated_at = now
    record(
        session,
        actor.audit_name,
        "opt_out",
        f"patient:{patient.id}",
        now,
        before={"opted_out": was, "review_item": {"id": item.id, "status": "pending"}},
        after={"opted_out": True, "review_item": {"id": item.id, "status": "approved"}},
    )
    return Outcome("The patient is opted out: no more automated texts or calls.")


def reply(
    session: Session,
    actor: Actor,
    item_id: int,
    body: str | None,
    key: str,
    now: dt.datetime,
    thread_hours: float = 72,
    outreach: OutreachSettings | None = None,
) -> Outcome:
    """Text the patient as written, through the ordinary outbound path.

    `key` comes from the form, so the same form submitted twice sends one text. On a pending
    item the reply opens a two-way thread for `thread_hours` (MEDSYNC_STAFF_THREAD_HOURS):
    what the patient writes back outside a dialog question comes to this item.
    """
    item = item_for(session, actor, item_id)
    must_be_allowed(actor, Permission.REPLY)
    text = (body or "").replace("\x00", "").strip()
    if not text:
        raise BadRequest("Write the reply first.")
    if len(text) > MAX_SMS:
        raise BadRequest(f"A text can hold {MAX_SMS} characters; this reply has {len(text)}.")
    patient = session.get(Patient, item.patient_id) if item.patient_id else None
    phone = patient.phone if patient else item.phone
    if not phone:
        raise BadRequest("There is no phone number to reply to.")
    if patient is not None and cannot_text(patient):
        raise NotAllowed(f"{cannot_text(patient)}: call them instead.")
    problem = replies.drug_name_problem(session, patient, text)
    if problem is not None:
        raise BadRequest(problem)
    if not REPLY_KEY.match(key or ""):
        raise BadRequest("This form is out of date: reload the page and write the reply again.")
    idempotency_key = f"review:{item.id}:reply:{key}"
    if session.scalar(select(Message.id).where(Message.idempotency_key == idempotency_key)):
        raise AlreadyDecided("This reply was already sent.")
    language = patient.language if patient else "en"
    if item.status == ReviewStatus.PENDING:
        open_staff_thread(session, item, phone, now, thread_hours)
    message = _queue_text(session, item, patient, phone, text, idempotency_key, language, now)
    record(
        session,
        actor.audit_name,
        "reply",
        f"patient:{patient.id}" if patient else f"review_item:{item.id}",
        now,
        after={"review_item": item.id, "message": message.id},
    )
    pharmacy = _pharmacy(session, item.pharmacy_id)
    held = replies.goes_at(patient, pharmacy, phone, now, outreach or OutreachSettings())
    if held is not None:
        when = display.local(held, pharmacy.timezone)
        return Outcome(
            f"Reply queued: sending hours hold it until {when} (pharmacy time), "
            "then it goes by itself.",
            (message.id,),
        )
    return Outcome("Reply queued: it appears in the conversation below.", (message.id,))


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
    before = _enrollment_state(enrollment)
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
            "enrollment": _enrollment_state(enrollment),
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


def _enrollment_state(enrollment: Enrollment) -> dict[str, str | int | None]:
    return {
        "status": enrollment.status.value,
        "anchor_day": enrollment.anchor_day,
        "next_anchor_date": enrollment.next_anchor_date.isoformat()
        if enrollment.next_anchor_date
        else None,
    }


def decide(
    session: Session,
    actor: Actor,
    item_id: int,
    action: str,
    note: str | None,
    now: dt.datetime,
    today: dt.date,
    preparation_days: int,
) -> Outcome:
    """One of the decisions by name (the API's single entry point)."""
    if action == "approve":
        return approve(session, actor, item_id, now, today, preparation_days, note)
    if action == "decline":
        return decline(session, actor, item_id, note, now)
    if action == "called":
        return mark_called(session, actor, item_id, note, now)
    if action == "done":
        return close(session, actor, item_id, note, now)
    if action == "opt_out":
        return confirm_opt_out(session, actor, item_id, now, note)
    raise BadRequest(
        f"Unknown action {action[:40]!r}: use approve, decline, called, done or opt_out."
    )


DECISIONS: Sequence[str] = ("approve", "decline", "called", "done", "opt_out")
