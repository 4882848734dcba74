"""Work done after a transaction commits: sending a stored outbound message, for now.

The embedded default runs jobs in-process; with MEDSYNC_REDIS_URL they go to RQ workers.
Jobs take ids only (never patient data) and are safe to run twice.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.outbound import deliver
from bot.sender import Sender


class Jobs(Protocol):
    def send(self, message_id: int) -> None:
        """Send outbound message `message_id` (call after the commit that wrote it)."""
        ...


class InProcessJobs:
    """The embedded default: send right away, in this process."""

    def __init__(self, sessions: sessionmaker[Session], sender: Sender, clock: Clock) -> None:
        self.sessions = sessions
        self.sender = sender
        self.clock = clock
        self.results: list[str] = []

    def send(self, message_id: int) -> None:
        self.results.append(deliver(self.sessions, self.sender, message_id, self.clock))
