"""A pharmacy loads its own questions (English and Spanish) with `medsync pharmacy questions`
and sees them asked and flagged over SMS and over a call, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.main import main
from bot.clock import FrozenClock
from store.db import make_engine, make_sessionmaker, transaction
from store.models import (
    AuditEvent,
    CheckIn,
    Enrollment,
    EnrollmentStatus,
    Patient,
    Pharmacy,
    ReviewItem,
)
from tests.assessments.samples import pharmacy_file
from tests.helpers import NOW, TOKEN, Phone, app_client
from tests.voice.calling import Heard, PhoneCall

MARGARET = "+12125550123"  # P1001, English
JOSE = "+13055550147"  # P1002, Spanish
DOROTHY = "+16175550122"  # P1005, English
PICKUP = dt.date(2026, 12, 15)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def client(db_url: str, clock: FrozenClock) -> TestClient:
    return app_client(db_url, clock, verify_callers=False)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


Questions = Callable[..., Result]  # `medsync pharmacy questions ARGS...`


@pytest.fixture
def medsync(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Questions]:
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", db_url)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, ["pharmacy", "questions", *args])

    yield run


def enrolled(sessions: sessionmaker[Session], phone: str) -> str:
    """An approved patient whose next pickup is Dec 15; returns the pharmacy's patient id."""
    with transaction(sessions) as s:
        patient = s.scalars(select(Patient).where(Patient.phone == phone)).one()
        s.add(
            Enrollment(
                patient_id=patient.id,
                status=EnrollmentStatus.ACTIVE,
                anchor_day=PICKUP.day,
                next_anchor_date=PICKUP,
                updated_at=NOW,
            )
        )
        return patient.external_id


def check_in_of(sessions: sessionmaker[Session], phone: str) -> CheckIn:
    with transaction(sessions) as s:
        patient = s.scalars(select(Patient).where(Patient.phone == phone)).one()
        return s.scalars(select(CheckIn).where(CheckIn.patient_id == patient.id)).one()


def review_summaries(sessions: sessionmaker[Session]) -> list[str]:
    with transaction(sessions) as s:
        items = s.scalars(select(ReviewItem).where(ReviewItem.kind == "flagged_check_in"))
        return [item.summary for item in items]


def load_questions(medsync: Questions, tmp_path: Path) -> None:
    path = tmp_path / "questions.toml"
    path.write_text(pharmacy_file(), encoding="utf-8")
    result = medsync("--load", str(path))
    assert result.exit_code == 0, result.output
    assert "asks its own questions (check_in@2)" in result.output
    assert "flu_shot [yes_no]  -> review: wants a flu shot" in result.output
    assert "doses_missed [number]  (only if missed_doses = yes)" in result.output


# ------------------------------------------------------------------ the command


def test_the_command_loads_shows_refuses_and_resets(
    medsync: Questions, client: TestClient, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    run = medsync
    shown = run()
    assert "asks the default check-in (check_in@1)" in shown.output
    assert 'catalog = "Q_HOSPITAL"' in run("--show").output

    load_questions(medsync, tmp_path)
    assert run("--show").output.strip() == pharmacy_file().strip()

    # A broken file changes nothing and says which line is wrong.
    broken = tmp_path / "broken.toml"
    broken.write_text(pharmacy_file().replace('kind = "choice"', 'kind = "scale"'), "utf-8")
    refused = run("--load", str(broken))
    assert refused.exit_code == 1
    line = broken.read_text("utf-8").splitlines().index('kind = "scale"') + 1
    assert f"line {line}: question 'feeling': unknown kind 'scale'" in refused.output
    assert "Nothing was changed." in refused.output

    # Changed questions under the same version would change what stored answers mean.
    same_version = tmp_path / "same.toml"
    same_version.write_text(pharmacy_file().replace("flag_above = 2", "flag_above = 5"), "utf-8")
    refused = run("--load", str(same_version))
    assert refused.exit_code == 1 and "raise the version" in refused.output
    with transaction(sessions) as s:
        assert s.scalars(select(Pharmacy.check_in_definition)).one() == pharmacy_file()

    assert "the default check-in" in run("--reset").output
    with transaction(sessions) as s:
        assert s.scalars(select(Pharmacy.check_in_definition)).one() is None
        actions = s.scalars(select(AuditEvent.action)).all()
        assert actions.count("pharmacy.questions") == 2  # load, reset: refusals change nothing


# ------------------------------------------------------------------ SMS


def test_spanish_sms_asks_the_pharmacys_questions_and_flags_them(
    medsync: Questions, client: TestClient, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    load_questions(medsync, tmp_path)
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    first = runtime.open_check_in(1, enrolled(sessions, JOSE))
    assert "hospital" in first.body and "Responda SÍ o NO." in first.body
    phone = Phone(client, JOSE)
    phone.text("no")
    phone.text("no")
    phone.text("sí")  # missed doses
    [flu] = phone.text("no")  # nothing else for the pharmacist
    assert flu == (
        "¿Desea una vacuna contra la gripe cuando recoja el martes, 15 de diciembre de 2026? "
        "Responda SÍ o NO."
    )
    [how_many] = phone.text("sí")  # after a yes to missed doses, the follow-up is asked
    assert how_many == "¿Cuántas dosis olvidó la semana pasada? Responda con un número."
    assert phone.text("muchas")[0].endswith("Responda con un número.")  # unclear: asked again
    [feeling] = phone.text("3")
    assert feeling == (
        "Desde que empezó, ¿se siente mejor, igual o peor? Responda Mejor, Igual o Peor."
    )
    [still] = phone.text("Peor")
    assert "15 de diciembre" in still
    [done] = phone.text("sí")
    assert "farmacéutico" in done

    saved = check_in_of(sessions, JOSE)
    assert (saved.status.value, saved.definition) == ("flagged", "check_in@2")
    assert saved.answers == {
        "hospital": "no",
        "changes": "no",
        "missed_doses": "yes",
        "doses_missed": 3,
        "anything_else": "no",
        "flu_shot": "yes",
        "feeling": "worse",
        "still_coming": "yes",
    }
    assert saved.flags == ["missed_doses", "flu_shot", "doses_missed", "feeling"]
    [summary] = review_summaries(sessions)
    assert "wants a flu shot" in summary and "feels worse since starting" in summary


def test_english_sms_skips_the_follow_up_and_takes_a_choice_by_number(
    medsync: Questions, client: TestClient, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    load_questions(medsync, tmp_path)
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    runtime.open_check_in(1, enrolled(sessions, MARGARET))
    phone = Phone(client, MARGARET)
    for _ in range(3):
        phone.text("no")
    [flu] = phone.text("no")  # missed no doses: "how many" is not asked
    assert flu == (
        "Would you like a flu shot when you pick up on Tuesday, December 15, 2026? Reply YES or NO."
    )
    [feeling] = phone.text("no")
    assert feeling.endswith("Reply Better, The same, or Worse.")
    phone.text("2")  # the second choice
    [done] = phone.text("yes")
    assert done.startswith("Thank you! Your pickup is on")  # all clear; RX700103 is renewing
    saved = check_in_of(sessions, MARGARET)
    assert (saved.status.value, saved.definition, saved.flags) == ("ready", "check_in@2", [])
    assert "doses_missed" not in saved.answers
    assert saved.answers["feeling"] == "same"
    assert review_summaries(sessions) == []


# ------------------------------------------------------------------ voice


def answered(heard: Heard) -> str:
    assert heard.gather is not None, heard.xml
    return heard.text


def test_a_spanish_call_asks_with_keypad_choices_and_flags(
    medsync: Questions,
    client: TestClient,
    clock: FrozenClock,
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    load_questions(medsync, tmp_path)
    enrolled(sessions, JOSE)
    clock.advance(days=10)  # Dec 9: the check-in before the Dec 15 pickup is due
    call = PhoneCall(client, JOSE)
    call.dial_in()
    call.press("2")
    call.press("2")
    call.press("1")  # missed doses
    flu = answered(call.say("nada"))
    assert "¿Desea una vacuna contra la gripe cuando recoja el martes, 15 de diciembre" in flu
    assert "Diga sí o marque 1. Diga no o marque 2." in flu
    how_many = answered(call.press("1"))
    assert "¿Cuántas dosis olvidó la semana pasada?" in how_many
    assert (
        "Diga el número, o márquelo en el teclado y luego oprima la tecla de numeral." in how_many
    )
    feeling = call.say("cuatro")
    says = feeling.says
    assert says[0] == "Desde que empezó, ¿se siente mejor, igual o peor?"
    assert says[1:5] == [
        "Diga su respuesta, o use el teclado.",
        "Para responder Mejor, marque 1.",
        "Para responder Igual, marque 2.",
        "Para responder Peor, marque 3.",
    ]
    call.press("3")
    finished = call.press("1")
    assert finished.hangs_up
    saved = check_in_of(sessions, JOSE)
    assert (saved.status.value, saved.definition) == ("flagged", "check_in@2")
    assert (saved.answers["doses_missed"], saved.answers["feeling"]) == (4, "worse")
    assert saved.flags == ["missed_doses", "flu_shot", "doses_missed", "feeling"]
    [summary] = review_summaries(sessions)
    assert "wants a flu shot" in summary


def test_an_english_call_takes_a_spoken_choice(
    medsync: Questions,
    client: TestClient,
    clock: FrozenClock,
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    load_questions(medsync, tmp_path)
    enrolled(sessions, DOROTHY)
    clock.advance(days=10)
    call = PhoneCall(client, DOROTHY)
    call.dial_in()
    for _ in range(3):
        call.say("no")
    flu = answered(call.say("no"))
    assert "Would you like a flu shot when you pick up on Tuesday, December 15, 2026?" in flu
    feeling = answered(call.say("yes please"))
    assert "To answer Worse, press 3." in feeling
    call.say("worse")
    call.say("yes")
    saved = check_in_of(sessions, DOROTHY)
    assert (saved.status.value, saved.flags) == ("flagged", ["flu_shot", "feeling"])
    assert saved.answers["feeling"] == "worse"
