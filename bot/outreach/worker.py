"""RQ jobs and the worker: sending a message and running the anchor-cycle scheduler (the
worker itself and the periodic ticker run in bot/outreach/running_jobs.py).

Job functions live at module level and take ids only, so a worker can import them and
nothing about a patient ever sits in Redis (a queued job names its function by its path here,
bot.outreach.worker.send_message: they stay in this module). Each worker process builds its
own context (settings, database engine, sender) from the environment; tests install one with
`configure`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, SystemClock
from bot.conversation.runtime import Runtime, runtime_for
from bot.outreach.batches import BATCH_SIZE, deliver_many, record_answers
from bot.outreach.deliveries import SendingPolicy
from bot.outreach.invitations import CHUNK, invite_chunk
from bot.outreach.jobs import InProcessJobs, Jobs
from bot.outreach.outbound import deliver
from bot.outreach.scheduler import Scheduler
from bot.outreach.sender import Sender, sender_for
from bot.outreach.sending_rules import RedisThrottle
from bot.settings import Settings, get_settings
from bot.settings.outreach import OutreachSettings
from store.db import make_engine, make_sessionmaker

if TYPE_CHECKING:
    from redis import Redis
    from rq import Queue

log = logging.getLogger(__name__)


class SendLater(Exception):
    """Raised by a send job so RQ retries it with backoff (Retry on the job)."""


@dataclass
class WorkerContext:
    """What a job needs, built once per worker process."""

    settings: Settings
    outreach: OutreachSettings
    clock: Clock
    sender: Sender
    connection: Redis
    engine: Engine | None = None
    # Told of each sessionmaker the jobs use (the inbox's live news, installed by `medsync
    # worker`: items the scheduler opens reach open pages as the web's own do).
    watch: Callable[[sessionmaker[Session]], None] | None = None
    _sessions: sessionmaker[Session] | None = field(default=None, repr=False)
    _pid: int = field(default_factory=os.getpid, repr=False)

    def watched_by(self, watch: Callable[[sessionmaker[Session]], None]) -> None:
        """Watch the jobs' sessions, those made already and any made after a fork."""
        self.watch = watch
        if self._sessions is not None:
            watch(self._sessions)

    @property
    def sessions(self) -> sessionmaker[Session]:
        # A forked work horse must not share its parent's database connections.
        if self._sessions is None or self._pid != os.getpid():
            if self.engine is not None and self._pid != os.getpid():
                self.engine.dispose(close=False)
            if self.engine is None:
                self.engine = make_engine(self.settings.database_url)
            self._sessions = make_sessionmaker(self.engine)
            self._pid = os.getpid()
            if self.watch is not None:
                self.watch(self._sessions)
        return self._sessions

    @property
    def queue(self) -> Queue:
        from rq import Queue

        return Queue(self.outreach.queue_name, connection=self.connection)

    @property
    def jobs(self) -> RQJobs:
        return RQJobs(self.connection, self.outreach.queue_name)

    @property
    def policy(self) -> SendingPolicy:
        return SendingPolicy(
            settings=self.outreach,
            throttle=RedisThrottle(self.connection, self.outreach.segments_per_second),
            status_callback=status_callback_url(self.settings),
        )

    @property
    def runtime(self) -> Runtime:
        return runtime_for(self.settings, self.sessions, self.clock)


def status_callback_url(settings: Settings) -> str | None:
    return settings.public_url.rstrip("/") + "/twilio/status" if settings.public_url else None


_context: WorkerContext | None = None


def configure(context: WorkerContext | None) -> None:
    """Use this context in this process (tests; `medsync worker` builds its own)."""
    global _context
    _context = context


def context_from_environment() -> WorkerContext:
    from redis import Redis

    settings = get_settings()
    if not settings.redis_url:
        raise RuntimeError("MEDSYNC_REDIS_URL is not set: RQ jobs need Redis.")
    outreach = OutreachSettings()
    return WorkerContext(
        settings=settings,
        outreach=outreach,
        clock=SystemClock(),
        sender=sender_for(settings),
        connection=Redis.from_url(settings.redis_url),
    )


def current() -> WorkerContext:
    global _context
    if _context is None:
        _context = context_from_environment()
    return _context


# ---------------------------------------------------------------------- the RQ jobs port


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
        enqueue_send(self.queue, message_id, at)
        self.results.append("queued" if at is None else f"queued for {at:%Y-%m-%d %H:%M} UTC")

    def send_many(self, message_ids: list[int]) -> None:
        """Many texts in batch jobs of `BATCH_SIZE`, enqueued in one Redis pipeline."""
        enqueue_batches(self.queue, message_ids)
        self.results.extend("queued" for _ in message_ids)


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


# ---------------------------------------------------------------------- jobs


def enqueue_send(queue: Queue, message_id: int, at: dt.datetime | None = None) -> None:
    from rq import Retry

    intervals = current_retry_intervals()
    options: dict[str, Any] = {
        "job_id": send_job_id(message_id, at),
        "description": f"send message {message_id}",
        "result_ttl": 3600,
    }
    if intervals:
        options["retry"] = Retry(max=len(intervals), interval=intervals)
    if at is None:
        queue.enqueue(send_message, message_id, **options)
    else:
        queue.enqueue_at(at.astimezone(dt.UTC), send_message, message_id, **options)


def batch_job_id(message_ids: Sequence[int]) -> str:
    """The same batch enqueued twice is one job."""
    digest = hashlib.sha1(",".join(map(str, message_ids)).encode()).hexdigest()[:20]
    return f"send-batch-{message_ids[0]}-{len(message_ids)}-{digest}"


def enqueue_batches(queue: Queue, message_ids: Sequence[int], size: int = BATCH_SIZE) -> int:
    """Batch send jobs of at most `size` texts, in one pipeline (`Queue.enqueue_many`); the
    number of jobs. Each job is safe to run twice (a sent text is never sent again)."""
    from rq import Queue as RQQueue

    ids = sorted(set(message_ids))
    chunks = [ids[n : n + size] for n in range(0, len(ids), size)]
    if not chunks:
        return 0
    jobs = [
        RQQueue.prepare_data(
            send_messages,
            args=(chunk,),
            job_id=batch_job_id(chunk),
            description=f"send {len(chunk)} messages from {chunk[0]}",
            result_ttl=3600,
        )
        for chunk in chunks
    ]
    with queue.connection.pipeline() as pipe:
        queue.enqueue_many(jobs, pipeline=pipe)
        pipe.execute()
    return len(chunks)


def current_retry_intervals() -> list[int]:
    return list(
        _context.outreach.retry_intervals if _context else OutreachSettings().retry_intervals
    )


def send_message(message_id: int) -> str:
    """The send job: deliver, and come back later when told to wait."""
    ctx = current()
    delivery = deliver(ctx.sessions, ctx.sender, message_id, ctx.clock, ctx.policy)
    if delivery.outcome == "deferred" and delivery.at is not None:
        enqueue_send(ctx.queue, message_id, delivery.at)
    elif delivery.outcome == "retry":
        raise SendLater(delivery.detail)
    return delivery.detail


def send_messages(message_ids: list[int]) -> str:
    """The batch send job: deliver them all; each text told to wait comes back in a job of
    its own at its time, and what the batch could not book in time goes in another batch."""
    ctx = current()
    result = deliver_many(
        ctx.sessions,
        ctx.sender,
        message_ids,
        ctx.clock,
        ctx.policy,
        more_to_come=ctx.queue.count > 0,  # then the next batch books on without a gap
    )
    for message_id, delivery in result.deliveries.items():
        if delivery.outcome in ("deferred", "retry") and delivery.at is not None:
            enqueue_send(ctx.queue, message_id, delivery.at)
    if result.later:
        enqueue_batches(ctx.queue, result.later)
    return result.summary()


def enqueue_invitations(queue: Queue, campaign_id: int, recipient_ids: Sequence[int]) -> int:
    """A campaign's recipients in chunk jobs of `invitations.CHUNK`, enqueued in one pipeline
    (`Queue.enqueue_many`); the number of jobs. Each chunk is safe to run twice."""
    from rq import Queue as RQQueue

    ids = sorted(set(recipient_ids))
    chunks = [ids[n : n + CHUNK] for n in range(0, len(ids), CHUNK)]
    jobs = [
        RQQueue.prepare_data(
            invite_recipients,
            args=(campaign_id, chunk),
            job_id=f"invite-{campaign_id}-{chunk[0]}-{len(chunk)}",
            description=f"campaign {campaign_id}: invite {len(chunk)} from {chunk[0]}",
            result_ttl=3600,
            timeout=1800,
        )
        for chunk in chunks
    ]
    with queue.connection.pipeline() as pipe:
        queue.enqueue_many(jobs, pipeline=pipe)
        pipe.execute()
    return len(jobs)


def invite_recipients(campaign_id: int, recipient_ids: list[int]) -> str:
    """The campaign chunk job: write these invitations, hand their sends on in batches."""
    ctx = current()
    result = invite_chunk(
        ctx.sessions, ctx.runtime, ctx.jobs, ctx.clock, campaign_id, recipient_ids
    )
    return f"{result.invited} invited, {result.skipped} skipped" + (
        f"; {result.stopped}" if result.stopped else ""
    )


def run_scheduler() -> str:
    """The periodic job: write what is due, enqueue its sends, place the calls that are due."""
    ctx = current()
    for message_id, delivery in record_answers(
        ctx.sessions, ctx.clock, ctx.policy
    ).deliveries.items():
        if delivery.outcome in ("deferred", "retry") and delivery.at is not None:
            enqueue_send(ctx.queue, message_id, delivery.at)
    report = Scheduler(ctx.sessions, ctx.runtime, ctx.clock, ctx.outreach).run(ctx.jobs)
    placed = place_due_calls(ctx.runtime, ctx.settings, ctx.outreach)
    return report.summary() + (f" Calls: {'; '.join(placed)}." if placed else "")


def place_due_calls(runtime: Runtime, settings: Settings, outreach: OutreachSettings) -> list[str]:
    """Patients who cannot take texts get their check-ins as calls, in the same tick."""
    from bot.outreach.call_desk import CallDesk
    from bot.outreach.caller import caller_for

    if not settings.public_url:
        log.warning("MEDSYNC_PUBLIC_URL is not set: calls cannot be placed (Twilio fetches them)")
        return []
    caller = caller_for(settings)
    return CallDesk(runtime, outreach=outreach).run_due(caller, settings.public_url)


def enqueue_scheduler_tick(connection: Redis, outreach: OutreachSettings, now: float) -> bool:
    """Enqueue the periodic job for this time slot once, however many workers try."""
    from rq import Queue

    slot = int(now // outreach.scheduler_interval)
    if not connection.set(
        f"medsync:scheduler:{slot}", "1", nx=True, ex=outreach.scheduler_interval * 2
    ):
        return False
    Queue(outreach.queue_name, connection=connection).enqueue(
        run_scheduler,
        job_id=f"scheduler-{slot}",
        description="anchor-cycle scheduler",
        result_ttl=3600,
    )
    return True
