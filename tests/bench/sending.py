"""One worker's sending rate against the fake Twilio API, and the throttle's accuracy.

    .venv/bin/python -m tests.bench.sending [sqlite|postgresql] [--messages 1000]
        [--rate 50] [--worker medsync|simple|fork] [--jobs batch|single]

Seeds `--messages` queued texts (one per generated patient), enqueues their sends through
`RQJobs` (Redis from MEDSYNC_TEST_REDIS_URL, database 7 unless told otherwise; only that
database is emptied): `--jobs batch` as the scheduler and campaigns do (`send_many`, batch
jobs of 100), `single` a job per text as a pharmacist's reply does. Then one worker runs in
burst mode on them, sending with the real twilio client to tests/fake_twilio.py served over
HTTP on loopback by a process of its own. `--worker medsync` (the default) is `medsync worker
--burst` as shipped, in a process of its own with the environment docs/DEPLOY.md lists;
`simple` and `fork` are RQ's SimpleWorker and forking Worker in this process. Two runs: the
throttle set far above what a worker can do (the worker's own ceiling), then at `--rate`
segments a second (MEDSYNC_SEGMENTS_PER_SECOND), where the achieved rate is measured between
the fake API's first and last request. Prints figures; asserts nothing.
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
from sqlalchemy import insert, select

from bot.clock import FrozenClock
from bot.outreach.running_jobs import warm_up
from bot.outreach.sender import TwilioSender
from bot.outreach.worker import RQJobs, WorkerContext, configure
from bot.settings import Settings
from bot.settings.outreach import OutreachSettings
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Channel, Direction, Message, MessageStatus, Patient, Pharmacy
from tests.bench.common import PHARMACY_NUMBER as BENCH_NUMBER
from tests.bench.common import fresh_database, seed_patients

NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York
REDIS = os.environ.get("MEDSYNC_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
QUEUE = "medsync-bench-sending"
ACCOUNT, TOKEN = "AC" + "0" * 32, "bench-token"
BODY = "Main Street Pharmacy: your check-in is ready. Reply to answer a few questions."


def serve_fake() -> None:
    """The fake Twilio API in this process; prints its URL, then, when stdin closes, the
    monotonic times at which message requests arrived (JSON)."""
    from tests.fake_twilio import FakeTwilio

    arrivals: list[float] = []
    fake = FakeTwilio()
    # Answer without Nagle's delay (as Twilio's edge does): the fake writes its headers and
    # its body separately, and the client's delayed ACK would add 40 ms to every request.
    fake._server.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
    with fake:
        fake.on_request = lambda record: arrivals.append(time.monotonic())
        print(fake.url, flush=True)
        sys.stdin.read()
    print(json.dumps(arrivals), flush=True)


def cpu_seconds() -> float:
    """This process's CPU time and its finished children's (RQ's work horses)."""
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def queue_messages(url: str, count: int) -> list[int]:
    """One queued automated text for each of `count` new patients; their ids."""
    seed_patients(url, count, NOW)
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        pharmacy_id = session.scalar(select(Pharmacy.id))
        patients = session.execute(select(Patient.id, Patient.phone).order_by(Patient.id)).all()
        rows = [
            {
                "pharmacy_id": pharmacy_id,
                "patient_id": patient_id,
                "direction": Direction.OUTBOUND,
                "channel": Channel.SMS,
                "idempotency_key": f"bench:{patient_id}",
                "phone": phone,
                "body": BODY,
                "status": MessageStatus.QUEUED,
                "language": "en",
                "purpose": "check_in",
                "created_at": NOW,
            }
            for patient_id, phone in patients
        ]
        ids = list(session.scalars(insert(Message).returning(Message.id), rows))
    engine.dispose()
    return ids


def shipped_worker(url: str, fake_url: str, per_second: float) -> tuple[float, float]:
    """`medsync worker --burst` in a process of its own: its seconds and CPU seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEDSYNC_", "TWILIO_"))}
    env.update(
        {
            "MEDSYNC_DATABASE_URL": url,
            "MEDSYNC_REDIS_URL": REDIS,
            "MEDSYNC_QUEUE_NAME": QUEUE,
            "MEDSYNC_SENDER": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "MEDSYNC_TWILIO_API_URL": fake_url,
            "MEDSYNC_SEGMENTS_PER_SECOND": repr(per_second),
            "MEDSYNC_SENDING_HOURS_START": "00:00:00",
            "MEDSYNC_SENDING_HOURS_END": "23:59:59",
            "MEDSYNC_SENDING_HOURS_END_BY_STATE": "{}",
            "MEDSYNC_CAP_PER_DAY": "100",
            "MEDSYNC_CAP_PER_WEEK": "100",
            "MEDSYNC_SCHEDULER_INTERVAL": "3600",
        }
    )
    # This hour's anchor-cycle run is taken already: the figures are the sends alone.
    Redis.from_url(REDIS).set(f"medsync:scheduler:{int(time.time() // 3600)}", "1", ex=7200)
    medsync = str(Path(sys.executable).with_name("medsync"))
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log:  # RQ's line per job; kept out of the figures
        worker = subprocess.Popen([medsync, "worker", "--burst"], env=env, stdout=log, stderr=log)
        _, status, usage = os.wait4(worker.pid, 0)
        seconds = time.perf_counter() - started
        if status != 0:
            log.seek(0)
            raise SystemExit(f"medsync worker exited ({status}): {log.read()[-2000:]!r}")
    return seconds, usage.ru_utime + usage.ru_stime


def run(
    url: str,
    ids: Sequence[int],
    per_second: float,
    worker_kind: str,
    warm: bool = True,
    batches: bool = True,
) -> tuple[float, float, list[float]]:
    """Seconds for one worker to send `ids`, the CPU seconds it used (its work horses'
    included), and the fake API's arrival times."""
    from rq import Queue

    from bot.outreach.rq_workers import SimpleWorker, Worker

    connection = Redis.from_url(REDIS)
    connection.delete(f"medsync:throughput:{BENCH_NUMBER}")
    Queue(QUEUE, connection=connection).empty()  # type: ignore[no-untyped-call]
    fake = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.sending", "--serve-fake"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert fake.stdin is not None and fake.stdout is not None
    fake_url = fake.stdout.readline().strip()
    outreach = OutreachSettings(segments_per_second=per_second, queue_name=QUEUE)
    context = WorkerContext(
        settings=Settings(database_url=url, redis_url=REDIS),
        outreach=outreach,
        clock=FrozenClock(NOW),
        sender=TwilioSender(ACCOUNT, TOKEN, fake_url),
        connection=connection,
    )
    configure(context)
    jobs = RQJobs(connection, QUEUE)
    if batches:
        jobs.send_many(list(ids))
    else:
        for message_id in ids:
            jobs.send(message_id)
    configure(None)
    if worker_kind == "medsync":
        seconds, cpu = shipped_worker(url, fake_url, per_second)
    else:
        configure(context)
        if warm:
            warm_up(context)  # as `medsync worker` does before its first job
        kind = SimpleWorker if worker_kind == "simple" else Worker
        started, cpu = time.perf_counter(), cpu_seconds()
        kind([jobs.queue], connection=connection).work(
            burst=True, logging_level=os.environ.get("BENCH_RQ_LOG", "WARNING")
        )
        seconds = time.perf_counter() - started
        cpu = cpu_seconds() - cpu
        configure(None)
    arrivals = json.loads(fake.communicate("")[0])
    Queue(QUEUE, connection=connection).empty()  # type: ignore[no-untyped-call]
    return seconds, cpu, arrivals


def sent(url: str) -> int:
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        count = len(
            session.scalars(select(Message.id).where(Message.status == MessageStatus.SENT)).all()
        )
    engine.dispose()
    return count


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", nargs="?", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="throttle, segments a second")
    parser.add_argument("--worker", default="medsync", choices=["medsync", "simple", "fork"])
    parser.add_argument("--jobs", default="batch", choices=["batch", "single"])
    parser.add_argument("--cold", action="store_true", help="skip the worker's warm-up")
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_fake:
        serve_fake()
        return
    warmth = "cold" if args.cold else "warmed up"
    out(f"One worker ({args.worker}, {args.jobs} jobs, {warmth}) sending on {args.database}:")
    for label, per_second in [("ceiling", 1_000_000.0), (f"throttle {args.rate:g}/s", args.rate)]:
        with (
            tempfile.TemporaryDirectory() as folder,
            fresh_database(args.database, Path(folder)) as url,
        ):
            ids = queue_messages(url, args.messages)
            seconds, cpu, arrivals = run(
                url, ids, per_second, args.worker, not args.cold, args.jobs == "batch"
            )
            done = sent(url)
        line = (
            f"  {label:16} {done:5d} sent in {seconds:6.2f} s: {done / seconds:6.1f} a second; "
            f"{cpu / max(done, 1) * 1000:5.1f} ms of CPU a message"
        )
        if len(arrivals) > 1:
            achieved = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
            line += f"; at the API {achieved:6.1f} a second"
            if per_second < 1_000_000:
                line += f" ({(achieved - per_second) / per_second:+.1%} of the set rate)"
        out(line)


if __name__ == "__main__":
    main()
