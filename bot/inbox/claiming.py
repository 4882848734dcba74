"""The ground every decision on a review item stands on, shared by the web inbox and the JSON
API: the errors staff read (a plain sentence; nothing was changed), the outcome, finding an item
or a patient in the actor's pharmacies, what may be done to an item now, the role's permission,
the note, and the claim.

A decision is claimed with one conditional UPDATE (... WHERE status = 'pending'): of two
pharmacists acting at once, or one browser submitting twice, exactly one changes the row and the
other is told who decided first. The claim ends the item's two-way staff thread. Texts to the
patient are written as queued outbound rows in the caller's transaction (queue_text); the caller
sends `Outcome.send` after the commit (`send_after_commit`, from a web request). Nothing here
commits.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from fastapi import Request
from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.inbox import live
from bot.inbox.policy import Permission, refusal
from bot.inbox.staff import Actor
from bot.inbox.web import flash
from store import queries
from store.inbox import conversation_id
from store.models import (
    Channel,
    Conversation,
    Direction,
    Enrollment,
    Message,
    MessageStatus,
    Patient,
    Pharmacy,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)

log = logging.getLogger(__name__)

MAX_NOTE = 2000


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


def send_after_commit(request: Request, message_ids: Iterable[int], notice: bool = True) -> None:
    """Hand the texts a committed change wrote (`Outcome.send`) to the sender; one that cannot
    be handed over stays queued for whoever runs the outbound queue, and with `notice` the
    person who acted is told (a bulk action tells nothing per item)."""
    for message_id in message_ids:
        try:
            request.app.state.jobs.send(message_id)
        except Exception:
            # The row is stored as queued; whoever runs the outbound queue can send it later.
            log.exception("could not hand message %s to the sender", message_id)
            if notice:
                flash(request, "warn", "The text is saved but could not be sent yet.")


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


def pharmacy_of(session: Session, pharmacy_id: int) -> Pharmacy:
    pharmacy = session.get(Pharmacy, pharmacy_id)
    assert pharmacy is not None  # a foreign key
    return pharmacy


def require_action(session: Session, item: ReviewItem, action: str) -> None:
    if item.status != ReviewStatus.PENDING:
        raise already_decided(session, item)
    if action not in actions_for(item):
        raise BadRequest(
            f"“{action.replace('_', ' ')}” does not apply to a "
            f"{item.kind.value.replace('_', ' ')} item."
        )


def checked_note(text: str | None, required: str | None = None) -> str:
    note = (text or "").replace("\x00", "").strip()
    if required and not note:
        raise BadRequest(required)
    if len(note) > MAX_NOTE:
        raise BadRequest(f"Please keep the note under {MAX_NOTE} characters.")
    return note


# ------------------------------------------------------------------ claiming a decision


def claim(
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
        f" at {local_time(current.decided_at, pharmacy_of(session, current.pharmacy_id))}"
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


def queue_text(
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


def must_decide(actor: Actor) -> None:
    must_be_allowed(actor, Permission.DECIDE)


def must_be_allowed(actor: Actor, permission: Permission) -> None:
    """NotAllowed (a 403, audited as refused) unless the policy lets the actor's role."""
    why = refusal(actor.role, permission)
    if why is not None:
        raise NotAllowed(why)


def enrollment_state(enrollment: Enrollment) -> dict[str, str | int | None]:
    return {
        "status": enrollment.status.value,
        "anchor_day": enrollment.anchor_day,
        "next_anchor_date": enrollment.next_anchor_date.isoformat()
        if enrollment.next_anchor_date
        else None,
    }
