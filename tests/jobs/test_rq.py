"""Sending on real Redis with real RQ workers: ids-only jobs, deferrals with enqueue_at,
retries with backoff, and a worker killed mid-send that still sends once."""

from __future__ import annotations

import datetime as dt
import os
import signal

from redis import Redis
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from bot.outreach.rq_workers import Worker
from bot.outreach.worker import RQJobs, WorkerContext, enqueue_scheduler_tick
from store.models import MessageStatus
from tests.fake_twilio import Recorded
from tests.jobs.conftest import World, burst, fast_settings


def test_send_jobs_carry_the_message_id_and_nothing_about_the_patient(
    world: World, context: WorkerContext, connection: Redis
) -> None:
    message_id = world.queue_text("P1001", "Hi Margaret, your check-in is ready.")
    RQJobs(connection, context.outreach.queue_name).send(message_id)
    [job] = context.queue.get_jobs()
    assert job.func_name == "bot.outreach.worker.send_message"
    assert (job.args, job.kwargs) == ((message_id,), {})
    dump = b"".join(
        str(connection.dump(key)).encode() + key for key in connection.scan_iter(count=1000)
    )
    for secret in (b"Margaret", b"+12125550123", b"2125550123", b"check-in"):
        assert secret not in dump
    burst(context)
    assert world.message(message_id).status == MessageStatus.SENT
    assert len(world.fake.messages) == 1


def test_enqueueing_the_same_send_twice_sends_once(world: World, context: WorkerContext) -> None:
    message_id = world.queue_text("P1001")
    context.jobs.send(message_id)
    context.jobs.send(message_id)
    burst(context)
    assert len(world.fake.messages) == 1


def test_quiet_hours_schedule_the_job_with_enqueue_at(world: World, context: WorkerContext) -> None:
    world.clock.at = dt.datetime(2026, 11, 30, 1, 30, tzinfo=dt.UTC)  # 20:30 in Miami
    message_id = world.queue_text("P1002", "Hola")
    context.jobs.send(message_id)
    burst(context)
    assert world.fake.messages == []
    registry = ScheduledJobRegistry(queue=context.queue)
    [job_id] = registry.get_job_ids()
    eight_in_miami = dt.datetime(2026, 11, 30, 13, 0, tzinfo=dt.UTC)
    assert registry.get_scheduled_time(job_id) == eight_in_miami
    assert Job.fetch(job_id, connection=context.connection).args == (message_id,)
    # At 08:00 the scheduler hands it to a worker (done here by hand: RQ reads the wall clock).
    world.clock.at = eight_in_miami
    registry.remove(job_id)
    context.queue.enqueue_job(Job.fetch(job_id, connection=context.connection))
    burst(context)
    assert world.message(message_id).status == MessageStatus.SENT


def test_transient_errors_are_retried_by_rq(world: World, context: WorkerContext) -> None:
    world.fake.fail_next(500, times=1)
    world.fake.fail_next(429, 20429, "Too Many Requests")
    world.fake.fail_next(400, 30003, "Unreachable destination handset")
    message_id = world.queue_text("P1001")
    context.jobs.send(message_id)
    burst(context)
    assert [r.status for r in world.fake.messages] == [500, 429, 400, 201]
    message = world.message(message_id)
    assert message.status == MessageStatus.SENT and message.attempts == 4


def test_errors_that_must_not_be_retried_are_not(world: World, context: WorkerContext) -> None:
    world.fake.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    message_id = world.queue_text("P1001")
    context.jobs.send(message_id)
    burst(context)
    assert len(world.fake.messages) == 1
    assert world.message(message_id).status == MessageStatus.FAILED
    assert world.patient("P1001").opted_out
    assert FailedJobRegistry(queue=context.queue).get_job_ids() == []  # handled, not crashed


def test_a_worker_killed_mid_send_never_sends_twice(
    world: World, context: WorkerContext, connection: Redis
) -> None:
    """A forking RQ worker; its work horse is killed while Twilio holds the request (Twilio
    has made the message, the horse never hears back). RQ retries the job; the retry finds
    the message at Twilio, records its SID and sends nothing."""
    context.outreach = fast_settings(retry_intervals=[0, 0, 0], send_lease_seconds=0)
    message_id = world.queue_text("P1001", "Your check-in is ready.")
    worker = Worker([context.queue], connection=connection)
    killed: list[int] = []

    def kill_the_horse(request: Recorded) -> None:
        if request.method == "POST" and not killed:
            killed.append(worker.horse_pid)
            os.kill(worker.horse_pid, signal.SIGKILL)

    world.fake.on_request = kill_the_horse
    context.jobs.send(message_id)
    worker.work(burst=True, with_scheduler=False)
    assert killed, "the work horse was never killed"
    assert len(world.fake.messages) == 1
    message = world.message(message_id)
    assert message.status == MessageStatus.SENT
    assert message.sid == world.fake.messages[0].sid


def test_the_periodic_job_is_enqueued_once_per_slot(context: WorkerContext) -> None:
    assert enqueue_scheduler_tick(context.connection, context.outreach, 1000.0)
    assert not enqueue_scheduler_tick(context.connection, context.outreach, 1001.0)
    assert [j.func_name for j in context.queue.get_jobs()] == ["bot.outreach.worker.run_scheduler"]
    assert enqueue_scheduler_tick(context.connection, context.outreach, 1000.0 + 300)
