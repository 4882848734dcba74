"""Applying a turn's effects, each in the transaction that saves the conversation: consents
and opt-outs, enrollments, the language, check-in answers, caregivers, assessments,
preferences and review items."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.conversation.messages import when_written
from bot.languages import catalogs, serving
from bot.languages.patient_language import set_in_conversation
from bot.program import assessments, caregivers, households, services, words
from bot.program.pickup_day import set_pickup_day
from bot.program.preferences import change as change_preference
from dialogs.turn import (
    Effect,
    OpenReviewItem,
    RecordConsent,
    RecordServiceOffer,
    SaveAssessment,
    SaveCheckIn,
    SetCaregiver,
    SetCaregiverPhone,
    SetEnrollment,
    SetLanguage,
    SetPreference,
    ToStaffThread,
)
from store import queries
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
    Patient,
    Pharmacy,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)


def apply_effects(
    session: Session,
    pharmacy: Pharmacy,
    patients: Sequence[Patient],
    effects: Sequence[Effect],
    message: Message | None,
    phone: str,
    now: dt.datetime,
    channel: Channel = Channel.SMS,
    conversation: Conversation | None = None,
) -> None:
    by_id = {p.id: p for p in patients}
    for effect in effects:
        match effect:
            case RecordConsent():
                patient = by_id[effect.patient_id]
                session.add(
                    ConsentEvent(
                        patient_id=patient.id,
                        kind=ConsentKind(effect.kind),
                        channel=channel,
                        message_id=message.id if message else None,
                        wording=effect.wording,
                        prompt=effect.prompt,
                        # the language the patient was asked in, not only the one they have
                        language=catalogs.served_language(
                            patient.language, serving.overrides(pharmacy)
                        ),
                        created_at=now,
                    )
                )
                if effect.kind in ("opt_out", "opt_in"):
                    patient.opted_out = effect.kind == "opt_out"
                    patient.updated_at = now
                if effect.kind == "household_joined":
                    households.join_on_phone(session, patient, patients, now)
            case SetEnrollment():
                _set_enrollment(session, effect, now, ZoneInfo(pharmacy.timezone))
            case SetLanguage():
                patient = by_id[effect.patient_id]
                set_in_conversation(patient, effect.language, effect.chosen, channel.value, now)
            case SaveCheckIn():
                saved = _save_check_in(session, effect, words.said_in(message), now)
                _answered_by(session, by_id.get(effect.patient_id), effect, saved, phone, now)
            case SetCaregiver() | SetCaregiverPhone():
                caregivers.apply(session, pharmacy, by_id, effect, message, phone, now, channel)
            case SaveAssessment():
                assessments.save_response(session, pharmacy.id, effect, now, words.said_in(message))
            case SetPreference():
                patient = by_id[effect.patient_id]
                change_preference(session, patient, effect.name, effect.value, channel, now)
            case OpenReviewItem():
                _open_review_item(session, pharmacy, effect, message, phone, now)
            case RecordServiceOffer():
                services.record_offer(
                    session,
                    effect.patient_id,
                    effect.service,
                    effect.anchor_date,
                    effect.status,
                    now,
                    pharmacy,
                )
            case ToStaffThread():
                # Once the text is written (`when_written`): the thread's item points at it.
                when_written(
                    session,
                    partial(
                        _reach_thread, session, pharmacy, effect, message, phone, now, conversation
                    ),
                )


def _set_enrollment(
    session: Session, effect: SetEnrollment, now: dt.datetime, zone: ZoneInfo
) -> None:
    enrollment = queries.enrollment_of(session, effect.patient_id)
    if enrollment is None:
        enrollment = Enrollment(patient_id=effect.patient_id, cycle="monthly")
        session.add(enrollment)
        queries.enrollment_added(session, enrollment)
    enrollment.status = EnrollmentStatus(effect.status)
    if effect.anchor_day is not None:
        # The plan the dialog told the patient was made today, where the pharmacy is.
        today = now.astimezone(zone).date()
        set_pickup_day(enrollment, effect.anchor_day, effect.next_anchor_date, today)
    enrollment.declined_until = effect.declined_until
    enrollment.updated_at = now


def _answered_by(
    session: Session,
    patient: Patient | None,
    effect: SaveCheckIn,
    check_in: CheckIn,
    phone: str,
    now: dt.datetime,
) -> None:
    """Whose phone answered (the patient's or a caregiver's) on the check-in just saved; a
    finished check-in no longer waits on the patient's other phones."""
    if patient is None or check_in is None or not effect.answers:
        return
    check_in.answered_by, check_in.caregiver_id = caregivers.answered_by(session, patient, phone)
    if effect.status != "open":
        caregivers.close_elsewhere(session, patient, effect.anchor_date, phone, now)


def _save_check_in(session: Session, effect: SaveCheckIn, said: str, now: dt.datetime) -> CheckIn:
    check_in = queries.check_in_for(session, effect.patient_id, effect.anchor_date)
    if check_in is None:
        check_in = CheckIn(
            patient_id=effect.patient_id, anchor_date=effect.anchor_date, opened_at=now
        )
        session.add(check_in)
    check_in.status = CheckInStatus(effect.status)
    check_in.definition = effect.definition
    check_in.words = words.kept(
        check_in.words, effect.words, effect.answers, check_in.answers, said
    )
    check_in.answers = dict(effect.answers)
    check_in.flags = list(effect.flags)
    check_in.completed_at = None if effect.status == "open" else now
    # Written by the commit's flush (or the next query's): one UPDATE with `_answered_by`'s.
    return check_in


def _open_review_item(
    session: Session,
    pharmacy: Pharmacy,
    effect: OpenReviewItem,
    message: Message | None,
    phone: str,
    now: dt.datetime,
) -> None:
    kind = ReviewKind(effect.kind)
    check_in_id = None
    if effect.check_in_anchor_date is not None and effect.patient_id is not None:
        check_in = queries.check_in_for(session, effect.patient_id, effect.check_in_anchor_date)
        check_in_id = check_in.id if check_in else None
    elif kind != ReviewKind.ASSESSMENT:
        pending = queries.pending_review_item(session, pharmacy.id, kind, effect.patient_id, phone)
        if pending is not None:
            # One pending item of a kind per patient: a later text reaches it (the item page
            # shows every text since it opened; the queue row the latest), marked unread.
            if message is not None and message.direction == Direction.INBOUND:
                pending.latest_message_id = message.id
                pending.latest_at = now
                pending.unread = True
            return
    session.add(
        ReviewItem(
            pharmacy_id=pharmacy.id,
            patient_id=effect.patient_id,
            phone=phone,
            kind=kind,
            status=ReviewStatus.PENDING,
            priority=0 if effect.flagged else 1,
            summary=effect.summary,
            details=_with_words(kind, effect.details, message),
            check_in_id=check_in_id,
            message_id=message.id if message else None,
            created_at=now,
        )
    )


def _with_words(
    kind: ReviewKind, details: Mapping[str, Any], message: Message | None
) -> dict[str, Any]:
    """A call-back quotes what the patient wrote: the dialog's `wrote`, else the message that
    raised it (a keypad press quotes nothing)."""
    kept = dict(details)
    said = words.said_in(message)
    if kind == ReviewKind.CALL_BACK and "wrote" not in kept and said:
        kept["wrote"] = said
    return kept


def _reach_thread(
    session: Session,
    pharmacy: Pharmacy,
    effect: ToStaffThread,
    message: Message | None,
    phone: str,
    now: dt.datetime,
    conversation: Conversation | None,
) -> None:
    """The patient's text reaches the item the staff thread is on, marked unread: one UPDATE
    (once the text is written: `when_written`). When that item was decided meanwhile, the
    thread ends and the text opens an item of its own, as any text outside a dialog would."""
    result = session.execute(
        update(ReviewItem)
        .where(ReviewItem.id == effect.review_item_id, ReviewItem.status == ReviewStatus.PENDING)
        .values(
            unread=True,
            latest_at=now,
            latest_message_id=message.id if message is not None else None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return
    if conversation is not None:
        conversation.staff_thread_item_id = None
        conversation.staff_thread_until = None
    summary = "The patient wrote after a pharmacist's reply. Please read it."
    _open_review_item(
        session,
        pharmacy,
        OpenReviewItem(kind="message", patient_id=effect.patient_id, summary=summary),
        message,
        phone,
        now,
    )
