"""What goes into a dialog step and what comes out of it: events, replies, effects.

Everything here is plain data. Replies name a catalog message and its parameters; the
runtime in bot/ renders them as SMS text or as speech in the patient's language. Effects
are what the runtime applies to the store, in one transaction with the saved state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from dialogs.state import State

# ---------------------------------------------------------------- events


@dataclass(frozen=True)
class Text:
    """A text message (or a speech result already turned into text)."""

    body: str
    num_media: int = 0
    speech: bool = False
    confidence: float | None = None


@dataclass(frozen=True)
class Digits:
    """Keypad digits from a phone call."""

    digits: str


@dataclass(frozen=True)
class NoInput:
    """The patient said nothing (a call's Gather timed out)."""


@dataclass(frozen=True)
class Timeout:
    """No answer for a while: the scheduler nudges a dialog that is still waiting."""


@dataclass(frozen=True)
class Start:
    """Open a dialog from outside: an invitation, a scheduled check-in."""

    dialog: str
    params: Mapping[str, Any] = field(default_factory=dict)


Event = Text | Digits | NoInput | Timeout | Start

# ---------------------------------------------------------------- replies

Param = str | int | dt.date | tuple[str, ...]  # a tuple is a list of names: "Robert or Linda"


@dataclass(frozen=True)
class Say:
    """A sentence for the patient: a catalog msgid (its English text) and its parameters."""

    msgid: str
    params: Mapping[str, Param] = field(default_factory=dict)


ExpectKind = Literal[
    "yes_no", "day", "text_or_no", "choice", "date_confirm", "number", "option", "birth_date"
]


@dataclass(frozen=True)
class Ask(Say):
    """A channel-neutral question; the channel adds how to answer it from `expects`
    ("Reply YES or NO" in a text, "press 1 for yes" on a call)."""

    expects: ExpectKind = "yes_no"
    # For "choice" (a person) and "option" (an answer): the labels in keypad order (1, 2, ...).
    choices: tuple[str, ...] = ()
    # Outreach must say how to stop: the channel adds "Reply STOP to opt out" or its like.
    opt_out_notice: bool = False


Reply = Say | Ask

# ---------------------------------------------------------------- effects

ConsentKind = Literal[
    "enrollment_accepted",
    "enrollment_declined",
    "opt_out",
    "opt_in",
    "detailed_messages_on",
    "detailed_messages_off",
    "household_joined",
    "household_declined",
]
ReviewKind = Literal[
    "new_enrollment",
    "flagged_check_in",
    "call_back",
    "possible_opt_out",
    "unknown_sender",
    "no_answer",
    "message",
    "renewal",
    "assessment",
    "service",  # a service at pickup the patient accepted (a flu shot...): to have ready
]


@dataclass(frozen=True)
class RecordConsent:
    """An append-only consent record with the patient's exact words."""

    patient_id: int
    kind: ConsentKind
    wording: str
    prompt: str | None = None  # the msgid of the question the patient answered


@dataclass(frozen=True)
class SetEnrollment:
    patient_id: int
    status: Literal["consented", "pending_review", "declined"]
    anchor_day: int | None = None
    next_anchor_date: dt.date | None = None
    declined_until: dt.date | None = None


@dataclass(frozen=True)
class SetLanguage:
    patient_id: int
    language: str
    # False when no one chose it (English after two unclear answers to the language menu): a
    # later import's language may then replace it; the patient's own choice it never does.
    chosen: bool = True


@dataclass(frozen=True)
class SaveCheckIn:
    patient_id: int
    anchor_date: dt.date
    definition: str
    status: Literal["open", "flagged", "ready"]
    answers: Mapping[str, Any]
    flags: tuple[str, ...] = ()
    # The patient's own words behind each answer (question id -> the text or speech it was read
    # from), kept so a pharmacist sees "No - wrote: 'no hospital but my doctor added lisinopril'".
    words: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SaveAssessment:
    """A standalone assessment's answers so far, under the definition's name and version."""

    patient_id: int
    definition: str  # "flu_offer@2"
    sending: str  # which sending of it this is
    status: Literal["waiting", "open", "flagged", "done", "stopped"]
    answers: Mapping[str, Any]
    flags: tuple[str, ...] = ()
    words: Mapping[str, str] = field(default_factory=dict)  # as SaveCheckIn.words


@dataclass(frozen=True)
class OpenReviewItem:
    """Something for a pharmacist: `summary` is a plain English sentence for staff.

    `details["wrote"]`, when present, is what the patient wrote or said (a call-back raised after
    unclear answers quotes it)."""

    kind: ReviewKind
    summary: str
    patient_id: int | None = None
    flagged: bool = False
    details: Mapping[str, Any] = field(default_factory=dict)
    check_in_anchor_date: dt.date | None = None


@dataclass(frozen=True)
class ToStaffThread:
    """What the patient wrote belongs to the thread a staff member's reply opened: the text
    (stored by the runtime like every text) reaches that review item, marked unread."""

    review_item_id: int
    patient_id: int | None = None


@dataclass(frozen=True)
class SetPreference:
    """A patient's preference: delivery "yes"/"no", channel "text"/"call", time "morning"/
    "afternoon"/"evening"; "asked" marks the enrollment questions as offered (value "yes")."""

    patient_id: int
    name: Literal["delivery", "channel", "time", "asked"]
    value: str


@dataclass(frozen=True)
class SetCaregiver:
    """Give or take back a caregiver's permission (dialogs/caregiver.py): `phone` (E.164) gets
    the patient's messages and may answer for them. A withdrawal leaves `phone` empty: by the
    caregiver, it is this conversation's phone; by the patient, every caregiver of theirs."""

    patient_id: int
    phone: str
    granted: bool
    wording: str
    by: Literal["patient", "caregiver"]


@dataclass(frozen=True)
class SetCaregiverPhone:
    """STOP (or START) from a phone that is only a caregiver's: no texts to it at all."""

    opted_out: bool
    wording: str


@dataclass(frozen=True)
class RecordServiceOffer:
    """A service at pickup offered to the patient for one cycle, and their answer so far."""

    patient_id: int
    service: str  # a service id of the pharmacy's services file ("flu_shot")
    anchor_date: dt.date
    status: Literal["offered", "accepted", "declined", "no_answer"]


Effect = (
    (RecordConsent | SetEnrollment | SetLanguage | SaveCheckIn | SaveAssessment | OpenReviewItem)
    | SetPreference
    | SetCaregiver
    | SetCaregiverPhone
    | ToStaffThread
    | RecordServiceOffer
)


# ---------------------------------------------------------------- the result of a step


@dataclass(frozen=True)
class Turn:
    state: State
    replies: tuple[Reply, ...] = ()
    effects: tuple[Effect, ...] = ()
