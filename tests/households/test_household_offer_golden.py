"""The household offer on the Miller landline, through the pure engine against reviewed
transcripts: Robert already picks up on the 20th; Linda joins med sync and is asked whether
they would like to pick up together (yes: the 20th is suggested; no: her own plan's day)."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogs.context import PatientFacts
from dialogs.turn import Text
from tests.dialogs.transcript import Case, check

ROBERT, LINDA = 11, 12
WORDS = {
    "en": {"hi": "hi", "linda": "it's for Linda", "yes": "yes", "no": "no", "ok": "ok"},
    "es": {"hi": "hola", "linda": "es para Linda", "yes": "sí", "no": "no", "ok": "ok"},
}


def millers(language: str) -> tuple[PatientFacts, ...]:
    robert = PatientFacts(
        id=ROBERT,
        first_name="Robert",
        language=language,
        birth_year=1944,
        enrollment="active",
        anchor_day=20,
        next_anchor_date=dt.date(2026, 12, 20),
    )
    linda = PatientFacts(id=LINDA, first_name="Linda", language=language, birth_year=1947)
    return (robert, linda)


@pytest.mark.parametrize("language", ["en", "es"])
def test_linda_picks_up_with_robert(language: str) -> None:
    w = WORDS[language]
    case = Case(
        "household_offer",
        [Text(w["hi"]), Text(w["linda"]), Text(w["yes"]), Text(w["yes"]), Text(w["ok"])],
        patients=millers(language),
        note="Robert picks up on the 20th; Linda joins and says yes to picking up together",
    )
    check(case, language)


@pytest.mark.parametrize("language", ["en", "es"])
def test_linda_keeps_her_own_day(language: str) -> None:
    w = WORDS[language]
    case = Case(
        "household_offer_declined",
        [Text(w["hi"]), Text(w["linda"]), Text(w["yes"]), Text(w["no"])],
        patients=millers(language),
        note="Linda would rather not pick up with Robert: her own plan's day is suggested",
    )
    check(case, language)
