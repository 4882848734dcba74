"""POST /twilio/status: signed, idempotent, never backwards, 2xx for SIDs we do not know."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot.conversation.messages import outbound_message
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Message, MessageStatus, Patient
from tests.helpers import NOW, PUBLIC_URL, TOKEN, app_client


@pytest.fixture
def client(db_url: str) -> TestClient:
    return app_client(db_url)


@pytest.fixture
def sessions(db_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def post(client: TestClient, params: dict[str, str], query: str = "", signed: bool = True):  # type: ignore[no-untyped-def]
    path = "/twilio/status" + (f"?{query}" if query else "")
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + path, params)
    headers = {"X-Twilio-Signature": signature if signed else "bm9wZQ=="}
    return client.post(path, data=params, headers=headers)


def sent_message(sessions, sid: str | None = "SM" + "1" * 32, external_id: str = "P1001") -> int:  # type: ignore[no-untyped-def]
    with transaction(sessions) as session:
        patient = session.scalar(select(Patient).where(Patient.external_id == external_id))
        assert patient is not None
        message = outbound_message(
            None,
            patient.pharmacy_id,
            patient.id,
            patient.phone,
            "Hello",
            "en",
            NOW,
            status=MessageStatus.SENT if sid else MessageStatus.SENDING,
            idempotency_key=f"status-test:{sid}",
        )
        message.sid = sid
        session.add(message)
        session.flush()
        return message.id


def status_of(sessions, message_id: int) -> Message:  # type: ignore[no-untyped-def]
    with transaction(sessions) as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def callback(sid: str, status: str, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": "AC" + "1" * 32,
        "From": "+12125550100",
        "To": "+12125550123",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def test_unsigned_callbacks_are_refused_and_change_nothing(client: TestClient, sessions) -> None:  # type: ignore[no-untyped-def]
    message_id = sent_message(sessions)
    response = post(client, callback("SM" + "1" * 32, "delivered"), signed=False)
    assert response.status_code == 403
    assert status_of(sessions, message_id).status == MessageStatus.SENT


def test_status_moves_forward_only_and_repeats_are_harmless(client: TestClient, sessions) -> None:  # type: ignore[no-untyped-def]
    sid = "SM" + "1" * 32
    message_id = sent_message(sessions, sid)
    for status in ("delivered", "delivered", "sent", "queued", "sending"):
        assert post(client, callback(sid, status)).status_code == 204
        assert status_of(sessions, message_id).status == MessageStatus.DELIVERED
    # "read" is a delivered text that was read: still delivered.
    assert post(client, callback(sid, "read")).status_code == 204
    assert status_of(sessions, message_id).status == MessageStatus.DELIVERED


def test_sent_then_undelivered_keeps_the_error_for_pharmacists(
    client: TestClient, sessions
) -> None:  # type: ignore[no-untyped-def]
    sid = "SM" + "2" * 32
    message_id = sent_message(sessions, sid)
    post(client, callback(sid, "sent"))
    post(client, callback(sid, "undelivered", ErrorCode="30003"))
    message = status_of(sessions, message_id)
    assert message.status == MessageStatus.UNDELIVERED and message.error_code == 30003
    assert message.error == "Twilio error 30003: the handset is unreachable."
    post(client, callback(sid, "delivered"))  # a late, contradictory callback
    assert status_of(sessions, message_id).status == MessageStatus.UNDELIVERED


def test_30006_in_a_callback_marks_the_number_not_sms_capable(client: TestClient, sessions) -> None:  # type: ignore[no-untyped-def]
    sid = "SM" + "3" * 32
    sent_message(sessions, sid)
    post(client, callback(sid, "undelivered", ErrorCode="30006"))
    with transaction(sessions) as session:
        patient = session.scalar(select(Patient).where(Patient.external_id == "P1001"))
        assert patient is not None and patient.sms_capable is False


def test_21610_in_a_callback_opts_the_patient_out(client: TestClient, sessions) -> None:  # type: ignore[no-untyped-def]
    sid = "SM" + "4" * 32
    sent_message(sessions, sid)
    post(client, callback(sid, "failed", ErrorCode="21610"))
    post(client, callback(sid, "failed", ErrorCode="21610"))  # twice: one opt-out record
    with transaction(sessions) as session:
        from store.models import ConsentEvent

        patient = session.scalar(select(Patient).where(Patient.external_id == "P1001"))
        assert patient is not None and patient.opted_out
        assert len(session.scalars(select(ConsentEvent)).all()) == 1


def test_unknown_sids_and_odd_input_get_2xx(client: TestClient, sessions) -> None:  # type: ignore[no-untyped-def]
    assert post(client, callback("SM" + "9" * 32, "delivered")).status_code == 204
    assert post(client, callback("SM" + "9" * 32, "something-new")).status_code == 204
    assert post(client, {"AccountSid": "AC" + "1" * 32}).status_code == 204
    assert post(client, callback("SM" + "8" * 32, "sent"), query="message=abc").status_code == 204


def test_a_send_that_lost_its_answer_gets_its_sid_from_the_callback(
    client: TestClient,
    sessions,  # type: ignore[no-untyped-def]
) -> None:
    message_id = sent_message(sessions, sid=None)  # claimed, Twilio got it, the worker died
    sid = "SM" + "5" * 32
    assert (
        post(client, callback(sid, "delivered"), query=f"message={message_id}").status_code == 204
    )
    message = status_of(sessions, message_id)
    assert message.sid == sid and message.status == MessageStatus.DELIVERED
