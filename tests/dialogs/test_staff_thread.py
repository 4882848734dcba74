"""The engine's half of two-way threads: while a pharmacist's reply is open, a text that
answers no question goes to that item (dialogs/engine.py `_to_staff_thread`)."""

from __future__ import annotations

import datetime as dt

from bot.languages import catalogs
from dialogs import engine, prompts
from dialogs.context import Context, PatientFacts
from dialogs.state import State
from dialogs.turn import Digits, OpenReviewItem, Say, Text, ToStaffThread

MARGARET = PatientFacts(id=7, first_name="Margaret", enrollment="active", anchor_day=15)


def _ctx(*patients: PatientFacts, thread: int | None = 41) -> Context:
    return Context(
        today=dt.date(2026, 11, 29),
        pharmacy_name="Main Street Pharmacy",
        pharmacy_phone="(212) 555-0199",
        patients=patients,
        vocab=catalogs.vocabulary_for("en"),
        staff_thread=thread,
    )


def test_a_text_outside_any_question_goes_to_the_thread() -> None:
    turn = engine.step(State(), Text("I feel a bit dizzy"), _ctx(MARGARET))
    assert turn.replies == (Say(prompts.STAFF_WILL_READ),)
    assert turn.effects == (ToStaffThread(41, 7),)


def test_without_a_thread_the_same_text_opens_an_item() -> None:
    turn = engine.step(State(), Text("I feel a bit dizzy"), _ctx(MARGARET, thread=None))
    assert [type(e) for e in turn.effects] == [OpenReviewItem]


def test_an_unknown_number_a_pharmacist_answered_reaches_the_thread() -> None:
    turn = engine.step(State(), Text("who is this?"), _ctx())
    assert turn.effects == (ToStaffThread(41, None),)
    unknown = engine.step(State(), Text("who is this?"), _ctx(thread=None))
    assert [e.kind for e in unknown.effects if isinstance(e, OpenReviewItem)] == ["unknown_sender"]


def test_keypad_speech_and_stop_are_not_taken_by_the_thread() -> None:
    stop = engine.step(State(), Text("STOP"), _ctx(MARGARET))
    assert not any(isinstance(e, ToStaffThread) for e in stop.effects)
    keys = engine.step(State(), Digits("5"), _ctx(MARGARET))
    assert not any(isinstance(e, ToStaffThread) for e in keys.effects)
    said = engine.step(State(), Text("I feel dizzy", speech=True), _ctx(MARGARET))
    assert not any(isinstance(e, ToStaffThread) for e in said.effects)  # a call keeps to itself
