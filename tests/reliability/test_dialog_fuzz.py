"""Any text, digits, speech, silence or timeout, in any dialog state and any language, never
crashes the dialog engine: every turn is a reply the patient can read or a deliberate silence.

States are reached the way real conversations reach them: from an invitation, a check-in or
nothing, through a generated sequence of events, the state saved as JSON and reloaded between
turns as the store does.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.sms_text import compose
from bot.languages import catalogs as i18n
from dialogs import engine
from dialogs.context import Context, PatientFacts
from dialogs.state import load
from dialogs.turn import (
    Digits,
    Event,
    NoInput,
    RecordConsent,
    SetEnrollment,
    SetLanguage,
    Start,
    Text,
    Timeout,
)

TODAY = dt.date(2026, 11, 29)
LANGUAGES = sorted(i18n.available_languages())
ENROLLMENTS = [None, "consented", "pending_review", "active", "declined", "disenrolled"]

# Words the parsers know, in several languages, so generated texts often hit real branches.
KNOWN_WORDS = [
    "yes", "no", "ok", "15", "31", "0", "STOP", "START", "HELP", "pharmacist", "español",
    "si", "sí", "alto", "ayuda", "thanks", "2", "1", "9", "tomorrow", "day 3", "YES!", "Nope",
]  # fmt: skip

texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(KNOWN_WORDS),
    st.lists(st.sampled_from(KNOWN_WORDS), min_size=1, max_size=3).map(" ".join),
    st.integers(-5, 400).map(str),
)
events: st.SearchStrategy[Event] = st.one_of(
    texts.map(Text),
    texts.map(lambda body: Text(body, speech=True, confidence=0.5)),
    st.text(alphabet="0123456789*#", max_size=4).map(Digits),
    st.just(NoInput()),
    st.just(Timeout()),
    st.builds(lambda n: Text("", num_media=n), st.integers(1, 3)),
)
patients = st.builds(
    PatientFacts,
    id=st.integers(1, 2),
    first_name=st.sampled_from(["Margaret", "José", "Wei"]),
    language=st.sampled_from(LANGUAGES),
    birth_year=st.none() | st.integers(1930, 2010),
    opted_out=st.booleans(),
    enrollment=st.sampled_from(ENROLLMENTS),
    anchor_day=st.none() | st.integers(1, 28),
    next_anchor_date=st.none() | st.dates(TODAY, TODAY + dt.timedelta(days=60)),
    proposed_anchor_day=st.integers(1, 28),
    eligible=st.booleans(),
    language_confirmed=st.booleans(),
)
phones = st.lists(patients, max_size=2, unique_by=lambda p: p.id).map(tuple)
starts = st.sampled_from(["nothing", "enrollment", "check_in"])


def _context(people: tuple[PatientFacts, ...], language: str) -> Context:
    return Context(
        today=TODAY,
        pharmacy_name="Main Street Pharmacy",
        pharmacy_phone="(212) 555-0199",
        patients=people,
        vocab=i18n.vocabulary_for(language),
        languages=i18n.offered_languages(),
    )


def _after(
    people: tuple[PatientFacts, ...], effects: tuple[object, ...]
) -> tuple[PatientFacts, ...]:
    """What the runtime would store: opt-outs, languages and enrollments change the facts."""
    out = list(people)
    for i, p in enumerate(out):
        for effect in effects:
            if getattr(effect, "patient_id", None) != p.id:
                continue
            if isinstance(effect, SetLanguage):
                p = replace(p, language=effect.language, language_confirmed=True)
            elif isinstance(effect, RecordConsent) and effect.kind in {"opt_out", "opt_in"}:
                p = replace(p, opted_out=effect.kind == "opt_out")
            elif isinstance(effect, SetEnrollment):
                p = replace(p, enrollment=effect.status, anchor_day=effect.anchor_day)
        out[i] = p
    return tuple(out)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=phones, start=starts, sequence=st.lists(events, min_size=1, max_size=6))
def test_any_event_in_any_state_answers_or_is_deliberately_silent(
    people: tuple[PatientFacts, ...], start: str, sequence: list[Event]
) -> None:
    stored: dict[str, object] = {}
    if people and start != "nothing":
        params: dict[str, object] = {"patient_id": people[0].id}
        if start == "check_in":
            params["anchor_date"] = TODAY + dt.timedelta(days=5)
        sequence = [Start(start, params), *sequence]
    for event in sequence:
        was_opted_out = any(p.opted_out for p in people)
        state = load(stored)
        subject = next((p for p in people if p.id == state.subject), people[0] if people else None)
        language = i18n.served_language(subject.language) if subject else "en"
        turn = engine.step(state, event, _context(people, language))
        people = _after(people, turn.effects)
        stored = json.loads(json.dumps(turn.state.to_json()))  # it must survive the store
        subject = next((p for p in people if p.id == turn.state.subject), subject)
        language = i18n.served_language(subject.language) if subject else "en"
        body = compose(turn.replies, language, automated=isinstance(event, Start | Timeout))
        assert bool(body.strip()) == bool(turn.replies)
        patient_spoke = isinstance(event, Text | Digits | NoInput)
        anyone_opted_out = any(p.opted_out for p in people)
        if patient_spoke and not anyone_opted_out:
            assert turn.replies, f"no answer to {event!r} in {state!r}"
        if patient_spoke and was_opted_out and anyone_opted_out:
            # After STOP nothing is sent until the patient opts back in (TCPA, CTIA).
            assert not turn.replies, f"{turn.replies!r} sent to an opted-out phone"
