"""Standalone assessments through the public interfaces, on SQLite and PostgreSQL:
`medsync assessments load / on / off / list / send`, the patient answering by signed SMS
webhook or by phone, the answers stored under the definition's name and version, and the
inbox showing a flagged one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.main import main
from bot.clock import FrozenClock
from store.accounts import Role
from store.assessment_responses import AssessmentDefinition, AssessmentResponse
from store.db import make_engine, make_sessionmaker, transaction
from store.models import (
    AuditEvent,
    ConsentEvent,
    Enrollment,
    EnrollmentStatus,
    Message,
    Patient,
    ReviewItem,
)
from tests.assessments.samples import FLU_OFFER, SIDE_EFFECTS, pharmacy_file
from tests.helpers import NOW, TOKEN, Phone, app_client
from tests.inbox.conftest import sign_in
from tests.inbox.factories import add_user
from tests.voice.calling import PhoneCall

MARGARET = "+12125550123"  # P1001, English, mobile
JOSE = "+13055550147"  # P1002, Spanish, mobile
DOROTHY = "+16175550122"  # P1005, English, landline

Medsync = Callable[..., Result]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def client(db_url: str, clock: FrozenClock) -> TestClient:
    return app_client(db_url, clock, verify_callers=False)  # the demo pharmacy and its patients


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def medsync(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Medsync:
    """`medsync ARGS...` on the test database, texts printed by the console sender. The CLI
    runs on the real clock: the sending window is open all day unless a test narrows it."""
    for key, value in {
        "MEDSYNC_DATABASE_URL": db_url,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "MEDSYNC_SENDER": "console",
        "MEDSYNC_CONSOLE_SHOWS_BODIES": "true",  # these tests read the texts
        "MEDSYNC_SENDING_HOURS_START": "00:00",
        "MEDSYNC_SENDING_HOURS_END": "23:59:59",
        "MEDSYNC_SENDING_HOURS_END_BY_STATE": "{}",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MEDSYNC_REDIS_URL", raising=False)

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args))

    return run


def load(medsync: Medsync, tmp_path: Path, text: str, name: str = "file.toml") -> Result:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return medsync("assessments", "load", str(path))


def responses(sessions: sessionmaker[Session]) -> list[AssessmentResponse]:
    with transaction(sessions) as s:
        return list(s.scalars(select(AssessmentResponse).order_by(AssessmentResponse.id)))


def assessment_items(sessions: sessionmaker[Session]) -> list[ReviewItem]:
    with transaction(sessions) as s:
        return list(s.scalars(select(ReviewItem).where(ReviewItem.kind == "assessment")))


def enrolled(sessions: sessionmaker[Session], phone: str) -> None:
    with transaction(sessions) as s:
        patient = s.scalars(select(Patient).where(Patient.phone == phone)).one()
        s.add(
            Enrollment(
                patient_id=patient.id,
                status=EnrollmentStatus.ACTIVE,
                anchor_day=15,
                next_anchor_date=NOW.date().replace(month=12, day=15),
                updated_at=NOW,
            )
        )


# ------------------------------------------------------------------ the commands


def test_load_list_turn_off_and_on_and_refuse_bad_files(
    medsync: Medsync, client: TestClient, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    assert "has no assessments" in medsync("assessments", "list").output
    loaded = load(medsync, tmp_path, SIDE_EFFECTS)
    assert loaded.exit_code == 0, loaded.output
    assert "Loaded side_effects@1 for Main Street Pharmacy (on):" in loaded.output
    assert "bad_days [number]  (only if feeling = worse)  -> review: unwell more" in loaded.output
    assert "loaded already" in load(medsync, tmp_path, SIDE_EFFECTS).output

    # Refused, with the line and a sentence; nothing is stored.
    broken = load(medsync, tmp_path, SIDE_EFFECTS.replace('kind = "number"', 'kind = "scale"'))
    assert broken.exit_code == 1
    assert "line 21: question 'bad_days': unknown kind 'scale'" in broken.output
    assert "Nothing was changed." in broken.output
    same_version = load(
        medsync, tmp_path, SIDE_EFFECTS.replace("flag_above = 10", "flag_above = 5")
    )
    assert same_version.exit_code == 1 and "raise the version" in same_version.output
    with_date = FLU_OFFER.replace('kind = "yes_no"', 'kind = "date_confirm"').replace(
        'flag_on = "yes"', 'flag_on = "change"'
    )
    refused = load(medsync, tmp_path, with_date)
    assert refused.exit_code == 1 and "cannot move a pickup" in refused.output
    path = tmp_path / "flu.toml"
    path.write_text(FLU_OFFER, encoding="utf-8")
    wrong_name = medsync("assessments", "load", str(path), "--name", "flu_shots")
    assert wrong_name.exit_code == 1
    assert "defines the assessment 'flu_offer', not 'flu_shots'" in wrong_name.output
    assert medsync("assessments", "load", str(path), "--name", "flu_offer").exit_code == 0

    assert medsync("assessments", "off", "flu_offer").output == "flu_offer is off.\n"
    listed = medsync("assessments", "list").output
    assert "flu_offer@1 (off): sent to 0 patient(s)" in listed
    assert "side_effects@1 (on)" in listed
    off = medsync("assessments", "send", "flu_offer", "--patients", "P1001")
    assert off.exit_code == 1 and "flu_offer is off; turn it on" in off.output
    assert medsync("assessments", "on", "flu_offer").output == "flu_offer is on.\n"
    unknown = medsync("assessments", "on", "nope")
    assert unknown.exit_code == 1 and "No assessment named 'nope'" in unknown.output
    nobody = medsync("assessments", "send", "flu_offer")
    assert nobody.exit_code == 1 and "--patients P1001,P1002 or --enrolled" in nobody.output
    missing = medsync("assessments", "send", "flu_offer", "--patients", "P1001,P9999")
    assert missing.exit_code == 1 and "No patient P9999" in missing.output
    assert responses(sessions) == []  # a refused send sends nobody anything

    with transaction(sessions) as s:
        actions = s.scalars(select(AuditEvent.action)).all()
        assert actions.count("assessment.load") == 2
        assert actions.count("assessment.off") == 1 and actions.count("assessment.on") == 1
        assert "Traceback" not in broken.output + refused.output


# ------------------------------------------------------------------ by text


def test_a_flu_offer_is_sent_answered_by_text_and_flagged_in_english_and_spanish(
    medsync: Medsync, client: TestClient, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    load(medsync, tmp_path, FLU_OFFER)
    sent = medsync("assessments", "send", "flu_offer", "--patients", "P1001,P1002")
    assert sent.exit_code == 0, sent.output
    assert (
        "[text to +12125550123] Hi Margaret, this is Main Street Pharmacy.\nWould you like a "
        "flu shot at your next pickup? Reply YES or NO. Reply STOP to opt out." in sent.output
    )
    assert "¿Desea una vacuna contra la gripe en su próxima recogida?" in sent.output
    assert "P1001: sent" in sent.output and "P1002: sent" in sent.output
    again = medsync("assessments", "send", "flu_offer", "--patients", "P1001")
    assert "P1001: sent already today (open)" in again.output  # one sending a day

    [yes] = Phone(client, MARGARET).text("Yes please")
    assert yes == "Thank you for your answers. A pharmacist will look at them and may call you."
    [no] = Phone(client, JOSE).text("no, gracias")
    assert no == "Gracias por sus respuestas."

    margaret, jose = responses(sessions)
    assert (margaret.name, margaret.version, margaret.status.value) == ("flu_offer", 1, "flagged")
    assert (margaret.answers, margaret.flags) == ({"flu_shot": "yes"}, ["flu_shot"])
    assert (jose.status.value, jose.answers, jose.flags) == ("done", {"flu_shot": "no"}, [])
    # Each answer keeps the patient's own words (issue 15).
    assert (margaret.words, jose.words) == ({"flu_shot": "Yes please"}, {"flu_shot": "no, gracias"})
    [item] = assessment_items(sessions)
    assert item.priority == 0 and item.patient_id == margaret.patient_id
    assert item.summary == (
        "The patient's answers to the flu_offer assessment (version 1) need review: "
        "wants a flu shot."
    )
    assert "flu_offer@1 (on): sent to 2 patient(s)" in medsync("assessments", "list").output

    # The inbox item page shows the question in English and the answer, and audits the view.
    with transaction(sessions) as s:
        add_user(s, "dana@example.org", Role.PHARMACIST, [1])
    browser = TestClient(client.app, base_url="https://testserver")
    sign_in(browser, "dana@example.org")
    page = browser.get(f"/inbox/items/{item.id}")
    assert page.status_code == 200
    assert "Would you like a flu shot at your next pickup?" in page.text
    assert "The flu_offer@1 assessment" in page.text
    assert "Yes <span class=\"wrote\">— wrote: 'Yes please'</span>" in page.text
    with transaction(sessions) as s:
        viewed = s.scalars(select(AuditEvent).where(AuditEvent.action == "view_review_item"))
        assert [e.subject for e in viewed] == [f"review_item:{item.id}"]


def test_a_survey_keeps_its_version_when_the_file_changes_mid_answer(
    medsync: Medsync, client: TestClient, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    load(medsync, tmp_path, SIDE_EFFECTS)
    medsync("assessments", "send", "side_effects", "--patients", "P1001")
    phone = Phone(client, MARGARET)
    [how_many] = phone.text("Worse")
    assert how_many == "On how many days last month did you feel unwell? Reply with a number."

    # The pharmacy rewords the question and flags from 5 days: a new version.
    edited = (
        SIDE_EFFECTS.replace("version = 1", "version = 2")
        .replace("flag_above = 10", "flag_above = 5")
        .replace("did you feel unwell?", "were you unwell?")
    )
    assert load(medsync, tmp_path, edited).exit_code == 0
    older = load(medsync, tmp_path, SIDE_EFFECTS.replace("flag_above = 10", "flag_above = 3"))
    assert older.exit_code == 1 and "raise the version" in older.output

    # Margaret finishes what she was asked (version 1: 7 days is under its limit of 10).
    assert phone.text("7") == [
        "Thank you for your answers. A pharmacist will look at them and may call you."
    ]
    medsync("assessments", "send", "side_effects", "--patients", "P1002")
    jose = Phone(client, JOSE)
    jose.text("peor")
    assert jose.text("siete")[0].startswith("Gracias por sus respuestas.")
    first, second = responses(sessions)
    assert (first.version, first.answers, first.flags) == (
        1,
        {"feeling": "worse", "bad_days": 7},
        ["feeling"],  # 7 is not above version 1's limit
    )
    assert (second.version, second.flags) == (2, ["feeling", "bad_days"])  # above 5 in v2
    with transaction(sessions) as s:
        versions = s.scalars(select(AssessmentDefinition.version)).all()
        assert sorted(versions) == [1, 2]


def test_stop_help_and_pharmacist_work_mid_assessment(
    medsync: Medsync, client: TestClient, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    load(medsync, tmp_path, SIDE_EFFECTS)
    medsync("assessments", "send", "side_effects", "--patients", "P1001")
    phone = Phone(client, MARGARET)
    helped = phone.text("HELP")[0]
    assert "Reply STOP to unsubscribe." in helped and "do you feel better" in helped
    assert "A pharmacist will call you back" in phone.text("pharmacist")[0]
    assert phone.text("Español")[0].startswith("De acuerdo")
    assert "¿se siente mejor, igual o peor?" in phone.text("hola")[0]  # unclear: asked again
    [stopped] = phone.text("STOP")
    assert stopped.startswith("Ya no recibirá mensajes de Main Street Pharmacy.")
    [response] = responses(sessions)
    assert response.status.value == "stopped"
    with transaction(sessions) as s:
        kinds = s.scalars(select(ConsentEvent.kind)).all()
        assert [k.value for k in kinds] == ["opt_out"]
    again = medsync("assessments", "send", "side_effects", "--patients", "P1001")
    assert "P1001: opted out: not sent" in again.output


def test_an_assessment_waits_for_the_check_in_the_phone_is_in(
    medsync: Medsync, client: TestClient, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    enrolled(sessions, MARGARET)
    load(medsync, tmp_path, FLU_OFFER)
    opened = medsync("checkin", "open", "P1001", "--anchor-date", "2026-12-15")
    assert "Check-in opened for P1001" in opened.output, opened.output
    waits = medsync("assessments", "send", "flu_offer", "--patients", "P1001")
    assert "P1001: waits until the conversation in progress is done" in waits.output
    assert "flu shot" not in waits.output
    [waiting] = responses(sessions)
    assert waiting.status.value == "waiting"

    phone = Phone(client, MARGARET)
    for _ in range(4):
        assert "flu shot" not in phone.text("no")[0]  # the check-in is not interrupted
    [last] = phone.text("yes")
    assert last.startswith("Thank you! Your pickup is on")  # all clear; RX700103 is renewing
    assert "Would you like a flu shot at your next pickup? Reply YES or NO." in last
    phone.text("no")
    [answered] = responses(sessions)
    assert (answered.status.value, answered.answers) == ("done", {"flu_shot": "no"})


def test_sending_hours_and_caps_hold_an_assessment(
    medsync: Medsync,
    client: TestClient,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    load(medsync, tmp_path, FLU_OFFER)
    load(medsync, tmp_path, SIDE_EFFECTS, "side.toml")
    assert (
        "P1001: sent" in medsync("assessments", "send", "flu_offer", "--patients", "P1001").output
    )
    Phone(client, MARGARET).text("no")  # answered: her phone is free for the next one
    # A second automated text the same day is over the cap of 1 a day: it waits.
    capped = medsync("assessments", "send", "side_effects", "--patients", "P1001")
    assert "P1001: deferred to" in capped.output and "do you feel" not in capped.output
    # Outside the sending window nothing goes out either: deferred, never dropped.
    monkeypatch.setenv("MEDSYNC_SENDING_HOURS_START", "00:00")
    monkeypatch.setenv("MEDSYNC_SENDING_HOURS_END", "00:01")
    late = medsync("assessments", "send", "flu_offer", "--enrolled", "--patients", "P1002")
    assert late.exit_code == 1  # one way of choosing patients at a time
    enrolled(sessions, JOSE)
    at_night = medsync("assessments", "send", "flu_offer", "--enrolled")
    assert "P1002: deferred to" in at_night.output and "P1001" not in at_night.output
    with transaction(sessions) as s:
        held = s.scalars(select(Message).where(Message.deferred_until.is_not(None))).all()
        assert len(held) == 2 and all(m.status.value == "queued" for m in held)


# ------------------------------------------------------------------ by phone


def test_a_landline_patient_answers_by_phone_with_a_keypad_number(
    medsync: Medsync, client: TestClient, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    load(medsync, tmp_path, SIDE_EFFECTS)
    sent = medsync("assessments", "send", "side_effects", "--patients", "P1005")
    assert "P1005: landline: asked when they call the pharmacy" in sent.output
    call = PhoneCall(client, DOROTHY)
    heard = call.dial_in()
    assert heard.says[0] == "Hi Dorothy, Main Street Pharmacy is still waiting for your answer."
    assert "Since your last pickup, do you feel better, the same or worse?" in heard.text
    assert "To answer Worse, press 3." in heard.text
    number = call.press("3")
    gather = number.gather
    assert gather is not None
    assert (gather.get("finishOnKey"), gather.get("numDigits")) == ("#", None)
    assert "Say the number, or enter it on the keypad, then press the pound key." in number.text
    done = call.press("12")  # 1, 2, then # (Twilio leaves the # out of Digits)
    assert "A pharmacist will look at them" in done.text
    [response] = responses(sessions)
    assert (response.answers, response.flags) == (
        {"feeling": "worse", "bad_days": 12},
        ["feeling", "bad_days"],
    )
    [item] = assessment_items(sessions)
    assert "unwell more than 10 days last month" in item.summary


def test_a_spanish_patient_answers_a_texted_assessment_by_calling(
    medsync: Medsync, client: TestClient, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    load(medsync, tmp_path, SIDE_EFFECTS)
    medsync("assessments", "send", "side_effects", "--patients", "P1002")
    call = PhoneCall(client, JOSE)
    heard = call.dial_in()
    assert "Desde su última recogida, ¿se siente mejor, igual o peor?" in heard.text
    assert "Para responder Peor, marque 3." in heard.text
    number = call.say("peor")
    assert "Diga el número, o márquelo en el teclado y luego oprima la tecla de numeral." in (
        number.text
    )
    call.press("0")  # in a number question 0 is zero, not "the pharmacy"
    [response] = responses(sessions)
    assert (response.status.value, response.answers) == (
        "flagged",
        {"feeling": "worse", "bad_days": 0},
    )


def test_the_check_in_file_and_a_standalone_file_share_one_format(tmp_path: Path) -> None:
    """The check-in's own file loads as a standalone assessment only without its pickup
    question (the same checks, line numbers and kinds)."""
    from dialogs.assessment_file import AssessmentFileError, load_standalone

    with pytest.raises(AssessmentFileError, match=r"still_coming.*cannot move a pickup"):
        load_standalone(pharmacy_file())


def test_a_question_naming_the_pickup_date_skips_patients_without_one(
    medsync: Medsync, client: TestClient, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    dated = FLU_OFFER.replace("at your next pickup?", "at your pickup on %(date)s?").replace(
        "en su próxima recogida?", "en su recogida del %(date)s?"
    )
    load(medsync, tmp_path, dated)
    enrolled(sessions, JOSE)
    sent = medsync("assessments", "send", "flu_offer", "--patients", "P1001,P1002")
    assert "P1001: no pickup date for its %(date)s: not sent" in sent.output
    assert "en su recogida del martes, 15 de diciembre de 2026?" in sent.output
    assert [r.patient_id for r in responses(sessions)] == [2]
