"""Every dialog, played start to finish in English and Spanish, against reviewed transcripts."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogs.context import PatientFacts
from dialogs.turn import Digits, Event, Start, Text, Timeout
from tests.dialogs.transcript import Case, check, patient

ANCHOR = dt.date(2026, 12, 15)
LANGUAGES = ["en", "es"]


def texts(*bodies: str) -> list[Event]:
    return [Text(b) for b in bodies]


def open_check_in() -> Event:
    return Start("check_in", {"patient_id": 1, "anchor_date": ANCHOR})


ENROLLED = {"enrollment": "pending_review", "anchor_day": 15, "next_anchor_date": ANCHOR}

CASES: dict[str, dict[str, Case]] = {
    "enroll_and_choose_day": {
        "en": Case("", texts("Hi", "yes", "the 12th"), note="offer, consent, a typed day"),
        "es": Case("", texts("Hola", "Sí", "el 12"), note="offer, consent, a typed day"),
    },
    "enroll_accept_suggested_day": {
        "en": Case("", texts("hello", "YES!", "ok")),
        "es": Case("", texts("buenas", "si", "vale")),
    },
    "enroll_declined": {
        "en": Case("", texts("hi", "no thanks")),
        "es": Case("", texts("hola", "no gracias")),
    },
    "enroll_unclear_twice": {
        "en": Case("", texts("hi", "maybe later?", "🤷‍♀️"), note="re-asked once, then staff call"),
        "es": Case("", texts("hola", "tal vez", "🤷‍♀️"), note="re-asked once, then staff call"),
    },
    "anchor_day_forms": {
        "en": Case(
            "", texts("31", "when is good?", "fifteenth"), note="out of range, unclear, words"
        ),
        "es": Case("", texts("31", "cuándo?", "quince"), note="out of range, unclear, words"),
    },
    "check_in_all_clear": {
        "en": Case("", [open_check_in(), *texts("no", "No.", "nope", "no", "yes")]),
        "es": Case("", [open_check_in(), *texts("no", "No.", "nada", "no", "sí")]),
    },
    "check_in_flagged": {
        "en": Case(
            "",
            [
                open_check_in(),
                *texts("yes", "no", "Yes, a few", "I get dizzy in the mornings", "20"),
            ],
        ),
        "es": Case(
            "",
            [
                open_check_in(),
                *texts("sí", "no", "sí, algunas", "Me mareo por las mañanas", "el 20"),
            ],
        ),
    },
    "check_in_by_keypad": {
        "en": Case(
            "", [open_check_in(), Digits("2"), Digits("2"), Digits("1"), Text("no"), Digits("1")]
        ),
        "es": Case(
            "", [open_check_in(), Digits("2"), Digits("2"), Digits("1"), Text("no"), Digits("1")]
        ),
    },
    "check_in_unclear_twice": {
        "en": Case("", [open_check_in(), *texts("what?", "12345")]),
        "es": Case("", [open_check_in(), *texts("¿qué?", "12345")]),
    },
    "check_in_follow_up": {
        "en": Case(
            "", [open_check_in(), Text("no"), Timeout(), Text("no")], note="48 h without an answer"
        ),
        "es": Case(
            "", [open_check_in(), Text("no"), Timeout(), Text("no")], note="48 h sin respuesta"
        ),
    },
    "help_and_pharmacist_mid_check_in": {
        "en": Case("", [open_check_in(), *texts("HELP", "no", "pharmacist", "no")]),
        "es": Case("", [open_check_in(), *texts("AYUDA", "no", "farmacéutico", "no")]),
    },
    "stop_then_start": {
        "en": Case("", texts("hi", "STOP", " stop. ", "hello? is anyone there", "yes", "START")),
        "es": Case("", texts("hola", "ALTO", "Stop", "¿hola? hay alguien", "sí", "START")),
    },
    "stop_mid_check_in": {
        "en": Case("", [open_check_in(), *texts("yes", "Unsubscribe")]),
        "es": Case("", [open_check_in(), *texts("sí", "parar")]),
    },
    "language_change": {
        "en": Case("", texts("hi", "Español", "sí")),
        "es": Case("", texts("hola", "English", "yes")),
    },
    "empty_and_media": {
        "en": Case("", [Text(""), Text("", num_media=1), Text("yes")]),
        "es": Case("", [Text(""), Text("", num_media=1), Text("sí")]),
    },
    "possible_opt_out": {
        "en": Case("", texts("please stop texting me")),
        "es": Case("", texts("por favor no me escriban más")),
    },
    "enrolled_patient_writes": {
        "en": Case("", texts("thanks!", "Can I come on the 18th instead?")),
        "es": Case("", texts("gracias", "¿Puedo ir el 18 mejor?")),
    },
}

# Conversations whose patient has already chosen a day start from that context.
PRE_ENROLLED = {
    "check_in_all_clear",
    "check_in_flagged",
    "check_in_follow_up",
    "check_in_by_keypad",
    "check_in_unclear_twice",
    "help_and_pharmacist_mid_check_in",
    "stop_mid_check_in",
    "enrolled_patient_writes",
}
CONSENTED = {"anchor_day_forms"}


def build(name: str, language: str) -> Case:
    case = CASES[name][language]
    case.name = name
    overrides: dict[str, object] = {"proposed_anchor_day": 10}
    if name in PRE_ENROLLED:
        overrides |= ENROLLED
        if name == "enrolled_patient_writes":
            overrides |= {"enrollment": "active"}
    if name in CONSENTED:
        overrides |= {"enrollment": "consented"}
    case.patients = (patient(language, **overrides),)
    if name in CONSENTED:  # the patient said yes and was asked for a day
        case.state = {"version": 1, "dialog": "anchor", "step": "day", "subject": 1}
    return case


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str, language: str) -> None:
    check(build(name, language), language)


def _millers(language: str) -> tuple[PatientFacts, ...]:
    return (
        PatientFacts(id=11, first_name="Robert", language=language, birth_year=1944),
        PatientFacts(id=12, first_name="Linda", language=language, birth_year=1947),
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_golden_shared_phone(language: str) -> None:
    words = {"en": ("hi", "it's for Linda", "yes"), "es": ("hola", "es para Linda", "sí")}[language]
    case = Case(
        "shared_phone",
        texts(*words),
        patients=_millers(language),
        note="one landline, two patients",
    )
    check(case, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_golden_unknown_number(language: str) -> None:
    case = Case("unknown_number", texts("hola" if language == "es" else "hello", "who is this"))
    check(case, language)
