"""Running the jobs of bot/outreach/worker.py: `medsync worker` (an RQ worker, warmed up
before its first job and started again when Redis comes back) and the ticker that starts the
periodic job every few minutes, on the worker or inside `medsync serve` when there is no Redis.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.conversation.runtime import Runtime
from bot.outreach.jobs import Jobs
from bot.outreach.scheduler import Scheduler
from bot.outreach.worker import WorkerContext, current, enqueue_scheduler_tick, place_due_calls
from bot.settings import Settings
from bot.settings.outreach import OutreachSettings

log = logging.getLogger(__name__)


class Ticker:
    """A background thread calling `tick` every `interval` seconds until stopped."""

    def __init__(self, interval: float, tick: Any, name: str) -> None:
        self.interval = interval
        self.tick = tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("the periodic outreach job failed; it runs again next time")
            self._stop.wait(self.interval)


def warm_up(ctx: WorkerContext) -> None:
    """Load once what every job needs, before the first job: the twilio client imports its
    REST resources on first use (0.4-0.9 s of a send job on a busy machine,
    tests/bench/sending.py), and the engine compiles its dialect on connect. `medsync worker`
    runs its jobs in its own process (RQ's SimpleWorker), so all of it stays warm."""
    client = getattr(ctx.sender, "client", None)
    if client is not None:
        client.messages  # noqa: B018 (the attribute's first read imports the Messages API)
    try:
        with ctx.sessions() as session:
            session.execute(text("SELECT 1"))
    except Exception as error:  # the jobs report it (and retry) when they run
        log.warning("the database is not reachable yet (%s); the worker starts anyway", error)


def run_worker(
    burst: bool = False,
    reconnect_seconds: float = 2.0,
    watch: Callable[[sessionmaker[Session]], None] | None = None,
) -> None:
    """`medsync worker`: an RQ worker with the scheduler (for enqueue_at and retries), and
    a ticker that enqueues the anchor-cycle job every few minutes.

    Jobs run in the worker's own process (RQ's SimpleWorker), not in a forked work horse
    each: the database connections, compiled statements, the twilio client and the sending
    threads stay warm from one job to the next (17 to hundreds of texts a second,
    docs/BENCHMARKS.md). A job that kills the process takes the worker with it: run it under
    a supervisor that restarts it (docs/DEPLOY.md). Nothing is lost then: a text it had
    claimed is settled with Twilio by the scheduler's sweep after MEDSYNC_SEND_LEASE_SECONDS,
    a text it had not claimed yet is still `queued` and swept after
    MEDSYNC_SWEEP_GRACE_SECONDS.

    RQ's worker quits when Redis goes away; this one waits and starts again, so a Redis
    restart needs no restart of the workers. Nothing is lost meanwhile: sends are rows in
    the database, and the first scheduler run after Redis is back sweeps them into jobs."""
    from redis.exceptions import ConnectionError as RedisDown

    from bot.outreach.rq_workers import SimpleWorker

    ctx = current()
    if watch is not None:
        ctx.watched_by(watch)
    warm_up(ctx)
    ticker = Ticker(
        ctx.outreach.scheduler_interval,
        lambda: enqueue_scheduler_tick(ctx.connection, ctx.outreach, time.time()),
        "medsync-scheduler-ticker",
    )
    ticker.start()
    try:
        while True:
            try:
                SimpleWorker([ctx.queue], connection=ctx.connection).work(
                    burst=burst, with_scheduler=True
                )
                return
            except RedisDown as error:
                if burst:
                    raise
                log.warning(
                    "Redis is unreachable (%s); trying again in %s s", error, reconnect_seconds
                )
                time.sleep(reconnect_seconds)
    finally:
        ticker.stop()


def in_process_ticker(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    jobs: Jobs,
    clock: Clock,
    outreach: OutreachSettings,
    settings: Settings | None = None,
) -> Ticker:
    """The same periodic job inside `medsync serve` when there is no Redis."""
    scheduler = Scheduler(sessions, runtime, clock, outreach)

    def tick() -> None:
        scheduler.run(jobs)
        if settings is not None:
            place_due_calls(runtime, settings, outreach)

    return Ticker(outreach.scheduler_interval, tick, "medsync-scheduler")
