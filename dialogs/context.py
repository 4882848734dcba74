"""What a dialog may know about the world, handed in by the runtime (no I/O here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from dialogs.assessment import Assessment
from dialogs.check_in_definition import DEFAULT_CHECK_IN
from dialogs.parse import Vocabulary
from dialogs.plan.open_days import ALWAYS_OPEN, OpenDays


@dataclass(frozen=True)
class CostEstimate:
    """Dollar amounts as the patient reads them ("$18.40"), worked out by the runtime."""

    prorated: str
    usual: str


@dataclass(frozen=True)
class TripPlan:
    """How a patient gets in sync on one pickup day, from the sync plan (worked out by the
    runtime only when the anchor dialog asks about that day)."""

    first_synced_anchor: dt.date  # the anchor by the calendar (what the enrollment keeps)
    first_synced_pickup: dt.date  # the first day every medicine is handed out (an open day)
    visits: tuple[dt.date, ...]  # the days at the pharmacy before it (the sync visit first)
    overrides: tuple[str, ...] = ()  # prescriptions whose claim needs a refill-too-soon override
    planned: bool = True  # False: no sync plan for the day (bad data); no visits are promised


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
    # Households (bot/households.py): the household the patient belongs to, if any, and
    # whether they already answered the offer to pick up with the others on this phone.
    household: int | None = None
    household_asked: bool = False
    # Preferences (dialogs/preferences.py): None when the patient has not said.
    delivery: bool | None = None
    channel: str | None = None  # "text" or "call"
    time_of_day: str | None = None  # "morning", "afternoon" or "evening"
    detailed_messages: bool = False  # drug names allowed in messages (a consent; off by default)
    preferences_asked: bool = False  # the enrollment's preference questions were offered
    can_text: bool = True  # False for a landline: always called
    # The sync plan's cost estimate for each pickup day it was worked out for: what the shorter
    # fills before the first synced pickup cost, prorated, against a full month of the same.
    cost_estimates: Mapping[int, CostEstimate] = field(default_factory=dict)
    # The trips to get in sync for each pickup day the patient may choose (lazily worked out).
    trip_plans: Mapping[int, TripPlan] = field(default_factory=dict)
    # A service at pickup due for this cycle's check-in (dialogs/services.py): the service's id
    # in the pharmacy's services file and its kind ("flu_shot"); None: nothing to offer. Worked
    # out only while a check-in is waiting for answers.
    service_offer: tuple[str, str] | None = None
    # The pickups (anchor dates) a prescription of which waits on the prescriber: a pending
    # renewal review item (bot/program/renewals.py). An all-clear check-in of such a pickup does
    # not promise everything ready. Worked out only while a check-in is waiting for answers.
    renewal_pending: tuple[dt.date, ...] = ()
    # Caregivers (dialogs/caregiver.py): the phones (as read, "(617) 555-0199") that get this
    # patient's messages and may answer for them.
    caregivers: tuple[str, ...] = ()


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
    # The pharmacy's standalone assessments this conversation runs or is about to start
    # (every version still waiting for an answer), looked up by "name@version".
    assessments: tuple[Assessment, ...] = ()
    # The patients here reached through a caregiver's permission, not as this phone's own;
    # and whether this phone, only a caregiver's, texted STOP (dialogs/caregiver.py).
    cared_for: tuple[int, ...] = ()
    phone_opted_out: bool = False
    # When the pharmacy is closed (what is due then is handed out the open day before) and its
    # opening hours as patients read them ("Mon-Fri 9am-7pm, Sat 9am-1pm"), told when a patient
    # asks "what time do you open?" (None: not set; they are asked to call).
    open_days: OpenDays = ALWAYS_OPEN
    hours: str | None = None

    def pickup_on(self, anchor: dt.date) -> dt.date:
        """The day what is due on `anchor` is handed out: the previous open day when closed."""
        return self.open_days.open_on_or_before(anchor)

    # The review item whose staff thread is open on this phone (a pharmacist replied, issue
    # 18): a text that answers no open question goes to it. None: no thread is open.
    staff_thread: int | None = None

    def assessment(self, key: str) -> Assessment | None:
        for a in self.assessments:
            if a.key == key:
                return a
        return None

    def patient(self, patient_id: int | None) -> PatientFacts | None:
        for p in self.patients:
            if p.id == patient_id:
                return p
        return None
