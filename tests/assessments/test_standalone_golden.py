"""Golden transcripts of standalone assessments (tests/dialogs/golden/standalone_*), in
English and Spanish: a flu-shot offer, a side-effect survey with a choice and a number,
one sent while a check-in was waiting (it waits its turn), a check-in opened while one
waited for an answer (the check-in goes first, the assessment resumes), and STOP in the
middle."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogs.assessment_file import load_standalone
from dialogs.turn import Digits, Event, Start, Text
from tests.assessments.samples import FLU_OFFER, SIDE_EFFECTS
from tests.dialogs.transcript import Case, check, patient

ANCHOR = dt.date(2026, 12, 15)
ENROLLED = {"enrollment": "active", "anchor_day": 15, "next_anchor_date": ANCHOR}
DEFINITIONS = (load_standalone(FLU_OFFER), load_standalone(SIDE_EFFECTS))


def send(key: str) -> Event:
    params = {"patient_id": 1, "assessment": key, "sending": f"{key}:2026-11-29"}
    return Start("assessment", params)


def texts(*bodies: str) -> list[Event]:
    return [Text(b) for b in bodies]


CASES: dict[str, dict[str, list[Event]]] = {
    "standalone_flu_offer": {
        "en": [send("flu_offer@1"), Text("Yes please")],
        "es": [send("flu_offer@1"), Text("sí, por favor")],
    },
    "standalone_flu_declined": {
        "en": [send("flu_offer@1"), Text("no thanks")],
        "es": [send("flu_offer@1"), Text("no gracias")],
    },
    "standalone_side_effects": {
        "en": [send("side_effects@1"), *texts("HELP", "3", "a lot", "12")],
        "es": [send("side_effects@1"), *texts("AYUDA", "3", "muchos", "doce")],
    },
    "standalone_side_effects_by_keypad": {
        "en": [send("side_effects@1"), Digits("3"), Digits("12")],
        "es": [send("side_effects@1"), Digits("3"), Digits("0")],
    },
    "standalone_waits_for_the_check_in": {
        "en": [
            Start("check_in", {"patient_id": 1, "anchor_date": ANCHOR}),
            send("flu_offer@1"),
            *texts("no", "no", "no", "no", "yes", "no"),
        ],
        "es": [
            Start("check_in", {"patient_id": 1, "anchor_date": ANCHOR}),
            send("flu_offer@1"),
            *texts("no", "no", "no", "no", "sí", "no"),
        ],
    },
    "standalone_check_in_goes_first": {
        "en": [
            send("flu_offer@1"),
            Start("check_in", {"patient_id": 1, "anchor_date": ANCHOR}),
            *texts("no", "no", "no", "no", "yes", "yes"),
        ],
        "es": [
            send("flu_offer@1"),
            Start("check_in", {"patient_id": 1, "anchor_date": ANCHOR}),
            *texts("no", "no", "no", "no", "sí", "sí"),
        ],
    },
    "standalone_stop_and_pharmacist": {
        "en": [send("side_effects@1"), *texts("pharmacist", "Worse", "STOP")],
        "es": [send("side_effects@1"), *texts("farmacéutico", "Peor", "ALTO")],
    },
}


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_standalone_golden(name: str, language: str) -> None:
    case = Case(
        name,
        CASES[name][language],
        patients=(patient(language, **ENROLLED),),
        assessments=DEFINITIONS,
    )
    check(case, language)
