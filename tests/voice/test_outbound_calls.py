"""Outbound calls through the fake Twilio REST API: placed with machine detection inside the
allowed hours, a person gets the dialog, a machine a voicemail with no health information,
and an unanswered call is tried once more."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.main import main
from bot.clock import FrozenClock
from bot.conversation.runtime import NotEnrolled
from bot.imports.demo import EXPORT
from bot.outreach.call_desk import CallDesk
from bot.outreach.call_placing import CallRefused, prefers_calls
from bot.outreach.caller import TwilioCaller
from store.calls import Call, CallMode, CallPurpose, CallStatus
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Enrollment, EnrollmentStatus, Message, Patient
from tests.fake_twilio import FakeTwilio
from tests.helpers import NOW, PHARMACY_NUMBER, PUBLIC_URL, TOKEN, app_client
from tests.voice.calling import Heard, PhoneCall, new_call_sid

ACCOUNT = "AC" + "1" * 32
DOROTHY = "+16175550122"  # P1005, English, landline
JOSE = "+13055550147"  # P1002, Spanish
PHARMACY = 1
# Words that would tell a listener why the pharmacy calls: none may reach an answering machine.
HEALTH_WORDS = (
    "medicine", "medication", "prescription", "refill", "pickup", "pick up", "sync", "check-in",
    "hospital", "doctor", "dose", "pharmacist", "health", "condition",
    "medicamento", "receta", "resurtido", "recogida", "recoger", "médico", "dosis", "salud",
)  # fmt: skip


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)  # Sunday 10:00 in New York


@pytest.fixture
def client(db_url: str, clock: FrozenClock) -> TestClient:
    return app_client(db_url, clock, verify_callers=False)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as api:
        yield api


@pytest.fixture
def desk(client: TestClient) -> CallDesk:
    return CallDesk(client.app.state.runtime)  # type: ignore[attr-defined]


@pytest.fixture
def caller(fake: FakeTwilio) -> TwilioCaller:
    return TwilioCaller(ACCOUNT, TOKEN, fake.url)


def call_row(sessions: sessionmaker[Session], call_id: int) -> Call:
    with transaction(sessions) as s:
        found = s.get(Call, call_id)
        assert found is not None
        return found


def placed_call(
    desk: CallDesk, caller: TwilioCaller, external_id: str = "P1005", purpose: str = "invitation"
) -> int:
    scheduled = desk.schedule(PHARMACY, external_id, CallPurpose(purpose))
    assert desk.place(scheduled.call_id, caller, PUBLIC_URL) == "placed"
    return scheduled.call_id


def drug_words() -> set[str]:
    with EXPORT.open(encoding="utf-8") as f:
        names = [row["drug_name"] for row in csv.DictReader(f)]
    return {w.lower() for name in names for w in re.findall(r"[A-Za-z]{4,}", name)} - {
        "tablet", "capsule", "units", "pen",
    }  # fmt: skip


def assert_no_health_information(heard: Heard, *names: str) -> None:
    text = heard.text.lower()
    assert heard.verbs == ["Say", "Hangup"]
    for word in (*drug_words(), *HEALTH_WORDS, *(n.lower() for n in names)):
        assert word not in text, f"the voicemail says {word!r}"


# ------------------------------------------------------------------ placing a call


def test_a_call_is_placed_with_machine_detection_and_a_status_callback(
    desk: CallDesk, caller: TwilioCaller, fake: FakeTwilio, sessions: sessionmaker[Session]
) -> None:
    call_id = placed_call(desk, caller)
    [request] = fake.calls
    assert request.username == ACCOUNT and request.account == ACCOUNT
    form = request.form
    assert form["To"] == DOROTHY and form["From"] == PHARMACY_NUMBER
    assert form["Url"] == f"{PUBLIC_URL}/twilio/voice/outbound?call={call_id}"
    assert form["Method"] == "POST"
    assert form["StatusCallback"] == f"{PUBLIC_URL}/twilio/voice/status?call={call_id}"
    assert request.fields["StatusCallbackEvent"] == [
        "initiated",
        "ringing",
        "answered",
        "completed",
    ]
    assert form["MachineDetection"] == "DetectMessageEnd"
    assert int(form["TimeLimit"]) > 0
    row = call_row(sessions, call_id)
    assert row.call_sid == request.sid and row.status == CallStatus.QUEUED
    assert (row.direction.value, row.purpose, row.attempt) == ("outbound", "invitation", 1)


def test_scheduling_and_placing_twice_places_one_call(
    desk: CallDesk, caller: TwilioCaller, fake: FakeTwilio
) -> None:
    first = desk.schedule(PHARMACY, "P1005", CallPurpose.INVITATION)
    again = desk.schedule(PHARMACY, "P1005", CallPurpose.INVITATION)
    assert again.call_id == first.call_id and again.already
    assert desk.place(first.call_id, caller, PUBLIC_URL) == "placed"
    assert desk.place(first.call_id, caller, PUBLIC_URL) == "already queued"
    assert len(fake.calls) == 1


def test_a_call_waits_for_the_allowed_hours(
    client: TestClient,
    clock: FrozenClock,
    desk: CallDesk,
    caller: TwilioCaller,
    fake: FakeTwilio,
    sessions: sessionmaker[Session],
) -> None:
    clock.at = dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)  # 22:00 in Boston and New York
    scheduled = desk.schedule(PHARMACY, "P1005", CallPurpose.INVITATION)
    eight_am = dt.datetime(2026, 11, 30, 13, 0, tzinfo=dt.UTC)
    assert scheduled.at == eight_am
    assert desk.place(scheduled.call_id, caller, PUBLIC_URL).startswith("not due until")
    assert desk.place_due(caller, PUBLIC_URL) == []
    clock.at = eight_am
    assert desk.place_due(caller, PUBLIC_URL) == [f"call {scheduled.call_id}: placed"]
    assert len(fake.calls) == 1


def test_who_gets_calls_instead_of_texts(
    sessions: sessionmaker[Session], client: TestClient
) -> None:
    with transaction(sessions) as s:
        by_id = {p.external_id: p for p in s.scalars(select(Patient))}
        assert prefers_calls(by_id["P1005"]) and prefers_calls(by_id["P1011"])
        assert not prefers_calls(by_id["P1001"])
        by_id["P1001"].sms_capable = False  # Twilio said 30006: the number cannot take texts
        assert prefers_calls(by_id["P1001"])


def test_calls_that_may_not_be_placed_are_refused_with_a_sentence(
    desk: CallDesk, sessions: sessionmaker[Session]
) -> None:
    with pytest.raises(NotEnrolled, match="has not chosen a pickup day"):
        desk.schedule(PHARMACY, "P1005", CallPurpose.CHECK_IN)
    with pytest.raises(CallRefused, match="not eligible"):
        desk.schedule(PHARMACY, "P1008", CallPurpose.INVITATION)  # acute medicines only
    with pytest.raises(CallRefused, match="not placed"):
        desk.schedule(PHARMACY, "P1005", CallPurpose.INBOUND)


def test_a_patient_who_opts_out_before_the_call_is_not_called(
    desk: CallDesk, caller: TwilioCaller, fake: FakeTwilio, sessions: sessionmaker[Session]
) -> None:
    scheduled = desk.schedule(PHARMACY, "P1005", CallPurpose.INVITATION)
    with transaction(sessions) as s:
        s.scalars(select(Patient).where(Patient.external_id == "P1005")).one().opted_out = True
    assert desk.place(scheduled.call_id, caller, PUBLIC_URL) == (
        "not placed: the patient has opted out"
    )
    assert fake.calls == []
    assert call_row(sessions, scheduled.call_id).status == CallStatus.SUPPRESSED


# ------------------------------------------------------------------ who answers


def test_a_person_answering_runs_the_dialog(
    client: TestClient, desk: CallDesk, caller: TwilioCaller, fake: FakeTwilio, sessions
) -> None:
    call_id = placed_call(desk, caller)
    phone = PhoneCall(client, DOROTHY, sid=fake.calls[0].sid)
    offer = phone.pick_up(call_id, "human")
    assert offer.gather is not None
    assert offer.says[0].startswith("Hi Dorothy, Main Street Pharmacy here.")
    assert offer.action and f"call={phone.sid}" in offer.action
    assert "say stop or press 9" in offer.text  # outreach says how to stop
    assert phone.pick_up(call_id, "human").xml == offer.xml  # Twilio asked twice
    day = phone.press("1")
    assert day.says[0].startswith("Thank you! Which day")
    phone.press("12")
    for key in ("2", "1#", "2"):  # the preference questions: pickup, morning, no names
        phone.press(key)
    row = call_row(sessions, call_id)
    assert (row.answered_by, row.status, row.mode) == (
        "human",
        CallStatus.IN_PROGRESS,
        CallMode.DONE,
    )
    with transaction(sessions) as s:
        enrollment = s.scalars(select(Enrollment)).one()
        assert enrollment.anchor_day == 12


def test_a_check_in_call_opens_the_check_in(
    client: TestClient,
    clock: FrozenClock,
    desk: CallDesk,
    caller: TwilioCaller,
    fake: FakeTwilio,
    sessions: sessionmaker[Session],
) -> None:
    inbound = PhoneCall(client, DOROTHY)
    inbound.dial_in()
    inbound.press("1")
    inbound.press("15")
    clock.advance(days=9)  # Dec 8, a week before the Dec 15 pickup
    call_id = placed_call(desk, caller, purpose="check_in")
    assert call_row(sessions, call_id).anchor_date == dt.date(2026, 12, 15)
    phone = PhoneCall(client, DOROTHY, sid=fake.calls[0].sid)
    first = phone.pick_up(call_id, "unknown")  # AMD could not tell: treated as a person
    assert first.says[0].startswith("Hi Dorothy, it's Main Street Pharmacy with your check-in")
    assert first.says[1].startswith("Since your last pickup")


@pytest.mark.parametrize(
    "answered_by", ["machine_end_beep", "machine_end_silence", "machine_end_other", "machine_start"]
)
def test_an_answering_machine_gets_a_voicemail_without_health_information(
    client: TestClient,
    desk: CallDesk,
    caller: TwilioCaller,
    fake: FakeTwilio,
    sessions: sessionmaker[Session],
    answered_by: str,
) -> None:
    call_id = placed_call(desk, caller)
    phone = PhoneCall(client, DOROTHY, sid=fake.calls[0].sid)
    voicemail = phone.pick_up(call_id, answered_by)
    assert voicemail.says == [
        "Hello, this is Main Street Pharmacy. Please call us back at (212) 555-0199. "
        "Again, that is (212) 555-0199. Thank you."
    ]
    assert_no_health_information(voicemail, "Dorothy", "Walsh")
    assert phone.pick_up(call_id, answered_by).xml == voicemail.xml
    with transaction(sessions) as s:
        said = s.scalars(select(Message.body).where(Message.phone == DOROTHY)).all()
        assert said == [f"[voicemail] {voicemail.says[0]}"]
    row = call_row(sessions, call_id)
    assert row.answered_by == answered_by and row.mode == CallMode.DONE


def test_a_check_in_voicemail_and_a_spanish_one_say_no_more(
    client: TestClient,
    clock: FrozenClock,
    desk: CallDesk,
    caller: TwilioCaller,
    fake: FakeTwilio,
) -> None:
    inbound = PhoneCall(client, DOROTHY)
    inbound.dial_in()
    inbound.press("1")
    inbound.press("15")
    clock.advance(days=9)
    check_in = placed_call(desk, caller, purpose="check_in")
    heard = PhoneCall(client, DOROTHY, sid=fake.calls[0].sid).pick_up(check_in, "machine_end_beep")
    assert_no_health_information(heard, "Dorothy", "Walsh")
    spanish = placed_call(desk, caller, "P1002")
    heard = PhoneCall(client, JOSE, sid=fake.calls[1].sid).pick_up(spanish, "machine_end_beep")
    assert heard.says == [
        "Hola, le habla Main Street Pharmacy. Por favor, devuélvanos la llamada al "
        "(212) 555-0199. Repetimos: (212) 555-0199. Gracias."
    ]
    assert all(say.get("language") == "es-US" for say in heard.root.iter("Say"))
    assert_no_health_information(heard, "José", "Ramírez")


def test_a_fax_is_hung_up_on(
    client: TestClient, desk: CallDesk, caller: TwilioCaller, fake: FakeTwilio
) -> None:
    call_id = placed_call(desk, caller)
    heard = PhoneCall(client, DOROTHY, sid=fake.calls[0].sid).pick_up(call_id, "fax")
    assert heard.verbs == ["Hangup"]


# ------------------------------------------------------------------ status callbacks and retries


def test_busy_or_no_answer_is_retried_once_inside_the_allowed_hours(
    client: TestClient,
    clock: FrozenClock,
    desk: CallDesk,
    caller: TwilioCaller,
    fake: FakeTwilio,
    sessions: sessionmaker[Session],
) -> None:
    clock.at = dt.datetime(2026, 11, 30, 1, 30, tzinfo=dt.UTC)  # 20:30 in New York
    first = placed_call(desk, caller)
    phone = PhoneCall(client, DOROTHY, sid=fake.calls[0].sid)
    assert phone.status("ringing", first).status_code == 204
    assert phone.status("busy", first, CallDuration="0").status_code == 204
    assert phone.status("busy", first).status_code == 204  # a repeated callback: one retry
    with transaction(sessions) as s:
        retry = s.scalars(select(Call).where(Call.attempt == 2)).one()
        # An hour later would be 21:30: the retry waits for 8:00 the next morning.
        assert retry.scheduled_for == dt.datetime(2026, 11, 30, 13, 0, tzinfo=dt.UTC)
        assert retry.retry_of_id == first and retry.status == CallStatus.SCHEDULED
    assert desk.place_due(caller, PUBLIC_URL) == []
    clock.at = dt.datetime(2026, 11, 30, 13, 0, tzinfo=dt.UTC)
    assert desk.place_due(caller, PUBLIC_URL) == [f"call {retry.id}: placed"]
    second = PhoneCall(client, DOROTHY, sid=fake.calls[1].sid)
    assert second.status("no-answer", retry.id).status_code == 204
    with transaction(sessions) as s:
        assert s.scalar(select(func.count()).select_from(Call)) == 2  # no third try
        notes = s.scalars(select(Message.body).order_by(Message.id)).all()
        assert notes == [
            "[phone call to the patient: med sync invitation, busy]",
            "[phone call to the patient: med sync invitation, no-answer]",
        ]
    assert len(fake.calls) == 2


def test_a_call_twilio_refuses_is_failed_and_tried_once_more(
    clock: FrozenClock,
    desk: CallDesk,
    caller: TwilioCaller,
    fake: FakeTwilio,
    sessions: sessionmaker[Session],
) -> None:
    fake.fail_next(400, 21215, "Account not allowed to call this number", resource="Calls")
    scheduled = desk.schedule(PHARMACY, "P1005", CallPurpose.INVITATION)
    assert desk.place(scheduled.call_id, caller, PUBLIC_URL).startswith("failed")
    row = call_row(sessions, scheduled.call_id)
    assert row.status == CallStatus.FAILED and row.error and "21215" in row.error
    clock.advance(minutes=61)
    assert len(desk.place_due(caller, PUBLIC_URL)) == 1
    assert [r.status for r in fake.calls] == [400, 201]


def test_status_moves_forward_only_and_unknown_calls_get_a_2xx(
    client: TestClient, desk: CallDesk, caller: TwilioCaller, fake: FakeTwilio, sessions
) -> None:
    call_id = placed_call(desk, caller)
    phone = PhoneCall(client, DOROTHY, sid=fake.calls[0].sid)
    phone.pick_up(call_id, "human")
    assert phone.status("completed", call_id, CallDuration="95").status_code == 204
    assert phone.status("ringing", call_id).status_code == 204  # late and out of order
    assert phone.status("busy", call_id).status_code == 204
    row = call_row(sessions, call_id)
    assert (row.status, row.duration) == (CallStatus.COMPLETED, 95)
    assert row.ended_at is not None
    with transaction(sessions) as s:
        assert s.scalar(select(func.count()).select_from(Call)) == 1  # answered: no retry
    stranger = PhoneCall(client, DOROTHY, sid=new_call_sid())
    assert stranger.status("completed").status_code == 204
    assert stranger.status("something-new").status_code == 204
    assert stranger.pick_up(999, "human").verbs == ["Hangup"]


def test_an_inbound_call_records_its_final_status(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    phone = PhoneCall(client, DOROTHY)
    opener = phone.dial_in()
    assert phone.status("completed", CallDuration="42").status_code == 204
    with transaction(sessions) as s:
        row = s.scalars(select(Call)).one()
        assert (row.status, row.duration, row.mode) == (CallStatus.COMPLETED, 42, CallMode.DONE)
    # An action after the hang-up (a late Gather) changes nothing.
    assert phone.press("1", opener.action).xml == opener.xml
    with transaction(sessions) as s:
        assert s.scalars(select(Call.step)).one() == 1


# ------------------------------------------------------------------ the command line


def test_medsync_call_places_or_schedules_through_the_api(
    client: TestClient, db_url: str, fake: FakeTwilio
) -> None:
    env = {
        "MEDSYNC_DATABASE_URL": db_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "MEDSYNC_TWILIO_API_URL": fake.url,
        "MEDSYNC_PUBLIC_URL": PUBLIC_URL,
        "MEDSYNC_SENDER": "twilio",
    }
    runner = CliRunner()
    result = runner.invoke(main, ["call", "P1005", "--purpose", "invitation"], env=env)
    assert result.exit_code == 0, result.output
    # The real clock decides: placed now, or kept for the morning (quiet hours).
    if "placed" in result.output:
        assert len(fake.calls) == 1
    else:
        assert "deferred" in result.output or "not due" in result.output
        assert fake.calls == []
    again = runner.invoke(main, ["call", "P1005", "--purpose", "invitation"], env=env)
    assert "scheduled before" in again.output
    missing = runner.invoke(main, ["call", "P9999"], env=env)
    assert missing.exit_code == 1 and "No patient P9999" in missing.output
    nothing = runner.invoke(main, ["call"], env=env)
    assert nothing.exit_code == 1 and "Say which patient" in nothing.output
    no_url = runner.invoke(main, ["call", "--due"], env={**env, "MEDSYNC_PUBLIC_URL": ""})
    assert no_url.exit_code == 1 and "MEDSYNC_PUBLIC_URL" in no_url.output


def test_due_check_ins_of_patients_who_cannot_text_become_calls_once(
    client: TestClient,
    clock: FrozenClock,
    desk: CallDesk,
    caller: TwilioCaller,
    fake: FakeTwilio,
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as s:
        for external_id in ("P1005", "P1001", "P1011"):  # landline, mobile, landline
            patient = s.scalars(select(Patient).where(Patient.external_id == external_id)).one()
            s.add(
                Enrollment(
                    patient_id=patient.id,
                    status=EnrollmentStatus.ACTIVE,
                    anchor_day=15 if external_id != "P1011" else 2,
                    cycle="monthly",
                    next_anchor_date=dt.date(2026, 12, 15 if external_id != "P1011" else 2),
                    updated_at=NOW,
                )
            )
    clock.at = dt.datetime(2026, 12, 8, 15, 0, tzinfo=dt.UTC)  # a week before Dec 15
    assert desk.run_due(caller, PUBLIC_URL) == ["call 1: placed"]
    assert [r.form["To"] for r in fake.calls] == [DOROTHY]  # not the mobile; Robert's is past T-3
    assert desk.run_due(caller, PUBLIC_URL) == []
    with transaction(sessions) as s:
        row = s.scalars(select(Call)).one()
        assert (row.purpose, row.anchor_date) == (CallPurpose.CHECK_IN, dt.date(2026, 12, 15))
