"""Campaign fan-out: planning a large campaign, handing it to the workers, writing its
invitations there, and sending them at the configured pace.

    .venv/bin/python -m tests.bench.campaign [sqlite|postgresql] [--patients 100000]
        [--write 1000] [--pace 50]

Imports `--patients` generated patients (2 prescriptions each) into a fresh database, then
times `create_campaign` for "all eligible patients not yet invited" (the plan: every patient
judged in SQL, one recipient row each, bot/outreach/audience.py) and `run_campaign` handing
every recipient to the workers
(chunk jobs of 500 enqueued with `Queue.enqueue_many` in one pipeline; Redis from
MEDSYNC_TEST_REDIS_URL, database 7 unless told otherwise, only this benchmark's queue is
emptied): "planned and enqueued" is the sum. Then one chunk job's work as a worker does it
(`invite_chunk` on the first `--write` recipients: invitations written through the runtime,
their sends enqueued in batch jobs), and an RQ SimpleWorker sending those at `--pace`
segments a second to tests/fake_twilio.py (the achieved rate measured at the fake API).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from bot.channels.sms import render_sms
from bot.clock import FrozenClock
from bot.conversation.runtime import Runtime
from bot.outreach.campaigns import create_campaign
from bot.outreach.invitations import invite_chunk, run_campaign
from bot.outreach.rq_workers import SimpleWorker
from bot.outreach.running_jobs import warm_up
from bot.outreach.sender import TwilioSender
from bot.outreach.worker import (
    RQJobs,
    WorkerContext,
    configure,
    enqueue_invitations,
)
from bot.settings import Settings
from bot.settings.outreach import OutreachSettings
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Message, MessageStatus, Pharmacy
from store.outreach import Campaign, CampaignRecipient
from tests.bench.common import PHARMACY_NUMBER, fresh_database, seed_patients
from tests.bench.sending import ACCOUNT, TOKEN

NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York
REDIS = os.environ.get("MEDSYNC_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
QUEUE = "medsync-bench-campaign"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", nargs="?", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--write", type=int, default=1000, help="invitations written")
    parser.add_argument("--pace", type=float, default=50.0, help="segments a second")
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory() as folder,
        fresh_database(args.database, Path(folder)) as url,
    ):
        started = time.perf_counter()
        seed_patients(url, args.patients, NOW)
        out(
            f"Campaign over {args.patients:,} patients on {args.database} "
            f"(imported in {time.perf_counter() - started:.1f} s; peak {peak_mb():.0f} MB):"
        )
        sessions = make_sessionmaker(make_engine(url))
        clock = FrozenClock(NOW)
        started = time.perf_counter()
        with transaction(sessions) as session:
            pharmacy = session.scalars(select(Pharmacy)).one()
            created = create_campaign(
                session, pharmacy, "Everyone", "ENROLL_OFFER", None, NOW, "bench"
            )
            counts = dict(created.counts)
        seconds = time.perf_counter() - started
        out(f"  plan (all eligible)   {seconds:7.2f} s   peak {peak_mb():5.0f} MB   {counts}")

        connection = Redis.from_url(REDIS)
        queue = Queue(QUEUE, connection=connection)
        queue.empty()  # type: ignore[no-untyped-call]
        jobs = RQJobs(connection, QUEUE)
        runtime = Runtime(sessions, clock, render_sms=render_sms)
        with transaction(sessions) as session:
            pharmacy_id = session.scalars(select(Pharmacy.id)).one()
        started = time.perf_counter()
        result = run_campaign(
            sessions,
            runtime,
            jobs,
            clock,
            pharmacy_id,
            "Everyone",
            "bench",
            chunks=lambda campaign_id, ids: enqueue_invitations(queue, campaign_id, ids),
        )
        enqueued = time.perf_counter() - started
        out(
            f"  enqueue ({result.handed_on:,} in {result.jobs} chunk jobs) {enqueued:7.2f} s; "
            f"planned and enqueued in {seconds + enqueued:.2f} s"
        )
        with transaction(sessions) as session:
            campaign_id, pending = session.execute(
                select(Campaign.id, func.count())
                .join(CampaignRecipient, CampaignRecipient.campaign_id == Campaign.id)
                .where(Campaign.name == "Everyone")
                .group_by(Campaign.id)
            ).one()
            ids = list(
                session.scalars(
                    select(CampaignRecipient.id)
                    .where(CampaignRecipient.campaign_id == campaign_id)
                    .order_by(CampaignRecipient.id)
                    .limit(args.write)
                )
            )
        queue.empty()  # type: ignore[no-untyped-call]
        started = time.perf_counter()
        written = invite_chunk(sessions, runtime, jobs, clock, campaign_id, ids)
        seconds = time.perf_counter() - started
        rate = written.invited / seconds if seconds else 0.0
        out(
            f"  write ({written.invited:,} invitations, as a chunk job does) {seconds:7.2f} s: "
            f"{rate:6.1f} a second per worker; {pending:,} would take "
            f"{pending / max(rate, 0.001) / 60:,.1f} worker-minutes"
        )
        texts = send_at_pace(url, connection, queue, args.pace)
        with transaction(sessions) as session:
            per_text = session.scalar(
                select(func.avg(Message.segments)).where(Message.status == MessageStatus.SENT)
            )
        achieved = texts * float(per_text or 1)
        out(
            f"  send at {args.pace:g} segments/s: {texts:6.2f} texts a second at the API, "
            f"{float(per_text or 1):.2f} segments each: {achieved:6.2f} segments a second "
            f"({(achieved - args.pace) / args.pace:+.2%} of the set rate)"
        )
        queue.empty()  # type: ignore[no-untyped-call]


def send_at_pace(url: str, connection: Redis, queue: Queue, pace: float) -> float:
    """The batch send jobs in the queue, sent by one SimpleWorker at `pace` segments a second
    to the fake Twilio API in a process of its own; the rate measured there."""
    fake = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.sending", "--serve-fake"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert fake.stdin is not None and fake.stdout is not None
    fake_url = fake.stdout.readline().strip()
    connection.delete(f"medsync:throughput:{PHARMACY_NUMBER}")
    context = WorkerContext(
        settings=Settings(database_url=url, redis_url=REDIS),
        outreach=OutreachSettings(segments_per_second=pace, queue_name=QUEUE),
        clock=FrozenClock(NOW),
        sender=TwilioSender(ACCOUNT, TOKEN, fake_url),
        connection=connection,
    )
    configure(context)
    warm_up(context)
    SimpleWorker([queue], connection=connection).work(burst=True, logging_level="WARNING")
    configure(None)
    arrivals = json.loads(fake.communicate("")[0])
    if len(arrivals) < 2:
        return 0.0
    return float((len(arrivals) - 1) / (arrivals[-1] - arrivals[0]))


if __name__ == "__main__":
    main()
