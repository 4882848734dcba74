"""The item page's data: everything `/inbox/items/{id}` shows about one review item (who, what
they answered, the whole thread with the texts sending hours hold, the sync plan, the household,
the patient's other open items and the history of decisions). Opening it is audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.inbox import claiming, display, replies
from bot.inbox.answers import item_answers, quoted
from bot.inbox.history import history_lines
from bot.inbox.households import shown as households_shown
from bot.inbox.households import view as household_view
from bot.inbox.plan_view import plan_view
from bot.inbox.staff import Actor
from bot.inbox.summaries import current_summary
from bot.inbox.web import now_of, settings_of, today_at
from bot.program.open_days import next_pickup
from bot.program.preferences import of as preferences_of
from bot.settings.outreach import OutreachSettings
from store import inbox as store
from store import queries
from store.audit import record
from store.models import (
    CheckIn,
    Conversation,
    Direction,
    Message,
    MessageStatus,
    Patient,
    Pharmacy,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)


@dataclass(frozen=True)
class OpenItem:
    """One of the patient's open items, decided on the same screen."""

    item: ReviewItem
    summary: str
    actions: tuple[str, ...]
    current: bool


@dataclass(frozen=True)
class ThreadLine:
    message: Message
    since_item: bool  # written by the patient since the item opened: "What they wrote"
    goes_at: dt.datetime | None  # a queued text that sending hours hold


def item_context(
    session: Session,
    request: Request,
    actor: Actor,
    item: ReviewItem,
    phone_shown: bool = False,
) -> dict[str, Any]:
    pharmacy = session.get(Pharmacy, item.pharmacy_id)
    assert pharmacy is not None
    now = now_of(request)
    today = today_at(request, pharmacy.timezone)
    patient = session.get(Patient, item.patient_id) if item.patient_id else None
    enrollment = queries.enrollments_of(session, [patient.id]).get(patient.id) if patient else None
    check_in = session.get(CheckIn, item.check_in_id) if item.check_in_id else None
    trigger = session.get(Message, item.message_id) if item.message_id else None
    answers = item_answers(session, item, check_in, trigger)
    phone = patient.phone if patient else item.phone
    messages = store.thread(session, item.pharmacy_id, phone) if phone else []
    outreach = outreach_settings()
    thread = [
        ThreadLine(
            m,
            m.direction == Direction.INBOUND
            and (m.id == item.message_id or m.created_at >= item.created_at),
            _held_until(m, patient, pharmacy, now, outreach),
        )
        for m in messages
    ]
    wrote = [line.message for line in thread if line.since_item]
    if item.message_id and not any(m.id == item.message_id for m in wrote):
        trigger = session.get(Message, item.message_id)
        wrote = [trigger, *wrote] if trigger is not None else wrote
    subjects = [f"review_item:{item.id}"]
    others: list[ReviewItem] = []
    if patient is not None:
        others = list(store.items_of_patient(session, patient.id))
        subjects += [f"patient:{patient.id}"] + [f"review_item:{i.id}" for i in others]
    history = history_lines(list(store.audit_of(session, subjects)))
    plan = (
        plan_view(patient, today, enrollment.anchor_day if enrollment else None)
        if patient is not None
        else None
    )
    household = household_view(session, patient) if patient is not None else None
    open_items = [
        OpenItem(
            i,
            current_summary(i, enrollment, _check_in_of(session, i, check_in), pharmacy),
            claiming.actions_for(i),
            i.id == item.id,
        )
        for i in [item, *[o for o in others if o.id != item.id]]
        if i.status == ReviewStatus.PENDING
    ]
    enrollment_item = next((i for i in others if i.kind == ReviewKind.NEW_ENROLLMENT), None)
    if item.unread:
        item.unread = False  # someone on staff has it open now
    record(
        session,
        actor.audit_name,
        "view_review_item",
        f"review_item:{item.id}",
        now,
        after={"patient_id": item.patient_id},
        patients=households_shown(household),
    )
    language = patient.language if patient else "en"
    can_reply = bool(phone) and not (patient and claiming.cannot_text(patient))
    return {
        "title": f"{display.kind_label(item.kind)} #{item.id}",
        "staff": actor,
        "item": item,
        "summary": current_summary(item, enrollment, check_in, pharmacy),
        "pharmacy": pharmacy,
        "patient": patient,
        "phone": phone,
        "phone_shown": phone if phone_shown else None,
        "may_show_number": bool(phone) and item.kind in CALLING_KINDS,
        "age": display.age(patient.birth_date, today) if patient else None,
        "enrollment": enrollment,
        "next_pickup": next_pickup(
            pharmacy, enrollment.next_anchor_date if enrollment else None, today
        ),
        "enrollment_words": display.enrollment_words(
            enrollment.status.value if enrollment else None,
            enrollment_item.status.value if enrollment_item else None,
        ),
        "check_in": check_in,
        "answers": answers,
        "quoted": quoted(item),
        "trigger": trigger,
        "wrote": wrote,
        "thread": thread,
        "plan": plan,
        "history": history,
        "open_items": open_items,
        "other_items": [i for i in others if i.id != item.id][:20],
        "household": household,
        "actions": claiming.actions_for(item),
        "may_decide": actor.may_decide,
        "can_reply": can_reply,
        "no_text_reason": claiming.cannot_text(patient) if patient else None,
        "today": today,
        "segments": replies.segment_hint("", language),
        "saved_replies": replies.choices_for(session, item.pharmacy_id, language)
        if can_reply
        else [],
        "reply_goes_at": replies.goes_at(patient, pharmacy, phone, now, outreach)
        if phone
        else None,
        "detailed": patient is not None and preferences_of(session, patient).detailed,
        "thread_hours": settings_of(request).staff_thread_hours,
        "thread_open_until": _thread_until(session, item, phone, now),
    }


def outreach_settings() -> OutreachSettings:
    """The sending hours (MEDSYNC_SENDING_HOURS_*), read afresh for each page like the rest of
    the settings: a process-wide cache kept the first value it saw (a test's, or a setting
    changed while serving)."""
    return OutreachSettings()


# Items about reaching the patient by phone: staff may reveal the number (audited).
CALLING_KINDS = frozenset({ReviewKind.CALL_BACK, ReviewKind.NO_ANSWER})


def _check_in_of(session: Session, item: ReviewItem, known: CheckIn | None) -> CheckIn | None:
    if item.check_in_id is None:
        return None
    if known is not None and known.id == item.check_in_id:
        return known
    return session.get(CheckIn, item.check_in_id)


def _held_until(
    message: Message,
    patient: Patient | None,
    pharmacy: Pharmacy,
    now: dt.datetime,
    outreach: OutreachSettings,
) -> dt.datetime | None:
    """When a queued text will go, if sending hours hold it."""
    if message.direction != Direction.OUTBOUND or message.status != MessageStatus.QUEUED:
        return None
    if message.deferred_until is not None and message.deferred_until > now:
        return message.deferred_until
    return replies.goes_at(patient, pharmacy, message.phone, now, outreach)


def _thread_until(
    session: Session, item: ReviewItem, phone: str | None, now: dt.datetime
) -> dt.datetime | None:
    """Until when a staff reply's thread on this item stays open, if it is open now."""
    if not phone:
        return None
    conversation = session.scalar(
        select(Conversation).where(
            Conversation.pharmacy_id == item.pharmacy_id, Conversation.phone == phone
        )
    )
    if conversation is None or conversation.staff_thread_item_id != item.id:
        return None
    until = conversation.staff_thread_until
    return until if until is not None and until > now else None
