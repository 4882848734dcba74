"""What a dialog may know about the world, handed in by the runtime (no I/O here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dialogs.assessment import Assessment
from dialogs.check_in_definition import DEFAULT_CHECK_IN
from dialogs.parse import Vocabulary


@dataclass(frozen=True)
class PatientFacts:
    id: int
    first_name: str
    language: str = "en"
    birth_year: int | None = None
    opted_out: bool = False
    # None (never asked), consented, pending_review, active, declined, disenrolled
    enrollment: str | None = None
    anchor_day: int | None = None
    next_anchor_date: dt.date | None = None
    # The sync plan's recommendation, offered when the patient chooses a pickup day.
    proposed_anchor_day: int = 15
    # Two or more medicines that can be synced; others are not offered med sync.
    eligible: bool = True
    # False when the pharmacy's records gave no language: the first message offers a choice.
    language_confirmed: bool = True


@dataclass(frozen=True)
class Context:
    today: dt.date
    pharmacy_name: str
    pharmacy_phone: str  # as patients should read it, e.g. "(212) 555-0199"
    # Every patient who has this phone number (a shared landline, a caregiver's phone).
    patients: tuple[PatientFacts, ...]
    vocab: Vocabulary
    preparation_days: int = 3  # the first pickup is at least this many days away
    decline_quiet_days: int = 180  # no invitations for this long after a patient says no
    check_in: Assessment = field(default=DEFAULT_CHECK_IN)
    # (tag, name in its own script) of each language this pharmacy offers, in menu order.
    languages: tuple[tuple[str, str], ...] = ()

    def patient(self, patient_id: int | None) -> PatientFacts | None:
        for p in self.patients:
            if p.id == patient_id:
                return p
        return None
