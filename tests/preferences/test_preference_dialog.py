"""The preference questions and the cost disclosure as pure dialogs: golden transcripts in
English and Spanish, and the rules in units (skippable, asked once, landlines, mid-check-in)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.languages import catalogs as i18n
from dialogs import engine, preferences, prompts
from dialogs.context import Context, CostEstimate, PatientFacts
from dialogs.parse import normalize
from dialogs.state import State, load
from dialogs.turn import (
    Ask,
    Digits,
    Event,
    OpenReviewItem,
    RecordConsent,
    Say,
    SetPreference,
    Start,
    Text,
    Turn,
)
from tests.dialogs.transcript import TODAY, Case, check, patient

ANCHOR = dt.date(2026, 12, 15)
ACTIVE = {"enrollment": "active", "anchor_day": 15, "next_anchor_date": ANCHOR}
CHOOSING = {"version": 1, "dialog": "anchor", "step": "day", "subject": 1}
ESTIMATE = {12: CostEstimate("$18.40", "$30.00")}


def texts(*bodies: str) -> list[Event]:
    return [Text(b) for b in bodies]


def open_check_in() -> Event:
    return Start("check_in", {"patient_id": 1, "anchor_date": ANCHOR})


SAID = {
    "en": {
        "day": "the 12th",
        "settings": "SETTINGS",
        "evening": "evening",
        "deliver": "deliver please",
        "call": "call me instead",
        "skip": "skip",
    },
    "es": {
        "day": "el 12",
        "settings": "AJUSTES",
        "evening": "por la noche",
        "deliver": "entrega a domicilio",
        "call": "prefiero llamadas",
        "skip": "saltar",
    },
}


OWN_WORDS = {
    "en": [
        "SETTINGS",
        "my daughter picks them up",
        "texts are fine",
        "after 5",
        "only the first letter?",
        "no, don't name them",
    ],
    "es": [
        "AJUSTES",
        "mi hija los recoge",
        "los mensajes están bien",
        "después de las 6",
        "¿solo la primera letra?",
        "no, no los nombren",
    ],
}


def cases(language: str) -> dict[str, Case]:
    s = SAID[language]
    yes = "yes" if language == "en" else "sí"
    return {
        "preferences_at_enrollment": Case(
            "preferences_at_enrollment",
            texts(s["day"], yes, "no", "2", s["skip"]),
            patients=(patient(language, enrollment="consented", cost_estimates=ESTIMATE),),
            state=dict(CHOOSING),
            note="the day, the cost estimate, then delivery yes, texts, afternoon, skip",
        ),
        "preferences_by_keyword": Case(
            "preferences_by_keyword",
            texts(s["settings"], "no", yes, s["evening"], yes),
            patients=(patient(language, preferences_asked=True, **ACTIVE),),
            note="the keyword asks again; detailed messages on is a consent",
        ),
        "preferences_in_plain_words": Case(
            "preferences_in_plain_words",
            texts(s["deliver"], s["call"]),
            patients=(patient(language, preferences_asked=True, **ACTIVE),),
            note="a whole message changes one preference",
        ),
        "preferences_in_own_words": Case(
            "preferences_in_own_words",
            texts(*OWN_WORDS[language]),
            patients=(patient(language, preferences_asked=True, **ACTIVE),),
            note="answers in the patient's words: someone picks up, texts are fine (a yes "
            "word beside texts keeps texts), an evening hour, a question back and a hedge "
            "on detailed messages asked again, then a clear no",
        ),
        "check_in_delivery_address": Case(
            "check_in_delivery_address",
            [open_check_in(), *texts("no", "no", "no", "no", yes, "no")],
            patients=(patient(language, preferences_asked=True, delivery=True, **ACTIVE),),
            note="delivery: the address on file is confirmed without writing it",
        ),
    }


NAMES = sorted(cases("en"))


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("name", NAMES)
def test_golden(name: str, language: str) -> None:
    check(cases(language)[name], language)


# ------------------------------------------------------------------ units


def ctx_for(*patients: PatientFacts, language: str = "en") -> Context:
    return Context(
        today=TODAY,
        pharmacy_name="Main Street Pharmacy",
        pharmacy_phone="(212) 555-0199",
        patients=patients,
        vocab=i18n.vocabulary_for(language),
    )


def say(turn: Turn) -> list[str]:
    return [r.msgid for r in turn.replies]


def test_the_estimate_is_told_after_the_day_is_chosen() -> None:
    p = patient("en", enrollment="consented", cost_estimates=ESTIMATE)
    turn = engine.step(load(CHOOSING), Text("12"), ctx_for(p))
    [cost] = [r for r in turn.replies if r.msgid == prompts.COST_ESTIMATE]
    assert cost.params == {"date": dt.date(2026, 12, 12), "prorated": "$18.40", "usual": "$30.00"}
    rendered = i18n.render(cost, "en")
    assert "Saturday, December 12, 2026" in rendered and "$18.40" in rendered
    assert "$30.00" in rendered


def test_no_estimate_for_the_day_tells_it_in_general_and_no_short_fill_says_nothing() -> None:
    p = patient("en", enrollment="consented", cost_estimates=ESTIMATE)
    other_day = engine.step(load(CHOOSING), Text("20"), ctx_for(p))
    assert prompts.COST_GENERAL in say(other_day)
    same = replace(p, cost_estimates={20: CostEstimate("$0.00", "$0.00")})
    nothing = engine.step(load(CHOOSING), Text("20"), ctx_for(same))
    assert prompts.COST_GENERAL not in say(nothing)
    assert prompts.COST_ESTIMATE not in say(nothing)


def test_the_questions_are_asked_once() -> None:
    p = patient("en", enrollment="consented", preferences_asked=True)
    turn = engine.step(load(CHOOSING), Text("12"), ctx_for(p))
    assert turn.state.dialog is None
    assert prompts.PREFS_INTRO not in say(turn)
    assert not any(isinstance(e, SetPreference) for e in turn.effects)


def test_an_unclear_answer_is_asked_again_once_then_skipped_without_calling_staff() -> None:
    p = patient("en", preferences_asked=True, **ACTIVE)
    ctx = ctx_for(p)
    state = preferences.start(State(subject=1), ctx, p).state
    once = engine.step(state, Text("hmm"), ctx)
    assert say(once) == [prompts.JUST_TO_BE_SURE, prompts.PREF_ASK_DELIVERY]
    twice = engine.step(once.state, Text("what?"), ctx)
    assert say(twice) == [prompts.PREF_ASK_CHANNEL]
    assert twice.effects == ()
    assert not any(isinstance(e, OpenReviewItem) for e in twice.effects)


def test_a_landline_is_not_asked_texts_or_calls_and_keeps_its_calls() -> None:
    p = patient("en", preferences_asked=True, can_text=False, **ACTIVE)
    ctx = ctx_for(p)
    turn = engine.step(State(subject=1), Text("settings"), ctx)
    assert say(turn) == [prompts.PREFS_MENU_INTRO, prompts.PREF_ASK_DELIVERY]
    after = engine.step(turn.state, Digits("2"), ctx)
    assert say(after) == [prompts.PREF_ASK_TIME]  # no channel question
    kept = engine.step(State(subject=1), Text("text me instead"), ctx)
    assert say(kept) == [prompts.PREF_CHANNEL_LANDLINE]
    assert kept.effects == ()


def test_the_keypad_answers_every_question() -> None:
    p = patient("en", preferences_asked=True, **ACTIVE)
    ctx = ctx_for(p)
    turn = engine.step(State(subject=1), Start("preferences", {"patient_id": 1}), ctx)
    effects = []
    for key in ("1", "1", "3", "2"):
        turn = engine.step(turn.state, Digits(key), ctx)
        effects += list(turn.effects)
    assert [(e.name, e.value) for e in effects if isinstance(e, SetPreference)] == [
        ("delivery", "yes"),
        ("channel", "call"),
        ("time", "evening"),
    ]
    [consent] = [e for e in effects if isinstance(e, RecordConsent)]
    assert (consent.kind, consent.wording) == ("detailed_messages_off", "keypad 2")
    assert say(turn) == [prompts.PREFS_SAVED]
    assert turn.state.dialog is None


def test_settings_in_the_middle_of_a_check_in_comes_back_to_its_question() -> None:
    p = patient("en", preferences_asked=True, **ACTIVE)
    ctx = ctx_for(p)
    check_in = engine.step(State(), open_check_in(), ctx)
    menu = engine.step(check_in.state, Text("preferences"), ctx)
    assert menu.state.dialog == "preferences"
    turn = menu
    for answer in ("skip", "skip", "skip", "skip"):
        turn = engine.step(turn.state, Text(answer), ctx)
    assert turn.state.dialog == "check_in"
    assert turn.replies[-1].msgid == prompts.Q_HOSPITAL
    assert prompts.PREFS_SAVED in say(turn)


def test_plain_words_change_a_preference_and_the_open_question_is_asked_again() -> None:
    p = patient("en", preferences_asked=True, **ACTIVE)
    ctx = ctx_for(p)
    check_in = engine.step(State(), open_check_in(), ctx)
    turn = engine.step(check_in.state, Text("Call me instead."), ctx)
    assert say(turn) == [prompts.PREF_CHANNEL_CALL, prompts.Q_HOSPITAL]
    assert turn.effects == (SetPreference(1, "channel", "call"),)
    # "call me" alone still asks for a pharmacist
    pharmacist = engine.step(check_in.state, Text("call me"), ctx)
    assert prompts.PHARMACIST_CALLBACK in say(pharmacist)


def test_switching_person_leaves_the_optional_questions() -> None:
    robert = PatientFacts(id=1, first_name="Robert", enrollment="consented", birth_year=1944)
    linda = PatientFacts(id=2, first_name="Linda", birth_year=1947)
    ctx = ctx_for(robert, linda)
    chosen = engine.step(load(CHOOSING), Text("15"), ctx)
    assert chosen.state.dialog == "preferences"
    switched = engine.step(chosen.state, Text("this is about Linda now"), ctx)
    assert switched.state.subject == 2
    assert "waiting" not in switched.state.data


@pytest.mark.parametrize("language", [tag for tag in i18n.registry()])
def test_every_language_has_the_words_and_its_keyword_in_the_closing_sentence(
    language: str,
) -> None:
    vocab = i18n.all_vocabularies()[language]
    values = set(vocab.preferences.values())
    assert {"menu", "skip", "delivery=yes", "delivery=no", "channel=call", "channel=text"} <= values
    assert {"time=morning", "time=afternoon", "time=evening"} <= values
    closing = i18n.render(Say(prompts.PREFS_SAVED, {"pharmacy_phone": "(212) 555-0199"}), language)
    menu_words = [w for w, v in i18n.vocabulary_for(language).preferences.items() if v == "menu"]
    assert any(w in normalize(closing) for w in menu_words), closing


def test_no_preference_sentence_names_a_drug_or_a_condition() -> None:
    sentences = [
        getattr(prompts, n) for n in dir(prompts) if n.startswith(("PREF", "COST", "CHECK_IN_DEL"))
    ]
    for text in sentences:
        assert "%(medicines)s" not in text
    assert "%(medicines)s" in prompts.PICKUP_REMINDER_DETAILED  # only for opted-in patients


def test_asks_are_channel_neutral() -> None:
    for ask in preferences._ASKS.values():
        assert isinstance(ask, Ask)
        assert "Reply" not in ask.msgid and "press" not in ask.msgid
