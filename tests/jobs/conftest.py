"""A seeded pharmacy, a frozen clock, the fake Twilio API and the real twilio client."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from redis import Redis
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.sms import render_sms
from bot.clock import FrozenClock
from bot.conversation.messages import outbound_message
from bot.conversation.runtime import Runtime
from bot.imports import demo
from bot.outreach.deliveries import Delivery, SendingPolicy
from bot.outreach.jobs import InProcessJobs
from bot.outreach.outbound import deliver
from bot.outreach.rq_workers import SimpleWorker
from bot.outreach.sender import TwilioSender
from bot.outreach.sending_rules import LocalThrottle
from bot.outreach.worker import WorkerContext, configure
from bot.settings import Settings
from bot.settings.outreach import OutreachSettings
from store.db import make_engine, make_sessionmaker, transaction
from store.models import (
    Message,
    Patient,
    Pharmacy,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)
from tests.fake_twilio import FakeTwilio

NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York, a Sunday
ACCOUNT = "AC" + "a1" * 16
TOKEN = "jobs-test-token-0123456789abcdef"
PUBLIC_URL = "https://pharmacy.example.org"
_keys = itertools.count(1)


def fast_settings(**changes: object) -> OutreachSettings:
    """The defaults, with retries that need no waiting."""
    values: dict[str, object] = {"retry_intervals": [10, 30, 60], "segments_per_second": 1000.0}
    values.update(changes)
    return OutreachSettings(**values)  # type: ignore[arg-type]


@dataclass
class World:
    sessions: sessionmaker[Session]
    clock: FrozenClock
    fake: FakeTwilio
    sender: TwilioSender
    settings: OutreachSettings
    slept: list[float] = field(default_factory=list)

    @property
    def policy(self) -> SendingPolicy:
        return SendingPolicy(
            settings=self.settings,
            throttle=LocalThrottle(self.settings.segments_per_second),
            status_callback=PUBLIC_URL + "/twilio/status",
            sleep=self.slept.append,
        )

    def runtime(self) -> Runtime:
        return Runtime(self.sessions, self.clock, render_sms=render_sms)

    def jobs(self) -> InProcessJobs:
        return InProcessJobs(self.sessions, self.sender, self.clock, self.policy)

    def deliver(self, message_id: int) -> Delivery:
        return deliver(self.sessions, self.sender, message_id, self.clock, self.policy)

    def patient(self, external_id: str) -> Patient:
        with transaction(self.sessions) as session:
            found = session.scalar(select(Patient).where(Patient.external_id == external_id))
            assert found is not None
            return found

    def message(self, message_id: int) -> Message:
        with transaction(self.sessions) as session:
            found = session.get(Message, message_id)
            assert found is not None
            return found

    def queue_text(
        self, external_id: str, body: str = "Hello from the pharmacy.", key: str | None = None
    ) -> int:
        """A queued automated text, as the runtime or the scheduler writes one."""
        with transaction(self.sessions) as session:
            patient = session.scalar(select(Patient).where(Patient.external_id == external_id))
            assert patient is not None
            message = outbound_message(
                None,
                patient.pharmacy_id,
                patient.id,
                patient.phone,
                body,
                patient.language,
                self.clock.now(),
                idempotency_key=key or f"test:{external_id}:{next(_keys)}",
            )
            session.add(message)
            session.flush()
            return message.id

    def close_renewals(self, status: ReviewStatus = ReviewStatus.DONE) -> int:
        """Staff closed every pending renewal item (the prescriber sent the new order): as the
        inbox's "done" or "approve" leaves it. The number closed."""
        with transaction(self.sessions) as session:
            closed = session.execute(
                update(ReviewItem)
                .where(
                    ReviewItem.kind == ReviewKind.RENEWAL,
                    ReviewItem.status == ReviewStatus.PENDING,
                )
                .values(status=status)
            )
            return int(closed.rowcount or 0)

    def pharmacy(self) -> Pharmacy:
        with transaction(self.sessions) as session:
            found = session.scalar(select(Pharmacy))
            assert found is not None
            return found


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def world(db_url: str, fake: FakeTwilio) -> Iterator[World]:
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        demo.seed(session, NOW)
    clock = FrozenClock(NOW)
    fake.clock = clock.now
    yield World(
        sessions=sessions,
        clock=clock,
        fake=fake,
        sender=TwilioSender(ACCOUNT, TOKEN, fake.url),
        settings=fast_settings(),
    )
    engine.dispose()


@pytest.fixture
def connection(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def context(world: World, db_url: str, connection: Redis) -> Iterator[WorkerContext]:
    ctx = WorkerContext(
        settings=Settings(database_url=db_url, public_url=PUBLIC_URL, redis_url="redis://x"),
        outreach=fast_settings(retry_intervals=[0, 0, 0], segments_per_second=1000.0),
        clock=world.clock,
        sender=world.sender,
        connection=connection,
        engine=make_engine(db_url),
    )
    configure(ctx)
    yield ctx
    configure(None)
    assert ctx.engine is not None
    ctx.engine.dispose()


def burst(ctx: WorkerContext) -> None:
    """A real RQ worker in this process until the queue is empty."""
    SimpleWorker([ctx.queue], connection=ctx.connection).work(burst=True, with_scheduler=False)
