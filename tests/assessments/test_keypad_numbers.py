"""A question answered with a number takes several keypad digits, ended by the pound key
or the Gather timeout: the TwiML says so, the words say so, and a whole call answers 12."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.channels import voice_instructions as said
from bot.channels.voice_twiml import Listen, sentences, speaker_for, twiml
from bot.cli.main import main
from bot.clock import FrozenClock
from bot.languages import catalogs as i18n
from dialogs import engine
from dialogs.context import Context, PatientFacts
from dialogs.state import State
from dialogs.turn import Ask, Digits
from store.db import make_engine, make_sessionmaker, transaction
from store.models import CheckIn, Enrollment, EnrollmentStatus, Patient
from tests.assessments.samples import pharmacy_file
from tests.helpers import NOW, TOKEN, app_client
from tests.voice.calling import PhoneCall

ENGLISH = speaker_for("en")
KEYPAD_ONLY = speaker_for("zz")  # a language with no voice: said in English, keypad only
DOROTHY = "+16175550122"  # P1005, a landline


def gather_of(then: Listen) -> dict[str, str]:
    root = ET.fromstring(twiml(ENGLISH, ["How many?"], then))
    gather = root.find("Gather")
    assert gather is not None
    return dict(gather.attrib)


def test_a_number_question_waits_for_the_pound_key_or_the_timeout() -> None:
    attributes = gather_of(Listen("https://x/a?step=4", number=True))
    assert attributes["finishOnKey"] == "#"
    assert "numDigits" not in attributes  # any number of digits
    assert attributes["timeout"] == "5"  # five quiet seconds also end the answer
    assert attributes["input"] == "dtmf speech"
    # Other questions still take one key, and a day two.
    assert gather_of(Listen("https://x/a?step=4"))["numDigits"] == "1"
    assert gather_of(Listen("https://x/a?step=4", day=True))["numDigits"] == "2"


def test_the_words_say_enter_the_number_then_pound_and_which_keys_still_work() -> None:
    ask = Ask("How many doses did you miss last week?", expects="number")
    spoken = sentences([ask], ENGLISH, {}, tell_keys=True)
    assert spoken == [
        "How many doses did you miss last week?",
        "Say the number, or enter it on the keypad, then press the pound key.",
        # 0 and 9 are digits here: the pharmacist and stop are reached by saying so.
        "At any time, say pharmacist to reach the pharmacy. To stop our calls and texts, say stop.",
    ]
    keypad = sentences([ask], KEYPAD_ONLY, {}, tell_keys=True)
    assert keypad[1:] == ["Enter the number on the keypad, then press the pound key."]
    assert said.takes_a_number(ask) and not said.takes_a_day(ask)


@pytest.mark.parametrize(("keys", "number"), [("12#", 12), ("12", 12), ("0", 0), ("9#", 9)])
def test_keypad_digits_in_a_number_question_are_the_number(keys: str, number: int) -> None:
    from dialogs.assessment_file import load

    definition = load(pharmacy_file())
    ctx = Context(
        today=dt.date(2026, 12, 9),
        pharmacy_name="Main Street Pharmacy",
        pharmacy_phone="(212) 555-0199",
        patients=(PatientFacts(id=1, first_name="Dorothy", enrollment="active"),),
        vocab=i18n.vocabulary_for("en"),
        check_in=definition,
    )
    answers = {"hospital": "no", "changes": "no", "missed_doses": "yes", "anything_else": "no"}
    answers |= {"flu_shot": "no"}
    state = State(
        dialog="check_in",
        step="doses_missed",
        subject=1,
        data={"anchor_date": "2026-12-15", "answers": answers},
    )
    turn = engine.step(state, Digits(keys), ctx)
    assert turn.state.data["answers"]["doses_missed"] == number
    assert turn.state.step == "feeling"  # not the pharmacist (0), not stop (9)


def test_a_call_answers_how_many_doses_with_twelve_then_pound(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FrozenClock(NOW)
    client: TestClient = app_client(db_url, clock, verify_callers=False)
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", db_url)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    path = tmp_path / "questions.toml"
    path.write_text(pharmacy_file(), encoding="utf-8")
    loaded = CliRunner().invoke(main, ["pharmacy", "questions", "--load", str(path)])
    assert loaded.exit_code == 0, loaded.output
    sessions = make_sessionmaker(make_engine(db_url))
    with transaction(sessions) as s:
        dorothy = s.scalars(select(Patient).where(Patient.phone == DOROTHY)).one()
        s.add(
            Enrollment(
                patient_id=dorothy.id,
                status=EnrollmentStatus.ACTIVE,
                anchor_day=15,
                next_anchor_date=dt.date(2026, 12, 15),
                updated_at=NOW,
            )
        )
    clock.advance(days=10)  # Dec 9: the check-in is due
    call = PhoneCall(client, DOROTHY)
    call.dial_in()
    call.press("2")
    call.press("2")
    call.press("1")  # missed doses: yes
    call.press("2")  # nothing else for the pharmacist
    how_many = call.press("2")  # no flu shot
    assert "How many doses did you miss last week?" in how_many.text
    gather = how_many.gather
    assert gather is not None
    assert (gather.get("finishOnKey"), gather.get("numDigits")) == ("#", None)
    # The caller presses 1, 2 and #: Twilio posts Digits=12 (the # ends it and is left out).
    feeling = call.press("12")
    assert "do you feel better, the same or worse?" in feeling.text
    call.press("1")  # better
    call.press("1")  # still coming
    with transaction(sessions) as s:
        saved = s.scalars(select(CheckIn).where(CheckIn.patient_id == dorothy.id)).one()
        assert saved.answers["doses_missed"] == 12
        assert "doses_missed" in saved.flags  # above the limit of 2
    sessions.kw["bind"].dispose()
