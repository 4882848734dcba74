"""A `medsync worker` SIGKILLed in the middle of a batch of sends, and started again as a
supervisor would: every text reaches the fake Twilio API exactly once, none is lost.

The worker runs its jobs in its own process (RQ's SimpleWorker), so the kill takes the whole
worker: texts it had claimed (`sending`, some already at Twilio, their SIDs never recorded)
and the batch job itself die with it. The restarted worker's scheduler sweep finds the
claimed rows once their lease is over, asks Twilio about each (`find_sms`), records the SID
of those Twilio has and sends only the others."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import func, select

from bot.outreach.worker import RQJobs
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Message
from tests.fake_twilio import FakeTwilio, Recorded
from tests.faults.servers import Process, RedisServer, medsync_environment
from tests.faults.test_twilio_storms import ACCOUNT, queue_texts

TEXTS = 30
KILL_AT = 8  # the worker dies as Twilio answers this many sends


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


def statuses(db_url: str, ids: list[int]) -> Counter[str]:
    sessions = make_sessionmaker(make_engine(db_url))
    with transaction(sessions) as session:
        rows = session.execute(
            select(Message.status, Message.sid.is_(None), func.count())
            .where(Message.id.in_(ids))
            .group_by(Message.status, Message.sid.is_(None))
        ).all()
    return Counter(
        {f"{status.value}{' without sid' if no_sid else ''}": n for status, no_sid, n in rows}
    )


def test_a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice(
    fault_db: str, redis_server: RedisServer, fake: FakeTwilio, logs: Path
) -> None:
    ids = queue_texts(fault_db, TEXTS)
    env = medsync_environment(
        fault_db,
        MEDSYNC_REDIS_URL=redis_server.url,
        MEDSYNC_SENDER="twilio",
        TWILIO_ACCOUNT_SID=ACCOUNT,
        MEDSYNC_TWILIO_API_URL=fake.url,
        MEDSYNC_SEGMENTS_PER_SECOND="20",  # a batch books ahead: some claimed, not yet sent
        MEDSYNC_CAP_PER_DAY="100",
        MEDSYNC_CAP_PER_WEEK="100",
        MEDSYNC_SEND_LEASE_SECONDS="2",
        MEDSYNC_SWEEP_GRACE_SECONDS="2",
        MEDSYNC_SCHEDULER_INTERVAL="2",
    )
    jobs = RQJobs(Redis.from_url(redis_server.url))
    jobs.send_many(ids)
    first = Process(["worker"], env, logs / "worker-1.log")
    killed: list[int] = []

    def kill_the_worker(request: Recorded) -> None:
        if request.method == "POST" and len(fake.accepted_messages) >= KILL_AT and not killed:
            assert first.process is not None
            killed.append(first.process.pid)
            os.kill(first.process.pid, signal.SIGKILL)

    fake.on_request = kill_the_worker
    first.start()
    deadline = time.monotonic() + 90
    while not killed and time.monotonic() < deadline:
        assert first.running or killed, first.output()[-3000:]
        time.sleep(0.05)
    assert killed, "the worker was never killed: " + first.output()[-3000:]
    assert first.process is not None
    first.process.wait(timeout=10)
    assert first.process.returncode == -signal.SIGKILL
    fake.on_request = None
    first.stop()
    at_the_kill = statuses(fault_db, ids)
    # Mid-send indeed: texts claimed whose SIDs were never recorded, some of them at Twilio.
    assert at_the_kill["sending without sid"] > 0, at_the_kill
    assert 0 < len(fake.accepted_messages) < TEXTS

    second = Process(["worker"], env, logs / "worker-2.log")  # the supervisor's restart
    second.start()
    try:
        deadline = time.monotonic() + 120
        while statuses(fault_db, ids)["sent"] < TEXTS and time.monotonic() < deadline:
            assert second.running, second.output()[-3000:]
            time.sleep(0.25)
        time.sleep(3)  # a stray second send would land now
    finally:
        second.stop()
        jobs.connection.close()

    assert statuses(fault_db, ids) == Counter({"sent": TEXTS}), second.output()[-3000:]
    ours = [r for r in fake.accepted_messages if r.form["Body"].startswith("Message ")]
    bodies = Counter(r.form["Body"] for r in ours)
    assert bodies == Counter(f"Message {n} from the pharmacy." for n in range(TEXTS))
    sessions = make_sessionmaker(make_engine(fault_db))
    with transaction(sessions) as session:
        by_body = {r.form["Body"]: r.sid for r in ours}
        for row in session.scalars(select(Message).where(Message.id.in_(ids))):
            assert row.sid == by_body[row.body]
