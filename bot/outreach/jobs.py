"""The jobs port: work done after a transaction commits (sending a stored outbound message).

Whatever writes a message row hands its id to a `Jobs` after the commit. The embedded default
runs the send in this process (`InProcessJobs`); with MEDSYNC_REDIS_URL the RQ implementation
in bot/outreach/worker.py queues it for `medsync worker`. Jobs take ids only (never patient
data) and are safe to run twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.outreach.deliveries import Delivery, SendingPolicy
from bot.outreach.outbound import deliver
from bot.outreach.sender import Sender


class Jobs(Protocol):
    def send(self, message_id: int) -> None:
        """Send outbound message `message_id` (call after the commit that wrote it)."""
        ...


def send_all(jobs: Jobs, message_ids: Sequence[int]) -> None:
    """Hand many texts over at once: in batch jobs where the jobs take batches (RQ), else
    one by one."""
    many = getattr(jobs, "send_many", None)
    if many is not None:
        many(list(message_ids))
        return
    for message_id in message_ids:
        jobs.send(message_id)


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
