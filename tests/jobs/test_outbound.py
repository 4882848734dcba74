"""One outbound path: the row first, then a send through the real twilio client (to the fake
API) that re-checks everything, handles Twilio's errors, and never sends twice."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from sqlalchemy import select

from bot.outreach.outbound import deliver
from bot.outreach.sender import NullSender
from bot.outreach.sending_rules import LocalThrottle
from store.db import transaction
from store.models import ConsentEvent, ConsentKind, MessageStatus, Patient
from tests.jobs.conftest import ACCOUNT, NOW, PUBLIC_URL, World, fast_settings


def test_a_queued_text_goes_out_once_with_a_status_callback(world: World) -> None:
    message_id = world.queue_text("P1001")
    delivery = world.deliver(message_id)
    assert delivery.outcome == "sent"
    [sent] = world.fake.messages
    assert sent.username == ACCOUNT
    assert sent.form["To"] == "+12125550123" and sent.form["From"] == "+12125550100"
    assert sent.form["Body"] == "Hello from the pharmacy."
    assert sent.form["StatusCallback"] == f"{PUBLIC_URL}/twilio/status?message={message_id}"
    message = world.message(message_id)
    assert (message.status, message.sid, message.attempts) == (MessageStatus.SENT, sent.sid, 1)
    assert message.sent_at == NOW and message.segments == 1
    # Again (a retry, a second enqueue): nothing more is sent.
    assert world.deliver(message_id).outcome == "already"
    assert len(world.fake.messages) == 1


def test_opted_out_at_send_time_is_suppressed_not_sent(world: World) -> None:
    message_id = world.queue_text("P1001")
    with transaction(world.sessions) as session:
        patient = session.scalar(select(Patient).where(Patient.external_id == "P1001"))
        assert patient is not None
        patient.opted_out = True
    assert world.deliver(message_id).outcome == "suppressed"
    assert world.fake.messages == []
    message = world.message(message_id)
    assert message.status == MessageStatus.SUPPRESSED and "opted out" in (message.error or "")


def test_landlines_wait_for_a_call(world: World) -> None:
    message_id = world.queue_text("P1005")  # Dorothy's number is a landline
    assert world.deliver(message_id).outcome == "suppressed"
    assert world.fake.messages == []
    assert "landline" in (world.message(message_id).error or "")


def test_twilio_21610_marks_the_patient_opted_out_and_never_retries(world: World) -> None:
    world.fake.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    message_id = world.queue_text("P1001")
    assert world.deliver(message_id).outcome == "failed"
    message = world.message(message_id)
    assert message.status == MessageStatus.FAILED and message.error_code == 21610
    assert message.error == "Twilio error 21610: the patient has opted out (texted STOP)."
    assert world.patient("P1001").opted_out
    with transaction(world.sessions) as session:
        [event] = session.scalars(select(ConsentEvent)).all()
        assert event.kind == ConsentKind.OPT_OUT and event.message_id == message_id
    assert world.deliver(message_id).outcome == "already"
    assert len(world.fake.messages) == 1
    # The next automated text for the patient is not even tried.
    assert world.deliver(world.queue_text("P1001", "Another")).outcome == "suppressed"
    assert len(world.fake.messages) == 1


def test_twilio_30006_marks_the_number_not_sms_capable(world: World) -> None:
    world.fake.fail_next(400, 30006, "Landline or unreachable carrier")
    message_id = world.queue_text("P1003")
    world.clock.advance(hours=2)  # 11:00 in Houston
    assert world.deliver(message_id).outcome == "failed"
    assert world.message(message_id).error_code == 30006
    assert world.patient("P1003").sms_capable is False
    later = world.queue_text("P1003", "Later")
    world.clock.advance(days=2)
    assert world.deliver(later).outcome == "suppressed"
    assert len(world.fake.messages) == 1


@pytest.mark.parametrize(("status", "code"), [(400, 30003), (429, 20429), (500, None), (503, None)])
def test_transient_errors_are_retried_with_backoff(
    world: World, status: int, code: int | None
) -> None:
    world.fake.fail_next(status, code, "try later")
    message_id = world.queue_text("P1001")
    first = world.deliver(message_id)
    assert first.outcome == "retry" and first.at == NOW + dt.timedelta(seconds=10)
    message = world.message(message_id)
    assert message.status == MessageStatus.QUEUED and message.deferred_until == first.at
    assert message.error and message.error.startswith("Twilio")
    world.clock.advance(seconds=10)
    assert world.deliver(message_id).outcome == "sent"
    assert [r.status for r in world.fake.messages] == [status, 201]
    assert world.message(message_id).attempts == 2


def test_transient_errors_give_up_after_the_last_retry(world: World) -> None:
    world.fake.fail_next(500, times=10)
    message_id = world.queue_text("P1001")
    outcomes = []
    for _ in range(5):
        delivery = world.deliver(message_id)
        outcomes.append(delivery.outcome)
        world.clock.advance(seconds=60)
    assert outcomes == ["retry", "retry", "retry", "failed", "already"]
    message = world.message(message_id)
    assert message.status == MessageStatus.FAILED
    assert message.error == (
        "Twilio answered HTTP 500: Unable to create record: Scripted error 500. "
        "Gave up after 4 attempts."
    )
    assert len(world.fake.messages) == 4


def test_any_other_error_fails_with_the_reason_for_pharmacists(world: World) -> None:
    world.fake.fail_next(400, 21211, "The 'To' number is not a valid phone number.")
    message_id = world.queue_text("P1001")
    assert world.deliver(message_id).outcome == "failed"
    assert world.message(message_id).error == "Twilio error 21211: the phone number is not valid."
    world.fake.fail_next(400, 21999, "Something new")
    other = world.queue_text("P1002", "Hola")
    world.clock.advance(days=1)
    world.deliver(other)
    assert "Twilio error 21999" in (world.message(other).error or "")
    assert "Something new" in (world.message(other).error or "")


def test_quiet_hours_defer_and_never_drop(world: World) -> None:
    world.clock.at = dt.datetime(2026, 11, 30, 1, 30, tzinfo=dt.UTC)  # 20:30 in Miami
    message_id = world.queue_text("P1002", "Hola")
    delivery = world.deliver(message_id)
    assert delivery.outcome == "deferred"
    assert delivery.at == dt.datetime(2026, 11, 30, 13, 0, tzinfo=dt.UTC)  # 08:00 Miami
    assert world.message(message_id).deferred_until == delivery.at
    assert world.fake.messages == []
    world.clock.at = delivery.at
    assert world.deliver(message_id).outcome == "sent"


def test_frequency_caps_defer_the_second_automated_text(world: World) -> None:
    first, second = world.queue_text("P1001", "one"), world.queue_text("P1001", "two")
    assert world.deliver(first).outcome == "sent"
    held = world.deliver(second)
    assert held.outcome == "deferred" and held.at == NOW + dt.timedelta(days=1)
    # A pharmacist's own reply is not automated outreach: it goes.
    reply = world.queue_text("P1001", "From the pharmacist")
    with transaction(world.sessions) as session:
        from store.models import Message

        row = session.get(Message, reply)
        assert row is not None
        row.purpose = "pharmacist"
    assert world.deliver(reply).outcome == "sent"
    world.clock.at = held.at
    assert world.deliver(second).outcome == "sent"
    assert [r.form["Body"] for r in world.fake.messages] == ["one", "From the pharmacist", "two"]


def test_throughput_is_throttled_per_sending_number(world: World) -> None:
    world.settings = fast_settings(segments_per_second=2.0, cap_per_day=10, cap_per_week=10)
    clock = [0.0]  # the throttle's own time: it moves only while the sender waits
    policy = world.policy
    policy.throttle = LocalThrottle(2.0, timer=lambda: clock[0])

    def wait(seconds: float) -> None:
        world.slept.append(seconds)
        clock[0] += seconds

    policy.sleep = wait
    for body in ("one", "two", "x" * 200, "four"):
        deliver(world.sessions, world.sender, world.queue_text("P1001", body), world.clock, policy)
    # 1 segment each at 2 a second: the second waits 0.5 s, the third (2 segments) 0.5 s and
    # then holds the number for a whole second, so the fourth waits 1 s.
    assert world.slept == pytest.approx([0.5, 0.5, 1.0])
    assert [r.form["Body"][:4] for r in world.fake.messages] == ["one", "two", "xxxx", "four"]


def test_an_interrupted_send_that_reached_twilio_is_not_sent_again(world: World) -> None:
    message_id = world.queue_text("P1001")
    # A worker claimed it and Twilio got it, but the worker died before recording the SID.
    world.sender.send_sms("+12125550123", "+12125550100", "Hello from the pharmacy.")
    with transaction(world.sessions) as session:
        from store.models import Message

        row = session.get(Message, message_id)
        assert row is not None
        row.status, row.sent_at, row.attempts = MessageStatus.SENDING, NOW, 1
    # Within the lease another run may still be sending: hands off.
    busy = world.deliver(message_id)
    assert busy.outcome == "retry" and len(world.fake.messages) == 1
    world.clock.advance(seconds=61)
    settled = world.deliver(message_id)
    assert settled.outcome == "sent" and "reached Twilio" in settled.detail
    message = world.message(message_id)
    assert message.sid == world.fake.accepted_messages[0].sid
    assert len(world.fake.messages) == 1


def test_an_interrupted_send_that_never_reached_twilio_goes_once(world: World) -> None:
    message_id = world.queue_text("P1001")
    with transaction(world.sessions) as session:
        from store.models import Message

        row = session.get(Message, message_id)
        assert row is not None
        row.status, row.sent_at, row.attempts = MessageStatus.SENDING, NOW, 1
    world.clock.advance(seconds=61)
    assert world.deliver(message_id).outcome == "sent"
    assert world.deliver(message_id).outcome == "already"
    assert len(world.fake.messages) == 1


def test_a_lost_answer_leaves_the_row_for_checking_not_resending(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    message_id = world.queue_text("P1001")
    real = world.sender.client.messages.create

    def create_then_time_out(**kwargs: object) -> object:
        real(**kwargs)  # Twilio has it...
        raise requests.exceptions.ReadTimeout("read timed out")  # ...we never hear back

    monkeypatch.setattr(world.sender.client.messages, "create", create_then_time_out)
    assert world.deliver(message_id).outcome == "retry"
    assert world.message(message_id).status == MessageStatus.SENDING
    monkeypatch.undo()
    world.clock.advance(seconds=61)
    assert world.deliver(message_id).outcome == "sent"
    assert len(world.fake.messages) == 1


def test_a_sender_that_cannot_check_fails_rather_than_risk_a_duplicate(world: World) -> None:
    message_id = world.queue_text("P1001")
    with transaction(world.sessions) as session:
        from store.models import Message

        row = session.get(Message, message_id)
        assert row is not None
        row.status, row.sent_at = MessageStatus.SENDING, NOW - dt.timedelta(minutes=5)

    class Blind:
        def send_sms(
            self, to: str, from_: str, body: str, status_callback: str | None = None
        ) -> str:
            raise AssertionError("must not send")

    result = deliver(world.sessions, Blind(), message_id, world.clock, world.policy)
    assert result.outcome == "failed"
    assert "not sent again" in (world.message(message_id).error or "")


def test_in_process_jobs_use_the_same_path(world: World) -> None:
    jobs = world.jobs()
    jobs.send(world.queue_text("P1001"))
    assert jobs.results == ["sent"] and len(world.fake.messages) == 1


def test_the_null_sender_can_be_checked_too(world: World) -> None:
    sender = NullSender()
    message_id = world.queue_text("P1001")
    sender.send_sms("+12125550123", "+12125550100", "Hello from the pharmacy.")
    with transaction(world.sessions) as session:
        from store.models import Message

        row = session.get(Message, message_id)
        assert row is not None
        row.status, row.sent_at = MessageStatus.SENDING, NOW - dt.timedelta(minutes=5)
    assert deliver(world.sessions, sender, message_id, world.clock, world.policy).outcome == "sent"
    assert len(sender.sent) == 1


def test_null_sender_sids_are_unique_across_runs() -> None:
    # Two `medsync` commands on the null sender each start one: their SIDs must not collide
    # on message.sid (a caregiver's CLI test found it).
    first, second = NullSender(), NullSender()
    sid = first.send_sms("+12125550123", "+12125550100", "hi")
    assert sid != second.send_sms("+12125550123", "+12125550100", "hi")
    assert len(sid) == 34 and sid.startswith("SM")
    assert first.find_sms("+12125550123", "+12125550100", "hi", NOW) == sid
