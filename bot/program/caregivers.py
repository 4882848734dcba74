"""Caregivers in the running bot: who a phone speaks for, who receives a patient's messages,
and adding or removing a caregiver (by the patient's text, a caregiver's text, staff).

Rules (docs/CAREGIVERS.md): the patient's own phone keeps getting their messages as well,
unless it cannot (it cannot take texts, or it texted STOP); a caregiver's STOP ends that
phone's permissions and opts out that phone only, never the patient.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import phonenumbers
from sqlalchemy.orm import Session

from bot.channels.sms_text import compose
from bot.languages import serving
from dialogs import prompts
from dialogs.caregiver import display
from dialogs.context import Context
from dialogs.state import load
from dialogs.turn import Say, SetCaregiver, SetCaregiverPhone
from store import caregivers as store
from store import queries
from store.models import (
    Channel,
    Direction,
    Message,
    MessageStatus,
    Patient,
    Pharmacy,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)
from store.phone_read import PhoneRead, read_phone


class CaregiverError(Exception):
    """A plain sentence for staff; nothing was changed."""


@dataclass(frozen=True)
class Change:
    """What adding or removing did: a sentence, and the texts to send after the commit."""

    message: str
    send: tuple[int, ...] = ()


# ---------------------------------------------------------------------- who a phone speaks for


@dataclass(frozen=True)
class PhoneView:
    """Who a phone speaks for: its own patients, then those it looks after as a caregiver."""

    patients: list[Patient]
    cared_for: frozenset[int] = frozenset()
    # Each patient's standing caregivers, as read ("(617) 555-0199").
    caregivers: dict[int, tuple[str, ...]] = field(default_factory=dict)
    phone_opted_out: bool = False  # a caregiver-only phone that texted STOP


def view(session: Session, pharmacy_id: int, phone: str) -> PhoneView:
    """One look for each inbound message: a statement more than a phone with no caregiver
    anywhere near it costs; more only when there are caregivers."""
    return _view(session, pharmacy_id, phone, store.patients_near(session, pharmacy_id, phone))


def view_for_step(
    session: Session, pharmacy_id: int, phone: str, sid: str | None = None
) -> tuple[PhoneView, PhoneRead]:
    """`view`, with everything a conversation step reads about the phone's patients (their
    enrollments, preferences, households, prescriptions; whether `sid` was answered before)
    read by the same statement (store/phone_read.py)."""
    read = read_phone(session, pharmacy_id, phone, sid)
    return _view(session, pharmacy_id, phone, read.patients), read


def _view(
    session: Session, pharmacy_id: int, phone: str, found: list[tuple[Patient, bool]]
) -> PhoneView:
    own = [p for p, _ in found if p.phone == phone]
    if not any(touched for _, touched in found):
        return PhoneView(own)  # the usual case: one statement in all
    mine = {p.id for p in own}
    near = store.near(session, pharmacy_id, phone, mine)
    standing = store.standing(session, near)
    cared_ids = {c.patient_id for c in standing if c.phone == phone} - mine
    cared = [p for p, _ in found if p.id in cared_ids]
    shown: dict[int, list[str]] = {}
    for c in standing:
        shown.setdefault(c.patient_id, []).append(display(c.phone))
    stopped = not own and any(c.phone == phone for c in near)
    return PhoneView(
        own + cared,
        frozenset(cared_ids),
        {k: tuple(v) for k, v in shown.items()},
        stopped and store.phone_opted_out(session, pharmacy_id, phone),
    )


def patients_at(session: Session, pharmacy_id: int, phone: str) -> tuple[list[Patient], set[int]]:
    """The phone's own patients, then those it looks after; and the ids of the latter."""
    found = view(session, pharmacy_id, phone)
    return found.patients, set(found.cared_for)


def in_context(found: PhoneView, ctx: Context) -> Context:
    """The dialog's view: which patients come through a caregiver's permission, each
    patient's caregivers, and whether this (caregiver-only) phone texted STOP."""
    if not found.caregivers and not found.phone_opted_out:
        return ctx
    facts = tuple(
        replace(
            p,
            caregivers=found.caregivers.get(p.id, ()),
            # Through a caregiver, the patient's own STOP is about their phone, not this one.
            opted_out=False if p.id in found.cared_for else p.opted_out,
        )
        for p in ctx.patients
    )
    return replace(
        ctx,
        patients=facts,
        cared_for=tuple(sorted(found.cared_for)),
        phone_opted_out=found.phone_opted_out,
    )


def recipients(session: Session, patient: Patient, textable: bool) -> list[str]:
    """The phones a patient's automated texts go to: their own when it can take them, and
    every caregiver's whose permission stands (a caregiver-only phone after STOP: none)."""
    phones = [patient.phone] if textable else []
    for caregiver in store.caregivers_of(session, patient.id):
        opted_out = store.phone_opted_out(session, patient.pharmacy_id, caregiver.phone)
        if caregiver.phone not in phones and not opted_out:
            phones.append(caregiver.phone)
    return phones


def answered_by(session: Session, patient: Patient, phone: str) -> tuple[str, int | None]:
    """("patient", None) from the patient's phone, ("caregiver", id) from a caregiver's."""
    if phone == patient.phone:
        return "patient", None
    link = store.link(session, patient.id, phone)
    return ("caregiver", link.id) if link is not None else ("patient", None)


# ---------------------------------------------------------------------- adding and removing


def e164(raw: str) -> str:
    try:
        number = phonenumbers.parse(raw.strip(), "US")
    except phonenumbers.NumberParseException:
        raise CaregiverError(f"{raw.strip()!r} is not a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise CaregiverError(
            f"{raw.strip()!r} is not a valid phone number (is the area code missing?)."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def add(
    session: Session,
    pharmacy: Pharmacy,
    patient: Patient,
    phone: str,
    name: str | None,
    wording: str,
    recorded_by: str,
    channel: Channel,
    now: dt.datetime,
    message_id: int | None = None,
) -> Change:
    """Record the patient's permission and write the caregiver's first text (queued)."""
    if phone == patient.phone:
        raise CaregiverError("That is the patient's own phone number.")
    if not wording.strip():
        raise CaregiverError("Say how the patient gave permission (their words, or where).")
    if store.phone_opted_out(session, pharmacy.id, phone):
        raise CaregiverError(
            f"{display(phone)} texted STOP: MedSync may not text it until it texts START."
        )
    clean_name = (name or "").strip()[:100] or None
    caregiver = store.caregiver_row(session, patient, phone, clean_name, now)
    if store.is_active(session, caregiver):
        return Change(f"{display(phone)} is already a caregiver for {patient.first_name}.")
    language = serving.language_for(session, pharmacy, patient, now)
    store.record(
        session, caregiver, True, wording.strip(), recorded_by, channel, language, now, message_id
    )
    welcome = _welcome(session, pharmacy, patient, caregiver, recorded_by, language, now)
    return Change(
        f"{display(phone)} now gets {patient.first_name}'s texts and can answer them.",
        (welcome.id,),
    )


def _welcome(
    session: Session,
    pharmacy: Pharmacy,
    patient: Patient,
    caregiver: store.Caregiver,
    recorded_by: str,
    language: str,
    now: dt.datetime,
) -> Message:
    """The caregiver's first text: who added them and how to stop; never a drug name."""
    msgid = (
        prompts.CAREGIVER_WELCOME
        if recorded_by == "patient"
        else (prompts.CAREGIVER_WELCOME_BY_STAFF)
    )
    say = Say(msgid, {"pharmacy": pharmacy.name, "patient": patient.first_name})
    conversation = queries.locked_conversation(session, pharmacy.id, caregiver.phone, now)
    granted = len(store.history(session, patient.id))  # a new key for each new permission
    message = Message(
        pharmacy_id=pharmacy.id,
        patient_id=patient.id,
        conversation_id=conversation.id,
        direction=Direction.OUTBOUND,
        channel=Channel.SMS,
        idempotency_key=f"caregiver:{caregiver.id}:welcome:{granted}",
        phone=caregiver.phone,
        body=compose([say], language),
        status=MessageStatus.QUEUED,
        language=language,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def remove(
    session: Session,
    pharmacy: Pharmacy,
    patient: Patient,
    phone: str | None,
    wording: str,
    recorded_by: str,
    channel: Channel,
    now: dt.datetime,
    message_id: int | None = None,
) -> Change:
    """Withdraw one caregiver's permission (or, with no phone, every caregiver's)."""
    standing = store.caregivers_of(session, patient.id)
    ending = [c for c in standing if phone is None or c.phone == phone]
    if not ending:
        which = display(phone) if phone else "anyone"
        return Change(f"{which} is not a caregiver for {patient.first_name}; nothing changed.")
    language = serving.language_for(session, pharmacy, patient, now)
    for caregiver in ending:
        store.record(
            session, caregiver, False, wording, recorded_by, channel, language, now, message_id
        )
    phones = ", ".join(display(c.phone) for c in ending)
    return Change(f"{phones} no longer gets {patient.first_name}'s texts.")


def apply(
    session: Session,
    pharmacy: Pharmacy,
    by_id: dict[int, Patient],
    effect: SetCaregiver | SetCaregiverPhone,
    message: Message | None,
    phone: str,
    now: dt.datetime,
    channel: Channel,
) -> None:
    """A dialog's caregiver effect, in the runtime's transaction."""
    message_id = message.id if message else None
    if isinstance(effect, SetCaregiverPhone):
        store.record_phone(session, pharmacy.id, phone, effect.opted_out, effect.wording, now)
        return
    patient = by_id[effect.patient_id]
    if effect.granted:
        try:
            add(
                session, pharmacy, patient, effect.phone, None, effect.wording, "patient",
                channel, now, message_id,
            )  # fmt: skip
        except CaregiverError as refused:
            _tell_staff(session, pharmacy, patient, message, phone, now, str(refused))
        return
    # By the caregiver: this phone's permission; by the patient: every caregiver's.
    which = phone if effect.by == "caregiver" else None
    remove(session, pharmacy, patient, which, effect.wording, effect.by, channel, now, message_id)


def _tell_staff(
    session: Session,
    pharmacy: Pharmacy,
    patient: Patient,
    message: Message | None,
    phone: str,
    now: dt.datetime,
    why: str,
) -> None:
    session.add(
        ReviewItem(
            pharmacy_id=pharmacy.id,
            patient_id=patient.id,
            phone=phone,
            kind=ReviewKind.MESSAGE,
            status=ReviewStatus.PENDING,
            priority=1,
            summary=f"The patient asked to add a caregiver, but it was not done: {why} "
            "Please call them.",
            details={},
            message_id=message.id if message else None,
            created_at=now,
        )
    )


# ---------------------------------------------------------------------- one check-in, two phones


def close_elsewhere(
    session: Session, patient: Patient, anchor_date: dt.date, answered_on: str, now: dt.datetime
) -> None:
    """The check-in was finished on one phone: the patient's other phones stop waiting for it
    (the patient's own and each caregiver's), so no one answers it twice."""
    phones = {patient.phone, *(c.phone for c in store.caregivers_of(session, patient.id))}
    phones.discard(answered_on)
    for phone in sorted(phones):
        conversation = queries.locked_conversation(session, patient.pharmacy_id, phone, now)
        state = load(conversation.state)
        waiting = state.dialog == "check_in" and state.subject == patient.id
        if waiting and state.data.get("anchor_date") == anchor_date.isoformat():
            rest = {k: v for k, v in state.data.items() if k == "waiting"}
            conversation.state = replace(state.idle(), data=rest).to_json()
            conversation.updated_at = now


# ---------------------------------------------------------------------- sending


def caregiver_may_receive(session: Session, message: Message) -> bool:
    """A text about a patient to a phone that is not theirs: only while it is their
    caregiver's, and that phone has not opted out."""
    if message.patient_id is None:
        return False
    link = store.link(session, message.patient_id, message.phone)
    if link is None or not store.is_active(session, link):
        return False
    return not store.phone_opted_out(session, message.pharmacy_id, message.phone)


def caregiver_unsubscribed(session: Session, message: Message, now: dt.datetime) -> None:
    """Twilio says a caregiver's phone is unsubscribed (21610): like its STOP."""
    wording = "(reported by Twilio, error 21610: the number is unsubscribed)"
    for link in store.links_of_phone(session, message.pharmacy_id, message.phone):
        store.record(session, link, False, wording, "caregiver", Channel.SMS, "en", now, message.id)
    own = queries.patients_with_phone(session, message.pharmacy_id, message.phone)
    if not own:
        store.record_phone(session, message.pharmacy_id, message.phone, True, wording, now)
