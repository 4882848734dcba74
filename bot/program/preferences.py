"""Patients' preferences in the store: reading them for dialogs and senders, changing them
from any channel (every change is a preference_change row; detailed messages are consents).

Staff changes (CLI, inbox) are audited by their callers in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency
from sqlalchemy.orm import Session

from bot.languages import catalogs
from bot.program.plans import DayPlans
from dialogs.context import CostEstimate
from dialogs.plan.day_plan import DayPlan
from dialogs.plan.plan import SyncPlan
from store.models import Channel, ConsentEvent, ConsentKind, Patient
from store.preferences import (
    PatientPreference,
    PreferenceChange,
    detailed_messages,
    preference_of,
    preferences_and_consent,
    preferences_of,
)

CHANNELS = ("text", "call")
# The part of the day a patient may prefer, in their local time. Sending only ever narrows the
# legal hours to it, never widens them (bot/outreach/sending_rules.py).
PREFERRED_HOURS: dict[str, tuple[dt.time, dt.time]] = {
    "morning": (dt.time(8), dt.time(12)),
    "afternoon": (dt.time(12), dt.time(17)),
    "evening": (dt.time(17), dt.time(21)),
}
TIMES = tuple(PREFERRED_HOURS)
NAMES = ("delivery", "channel", "time", "detailed")
_YES = {"yes", "y", "true", "on", "1"}
_NO = {"no", "n", "false", "off", "0"}


class PreferenceError(ValueError):
    """A preference or value that does not exist: the sentence says what would."""


@dataclass(frozen=True)
class Preferences:
    """What a patient prefers, as staff and senders read it."""

    delivery: bool | None
    channel: str | None
    time_of_day: str | None
    detailed: bool
    asked: bool
    updated_at: dt.datetime | None

    def as_dict(self) -> dict[str, str]:
        def yes_no(value: bool | None) -> str:
            return "not asked" if value is None else ("yes" if value else "no")

        return {
            "delivery": yes_no(self.delivery),
            "channel": self.channel or "not asked",
            "time": self.time_of_day or "not asked",
            "detailed": "yes" if self.detailed else "no",
        }


def of(session: Session, patient: Patient) -> Preferences:
    row = preference_of(session, patient.id)
    detailed = detailed_messages(session, [patient.id])[patient.id]
    if row is None:
        return Preferences(None, None, None, detailed, False, None)
    return Preferences(
        row.delivery,
        row.channel,
        row.time_of_day,
        detailed,
        row.asked_at is not None,
        row.updated_at,
    )


def of_all(session: Session, patients: Sequence[Patient]) -> dict[int, Preferences]:
    return from_rows(preferences_and_consent(session, [p.id for p in patients]))


def from_rows(
    rows: Mapping[int, tuple[PatientPreference | None, bool]],
) -> dict[int, Preferences]:
    """Each patient's preferences from their row and detailed-messages consent as read."""
    out = {}
    for pid, (row, detailed) in rows.items():
        out[pid] = Preferences(
            row.delivery if row else None,
            row.channel if row else None,
            row.time_of_day if row else None,
            detailed,
            row is not None and row.asked_at is not None,
            row.updated_at if row else None,
        )
    return out


def calling(session: Session, patient_ids: Sequence[int]) -> set[int]:
    """Which of these patients asked to be called rather than texted."""
    rows = preferences_of(session, list(patient_ids))
    return {pid for pid, row in rows.items() if row.channel == "call"}


def delivering(session: Session, patient_ids: Sequence[int]) -> set[int]:
    """Which of these patients have their medicines delivered (the delivery preference on;
    not asked counts as pickup), in one statement."""
    rows = preferences_of(session, list(patient_ids))
    return {pid for pid, row in rows.items() if row.delivery}


def time_of_day(session: Session, patient_id: int) -> str | None:
    row = preference_of(session, patient_id)
    return row.time_of_day if row is not None else None


def parse(name: str, raw: str) -> str:
    """A value typed by staff, in stored form ("yes"/"no", "text"/"call", a time of day)."""
    value = raw.strip().lower()
    if name in ("delivery", "detailed"):
        if value in _YES:
            return "yes"
        if value in _NO:
            return "no"
        raise PreferenceError(f"{name} is yes or no (got {raw!r}).")
    if name == "channel":
        value = {"sms": "text", "phone": "call", "voice": "call"}.get(value, value)
        if value not in CHANNELS:
            raise PreferenceError(f"channel is text or call (got {raw!r}).")
        return value
    if name == "time":
        if value not in TIMES:
            raise PreferenceError(f"time is morning, afternoon or evening (got {raw!r}).")
        return value
    raise PreferenceError(f"Unknown preference {name!r}; known: {', '.join(NAMES)}.")


def change(
    session: Session,
    patient: Patient,
    name: str,
    value: str,
    channel: str,
    now: dt.datetime,
    changed_by: str | None = None,
    wording: str | None = None,
    prompt: str | None = None,
    language: str | None = None,
) -> bool:
    """Set one preference (stored form) and record the change; False if it was so already.

    `changed_by` is the staff member's account, None for the patient. "asked" marks the
    enrollment's questions as offered and is not a change the patient made.
    """
    if name == "detailed":
        if detailed_messages(session, [patient.id])[patient.id] == (value == "yes"):
            return False
        session.add(
            ConsentEvent(
                patient_id=patient.id,
                kind=ConsentKind.DETAILED_MESSAGES_ON
                if value == "yes"
                else ConsentKind.DETAILED_MESSAGES_OFF,
                channel=Channel.STAFF if changed_by else Channel(channel),
                wording=wording or f"set by {changed_by}",
                prompt=prompt,
                language=language or patient.language,
                created_at=now,
            )
        )
        session.flush()
        _record(session, patient, name, value, channel, changed_by, now)
        return True
    row = preference_of(session, patient.id)
    if row is None:
        row = PatientPreference(patient_id=patient.id, updated_at=now)
        session.add(row)
    if name == "asked":
        if row.asked_at is None:
            row.asked_at = now
            row.updated_at = now
        return False
    if name == "delivery":
        before: object = row.delivery
        row.delivery = value == "yes"
        after: object = row.delivery
    elif name == "channel":
        before, row.channel, after = row.channel, value, value
    elif name == "time":
        before, row.time_of_day, after = row.time_of_day, value, value
    else:
        raise PreferenceError(f"Unknown preference {name!r}; known: {', '.join(NAMES)}.")
    if before == after:
        return False
    row.updated_at = now
    _record(session, patient, name, value, channel, changed_by, now)
    return True


def _record(
    session: Session,
    patient: Patient,
    name: str,
    value: str,
    channel: str,
    changed_by: str | None,
    now: dt.datetime,
) -> None:
    session.add(
        PreferenceChange(
            patient_id=patient.id,
            name=name,
            value=value,
            channel=channel,
            changed_by=changed_by,
            created_at=now,
        )
    )


def money(amount: Decimal, language: str) -> str:
    """ "$18.40", "18,40 US$": dollars the way the patient reads them (Babel)."""
    return format_currency(amount, "USD", locale=catalogs.babel_locale(language))


def cost_estimates(
    patient: Patient, today: dt.date, plans: DayPlans | None = None
) -> Mapping[int, CostEstimate]:
    """For each pickup day the patient may choose: what the shorter fills before the first
    synced pickup cost (prorated copays) against a full month of the same medicines."""
    return _CostEstimates(patient, plans or DayPlans(patient, today))


class _CostEstimates(Mapping[int, CostEstimate]):
    """Worked out for a day only when a dialog asks about it: every text of a patient who is
    choosing a day carries these, and planning all 28 days each time would be wasted work."""

    def __init__(self, patient: Patient, plans: DayPlans) -> None:
        self._patient, self._plans = patient, plans
        self._known: dict[int, CostEstimate | None] = {}

    def __getitem__(self, day: int) -> CostEstimate:
        if day not in self._known:
            self._known[day] = _estimate(self._patient, self._plans.get(day))
        found = self._known[day]
        if found is None:
            raise KeyError(day)
        return found

    def __iter__(self) -> Iterator[int]:
        return (day for day in range(1, 29) if day in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _estimate(patient: Patient, plan: SyncPlan | DayPlan | None) -> CostEstimate | None:
    if plan is None:
        return None
    shortened = [line for line in plan.lines if line.short_fill_cost is not None]
    prorated = sum((line.short_fill_cost or Decimal(0) for line in shortened), Decimal(0))
    usual = sum((line.full_fill_cost for line in shortened), Decimal(0))
    return CostEstimate(money(prorated, patient.language), money(usual, patient.language))
