"""Redis stopped under `medsync serve` and `medsync worker` (PostgreSQL, the fake Twilio API):
inbound texts are still answered with TwiML; a text a pharmacist's decision causes while
Redis is down is stored as queued (the decision is not refused) and sent exactly once after
Redis is back, when the worker's scheduler tick sweeps queued rows whose job is gone."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from redis import Redis
from sqlalchemy import select

from bot.outreach.rq_workers import Worker
from store.accounts import Role
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Direction, Message, MessageStatus
from tests.fake_twilio import FakeTwilio
from tests.faults.servers import Process, RedisServer, WebProcess, medsync_environment
from tests.faults.traffic import Twilio, text_form
from tests.helpers import NOW, replies
from tests.inbox.factories import add_user, main_pharmacy, new_enrollment, patient

ACCOUNT = "AC" + "f0" * 16
MARGARET = "+12125550123"
TEXTERS = ["+13055550147", "+17135550111", "+14155550165"]


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


def until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_texts_are_answered_and_sends_are_kept_while_redis_is_down(
    fault_db: str, redis_server: RedisServer, fake: FakeTwilio, logs: Path
) -> None:
    from bot.web.tokens import create_token

    sessions = make_sessionmaker(make_engine(fault_db))
    with transaction(sessions) as s:
        user = add_user(s, "system@example.org", Role.PHARMACIST, [main_pharmacy(s).id])
        token = create_token(s, user, "pharmacy-system", NOW, days=3650)[1]
        item_id = new_enrollment(s, patient(s, "P1001")).id
    env = medsync_environment(
        fault_db,
        MEDSYNC_REDIS_URL=redis_server.url,
        MEDSYNC_SENDER="twilio",
        TWILIO_ACCOUNT_SID=ACCOUNT,
        MEDSYNC_TWILIO_API_URL=fake.url,
        MEDSYNC_SCHEDULER_INTERVAL="1",
        MEDSYNC_SWEEP_GRACE_SECONDS="2",
        MEDSYNC_SEGMENTS_PER_SECOND="100",
    )
    web = WebProcess(env, logs / "web.log")
    worker = Process(["worker"], env, logs / "worker.log")
    web.start()
    worker.start()
    try:
        connection = Redis.from_url(redis_server.url)
        until(lambda: bool(Worker.all(connection=connection)), 30, "the worker never started")
        connection.close()
        redis_server.stop()
        # Texts in: answered from the database alone.
        twilio = Twilio()
        for phone in TEXTERS:
            answer = twilio.deliver(web.base, text_form(phone, "hi"), give_up=5)
            assert replies(answer.text) and replies(answer.text)[0]
        assert set(twilio.statuses()) == {200}
        # A decision that sends a text: done and stored, the send waits for Redis.
        response = httpx.post(
            f"{web.base}/api/v1/review-items/{item_id}/decision",
            json={"action": "approve"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        with transaction(sessions) as s:
            queued = s.scalars(
                select(Message).where(
                    Message.direction == Direction.OUTBOUND, Message.phone == MARGARET
                )
            ).one()
        assert queued.status == MessageStatus.QUEUED
        time.sleep(2)  # two scheduler intervals: nothing can be sent without Redis
        assert fake.messages == []
        assert worker.running, "the worker quit when Redis went away"

        redis_server.start()  # the same port, empty: every job that was in it is gone
        until(lambda: len(fake.accepted_messages) >= 1, 30, "the queued text was never sent")
        time.sleep(3)  # more ticks and sweeps: still sent once
    finally:
        worker.stop()
        web.stop()
    sent = [m for m in fake.messages if m.form["To"] == MARGARET]
    assert len(sent) == 1, [m.form for m in fake.messages]
    with transaction(sessions) as s:
        message = s.get(Message, queued.id)
        assert message is not None
        assert message.status in {MessageStatus.SENT, MessageStatus.DELIVERED}
        assert message.sid == sent[0].sid
        assert message.body == sent[0].form["Body"]
    # It saw the outage and waited it out: RQ itself retries a lost connection while it waits
    # for jobs; anywhere else RQ quits and run_worker starts it again.
    log = worker.output()
    assert "trying again" in log or "could not connect to Redis" in log
