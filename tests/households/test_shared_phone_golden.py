"""The shared Miller landline, played through the pure engine against reviewed transcripts:
each of them answers a check-in in one conversation, and a switch of person mid-check-in."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogs.context import PatientFacts
from dialogs.turn import Event, Start, Text
from tests.dialogs.transcript import Case, check

ANCHOR = dt.date(2026, 12, 15)
ROBERT, LINDA = 11, 12
ALL_CLEAR = {"en": ("no", "no", "no", "no", "yes"), "es": ("no", "no", "no", "no", "sí")}
SWITCH = {"en": "this is about Linda now", "es": "ahora es sobre Linda"}


def millers(language: str) -> tuple[PatientFacts, ...]:
    def enrolled(id: int, first_name: str, birth_year: int) -> PatientFacts:
        return PatientFacts(
            id=id,
            first_name=first_name,
            language=language,
            birth_year=birth_year,
            enrollment="active",
            anchor_day=15,
            next_anchor_date=ANCHOR,
        )

    return (enrolled(ROBERT, "Robert", 1944), enrolled(LINDA, "Linda", 1947))


def opens(patient_id: int) -> Event:
    return Start("check_in", {"patient_id": patient_id, "anchor_date": ANCHOR})


@pytest.mark.parametrize("language", ["en", "es"])
def test_each_of_the_millers_answers_a_check_in(language: str) -> None:
    answers = [Text(t) for t in ALL_CLEAR[language]]
    case = Case(
        "shared_phone_check_ins",
        [opens(ROBERT), opens(LINDA), *answers, *answers],
        patients=millers(language),
        note="Linda's check-in waits for Robert's, then follows in the same conversation",
    )
    check(case, language)


@pytest.mark.parametrize("language", ["en", "es"])
def test_switching_person_mid_check_in(language: str) -> None:
    answers = [Text(t) for t in ALL_CLEAR[language]]
    case = Case(
        "shared_phone_switch",
        [opens(ROBERT), opens(LINDA), answers[0], Text(SWITCH[language]), *answers, *answers[1:]],
        patients=millers(language),
        note="Robert's open question waits while Linda answers hers",
    )
    check(case, language)
