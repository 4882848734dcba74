"""The fake Twilio API answering storms of 429 and 500 to a real `medsync worker` (its own
Redis, PostgreSQL): every text is retried with growing waits and sent exactly once."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq.job import Job
from sqlalchemy import select

from bot.conversation.messages import outbound_message
from bot.outreach.worker import RQJobs, send_job_id
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Message, MessageStatus, Patient
from tests.fake_twilio import FakeTwilio, Recorded
from tests.faults.servers import Process, RedisServer, medsync_environment

ACCOUNT = "AC" + "5a" * 16
TEXTS = 8
STORM = 6  # each of 429, 500 and 503, interleaved
INTERVALS = [1, 2, 4, 8, 8, 8]  # seconds before retries 1..6: growing waits


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


def queue_texts(db_url: str, count: int) -> list[int]:
    """Pharmacist-written texts to the demo's mobile patients, stored queued as the inbox
    stores them."""
    sessions = make_sessionmaker(make_engine(db_url))
    with transaction(sessions) as session:
        mobiles = list(session.scalars(select(Patient).where(Patient.phone_type != "landline")))
        ids = []
        for n, patient in zip(range(count), itertools.cycle(mobiles), strict=False):
            message = outbound_message(
                None,
                patient.pharmacy_id,
                patient.id,
                patient.phone,
                f"Message {n} from the pharmacy.",
                patient.language,
                dt.datetime.now(dt.UTC),
                idempotency_key=f"storm:{n}",
            )
            session.add(message)
            session.flush()
            ids.append(message.id)
    return ids


def test_a_storm_of_429_and_500_sends_every_text_exactly_once_with_backoff(
    fault_db: str,
    redis_server: RedisServer,
    fake: FakeTwilio,
    logs: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The retry waits travel with the job, from whoever enqueues it: the same setting on
    # every web process and worker (docs/DEPLOY.md).
    monkeypatch.setenv("MEDSYNC_RETRY_INTERVALS", str(INTERVALS))
    asked: dict[str, list[float]] = defaultdict(list)

    def note(request: Recorded) -> None:
        if request.method == "POST" and request.resource == "Messages":
            asked[request.form["Body"]].append(time.monotonic())

    fake.on_request = note
    # The storm: the next 18 sends are refused, 429s, 500s and 503s interleaved.
    for _ in range(STORM):
        fake.fail_next(429, 20429, "Too Many Requests")
        fake.fail_next(500, message="Internal Server Error")
        fake.fail_next(503, message="Service Unavailable")
    ids = queue_texts(fault_db, TEXTS)
    env = medsync_environment(
        fault_db,
        MEDSYNC_REDIS_URL=redis_server.url,
        MEDSYNC_SENDER="twilio",
        TWILIO_ACCOUNT_SID=ACCOUNT,
        MEDSYNC_TWILIO_API_URL=fake.url,
        MEDSYNC_RETRY_INTERVALS=str(INTERVALS),
        MEDSYNC_SEGMENTS_PER_SECOND="1000",
        MEDSYNC_CAP_PER_DAY="100",
        MEDSYNC_CAP_PER_WEEK="100",
    )
    jobs = RQJobs(Redis.from_url(redis_server.url))
    for message_id in ids:
        jobs.send(message_id)
    job = Job.fetch(send_job_id(ids[0]), connection=jobs.connection)
    assert job.retries_left == len(INTERVALS) and job.retry_intervals == INTERVALS
    worker = Process(["worker"], env, logs / "worker.log")
    worker.start()
    try:
        deadline = time.monotonic() + 90
        while len(fake.accepted_messages) < TEXTS and time.monotonic() < deadline:
            assert worker.running, worker.output()[-3000:]
            time.sleep(0.25)
        time.sleep(2)  # any stray retry would land now
    finally:
        worker.stop()
        jobs.connection.close()

    statuses = [r.status for r in fake.messages]
    assert [statuses.count(s) for s in (429, 500, 503)] == [STORM] * 3
    accepted = [r.form["Body"] for r in fake.accepted_messages]
    assert sorted(accepted) == sorted(f"Message {n} from the pharmacy." for n in range(TEXTS))
    sessions = make_sessionmaker(make_engine(fault_db))
    with transaction(sessions) as session:
        rows = session.scalars(select(Message).where(Message.id.in_(ids))).all()
        by_body = {r.form["Body"]: r.sid for r in fake.accepted_messages}
        for row in rows:
            assert row.status == MessageStatus.SENT, (row.id, row.status, row.error)
            assert row.sid == by_body[row.body]
            assert row.attempts == len(asked[row.body])
    # Backoff: the n-th retry of a text came at least INTERVALS[n-1] seconds after the try
    # before it, less the second RQ's scheduler may take away (it keeps whole seconds).
    retried = 0
    for times in asked.values():
        for n, (before, after) in enumerate(itertools.pairwise(times), start=1):
            assert after - before >= INTERVALS[n - 1] - 1, (n, after - before)
            retried += 1
    assert retried == 3 * STORM
