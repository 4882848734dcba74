"""Several texts per send job (bot/outreach/batches.py): one claim transaction, every rule
still checked per text, each text sent once, and batch jobs through a real RQ worker."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

from redis import Redis
from sqlalchemy import event

from bot.outreach.batches import AHEAD_SECONDS, BatchResult, deliver_many
from bot.outreach.rq_workers import SimpleWorker
from bot.outreach.sending_rules import LocalThrottle
from bot.outreach.worker import RQJobs, WorkerContext
from store.models import MessageStatus
from tests.jobs.conftest import World, burst, fast_settings

MOBILES = ["P1001", "P1002", "P1003", "P1006", "P1010"]  # inside sending hours at NOW


@contextmanager
def counted(world: World) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = world.sessions.kw["bind"]

    def note(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


def run(world: World, ids: list[int]) -> BatchResult:
    return deliver_many(world.sessions, world.sender, ids, world.clock, world.policy)


def test_a_batch_sends_each_text_once_and_records_every_sid(world: World) -> None:
    ids = [world.queue_text(p, f"Hello {p}.") for p in MOBILES]
    result = run(world, ids)
    assert {d.outcome for d in result.deliveries.values()} == {"sent"}
    assert sorted(r.form["Body"] for r in world.fake.accepted_messages) == sorted(
        f"Hello {p}." for p in MOBILES
    )
    by_body = {r.form["Body"]: r.sid for r in world.fake.accepted_messages}
    for message_id in ids:
        row = world.message(message_id)
        assert row.status == MessageStatus.SENT and row.attempts == 1
        assert row.sid == by_body[row.body]
    # Run again: nothing goes twice.
    again = run(world, ids)
    assert {d.outcome for d in again.deliveries.values()} == {"already"}
    assert len(world.fake.messages) == len(MOBILES)


def test_the_claim_reads_the_same_few_statements_for_any_batch(world: World) -> None:
    small = [world.queue_text(p) for p in MOBILES[:2]]
    with counted(world) as first:
        run(world, small)
    large = [world.queue_text(p) for p in MOBILES[2:]]
    with counted(world) as second:
        run(world, large)
    # Messages, patients, campaigns, preferences, the week's sends, the pharmacy, the SIDs.
    assert len(second) == len(first) <= 10


def test_every_rule_still_holds_inside_a_batch(world: World) -> None:
    """A landline is suppressed, an opted-out patient is not texted, and the daily cap
    counts the texts of the same batch: the second text to one patient waits a day."""
    with world.sessions.begin() as session:
        from sqlalchemy import update

        from store.models import Patient

        session.execute(
            update(Patient).where(Patient.external_id == "P1003").values(opted_out=True)
        )
    landline = world.queue_text("P1005")
    opted_out = world.queue_text("P1003")
    first = world.queue_text("P1001", "First.")
    second = world.queue_text("P1001", "Second.")
    result = run(world, [landline, opted_out, first, second])
    assert result.deliveries[landline].outcome == "suppressed"
    assert result.deliveries[opted_out].outcome == "suppressed"
    assert result.deliveries[first].outcome == "sent"
    assert result.deliveries[second].outcome == "deferred"
    assert "frequency caps" in result.deliveries[second].detail
    assert [r.form["Body"] for r in world.fake.accepted_messages] == ["First."]
    assert world.message(second).status == MessageStatus.QUEUED


def test_a_refusal_is_handled_per_text(world: World) -> None:
    world.fake.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    ids = [world.queue_text(p) for p in MOBILES[:3]]
    result = run(world, ids)
    outcomes = sorted(d.outcome for d in result.deliveries.values())
    assert outcomes == ["failed", "sent", "sent"]
    [failed] = [i for i, d in result.deliveries.items() if d.outcome == "failed"]
    assert world.message(failed).status == MessageStatus.FAILED


def test_a_slow_pace_books_only_a_few_seconds_ahead_and_hands_on_the_rest(world: World) -> None:
    world.settings = fast_settings(segments_per_second=2.0, cap_per_day=9, cap_per_week=9)
    ids = [world.queue_text(p) for p in MOBILES for _ in range(3)]
    policy = world.policy
    policy.throttle = LocalThrottle(2.0, timer=lambda: 0.0)  # no time passes while booking
    result = deliver_many(world.sessions, world.sender, ids, world.clock, policy)
    sent = [i for i, d in result.deliveries.items() if d.outcome == "sent"]
    assert result.later and sorted(sent + result.later) == sorted(ids)
    assert len(sent) == int(AHEAD_SECONDS * 2)  # 5 s of a 2-a-second pace
    # Each text booked half a second after the one before it (its sent_at is when it went).
    times = sorted(world.message(i).sent_at for i in sent)  # type: ignore[type-var]
    gaps = {round((b - a).total_seconds(), 3) for a, b in itertools.pairwise(times)}
    assert gaps == {0.5}
    assert all(world.message(i).status == MessageStatus.QUEUED for i in result.later)


def test_batch_jobs_on_rq_carry_ids_only_and_send_everything(
    world: World, context: WorkerContext, connection: Redis
) -> None:
    ids = [world.queue_text(p) for p in MOBILES]
    jobs = RQJobs(connection, context.outreach.queue_name)
    jobs.send_many(ids)
    jobs.send_many(ids)  # enqueued twice: the same job (its second run sends nothing)
    [job] = {j.id: j for j in context.queue.get_jobs()}.values()
    assert job.func_name == "bot.outreach.worker.send_messages"
    assert job.args == (sorted(ids),)
    burst(context)
    assert len(world.fake.accepted_messages) == len(MOBILES)
    assert all(world.message(i).status == MessageStatus.SENT for i in ids)


def test_a_deferred_text_of_a_batch_gets_its_own_job_at_its_time(
    world: World, context: WorkerContext, connection: Redis
) -> None:
    from rq.registry import ScheduledJobRegistry

    first = world.queue_text("P1001", "First.")
    second = world.queue_text("P1001", "Second.")
    RQJobs(connection, context.outreach.queue_name).send_many([first, second])
    SimpleWorker([context.queue], connection=connection).work(burst=True, with_scheduler=False)
    [job_id] = ScheduledJobRegistry(queue=context.queue).get_job_ids()
    assert job_id.startswith(f"send-{second}-at-")
