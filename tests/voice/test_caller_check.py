"""Issue 17 finding: "a caller from a known number hears the next pickup date and can change
preferences on caller ID alone, which can be spoofed".

Now an inbound call says and changes nothing about a patient until the caller gives the
patient's birth date (keypad MMDDYYYY or speech, in the patient's language); three misses end
the call politely and flag it for staff; the bot never says the birth date; a patient with no
birth date on file gets only the pharmacy. English and Spanish.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.main import main
from bot.clock import FrozenClock
from store.calls import Call
from store.db import make_engine, make_sessionmaker, transaction
from store.models import ConsentEvent, Message, Patient, ReviewItem, ReviewKind
from tests.helpers import NOW, app_client
from tests.voice.calling import Heard, PhoneCall

MARGARET = "+12125550123"  # P1001, English, born 1948-03-12
JOSE = "+13055550147"  # P1002, Spanish, born 1956-07-30
DOROTHY = "+16175550122"  # P1005, English landline, born 1939-05-23


@pytest.fixture
def client(db_url: str) -> TestClient:
    return app_client(db_url, FrozenClock(NOW))  # the demo pharmacy, caller check on


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def asks_for_the_birth_date(heard: Heard) -> bool:
    gather = heard.gather
    return (
        gather is not None
        and gather.get("finishOnKey") == "#"
        and "numDigits" not in gather.attrib
        and any("date of birth" in s or "fecha de nacimiento" in s for s in heard.says)
    )


def test_nothing_about_the_patient_is_said_before_the_birth_date(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    call = PhoneCall(client, MARGARET)
    first = call.dial_in()
    assert asks_for_the_birth_date(first)
    assert first.says[0] == (
        "This is Main Street Pharmacy. To protect your privacy, please tell us your date of "
        "birth first."
    )
    assert "Margaret" not in first.text and "Okafor" not in first.text
    wrong = call.press("01011950")
    assert wrong.says[0] == "Sorry, that date does not match our records."
    assert asks_for_the_birth_date(wrong) and "Margaret" not in wrong.text
    confirmed = call.press("03121948")
    assert "Margaret" in confirmed.text  # now the call is about her: the invitation
    assert "1948" not in confirmed.text and "March 12" not in confirmed.text
    with transaction(sessions) as s:
        lines = list(s.scalars(select(Message.body).where(Message.phone == MARGARET)))
    assert "[a birth date was keyed]" in lines
    assert not any("03121948" in line or "01011950" in line for line in lines)


def test_a_spanish_caller_says_the_birth_date_in_spanish(client: TestClient) -> None:
    call = PhoneCall(client, JOSE)
    first = call.dial_in()
    assert asks_for_the_birth_date(first)
    assert first.says[0].startswith("Le habla Main Street Pharmacy. Para proteger su privacidad")
    assert "José" not in first.text
    assert first.gather is not None and first.gather.get("language") == "es-US"
    wrong = call.say("el cuatro de marzo de 1950")
    assert wrong.says[0] == "Lo sentimos, esa fecha no coincide con nuestros registros."
    confirmed = call.say("30 de julio de 1956")
    assert "José" in confirmed.text


def test_english_speech_with_the_month_named(client: TestClient) -> None:
    call = PhoneCall(client, MARGARET)
    call.dial_in()
    assert "Margaret" in call.say("March 12th, 1948").text


def test_three_misses_end_the_call_and_flag_it_changing_nothing(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    call = PhoneCall(client, MARGARET)
    call.dial_in()
    call.press("2")  # the menu's "preferences" key is no way around the question
    call.silence()
    last = call.say("nineteen forty eight")
    assert last.hangs_up
    assert last.says == [
        "Sorry, we could not confirm who is calling, so we cannot go on with this call. "
        "Please call the pharmacy at (212) 555-0199. Goodbye."
    ]
    with transaction(sessions) as s:
        item = s.scalars(select(ReviewItem).where(ReviewItem.kind == ReviewKind.CALL_BACK)).one()
        assert item.priority == 0 and "could not confirm the birth date" in item.summary
        assert s.scalars(select(ConsentEvent)).all() == []
        call_row = s.scalars(select(Call)).one()
        assert call_row.notes.get("confirmed") is None


def test_a_patient_without_a_birth_date_on_file_hears_only_the_pharmacy(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as s:
        s.execute(update(Patient).where(Patient.phone == DOROTHY).values(birth_date=None))
    call = PhoneCall(client, DOROTHY)
    heard = call.dial_in()
    assert heard.says[0] == (
        "This is Main Street Pharmacy. We cannot look up your details on this call, but "
        "someone at the pharmacy can help you."
    )
    assert "Dorothy" not in heard.text
    assert "Dial" in call.press("0").verbs  # a person can help
    with transaction(sessions) as s:
        note = s.scalars(select(ReviewItem).where(ReviewItem.kind == ReviewKind.MESSAGE)).one()
        assert "no birth date on file" in note.summary


@pytest.mark.parametrize("said", ["stop", "stop please"])
def test_stop_and_pharmacist_work_before_the_birth_date(client: TestClient, said: str) -> None:
    call = PhoneCall(client, MARGARET)
    call.dial_in()
    assert "Dial" in call.say("pharmacist").verbs
    other = PhoneCall(client, MARGARET)
    other.dial_in()
    stopped = other.say(said)  # with courtesy around it, as by text
    assert stopped.hangs_up and "no more calls or texts" in stopped.text


def test_the_pharmacy_can_turn_the_check_off(
    db_url: str, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", db_url)
    result = CliRunner().invoke(main, ["pharmacy", "callers", "--no-check"])
    assert result.exit_code == 0 and "NOT asked" in result.output, result.output
    assert "Margaret" in PhoneCall(client, MARGARET).dial_in().text
    result = CliRunner().invoke(main, ["pharmacy", "callers", "--check"])
    assert result.exit_code == 0 and "confirm the patient's birth date" in result.output
    assert asks_for_the_birth_date(PhoneCall(client, MARGARET).dial_in())


def test_on_a_shared_phone_the_birth_date_picks_the_patient_and_names_no_one_else(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as s:
        linda = s.scalars(select(Patient).where(Patient.first_name == "Linda")).one()
        born = linda.birth_date
    assert born is not None
    call = PhoneCall(client, "+16145550177")  # Robert and Linda Miller's landline
    first = call.dial_in()
    assert asks_for_the_birth_date(first)
    assert "Robert" not in first.text and "Linda" not in first.text
    confirmed = call.press(born.strftime("%m%d%Y"))
    assert "Linda" in confirmed.text and "Robert" not in confirmed.text
