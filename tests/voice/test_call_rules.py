"""The rules a call keeps: signed requests, re-prompts with a cap, the offer of a person or a
message, opt-out once, idempotent steps, a length cap, and keypad-only languages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FrozenClock
from bot.outreach.call_desk import CallDesk
from bot.outreach.call_placing import CallRefused
from bot.settings.outreach import OutreachSettings
from bot.settings.voice import VoiceSettings
from store.calls import Call, CallMode, CallPurpose
from store.db import make_engine, make_sessionmaker, transaction
from store.models import (
    Channel,
    ConsentEvent,
    Conversation,
    Message,
    Patient,
    ReviewItem,
)
from tests.helpers import NOW, PUBLIC_URL, Phone, app_client
from tests.voice.calling import Heard, PhoneCall

DOROTHY = "+16175550122"  # P1005, English, landline
JOSE = "+13055550147"  # P1002, Spanish
MARGARET = "+12125550123"  # P1001, English, mobile
PHARMACY_PHONE = "+12125550199"


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


def count(sessions: sessionmaker[Session], model: type) -> int:
    with transaction(sessions) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def patient(sessions: sessionmaker[Session], phone: str) -> Patient:
    with transaction(sessions) as s:
        return s.scalars(select(Patient).where(Patient.phone == phone)).one()


def is_offer(heard: Heard) -> bool:
    return heard.gather is not None and "stay on the line to leave a message" in heard.text


# ------------------------------------------------------------------ signatures


def test_unsigned_or_forged_requests_are_403_and_store_nothing(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    call = PhoneCall(client, DOROTHY)
    url = PUBLIC_URL + "/twilio/voice"
    assert client.post("/twilio/voice", data=call.params()).status_code == 403
    assert call.post(url, call.params(), signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    forged = PhoneCall(client, DOROTHY, token="someone-else")
    assert forged.post(url, forged.params()).status_code == 403
    # Signed for step 1, sent for step 2: the query string is part of what Twilio signs.
    params = call.params(Digits="9")
    signature = call.validator.compute_signature(PUBLIC_URL + "/twilio/voice/answer?step=1", params)
    response = client.post(
        "/twilio/voice/answer?step=2", data=params, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403
    for route in ("status", "recording", "outbound"):
        assert client.post(f"/twilio/voice/{route}", data=call.params()).status_code == 403
    assert count(sessions, Call) == 0
    assert count(sessions, Message) == 0
    assert count(sessions, Conversation) == 0


# ------------------------------------------------------------------ re-prompts and the offer


def test_low_confidence_speech_is_asked_again_then_offered_a_person(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    call = PhoneCall(client, DOROTHY)
    call.dial_in()
    again = call.say("yes", confidence=0.2)
    assert again.says[0] == "Sorry, I didn't understand."
    assert again.says[1].startswith("Hi Dorothy")  # the same question, whole
    assert "Say yes or press 1. Say no or press 2." in again.says
    again = call.say("yes", confidence=0.3)
    assert again.says[0] == "Sorry, I didn't understand."
    offer = call.say("yes", confidence=0.1)  # a third time: no more re-prompts
    assert is_offer(offer)
    assert offer.says[0] == "Sorry, I didn't understand."
    assert count(sessions, ConsentEvent) == 0  # nothing heard clearly, nothing recorded
    with transaction(sessions) as s:
        item = s.scalars(select(ReviewItem).where(ReviewItem.kind == "call_back")).one()
        assert "could not be understood" in item.summary and item.priority == 0
        bodies = s.scalars(select(Message.body).where(Message.direction == "inbound")).all()
        assert "[unclear] yes" in bodies


def test_no_input_twice_offers_the_pharmacy_or_a_message(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    call = PhoneCall(client, DOROTHY)
    call.dial_in()
    again = call.silence()
    assert again.says[0] == "Sorry, I didn't hear an answer."
    assert again.gather is not None
    offer = call.silence()
    assert is_offer(offer)
    assert offer.says[-1] == (
        "To talk to someone at the pharmacy, say pharmacist or press 0. "
        "Or stay on the line to leave a message after the tone."
    )
    assert offer.gather is not None and offer.gather.get("numDigits") == "1"
    # Silence again: the message is the default, never another loop.
    record = call.silence()
    assert record.verbs == ["Say", "Record", "Say", "Hangup"]
    element = record.root.find("Record")
    assert element is not None
    assert element.get("finishOnKey") == "#" and element.get("maxLength") == "120"
    assert element.get("recordingStatusCallback", "").startswith(
        PUBLIC_URL + "/twilio/voice/recording?call=CA"
    )
    assert record.says[0].startswith("Please leave your message after the tone.")
    assert record.says[-1] == "We did not get a message. Goodbye."
    with transaction(sessions) as s:
        item = s.scalars(select(ReviewItem).where(ReviewItem.kind == "call_back")).one()
        assert "did not answer" in item.summary


def test_a_recorded_message_becomes_one_review_item(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    call = PhoneCall(client, DOROTHY)
    call.dial_in()
    call.silence()
    call.silence()
    record = call.silence()
    recording = {
        "RecordingSid": "RE" + "a" * 32,
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/REaaa",
        "RecordingDuration": "23",
    }
    thanks = call.answer(record.action, **recording)
    assert thanks.hangs_up
    assert thanks.says == [
        "Thank you. A pharmacist will listen to your message and call you back. Goodbye."
    ]
    callback = PUBLIC_URL + f"/twilio/voice/recording?call={call.sid}"
    params = call.params(RecordingStatus="completed", **recording)
    assert call.post(callback, params).status_code == 204
    assert call.post(callback, params).status_code == 204  # Twilio retried: still one item
    dorothy = patient(sessions, DOROTHY).id
    with transaction(sessions) as s:
        items = s.scalars(select(ReviewItem).where(ReviewItem.kind == "message")).all()
        assert len(items) == 1
        item = items[0]
        assert item.priority == 0 and "voice message (23 seconds)" in item.summary
        assert item.details["recording_url"] == recording["RecordingUrl"]
        assert item.patient_id == dorothy
        message = s.get(Message, item.message_id)
        assert message is not None and message.channel == Channel.VOICE
        assert message.body.startswith("[voice message, 23 s]")
        row = s.scalars(select(Call)).one()
        assert row.recording_url == recording["RecordingUrl"]


def test_a_message_that_arrives_only_by_callback_is_kept_too(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    call = PhoneCall(client, DOROTHY)
    call.dial_in()
    callback = PUBLIC_URL + f"/twilio/voice/recording?call={call.sid}"
    params = call.params(
        RecordingStatus="completed",
        RecordingSid="RE" + "b" * 32,
        RecordingUrl="https://api.twilio.com/rec/REbbb",
        RecordingDuration="5",
    )
    assert call.post(callback, params).status_code == 204
    assert count(sessions, ReviewItem) == 1
    unknown = PhoneCall(client, DOROTHY)  # a CallSid never seen: 2xx, nothing stored
    assert unknown.post(callback, unknown.params(RecordingUrl="x")).status_code == 204
    assert count(sessions, ReviewItem) == 1


def test_pressing_0_transfers_to_the_pharmacy_and_a_missed_transfer_takes_a_message(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    call = PhoneCall(client, DOROTHY)
    call.dial_in()
    transfer = call.press("0")
    assert transfer.verbs == ["Say", "Dial"]
    assert transfer.says == ["Connecting you to the pharmacy. Please hold."]
    dial = transfer.root.find("Dial")
    assert dial is not None and (dial.text or "").strip() == PHARMACY_PHONE
    assert dial.get("action", "").startswith(PUBLIC_URL + "/twilio/voice/answer?call=CA")
    missed = call.answer(transfer.action, DialCallStatus="no-answer")
    assert missed.says[0] == "Sorry, no one at the pharmacy could take your call right now."
    assert "Record" in missed.verbs
    with transaction(sessions) as s:
        item = s.scalars(select(ReviewItem)).one()
        assert item.kind.value == "call_back"  # the pharmacist still calls back


def test_saying_pharmacist_transfers_and_an_answered_transfer_just_ends(
    client: TestClient,
) -> None:
    call = PhoneCall(client, JOSE)
    call.dial_in()
    transfer = call.say("farmacéutico")
    assert transfer.verbs == ["Say", "Dial"]
    assert transfer.says == ["Le estamos comunicando con la farmacia. Por favor, espere."]
    ended = call.answer(transfer.action, DialCallStatus="completed")
    assert ended.verbs == ["Hangup"]


def test_an_answer_the_dialog_cannot_read_twice_ends_with_the_offer(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    call = PhoneCall(client, DOROTHY)
    call.dial_in()
    again = call.say("purple elephants")
    assert again.says[0] == "Sorry, I want to be sure I got that right."  # never a bare "what?"
    assert again.says[1] == "Would you like to join med sync?"
    offer = call.say("purple elephants")
    assert offer.says[0] == "Sorry for the trouble. A pharmacist will call you to help."
    assert is_offer(offer)
    with transaction(sessions) as s:
        assert s.scalars(select(ReviewItem.kind)).all() == ["call_back"]


def test_out_of_range_days_count_as_re_prompts_and_never_loop(client: TestClient) -> None:
    call = PhoneCall(client, DOROTHY)
    call.dial_in()
    call.press("1")
    first = call.press("31")
    assert first.says[0] == "Please choose a day from 1 to 28, so it comes every month."
    call.press("30")
    offer = call.press("29")
    assert is_offer(offer)


# ------------------------------------------------------------------ opt-out


@pytest.mark.parametrize("how", ["keypad", "speech"])
def test_opting_out_stops_calls_and_texts_confirmed_once(
    client: TestClient, db_url: str, sessions: sessionmaker[Session], how: str
) -> None:
    call = PhoneCall(client, DOROTHY)
    question = call.dial_in().action
    stopped = call.press("9") if how == "keypad" else call.say("stop")
    assert stopped.hangs_up
    assert stopped.says == [
        "You will get no more calls or texts from Main Street Pharmacy. "
        "If you change your mind, call us and say start. Goodbye."
    ]
    # Twilio asks again with the same step: the same answer, no second record.
    again = call.press("9", question) if how == "keypad" else call.say("stop", action=question)
    assert again.xml == stopped.xml
    with transaction(sessions) as s:
        events = s.scalars(select(ConsentEvent)).all()
        expected = "keypad 9 (stop)" if how == "keypad" else "stop"
        assert [(e.kind.value, e.channel, e.wording) for e in events] == [
            ("opt_out", Channel.VOICE, expected)
        ]
    assert patient(sessions, DOROTHY).opted_out
    # Texts from the patient get no automated answer; no call may be scheduled.
    assert Phone(client, DOROTHY).text("hello?") == []
    desk = CallDesk(client.app.state.runtime)  # type: ignore[attr-defined]
    with pytest.raises(CallRefused, match="opted out"):
        desk.schedule(1, "P1005", CallPurpose.INVITATION)
    # A new call asks nothing: it says why and offers a person or a message.
    later = PhoneCall(client, DOROTHY).dial_in()
    assert later.says[0].startswith("This is Main Street Pharmacy. You asked us not to call")
    assert is_offer(later)
    assert count(sessions, ConsentEvent) == 1


def test_spanish_alto_opts_out_and_comenzar_opts_back_in(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    call = PhoneCall(client, JOSE)
    call.dial_in()
    stopped = call.say("alto")
    assert stopped.says[0].startswith("Ya no recibirá llamadas ni mensajes de Main Street Pharmacy")
    back = PhoneCall(client, JOSE)
    opener = back.dial_in()
    assert "diga comenzar" in opener.says[0]
    again = back.say("comenzar")
    assert again.says[0].startswith("Volverá a recibir llamadas y mensajes")
    assert again.says[-1].startswith("Para hablar con alguien de la farmacia")  # the menu
    assert not patient(sessions, JOSE).opted_out
    with transaction(sessions) as s:
        kinds = s.scalars(select(ConsentEvent.kind).order_by(ConsentEvent.id)).all()
        assert [k.value for k in kinds] == ["opt_out", "opt_in"]


def test_low_confidence_stop_is_asked_again_not_acted_on(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    call = PhoneCall(client, DOROTHY)
    call.dial_in()
    again = call.say("stop", confidence=0.2)
    assert again.says[0] == "Sorry, I didn't understand."
    assert not patient(sessions, DOROTHY).opted_out


# ------------------------------------------------------------------ idempotent steps


def test_a_repeated_action_request_gets_identical_twiml_and_changes_nothing(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    call = PhoneCall(client, DOROTHY)
    offer = call.dial_in()
    # The call's first request repeated (Twilio retries a webhook): the same opener, one call.
    assert call.dial_in().xml == offer.xml
    day = call.press("1", action=offer.action)
    snapshot = (count(sessions, Message), count(sessions, ConsentEvent))
    repeat = call.press("1", action=offer.action)
    assert repeat.xml == day.xml
    assert (count(sessions, Message), count(sessions, ConsentEvent)) == snapshot
    with transaction(sessions) as s:
        row = s.scalars(select(Call)).one()
        assert row.step == 2


def test_an_out_of_order_step_is_answered_with_the_current_question(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    call = PhoneCall(client, DOROTHY)
    offer = call.dial_in()
    day = call.press("1")
    stale = call.press("2", action=offer.action)  # an old step, with another answer
    assert stale.xml == day.xml
    future = call.press("1", action=offer.action.replace("step=1", "step=7"))
    assert future.xml == day.xml
    odd = call.press("1", action=offer.action.replace("step=1", "step=x"))
    assert odd.xml == day.xml
    with transaction(sessions) as s:
        assert s.scalars(select(ConsentEvent.kind)).all() == ["enrollment_accepted"]
        assert s.scalars(select(Call.step)).one() == 2


def test_an_action_for_an_unknown_call_hangs_up(client: TestClient) -> None:
    call = PhoneCall(client, DOROTHY)
    heard = call.press("1", action=PUBLIC_URL + "/twilio/voice/answer?call=CAx&step=1")
    assert heard.verbs == ["Hangup"]


# ------------------------------------------------------------------ the length cap


def test_a_call_past_its_length_cap_says_goodbye(
    client: TestClient, clock: FrozenClock, sessions: sessionmaker[Session]
) -> None:
    call = PhoneCall(client, DOROTHY)
    call.dial_in()
    call.press("1")
    clock.advance(seconds=VoiceSettings().max_call_seconds + 1)
    ended = call.press("15")
    assert ended.says == ["We need to end this call now. A pharmacist will call you back. Goodbye."]
    assert ended.hangs_up
    with transaction(sessions) as s:
        item = s.scalars(select(ReviewItem)).one()
        assert "length limit" in item.summary and "choosing a pickup day" in item.summary
        assert s.scalars(select(Call.mode)).one() == CallMode.DONE


def test_a_call_past_its_step_cap_says_goodbye(client: TestClient) -> None:
    app = client.app
    state = app.state  # type: ignore[attr-defined]
    state.calls = CallDesk(state.runtime, VoiceSettings(max_steps=3), OutreachSettings())
    call = PhoneCall(client, DOROTHY)
    call.dial_in()
    call.say("help")  # step 2: the help, and the question again
    assert call.last is not None and call.last.gather is not None
    call.say("help")  # step 3
    ended = call.say("help")
    assert ended.hangs_up and ended.says[0].startswith("We need to end this call now.")


# ------------------------------------------------------------------ callers we cannot serve fully


def test_a_language_without_a_voice_is_said_in_english_keypad_only_with_a_note(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    # Haitian Creole has no voice and no recognizer (locales/voice.toml): say Dorothy speaks it.
    with transaction(sessions) as s:
        s.scalars(select(Patient).where(Patient.phone == DOROTHY)).one().language = "ht"
    call = PhoneCall(client, DOROTHY)
    offer = call.dial_in()
    gather = offer.gather
    assert gather is not None
    assert gather.get("input") == "dtmf"
    assert gather.get("language") is None and gather.get("speechTimeout") is None
    assert all(say.get("language") == "en-US" for say in offer.root.iter("Say"))
    assert "Press 1 for yes. Press 2 for no." in offer.says
    assert "press 9 to stop our calls and texts" in offer.text
    assert "Say yes" not in offer.text
    day = call.press("1")
    assert "Enter a day from 1 to 28 on the keypad, then press the pound key." in day.says
    with transaction(sessions) as s:
        notes = s.scalars(select(ReviewItem).where(ReviewItem.kind == "message")).all()
        assert len(notes) == 1
        assert "(ht)" in notes[0].summary and "keypad answers only" in notes[0].summary


def test_an_unknown_number_is_offered_the_pharmacy(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    call = PhoneCall(client, "+12025550999")
    heard = call.dial_in()
    assert heard.says[0] == (
        "This is Main Street Pharmacy. We could not find the number you are calling from "
        "in our records."
    )
    assert is_offer(heard)
    transfer = call.press("0")
    assert "Dial" in transfer.verbs
    with transaction(sessions) as s:
        item = s.scalars(select(ReviewItem)).one()
        assert item.kind.value == "unknown_sender" and item.phone == "+12025550999"


def test_nothing_due_gets_the_short_menu(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    call = PhoneCall(client, MARGARET)
    call.dial_in()
    call.press("1")
    call.press("20")  # enrolled: a pharmacist reviews the plan; nothing due now
    menu = PhoneCall(client, MARGARET)
    heard = menu.dial_in()
    assert heard.says[0].startswith("Thank you! A pharmacist is checking your med sync plan")
    assert heard.says[-1].startswith("To talk to someone at the pharmacy, say pharmacist or")
    help_ = menu.say("help")
    assert help_.says[0].startswith("This is the med sync service of Main Street Pharmacy.")
    assert "To leave a message, press 1." in help_.text
    message = menu.press("1")
    assert "Record" in message.verbs


@pytest.mark.parametrize(
    "fields",
    [
        {"Digits": "hangup"},
        {"Digits": "*#*"},
        {"Digits": "12345678901234567890"},
        {"SpeechResult": "\x00 yes", "Confidence": "not-a-number"},
        {"SpeechResult": "<Say>hi</Say> %(first_name)s", "Confidence": "0.9"},
        {"SpeechResult": "x" * 5000},
        {"SpeechResult": "🙂", "Confidence": "1.5"},
    ],
)
def test_odd_form_values_get_an_answer_never_a_500(sqlite_url: str, fields: dict[str, str]) -> None:
    # The subject is the parsing, not the database: SQLite only.
    call = PhoneCall(app_client(sqlite_url, verify_callers=False), DOROTHY)
    call.dial_in()
    heard = call.answer(**fields)
    assert heard.root.tag == "Response" and heard.says


def test_a_failing_step_still_gets_the_caller_to_the_pharmacy(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, sessions: sessionmaker[Session]
) -> None:
    call = PhoneCall(client, JOSE)
    call.dial_in()
    runtime = client.app.state.runtime  # type: ignore[attr-defined]

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in a dialog")

    monkeypatch.setattr(runtime, "converse", broken)
    heard = call.press("1")
    assert heard.verbs == ["Say", "Say", "Dial", "Hangup"]
    assert heard.says[1] == "Le estamos comunicando con la farmacia. Por favor, espere."
    dial = heard.root.find("Dial")
    assert dial is not None and dial.text == PHARMACY_PHONE
    with transaction(sessions) as s:
        assert s.scalars(select(Call.step)).one() == 1  # nothing of the failed step was kept


def test_odd_callers_get_an_answer_never_a_500(sqlite_url: str) -> None:
    client = app_client(sqlite_url, verify_callers=False)
    for number in ("", "Anonymous", "+266696687", "+1" + "9" * 40):
        heard = PhoneCall(client, number).dial_in()
        assert heard.root.tag == "Response" and heard.says
