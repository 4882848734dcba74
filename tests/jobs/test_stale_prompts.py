"""Stale prompts never go out (issue 15, item 9): a question held back by sending hours is
dropped when the patient has answered it by the time it may go, and sent when they have not.

A frozen clock through the worker paths: the scheduler's tick opens the check-in at 00:05 in
New York, its text waits for 08:00; the patient answers everything at 06:30 by replying
early; at 08:00 the job (the embedded sweep, or the RQ job scheduled with enqueue_at) finds
the question answered and drops it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from bot.outreach.worker import WorkerContext
from store.db import transaction
from store.models import CheckIn, CheckInStatus, Message, MessageStatus
from tests.caregivers.test_caregiver_scheduler import ANN, add_ann
from tests.jobs.conftest import World, burst
from tests.jobs.test_scheduler import answer, enroll, tick

OPENED = dt.datetime(2026, 12, 8, 5, 5, tzinfo=dt.UTC)  # 00:05 in New York, T-7
EARLY = dt.datetime(2026, 12, 8, 11, 30, tzinfo=dt.UTC)  # 06:30: the patient replies early
EIGHT = dt.datetime(2026, 12, 8, 13, 0, tzinfo=dt.UTC)  # 08:00: sending hours begin
# The first test runs on both databases; the others are about the rule, on SQLite alone.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def held_question(world: World) -> Message:
    with transaction(world.sessions) as session:
        message = session.scalar(
            select(Message).where(Message.idempotency_key.like("check_in:%:open"))
        )
        assert message is not None
        session.expunge(message)
        return message


def check_in_status(world: World) -> CheckInStatus:
    with transaction(world.sessions) as session:
        check_in = session.scalar(select(CheckIn))
        assert check_in is not None
        return check_in.status


def test_a_question_answered_before_sending_hours_is_dropped(world: World) -> None:
    enroll(world)
    world.clock.at = OPENED
    assert tick(world).check_ins == 1
    question = held_question(world)
    assert question.status == MessageStatus.QUEUED and question.deferred_until == EIGHT
    assert question.asks is not None and question.asks.startswith("check_in:hospital:")

    world.clock.at = EARLY
    answer(world, "no", "no", "no", "no", "yes")  # every answer comes back in the webhook
    assert check_in_status(world) == CheckInStatus.READY

    world.clock.at = EIGHT + dt.timedelta(minutes=5)
    assert tick(world).resent == 1  # the sweep hands it to the send job at its time...
    assert world.fake.accepted_messages == []  # ...which does not send it
    dropped = world.message(question.id)
    assert dropped.status == MessageStatus.SUPPRESSED
    assert dropped.error is not None and "answered this question" in dropped.error
    assert tick(world).resent == 0  # and it is never tried again


@SQLITE_ONLY
def test_a_question_answered_in_part_is_dropped_too(world: World) -> None:
    """The patient answered the first question early: the text that asks it is stale (the
    webhook's answer already asked the next one)."""
    enroll(world)
    world.clock.at = OPENED
    tick(world)
    question = held_question(world)
    world.clock.at = EARLY
    answer(world, "no")
    world.clock.at = EIGHT + dt.timedelta(minutes=5)
    tick(world)
    assert world.message(question.id).status == MessageStatus.SUPPRESSED
    assert world.fake.accepted_messages == []


@SQLITE_ONLY
def test_a_question_still_open_goes_at_eight(world: World) -> None:
    enroll(world)
    world.clock.at = OPENED
    tick(world)
    question = held_question(world)
    world.clock.at = EARLY
    answer(world, "HELP")  # not an answer: the check-in still waits at its first question
    world.clock.at = EIGHT + dt.timedelta(minutes=5)
    tick(world)
    assert world.message(question.id).status == MessageStatus.SENT
    assert len(world.fake.accepted_messages) == 1


@SQLITE_ONLY
def test_the_rq_job_scheduled_for_eight_drops_an_answered_question(
    world: World, context: WorkerContext
) -> None:
    enroll(world)
    world.clock.at = OPENED
    tick(world)
    question = held_question(world)
    context.jobs.send(question.id)
    burst(context)  # deferred: enqueued again for 08:00 with enqueue_at
    registry = ScheduledJobRegistry(queue=context.queue)
    [job_id] = registry.get_job_ids()
    assert registry.get_scheduled_time(job_id) == EIGHT

    world.clock.at = EARLY
    answer(world, "no", "no", "no", "no", "yes")

    world.clock.at = EIGHT  # RQ's scheduler reads the wall clock: moved to the queue by hand
    registry.remove(job_id)
    job = Job.fetch(job_id, connection=context.connection)
    context.queue.enqueue_job(job)
    burst(context)
    assert Job.fetch(job_id, connection=context.connection).return_value() == (
        "not sent: answered already"
    )
    assert world.message(question.id).status == MessageStatus.SUPPRESSED
    assert world.fake.accepted_messages == []


@SQLITE_ONLY
def test_the_caregivers_copy_is_dropped_when_the_patient_finished(world: World) -> None:
    """The check-in also waits for the caregiver's phone; the patient finishes it on theirs
    at 06:30, so at 08:00 neither copy goes."""
    enroll(world)
    add_ann(world, "P1001")
    world.clock.at = OPENED
    tick(world)
    with transaction(world.sessions) as session:
        copies = session.scalars(
            select(Message).where(Message.idempotency_key.like("check_in:%:open%"))
        ).all()
        assert sorted(m.phone for m in copies) == sorted(["+12125550123", ANN])
        ids = [m.id for m in copies]
    world.clock.at = EARLY
    answer(world, "no", "no", "no", "no", "yes")
    world.clock.at = EIGHT + dt.timedelta(minutes=5)
    tick(world)
    assert [world.message(i).status for i in ids] == [MessageStatus.SUPPRESSED] * 2
    sent = [r.form["Body"] for r in world.fake.accepted_messages]
    assert not [b for b in sent if "check-in" in b]  # only Ann's welcome as a caregiver went
