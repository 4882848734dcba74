"""The new kinds in the check-in dialog itself: numbers, choices, and their flag rules."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.languages.catalogs import vocabulary_for
from dialogs import check_in
from dialogs.assessment import Assessment, Choice, Question
from dialogs.context import Context, PatientFacts
from dialogs.state import State
from dialogs.turn import Ask, Digits, Event, SaveCheckIn, Text, Turn

PICKUP = dt.date(2026, 12, 15)
TWO = (("en", "Two"), ("es", "Dos"))
DEFINITION = Assessment(
    "survey",
    3,
    (
        Question(
            "sleep",
            "number",
            "Hours of sleep?",
            flag="below",
            flag_limit=5,
            flag_reason="sleeps little",
            texts=(("en", "Hours of sleep?"), ("es", "¿Horas de sueño?")),
            minimum=0,
            maximum=24,
        ),
        Question(
            "pick",
            "choice",
            "Pick one",
            flag="answer",
            flag_answers=("two",),
            flag_reason="picked two",
            texts=(("en", "Pick one"), ("es", "Elija uno")),
            choices=(Choice("one", (("en", "One"), ("es", "Uno"))), Choice("two", TWO)),
        ),
        Question(
            "ok",
            "yes_no",
            "All fine?",
            flag="no",
            flag_reason="not fine",
            texts=(("en", "All fine?"), ("es", "¿Todo bien?")),
        ),
    ),
)


def context(
    languages: tuple[tuple[str, str], ...] = (("en", "English"), ("es", "Español")),
) -> Context:
    return Context(
        today=dt.date(2026, 12, 9),
        pharmacy_name="Main Street Pharmacy",
        pharmacy_phone="(212) 555-0199",
        patients=(PatientFacts(1, "José", language="es-MX"),),
        vocab=vocabulary_for("es"),
        check_in=DEFINITION,
        languages=languages,
    )


def walk(*events: Event, ctx: Context | None = None) -> Turn:
    ctx = ctx or context()
    turn = check_in.start(State(), ctx, ctx.patients[0], PICKUP)
    for event in events:
        turn = check_in.answer(turn.state, event, ctx, ctx.patients[0])
    return turn


def saved(turn: Turn) -> SaveCheckIn:
    return next(e for e in turn.effects if isinstance(e, SaveCheckIn))


def test_questions_and_choices_are_asked_in_the_patients_language() -> None:
    first = walk().replies[-1]
    assert isinstance(first, Ask) and (first.msgid, first.expects) == ("¿Horas de sueño?", "number")
    choice = walk(Text("8")).replies[-1]
    assert isinstance(choice, Ask)
    assert (choice.msgid, choice.expects, choice.choices) == ("Elija uno", "option", ("Uno", "Dos"))
    assert choice.params["options"] == ("Uno", "Dos")


def test_english_when_the_pharmacy_does_not_offer_the_patients_language() -> None:
    first = walk(ctx=context(languages=(("en", "English"),))).replies[-1]
    assert first.msgid == "Hours of sleep?"


@pytest.mark.parametrize(
    ("events", "answers", "flags"),
    [
        ((Text("8"), Text("Uno"), Text("sí")), {"sleep": 8, "pick": "one", "ok": "yes"}, ()),
        (
            (Digits("4"), Digits("2"), Digits("2")),
            {"sleep": 4, "pick": "two", "ok": "no"},
            ("sleep", "pick", "ok"),
        ),
        ((Text("5"), Text("two"), Text("si")), {"sleep": 5, "pick": "two", "ok": "yes"}, ("pick",)),
        ((Text("6"), Text("2"), Text("sí")), {"sleep": 6, "pick": "two", "ok": "yes"}, ("pick",)),
    ],
)
def test_answers_and_flag_rules(
    events: tuple[Event, ...], answers: dict[str, object], flags: tuple[str, ...]
) -> None:
    done = saved(walk(*events))
    assert done.definition == "survey@3"
    assert dict(done.answers) == answers
    assert done.flags == flags
    assert done.status == ("flagged" if flags else "ready")


@pytest.mark.parametrize("event", [Text("25"), Text("muchas"), Digits("*")])
def test_a_number_outside_its_range_or_no_number_is_asked_again(event: Event) -> None:
    turn = walk(event)
    assert turn.state.step == "sleep"
    assert turn.replies[-1].msgid == "¿Horas de sueño?"


@pytest.mark.parametrize("event", [Text("3"), Text("tres"), Text("maybe"), Digits("3")])
def test_a_choice_that_is_not_offered_is_asked_again(event: Event) -> None:
    turn = walk(Text("8"), event)
    assert turn.state.step == "pick"
