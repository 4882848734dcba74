"""Shared phones in the pure engine: who a message is about (first name, then year of
birth), switching person on request, and check-ins of several people in one conversation."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.channels.sms_text import compose
from bot.languages import catalogs as i18n
from dialogs import engine, prompts, who
from dialogs.context import Context, PatientFacts
from dialogs.state import State, load
from dialogs.turn import Ask, Digits, OpenReviewItem, RecordConsent, Say, Start, Text, Turn

ANCHOR = dt.date(2026, 12, 15)


def person(id: int, first_name: str, year: int, language: str = "en") -> PatientFacts:
    return PatientFacts(
        id=id,
        first_name=first_name,
        language=language,
        birth_year=year,
        enrollment="active",
        anchor_day=15,
        next_anchor_date=ANCHOR,
    )


ROBERT, LINDA, ROBERT_JR = (
    person(11, "Robert", 1944),
    person(12, "Linda", 1947),
    person(13, "Robert", 1970),
)


def ctx(*patients: PatientFacts, language: str = "en") -> Context:
    return Context(
        today=dt.date(2026, 11, 29),
        pharmacy_name="Main Street Pharmacy",
        pharmacy_phone="(212) 555-0199",
        patients=patients,
        vocab=i18n.vocabulary_for(language),
    )


def text_of(turn: Turn, language: str = "en") -> str:
    return compose(turn.replies, language)


def saved(turn: Turn) -> State:
    """The state as the store keeps it between messages."""
    return load(turn.state.to_json())


def open_check_in(state: State, patient: PatientFacts, c: Context) -> Turn:
    return engine.step(
        state, Start("check_in", {"patient_id": patient.id, "anchor_date": ANCHOR}), c
    )


# ------------------------------------------------------------------ who it is about


def test_names_are_offered_alone_when_they_differ() -> None:
    asked = engine.step(State(), Text("hi"), ctx(ROBERT, LINDA))
    assert "Who is this about: Robert or Linda?" in text_of(asked)
    assert "1944" not in text_of(asked)


def test_a_shared_first_name_is_offered_with_the_year_of_birth() -> None:
    c = ctx(ROBERT, ROBERT_JR, LINDA)
    asked = engine.step(State(), Text("hi"), c)
    assert "Robert (1944), Robert (1970), or Linda" in text_of(asked)
    ask = asked.replies[0]
    assert isinstance(ask, Ask) and ask.choices == ("Robert (1944)", "Robert (1970)", "Linda")


@pytest.mark.parametrize(
    ("said", "subject"),
    [("Robert 1970", 13), ("it's for Robert, born 1944", 11), ("1970", 13), ("Linda", 12)],
)
def test_a_name_with_a_year_is_chosen_at_once(said: str, subject: int) -> None:
    c = ctx(ROBERT, ROBERT_JR, LINDA)
    asked = engine.step(State(), Text("hi"), c)
    answered = engine.step(saved(asked), Text(said), c)
    assert answered.state.subject == subject


def test_a_shared_first_name_alone_asks_for_the_year_then_takes_it() -> None:
    c = ctx(ROBERT, ROBERT_JR, LINDA)
    state = saved(engine.step(State(), Text("hi"), c))
    year_asked = engine.step(state, Text("Robert"), c)
    assert year_asked.state.subject is None
    assert year_asked.replies == (
        Say(prompts.WHO_ASK_YEAR, {"first_name": "Robert", "years": ("1944", "1970")}),
    )
    assert "Please reply with the year of birth: 1944 or 1970." in text_of(year_asked)
    chosen = engine.step(saved(year_asked), Text("1970"), c)
    assert chosen.state.subject == ROBERT_JR.id
    assert chosen.state.dialog is None


def test_the_year_question_is_asked_in_spanish() -> None:
    es = [person(21, "José", 1950, "es"), person(22, "José", 1980, "es")]
    c = ctx(*es, language="es")
    state = saved(engine.step(State(), Text("hola"), c))
    year_asked = engine.step(state, Text("es para José"), c)
    assert "responda con el año de nacimiento: 1950 o 1980" in text_of(year_asked, "es")


def test_the_year_question_answered_unclearly_twice_goes_to_staff() -> None:
    c = ctx(ROBERT, ROBERT_JR)
    state = saved(engine.step(State(), Text("hi"), c))
    state = saved(engine.step(state, Text("Robert"), c))
    again = engine.step(state, Text("Robert"), c)
    assert isinstance(again.replies[0], Say) and again.replies[0].msgid == prompts.JUST_TO_BE_SURE
    gave_up = engine.step(saved(again), Text("Robert!"), c)
    assert [e.kind for e in gave_up.effects if isinstance(e, OpenReviewItem)] == ["call_back"]
    assert len(gave_up.effects) == 1


def test_keypad_position_chooses_between_namesakes() -> None:
    c = ctx(ROBERT, ROBERT_JR)
    state = saved(engine.step(State(), Text("hi"), c))
    assert engine.step(state, Digits("2"), c).state.subject == ROBERT_JR.id


# ------------------------------------------------------------------ switching person


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("this is about Linda now", "en"),
        ("This is for Linda.", "en"),
        ("it's about Linda", "en"),
        ("now it's for Linda", "en"),
        ("es sobre Linda", "es"),
        ("ahora es sobre Linda", "es"),
        ("Es para Linda ahora", "es"),
        ("soy Linda", "es"),
    ],
)
def test_switch_phrases_name_the_other_person(text: str, language: str) -> None:
    assert who.switch(text, ctx(ROBERT, LINDA, language=language), ROBERT.id) == LINDA


@pytest.mark.parametrize(
    "text",
    [
        "I'm worried about Linda",  # a message for the pharmacist, not a switch
        "Linda has been dizzy",
        "this is about Robert",  # already about Robert
        "this is about Susan",  # nobody here
        "no",
    ],
)
def test_other_messages_do_not_switch(text: str) -> None:
    assert who.switch(text, ctx(ROBERT, LINDA), ROBERT.id) is None


def test_no_switch_on_a_phone_of_one() -> None:
    assert who.switch("this is about Linda", ctx(LINDA), LINDA.id) is None


def test_switching_when_idle_answers_for_the_new_person() -> None:
    c = ctx(ROBERT, LINDA)
    turn = engine.step(State(subject=ROBERT.id), Text("this is about Linda now"), c)
    assert turn.state.subject == LINDA.id
    assert "Your next pickup is" in text_of(turn)


def test_a_switched_away_check_in_is_resumed_after_the_other_one() -> None:
    c = ctx(ROBERT, LINDA)
    state = saved(open_check_in(State(), ROBERT, c))
    state = saved(engine.step(state, Text("no"), c))  # Robert: no hospital stay
    switched = engine.step(state, Text("this is about Linda now"), c)
    assert switched.state.subject == LINDA.id
    assert switched.state.dialog is None  # Linda has no check-in open: her status
    back = engine.step(saved(switched), Text("this is about Robert now"), c)
    assert back.state.subject == ROBERT.id
    assert back.state.step == "changes"  # Robert's answers so far are kept
    assert dict(back.state.data)["answers"] == {"hospital": "no"}
    assert "still needs a few answers" in text_of(back)


# ------------------------------------------------------------------ several check-ins


def test_a_second_check_in_waits_silently_and_only_once() -> None:
    c = ctx(ROBERT, LINDA)
    state = saved(open_check_in(State(), ROBERT, c))
    queued = open_check_in(state, LINDA, c)
    assert queued.replies == () and queued.effects == ()
    assert queued.state.subject == ROBERT.id and queued.state.step == state.step
    twice = open_check_in(saved(queued), LINDA, c)
    assert len(twice.state.data[engine.QUEUE]) == 1


def test_stop_on_a_shared_phone_drops_the_waiting_check_in() -> None:
    c = ctx(ROBERT, LINDA)
    state = saved(open_check_in(saved(open_check_in(State(), ROBERT, c)), LINDA, c))
    stopped = engine.step(state, Text("STOP"), c)
    assert {e.patient_id for e in stopped.effects if isinstance(e, RecordConsent)} == {11, 12}
    assert len(stopped.replies) == 1  # the confirmation, no check-in for Linda after it
    assert engine.QUEUE not in stopped.state.data


def test_the_check_in_opener_names_only_the_first_name() -> None:
    c = ctx(ROBERT, LINDA)
    opened = open_check_in(State(), LINDA, c)
    assert text_of(opened).startswith("Hi Linda, it's Main Street Pharmacy")


def test_a_left_check_in_of_someone_who_opted_out_is_not_resumed() -> None:
    c = ctx(ROBERT, LINDA)
    state = saved(open_check_in(State(), ROBERT, c))
    switched = saved(engine.step(state, Text("this is about Linda now"), c))
    assert switched.data[engine.QUEUE][0]["resume"]["subject"] == ROBERT.id
    # Linda's next message, once hers is dealt with, brings back Robert's open question...
    assert engine.step(switched, Text("ok"), c).state.dialog == "check_in"
    # ...unless he has opted out since (by a call to the pharmacy, say).
    after = engine.step(switched, Text("ok"), ctx(replace(ROBERT, opted_out=True), LINDA))
    assert after.state.dialog is None and engine.QUEUE not in after.state.data
