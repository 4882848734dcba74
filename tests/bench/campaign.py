"""Campaign fan-out: planning the recipients of a large campaign, and running it.

    .venv/bin/python -m tests.bench.campaign [sqlite|postgresql] [--patients 100000] [--run 2000]

Imports `--patients` generated patients (2 prescriptions each) into a fresh database, then
times `create_campaign` for "all eligible patients not yet invited" (the plan: every
patient judged, one recipient row each), and `run_campaign` on a second campaign of the
first `--run` patients (each invitation written through the runtime and its send enqueued
on RQ; Redis from MEDSYNC_TEST_REDIS_URL, database 7 unless told otherwise, only this
benchmark's queue is emptied). The run's rate is what a 100,000-recipient run would take per
recipient. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from redis import Redis
from rq import Queue
from sqlalchemy import select

from bot.channels.sms import render_sms
from bot.clock import FrozenClock
from bot.conversation.runtime import Runtime
from bot.outreach.campaigns import create_campaign, run_campaign
from bot.outreach.worker import RQJobs
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Patient, Pharmacy
from tests.bench.common import fresh_database, seed_patients

NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York
REDIS = os.environ.get("MEDSYNC_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
QUEUE = "medsync-bench-campaign"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", nargs="?", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--run", type=int, default=2000, help="recipients of the timed run")
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
        with transaction(sessions) as session:
            pharmacy = session.scalars(select(Pharmacy)).one()
            first = list(session.scalars(select(Patient.external_id).order_by(Patient.id)))
            first = first[: args.run]
        started = time.perf_counter()
        with transaction(sessions) as session:
            pharmacy = session.scalars(select(Pharmacy)).one()
            created = create_campaign(
                session, pharmacy, "Everyone", "ENROLL_OFFER", None, NOW, "bench"
            )
            counts = dict(created.counts)
        seconds = time.perf_counter() - started
        out(f"  plan (all eligible)   {seconds:7.2f} s   peak {peak_mb():5.0f} MB   {counts}")

        with transaction(sessions) as session:
            pharmacy = session.scalars(select(Pharmacy)).one()
            pharmacy_id = pharmacy.id
            create_campaign(session, pharmacy, "First", "ENROLL_OFFER", first, NOW, "bench")
        connection = Redis.from_url(REDIS)
        Queue(QUEUE, connection=connection).empty()  # type: ignore[no-untyped-call]
        jobs = RQJobs(connection, QUEUE)
        runtime = Runtime(sessions, clock, render_sms=render_sms)
        started = time.perf_counter()
        result = run_campaign(sessions, runtime, jobs, clock, pharmacy_id, "First", "bench")
        seconds = time.perf_counter() - started
        queued = Queue(QUEUE, connection=connection).count
        Queue(QUEUE, connection=connection).empty()  # type: ignore[no-untyped-call]
        rate = result.invited / seconds if seconds else 0.0
        out(
            f"  run ({len(first):,} recipients)  {seconds:7.2f} s   {rate:6.1f} invitations a "
            f"second, {queued} jobs queued; 100,000 would take {100_000 / rate:,.0f} s"
            if rate
            else f"  run: nothing invited ({result.summary('First')})"
        )


if __name__ == "__main__":
    main()
