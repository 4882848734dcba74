"""What a pharmacist decides on a review item, shared by the web inbox and the JSON API:
approve (bot/inbox/approvals.py does the enrollment's and the check-in's work), decline, log a
call, close, confirm an opt-out, reply by text, and `decide`, the API's single entry point.

Each function works inside the caller's transaction and never commits; the claim, the errors
and the outcome are bot/inbox/claiming.py. Changing the pickup day is bot/inbox/day_change.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.inbox import display, replies
from bot.inbox.approvals import approve_check_in, approve_enrollment
from bot.inbox.claiming import (
    AlreadyDecided,
    BadRequest,
    NotAllowed,
    Outcome,
    cannot_text,
    checked_note,
    claim,
    item_for,
    must_be_allowed,
    must_decide,
    open_staff_thread,
    pharmacy_of,
    queue_text,
    require_action,
)
from bot.inbox.policy import Permission
from bot.inbox.staff import Actor
from bot.settings.outreach import OutreachSettings
from store.audit import record
from store.models import (
    Channel,
    ConsentEvent,
    ConsentKind,
    Message,
    Patient,
    ReviewKind,
    ReviewStatus,
)

MAX_SMS = 1600  # Twilio refuses longer bodies
REPLY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
CLINICAL_KINDS = frozenset({ReviewKind.NEW_ENROLLMENT, ReviewKind.FLAGGED_CHECK_IN})


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
    must_decide(actor)
    require_action(session, item, "approve")
    text = checked_note(note)
    patient = session.get(Patient, item.patient_id) if item.patient_id else None
    if item.kind == ReviewKind.NEW_ENROLLMENT:
        return approve_enrollment(session, actor, item, patient, text, now, today, preparation_days)
    return approve_check_in(session, actor, item, patient, text, now, today)


def decline(
    session: Session, actor: Actor, item_id: int, reason: str | None, now: dt.datetime
) -> Outcome:
    """Refuse the change or the enrollment, with the reason. The patient is not texted."""
    item = item_for(session, actor, item_id)
    must_decide(actor)
    require_action(session, item, "decline")
    note = checked_note(reason, required="Please give the reason for declining.")
    claim(session, actor, item, ReviewStatus.DECLINED, note, now)
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
    require_action(session, item, "called")
    text = checked_note(note, required="Please say what was agreed on the call.")
    # A call settles everything but a clinical decision, which still needs approve or decline.
    closes = item.kind not in CLINICAL_KINDS
    if closes:
        claim(session, actor, item, ReviewStatus.DONE, f"Called the patient: {text}", now)
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
    require_action(session, item, "done")
    text = checked_note(note, required="Please say why nothing more is needed.")
    claim(session, actor, item, ReviewStatus.DONE, text, now)
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
    require_action(session, item, "opt_out")
    patient = session.get(Patient, item.patient_id) if item.patient_id else None
    if patient is None:
        raise BadRequest("No patient is attached to this number; there is no one to opt out.")
    text = checked_note(note)
    claim(
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
    message = queue_text(session, item, patient, phone, text, idempotency_key, language, now)
    record(
        session,
        actor.audit_name,
        "reply",
        f"patient:{patient.id}" if patient else f"review_item:{item.id}",
        now,
        after={"review_item": item.id, "message": message.id},
    )
    pharmacy = pharmacy_of(session, item.pharmacy_id)
    held = replies.goes_at(patient, pharmacy, phone, now, outreach or OutreachSettings())
    if held is not None:
        when = display.local(held, pharmacy.timezone)
        return Outcome(
            f"Reply queued: sending hours hold it until {when} (pharmacy time), "
            "then it goes by itself.",
            (message.id,),
        )
    return Outcome("Reply queued: it appears in the conversation below.", (message.id,))


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
