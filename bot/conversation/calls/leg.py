"""One request on one call (a `Leg`), and what every step of a call does with it: step the
dialog, say the replies and then what comes next, and keep the transcript."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from bot.channels import voice_instructions as said
from bot.channels.voice_twiml import (
    Speaker,
    Then,
    sentences,
    speaker_for,
    twiml,
)
from bot.conversation.call_records import (
    decode_question,
    note_for_staff,
    transcript_line,
)
from bot.conversation.messages import display_phone
from bot.conversation.runtime import Answer, Runtime
from bot.program import caregivers
from bot.settings.outreach import OutreachSettings
from bot.settings.voice import VoiceSettings
from dialogs.state import State
from dialogs.turn import Ask, Digits, Event, Param, Reply, Text
from store.calls import Call, CallMode
from store.models import (
    Conversation,
    Direction,
    Message,
    Patient,
    Pharmacy,
    ReviewKind,
)

# What each dialog is, for staff reading a review item.
DIALOG_NAMES = {
    "enrollment": "the med sync invitation",
    "anchor": "choosing a pickup day",
    "check_in": "the check-in",
    "who": "saying who the call is about",
    "assessment": "the pharmacy's own questions (an assessment)",
}
MENU_KEY_PREFERENCES = "2"  # the call's menu: delivery, calls or texts, time of day


@dataclass
class Leg:
    """One request on one call, inside its transaction, with what the call desk works with."""

    session: Session
    pharmacy: Pharmacy
    conversation: Conversation
    call: Call
    now: dt.datetime
    base: str
    runtime: Runtime
    settings: VoiceSettings
    outreach: OutreachSettings


def converse(leg: Leg, event: Event, inbound: Message | None) -> Answer:
    return leg.runtime.converse(
        leg.session, leg.pharmacy, leg.conversation, event, inbound, leg.now
    )


def emit(
    leg: Leg,
    replies: Sequence[Reply],
    then: Then,
    mode: CallMode,
    inbound: Message | None = None,
    tell_keys: bool = False,
    label: str = "",
) -> str:
    """Say `replies`, then `then`: the TwiML for the next step, kept for repeats and
    written to the transcript."""
    call = leg.call
    speaker = speaker_of(leg)
    lines = sentences(replies, speaker, params(leg), tell_keys=tell_keys)
    call.step += 1
    call.mode = mode
    if mode != CallMode.QUESTION:
        call.question = None
    call.twiml = twiml(speaker, lines, then, leg.settings.gather_timeout)
    call.updated_at = leg.now
    if speaker.stand_in:
        language_note(leg, speaker)
    if lines:
        body = label + " ".join(lines)
        if inbound is not None:
            leg.runtime.record_reply(leg.session, inbound, body, speaker.language)
        else:
            mark(leg, Direction.OUTBOUND, body, speaker.language)
    return call.twiml


def speaker_of(leg: Leg) -> Speaker:
    language = leg.call.language
    if language is None:
        patients = phone_patients(leg)
        language = patients[0].language if patients else None
    return speaker_for(language)


def phone_patients(leg: Leg) -> Sequence[Patient]:
    return caregivers.patients_at(leg.session, leg.pharmacy.id, leg.call.phone)[0]


def params(leg: Leg) -> dict[str, Param]:
    return {"pharmacy": leg.pharmacy.name, "pharmacy_phone": pharmacy_phone(leg)}


def pharmacy_phone(leg: Leg) -> str:
    return display_phone(leg.pharmacy.phone)


def url(leg: Leg, route: str, step: bool = True) -> str:
    """A URL for the step `_emit` is about to write: action URLs name the step they answer,
    so a repeated or out-of-order request is recognised."""
    query = {"call": leg.call.call_sid or str(leg.call.id)}
    if step:
        query["step"] = str(leg.call.step + 1)
    return f"{leg.base}/twilio/voice/{route}?" + urlencode(query)


def inbound_line(leg: Leg, body: str) -> Message:
    """What the patient keyed or said (or did not), as the transcript shows it."""
    return transcript_line(leg.session, leg.call, Direction.INBOUND, body, leg.now)


def mark(leg: Leg, direction: Direction, body: str, language: str | None = None) -> None:
    transcript_line(leg.session, leg.call, direction, body, leg.now, language)


def note(
    leg: Leg,
    kind: ReviewKind,
    summary: str,
    flagged: bool = False,
    message: Message | None = None,
) -> None:
    note_for_staff(leg.session, leg.call, kind, summary, leg.now, flagged, message)


def question_of(call: Call) -> Ask:
    # A question is stored with every QUESTION step; say something harmless if not.
    return decode_question(call.question) if call.question else Ask(said.GOODBYE)


def language_note(leg: Leg, speaker: Speaker) -> None:
    if leg.call.notes.get("language_noted") or leg.call.patient_id is None:
        return
    leg.call.notes = {**leg.call.notes, "language_noted": True}
    note(
        leg,
        ReviewKind.MESSAGE,
        f"Phone calls cannot speak this patient's language ({leg.call.language}): "
        f"the call was said in {speaker.language} and took keypad answers only. "
        "Consider calling with an interpreter.",
    )


def subject_of(patients: Sequence[Patient], state: State) -> Patient | None:
    for p in patients:
        if p.id == state.subject:
            return p
    return patients[0] if len(patients) == 1 else None


def says(replies: Sequence[Reply]) -> list[Reply]:
    return [r for r in replies if not isinstance(r, Ask)]


def heard(event: Event) -> str:
    """What the patient did, as the transcript shows it."""
    if isinstance(event, Digits):
        return f"[keypad {event.digits}]"
    if isinstance(event, Text):
        return event.body
    return "[no answer]"
