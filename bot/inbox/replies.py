"""A staff reply before it is queued, and what the item page says about it: the no-drug-names
rule for patients without the detailed-messages consent, the SMS segments it costs in the
patient's language, the time sending hours let it go, and the pharmacy's saved replies."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.languages import catalogs
from bot.languages.segments import count, encoding_of
from bot.outreach.sending_rules import next_allowed, windows_for
from bot.program.preferences import of as preferences_of
from bot.settings.outreach import OutreachSettings
from dialogs import prompts
from dialogs.turn import Say
from store import saved_replies
from store.models import Patient, Pharmacy

# Words of a drug name that are not the drug: forms, release kinds, devices.
FORM_WORDS = frozenset(
    [
        "tablet",
        "tablets",
        "capsule",
        "capsules",
        "inhaler",
        "hfa",
        "pen",
        "eye",
        "drops",
        "er",
        "xr",
        "sr",
        "dr",
        "cr",
        "la",
        "solution",
        "oral",
        "cream",
        "ointment",
        "patch",
        "injection",
        "suspension",
        "syrup",
        "spray",
        "kit",
        "vial",
        "mdi",
    ]
)
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def drug_words(drug_names: Iterable[str]) -> set[str]:
    """The words that name a drug ("metformin", "insulin", "glargine") in names as dispensed
    ("Insulin glargine 100 units/mL pen"): the words before the strength, forms left out."""
    words: set[str] = set()
    for name in drug_names:
        for token in name.replace("/", " ").split():
            if any(c.isdigit() for c in token):
                break  # the strength: what follows is the form and the package
            word = token.casefold().strip(".,()")
            if len(word) >= 3 and word.isalpha() and word not in FORM_WORDS:
                words.add(word)
    return words


def named_drug(text: str, drug_names: Iterable[str]) -> str | None:
    """The first word of `text` that names one of the drugs, as the text writes it."""
    names = drug_words(drug_names)
    for match in WORD.finditer(text):
        if match.group(0).casefold() in names:
            return match.group(0)
    return None


def drug_name_problem(session: Session, patient: Patient | None, text: str) -> str | None:
    """Why this reply may not go (a drug name to a patient who has not allowed them), as a
    plain sentence naming the word; None when it may."""
    if patient is None:
        return None
    word = named_drug(text, (rx.drug_name for rx in patient.prescriptions))
    if word is None or preferences_of(session, patient).detailed:
        return None
    return (
        f"“{word}” is the name of one of the patient's medicines, and this patient has not "
        "agreed to texts that name their medicines. Please write it without the drug name "
        "(for example “your prescriptions”)."
    )


@dataclass(frozen=True)
class SegmentHint:
    """What the counter starts from before any script runs (and what it counts in)."""

    encoding: str  # "GSM-7" or "UCS-2"
    per_segment: int
    count: int


def segment_hint(text: str, language: str) -> SegmentHint:
    """The segments of `text`; an empty text in a language whose script GSM-7 lacks is
    counted as UCS-2 from the start (a Chinese reply will be)."""
    sample = catalogs.render(Say(prompts.PASSED_ON), language)
    encoding = encoding_of(text) if text else encoding_of(sample)
    segments = count(text)
    per = segments.per_segment if text else (160 if encoding == "GSM-7" else 70)
    return SegmentHint(encoding, per, segments.count)


def goes_at(
    patient: Patient | None,
    pharmacy: Pharmacy,
    phone: str,
    now: dt.datetime,
    settings: OutreachSettings,
) -> dt.datetime | None:
    """When sending hours let a text to `phone` go, if that is later than now; else None."""
    windows = windows_for(
        phone, patient.timezone if patient else None, pharmacy.timezone, pharmacy.state, settings
    )
    at = next_allowed(now, windows)
    return at if at > now else None


@dataclass(frozen=True)
class SavedReplyChoice:
    name: str
    body: str
    language: str


def choices_for(session: Session, pharmacy_id: int, language: str) -> Sequence[SavedReplyChoice]:
    """The pharmacy's saved replies in the patient's language (English where one has none)."""
    rows = saved_replies.of_pharmacy(session, pharmacy_id)
    by_name: dict[str, SavedReplyChoice] = {}
    for row in rows:
        if row.language == language or (row.language == "en" and row.name not in by_name):
            by_name[row.name] = SavedReplyChoice(row.name, row.body, row.language)
    return sorted(by_name.values(), key=lambda c: c.name.casefold())
