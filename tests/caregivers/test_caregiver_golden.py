"""The caregiver dialog through the pure engine, against reviewed transcripts in English and
Spanish: the patient adds a caregiver by text and takes them off again; the caregiver answers
the check-in for the patient, says REMOVE, or says STOP (which opts out only their phone)."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogs.context import PatientFacts
from dialogs.turn import Event, Start, Text
from tests.dialogs.transcript import Case, check, patient

ANCHOR = dt.date(2026, 12, 15)
WORDS = {
    "en": {
        "add": "CAREGIVER",
        "vague": "my daughter",
        "number": "her number is 617-555-0199",
        "yes": "yes",
        "remove": "REMOVE",
        "clear": ("no", "no", "no", "no", "yes"),
        "stop": "STOP",
        "later": "is this still on?",
        "start": "START",
    },
    "es": {
        "add": "CUIDADOR",
        "vague": "mi hija",
        "number": "su número es 617-555-0199",
        "yes": "sí",
        "remove": "QUITAR",
        "clear": ("no", "no", "no", "no", "sí"),
        "stop": "ALTO",
        "later": "¿sigue esto?",
        "start": "START",
    },
}


def enrolled(language: str) -> PatientFacts:
    return patient(
        language, enrollment="active", anchor_day=15, next_anchor_date=ANCHOR, birth_year=1948
    )


def texts(*bodies: str) -> list[Event]:
    return [Text(b) for b in bodies]


@pytest.mark.parametrize("language", ["en", "es"])
def test_caregiver_added_by_the_patient_then_removed(language: str) -> None:
    w = WORDS[language]
    case = Case(
        "caregiver_added_by_patient",
        texts(w["add"], w["vague"], w["number"], w["yes"], w["remove"], w["add"], "no"),
        patients=(enrolled(language),),
        note="the patient names a caregiver's phone by text, confirms, takes it back; then NO",
    )
    check(case, language)


@pytest.mark.parametrize("language", ["en", "es"])
def test_caregiver_answers_the_check_in_then_removes_themself(language: str) -> None:
    w = WORDS[language]
    me = enrolled(language)
    opens = Start("check_in", {"patient_id": me.id, "anchor_date": ANCHOR})
    case = Case(
        "caregiver_answers_check_in",
        [opens, *texts(*w["clear"]), Text(w["remove"]), Text(w["later"])],
        patients=(me,),
        cared_for=(me.id,),
        note="on the caregiver's phone: the check-in, answered for the patient; then REMOVE",
    )
    check(case, language)


@pytest.mark.parametrize("language", ["en", "es"])
def test_caregiver_stop_opts_out_only_their_phone(language: str) -> None:
    w = WORDS[language]
    case = Case(
        "caregiver_stop",
        texts(w["stop"], w["later"], w["start"]),
        patients=(enrolled(language),),
        cared_for=(1,),
        note="STOP on the caregiver's phone: no opt-out for the patient, silence until START",
    )
    check(case, language)
