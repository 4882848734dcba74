"""What a send of one stored outbound message works with (bot/outreach/outbound.py,
bot/outreach/batches.py): what a run did with it (`Delivery`), what a send needs besides the
row (`SendingPolicy`), the claimed row's text (`Claim`), the row read under lock, and the order
in which a message's status may move.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.outreach.sending_rules import LocalThrottle, Throttle
from bot.settings.outreach import OutreachSettings
from store.models import Message, MessageStatus

Outcome = Literal["sent", "deferred", "retry", "suppressed", "failed", "already", "missing"]

# Status moves forward only: a late "sent" callback never undoes "delivered".
RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.UNDELIVERED: 3,
    MessageStatus.FAILED: 3,
    MessageStatus.SUPPRESSED: 3,
}


@dataclass(frozen=True)
class Delivery:
    """What one run did with a message; `at` is when to run again (deferred, retry)."""

    outcome: Outcome
    detail: str
    at: dt.datetime | None = None

    def __str__(self) -> str:
        return self.detail


@dataclass
class SendingPolicy:
    """Everything a send needs besides the row: the rules, the throttle, the callback URL."""

    settings: OutreachSettings = field(default_factory=OutreachSettings)
    throttle: Throttle | None = None
    # Twilio's StatusCallback for our messages: the public base URL + "/twilio/status".
    status_callback: str | None = None
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if self.throttle is None:
            self.throttle = LocalThrottle(self.settings.segments_per_second)


@dataclass(frozen=True)
class Claim:
    to: str
    from_: str
    body: str
    segments: int
    attempt: int


def locked(session: Session, message_id: int) -> Message | None:
    return session.scalar(
        select(Message)
        .where(Message.id == message_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
