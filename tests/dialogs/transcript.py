"""Golden transcripts (after goflow's test runner): each case plays a conversation through
the pure engine, saving and reloading the state between turns, and compares the text with
tests/dialogs/golden/<case>.<lang>.txt. MEDSYNC_UPDATE_GOLDEN=1 rewrites the files after a
reviewed change.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.channels.sms_text import compose
from bot.languages import catalogs as i18n
from dialogs import engine
from dialogs.assessment import Assessment
from dialogs.caregiver import display
from dialogs.context import Context, PatientFacts
from dialogs.plan.open_days import ALWAYS_OPEN, OpenDays
from dialogs.state import load
from dialogs.turn import (
    Digits,
    Effect,
    Event,
    NoInput,
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
    Start,
    Text,
    Timeout,
    ToStaffThread,
)

GOLDEN = Path(__file__).parent / "golden"
TODAY = dt.date(2026, 11, 29)
# The patient's first name in each language's transcripts, as a US pharmacy would record it.
FIRST_NAMES = {
    "en": "Margaret",
    "es": "José",
    "zh-Hans": "Wei",
    "zh-Hant": "Mei",
    "vi": "Lan",
    "ko": "Min-jun",
    "tl": "Maria",
    "ru": "Natalia",
    "ar": "Fatima",
    "ht": "Jean",
}


@dataclass
class Case:
    name: str
    events: list[Event]
    patients: tuple[PatientFacts, ...] = ()
    today: dt.date = TODAY
    note: str = ""
    state: dict[str, object] = field(default_factory=dict)
    assessments: tuple[Assessment, ...] = ()  # a pharmacy's standalone assessments
    cared_for: tuple[int, ...] = ()  # patients reached through a caregiver's permission
    open_days: OpenDays = ALWAYS_OPEN  # the pharmacy's closed days
    facts: dict[str, object] = field(default_factory=dict)  # the patient's, over the defaults
    staff_thread: int | None = None  # the review item a pharmacist's reply opened a thread on


def patient(language: str, **overrides: object) -> PatientFacts:
    base = PatientFacts(id=1, first_name=FIRST_NAMES.get(language, "José"), language=language)
    return replace(base, **overrides)  # type: ignore[arg-type]


def describe(event: Event) -> str:
    match event:
        case Text(body=body, num_media=n):
            shown = (
                json.dumps(body, ensure_ascii=False) if body.strip() != body or not body else body
            )
            return shown + (f"  [+{n} media]" if n else "")
        case Digits(digits=d):
            return f"[keypad {d}]"
        case NoInput():
            return "[no input]"
        case Timeout():
            return "[no answer for a while]"
        case Start(dialog=d, params=params):
            shown = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in params.items()}
            return f"[start {d} {json.dumps(shown, sort_keys=True)}]"
    raise TypeError(event)


def effect_line(effect: Effect) -> str:
    match effect:
        case RecordConsent(kind=kind, wording=wording):
            return f"consent {kind}: {json.dumps(wording, ensure_ascii=False)}"
        case SetEnrollment(status=status, anchor_day=day, next_anchor_date=nxt):
            extra = f" day={day} first={nxt}" if day else ""
            return f"enrollment {status}{extra}"
        case SetLanguage(language=language, chosen=chosen):
            return f"language {language}" + ("" if chosen else " (a default: no one chose it)")
        case SaveCheckIn(status=status, answers=answers, flags=flags):
            shown = json.dumps(answers, ensure_ascii=False, sort_keys=True)
            return f"check-in {status} answers={shown} flags={list(flags)}"
        case SaveAssessment(definition=key, status=status, answers=answers, flags=flags):
            shown = json.dumps(answers, ensure_ascii=False, sort_keys=True)
            return f"assessment {key} {status} answers={shown} flags={list(flags)}"
        case OpenReviewItem(kind=kind, flagged=flagged, summary=summary, details=details):
            wrote = f" [wrote: {details['wrote']}]" if details.get("wrote") else ""
            return f"review {kind}{' (flagged)' if flagged else ''}: {summary}{wrote}"
        case SetPreference(name=name, value=value):
            return f"preference {name}={value}"
        case SetCaregiver(phone=phone, granted=granted, wording=wording, by=by):
            what = "granted" if granted else "withdrawn"
            whose = phone or ("(this phone)" if by == "caregiver" else "(every caregiver)")
            return f"caregiver {what} {whose} by {by}: {json.dumps(wording)}"
        case SetCaregiverPhone(opted_out=opted_out, wording=wording):
            return f"caregiver phone {'opted out' if opted_out else 'opted in'}: {wording}"
        case RecordServiceOffer(service=service, anchor_date=anchor, status=status):
            return f"service {service} {status} for {anchor}"
        case ToStaffThread(review_item_id=item):
            return f"to the staff thread on review item {item} (marked unread)"
    raise TypeError(effect)


def _apply(
    patients: tuple[PatientFacts, ...], effects: tuple[Effect, ...]
) -> tuple[PatientFacts, ...]:
    """What the runtime would store, as far as the next turn's context can see it."""
    out = list(patients)
    for effect in effects:
        for i, p in enumerate(out):
            if getattr(effect, "patient_id", None) != p.id:
                continue
            match effect:
                case SetEnrollment():
                    out[i] = replace(
                        p,
                        enrollment=effect.status,
                        anchor_day=effect.anchor_day or p.anchor_day,
                        next_anchor_date=effect.next_anchor_date or p.next_anchor_date,
                    )
                case SetLanguage():
                    out[i] = replace(p, language=effect.language, language_confirmed=True)
                case RecordConsent(kind="opt_out"):
                    out[i] = replace(p, opted_out=True)
                case RecordConsent(kind="opt_in"):
                    out[i] = replace(p, opted_out=False)
                case SetPreference(name="asked"):
                    out[i] = replace(p, preferences_asked=True)
                case SetPreference(name="delivery"):
                    out[i] = replace(p, delivery=effect.value == "yes")
                case SetPreference(name="channel"):
                    out[i] = replace(p, channel=effect.value)
                case SetPreference(name="time"):
                    out[i] = replace(p, time_of_day=effect.value)
                case SetCaregiver(granted=True):
                    out[i] = replace(p, caregivers=(*p.caregivers, display(effect.phone)))
                case SetCaregiver(granted=False, by="patient"):
                    out[i] = replace(p, caregivers=())
                case RecordConsent(kind="detailed_messages_on" | "detailed_messages_off"):
                    out[i] = replace(p, detailed_messages=effect.kind == "detailed_messages_on")
    return tuple(out)


def play(case: Case) -> str:
    patients = case.patients
    stored = dict(case.state)
    opted_out_phone = False
    lines = [f"# {case.name}" + (f": {case.note}" if case.note else ""), ""]
    for event in case.events:
        state = load(stored)
        subject = next(
            (p for p in patients if p.id == state.subject), patients[0] if patients else None
        )
        language = subject.language if subject else "en"
        ctx = Context(
            today=case.today,
            pharmacy_name="Main Street Pharmacy",
            pharmacy_phone="(212) 555-0199",
            patients=patients,
            vocab=i18n.vocabulary_for(language),
            languages=i18n.offered_languages(),
            assessments=case.assessments,
            cared_for=case.cared_for,
            phone_opted_out=opted_out_phone,
            open_days=case.open_days,
            staff_thread=case.staff_thread,
        )
        turn = engine.step(state, event, ctx)
        for effect in turn.effects:
            if isinstance(effect, SetCaregiverPhone):
                opted_out_phone = effect.opted_out
            if isinstance(effect, SetCaregiver) and effect.by == "caregiver":
                patients = tuple(p for p in patients if p.id != effect.patient_id)
        patients = _apply(patients, turn.effects)
        stored = json.loads(json.dumps(turn.state.to_json()))  # saved and reloaded, as in the store
        subject = next((p for p in patients if p.id == turn.state.subject), subject)
        language = subject.language if subject else "en"
        lines.append(f"patient: {describe(event)}")
        automated = isinstance(event, Start | Timeout)
        for i, reply in enumerate(turn.replies):
            last = i == len(turn.replies) - 1
            lines.append(f"bot:     {compose([reply], language, automated=automated and last)}")
        if not turn.replies:
            lines.append("bot:     (nothing)")
        for effect in turn.effects:
            lines.append(f"  effect: {effect_line(effect)}")
        where = f"{turn.state.dialog}/{turn.state.step}" if turn.state.dialog else "idle"
        lines.append(f"  state:  {where}")
        lines.append("")
    return "\n".join(lines)


def check(case: Case, language: str) -> None:
    path = GOLDEN / f"{case.name}.{language}.txt"
    actual = play(case)
    if os.environ.get("MEDSYNC_UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"golden file {path.name} is missing; run with MEDSYNC_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"transcript {path.name} differs; review and rerun with MEDSYNC_UPDATE_GOLDEN=1"
    )
