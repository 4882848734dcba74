"""Work done after a transaction commits: sending a stored outbound message.

The embedded default runs jobs in-process; with MEDSYNC_REDIS_URL they go to RQ workers.
Jobs take ids only (never patient data) and are safe to run twice.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.outreach.outbound import Delivery, SendingPolicy, deliver
from bot.outreach.sender import Sender

if TYPE_CHECKING:
    from redis import Redis


class Jobs(Protocol):
    def send(self, message_id: int) -> None:
        """Send outbound message `message_id` (call after the commit that wrote it)."""
        ...


class InProcessJobs:
    """The embedded default: send right away, in this process. A deferred or retried message
    keeps its time in the row (deferred_until); the periodic job in `medsync serve` sends it."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        sender: Sender,
        clock: Clock,
        policy: SendingPolicy | None = None,
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.clock = clock
        self.policy = policy or SendingPolicy()
        self.results: list[str] = []
        self.deliveries: list[Delivery] = []

    def send(self, message_id: int) -> None:
        delivery = deliver(self.sessions, self.sender, message_id, self.clock, self.policy)
        self.deliveries.append(delivery)
        self.results.append(str(delivery))


def send_job_id(message_id: int, at: dt.datetime | None = None) -> str:
    """Deterministic: a second enqueue of the same send (or of the same deferral) is one job."""
    return f"send-{message_id}" if at is None else f"send-{message_id}-at-{int(at.timestamp())}"


class RQJobs:
    """Sends on RQ workers (`medsync worker`): the job carries the message id and nothing else."""

    def __init__(self, connection: Redis, queue_name: str = "medsync") -> None:
        from rq import Queue

        self.connection = connection
        self.queue = Queue(queue_name, connection=connection)
        self.results: list[str] = []

    def send(self, message_id: int, at: dt.datetime | None = None) -> None:
        from bot.outreach.worker import enqueue_send

        enqueue_send(self.queue, message_id, at)
        self.results.append("queued" if at is None else f"queued for {at:%Y-%m-%d %H:%M} UTC")


def make_jobs(
    redis_url: str | None,
    sessions: sessionmaker[Session],
    sender: Sender,
    clock: Clock,
    policy: SendingPolicy | None = None,
    queue_name: str = "medsync",
) -> Jobs:
    """RQ when MEDSYNC_REDIS_URL is set, else in-process."""
    if redis_url:
        from redis import Redis

        return RQJobs(Redis.from_url(redis_url), queue_name)
    return InProcessJobs(sessions, sender, clock, policy)
